//! 挂床住院 bed-hanging: stays billed while the patient was not in the bed.

use serde::{Deserialize, Serialize};

use super::Rule;

pub mod elsewhere;
pub mod group_admission;
pub mod hollow_days;
pub mod overlap;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub elsewhere: elsewhere::Params,
    pub hollow_days: hollow_days::Params,
    pub overlap: overlap::Params,
    pub group_admission: group_admission::Params,
}

impl Config {
    pub(crate) fn check(&self) -> Result<(), String> {
        self.hollow_days.check()?;
        self.group_admission.check()
    }
}

pub(crate) fn rules(c: &Config) -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(elsewhere::Elsewhere(c.elsewhere.clone())),
        Box::new(hollow_days::HollowDays(c.hollow_days.clone())),
        Box::new(overlap::Overlap(c.overlap.clone())),
        Box::new(group_admission::GroupAdmission(c.group_admission.clone())),
    ]
}
