//! 重复收费 duplicate charges: the same service billed more than once, or billed on top of an item
//! that already includes it.

use serde::{Deserialize, Serialize};

use super::Rule;

pub mod daily_cap;
pub mod exact;
pub mod included_item;
pub mod period_cap;
pub mod resubmitted;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub exact: exact::Params,
    pub daily_cap: daily_cap::Params,
    pub included_item: included_item::Params,
    pub period_cap: period_cap::Params,
    pub resubmitted: resubmitted::Params,
}

impl Config {
    pub(crate) fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

pub(crate) fn rules(c: &Config) -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(exact::Exact(c.exact.clone())),
        Box::new(daily_cap::DailyCap(c.daily_cap.clone())),
        Box::new(included_item::IncludedItem(c.included_item.clone())),
        Box::new(period_cap::PeriodCap(c.period_cap.clone())),
        Box::new(resubmitted::Resubmitted(c.resubmitted.clone())),
    ]
}
