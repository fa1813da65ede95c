//! Running the rules over one partition of a month too large for memory.
//!
//! An out-of-core run cuts the month three ways: by patient (a person's whole timeline), by
//! provider (an institution's whole month) and by trace code (every scan of a box). Each rule
//! runs on the partitions of its [`Key`]; a partition holds everything the rule reads about the
//! entities it judges (a provider partition: its providers' visits with all their lines,
//! diagnoses and scans, the patients of those visits, its providers' purchases; every partition:
//! the providers table and the catalogue).
//!
//! What a rule needs beyond its own entities — the peer groups' values, a month's median stay
//! cost, the period the month covers — it asks [`Ctx::population`](crate::Ctx::population) for.
//! The run goes over the partitions in phases: in [`Phase::Collect`] each partition's values are
//! gathered (the rules' hits are thrown away), then merged into one [`Populations`] — twice, the
//! second time with the first's values to look up, so that values computed from the month's
//! statistics are right; in [`Phase::Judge`] every rule sees the month's values and its hits
//! are kept. The same values in
//! another order give the same statistics (every statistic sorts first), so hits are identical to
//! the run of the whole month in memory.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use fundguard_model::Seconds;
use serde::{Deserialize, Serialize};

/// The entity whose partition holds everything a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Key {
    /// A person's settlements, lines and scans (timelines, visits, lines).
    Patient,
    /// An institution's settlements (with their lines, diagnoses, scans and people) and purchases.
    Provider,
    /// Every scan and stock-in of a trace code, with the visits and lines of its sales.
    TraceCode,
}

impl Key {
    pub const ALL: [Key; 3] = [Key::Patient, Key::Provider, Key::TraceCode];

    pub fn as_str(self) -> &'static str {
        match self {
            Key::Patient => "patient",
            Key::Provider => "provider",
            Key::TraceCode => "trace_code",
        }
    }
}

/// The partition key of a rule (every rule of the catalogue has one; a test checks).
pub fn key_of(rule_id: &str) -> Option<Key> {
    let (family, name) = rule_id.split_once('.')?;
    Some(match (family, name) {
        ("bed_hanging", "group_admission") => Key::Provider,
        ("bed_hanging", _) => Key::Patient,
        ("card_pooling", "two_places") => Key::Patient,
        ("card_pooling", _) => Key::Provider,
        ("cost_shifting", _) => Key::Patient,
        ("duplicate_charge", _) => Key::Patient,
        ("excessive_supply", _) => Key::Patient,
        ("impersonation", _) => Key::Patient,
        ("item_swap", _) => Key::Provider,
        ("over_standard_price", _) => Key::Provider,
        ("peer_outlier", _) => Key::Provider,
        ("phantom_service", "after_discharge") => Key::Patient,
        ("phantom_service", _) => Key::Provider,
        ("restricted_item", _) => Key::Patient,
        ("split_admission", "readmission") => Key::Patient,
        ("split_admission", _) => Key::Provider,
        ("admission_standard", _) => Key::Provider,
        ("upcoding", _) => Key::Provider,
        ("trace_code", "missing_share" | "never_stocked") => Key::Provider,
        ("trace_code", _) => Key::TraceCode,
        _ => return None,
    })
}

/// What a rule needs from the whole month beyond its partition (docs/rules.md, docs/outofcore.md).
/// Every rule also takes the month's period (its earliest and latest time) from the month.
pub fn month_needs(rule_id: &str) -> &'static str {
    match rule_id {
        "admission_standard.low_acuity" => {
            "the median cost of the month's whole stays, then its peer group's shares"
        }
        "upcoding.complication_share" => {
            "each main diagnosis' median nights over the month's stays without a complication, \
             then its peer group's shares and medians"
        }
        "phantom_service.cloned_claims" => {
            "how many providers bill each claim signature in the month (standard baskets), then \
             its peer group's shares worked out from every provider's claims"
        }
        "item_swap.peer_share" => {
            "every item's price over the month (which items pair), and every provider's lines of \
             both items of a pair (the peer group's shares)"
        }
        "trace_code.resold" => "how many codes each provider resold itself over the month",
        "phantom_service.doctor_volume" => {
            "nothing beyond its providers: exact when each doctor bills at providers of one \
             partition (the manifest counts doctors seen in several)"
        }
        id if id.starts_with("peer_outlier.")
            || matches!(
                id,
                "trace_code.missing_share"
                    | "admission_standard.waived_copay"
                    | "split_admission.readmission_share"
                    | "upcoding.main_diagnosis"
            ) =>
        {
            "its peer group's values (providers of the same type and level; without a providers \
             table, the month's providers of a kind ranked by size)"
        }
        _ => "nothing beyond its partition",
    }
}

/// Which pass over the partitions this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Gather every partition's values; hits are not kept.
    Collect,
    /// Judge with the month's values.
    Judge,
}

/// Values gathered from the partitions, by the name a rule gave them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Populations {
    /// Numbers (peer values, stay costs …), sorted once merged.
    pub values: BTreeMap<String, Vec<f64>>,
    /// Ranked members (size, text id), sorted once merged.
    pub members: BTreeMap<String, Vec<(u64, String)>>,
    /// Exact sums.
    pub sums: BTreeMap<String, i128>,
    /// Records (text key, two numbers), sorted once merged.
    pub records: BTreeMap<String, Vec<(String, i64, i64)>>,
    /// The earliest and latest time of the partitions (the month's period).
    pub period: Option<(Seconds, Seconds)>,
}

impl Populations {
    /// Adds another partition's values.
    pub fn merge(&mut self, other: Populations) {
        for (k, mut v) in other.values {
            self.values.entry(k).or_default().append(&mut v);
        }
        for (k, mut v) in other.members {
            self.members.entry(k).or_default().append(&mut v);
        }
        for (k, mut v) in other.records {
            self.records.entry(k).or_default().append(&mut v);
        }
        for (k, v) in other.sums {
            *self.sums.entry(k).or_default() += v;
        }
        self.period = match (self.period, other.period) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
    }

    /// Sorts every list, so that lookups and statistics do not depend on the partitions' order.
    pub fn finish(&mut self) {
        for v in self.values.values_mut() {
            v.sort_by(f64::total_cmp);
        }
        for v in self.members.values_mut() {
            v.sort_unstable();
        }
        for v in self.records.values_mut() {
            v.sort_unstable();
        }
    }
}

/// What a partition's run knows of the month.
pub struct Scope {
    pub phase: Phase,
    /// The rules of this key run; the others are skipped.
    pub key: Key,
    /// The month's values ([`Phase::Judge`]).
    pub global: Arc<Populations>,
    /// The month's period while collecting, when known beforehand (the partitioner's; checked
    /// against what the partitions accept).
    pub period: Option<(Seconds, Seconds)>,
    collected: Mutex<Populations>,
    /// Values asked for when judging that no partition gave.
    missing: Mutex<std::collections::BTreeSet<String>>,
}

impl Scope {
    /// The collecting pass over a partition of `key`, with the month's `period` when known and
    /// what an earlier collecting pass gave (`previous`, empty on the first): a value a rule
    /// looks up is the earlier pass's when there is one, so that values worked out from the
    /// month's statistics (a peer value that depends on the month's median stay cost, a peer
    /// group derived from the month's providers) are right on the second pass.
    pub fn collect(
        key: Key,
        period: Option<(Seconds, Seconds)>,
        previous: Arc<Populations>,
    ) -> Scope {
        Scope {
            phase: Phase::Collect,
            key,
            period,
            global: previous,
            collected: Mutex::default(),
            missing: Mutex::default(),
        }
    }

    /// The judging pass, with the month's values (merged and [`finish`](Populations::finish)ed).
    pub fn judge(key: Key, global: Arc<Populations>) -> Scope {
        Scope {
            phase: Phase::Judge,
            key,
            period: global.period,
            global,
            collected: Mutex::default(),
            missing: Mutex::default(),
        }
    }

    /// The first value asked for while judging that the collecting pass did not gather (a rule
    /// compared with the month on partitions that were not collected): the run would be wrong.
    pub fn missing(&self) -> Option<String> {
        self.missing
            .lock()
            .expect("not poisoned")
            .iter()
            .next()
            .cloned()
    }

    pub(crate) fn miss(&self, key: &str) {
        self.missing
            .lock()
            .expect("not poisoned")
            .insert(key.to_string());
    }

    /// What this partition gave in the collecting pass.
    pub fn take(&self) -> Populations {
        std::mem::take(&mut self.collected.lock().expect("not poisoned"))
    }

    pub(crate) fn record(&self, f: impl FnOnce(&mut Populations)) {
        f(&mut self.collected.lock().expect("not poisoned"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_partition_key() {
        for info in crate::infos() {
            assert!(
                key_of(info.id).is_some(),
                "{} has no partition key",
                info.id
            );
        }
    }

    #[test]
    fn merged_values_do_not_depend_on_the_order() {
        let part = |v: Vec<f64>, s: i128, t: (Seconds, Seconds)| Populations {
            values: [("a".to_string(), v)].into(),
            members: BTreeMap::new(),
            records: BTreeMap::new(),
            sums: [("n".to_string(), s)].into(),
            period: Some(t),
        };
        let (x, y) = (
            part(vec![3.0, 1.0], 2, (10, 20)),
            part(vec![2.0], 5, (5, 15)),
        );
        let mut a = Populations::default();
        a.merge(x.clone());
        a.merge(y.clone());
        a.finish();
        let mut b = Populations::default();
        b.merge(y);
        b.merge(x);
        b.finish();
        assert_eq!(a.values["a"], vec![1.0, 2.0, 3.0]);
        assert_eq!(a.values, b.values);
        assert_eq!(a.sums["n"], 7);
        assert_eq!(a.period, Some((5, 20)));
        assert_eq!(b.period, a.period);
    }
}
