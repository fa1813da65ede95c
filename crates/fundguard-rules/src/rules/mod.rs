//! The rule catalogue: one module per family, one file per rule.
//!
//! Each rule file holds the rule's [`RuleInfo`] (names, what it flags, why it matters, how the
//! amount is computed, an example, its parameters), its `Params` with their defaults, the sweep
//! itself and its unit tests; its data-driven cases (`<rule>.case`, a tiny dump that must fire and
//! the look-alike that must not) sit beside it and run from `tests/it`.

use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::registry::RuleInfo;

pub mod bed_hanging;
pub mod card_pooling;
pub mod duplicate_charge;
pub mod excessive_supply;
pub mod impersonation;
pub mod item_swap;
pub mod over_standard_price;
pub mod peer_outlier;
pub mod phantom_service;
pub mod restricted_item;
pub mod split_admission;

/// A rule: reads the shared indexes, returns its hits. Runs concurrently with the other rules.
pub trait Rule: Send + Sync {
    fn info(&self) -> &'static RuleInfo;
    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit>;
}

/// Parameters of every rule, `[rules.<family>.<name>]` in the configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesConfig {
    pub bed_hanging: bed_hanging::Config,
    pub duplicate_charge: duplicate_charge::Config,
    pub item_swap: item_swap::Config,
    pub card_pooling: card_pooling::Config,
    pub split_admission: split_admission::Config,
    pub impersonation: impersonation::Config,
    pub restricted_item: restricted_item::Config,
    pub over_standard_price: over_standard_price::Config,
    pub phantom_service: phantom_service::Config,
    pub excessive_supply: excessive_supply::Config,
    pub peer_outlier: peer_outlier::Config,
}

impl RulesConfig {
    pub(crate) fn check(&self) -> Result<(), String> {
        self.bed_hanging.check()?;
        self.duplicate_charge.check()?;
        self.item_swap.check()?;
        self.card_pooling.check()?;
        self.split_admission.check()?;
        self.impersonation.check()?;
        self.restricted_item.check()?;
        self.over_standard_price.check()?;
        self.phantom_service.check()?;
        self.excessive_supply.check()?;
        self.peer_outlier.check()
    }
}

/// Every rule, configured.
pub fn catalogue(cfg: &RulesConfig) -> Vec<Box<dyn Rule>> {
    let mut all = bed_hanging::rules(&cfg.bed_hanging);
    all.extend(duplicate_charge::rules(&cfg.duplicate_charge));
    all.extend(item_swap::rules(&cfg.item_swap));
    all.extend(card_pooling::rules(&cfg.card_pooling));
    all.extend(split_admission::rules(&cfg.split_admission));
    all.extend(impersonation::rules(&cfg.impersonation));
    all.extend(restricted_item::rules(&cfg.restricted_item));
    all.extend(over_standard_price::rules(&cfg.over_standard_price));
    all.extend(phantom_service::rules(&cfg.phantom_service));
    all.extend(excessive_supply::rules(&cfg.excessive_supply));
    all.extend(peer_outlier::rules(&cfg.peer_outlier));
    all
}

/// What is known about every rule, in catalogue order.
pub fn infos() -> Vec<&'static RuleInfo> {
    catalogue(&RulesConfig::default())
        .iter()
        .map(|r| r.info())
        .collect()
}

/// Formatting shared by evidence sentences.
pub(crate) mod fmt {
    use fundguard_model::{day_of, yuan, Date, Days, Fen, Seconds, Ts};

    pub fn money(fen: Fen) -> String {
        yuan(fen).to_string()
    }

    /// A scale-4 quantity without trailing zeros (`20000` → `2`, `25000` → `2.5`).
    pub fn qty(q: i64) -> String {
        let s = fundguard_model::Scaled(q, fundguard_model::QTY_SCALE).to_string();
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }

    pub fn day(d: Days) -> String {
        Date(d).to_string()
    }

    pub fn date_of(t: Seconds) -> String {
        Date(day_of(t)).to_string()
    }

    pub fn time(t: Seconds) -> String {
        Ts(t).to_string()
    }

    /// `HH:MM:SS` of a timestamp.
    pub fn clock(t: Seconds) -> String {
        Ts(t).to_string()[11..].to_string()
    }

    /// Up to `n` items joined, with "…" when there were more.
    pub fn list<T: AsRef<str>>(items: &[T], n: usize, sep: &str) -> String {
        let mut s: Vec<&str> = items.iter().take(n).map(AsRef::as_ref).collect();
        if items.len() > n {
            s.push("…");
        }
        s.join(sep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_named_after_their_family() {
        let infos = infos();
        let mut ids: Vec<&str> = infos.iter().map(|i| i.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), infos.len());
        for i in &infos {
            let (family, name) = i.id.split_once('.').unwrap();
            assert_eq!(family, i.family.as_str(), "{}", i.id);
            assert!(!name.is_empty() && !name.contains('.'));
            assert!((0.0..=1.0).contains(&i.severity));
        }
    }

    #[test]
    fn every_parameter_is_documented_and_every_documented_one_exists() {
        let cfg = crate::Config::default();
        for i in infos() {
            let params = cfg.params_of(i.id).unwrap_or_else(|| panic!("{}", i.id));
            let mut have: Vec<&str> = params.keys().map(String::as_str).collect();
            let mut documented: Vec<&str> = i.params.iter().map(|p| p.name).collect();
            have.sort_unstable();
            documented.sort_unstable();
            assert_eq!(have, documented, "{}", i.id);
        }
    }
}
