//! Detection quality against a generated dump's ground truth (`labels.parquet`, `decoys.parquet`).
//!
//! A labelled case is found when a hit of the same family is about it: the same subject, the same
//! visit, or (for a case about a patient) the same patient. A look-alike is flagged by the same
//! test. Recall is per family and per baseline rule; decoys flagged are counted the same way.

use std::collections::BTreeMap;

use fundguard_model::{Case, HitRow, LeadRecord};
use serde::Serialize;

/// Is `hit` about `case`?
pub fn matches(case: &Case, hit: &HitRow) -> bool {
    hit.family == case.scheme
        && ((hit.subject_type == case.subject_type && hit.subject_id == case.subject_id)
            || (case.visit_id.is_some() && hit.visit_id == case.visit_id)
            || (case.subject_type == "patient" && hit.patient_id == case.patient_id)
            || (case.subject_type == "provider"
                && hit.subject_type == "provider"
                && hit.provider_id.as_deref() == Some(case.subject_id.as_str())))
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

/// Tallies `cases` against `hits`, keyed by `key(case)`.
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
    /// Cases some hit is about.
    pub found: usize,
    /// Cases some lead holds a hit about.
    pub in_leads: usize,
    pub decoys: usize,
    pub decoys_flagged: usize,
}

/// What `fundguard eval` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub families: BTreeMap<String, FamilyQuality>,
    /// (K, share of the top K leads that hold a hit about an injected case).
    pub precision_at: Vec<(usize, f64)>,
    pub leads: usize,
    pub hits: usize,
    /// Hits about no injected case, by rule.
    pub unlabelled_hits: BTreeMap<String, usize>,
}

/// Scores a run against a generated dump's truth.
pub fn evaluate(
    hits: &[HitRow],
    leads: &[LeadRecord],
    labels: &[Case],
    decoys: &[Case],
    ks: &[usize],
) -> Evaluation {
    let mut by_family: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, h) in hits.iter().enumerate() {
        by_family.entry(h.family.as_str()).or_default().push(i);
    }
    let about = |c: &Case| -> Vec<usize> {
        by_family
            .get(c.scheme.as_str())
            .map(|hs| {
                hs.iter()
                    .copied()
                    .filter(|&i| matches(c, &hits[i]))
                    .collect()
            })
            .unwrap_or_default()
    };
    let lead_of: std::collections::BTreeSet<(String, String)> = leads
        .iter()
        .map(|l| (l.subject_type.clone(), l.subject_id.clone()))
        .collect();
    let mut true_hit = vec![false; hits.len()];
    let mut families: BTreeMap<String, FamilyQuality> = BTreeMap::new();
    for c in labels {
        let f = families.entry(c.scheme.clone()).or_default();
        f.cases += 1;
        let found = about(c);
        if !found.is_empty() {
            f.found += 1;
        }
        if found.iter().any(|&i| {
            let (t, id) = crate::leads::lead_subject(&hits[i]);
            lead_of.contains(&(t.to_string(), id.to_string()))
        }) {
            f.in_leads += 1;
        }
        for i in found {
            true_hit[i] = true;
        }
    }
    for c in decoys {
        let f = families.entry(c.scheme.clone()).or_default();
        f.decoys += 1;
        if !about(c).is_empty() {
            f.decoys_flagged += 1;
        }
    }
    let mut true_lead: std::collections::BTreeSet<(&str, &str)> = Default::default();
    let mut unlabelled_hits: BTreeMap<String, usize> = BTreeMap::new();
    for (i, h) in hits.iter().enumerate() {
        if true_hit[i] {
            true_lead.insert(crate::leads::lead_subject(h));
        } else {
            *unlabelled_hits.entry(h.rule_id.clone()).or_default() += 1;
        }
    }
    let precision_at = ks
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
        precision_at,
        leads: leads.len(),
        hits: hits.len(),
        unlabelled_hits,
    }
}
