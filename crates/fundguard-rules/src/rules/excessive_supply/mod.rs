//! 超量开药 excessive supply: more days of a drug than the days that pass.

use serde::{Deserialize, Serialize};

use super::Rule;

pub mod days_supply;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub days_supply: days_supply::Params,
}

impl Config {
    pub(crate) fn check(&self) -> Result<(), String> {
        self.days_supply.check()
    }
}

pub(crate) fn rules(c: &Config) -> Vec<Box<dyn Rule>> {
    vec![Box::new(days_supply::DaysSupply(c.days_supply.clone()))]
}
