//! What a rule is to the engine: something that reads the shared indexes and returns hits
//! ([`Rule`]), configured by parameters that check themselves ([`RuleParams`]).

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::RuleInfo;

/// A rule: reads the shared indexes, returns its hits. Runs concurrently with the other rules.
pub trait Rule: Send + Sync {
    fn info(&self) -> &'static RuleInfo;
    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit>;
}

/// A rule's parameters, `[rules.<family>.<name>]` in the configuration.
pub trait RuleParams: Clone + Default + Serialize + DeserializeOwned {
    /// Checks of values that serde's types do not express; `rule` is the rule's id for messages.
    fn check(&self, _rule: &str) -> Result<(), String> {
        Ok(())
    }
}

/// Checks of parameter values that serde's types do not express.
pub(crate) fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}
