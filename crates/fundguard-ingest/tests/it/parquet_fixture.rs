//! A small Parquet dump with planted bad rows, written with arrow-rs in the types other tools use:
//! millisecond and microsecond timestamps, decimals of several scales, a float price, an integer code.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, TimestampMillisecondArray,
};
use parquet::arrow::ArrowWriter;

fn ms(s: &str) -> i64 {
    fundguard_model::parse_timestamp(s).unwrap() * 1000
}

fn dec(values: &[Option<i128>], scale: i8) -> ArrayRef {
    Arc::new(
        Decimal128Array::from(values.to_vec())
            .with_precision_and_scale(16, scale)
            .unwrap(),
    )
}

fn write_batch(path: &Path, cols: Vec<(&str, ArrayRef)>, row_group: usize) {
    let batch = RecordBatch::try_from_iter(cols).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(row_group))
        .build();
    let mut w = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

pub(crate) fn write(dir: &Path) {
    write_groups(dir, 1 << 20);
}

/// The fixture with row groups of at most `row_group` rows.
pub(crate) fn write_groups(dir: &Path, row_group: usize) {
    let s = |v: &[Option<&str>]| -> ArrayRef { Arc::new(StringArray::from(v.to_vec())) };
    write_batch(
        &dir.join("visits.parquet"),
        vec![
            (
                "visit_id",
                s(&[
                    Some("V1"),
                    Some("V2"),
                    Some("V3"),
                    Some("V4"),
                    Some("V1"),
                    Some("V6"),
                ]),
            ),
            (
                "patient_id",
                s(&[
                    Some("P1"),
                    None,
                    Some("P3"),
                    Some("P4"),
                    Some("P5"),
                    Some("P6"),
                ]),
            ),
            ("provider_id", s(&[Some("H1"); 6])),
            (
                "visit_type",
                s(&[
                    Some("inpatient"),
                    Some("outpatient"),
                    Some("emergency"),
                    Some("inpatient"),
                    Some("outpatient"),
                    Some("outpatient"),
                ]),
            ),
            (
                "admit_time",
                Arc::new(TimestampMillisecondArray::from(vec![
                    ms("2026-03-02 08:00:00"),
                    ms("2026-03-03 09:00:00"),
                    ms("2026-03-03 09:00:00"),
                    ms("2026-03-10 08:00:00"),
                    ms("2026-03-03 09:00:00"),
                    ms("2026-03-03 09:00:00"),
                ])),
            ),
            (
                "discharge_time",
                Arc::new(TimestampMillisecondArray::from(vec![
                    Some(ms("2026-03-05 10:00:00")),
                    None,
                    None,
                    Some(ms("2026-03-09 10:00:00")),
                    None,
                    None,
                ])),
            ),
            (
                "total_amount",
                dec(
                    &[
                        Some(300_000),
                        Some(15_000),
                        Some(1_000),
                        Some(1_000),
                        Some(1_000),
                        Some(12_345),
                    ],
                    3,
                ),
            ),
            (
                "is_refund",
                Arc::new(BooleanArray::from(vec![
                    Some(false),
                    None,
                    None,
                    None,
                    None,
                    None,
                ])),
            ),
        ],
        row_group,
    );
    write_batch(
        &dir.join("line_items.parquet"),
        vec![
            (
                "line_id",
                s(&[Some("L1"), Some("L2"), Some("L3"), Some("L1"), Some("L5")]),
            ),
            (
                "visit_id",
                s(&[Some("V1"), Some("V1"), Some("V9"), Some("V1"), Some("V1")]),
            ),
            ("item_code", s(&[Some("001109000010000"); 5])),
            (
                "charge_category",
                Arc::new(Int64Array::from(vec![1, 1, 1, 1, 1])),
            ),
            (
                "charge_time",
                Arc::new(TimestampMicrosecondArray::from(vec![
                    ms(
                        "2026-03-02 08:00:00"
                    ) * 1000;
                    5
                ])),
            ),
            (
                "quantity",
                dec(
                    &[
                        Some(30_000),
                        Some(10_000),
                        Some(10_000),
                        Some(10_000),
                        Some(10_000),
                    ],
                    4,
                ),
            ),
            (
                "unit_price",
                Arc::new(Float64Array::from(vec![50.0, 50.0, 50.0, 50.0, 50.0])),
            ),
            (
                "amount",
                dec(
                    &[
                        Some(15_000),
                        Some(9_900),
                        Some(5_000),
                        Some(5_000),
                        Some(5_000),
                    ],
                    2,
                ),
            ),
        ],
        row_group,
    );
}
