//! 超标准收费 over-standard prices: units billed above the approved price.

use serde::{Deserialize, Serialize};

use super::Rule;

pub mod above_cap;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub above_cap: above_cap::Params,
}

impl Config {
    pub(crate) fn check(&self) -> Result<(), String> {
        self.above_cap.check()
    }
}

pub(crate) fn rules(c: &Config) -> Vec<Box<dyn Rule>> {
    vec![Box::new(above_cap::AboveCap(c.above_cap.clone()))]
}
