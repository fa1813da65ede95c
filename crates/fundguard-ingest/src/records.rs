//! Files of earlier stages read back: a generated dump's labels and look-alikes, a run's
//! hits.parquet and leads.parquet (for `eval` and `--baseline`), and small text files (the
//! configuration, inspectors' feedback) with their encoding detected.

use std::path::Path;

use arrow::array::{Array, StringArray};
use fundguard_model::{Case, HitRow, LeadRecord};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// Most bytes a text file read whole (a configuration or a feedback file) may hold.
pub const MAX_TEXT_FILE: u64 = 64 << 20;

/// A small file's bytes (a key file, say); files above `max` bytes are refused, not read.
pub fn read_bytes(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let fail = |m: String| format!("{}: {m}", path.display());
    let size = std::fs::metadata(path)
        .map_err(|e| fail(e.to_string()))?
        .len();
    if size > max {
        return Err(fail(format!("{size} bytes, more than the {max} expected")));
    }
    std::fs::read(path).map_err(|e| fail(e.to_string()))
}

/// A small text file as a string: UTF-8 (with or without a BOM), else GB18030 as Excel saves it.
/// Files above [`MAX_TEXT_FILE`] are refused, not read.
pub fn read_text(path: &Path) -> Result<String, String> {
    read_bytes(path, MAX_TEXT_FILE).map(|b| fundguard_model::decode_text(&b))
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
        let amount = batch
            .column_by_name("amount")
            .and_then(|c| c.as_any().downcast_ref::<arrow::array::Decimal128Array>());
        if let Some(a) = amount {
            if a.scale() != 2 {
                return Err(format!(
                    "{}: column `amount` is decimal with scale {}, not 2",
                    path.display(),
                    a.scale()
                ));
            }
        }
        for i in 0..batch.num_rows() {
            let amount_fen = amount
                .filter(|a| a.is_valid(i))
                .and_then(|a| i64::try_from(a.value(i)).ok());
            out.push(Case {
                amount_fen,
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
        // Not a contract column: files of other tools (and older runs) have none.
        let doctor = batch
            .column_by_name("doctor_id")
            .and_then(|c| c.as_any().downcast_ref::<StringArray>());
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
                doctor_id: doctor.and_then(|d| opt(d, i)),
                p: None,
            });
        }
    }
    Ok(out)
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
        // Not contract columns: leads of other tools (and older runs) have none.
        let int = |name: &str| {
            batch
                .column_by_name(name)
                .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
        };
        let (ytd, year) = (int("points_ytd"), int("points_year"));
        let get =
            |c: Option<&Int64Array>, i: usize| c.filter(|c| c.is_valid(i)).map(|c| c.value(i));
        for i in 0..batch.num_rows() {
            out.push(LeadRecord {
                points_ytd: get(ytd, i).and_then(|v| u32::try_from(v).ok()),
                points_year: get(year, i).and_then(|v| i32::try_from(v).ok()),
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
