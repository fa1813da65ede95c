//! `hits.parquet` and `leads.parquet`, exactly as the data contract defines them, written for
//! analysts (zstd, page statistics, bloom filters on ids, the run id in the footer).

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Decimal128Array, Float64Array, ListBuilder, StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use fundguard_model::HitRow;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use fundguard_scoring::Lead;

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
    let amount = decimal_16_2(rows.iter().map(|r| r.amount_fen), "hits")?;
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
        Field::new("doctor_id", DataType::Utf8, true),
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
        opt(&|r| r.doctor_id.as_deref()),
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

/// Fen as the contract's `decimal(16,2)`: a value of 16 digits or more is an error, never a
/// column that readers cannot read back.
fn decimal_16_2(fen: impl Iterator<Item = i64>, what: &str) -> Result<Decimal128Array, String> {
    let values: Vec<i128> = fen.map(i128::from).collect();
    if let Some(v) = values
        .iter()
        .find(|v| !fundguard_model::fits_decimal_16(**v))
    {
        return Err(format!(
            "an amount of {v} fen in {what} does not fit the contract's decimal(16,2)"
        ));
    }
    Decimal128Array::from_iter_values(values)
        .with_precision_and_scale(16, 2)
        .map_err(|e| e.to_string())
}

/// Key-value metadata written into every Parquet file of a run (run id, config hash, version).
pub type Meta = [(String, String)];

/// Writes one batch as Parquet for analysts: zstd, page-level statistics (the page index), bloom
/// filters on `bloom` columns, the sort column declared, and `meta` in the footer.
pub fn write_batch(
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
/// provider_id, score, amount_at_risk, hit_count, families, rule_ids, headline`), then `referral`,
/// `status` and, for doctor leads, `points`, `points_ytd` and `points_year`; rows by rank.
pub fn write_leads(path: &Path, leads: &[Lead], meta: &Meta) -> Result<(), String> {
    let text = |f: &dyn Fn(&Lead) -> &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(leads.iter().map(f)))
    };
    let opt = |f: &dyn Fn(&Lead) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from_iter(leads.iter().map(f)))
    };
    let int = |f: &dyn Fn(&Lead) -> Option<i64>| -> ArrayRef {
        Arc::new(arrow::array::Int64Array::from_iter(leads.iter().map(f)))
    };
    let amount = decimal_16_2(leads.iter().map(|l| l.amount_fen), "leads")?;
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
        Field::new("points", DataType::Int64, true),
        Field::new("points_ytd", DataType::Int64, true),
        Field::new("points_year", DataType::Int64, true),
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
        int(&|l| l.points.map(i64::from)),
        int(&|l| l.points_ytd.map(i64::from)),
        int(&|l| l.points_year.map(i64::from)),
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

#[cfg(test)]
mod tests {
    use arrow::datatypes::DataType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    use super::*;

    #[test]
    fn hits_parquet_has_the_contract_schema() {
        let dir = std::env::temp_dir().join(format!("fg-report-hits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hits.parquet");
        let rows = vec![
            HitRow {
                rule_id: "duplicate_charge.exact".into(),
                family: "duplicate_charge".into(),
                subject_type: "visit".into(),
                subject_id: "0001".into(),
                provider_id: Some("H1".into()),
                patient_id: Some("007".into()),
                visit_id: Some("0001".into()),
                line_ids: vec!["0001-2".into(), "0001-3".into()],
                amount_fen: 123_456,
                severity: 0.7,
                evidence: "同一次就诊内相同明细重复计费".into(),
                doctor_id: None,
                p: None,
            },
            HitRow {
                rule_id: "card_pooling.burst".into(),
                family: "card_pooling".into(),
                subject_type: "provider".into(),
                subject_id: "P9".into(),
                provider_id: Some("P9".into()),
                patient_id: None,
                visit_id: None,
                line_ids: vec![],
                amount_fen: -5,
                severity: 0.85,
                evidence: "burst".into(),
                doctor_id: None,
                p: Some(1e-9),
            },
        ];
        write_hits(&path, &rows, &[("fundguard.run_id".into(), "abc".into())]).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let schema = reader.schema().clone();
        let expect = [
            ("rule_id", DataType::Utf8),
            ("family", DataType::Utf8),
            ("subject_type", DataType::Utf8),
            ("subject_id", DataType::Utf8),
            ("provider_id", DataType::Utf8),
            ("patient_id", DataType::Utf8),
            ("visit_id", DataType::Utf8),
            ("amount_at_risk", DataType::Decimal128(16, 2)),
            ("severity", DataType::Float64),
            ("evidence", DataType::Utf8),
        ];
        for (name, ty) in expect {
            assert_eq!(
                schema.field_with_name(name).unwrap().data_type(),
                &ty,
                "{name}"
            );
        }
        assert!(matches!(
            schema.field_with_name("line_ids").unwrap().data_type(),
            DataType::List(f) if f.data_type() == &DataType::Utf8
        ));
        // The contract's eleven, then the doctor whose evidence the hit is.
        assert_eq!(schema.fields().len(), 12);
        assert_eq!(schema.field(11).name(), "doctor_id");
        let batch = reader.build().unwrap().next().unwrap().unwrap();
        let amount = batch
            .column_by_name("amount_at_risk")
            .unwrap()
            .as_any()
            .downcast_ref::<arrow::array::Decimal128Array>()
            .unwrap();
        assert_eq!(amount.value_as_string(0), "1234.56");
        assert_eq!(amount.value_as_string(1), "-0.05");
        let mut huge = rows[1].clone();
        huge.amount_fen = 10_000_000_000_000_000;
        let e = write_hits(&path, &[huge], &[]).unwrap_err();
        assert!(
            e.contains("does not fit the contract's decimal(16,2)"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
