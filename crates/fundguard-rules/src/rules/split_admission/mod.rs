//! 分解住院 split admissions: one illness billed as several stays.

use serde::{Deserialize, Serialize};

use super::Rule;

pub mod readmission;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub readmission: readmission::Params,
}

impl Config {
    pub(crate) fn check(&self) -> Result<(), String> {
        self.readmission.check()
    }
}

pub(crate) fn rules(c: &Config) -> Vec<Box<dyn Rule>> {
    vec![Box::new(readmission::Readmission(c.readmission.clone()))]
}
