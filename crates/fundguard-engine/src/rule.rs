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

/// The parameters of a rule that has none (`[rules.<family>.<name>]` must then be empty).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NoParams {}

impl RuleParams for NoParams {}

/// Checks of parameter values that serde's types do not express.
pub(crate) fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

/// Checks a list of charge-category codes (`01`-`14`) given for `rules.<rule>.<param>`.
pub(crate) fn check_categories(rule: &str, param: &str, list: &[String]) -> Result<(), String> {
    for c in list {
        ensure(fundguard_model::category::parse(c).is_some(), || {
            format!("rules.{rule}.{param}: `{c}` is not a charge category 01-14")
        })?;
    }
    Ok(())
}

/// The charge categories of a checked list.
pub(crate) fn categories(list: &[String]) -> Vec<u8> {
    list.iter()
        .filter_map(|c| fundguard_model::category::parse(c))
        .collect()
}
