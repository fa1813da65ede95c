//! Reads a claims dump directory (`shared/spec/data-contract.md`, section 1) and validates every row
//! into fundguard's columnar [`Dump`]. Entry point: [`ingest`].
//!
//! Each table is `<table>.parquet`, `<table>.csv` or a folder `<table>/` of such files. CSV may be
//! UTF-8 (with or without BOM) or GBK/GB18030, detected per file. A file lacking a required column,
//! or a required table that is absent, makes the dump unusable ([`IngestError`]); everything else
//! that is wrong with a row makes that row a [`Reject`] with its file, row, column, value and reason,
//! so that for every table `read = accepted + rejected`.
//!
//! Only this crate touches input files.

pub use error::IngestError;
pub use read::{FileReport, Format, NullMarkers, COMMON_NULLS};
pub use rejects::write_rejects;

use std::path::{Path, PathBuf};

use fundguard_model::{Dicts, Dump, Table};
use rayon::prelude::*;
use serde::Serialize;

mod error;
mod extract;
pub mod known;
pub mod mapping;
pub mod partition;
mod read;
pub mod records;
mod rejects;
mod tables;
mod validate;

/// Tunables of validation.
#[derive(Debug, Clone, Serialize)]
pub struct IngestOptions {
    /// How far `amount` may be from `quantity x unit_price` (rounded to fen) before the line is
    /// rejected. Real exports truncate or round; 1 fen covers both.
    pub amount_tolerance_fen: i64,
    /// A mapping for a foreign layout: the tables it names are read through it.
    pub mapping: Option<mapping::Mapping>,
    /// Visits and line items are read from Parquet in pieces of whole row groups of about this
    /// many rows, so that only one piece's raw columns are in memory at a time.
    pub piece_rows: usize,
    /// The national platform's fee lines (FEE_LIST_D) are read in blocks of this many bytes,
    /// each split among the threads, so that only one block's rows are in memory at a time.
    pub stream_bytes: usize,
    /// How text files write missing values besides the empty cell (`--null-values`).
    pub nulls: NullMarkers,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            amount_tolerance_fen: 1,
            mapping: None,
            piece_rows: read::PIECE_ROWS,
            stream_bytes: extract::STREAM_BYTES,
            nulls: NullMarkers::default(),
        }
    }
}

/// An input row that was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Reject {
    pub table: Table,
    pub file: PathBuf,
    /// 1-based data row within the file (the header is not counted).
    pub row: u64,
    /// 1-based line in a CSV file (differs from `row + 1` only when quoted fields span lines).
    pub line: Option<u64>,
    /// The first offending column; `None` when the row as a whole is unusable.
    pub column: Option<String>,
    /// The offending value as found.
    pub value: Option<String>,
    /// Every problem of the row, `; `-separated.
    pub reason: String,
}

/// What happened to one table.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct TableReport {
    pub table: Table,
    pub present: bool,
    pub files: Vec<FileReport>,
    pub read: usize,
    pub accepted: usize,
    pub rejected: usize,
    /// Rules that cannot run because this optional table is absent.
    #[serde(deserialize_with = "crate::known::rule_ids")]
    pub disables: Vec<&'static str>,
}

/// The account of an ingest: per table, rows read, accepted and rejected.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub input: PathBuf,
    pub tables: Vec<TableReport>,
    /// National extracts read that feed no table of the contract (`SETL_LIST_OPRN_D`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unused_extracts: Vec<UnusedExtract>,
}

/// An extract that feeds no table of the contract: read, counted and linked to the month's
/// visits, its rows used by no rule (why says so). Its rows are not in any table's account.
#[derive(Debug, Clone, Serialize)]
pub struct UnusedExtract {
    pub extract: &'static str,
    pub file: PathBuf,
    pub encoding: Option<&'static str>,
    pub sha256: String,
    /// Data rows read (invalid rows, `vali_flag` 0, not counted).
    pub rows: usize,
    /// Rows that could not be split into the header's fields.
    pub unreadable: usize,
    /// Rows naming a visit of `MDTRT_D` (directly or through their settlement).
    pub linked: usize,
    pub why: &'static str,
}

impl IngestReport {
    pub fn table(&self, t: Table) -> &TableReport {
        self.tables
            .iter()
            .find(|r| r.table == t)
            .expect("every table is reported")
    }

    pub fn total_rejected(&self) -> usize {
        self.tables.iter().map(|t| t.rejected).sum()
    }

    /// Text cells read as missing because they spell it (`NA`, `NULL` …), over every file.
    pub fn null_cells(&self) -> usize {
        self.tables
            .iter()
            .flat_map(|t| &t.files)
            .map(|f| f.null_cells)
            .sum()
    }
}

/// A validated dump with its account and rejects.
pub struct Ingested {
    pub dump: Dump,
    pub report: IngestReport,
    pub rejects: Vec<Reject>,
}

/// Finds the files of `table` in `dir`: `<table>.parquet`, `<table>.csv` (any case), or the
/// `.parquet`/`.csv` files of a folder `<table>/`, sorted by name.
pub fn locate(dir: &Path, table: Table) -> Result<Vec<PathBuf>, IngestError> {
    let entries = std::fs::read_dir(dir).map_err(|e| IngestError::io(dir, e))?;
    let is_table_file = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("csv"))
    };
    let mut candidates = Vec::new();
    for e in entries {
        let path = e.map_err(|e| IngestError::io(dir, e))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let stem = name.split('.').next().unwrap_or(name);
        if !stem.eq_ignore_ascii_case(table.name()) {
            continue;
        }
        if path.is_dir() || is_table_file(&path) {
            candidates.push(path);
        }
    }
    candidates.sort();
    match candidates.len() {
        0 => Ok(Vec::new()),
        1 if candidates[0].is_dir() => {
            let folder = &candidates[0];
            let mut files = Vec::new();
            for e in std::fs::read_dir(folder).map_err(|e| IngestError::io(folder, e))? {
                let p = e.map_err(|e| IngestError::io(folder, e))?.path();
                if p.is_file() && is_table_file(&p) {
                    files.push(p);
                }
            }
            files.sort();
            Ok(files)
        }
        1 => Ok(candidates),
        _ => Err(IngestError::Ambiguous {
            table: table.name(),
            files: candidates,
        }),
    }
}

/// Reads and validates the dump in `dir`.
pub fn ingest(dir: &Path, opts: &IngestOptions) -> Result<Ingested, IngestError> {
    if !dir.is_dir() {
        return Err(IngestError::NotADirectory {
            dir: dir.to_path_buf(),
        });
    }
    // National-platform extracts stand in for the tables the directory has no canonical file of.
    let extracts = extract::find(dir)?;
    let mut unused_extracts = Vec::new();
    let (mut translated, mut streamed) = if extracts.is_empty() {
        (Table::ALL.iter().map(|_| None).collect(), None)
    } else {
        let read = extract::read(&extracts, opts.stream_bytes)?;
        let mut tables = read.tables;
        for raw in tables.iter_mut().flatten() {
            raw.blank_nulls(&opts.nulls);
        }
        unused_extracts = read.unused;
        (tables, read.lines)
    };
    let mut found = Vec::new();
    for t in Table::ALL {
        if let Some(tm) = opts.mapping.as_ref().and_then(|m| m.table(t)) {
            let mut raw = mapping::read(dir, t, tm, &opts.nulls)?;
            raw.blank_nulls(&mapping::markers(tm, &opts.nulls));
            translated[t as usize] = Some(raw);
            if t == Table::LineItems {
                streamed = None;
            }
            found.push((t, Vec::new()));
            continue;
        }
        let files = locate(dir, t)?;
        if !files.is_empty() {
            translated[t as usize] = None;
            if t == Table::LineItems {
                streamed = None;
            }
        }
        let streams = t == Table::LineItems && streamed.is_some();
        if files.is_empty() && translated[t as usize].is_none() && !streams && t.required() {
            return Err(IngestError::MissingTable {
                table: t.name(),
                dir: dir.to_path_buf(),
            });
        }
        found.push((t, files));
    }
    // The small tables are read whole, in parallel; visits and line items piece by piece
    // (their Parquet footers are checked now). When several tables fail, the first in table
    // order is reported, whatever thread finished first, so the same dump always gives the same
    // error.
    let big = |t: Table| matches!(t, Table::Visits | Table::LineItems);
    let sources: Vec<Option<Source>> = found
        .par_iter()
        .map(|(t, files)| {
            if files.is_empty() {
                Ok(None)
            } else if big(*t) {
                read::TableReader::files(
                    *t,
                    files,
                    opts.piece_rows.max(1),
                    opts.stream_bytes,
                    &opts.nulls,
                )
                .map(|r| Some(Source::Pieces(Box::new(r))))
            } else {
                read::read_table(*t, files).map(|mut r| {
                    r.blank_nulls(&opts.nulls);
                    Some(Source::Whole(r))
                })
            }
        })
        .collect::<Vec<_>>()
        .into_iter()
        .zip(translated)
        .map(|(read, translated)| {
            read.map(|r| {
                r.or(translated.map(|t| {
                    if big(t.table) {
                        Source::Pieces(Box::new(read::TableReader::ready(t)))
                    } else {
                        Source::Whole(t)
                    }
                }))
            })
        })
        .collect::<Result<_, _>>()?;
    let mut sources = sources;
    if let Some(stream) = streamed {
        sources[Table::LineItems as usize] = Some(Source::Pieces(Box::new(
            read::TableReader::stream(Table::LineItems, stream, &opts.nulls),
        )));
    }
    let mut whole = |t: Table| match sources[t as usize].take() {
        Some(Source::Whole(r)) => Some(r),
        Some(Source::Pieces(p)) => {
            sources[t as usize] = Some(Source::Pieces(p));
            None
        }
        None => None,
    };
    let providers_raw = whole(Table::Providers);
    let patients_raw = whole(Table::Patients);
    let catalog_raw = whole(Table::Catalog);
    let purchases_raw = whole(Table::Purchases);
    let traces_raw = whole(Table::DrugTraces);
    let stock_raw = whole(Table::DrugStock);
    let diagnoses_raw = whole(Table::SettlementDiagnoses);

    let mut dicts = Dicts::default();
    let mut outcomes: Vec<(Table, tables::Outcome)> = Vec::new();
    let mut metas: Vec<Option<read::RawTable>> = Table::ALL.iter().map(|_| None).collect();
    let mut dump = Dump::default();
    // Reference tables first so that their codes come first in the dictionaries. Each table's raw
    // columns are dropped as soon as it is converted.
    if let Some(r) = providers_raw {
        let (p, o) = tables::providers(&r, &mut dicts);
        dump.providers = Some(p);
        outcomes.push((Table::Providers, o));
        metas[Table::Providers as usize] = Some(r.meta());
    }
    if let Some(r) = patients_raw {
        let (p, o) = tables::patients(&r, &mut dicts);
        dump.patients = Some(p);
        outcomes.push((Table::Patients, o));
        metas[Table::Patients as usize] = Some(r.meta());
    }
    if let Some(r) = catalog_raw {
        let (c, o) = tables::catalog(&r, &mut dicts);
        dump.catalog = Some(c);
        outcomes.push((Table::Catalog, o));
        metas[Table::Catalog as usize] = Some(r.meta());
    }
    if let Some(r) = purchases_raw {
        let (p, o) = tables::purchases(&r, &mut dicts);
        dump.purchases = Some(p);
        outcomes.push((Table::Purchases, o));
        metas[Table::Purchases as usize] = Some(r.meta());
    }
    let pieces = |s: Option<Source>| match s {
        Some(Source::Pieces(p)) => *p,
        _ => unreachable!("visits and line items are read in pieces"),
    };
    let visits_reader = pieces(sources[Table::Visits as usize].take());
    let lines_reader = pieces(sources[Table::LineItems as usize].take());
    let (visits, o, meta, rejected_visits) = tables::visits(visits_reader, &mut dicts)?;
    outcomes.push((Table::Visits, o));
    metas[Table::Visits as usize] = Some(meta);
    let (lines, o, meta, visit_rows) =
        tables::line_items(lines_reader, &mut dicts, &visits, &rejected_visits, opts)?;
    drop(rejected_visits);
    outcomes.push((Table::LineItems, o));
    metas[Table::LineItems as usize] = Some(meta);
    // Scans link to the accepted line items, so they come after them.
    if let Some(r) = traces_raw {
        let (t, o) = tables::drug_traces(&r, &mut dicts, &visits, &visit_rows, &lines);
        dump.traces = Some(t);
        outcomes.push((Table::DrugTraces, o));
        metas[Table::DrugTraces as usize] = Some(r.meta());
    }
    if let Some(r) = stock_raw {
        let (s, o) = tables::drug_stock(&r, &mut dicts);
        dump.stock = Some(s);
        outcomes.push((Table::DrugStock, o));
        metas[Table::DrugStock as usize] = Some(r.meta());
    }
    if let Some(r) = diagnoses_raw {
        let (d, o) = tables::settlement_diagnoses(&r, &mut dicts, &visits, &visit_rows);
        dump.diagnoses = Some(d);
        outcomes.push((Table::SettlementDiagnoses, o));
        metas[Table::SettlementDiagnoses as usize] = Some(r.meta());
    }
    drop(visit_rows);
    dump.visits = visits;
    dump.lines = lines;
    dump.dicts = dicts;
    let raw = |t: Table| metas[t as usize].as_ref();

    let mut rejects = Vec::new();
    let mut reports = Vec::new();
    for t in Table::ALL {
        let Some(r) = raw(t) else {
            reports.push(TableReport {
                table: t,
                present: false,
                files: Vec::new(),
                read: 0,
                accepted: 0,
                rejected: 0,
                disables: t.needed_by().to_vec(),
            });
            continue;
        };
        let (_, outcome) = outcomes
            .iter_mut()
            .find(|(ot, _)| *ot == t)
            .expect("every present table has an outcome");
        let before = rejects.len();
        collect_rejects(r, std::mem::take(&mut outcome.problems), &mut rejects);
        let accepted = outcome.keep.iter().filter(|k| **k).count();
        reports.push(TableReport {
            table: t,
            present: true,
            files: r.files.clone(),
            read: r.rows,
            accepted,
            rejected: rejects.len() - before,
            disables: Vec::new(),
        });
    }
    Ok(Ingested {
        dump,
        report: IngestReport {
            input: dir.to_path_buf(),
            tables: reports,
            unused_extracts,
        },
        rejects,
    })
}

/// A table as read: whole (small tables) or piece by piece (visits, line items).
enum Source {
    Whole(read::RawTable),
    Pieces(Box<read::TableReader>),
}

/// One reject per bad row, in row order, listing all its problems.
fn collect_rejects(
    raw: &read::RawTable,
    mut problems: Vec<validate::Problem>,
    out: &mut Vec<Reject>,
) {
    problems.sort_by_key(|p| p.row);
    for group in problems.chunk_by(|a, b| a.row == b.row) {
        // A row unusable as a whole says only that.
        let structural: Vec<_> = group.iter().filter(|p| p.column.is_none()).collect();
        let shown: Vec<_> = if structural.is_empty() {
            group.iter().collect()
        } else {
            structural
        };
        let o = raw.origin(group[0].row);
        out.push(Reject {
            table: raw.table,
            file: o.file.to_path_buf(),
            row: o.row,
            line: o.line,
            column: shown[0].column.map(str::to_string),
            value: shown[0].value.clone(),
            reason: shown
                .iter()
                .map(|p| p.reason.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
}

/// Memory a run on `dir` needs, estimated before reading it: Parquet files by their uncompressed
/// size (from their footers) times 3, text files by their size times 3, except the national fee
/// lines (FEE_LIST_D), streamed block by block, times 0.8 — ratios measured from peak memory on
/// generated months with some headroom (1,000,000 people: 1.15 GiB uncompressed Parquet, 2.8 GiB
/// peak now that visits and line items are read piece by piece; as GBK extracts 4.7 GB of text,
/// 3.1 GB of them fee lines, 5.4 GiB peak against 7.3 GB estimated). Tables named by the
/// mapping are counted by their files' sizes.
pub fn estimate_memory(dir: &Path) -> Result<u64, IngestError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| IngestError::io(&d, e))? {
            let p = e.map_err(|e| IngestError::io(&d, e))?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    let mut total = 0f64;
    for p in files {
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let size = std::fs::metadata(&p).map_or(0, |m| m.len()) as f64;
        total += match ext.as_str() {
            "parquet" => {
                let uncompressed = std::fs::File::open(&p)
                    .ok()
                    .and_then(|f| SerializedFileReader::new(f).ok())
                    .map_or(size * 8.0, |r| {
                        r.metadata()
                            .row_groups()
                            .iter()
                            .map(|g| g.total_byte_size() as f64)
                            .sum()
                    });
                uncompressed * 3.0
            }
            "csv" | "txt" | "dat" => {
                let streamed = p
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .is_some_and(|s| s.eq_ignore_ascii_case("FEE_LIST_D"));
                size * if streamed { 0.8 } else { 3.0 }
            }
            _ => 0.0,
        };
    }
    Ok(total as u64)
}
