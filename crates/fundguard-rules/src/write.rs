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
    /// Tail probability of outlier evidence (not written to hits.parquet; scoring uses it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
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
        p: h.p,
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
pub fn write_hits(path: &Path, rows: &[HitRow], meta: &Meta) -> Result<(), String> {
    // Rows by provider (then their run order), so that row-group statistics and bloom filters
    // prune the way analysts query: one institution's hits.
    let mut rows: Vec<&HitRow> = rows.iter().collect();
    rows.sort_by(|a, b| a.provider_id.cmp(&b.provider_id));
    let text = |f: &dyn Fn(&HitRow) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| f(r))))
    };
    let opt = |f: &dyn Fn(&HitRow) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from_iter(rows.iter().map(|r| f(r))))
    };
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
        list_of_text(rows.iter().map(|r| &r.line_ids[..])),
        Arc::new(amount),
        Arc::new(Float64Array::from_iter_values(
            rows.iter().map(|r| r.severity),
        )),
        text(&|r| &r.evidence),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| e.to_string())?;
    write_batch(
        path,
        &batch,
        meta,
        &["subject_id", "provider_id", "patient_id"],
        Some(4),
    )
}

/// Key-value metadata written into every Parquet file of a run (run id, config hash, version).
pub type Meta = [(String, String)];

/// Writes one batch as Parquet for analysts: zstd, page-level statistics (the page index), bloom
/// filters on `bloom` columns, the sort column declared, and `meta` in the footer.
pub(crate) fn write_batch(
    path: &Path,
    batch: &RecordBatch,
    meta: &Meta,
    bloom: &[&str],
    sorted_by: Option<usize>,
) -> Result<(), String> {
    use parquet::file::metadata::{KeyValue, SortingColumn};
    use parquet::file::properties::EnabledStatistics;
    use parquet::schema::types::ColumnPath;
    let mut kv = vec![KeyValue::new(
        "fundguard.version".into(),
        env!("CARGO_PKG_VERSION").to_string(),
    )];
    kv.extend(
        meta.iter()
            .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
    );
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_key_value_metadata(Some(kv))
        .set_created_by(format!("fundguard {}", env!("CARGO_PKG_VERSION")));
    for c in bloom {
        props = props.set_column_bloom_filter_enabled(ColumnPath::from(*c), true);
    }
    if let Some(i) = sorted_by {
        props = props.set_sorting_columns(Some(vec![SortingColumn {
            column_idx: i as i32,
            descending: false,
            nulls_first: false,
        }]));
    }
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props.build()))
        .map_err(|e| e.to_string())?;
    writer.write(batch).map_err(|e| e.to_string())?;
    writer.close().map_err(|e| e.to_string())?;
    Ok(())
}

fn list_of_text<'a>(values: impl Iterator<Item = &'a [String]>) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
        "item",
        DataType::Utf8,
        true,
    )));
    for v in values {
        for s in v {
            b.values().append_value(s);
        }
        b.append(!v.is_empty());
    }
    Arc::new(b.finish())
}

/// Writes leads.parquet: the contract's columns (`rank, lead_id, subject_type, subject_id,
/// provider_id, score, amount_at_risk, hit_count, families, rule_ids, headline`), then `referral`
/// and `status`; rows by rank.
pub fn write_leads(path: &Path, leads: &[crate::leads::Lead], meta: &Meta) -> Result<(), String> {
    let text = |f: &dyn Fn(&crate::leads::Lead) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(leads.iter().map(f)))
    };
    let opt = |f: &dyn Fn(&crate::leads::Lead) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from_iter(leads.iter().map(f)))
    };
    let amount = Decimal128Array::from_iter_values(leads.iter().map(|l| i128::from(l.amount_fen)))
        .with_precision_and_scale(16, 2)
        .map_err(|e| e.to_string())?;
    let list_field = || Arc::new(Field::new("item", DataType::Utf8, true));
    let schema = Arc::new(Schema::new(vec![
        Field::new("rank", DataType::Int64, false),
        Field::new("lead_id", DataType::Utf8, false),
        Field::new("subject_type", DataType::Utf8, false),
        Field::new("subject_id", DataType::Utf8, false),
        Field::new("provider_id", DataType::Utf8, true),
        Field::new("score", DataType::Float64, false),
        Field::new("amount_at_risk", DataType::Decimal128(16, 2), false),
        Field::new("hit_count", DataType::Int64, false),
        Field::new("families", DataType::List(list_field()), true),
        Field::new("rule_ids", DataType::List(list_field()), true),
        Field::new("headline", DataType::Utf8, false),
        Field::new("referral", DataType::Boolean, false),
        Field::new("status", DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(arrow::array::Int64Array::from_iter_values(
            leads.iter().map(|l| i64::from(l.rank)),
        )),
        text(&|l| &l.lead_id),
        text(&|l| &l.subject_type),
        text(&|l| &l.subject_id),
        opt(&|l| l.provider_id.as_deref()),
        Arc::new(Float64Array::from_iter_values(
            leads.iter().map(|l| l.score),
        )),
        Arc::new(amount),
        Arc::new(arrow::array::Int64Array::from_iter_values(
            leads.iter().map(|l| l.hit_count as i64),
        )),
        list_of_text(leads.iter().map(|l| &l.families[..])),
        list_of_text(leads.iter().map(|l| &l.rule_ids[..])),
        text(&|l| &l.headline),
        Arc::new(arrow::array::BooleanArray::from_iter(
            leads.iter().map(|l| Some(l.referral)),
        )),
        opt(&|l| l.status.as_deref()),
    ];
    let batch = RecordBatch::try_new(schema, columns).map_err(|e| e.to_string())?;
    write_batch(
        path,
        &batch,
        meta,
        &["lead_id", "subject_id", "provider_id"],
        Some(0),
    )
}
