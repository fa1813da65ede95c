//! `rejects.parquet`: every input row that was not accepted, with where it was and why.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::{IngestError, Reject};

/// Writes the rejects (possibly none) as Parquet with columns `table`, `file`, `row`, `line`,
/// `column`, `value`, `reason`.
pub fn write_rejects(path: &Path, rejects: &[Reject]) -> Result<(), IngestError> {
    let fail = |message: String| IngestError::Write {
        path: path.to_path_buf(),
        message,
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("table", DataType::Utf8, false),
        Field::new("file", DataType::Utf8, false),
        Field::new("row", DataType::Int64, false),
        Field::new("line", DataType::Int64, true),
        Field::new("column", DataType::Utf8, true),
        Field::new("value", DataType::Utf8, true),
        Field::new("reason", DataType::Utf8, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            rejects.iter().map(|r| r.table.name()),
        )),
        Arc::new(StringArray::from_iter_values(
            rejects.iter().map(|r| r.file.display().to_string()),
        )),
        Arc::new(Int64Array::from_iter_values(
            rejects.iter().map(|r| r.row as i64),
        )),
        Arc::new(Int64Array::from_iter(
            rejects.iter().map(|r| r.line.map(|l| l as i64)),
        )),
        Arc::new(StringArray::from_iter(
            rejects.iter().map(|r| r.column.as_deref()),
        )),
        Arc::new(StringArray::from_iter(
            rejects.iter().map(|r| r.value.as_deref()),
        )),
        Arc::new(StringArray::from_iter_values(
            rejects.iter().map(|r| r.reason.as_str()),
        )),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).map_err(|e| fail(e.to_string()))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let file = std::fs::File::create(path).map_err(|e| fail(e.to_string()))?;
    let mut writer =
        ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| fail(e.to_string()))?;
    writer.write(&batch).map_err(|e| fail(e.to_string()))?;
    writer.close().map_err(|e| fail(e.to_string()))?;
    Ok(())
}
