//! Writing tables as Parquet (contract types: decimals, naive timestamps, dates) or as CSV in UTF-8
//! or GBK. A table is written batch by batch, so memory stays bounded by one batch.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Decimal128Array, Int64Array, RecordBatch,
    StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use fundguard_model::{Date, Scaled, Ts};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::SynthError;

/// How the dump's tables are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Parquet,
    Csv(Encoding),
    /// The national platform's extract tables (MDTRT_D, SETL_D, FEE_LIST_D, PSN_INFO_B,
    /// FIXMEDINS_B) as exported: `|`-delimited, text in `@|…|@`, CRLF; the tables that have no
    /// national counterpart (catalog, purchases) as CSV.
    Nhsa(Encoding),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gbk,
}

/// Column types of the contract.
pub(crate) fn text(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}
pub(crate) fn timestamp(name: &str, nullable: bool) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, None),
        nullable,
    )
}
pub(crate) fn decimal(name: &str, scale: i8, nullable: bool) -> Field {
    Field::new(name, DataType::Decimal128(16, scale), nullable)
}
pub(crate) fn boolean(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Boolean, nullable)
}
pub(crate) fn date(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Date32, nullable)
}

pub fn str_array<'a>(it: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(it))
}
pub fn str_values<'a>(it: impl IntoIterator<Item = &'a str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(it))
}
pub fn ts_array(it: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from_iter(
        it.into_iter().map(|t| t.map(|s| s * 1_000_000)),
    ))
}
pub fn dec_array(scale: i8, it: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(
        Decimal128Array::from_iter(it.into_iter().map(|v| v.map(i128::from)))
            .with_precision_and_scale(16, scale)
            .expect("precision 16 holds every i64 amount we write"),
    )
}
pub fn date_array(it: impl IntoIterator<Item = Option<i32>>) -> ArrayRef {
    Arc::new(Date32Array::from_iter(it))
}
pub fn bool_array(it: impl IntoIterator<Item = Option<bool>>) -> ArrayRef {
    Arc::new(BooleanArray::from_iter(it))
}
pub fn int_array(it: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from_iter(it))
}

/// A table being written, one batch at a time.
pub(crate) enum TableWriter {
    Parquet {
        path: PathBuf,
        writer: Box<ArrowWriter<File>>,
    },
    Csv {
        path: PathBuf,
        out: BufWriter<File>,
        encoding: Encoding,
    },
    Nhsa {
        files: Vec<ExtractOut>,
        encoding: Encoding,
    },
}

/// One extract file being written, and where each of its fields comes from.
pub(crate) struct ExtractOut {
    path: PathBuf,
    out: BufWriter<File>,
    fields: Vec<Source>,
}

/// Where an extract field's value comes from in the contract's batch.
enum Source {
    /// A column, as text.
    Column(usize),
    /// A boolean column as `1` / `0`.
    Flag(usize),
    /// `fixmedins_type` (1 医疗机构, 2 零售药店) from `provider_type`.
    InstitutionType(usize),
    /// `medins_type` (A 综合医院, D 基层医疗卫生机构) from `provider_type`.
    MedicalType(usize),
    /// `vali_flag`: every generated row is valid.
    Valid,
}

fn encode(s: &str, encoding: Encoding) -> std::borrow::Cow<'_, [u8]> {
    match encoding {
        Encoding::Utf8 => std::borrow::Cow::Borrowed(s.as_bytes()),
        Encoding::Gbk => encoding_rs::GBK.encode(s).0,
    }
}

/// The extract files a contract table is written as, with their national field names.
fn extract_files(
    dir: &Path,
    table: &str,
    schema: &SchemaRef,
) -> Option<Vec<(PathBuf, Vec<(String, Source)>)>> {
    use fundguard_model::national;
    let col = |name: &str| schema.index_of(name).ok();
    let plain = |fields: &[national::Field]| -> Vec<(String, Source)> {
        fields
            .iter()
            .filter_map(|f| {
                let source = match f.column {
                    "settlement_id" => col("visit_id").map(Source::Column),
                    "is_refund" => col("is_refund").map(Source::Flag),
                    "split_pack" => col("split_pack").map(Source::Flag),
                    "fixmedins_type" => col("provider_type").map(Source::InstitutionType),
                    "medins_type" => col("provider_type").map(Source::MedicalType),
                    c => col(c).map(Source::Column),
                }?;
                Some((f.names[0].to_string(), source))
            })
            .chain(std::iter::once(("vali_flag".to_string(), Source::Valid)))
            .collect()
    };
    let file = |name: &str| dir.join(format!("{name}.txt"));
    Some(match table {
        "visits" => vec![
            (file("MDTRT_D"), plain(national::MDTRT_D)),
            (file("SETL_D"), plain(national::SETL_D)),
        ],
        "line_items" => vec![(file("FEE_LIST_D"), plain(national::FEE_LIST_D))],
        "patients" => vec![(file("PSN_INFO_B"), plain(national::PSN_INFO_B))],
        "providers" => vec![(file("FIXMEDINS_B"), plain(national::FIXMEDINS_B))],
        "drug_traces" => vec![(file("DRUG_TRAC_D"), plain(national::DRUG_TRAC_D))],
        "drug_stock" => vec![(file("DRUG_STOCK_D"), plain(national::DRUG_STOCK_D))],
        "settlement_diagnoses" => {
            vec![(file("SETL_LIST_DIAG_D"), plain(national::SETL_LIST_DIAG_D))]
        }
        _ => return None,
    })
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> SynthError + '_ {
    move |source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn pq(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> SynthError + '_ {
    move |e| SynthError::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

impl TableWriter {
    pub(crate) fn create(
        dir: &Path,
        name: &str,
        schema: SchemaRef,
        format: Format,
    ) -> Result<Self, SynthError> {
        match format {
            Format::Parquet => {
                let path = dir.join(format!("{name}.parquet"));
                let file = File::create(&path).map_err(io(&path))?;
                let props = WriterProperties::builder()
                    .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).expect("valid")))
                    .set_max_row_group_row_count(Some(1 << 20))
                    .build();
                let writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(pq(&path))?;
                Ok(TableWriter::Parquet {
                    path,
                    writer: Box::new(writer),
                })
            }
            Format::Nhsa(encoding) => {
                let Some(specs) = extract_files(dir, name, &schema) else {
                    return TableWriter::create(dir, name, schema, Format::Csv(encoding));
                };
                let mut files = Vec::new();
                for (path, fields) in specs {
                    let file = File::create(&path).map_err(io(&path))?;
                    let mut out = BufWriter::with_capacity(1 << 20, file);
                    let header: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                    // A header row, a trailing empty column and CRLF, as the platform exports.
                    out.write_all(&encode(&(header.join("|") + "|\r\n"), encoding))
                        .map_err(io(&path))?;
                    files.push(ExtractOut {
                        path,
                        out,
                        fields: fields.into_iter().map(|(_, s)| s).collect(),
                    });
                }
                Ok(TableWriter::Nhsa { files, encoding })
            }
            Format::Csv(encoding) => {
                let path = dir.join(format!("{name}.csv"));
                let file = File::create(&path).map_err(io(&path))?;
                let mut w = TableWriter::Csv {
                    path,
                    out: BufWriter::with_capacity(1 << 20, file),
                    encoding,
                };
                let header = schema
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect::<Vec<_>>()
                    .join(",");
                w.write_text(&(header + "\n"))?;
                Ok(w)
            }
        }
    }

    fn write_text(&mut self, s: &str) -> Result<(), SynthError> {
        let TableWriter::Csv {
            path,
            out,
            encoding,
        } = self
        else {
            unreachable!("text goes to CSV only")
        };
        let bytes = match encoding {
            Encoding::Utf8 => std::borrow::Cow::Borrowed(s.as_bytes()),
            Encoding::Gbk => encoding_rs::GBK.encode(s).0,
        };
        out.write_all(&bytes).map_err(io(path))
    }

    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), SynthError> {
        match self {
            TableWriter::Parquet { path, writer } => writer.write(batch).map_err(pq(path)),
            TableWriter::Nhsa { files, encoding } => {
                for f in files {
                    let text = extract_text(batch, &f.fields);
                    f.out
                        .write_all(&encode(&text, *encoding))
                        .map_err(io(&f.path))?;
                }
                Ok(())
            }
            TableWriter::Csv { .. } => {
                let text = csv_text(batch);
                self.write_text(&text)
            }
        }
    }

    pub(crate) fn finish(self) -> Result<PathBuf, SynthError> {
        match self {
            TableWriter::Parquet { path, writer } => {
                writer.close().map_err(pq(&path))?;
                Ok(path)
            }
            TableWriter::Csv { path, mut out, .. } => {
                out.flush().map_err(io(&path))?;
                Ok(path)
            }
            TableWriter::Nhsa { files, .. } => {
                let mut last = PathBuf::new();
                for mut f in files {
                    f.out.flush().map_err(io(&f.path))?;
                    last = f.path;
                }
                Ok(last)
            }
        }
    }
}

/// Writes one batch as a whole Parquet file.
pub(crate) fn write_table(
    dir: &Path,
    name: &str,
    batch: &RecordBatch,
    format: Format,
) -> Result<PathBuf, SynthError> {
    let mut w = TableWriter::create(dir, name, batch.schema(), format)?;
    w.write(batch)?;
    w.finish()
}

fn push_field(out: &mut String, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// Extract rows: `|`-separated, text fields in `@|…|@`, a trailing empty column, CRLF.
fn extract_text(batch: &RecordBatch, fields: &[Source]) -> String {
    let cols = batch.columns();
    let mut out = String::with_capacity(batch.num_rows() * 160);
    for row in 0..batch.num_rows() {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push('|');
            }
            let kind = |c: usize| {
                (!cols[c].is_null(row)).then(|| cols[c].as_string::<i32>().value(row).to_string())
            };
            match f {
                Source::Column(c) if cols[*c].is_null(row) => {}
                Source::Column(c) if *cols[*c].data_type() == DataType::Utf8 => {
                    out.push_str("@|");
                    out.push_str(cols[*c].as_string::<i32>().value(row));
                    out.push_str("|@");
                }
                Source::Column(c) => {
                    let mut cell = String::new();
                    push_cell(&mut cell, cols[*c].as_ref(), row);
                    out.push_str(&cell);
                }
                Source::Flag(c) => {
                    if !cols[*c].is_null(row) {
                        out.push(if cols[*c].as_boolean().value(row) {
                            '1'
                        } else {
                            '0'
                        });
                    }
                }
                Source::InstitutionType(c) => match kind(*c).as_deref() {
                    Some("pharmacy") => out.push('2'),
                    Some(_) => out.push('1'),
                    None => {}
                },
                Source::MedicalType(c) => match kind(*c).as_deref() {
                    Some("hospital") => out.push('A'),
                    Some("clinic") => out.push('D'),
                    _ => {}
                },
                Source::Valid => out.push('1'),
            }
        }
        out.push_str("|\r\n");
    }
    out
}

/// One non-null cell in the contract's text format (text is written as is).
fn push_cell(out: &mut String, col: &dyn Array, row: usize) {
    use std::fmt::Write as _;
    match col.data_type() {
        DataType::Utf8 => out.push_str(col.as_string::<i32>().value(row)),
        DataType::Decimal128(_, s) => {
            let v = col
                .as_primitive::<arrow::datatypes::Decimal128Type>()
                .value(row);
            let _ = write!(out, "{}", Scaled(v as i64, *s as u32));
        }
        DataType::Timestamp(_, _) => {
            let v = col
                .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
                .value(row);
            let _ = write!(out, "{}", Ts(v / 1_000_000));
        }
        DataType::Date32 => {
            let v = col
                .as_primitive::<arrow::datatypes::Date32Type>()
                .value(row);
            let _ = write!(out, "{}", Date(v));
        }
        DataType::Boolean => {
            let _ = write!(out, "{}", col.as_boolean().value(row));
        }
        DataType::Int64 => {
            let _ = write!(
                out,
                "{}",
                col.as_primitive::<arrow::datatypes::Int64Type>().value(row)
            );
        }
        other => unreachable!("no contract column is {other}"),
    }
}

/// The rows of a batch as CSV lines, in the contract's text formats.
fn csv_text(batch: &RecordBatch) -> String {
    let mut out = String::with_capacity(batch.num_rows() * 128);
    let cols = batch.columns();
    for row in 0..batch.num_rows() {
        for (i, col) in cols.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            if col.is_null(row) {
                continue;
            }
            match col.data_type() {
                DataType::Utf8 => push_field(&mut out, col.as_string::<i32>().value(row)),
                _ => push_cell(&mut out, col.as_ref(), row),
            }
        }
        out.push('\n');
    }
    out
}

pub(crate) fn schema(fields: Vec<Field>) -> SchemaRef {
    Arc::new(Schema::new(fields))
}
