//! 虚构医疗服务 phantom services: care billed that cannot have been given.

use serde::{Deserialize, Serialize};

use super::Rule;

pub mod after_discharge;
pub mod doctor_volume;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub after_discharge: after_discharge::Params,
    pub doctor_volume: doctor_volume::Params,
}

impl Config {
    pub(crate) fn check(&self) -> Result<(), String> {
        self.doctor_volume.check()
    }
}

pub(crate) fn rules(c: &Config) -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(after_discharge::AfterDischarge(c.after_discharge.clone())),
        Box::new(doctor_volume::DoctorVolume(c.doctor_volume.clone())),
    ]
}
