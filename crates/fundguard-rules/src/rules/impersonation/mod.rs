//! 冒名就医 impersonation: someone other than the card holder receives the care.

use serde::{Deserialize, Serialize};

use super::Rule;

pub mod after_death;
pub mod restricted_person;
pub mod simultaneous;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub after_death: after_death::Params,
    pub restricted_person: restricted_person::Params,
    pub simultaneous: crate::rules::card_pooling::two_places::Params,
}

impl Config {
    pub(crate) fn check(&self) -> Result<(), String> {
        self.restricted_person.check()
    }
}

pub(crate) fn rules(c: &Config) -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(after_death::AfterDeath(c.after_death.clone())),
        Box::new(restricted_person::RestrictedPerson(
            c.restricted_person.clone(),
        )),
        Box::new(simultaneous::Simultaneous(c.simultaneous.clone())),
    ]
}
