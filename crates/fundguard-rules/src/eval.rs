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

/// Reads labels.parquet or decoys.parquet.
pub fn read_cases(path: &Path) -> Result<Vec<Case>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(|e| fail(&e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| fail(&e))?
        .build()
        .map_err(|e| fail(&e))?;
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| fail(&e))?;
        let col = |name: &str| -> Option<&StringArray> {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        };
        let need = |name: &str| col(name).ok_or_else(|| fail(&format!("no text column `{name}`")));
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
