//! 聚敛盗刷社保卡 card pooling: many insured people's cards collected and swiped at a pharmacy.

use serde::{Deserialize, Serialize};

use super::Rule;
use crate::ctx::Ctx;

pub mod burst;
pub mod identical_baskets;
pub mod off_hours;
pub mod ring;
pub mod two_places;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub burst: burst::Params,
    pub identical_baskets: identical_baskets::Params,
    pub ring: ring::Params,
    pub off_hours: off_hours::Params,
    pub two_places: two_places::Params,
}

impl Config {
    pub(crate) fn check(&self) -> Result<(), String> {
        self.off_hours.check()
    }
}

pub(crate) fn rules(c: &Config) -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(burst::Burst(c.burst.clone())),
        Box::new(identical_baskets::IdenticalBaskets(
            c.identical_baskets.clone(),
        )),
        Box::new(ring::Ring(c.ring.clone())),
        Box::new(off_hours::OffHours(c.off_hours.clone())),
        Box::new(two_places::TwoPlaces(c.two_places.clone())),
    ]
}

/// The live pharmacy settlements among a provider's visits (which come by settlement time).
pub(crate) fn swipes(ctx: &Ctx<'_>, visits: &[u32]) -> Vec<u32> {
    visits
        .iter()
        .copied()
        .filter(|&x| ctx.visit_live[x as usize] && ctx.is_pharmacy_visit(x))
        .collect()
}

/// All live lines of some visits.
pub(crate) fn lines_of(ctx: &Ctx<'_>, visits: &[u32]) -> Vec<u32> {
    visits.iter().flat_map(|&x| ctx.live_lines(x)).collect()
}
