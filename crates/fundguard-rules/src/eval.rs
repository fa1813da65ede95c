//! Detection quality against a generated dump's ground truth (`labels.parquet`, `decoys.parquet`).
//!
//! A labelled case is found when a hit of the same family is about it: the same subject, the same
//! visit, or (for a case about a patient) the same patient. A look-alike is flagged by the same
//! test. Recall is per family and per baseline rule; decoys flagged are counted the same way.

use std::collections::BTreeMap;
use std::path::Path;

use arrow::array::{Array, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;

use crate::write::HitRow;

/// One injected case or look-alike.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub scheme: String,
    /// Baseline rule the case targets (`bed_hanging.1`, …), when the file says.
    pub rule: Option<String>,
    pub subject_type: String,
    pub subject_id: String,
    pub provider_id: Option<String>,
    pub patient_id: Option<String>,
    pub visit_id: Option<String>,
}

/// Every record batch of a Parquet file.
fn batches(path: &Path) -> Result<Vec<arrow::record_batch::RecordBatch>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(|e| fail(&e))?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| fail(&e))?
        .build()
        .map_err(|e| fail(&e))?
        .map(|b| b.map_err(|e| fail(&e)))
        .collect()
}

/// A column of `batch` as the array type `T` (`what` names the type for the message).
fn column<'b, T: 'static>(
    batch: &'b arrow::record_batch::RecordBatch,
    path: &Path,
    name: &str,
    what: &str,
) -> Result<&'b T, String> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| format!("{}: no {what} column `{name}`", path.display()))
}

/// The text list of row `i` (empty when null).
fn text_list(list: &arrow::array::ListArray, i: usize, path: &Path) -> Result<Vec<String>, String> {
    if !list.is_valid(i) {
        return Ok(Vec::new());
    }
    let v = list.value(i);
    let v = v
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| format!("{}: a list column is not a list of text", path.display()))?;
    Ok((0..v.len()).map(|k| v.value(k).to_string()).collect())
}

/// Reads labels.parquet or decoys.parquet.
pub fn read_cases(path: &Path) -> Result<Vec<Case>, String> {
    let mut out = Vec::new();
    for batch in batches(path)? {
        let col = |name: &str| -> Option<&StringArray> {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        };
        let need = |name: &str| column::<StringArray>(&batch, path, name, "text");
        let (scheme, st, sid) = (need("scheme")?, need("subject_type")?, need("subject_id")?);
        let get = |c: Option<&StringArray>, i: usize| {
            c.filter(|c| c.is_valid(i)).map(|c| c.value(i).to_string())
        };
        for i in 0..batch.num_rows() {
            out.push(Case {
                scheme: scheme.value(i).to_string(),
                rule: get(col("rule"), i),
                subject_type: st.value(i).to_string(),
                subject_id: sid.value(i).to_string(),
                provider_id: get(col("provider_id"), i),
                patient_id: get(col("patient_id"), i),
                visit_id: get(col("visit_id"), i),
            });
        }
    }
    Ok(out)
}

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

/// Reads hits.parquet back into rows (the contract's columns).
pub fn read_hits(path: &Path) -> Result<Vec<HitRow>, String> {
    use arrow::array::{Decimal128Array, Float64Array, ListArray};
    let mut out = Vec::new();
    for batch in batches(path)? {
        let text = |name: &str| column::<StringArray>(&batch, path, name, "text");
        let (rule, family, st, sid, prov, pat, vis, ev) = (
            text("rule_id")?,
            text("family")?,
            text("subject_type")?,
            text("subject_id")?,
            text("provider_id")?,
            text("patient_id")?,
            text("visit_id")?,
            text("evidence")?,
        );
        let amount = column::<Decimal128Array>(&batch, path, "amount_at_risk", "decimal")?;
        let severity = column::<Float64Array>(&batch, path, "severity", "float")?;
        let lines = column::<ListArray>(&batch, path, "line_ids", "list")?;
        let opt = |c: &StringArray, i: usize| c.is_valid(i).then(|| c.value(i).to_string());
        for i in 0..batch.num_rows() {
            out.push(HitRow {
                rule_id: rule.value(i).to_string(),
                family: family.value(i).to_string(),
                subject_type: st.value(i).to_string(),
                subject_id: sid.value(i).to_string(),
                provider_id: opt(prov, i),
                patient_id: opt(pat, i),
                visit_id: opt(vis, i),
                line_ids: text_list(lines, i, path)?,
                amount_fen: amount.value(i) as i64,
                severity: severity.value(i),
                evidence: ev.value(i).to_string(),
                p: None,
            });
        }
    }
    Ok(out)
}

/// One lead of a leads.parquet, as evaluation and month-to-month comparison read it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LeadRecord {
    pub rank: i64,
    pub lead_id: String,
    pub subject_type: String,
    pub subject_id: String,
    pub amount_fen: i64,
    pub rule_ids: Vec<String>,
}

/// Every lead of a leads.parquet, by rank.
pub fn read_leads(path: &Path) -> Result<Vec<LeadRecord>, String> {
    use arrow::array::{Decimal128Array, Int64Array, ListArray};
    let mut out = Vec::new();
    for batch in batches(path)? {
        let text = |name: &str| column::<StringArray>(&batch, path, name, "text");
        let rank = column::<Int64Array>(&batch, path, "rank", "integer")?;
        let (id, st, sid) = (text("lead_id")?, text("subject_type")?, text("subject_id")?);
        let amount = column::<Decimal128Array>(&batch, path, "amount_at_risk", "decimal")?;
        let rules = column::<ListArray>(&batch, path, "rule_ids", "list")?;
        for i in 0..batch.num_rows() {
            out.push(LeadRecord {
                rank: rank.value(i),
                lead_id: id.value(i).to_string(),
                subject_type: st.value(i).to_string(),
                subject_id: sid.value(i).to_string(),
                amount_fen: amount.value(i) as i64,
                rule_ids: text_list(rules, i, path)?,
            });
        }
    }
    out.sort();
    Ok(out)
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
