//! Detection quality against a generated dump's ground truth (`labels.parquet`, `decoys.parquet`).
//!
//! A labelled case is found when a hit of the rule it was injected for is about it (the case's
//! `rule`, when the run knows that rule; otherwise any rule of its family): the same subject, the
//! same visit, the same patient (a case about a patient), or any hit at the provider (a case about
//! a provider). A look-alike is flagged by the
//! same test. A found case's amount is the money of the hits about it, each line counted once
//! ([`amount_once`]); it is right when within the tolerance of the label's amount. A hit is true
//! when it is about the subject of some injected case, of any family: the rule's precision is the
//! share of its hits that are true, and a lead is true when it holds a true hit.

use std::collections::{BTreeMap, BTreeSet};

use fundguard_model::{Case, HitRow, LeadRecord};
use serde::Serialize;

use crate::leads::amount_once;

/// Is `hit` about `case`'s subject, by a rule of the case's family (whatever the rule)? See
/// [`same_subject`].
pub fn matches(case: &Case, hit: &HitRow) -> bool {
    hit.family == case.scheme && same_subject(case, hit)
}

/// Is `hit` about `case`'s subject, whatever the rule? The same subject, the same visit, the
/// case's patient (a case about a patient), or any hit at the case's provider (a case about a
/// provider: its scheme, or its honest habit for a look-alike, shows in any of its visits).
pub fn same_subject(case: &Case, hit: &HitRow) -> bool {
    (hit.subject_type == case.subject_type && hit.subject_id == case.subject_id)
        || (case.visit_id.is_some() && hit.visit_id == case.visit_id)
        || (case.subject_type == "patient" && hit.patient_id == case.patient_id)
        || (case.subject_type == "provider"
            && hit.provider_id.as_deref() == Some(case.subject_id.as_str()))
}

/// Cases and how many of them some hit matched, per key.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    pub cases: usize,
    pub matched: usize,
}

impl Tally {
    pub fn share(&self) -> f64 {
        if self.cases == 0 {
            f64::NAN
        } else {
            self.matched as f64 / self.cases as f64
        }
    }
}

/// Tallies `cases` against `hits` (any rule of a case's family), keyed by `key(case)`.
pub fn tally(
    cases: &[Case],
    hits: &[HitRow],
    key: impl Fn(&Case) -> String,
) -> BTreeMap<String, Tally> {
    let mut by_family: BTreeMap<&str, Vec<&HitRow>> = BTreeMap::new();
    for h in hits {
        by_family.entry(h.family.as_str()).or_default().push(h);
    }
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for c in cases {
        let t = out.entry(key(c)).or_default();
        t.cases += 1;
        let found = by_family
            .get(c.scheme.as_str())
            .is_some_and(|hs| hs.iter().any(|h| matches(c, h)));
        if found {
            t.matched += 1;
        }
    }
    out
}

/// Quality of one family.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FamilyQuality {
    pub cases: usize,
    /// Cases a hit of their rule is about.
    pub found: usize,
    /// Cases some lead holds a hit about.
    pub in_leads: usize,
    pub decoys: usize,
    pub decoys_flagged: usize,
}

/// Quality of one rule: the cases injected for it, the look-alikes made to imitate it, its hits.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RuleQuality {
    pub cases: usize,
    pub found: usize,
    /// Found cases whose label states an amount above zero.
    pub amount_checked: usize,
    /// Of those, amounts within the tolerance.
    pub amount_ok: usize,
    /// Median of |found − labelled| / labelled over the checked cases.
    pub amount_error_median: Option<f64>,
    pub decoys: usize,
    pub decoys_flagged: usize,
    pub hits: usize,
    /// Hits about the subject of some injected case (of any family).
    pub hits_true: usize,
}

/// How to evaluate.
#[derive(Debug, Clone)]
pub struct EvalConfig {
    /// Precision is reported for the top K leads at each K.
    pub ks: Vec<usize>,
    /// A found amount is right within this share of the label's amount.
    pub amount_tolerance: f64,
    /// The rule ids the run knows: a case whose `rule` is one of them must be found by that rule.
    pub rules: BTreeSet<String>,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            ks: vec![10, 50, 100],
            amount_tolerance: 0.10,
            rules: BTreeSet::new(),
        }
    }
}

/// What `fundguard eval` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub families: BTreeMap<String, FamilyQuality>,
    pub rules: BTreeMap<String, RuleQuality>,
    pub amount_tolerance: f64,
    /// (K, share of the top K leads that hold a true hit).
    pub precision_at: Vec<(usize, f64)>,
    pub leads: usize,
    pub hits: usize,
    /// Hits about no injected case, by rule.
    pub unlabelled_hits: BTreeMap<String, usize>,
}

impl Evaluation {
    /// Share of found cases, over all cases, by family; `None` for a family without cases.
    pub fn recall(&self, family: &str) -> Option<f64> {
        let f = self.families.get(family)?;
        (f.cases > 0).then(|| f.found as f64 / f.cases as f64)
    }

    /// Look-alikes flagged over all look-alikes.
    pub fn decoys_flagged_share(&self) -> f64 {
        let (n, k) = self
            .families
            .values()
            .fold((0, 0), |(n, k), f| (n + f.decoys, k + f.decoys_flagged));
        if n == 0 {
            0.0
        } else {
            k as f64 / n as f64
        }
    }

    /// Found cases with a checked amount within the tolerance, over all checked ones.
    pub fn amounts_ok_share(&self) -> f64 {
        let (n, k) = self
            .rules
            .values()
            .fold((0, 0), |(n, k), r| (n + r.amount_checked, k + r.amount_ok));
        if n == 0 {
            1.0
        } else {
            k as f64 / n as f64
        }
    }
}

/// The hits that are about `case`, by its rule when the run knows it, else by its family.
fn about(case: &Case, hits: &[HitRow], index: &Index<'_>, rules: &BTreeSet<String>) -> Vec<usize> {
    let pool = match case.rule.as_deref() {
        Some(r) if rules.contains(r) => index.by_rule.get(r),
        _ => index.by_family.get(case.scheme.as_str()),
    };
    pool.map(|hs| {
        hs.iter()
            .copied()
            .filter(|&i| matches(case, &hits[i]))
            .collect()
    })
    .unwrap_or_default()
}

/// The injected cases' subjects, indexed by what a hit can be matched on: whether a hit is about
/// any of them looks at a few candidates, not every label.
pub struct Truth<'a> {
    labels: &'a [Case],
    by_subject: BTreeMap<(&'a str, &'a str), Vec<usize>>,
    by_visit: BTreeMap<&'a str, Vec<usize>>,
    by_patient: BTreeMap<&'a str, Vec<usize>>,
    by_provider: BTreeMap<&'a str, Vec<usize>>,
}

impl<'a> Truth<'a> {
    pub fn new(labels: &'a [Case]) -> Self {
        let mut s = Truth {
            labels,
            by_subject: BTreeMap::new(),
            by_visit: BTreeMap::new(),
            by_patient: BTreeMap::new(),
            by_provider: BTreeMap::new(),
        };
        for (i, c) in labels.iter().enumerate() {
            s.by_subject
                .entry((c.subject_type.as_str(), c.subject_id.as_str()))
                .or_default()
                .push(i);
            if let Some(v) = &c.visit_id {
                s.by_visit.entry(v.as_str()).or_default().push(i);
            }
            if let Some(p) = &c.patient_id {
                s.by_patient.entry(p.as_str()).or_default().push(i);
            }
            if c.subject_type == "provider" {
                s.by_provider
                    .entry(c.subject_id.as_str())
                    .or_default()
                    .push(i);
            }
        }
        s
    }

    /// Is `hit` about some label's subject (any family, see [`same_subject`])?
    pub fn about(&self, hit: &HitRow) -> bool {
        let candidates = [
            self.by_subject
                .get(&(hit.subject_type.as_str(), hit.subject_id.as_str())),
            hit.visit_id.as_deref().and_then(|v| self.by_visit.get(v)),
            hit.patient_id
                .as_deref()
                .and_then(|p| self.by_patient.get(p)),
            hit.provider_id
                .as_deref()
                .and_then(|p| self.by_provider.get(p)),
        ];
        candidates
            .into_iter()
            .flatten()
            .flatten()
            .any(|&i| same_subject(&self.labels[i], hit))
    }
}

struct Index<'a> {
    by_rule: BTreeMap<&'a str, Vec<usize>>,
    by_family: BTreeMap<&'a str, Vec<usize>>,
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    Some(if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    })
}

/// Scores a run against a generated dump's truth.
pub fn evaluate(
    hits: &[HitRow],
    leads: &[LeadRecord],
    labels: &[Case],
    decoys: &[Case],
    cfg: &EvalConfig,
) -> Evaluation {
    let mut index = Index {
        by_rule: BTreeMap::new(),
        by_family: BTreeMap::new(),
    };
    for (i, h) in hits.iter().enumerate() {
        index.by_rule.entry(h.rule_id.as_str()).or_default().push(i);
        index
            .by_family
            .entry(h.family.as_str())
            .or_default()
            .push(i);
    }
    let lead_of: BTreeSet<(&str, &str)> = leads
        .iter()
        .map(|l| (l.subject_type.as_str(), l.subject_id.as_str()))
        .collect();
    let rule_key = |c: &Case| c.rule.clone().unwrap_or_else(|| c.scheme.clone());
    let mut families: BTreeMap<String, FamilyQuality> = BTreeMap::new();
    let mut rules: BTreeMap<String, RuleQuality> = BTreeMap::new();
    let mut errors: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for c in labels {
        let f = families.entry(c.scheme.clone()).or_default();
        let r = rules.entry(rule_key(c)).or_default();
        f.cases += 1;
        r.cases += 1;
        let found = about(c, hits, &index, &cfg.rules);
        if found.is_empty() {
            continue;
        }
        f.found += 1;
        r.found += 1;
        if found
            .iter()
            .any(|&i| lead_of.contains(&crate::leads::lead_subject(&hits[i])))
        {
            f.in_leads += 1;
        }
        if let Some(want) = c.amount_fen.filter(|&a| a > 0) {
            let got = amount_once(hits, &found);
            let error = (got - want).unsigned_abs() as f64 / want as f64;
            r.amount_checked += 1;
            if error <= cfg.amount_tolerance {
                r.amount_ok += 1;
            }
            errors.entry(rule_key(c)).or_default().push(error);
        }
    }
    for (rule, e) in errors {
        rules
            .get_mut(&rule)
            .expect("a rule with cases")
            .amount_error_median = median(e);
    }
    for c in decoys {
        let f = families.entry(c.scheme.clone()).or_default();
        let r = rules.entry(rule_key(c)).or_default();
        f.decoys += 1;
        r.decoys += 1;
        if !about(c, hits, &index, &cfg.rules).is_empty() {
            f.decoys_flagged += 1;
            r.decoys_flagged += 1;
        }
    }
    // A hit is true when it is about an injected case's subject, of any family: a stay doubled
    // by an overlap also breaks the daily bed-fee cap, and that hit is as true as the overlap's.
    let truth = Truth::new(labels);
    let mut true_lead: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut unlabelled_hits: BTreeMap<String, usize> = BTreeMap::new();
    for h in hits {
        let good = truth.about(h);
        let r = rules.entry(h.rule_id.clone()).or_default();
        r.hits += 1;
        if good {
            r.hits_true += 1;
            true_lead.insert(crate::leads::lead_subject(h));
            // The doctor's lead holds it too, when he has one, and so does its provider's lead
            // when that rolls up its patients' evidence.
            if let Some(d) = &h.doctor_id {
                true_lead.insert(("doctor", d.as_str()));
            }
            if let Some(p) = crate::leads::rolled_provider(h) {
                true_lead.insert(("provider", p));
            }
        } else {
            *unlabelled_hits.entry(h.rule_id.clone()).or_default() += 1;
        }
    }
    let precision_at = cfg
        .ks
        .iter()
        .map(|&k| {
            let top = leads.iter().take(k);
            let n = top.clone().count();
            let good = top
                .filter(|l| true_lead.contains(&(l.subject_type.as_str(), l.subject_id.as_str())))
                .count();
            (
                k,
                if n == 0 {
                    f64::NAN
                } else {
                    good as f64 / n as f64
                },
            )
        })
        .collect();
    Evaluation {
        families,
        rules,
        amount_tolerance: cfg.amount_tolerance,
        precision_at,
        leads: leads.len(),
        hits: hits.len(),
        unlabelled_hits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(rule: &str, subject: &str, amount: i64) -> Case {
        Case {
            scheme: rule.split('.').next().unwrap().into(),
            rule: Some(rule.into()),
            subject_type: "provider".into(),
            subject_id: subject.into(),
            provider_id: Some(subject.into()),
            patient_id: None,
            visit_id: None,
            amount_fen: Some(amount),
        }
    }

    fn hit(rule: &str, subject: &str, amount: i64) -> HitRow {
        HitRow {
            rule_id: rule.into(),
            family: rule.split('.').next().unwrap().into(),
            subject_type: "provider".into(),
            subject_id: subject.into(),
            provider_id: Some(subject.into()),
            patient_id: None,
            visit_id: None,
            line_ids: Vec::new(),
            amount_fen: amount,
            severity: 0.7,
            evidence: String::new(),
            doctor_id: None,
            p: None,
        }
    }

    #[test]
    fn a_case_is_found_by_its_own_rule_with_its_amount() {
        let cfg = EvalConfig {
            rules: ["card_pooling.burst", "card_pooling.off_hours"]
                .map(String::from)
                .into(),
            ..EvalConfig::default()
        };
        let labels = [
            case("card_pooling.burst", "P1", 10_000),
            case("card_pooling.burst", "P2", 10_000),
            case("card_pooling.burst", "P3", 10_000),
        ];
        let hits = [
            // P1: its rule, amount 5% off.
            hit("card_pooling.burst", "P1", 10_500),
            // P2: only another rule of the family: not found, but a true hit.
            hit("card_pooling.off_hours", "P2", 10_000),
            // P3: its rule, amount 50% off.
            hit("card_pooling.burst", "P3", 5_000),
            // An honest pharmacy.
            hit("card_pooling.burst", "P9", 1_000),
        ];
        let e = evaluate(&hits, &[], &labels, &[], &cfg);
        let burst = &e.rules["card_pooling.burst"];
        assert_eq!((burst.cases, burst.found), (3, 2));
        assert_eq!((burst.amount_checked, burst.amount_ok), (2, 1));
        assert_eq!(burst.amount_error_median, Some(0.275));
        assert_eq!((burst.hits, burst.hits_true), (3, 2));
        assert_eq!(e.rules["card_pooling.off_hours"].hits_true, 1);
        assert_eq!(e.families["card_pooling"].found, 2);
        assert_eq!(e.unlabelled_hits["card_pooling.burst"], 1);
        // A run that does not know the rule falls back to the family.
        let e = evaluate(&hits, &[], &labels, &[], &EvalConfig::default());
        assert_eq!(e.families["card_pooling"].found, 3);
    }
}
