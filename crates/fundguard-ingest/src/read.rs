//! Reading table files into raw columns: CSV (UTF-8 or GB18030, decoded per file) as text, Parquet
//! through polars as typed series. Nothing is validated here beyond the file's structure.

use std::path::{Path, PathBuf};

use fundguard_model::{ColumnSpec, StrColumn, Table};
use polars::prelude::{DataType, ParquetReader, SerReader, Series, TimeUnit};
use sha2::{Digest, Sha256};

use crate::error::IngestError;

/// The format of one table file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Parquet,
    /// A national-platform extract table (`|`-delimited, `@|…|@` enclosures).
    Extract,
}

/// One file of a table, as read.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub format: Format,
    /// `utf-8` or `gb18030` for CSV.
    #[serde(deserialize_with = "crate::known::encoding")]
    pub encoding: Option<crate::known::Name>,
    pub rows: usize,
    pub sha256: String,
    /// Columns in the file that the contract does not name (ignored).
    pub ignored_columns: Vec<String>,
    /// Rows left out before validation: extract rows marked invalid (`vali_flag` = 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub skipped_invalid: usize,
    /// Rows replaced by a later file's row of the same key (`latest = true` in a mapping).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub superseded: usize,
    /// Text cells read as missing because they spell it (`NA`, `NULL`, `\N`, `-` … or a declared
    /// marker; [`NullMarkers`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub null_cells: usize,
    /// The table was made from this file's columns of another table (patients from MDTRT_D
    /// when PSN_INFO_B is not exported).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub derived: bool,
}

/// The common spellings of a missing value in exports from databases and statistics tools.
pub const COMMON_NULLS: &[&str] = &[
    "NA", "N/A", "n/a", "#N/A", "NULL", "null", "Null", "\\N", "-", "None", "NaN", "nan",
];

/// How a text file writes missing values besides the empty cell: the `declared` markers
/// (`--null-values`, a mapping table's `null_values`) in every column, and [`COMMON_NULLS`] in the
/// columns whose kind cannot hold them as a value (times, dates, numbers, flags), as DuckDB's
/// `nullstr` and polars' `null_values` do. Identifiers and names keep `NA` or `-` as text unless
/// declared.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct NullMarkers {
    pub declared: Vec<String>,
}

impl NullMarkers {
    /// Is the (trimmed) `cell` a missing value in a column of `kind`?
    pub fn is_null(&self, kind: fundguard_model::Kind, cell: &str) -> bool {
        use fundguard_model::Kind;
        !cell.is_empty()
            && (self.declared.iter().any(|d| d == cell)
                || (!matches!(kind, Kind::Id | Kind::Text) && COMMON_NULLS.contains(&cell)))
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One file's rows as text, already in the contract's columns (national extracts, translated).
pub(crate) struct TextPart {
    pub report: FileReport,
    /// Contract column → its values, one per row.
    pub columns: Vec<(&'static str, StrColumn)>,
    pub rows: usize,
    /// The physical line of each row in the file.
    pub lines: Vec<u64>,
    pub broken: Vec<(usize, String)>,
}

/// A single cell as the file gave it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Null,
    Text(&'a str),
    Int(i64),
    Float(f64),
    /// Unscaled value and scale.
    Decimal(i128, u32),
    Bool(bool),
    /// Seconds of the naive local clock.
    Timestamp(i64),
    /// Days since 1970-01-01.
    Date(i32),
    /// A type no contract column can hold (lists, binary, …), named.
    Unsupported(&'static str),
}

impl Cell<'_> {
    /// The cell as a person would read it, for reject messages.
    pub(crate) fn display(&self) -> Option<String> {
        use fundguard_model::{Date, Scaled, Ts};
        match *self {
            Cell::Null => None,
            Cell::Text(s) => Some(s.to_string()),
            Cell::Int(i) => Some(i.to_string()),
            Cell::Float(f) => Some(f.to_string()),
            Cell::Decimal(v, s) => Some(match i64::try_from(v) {
                Ok(v) => Scaled(v, s).to_string(),
                Err(_) => format!("{v}e-{s}"),
            }),
            Cell::Bool(b) => Some(b.to_string()),
            Cell::Timestamp(t) => Some(Ts(t).to_string()),
            Cell::Date(d) => Some(Date(d).to_string()),
            Cell::Unsupported(t) => Some(format!("<{t}>")),
        }
    }
}

/// One file's part of a column.
pub(crate) enum Chunk {
    /// CSV text; the empty string stands for null.
    Text(StrColumn),
    Series(Series),
    /// The file lacks this (optional) column.
    Missing(usize),
}

/// A column over all files of a table, in file order.
#[derive(Default)]
pub(crate) struct RawColumn {
    chunks: Vec<Chunk>,
}

impl RawColumn {
    /// The chunks with the row (from 0, across files) of each one's first cell.
    pub(crate) fn chunks(&self) -> impl Iterator<Item = (usize, &Chunk)> + '_ {
        self.chunks.iter().scan(0, |row, c| {
            let start = *row;
            *row += c.len();
            Some((start, c))
        })
    }
}

impl Chunk {
    pub(crate) fn len(&self) -> usize {
        match self {
            Chunk::Text(c) => c.len(),
            Chunk::Series(s) => s.len(),
            Chunk::Missing(n) => *n,
        }
    }

    /// Calls `f(row, cell)` for every cell, numbering rows from `start`.
    pub(crate) fn for_each(&self, start: usize, mut f: impl FnMut(usize, Cell<'_>)) {
        let mut row = start;
        match self {
            Chunk::Text(col) => {
                for s in col.iter() {
                    let s = s.trim();
                    f(
                        row,
                        if s.is_empty() {
                            Cell::Null
                        } else {
                            Cell::Text(s)
                        },
                    );
                    row += 1;
                }
            }
            Chunk::Missing(n) => {
                for _ in 0..*n {
                    f(row, Cell::Null);
                    row += 1;
                }
            }
            Chunk::Series(s) => {
                series_for_each(s, row, &mut f);
            }
        }
    }
}

fn series_for_each(s: &Series, mut row: usize, f: &mut impl FnMut(usize, Cell<'_>)) -> usize {
    macro_rules! each {
        ($iter:expr, $map:expr) => {{
            for v in $iter {
                f(row, v.map_or(Cell::Null, $map));
                row += 1;
            }
        }};
    }
    match s.dtype() {
        DataType::String => each!(s.str().expect("dtype checked").iter(), |v: &str| {
            let v = v.trim();
            if v.is_empty() {
                Cell::Null
            } else {
                Cell::Text(v)
            }
        }),
        DataType::Boolean => each!(s.bool().expect("dtype checked").iter(), Cell::Bool),
        DataType::Decimal(_, scale) => {
            let scale = *scale as u32;
            each!(s.decimal().expect("dtype checked").physical().iter(), |v| {
                Cell::Decimal(v, scale)
            })
        }
        DataType::Datetime(unit, tz) => {
            // Naive timestamps are local wall-clock time already; zoned ones are instants, shown
            // on the bureaus' clock (UTC+8, no daylight saving in China).
            let shift = if tz.is_some() { 8 * 3600 } else { 0 };
            let per_sec = match unit {
                TimeUnit::Nanoseconds => 1_000_000_000,
                TimeUnit::Microseconds => 1_000_000,
                TimeUnit::Milliseconds => 1_000,
            };
            each!(
                s.datetime().expect("dtype checked").physical().iter(),
                |v: i64| Cell::Timestamp(v.div_euclid(per_sec) + shift)
            )
        }
        DataType::Date => each!(
            s.date().expect("dtype checked").physical().iter(),
            Cell::Date
        ),
        DataType::Null => {
            for _ in 0..s.len() {
                f(row, Cell::Null);
                row += 1;
            }
        }
        dt if dt.is_integer() => match s.cast(&DataType::Int64) {
            Ok(c) => each!(c.i64().expect("cast to i64").iter(), Cell::Int),
            Err(_) => each!((0..s.len()).map(|_| Some(())), |_| Cell::Unsupported(
                "integer beyond i64"
            )),
        },
        dt if dt.is_float() => {
            let c = s.cast(&DataType::Float64).expect("float to f64");
            each!(c.f64().expect("cast to f64").iter(), Cell::Float)
        }
        _ => {
            for _ in 0..s.len() {
                f(row, Cell::Unsupported("unsupported column type"));
                row += 1;
            }
        }
    }
    row
}

/// Where a row came from.
pub(crate) struct Origin<'a> {
    pub file: &'a Path,
    /// 1-based data row within the file (header not counted).
    pub row: u64,
    /// 1-based physical line (CSV only).
    pub line: Option<u64>,
}

/// All files of one table, column by column in contract order.
pub(crate) struct RawTable {
    pub table: Table,
    pub files: Vec<FileReport>,
    /// Per contract column; `None` when no file has it.
    pub columns: Vec<Option<RawColumn>>,
    pub rows: usize,
    /// Global index of each file's first row.
    file_starts: Vec<usize>,
    /// Per file, the CSV line of each data row.
    csv_lines: Vec<Option<Vec<u64>>>,
    /// Rows unusable as a whole (wrong field count, undecodable bytes), with the reason.
    pub broken: Vec<(usize, String)>,
}

impl RawTable {
    pub(crate) fn origin(&self, row: usize) -> Origin<'_> {
        let f = self.file_starts.partition_point(|s| *s <= row) - 1;
        let local = row - self.file_starts[f];
        Origin {
            file: &self.files[f].path,
            row: local as u64 + 1,
            line: self.csv_lines[f].as_ref().map(|l| l[local]),
        }
    }

    /// The table's files and row origins without its columns.
    pub(crate) fn meta(&self) -> RawTable {
        RawTable {
            table: self.table,
            files: self.files.clone(),
            columns: self.table.columns().iter().map(|_| None).collect(),
            rows: self.rows,
            file_starts: self.file_starts.clone(),
            csv_lines: self.csv_lines.clone(),
            broken: Vec::new(),
        }
    }

    pub(crate) fn empty(table: Table) -> RawTable {
        RawTable {
            table,
            files: Vec::new(),
            columns: table.columns().iter().map(|_| None).collect(),
            rows: 0,
            file_starts: Vec::new(),
            csv_lines: Vec::new(),
            broken: Vec::new(),
        }
    }

    /// Appends one file's columns (one chunk per contract column, in contract order).
    fn push_file(
        &mut self,
        report: FileReport,
        chunks: Vec<Chunk>,
        broken: Vec<(usize, String)>,
        lines: Option<Vec<u64>>,
    ) {
        let start = self.rows;
        self.file_starts.push(start);
        for (slot, chunk) in self.columns.iter_mut().zip(chunks) {
            match (slot, chunk) {
                (None, Chunk::Missing(_)) => {}
                (slot @ None, chunk) => {
                    *slot = Some(RawColumn {
                        chunks: vec![Chunk::Missing(start), chunk],
                    })
                }
                (Some(col), chunk) => col.chunks.push(chunk),
            }
        }
        self.broken
            .extend(broken.into_iter().map(|(r, why)| (r + start, why)));
        self.csv_lines.push(lines);
        self.rows += report.rows;
        self.files.push(report);
    }

    /// Drops the zero-length placeholders chunks were created with.
    fn finish(mut self) -> RawTable {
        for col in self.columns.iter_mut().flatten() {
            col.chunks.retain(|c| !matches!(c, Chunk::Missing(0)));
        }
        self
    }

    /// A table from translated text parts, in file order.
    pub(crate) fn from_text(table: Table, parts: Vec<TextPart>) -> RawTable {
        let mut out = RawTable::empty(table);
        for mut part in parts {
            let chunks = table
                .columns()
                .iter()
                .map(
                    |spec| match part.columns.iter().position(|(c, _)| *c == spec.name) {
                        Some(i) => Chunk::Text(std::mem::take(&mut part.columns[i].1)),
                        None => Chunk::Missing(part.rows),
                    },
                )
                .collect();
            let mut report = part.report;
            report.rows = part.rows;
            out.push_file(report, chunks, part.broken, Some(part.lines));
        }
        out.finish()
    }

    /// Blanks the text cells that `markers` read as missing (they become empty: null), counting
    /// them in their files' reports; returns how many there were. Typed Parquet columns hold
    /// nulls as nulls and are left alone.
    pub(crate) fn blank_nulls(&mut self, markers: &NullMarkers) -> usize {
        let mut total = 0;
        for (spec, col) in self.table.columns().iter().zip(self.columns.iter_mut()) {
            let Some(col) = col else { continue };
            let text = matches!(
                spec.kind,
                fundguard_model::Kind::Id | fundguard_model::Kind::Text
            );
            if text && markers.declared.is_empty() {
                continue;
            }
            let mut start = 0;
            for chunk in col.chunks.iter_mut() {
                let len = chunk.len();
                if let Chunk::Text(c) = chunk {
                    let hits = c
                        .iter()
                        .filter(|v| markers.is_null(spec.kind, v.trim()))
                        .count();
                    if hits > 0 {
                        let mut out = StrColumn::with_capacity(c.len(), c.heap_bytes());
                        for v in c.iter() {
                            out.push(if markers.is_null(spec.kind, v.trim()) {
                                ""
                            } else {
                                v
                            });
                        }
                        *c = out;
                        let f = self.file_starts.partition_point(|s| *s <= start) - 1;
                        self.files[f].null_cells += hits;
                        total += hits;
                    }
                }
                start += len;
            }
        }
        total
    }

    pub(crate) fn column(&self, name: &str) -> Option<&RawColumn> {
        let i = self.table.columns().iter().position(|c| c.name == name)?;
        self.columns[i].as_ref()
    }
}

/// What the read-ahead thread of a streamed extract hands over.
enum Streamed {
    Piece(RawTable, Vec<u64>),
    /// The end: the file's account (hash, encoding, invalid rows).
    Done(FileReport),
}

/// A streamed extract read one piece ahead: a thread reads and translates the next block (in
/// parallel, on the pool) while the current one is converted, so both cores stay busy. The
/// channel holds one piece; when the reader is dropped (an error further on) the thread stops
/// at its next send.
struct Prefetch {
    rx: std::sync::mpsc::Receiver<Result<Streamed, IngestError>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Prefetch {
    fn start(mut stream: crate::extract::ExtractStream) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let thread = std::thread::spawn(move || loop {
            let next = match stream.next_piece() {
                Ok(Some((piece, lines))) => Ok(Streamed::Piece(piece, lines)),
                Ok(None) => Ok(Streamed::Done(stream.report.clone())),
                Err(e) => Err(e),
            };
            let last = !matches!(next, Ok(Streamed::Piece(..)));
            if tx.send(next).is_err() || last {
                break;
            }
        });
        Prefetch {
            rx,
            thread: Some(thread),
        }
    }

    fn next(&mut self) -> Result<Streamed, IngestError> {
        match self.rx.recv() {
            Ok(next) => next,
            // The thread ended without its last message: it panicked; so does the reader.
            Err(_) => match self.thread.take().map(std::thread::JoinHandle::join) {
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                _ => unreachable!("the reading thread sends its last message before it ends"),
            },
        }
    }
}

/// Reads the given files of `table` (all of one table, in order).
pub(crate) fn read_table(table: Table, paths: &[PathBuf]) -> Result<RawTable, IngestError> {
    let specs = table.columns();
    let mut out = RawTable::empty(table);
    for path in paths {
        let bytes = std::fs::read(path).map_err(|e| IngestError::io(path, e))?;
        let sha256 = hex(&Sha256::digest(&bytes));
        let file = if is_parquet(path) {
            read_parquet(table, path, bytes, specs)?
        } else {
            read_csv(table, path, &bytes, specs)?
        };
        let report = file_report(path, &file, sha256);
        out.push_file(report, file.chunks, file.broken, file.csv_lines);
    }
    Ok(out.finish())
}

/// Rows per piece when a big table is read piece by piece (whole row groups of a Parquet file are
/// gathered up to about this many rows).
pub(crate) const PIECE_ROWS: usize = 1 << 20;

/// Reads the files of a big table (visits, line items) piece by piece, so that only one piece's
/// raw columns are in memory at a time: a Parquet file in pieces of whole row groups, a CSV file
/// whole, a table already translated (national extracts, mappings) as its only piece. `meta`
/// gathers the files read (for the account and for the origin of table rows).
pub(crate) struct TableReader {
    table: Table,
    paths: Vec<PathBuf>,
    next_file: usize,
    open: Option<OpenParquet>,
    ready: Option<RawTable>,
    piece_rows: usize,
    markers: NullMarkers,
    /// A national extract read piece by piece, the next piece read ahead on a thread.
    stream: Option<Prefetch>,
    /// The CSV file being read block by block.
    csv: Option<CsvStream>,
    /// Bytes of text per block of a CSV file.
    stream_bytes: usize,
    /// Rows the files hold, from the Parquet footers (0 when a file is text).
    expected_rows: usize,
    pub meta: RawTable,
}

struct OpenParquet {
    bytes: Vec<u8>,
    metadata: polars::io::parquet::metadata::FileMetadataRef,
    wanted: Vec<String>,
    /// (first row, rows) of the pieces still to read.
    pieces: std::collections::VecDeque<(usize, usize)>,
}

impl TableReader {
    /// A reader of files; Parquet files' required columns are checked from their footers now,
    /// before anything is read.
    pub(crate) fn files(
        table: Table,
        paths: &[PathBuf],
        piece_rows: usize,
        stream_bytes: usize,
        markers: &NullMarkers,
    ) -> Result<Self, IngestError> {
        let mut expected_rows = 0;
        let all_parquet = paths.iter().all(|p| is_parquet(p));
        for path in paths.iter().filter(|p| is_parquet(p)) {
            let file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
            let unreadable = |e: polars::prelude::PolarsError| IngestError::Unreadable {
                file: path.to_path_buf(),
                message: e.to_string(),
            };
            let mut reader = ParquetReader::new(file);
            let schema = reader.schema().map_err(unreadable)?;
            check_required(table, path, table.columns(), |c| {
                schema.iter_names().any(|n| n.as_str() == c)
            })?;
            expected_rows += reader.num_rows().map_err(unreadable)?;
        }
        Ok(Self {
            table,
            paths: paths.to_vec(),
            next_file: 0,
            open: None,
            ready: None,
            piece_rows,
            markers: markers.clone(),
            stream: None,
            csv: None,
            stream_bytes: stream_bytes.max(1),
            expected_rows: if all_parquet { expected_rows } else { 0 },
            meta: RawTable::empty(table),
        })
    }

    /// Rows the files hold when known before reading (Parquet footers), else 0.
    pub(crate) fn expected_rows(&self) -> usize {
        self.expected_rows
    }

    /// A reader of a streamed national extract, its pieces' null markers blanked.
    pub(crate) fn stream(
        table: Table,
        stream: crate::extract::ExtractStream,
        markers: &NullMarkers,
    ) -> Self {
        Self {
            table,
            paths: Vec::new(),
            next_file: 0,
            open: None,
            ready: None,
            piece_rows: PIECE_ROWS,
            markers: markers.clone(),
            stream: Some(Prefetch::start(stream)),
            csv: None,
            stream_bytes: crate::extract::STREAM_BYTES,
            expected_rows: 0,
            meta: RawTable::empty(table),
        }
    }

    /// The next piece of the streamed extract; its rows and lines join the one file of `meta`.
    fn next_streamed(&mut self) -> Result<Option<RawTable>, IngestError> {
        let stream = self.stream.as_mut().expect("a stream");
        match stream.next()? {
            Streamed::Piece(mut piece, lines) => {
                piece.blank_nulls(&self.markers);
                let nulls = piece.files[0].null_cells;
                if self.meta.files.is_empty() {
                    let mut report = piece.files[0].clone();
                    report.rows = piece.rows;
                    self.meta
                        .push_file(report, Vec::new(), Vec::new(), Some(lines));
                } else {
                    let f = &mut self.meta.files[0];
                    f.rows += piece.rows;
                    f.null_cells += nulls;
                    self.meta.rows += piece.rows;
                    if let Some(Some(all)) = self.meta.csv_lines.first_mut() {
                        all.extend(lines);
                    }
                }
                Ok(Some(piece))
            }
            Streamed::Done(done) => {
                if self.meta.files.is_empty() {
                    self.meta
                        .push_file(done.clone(), Vec::new(), Vec::new(), Some(Vec::new()));
                }
                let f = &mut self.meta.files[0];
                f.sha256 = done.sha256;
                f.encoding = done.encoding;
                f.skipped_invalid = done.skipped_invalid;
                self.stream = None;
                Ok(None)
            }
        }
    }

    /// A table read already (its null markers blanked), handed out as one piece.
    pub(crate) fn ready(raw: RawTable) -> Self {
        Self {
            table: raw.table,
            paths: Vec::new(),
            next_file: 0,
            open: None,
            piece_rows: PIECE_ROWS,
            markers: NullMarkers::default(),
            stream: None,
            csv: None,
            stream_bytes: crate::extract::STREAM_BYTES,
            expected_rows: raw.rows,
            meta: raw.meta(),
            ready: Some(raw),
        }
    }

    /// Calls `f` with the pieces, in order; returns what `f` returns and the table's files.
    /// (Reading the next piece on a thread of its own while this one is converted was tried: no
    /// faster on two cores, and a piece more in memory.)
    pub(crate) fn with_pieces<T>(
        mut self,
        f: impl FnOnce(&mut dyn Iterator<Item = Result<RawTable, IngestError>>) -> T,
    ) -> (T, RawTable) {
        let out = f(&mut std::iter::from_fn(|| self.next_piece().transpose()));
        (out, self.meta)
    }

    /// The next piece, or `None` when every file has been read.
    pub(crate) fn next_piece(&mut self) -> Result<Option<RawTable>, IngestError> {
        if let Some(raw) = self.ready.take() {
            return Ok(Some(raw));
        }
        if self.stream.is_some() {
            return self.next_streamed();
        }
        loop {
            if let Some(csv) = &mut self.csv {
                match csv.next_piece()? {
                    Some(mut piece) => {
                        piece.blank_nulls(&self.markers);
                        let f = &mut self.meta.files.last_mut().expect("an open file");
                        f.rows += piece.rows;
                        f.null_cells += piece.files[0].null_cells;
                        f.ignored_columns
                            .clone_from(&piece.files[0].ignored_columns);
                        self.meta.rows += piece.rows;
                        if let Some(Some(all)) = self.meta.csv_lines.last_mut() {
                            all.extend(piece.csv_lines[0].iter().flatten());
                        }
                        return Ok(Some(piece));
                    }
                    None => {
                        let f = self.meta.files.last_mut().expect("an open file");
                        f.sha256 = csv.sha256();
                        f.encoding = Some(csv.encoding());
                        self.csv = None;
                        continue;
                    }
                }
            }
            if let Some(open) = &mut self.open {
                if let Some((first, rows)) = open.pieces.pop_front() {
                    let path = &self.paths[self.next_file - 1];
                    let mut reader = ParquetReader::new(std::io::Cursor::new(&open.bytes[..]));
                    reader.set_metadata(open.metadata.clone());
                    let df = reader
                        .with_columns(Some(open.wanted.clone()))
                        .with_slice(Some((first, rows)))
                        .finish()
                        .map_err(|e| IngestError::Unreadable {
                            file: path.clone(),
                            message: e.to_string(),
                        })?;
                    let chunks = frame_chunks(&df, self.table.columns());
                    let mut report = self.meta.files.last().expect("an open file").clone();
                    report.rows = df.height();
                    let mut piece = RawTable::empty(self.table);
                    piece.push_file(report, chunks, Vec::new(), None);
                    return Ok(Some(piece.finish()));
                }
                self.open = None;
            }
            let Some(path) = self.paths.get(self.next_file).cloned() else {
                return Ok(None);
            };
            self.next_file += 1;
            if !is_parquet(&path) {
                let csv = CsvStream::open(self.table, &path, self.stream_bytes)?;
                self.meta
                    .push_file(csv.report.clone(), Vec::new(), Vec::new(), Some(Vec::new()));
                self.csv = Some(csv);
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| IngestError::io(&path, e))?;
            let sha256 = hex(&Sha256::digest(&bytes));
            let bad = |e: polars::prelude::PolarsError| IngestError::Unreadable {
                file: path.clone(),
                message: e.to_string(),
            };
            let mut reader = ParquetReader::new(std::io::Cursor::new(&bytes[..]));
            let schema = reader.schema().map_err(bad)?;
            let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
            let specs = self.table.columns();
            check_required(self.table, &path, specs, |c| names.iter().any(|n| n == c))?;
            let metadata = reader.get_metadata().map_err(bad)?.clone();
            let mut pieces = std::collections::VecDeque::new();
            let (mut first, mut rows) = (0usize, 0usize);
            for g in metadata.row_groups.iter() {
                rows += g.num_rows();
                if rows >= self.piece_rows {
                    pieces.push_back((first, rows));
                    first += rows;
                    rows = 0;
                }
            }
            if rows > 0 {
                pieces.push_back((first, rows));
            }
            let report = FileReport {
                path: path.clone(),
                format: Format::Parquet,
                encoding: None,
                rows: first + rows,
                sha256,
                ignored_columns: names
                    .iter()
                    .filter(|n| !specs.iter().any(|c| c.name == n.as_str()))
                    .cloned()
                    .collect(),
                skipped_invalid: 0,
                superseded: 0,
                null_cells: 0,
                derived: false,
            };
            self.meta.push_file(report, Vec::new(), Vec::new(), None);
            self.open = Some(OpenParquet {
                wanted: specs
                    .iter()
                    .filter(|c| names.iter().any(|n| n == c.name))
                    .map(|c| c.name.to_string())
                    .collect(),
                metadata,
                pieces,
                bytes,
            });
        }
    }
}

/// Longest CSV record read: one without an end within this many bytes is refused (no memory is
/// spent looking for its end).
const MAX_RECORD: usize = 64 << 20;

/// A CSV file read in blocks of about `block_bytes`, each cut after its last complete record
/// (a line end outside quotes, found by the same rules the reader applies: a quote opens a field
/// only at its start, `""` inside one is a quote), decoded in the file's encoding — decided by
/// the first block holding a byte above ASCII — and read with the header in front, so that each
/// block is converted and dropped before the next is read. Rows, lines and rejects are those of
/// reading the file whole; the SHA-256 is computed on the way.
pub(crate) struct CsvStream {
    table: Table,
    path: PathBuf,
    file: std::fs::File,
    hasher: Sha256,
    /// Bytes read and not yet handed out (they start at a record boundary).
    carry: Vec<u8>,
    eof: bool,
    block_bytes: usize,
    /// The header record's bytes, with its line end.
    header: Vec<u8>,
    /// Line ends in `header`.
    header_lines: u64,
    /// The file line of the first byte of `carry`.
    line: u64,
    encoding: Option<&'static str>,
    /// Pieces handed out.
    pieces: usize,
    report: FileReport,
}

/// Where a CSV scan is within a record.
#[derive(Clone, Copy, PartialEq)]
enum CsvState {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the field's end, or the first of `""`.
    QuoteInQuoted,
}

/// One byte further in a CSV record: the next state, and whether the byte ends the record.
fn csv_step(state: CsvState, b: u8) -> (CsvState, bool) {
    match (state, b) {
        (CsvState::Quoted, b'"') => (CsvState::QuoteInQuoted, false),
        (CsvState::Quoted, _) => (CsvState::Quoted, false),
        (CsvState::QuoteInQuoted | CsvState::FieldStart, b'"') => (CsvState::Quoted, false),
        (_, b'\n') => (CsvState::FieldStart, true),
        (_, b',') => (CsvState::FieldStart, false),
        _ => (CsvState::Unquoted, false),
    }
}

/// The ends (one past the line feed) of the complete records in `bytes`, which start at a
/// record boundary.
fn record_ends(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut state = CsvState::FieldStart;
    bytes.iter().enumerate().filter_map(move |(i, &b)| {
        let (next, end) = csv_step(state, b);
        state = next;
        end.then_some(i + 1)
    })
}

impl CsvStream {
    /// Opens `path` and reads up to its header (blank lines before it are skipped, as the
    /// reader skips them).
    fn open(table: Table, path: &Path, block_bytes: usize) -> Result<Self, IngestError> {
        let file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
        let mut s = CsvStream {
            table,
            path: path.to_path_buf(),
            file,
            hasher: Sha256::new(),
            carry: Vec::new(),
            eof: false,
            block_bytes,
            header: Vec::new(),
            header_lines: 0,
            line: 1,
            encoding: None,
            pieces: 0,
            report: FileReport {
                path: path.to_path_buf(),
                format: Format::Csv,
                encoding: None,
                rows: 0,
                sha256: String::new(),
                ignored_columns: Vec::new(),
                skipped_invalid: 0,
                superseded: 0,
                null_cells: 0,
                derived: false,
            },
        };
        let mut first = true;
        loop {
            let more = s.fill()?;
            if first {
                first = false;
                if s.carry.starts_with(b"\xEF\xBB\xBF") {
                    s.carry.drain(..3);
                }
            }
            let Some(end) = record_ends(&s.carry)
                .next()
                .or((s.eof && !s.carry.is_empty()).then_some(s.carry.len()))
            else {
                if !more {
                    break; // an empty file: the reader says what is missing
                }
                if s.carry.len() >= MAX_RECORD {
                    return Err(s.too_long());
                }
                continue;
            };
            let record: Vec<u8> = s.carry.drain(..end).collect();
            let lines = record.iter().filter(|&&b| b == b'\n').count() as u64;
            s.line += lines;
            if !record.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                // The first record that is not blank (the reader skips blank lines too).
                s.header = record;
                s.header_lines = lines;
                break;
            }
        }
        s.decide(&[]);
        Ok(s)
    }

    /// Reads up to a block more into `carry`, hashed; false at the end of the file.
    fn fill(&mut self) -> Result<bool, IngestError> {
        use std::io::Read;
        let want = self.carry.len() + self.block_bytes;
        let mut got = false;
        while self.carry.len() < want && !self.eof {
            let at = self.carry.len();
            self.carry.resize(want, 0);
            let n = self
                .file
                .read(&mut self.carry[at..])
                .map_err(|e| IngestError::io(&self.path, e))?;
            self.carry.truncate(at + n);
            self.hasher.update(&self.carry[at..]);
            self.eof = n == 0;
            got |= n > 0;
        }
        Ok(got)
    }

    /// The encoding, decided on the first bytes above ASCII seen (the header's, then the
    /// blocks' records).
    fn decide(&mut self, records: &[u8]) {
        if self.encoding.is_none() {
            for bytes in [&self.header[..], records] {
                if !bytes.is_ascii() {
                    self.encoding = Some(fundguard_model::decode_bytes(bytes).encoding);
                    return;
                }
            }
        }
    }

    fn encoding(&self) -> &'static str {
        self.encoding.unwrap_or("utf-8")
    }

    /// The next block's rows as the contract's columns, or `None` at the end.
    fn next_piece(&mut self) -> Result<Option<RawTable>, IngestError> {
        let end = loop {
            if self.eof {
                break self.carry.len();
            }
            self.fill()?;
            if self.eof {
                break self.carry.len();
            }
            match record_ends(&self.carry).last() {
                Some(end) => break end,
                None if self.carry.len() >= MAX_RECORD => return Err(self.too_long()),
                None => {}
            }
        };
        // The last piece has been handed out; a file of a header alone still gives one (empty)
        // piece, so that its header is checked.
        if end == 0 && self.pieces > 0 {
            return Ok(None);
        }
        self.pieces += 1;
        let rest = self.carry.split_off(end);
        let block = std::mem::replace(&mut self.carry, rest);
        self.decide(&block);
        let encoding = self.encoding();
        let mut bytes = Vec::with_capacity(self.header.len() + 1 + block.len());
        bytes.extend_from_slice(&self.header);
        if !self.header.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(&block);
        let first = self.line;
        self.line += block.iter().filter(|&&b| b == b'\n').count() as u64;
        drop(block);
        let (text, replaced) = crate::extract::decode_as(encoding, &bytes);
        let mut file = read_csv_text(
            self.table,
            &self.path,
            &text,
            (encoding, replaced),
            self.table.columns(),
        )?;
        drop(text);
        drop(bytes);
        // Lines of the text read (the header first) as lines of the file.
        let shift = first as i64 - (self.header_lines.max(1) as i64 + 1);
        if let Some(lines) = &mut file.csv_lines {
            for l in lines.iter_mut() {
                *l = (*l as i64 + shift).max(1) as u64;
            }
        }
        self.report.rows += file.rows;
        let mut report = file_report(&self.path, &file, String::new());
        report.rows = file.rows;
        let mut piece = RawTable::empty(self.table);
        piece.push_file(report, file.chunks, file.broken, file.csv_lines);
        Ok(Some(piece.finish()))
    }

    /// The file's SHA-256 (when it has been read to the end).
    fn sha256(&mut self) -> String {
        let hasher = std::mem::replace(&mut self.hasher, Sha256::new());
        hex(&hasher.finalize())
    }

    fn too_long(&self) -> IngestError {
        IngestError::Unreadable {
            file: self.path.clone(),
            message: format!(
                "line {}: a record longer than {} MiB (an unclosed quote?)",
                self.line,
                MAX_RECORD >> 20
            ),
        }
    }
}

fn is_parquet(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

fn file_report(path: &Path, file: &FileColumns, sha256: String) -> FileReport {
    FileReport {
        path: path.to_path_buf(),
        format: if file.encoding.is_none() {
            Format::Parquet
        } else {
            Format::Csv
        },
        encoding: file.encoding,
        rows: file.rows,
        sha256,
        ignored_columns: file.ignored.clone(),
        skipped_invalid: 0,
        superseded: 0,
        null_cells: 0,
        derived: false,
    }
}

/// One chunk per contract column of a frame read from Parquet.
fn frame_chunks(df: &polars::prelude::DataFrame, specs: &[ColumnSpec]) -> Vec<Chunk> {
    specs
        .iter()
        .map(|c| match df.column(c.name) {
            Ok(col) => Chunk::Series(col.as_materialized_series().clone()),
            Err(_) => Chunk::Missing(df.height()),
        })
        .collect()
}

struct FileColumns {
    rows: usize,
    /// One per contract column, `Missing` when absent.
    chunks: Vec<Chunk>,
    encoding: Option<&'static str>,
    csv_lines: Option<Vec<u64>>,
    broken: Vec<(usize, String)>,
    ignored: Vec<String>,
}

fn check_required(
    table: Table,
    path: &Path,
    specs: &[ColumnSpec],
    has: impl Fn(&str) -> bool,
) -> Result<(), IngestError> {
    let missing: Vec<String> = specs
        .iter()
        .filter(|c| c.required && !has(c.name))
        .map(|c| c.name.to_string())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(IngestError::MissingColumns {
            table: table.name(),
            file: path.to_path_buf(),
            missing,
        })
    }
}

fn read_parquet(
    table: Table,
    path: &Path,
    bytes: Vec<u8>,
    specs: &[ColumnSpec],
) -> Result<FileColumns, IngestError> {
    let bad = |e: polars::prelude::PolarsError| IngestError::Unreadable {
        file: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut reader = ParquetReader::new(std::io::Cursor::new(bytes));
    let schema = reader.schema().map_err(bad)?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    check_required(table, path, specs, |c| names.iter().any(|n| n == c))?;
    let wanted: Vec<String> = specs
        .iter()
        .filter(|c| names.iter().any(|n| n == c.name))
        .map(|c| c.name.to_string())
        .collect();
    let ignored = names
        .iter()
        .filter(|n| !specs.iter().any(|c| c.name == n.as_str()))
        .cloned()
        .collect();
    let df = reader.with_columns(Some(wanted)).finish().map_err(bad)?;
    let rows = df.height();
    let chunks = frame_chunks(&df, specs);
    Ok(FileColumns {
        rows,
        chunks,
        encoding: None,
        csv_lines: None,
        broken: Vec::new(),
        ignored,
    })
}

/// A flexible CSV reader over decoded text, and its trimmed header.
pub(crate) fn csv_reader<'t>(
    path: &Path,
    text: &'t str,
    delimiter: u8,
) -> Result<(csv::Reader<&'t [u8]>, Vec<String>), IngestError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| IngestError::Unreadable {
            file: path.to_path_buf(),
            message: format!("cannot read the header line: {e}"),
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    Ok((reader, header))
}

fn read_csv(
    table: Table,
    path: &Path,
    bytes: &[u8],
    specs: &[ColumnSpec],
) -> Result<FileColumns, IngestError> {
    let fundguard_model::Decoded {
        text,
        encoding,
        replaced,
    } = fundguard_model::decode_bytes(bytes);
    read_csv_text(table, path, &text, (encoding, replaced), specs)
}

/// CSV text (decoded as `encoding`; `replaced`: some bytes were not) into the contract's columns.
fn read_csv_text(
    table: Table,
    path: &Path,
    text: &str,
    (encoding, replaced): (&'static str, bool),
    specs: &[ColumnSpec],
) -> Result<FileColumns, IngestError> {
    let (mut reader, header) = csv_reader(path, text, b',')?;
    if let Some(dup) = header
        .iter()
        .enumerate()
        .find(|(i, h)| !h.is_empty() && header[..*i].contains(h))
    {
        return Err(IngestError::Unreadable {
            file: path.to_path_buf(),
            message: format!("column `{}` appears twice in the header", dup.1),
        });
    }
    check_required(table, path, specs, |c| header.iter().any(|h| h == c))?;
    // For each contract column, its position in the file.
    let positions: Vec<Option<usize>> = specs
        .iter()
        .map(|c| header.iter().position(|h| h == c.name))
        .collect();
    let ignored = header
        .iter()
        .filter(|h| !h.is_empty() && !specs.iter().any(|c| c.name == h.as_str()))
        .cloned()
        .collect();
    let width = header.len();
    let mut cols: Vec<StrColumn> = specs.iter().map(|_| StrColumn::default()).collect();
    let mut lines = Vec::new();
    let mut broken = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut rows = 0usize;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                let extra_filled = record.iter().skip(width).any(|f| !f.trim().is_empty());
                let problem = if record.len() < width || extra_filled {
                    Some(format!("expected {width} fields, found {}", record.len()))
                } else if replaced && record.iter().any(|f| f.contains('\u{FFFD}')) {
                    Some(undecodable(encoding))
                } else {
                    None
                };
                if let Some(p) = problem {
                    broken.push((rows, p));
                }
                for (col, pos) in cols.iter_mut().zip(&positions) {
                    let usable = broken.last().is_none_or(|(r, _)| *r != rows);
                    col.push(match pos {
                        Some(p) if usable => record.get(*p).unwrap_or(""),
                        _ => "",
                    });
                }
                lines.push(line);
                rows += 1;
            }
            Err(e) => {
                return Err(IngestError::Unreadable {
                    file: path.to_path_buf(),
                    message: e.to_string(),
                })
            }
        }
    }
    let chunks = cols
        .into_iter()
        .zip(&positions)
        .map(|(c, p)| match p {
            Some(_) => Chunk::Text(c),
            None => Chunk::Missing(rows),
        })
        .collect();
    Ok(FileColumns {
        rows,
        chunks,
        encoding: Some(encoding),
        csv_lines: Some(lines),
        broken,
        ignored,
    })
}

/// Why a row holding undecodable bytes is rejected.
pub(crate) fn undecodable(encoding: &str) -> String {
    format!("bytes that are not valid {encoding} (the rest of the file is {encoding})")
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
