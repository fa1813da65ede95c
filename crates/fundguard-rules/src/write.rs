//! `hits.parquet`, exactly as the data contract defines it.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Decimal128Array, Float64Array, ListBuilder, StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use fundguard_model::Dump;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::config::Language;
use crate::hit::Hit;

/// A hit with its ids decoded to text: the contract's row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HitRow {
    pub rule_id: String,
    pub family: String,
    pub subject_type: String,
    pub subject_id: String,
    pub provider_id: Option<String>,
    pub patient_id: Option<String>,
    pub visit_id: Option<String>,
    pub line_ids: Vec<String>,
    /// Fen (the file holds decimal(16,2) yuan).
    pub amount_fen: i64,
    pub severity: f64,
    pub evidence: String,
}

/// Decodes hits for output.
pub fn hit_rows(dump: &Dump, hits: &[Hit], lang: Language) -> Vec<HitRow> {
    hits.iter().map(|h| row(dump, h, lang)).collect()
}

fn row(dump: &Dump, h: &Hit, lang: Language) -> HitRow {
    let d = &dump.dicts;
    let mut line_ids: Vec<String> = h
        .lines
        .iter()
        .map(|&l| dump.lines.line_id.get(l as usize).to_string())
        .collect();
    line_ids.sort_unstable();
    HitRow {
        rule_id: h.rule.id.to_string(),
        family: h.rule.family.as_str().to_string(),
        subject_type: h.subject.kind().to_string(),
        subject_id: h.subject.id(dump).to_string(),
        provider_id: d.providers.get_opt(h.provider).map(str::to_string),
        patient_id: d.patients.get_opt(h.patient).map(str::to_string),
        visit_id: (h.visit != fundguard_model::NONE)
            .then(|| dump.visits.visit_id.get(h.visit as usize).to_string()),
        line_ids,
        amount_fen: h.amount,
        severity: h.severity,
        evidence: match lang {
            Language::Zh => h.evidence.zh.clone(),
            Language::En => h.evidence.en.clone(),
        },
    }
}

/// Orders hits by decoded text (rule, subject, visit, first line), never by dictionary code or
/// thread timing, so output is identical whatever the input row order and thread count.
pub(crate) fn sort_hits(dump: &Dump, hits: &mut Vec<Hit>) {
    let mut keyed: Vec<_> = std::mem::take(hits)
        .into_iter()
        .map(|h| {
            let r = row(dump, &h, Language::Zh);
            let first_line = r.line_ids.into_iter().next();
            let key = (
                r.rule_id,
                r.subject_type,
                r.subject_id,
                r.visit_id,
                first_line,
                r.evidence,
            );
            (key, h)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    hits.extend(keyed.into_iter().map(|(_, h)| h));
}

/// Orders rows as [`sort_hits`] orders hits (stable, so rows already in that order keep it).
pub(crate) fn sort_rows(rows: &mut [HitRow]) {
    rows.sort_by(|a, b| {
        let key = |r: &HitRow| {
            (
                r.rule_id.clone(),
                r.subject_type.clone(),
                r.subject_id.clone(),
                r.visit_id.clone(),
                r.line_ids.first().cloned(),
            )
        };
        key(a).cmp(&key(b))
    });
}

/// Writes hits.parquet (zstd) with the contract's columns and types.
pub fn write_hits(path: &Path, rows: &[HitRow]) -> Result<(), String> {
    let text = |f: &dyn Fn(&HitRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
    };
    let opt = |f: &dyn Fn(&HitRow) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from_iter(rows.iter().map(f)))
    };
    let mut lines = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
        "item",
        DataType::Utf8,
        true,
    )));
    for r in rows {
        for id in &r.line_ids {
            lines.values().append_value(id);
        }
        lines.append(!r.line_ids.is_empty());
    }
    let amount = Decimal128Array::from_iter_values(rows.iter().map(|r| i128::from(r.amount_fen)))
        .with_precision_and_scale(16, 2)
        .map_err(|e| e.to_string())?;
    let schema = Arc::new(Schema::new(vec![
        Field::new("rule_id", DataType::Utf8, false),
        Field::new("family", DataType::Utf8, false),
        Field::new("subject_type", DataType::Utf8, false),
        Field::new("subject_id", DataType::Utf8, false),
        Field::new("provider_id", DataType::Utf8, true),
        Field::new("patient_id", DataType::Utf8, true),
        Field::new("visit_id", DataType::Utf8, true),
        Field::new(
            "line_ids",
            DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
            true,
        ),
        Field::new("amount_at_risk", DataType::Decimal128(16, 2), false),
        Field::new("severity", DataType::Float64, false),
        Field::new("evidence", DataType::Utf8, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        text(&|r| &r.rule_id),
        text(&|r| &r.family),
        text(&|r| &r.subject_type),
        text(&|r| &r.subject_id),
        opt(&|r| r.provider_id.as_deref()),
        opt(&|r| r.patient_id.as_deref()),
        opt(&|r| r.visit_id.as_deref()),
        Arc::new(lines.finish()),
        Arc::new(amount),
        Arc::new(Float64Array::from_iter_values(
            rows.iter().map(|r| r.severity),
        )),
        text(&|r| &r.evidence),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_created_by(format!("fundguard {}", env!("CARGO_PKG_VERSION")))
        .build();
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| e.to_string())?;
    writer.write(&batch).map_err(|e| e.to_string())?;
    writer.close().map_err(|e| e.to_string())?;
    Ok(())
}
