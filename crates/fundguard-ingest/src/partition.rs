//! Cuts a dump too large for memory into partitions on disk, for an out-of-core run.
//!
//! Three sets of `parts` partitions each (`<dir>/<set>-<NN>/<table>/<file>.parquet`):
//!
//! - **patient**: visits by a hash of their patient, with their line items, diagnoses and scans;
//!   patients by the same hash;
//! - **provider**: visits by a hash of their provider, with their lines, diagnoses and scans; the
//!   patients of those visits (a patient seen at providers of several partitions is in each);
//!   purchases and stock-ins by the same hash;
//! - **trace_code**: scans by the connected group of codes and visits they belong to (a code's
//!   scans and a visit's scans are always together: codes sold in one visit, visits selling one
//!   code), with those visits (all their lines) and their patients; stock-ins with their code.
//!
//! The providers table and the catalogue go to every partition. A visit id met again goes where
//! it went first (so that the duplicate is rejected beside the row it repeats); a line, scan or
//! diagnosis whose visit is not in the visits table goes to patient partition 0, where it is
//! rejected as it is in memory. The rows keep their columns and order; two columns are added,
//! `_fg_file` (the index of the source file in [`Partitioned::sources`]) and `_fg_row` (the
//! 1-based row in it), which ingest ignores and [`Partitioned::origin`] maps rejects back with.
//!
//! Each table has a home set ([`home`]) whose partitions hold each of its rows exactly once: the
//! account and the rejects of an out-of-core run are taken from there.
//!
//! The sets can be cut one call at a time ([`partition`]'s `sets`), each call reading the dump
//! again, so that the disk holds only the partitions in use.
//!
//! Reads the contract's tables as Parquet only (what `fundguard import` writes from extracts
//! and CSV); memory is bounded by a batch of rows per open file and the id maps: visit id →
//! partitions (16 bytes a visit in a map sized from the footers), the visits' groups (4 bytes a
//! visit) and the scans' codes (16 bytes a scan, sorted; no map of codes), and the patients'
//! provider and trace-code partitions (16 bytes a patient each).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray, UInt32Array, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema};
use fundguard_model::Table;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use rustc_hash::FxHashMap;

use crate::IngestError;

/// The three ways a month is cut.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Set {
    Patient,
    Provider,
    TraceCode,
}

impl Set {
    pub const ALL: [Set; 3] = [Set::Patient, Set::Provider, Set::TraceCode];

    pub fn name(self) -> &'static str {
        match self {
            Set::Patient => "patient",
            Set::Provider => "provider",
            Set::TraceCode => "trace_code",
        }
    }

    /// The set of a [`name`](Set::name).
    pub fn named(name: &str) -> Option<Set> {
        Set::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The set whose partitions hold each row of `table` once (`None`: every partition holds the
/// whole table; its account is patient partition 0's).
pub fn home(table: Table) -> Option<Set> {
    match table {
        Table::Providers | Table::Catalog => None,
        Table::Purchases => Some(Set::Provider),
        Table::DrugStock => Some(Set::TraceCode),
        _ => Some(Set::Patient),
    }
}

/// Most partitions per set (masks of partitions are 64-bit).
pub const MAX_PARTS: usize = 64;

/// Rows per batch read: each batch is cut into up to 3 × parts pieces, which should stay large
/// enough to write efficiently.
const BATCH: usize = 262_144;

/// Rows per row group written.
const ROW_GROUP: usize = 65_536;

/// A dump cut into partitions.
#[derive(Debug, Clone)]
pub struct Partitioned {
    pub dir: PathBuf,
    pub parts: usize,
    /// Every source file read, by its index in `_fg_file`.
    pub sources: Vec<PathBuf>,
    /// Rows read per table.
    pub rows: BTreeMap<Table, u64>,
    /// Bytes written.
    pub bytes: u64,
    /// The earliest and latest time the rows name (settlement or charge; admission, discharge
    /// or charge), rejected rows included: the period a run in memory would find when every
    /// such row is accepted (an out-of-core run checks it against what the partitions accept).
    pub period: Option<(i64, i64)>,
    /// Doctors (visits' `doctor_id`) whose visits went to more than one provider partition: the
    /// one thing an out-of-core run judges per partition that a run in memory judges whole
    /// (`phantom_service.doctor_volume`).
    pub doctors_in_several: usize,
}

impl Partitioned {
    /// The directory of one partition.
    pub fn part(&self, set: Set, k: usize) -> PathBuf {
        part_dir(&self.dir, set, k)
    }
}

fn part_dir(dir: &Path, set: Set, k: usize) -> PathBuf {
    dir.join(format!("{}-{k:02}", set.name()))
}

/// FNV-1a of an id: the same partition for the same text, whatever the run.
pub fn bucket(id: &str, parts: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % parts as u64) as usize
}

/// 64-bit key of an id in the maps (FNV-1a with another basis than [`bucket`]).
fn key(id: &str) -> u64 {
    let mut h: u64 = 0x84222325cbf29ce4;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Where a visit went.
#[derive(Clone, Copy)]
struct Placed {
    /// Its index among the month's visits (`u32::MAX`: a row without a visit id).
    ordinal: u32,
    patient: u16,
    provider: u16,
}

const NO_VISIT: Placed = Placed {
    ordinal: u32::MAX,
    patient: 0,
    provider: 0,
};

/// Cuts the dump in `input` into `parts` partitions of each of `sets` under `dir` (created;
/// its partitions of those sets must not exist). The sets can be cut one call at a time (each
/// call reads the dump again), so that the disk holds only the partitions in use: an
/// out-of-core run cuts and judges the provider and trace-code sets, removes them, then cuts the
/// patient set. The partitions of a set are the same whichever sets are cut with it.
pub fn partition(
    input: &Path,
    parts: usize,
    dir: &Path,
    sets: &[Set],
) -> Result<Partitioned, IngestError> {
    let parts = parts.clamp(1, MAX_PARTS);
    let mut files: BTreeMap<Table, Vec<PathBuf>> = BTreeMap::new();
    for t in Table::ALL {
        let found = crate::locate(input, t)?;
        if let Some(f) = found.iter().find(|f| {
            !f.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        }) {
            return Err(IngestError::Unreadable {
                file: f.clone(),
                message: "an out-of-core run reads the contract's tables as Parquet; convert this dump with `fundguard import` first".into(),
            });
        }
        files.insert(t, found);
    }
    if files[&Table::Visits].is_empty() {
        return Err(IngestError::Unreadable {
            file: input.to_path_buf(),
            message: "no visits table (visits.parquet or visits/) to partition: an out-of-core run reads the contract's tables as Parquet; convert extracts or CSV with `fundguard import` first".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| IngestError::io(dir, e))?;
    let cut = |s: Set| sets.contains(&s);
    // Every call numbers the sources alike (`_fg_file`), whatever it reads.
    let sources: Vec<PathBuf> = files.values().flatten().cloned().collect();
    let visit_rows = footer_rows(&files[&Table::Visits])?;
    let mut p = Partitioner {
        dir: dir.to_path_buf(),
        parts,
        sets: Set::ALL.map(cut),
        visits: FxHashMap::with_capacity_and_hasher(visit_rows, Default::default()),
        patient_providers: FxHashMap::default(),
        patient_traces: FxHashMap::default(),
        written: BTreeMap::new(),
        span: (None, None),
        doctors: FxHashMap::default(),
        out: Partitioned {
            dir: dir.to_path_buf(),
            parts,
            sources,
            rows: BTreeMap::new(),
            bytes: 0,
            period: None,
            doctors_in_several: 0,
        },
    };
    // Visits first: where each goes.
    let mut next = 0u32;
    p.table(Table::Visits, &files[&Table::Visits], true, |p, b, out| {
        let visit = strings(b, "visit_id");
        let patient = strings(b, "patient_id");
        let provider = strings(b, "provider_id");
        let doctor = strings(b, "doctor_id");
        let parts = p.parts;
        widen(
            &mut p.span,
            span(b, &["settle_time"]),
            span(b, &["admit_time", "discharge_time"]),
        );
        for r in 0..b.num_rows() {
            let placed = match cell(&visit, r) {
                Some(id) => *p.visits.entry(key(id)).or_insert_with(|| {
                    next += 1;
                    Placed {
                        ordinal: next - 1,
                        patient: bucket(cell(&patient, r).unwrap_or(""), parts) as u16,
                        provider: bucket(cell(&provider, r).unwrap_or(""), parts) as u16,
                    }
                }),
                None => NO_VISIT,
            };
            if p.sets[Set::Provider as usize] {
                if let Some(id) = cell(&patient, r) {
                    *p.patient_providers.entry(key(id)).or_default() |= 1u64 << placed.provider;
                }
                if let Some(id) = cell(&doctor, r).filter(|d| !d.is_empty()) {
                    let e = p.doctors.entry(key(id)).or_insert(placed.provider);
                    if *e != placed.provider && *e != u16::MAX {
                        *e = u16::MAX;
                        p.out.doctors_in_several += 1;
                    }
                }
            }
            out.row(
                r,
                [
                    (Set::Patient, placed.patient as usize),
                    (Set::Provider, placed.provider as usize),
                ],
            );
        }
    })?;
    // Scans: beside their visit, and by the group of codes and visits they link (so that a
    // code's scans and a visit's scans are in one trace-code partition).
    let has_traces = !files[&Table::DrugTraces].is_empty();
    let trace_set = p.sets[Set::TraceCode as usize];
    let mut groups = Groups::new(if trace_set { next as usize } else { 0 });
    if trace_set {
        read_batches(&files[&Table::DrugTraces], |b| {
            let (visit, code) = (strings(b, "visit_id"), strings(b, "trace_code"));
            for r in 0..b.num_rows() {
                if let Some(v) = cell(&visit, r).and_then(|id| p.visits.get(&key(id))) {
                    groups.scan(v.ordinal, cell(&code, r).filter(|c| !c.is_empty()).map(key));
                }
            }
        })?;
        groups.join();
    }
    p.table(
        Table::DrugTraces,
        &files[&Table::DrugTraces],
        true,
        |p, b, out| {
            let visit = strings(b, "visit_id");
            for r in 0..b.num_rows() {
                match cell(&visit, r).and_then(|id| p.visits.get(&key(id))) {
                    Some(placed) => {
                        out.row(
                            r,
                            [
                                (Set::Patient, placed.patient as usize),
                                (Set::Provider, placed.provider as usize),
                            ],
                        );
                        if let Some(t) = groups.part(placed.ordinal, p.parts) {
                            out.row(r, [(Set::TraceCode, t)]);
                        }
                    }
                    None => out.row(r, [(Set::Patient, 0)]),
                }
            }
        },
    )?;
    p.table(
        Table::DrugStock,
        &files[&Table::DrugStock],
        true,
        |p, b, out| {
            let code = strings(b, "trace_code");
            let provider = strings(b, "provider_id");
            for r in 0..b.num_rows() {
                let id = cell(&code, r).unwrap_or("");
                let by = cell(&provider, r).unwrap_or("");
                let t = groups
                    .code_part(key(id), p.parts)
                    .unwrap_or_else(|| bucket(id, p.parts));
                out.row(
                    r,
                    [(Set::TraceCode, t), (Set::Provider, bucket(by, p.parts))],
                );
            }
        },
    )?;
    groups.codes = Vec::new();
    if has_traces && trace_set {
        // The scans' visits again, into the trace-code partitions of their scans.
        p.table(Table::Visits, &files[&Table::Visits], false, |p, b, out| {
            let visit = strings(b, "visit_id");
            let patient = strings(b, "patient_id");
            for r in 0..b.num_rows() {
                let t = cell(&visit, r)
                    .and_then(|id| p.visits.get(&key(id)))
                    .and_then(|placed| groups.part(placed.ordinal, p.parts));
                if let Some(t) = t {
                    if let Some(id) = cell(&patient, r) {
                        *p.patient_traces.entry(key(id)).or_default() |= 1u64 << t;
                    }
                    out.row(r, [(Set::TraceCode, t)]);
                }
            }
        })?;
    }
    for table in [Table::LineItems, Table::SettlementDiagnoses] {
        let traces = table == Table::LineItems;
        p.table(table, &files[&table], true, |p, b, out| {
            let visit = strings(b, "visit_id");
            if traces {
                let t = span(b, &["charge_time"]);
                widen(&mut p.span, t, t);
            }
            for r in 0..b.num_rows() {
                match cell(&visit, r).and_then(|id| p.visits.get(&key(id))) {
                    Some(placed) => {
                        out.row(
                            r,
                            [
                                (Set::Patient, placed.patient as usize),
                                (Set::Provider, placed.provider as usize),
                            ],
                        );
                        if traces {
                            if let Some(t) = groups.part(placed.ordinal, p.parts) {
                                out.row(r, [(Set::TraceCode, t)]);
                            }
                        }
                    }
                    None => out.row(r, [(Set::Patient, 0)]),
                }
            }
        })?;
    }
    p.visits = FxHashMap::default();
    drop(groups);
    p.table(
        Table::Patients,
        &files[&Table::Patients],
        true,
        |p, b, out| {
            let patient = strings(b, "patient_id");
            for r in 0..b.num_rows() {
                let id = cell(&patient, r).unwrap_or("");
                let k = key(id);
                out.row(r, [(Set::Patient, bucket(id, p.parts))]);
                out.row(
                    r,
                    mask(
                        Set::Provider,
                        p.patient_providers.get(&k).copied().unwrap_or(0),
                    ),
                );
                out.row(
                    r,
                    mask(
                        Set::TraceCode,
                        p.patient_traces.get(&k).copied().unwrap_or(0),
                    ),
                );
            }
        },
    )?;
    p.table(
        Table::Purchases,
        &files[&Table::Purchases],
        true,
        |p, b, out| {
            let provider = strings(b, "provider_id");
            for r in 0..b.num_rows() {
                let id = cell(&provider, r).unwrap_or("");
                out.row(r, [(Set::Provider, bucket(id, p.parts))]);
            }
        },
    )?;
    let every: Vec<(Set, usize)> = Set::ALL
        .into_iter()
        .flat_map(|s| (0..parts).map(move |k| (s, k)))
        .collect();
    for table in [Table::Providers, Table::Catalog] {
        p.table(table, &files[&table], true, |_, b, out| {
            for r in 0..b.num_rows() {
                out.row(r, every.iter().copied());
            }
        })?;
    }
    // Every partition has every table the dump has, empty where no row went, so that a rule
    // that needs a table runs (and finds nothing) as it does on the whole month.
    for (table, (schema, done)) in std::mem::take(&mut p.written) {
        for &set in sets {
            for k in 0..parts {
                if done.contains(&(set, k)) {
                    continue;
                }
                let d = part_dir(dir, set, k).join(table.name());
                std::fs::create_dir_all(&d).map_err(|e| IngestError::io(&d, e))?;
                let path = d.join("empty.parquet");
                let f = File::create(&path).map_err(|e| IngestError::io(&path, e))?;
                let fail = |e: parquet::errors::ParquetError| IngestError::Write {
                    path: path.clone(),
                    message: e.to_string(),
                };
                ArrowWriter::try_new(f, schema.clone(), None)
                    .and_then(|w| w.close().map(|_| ()))
                    .map_err(fail)?;
            }
        }
    }
    for &set in sets {
        for k in 0..parts {
            let d = part_dir(dir, set, k);
            std::fs::create_dir_all(&d).map_err(|e| IngestError::io(&d, e))?;
        }
    }
    if let (Some(a), Some(b)) = p.span {
        p.out.period = Some((a, b));
    }
    Ok(p.out)
}

/// Rows of `files` by their footers.
fn footer_rows(files: &[PathBuf]) -> Result<usize, IngestError> {
    let mut rows = 0usize;
    for path in files {
        let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
        let b = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
            IngestError::Unreadable {
                file: path.clone(),
                message: format!("reading for partitioning: {e}"),
            }
        })?;
        rows = rows.saturating_add(b.metadata().file_metadata().num_rows().max(0) as usize);
    }
    Ok(rows)
}

struct Partitioner {
    dir: PathBuf,
    parts: usize,
    /// The sets cut, by `Set as usize`.
    sets: [bool; 3],
    /// Visit id key → where it went.
    visits: FxHashMap<u64, Placed>,
    /// Provider partitions each patient's visits went to.
    patient_providers: FxHashMap<u64, u64>,
    /// Trace-code partitions each patient's scanned visits went to.
    patient_traces: FxHashMap<u64, u64>,
    out: Partitioned,
    /// The partitions each table has a file in, and its schema (with the two added columns).
    written: BTreeMap<Table, (Arc<Schema>, rustc_hash::FxHashSet<(Set, usize)>)>,
    /// The least start and greatest end seen ([`Partitioned::period`]).
    span: (Option<i64>, Option<i64>),
    /// Each doctor's provider partition, `u16::MAX` once seen in two.
    doctors: FxHashMap<u64, u16>,
}

/// Visits joined by the codes their scans share: a union-find over visit ordinals, built from
/// the scans' (code, visit) pairs sorted by code (no map of codes: most codes are scanned once).
struct Groups {
    /// Per visit ordinal: its group's root, `u32::MAX` for a visit without scans.
    parent: Vec<u32>,
    /// (code key, visit ordinal) of every scan with a code, sorted after [`join`](Groups::join).
    codes: Vec<(u64, u32)>,
}

impl Groups {
    /// For `visits` visit ordinals (0 when no trace-code set is cut).
    fn new(visits: usize) -> Groups {
        Groups {
            parent: vec![u32::MAX; visits],
            codes: Vec::new(),
        }
    }

    /// A scan of visit `ordinal` with the code of key `code` (`None`: no code).
    fn scan(&mut self, ordinal: u32, code: Option<u64>) {
        let o = ordinal as usize;
        if self.parent[o] == u32::MAX {
            self.parent[o] = ordinal;
        }
        if let Some(c) = code {
            self.codes.push((c, ordinal));
        }
    }

    fn find(&mut self, mut n: u32) -> u32 {
        while self.parent[n as usize] != n {
            let up = self.parent[self.parent[n as usize] as usize];
            self.parent[n as usize] = up;
            n = up;
        }
        n
    }

    /// Joins the visits of each code, then points every visit at its group's root.
    fn join(&mut self) {
        use rayon::prelude::*;
        self.codes.par_sort_unstable();
        let codes = std::mem::take(&mut self.codes);
        for run in codes.chunk_by(|a, b| a.0 == b.0) {
            let first = run[0].1;
            for &(_, v) in &run[1..] {
                let (a, b) = (self.find(first), self.find(v));
                if a != b {
                    // The smaller ordinal is the root: the group's partition is its first
                    // visit's.
                    let (lo, hi) = (a.min(b), a.max(b));
                    self.parent[hi as usize] = lo;
                }
            }
        }
        self.codes = codes;
        for n in 0..self.parent.len() as u32 {
            if self.parent[n as usize] != u32::MAX {
                let root = self.find(n);
                self.parent[n as usize] = root;
            }
        }
    }

    /// The trace-code partition of visit `ordinal`'s group (`None`: it has no scans).
    fn part(&self, ordinal: u32, parts: usize) -> Option<usize> {
        let root = *self.parent.get(ordinal as usize)?;
        (root != u32::MAX)
            .then(|| (u64::from(root).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32) as usize % parts)
    }

    /// The trace-code partition of the group of the code of key `code` (`None`: no scan names
    /// it).
    fn code_part(&self, code: u64, parts: usize) -> Option<usize> {
        let at = self.codes.partition_point(|&(c, _)| c < code);
        let &(c, v) = self.codes.get(at)?;
        (c == code).then(|| self.part(v, parts)).flatten()
    }
}

/// Reads every batch of `files` (all columns) for a pass that writes nothing.
fn read_batches(files: &[PathBuf], mut f: impl FnMut(&RecordBatch)) -> Result<(), IngestError> {
    for path in files {
        let fail = |message: String| IngestError::Unreadable {
            file: path.clone(),
            message,
        };
        let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.with_batch_size(BATCH).build())
            .map_err(|e| fail(format!("reading for partitioning: {e}")))?;
        for batch in reader {
            f(&batch.map_err(|e| fail(format!("reading for partitioning: {e}")))?);
        }
    }
    Ok(())
}

/// Where each row of a batch goes: row indexes per partition, in row order.
struct Routes {
    parts: usize,
    /// The sets cut: rows routed to another are left out.
    sets: [bool; 3],
    /// Per (set, partition), at `set × parts + partition`.
    by: Vec<Vec<u32>>,
}

impl Routes {
    fn new(parts: usize, sets: [bool; 3]) -> Routes {
        Routes {
            parts,
            sets,
            by: vec![Vec::new(); Set::ALL.len() * parts],
        }
    }

    /// Row `r` goes to each of `to`.
    fn row(&mut self, r: usize, to: impl IntoIterator<Item = (Set, usize)>) {
        for (set, k) in to {
            if self.sets[set as usize] {
                self.by[set as usize * self.parts + k].push(r as u32);
            }
        }
    }

    /// The partitions some row goes to, with the rows (emptied here).
    fn take(&mut self) -> Vec<((Set, usize), Vec<u32>)> {
        let parts = self.parts;
        self.by
            .iter_mut()
            .enumerate()
            .filter(|(_, v)| !v.is_empty())
            .map(|(i, v)| ((Set::ALL[i / parts], i % parts), std::mem::take(v)))
            .collect()
    }
}

fn mask(set: Set, bits: u64) -> impl Iterator<Item = (Set, usize)> {
    (0..64)
        .filter(move |k| bits & (1u64 << k) != 0)
        .map(move |k| (set, k))
}

/// A column as text (cast when it is not), or `None` when the file lacks it.
fn strings(b: &RecordBatch, name: &str) -> Option<StringArray> {
    let c = b.column_by_name(name)?;
    let c = arrow::compute::cast(c, &DataType::Utf8).ok()?;
    c.as_any().downcast_ref::<StringArray>().cloned()
}

/// The least and greatest value of timestamp columns, in seconds (`None` when none has one or a
/// column is not a timestamp the cast understands).
fn span(b: &RecordBatch, names: &[&str]) -> Option<(i64, i64)> {
    use arrow::array::TimestampSecondArray;
    use arrow::datatypes::TimeUnit;
    let mut out: Option<(i64, i64)> = None;
    for name in names {
        let Some(c) = b.column_by_name(name) else {
            continue;
        };
        let Ok(c) = arrow::compute::cast(c, &DataType::Timestamp(TimeUnit::Second, None)) else {
            continue;
        };
        let Some(c) = c.as_any().downcast_ref::<TimestampSecondArray>() else {
            continue;
        };
        if let (Some(lo), Some(hi)) = (arrow::compute::min(c), arrow::compute::max(c)) {
            out = Some(out.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
    }
    out
}

fn widen(
    into: &mut (Option<i64>, Option<i64>),
    start: Option<(i64, i64)>,
    end: Option<(i64, i64)>,
) {
    if let Some((lo, _)) = start {
        into.0 = Some(into.0.map_or(lo, |a| a.min(lo)));
    }
    if let Some((_, hi)) = end {
        into.1 = Some(into.1.map_or(hi, |a| a.max(hi)));
    }
}

/// Row `r` of a text column the file may lack; `None` when absent or null.
fn cell(c: &Option<StringArray>, r: usize) -> Option<&str> {
    c.as_ref().and_then(|c| text(c, r))
}

fn text(c: &StringArray, r: usize) -> Option<&str> {
    (!c.is_null(r)).then(|| c.value(r))
}

impl Partitioner {
    /// Reads every file of `table` in batches; `route` says for each row the partitions it goes
    /// to. `count`: the rows count as read (false on a second pass over the same files).
    fn table(
        &mut self,
        table: Table,
        files: &[PathBuf],
        count: bool,
        mut route: impl FnMut(&mut Partitioner, &RecordBatch, &mut Routes),
    ) -> Result<(), IngestError> {
        for path in files {
            let source = match self.out.sources.iter().position(|s| s == path) {
                Some(i) => i,
                None => {
                    self.out.sources.push(path.clone());
                    self.out.sources.len() - 1
                }
            };
            let fail = |message: String| IngestError::Unreadable {
                file: path.clone(),
                message,
            };
            let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .and_then(|b| b.with_batch_size(BATCH).build())
                .map_err(|e| fail(format!("reading for partitioning: {e}")))?;
            let mut writers: FxHashMap<(Set, usize), ArrowWriter<File>> = FxHashMap::default();
            let mut row = 0u64;
            let mut to = Routes::new(self.parts, self.sets);
            // The next batch is decoded on a thread of its own while this one is routed and
            // written.
            let (send, batches) = std::sync::mpsc::sync_channel(2);
            std::thread::scope(|scope| -> Result<(), IngestError> {
                scope.spawn(move || {
                    for batch in reader {
                        if send.send(batch).is_err() {
                            break;
                        }
                    }
                });
                for batch in batches {
                    let batch =
                        batch.map_err(|e| fail(format!("reading for partitioning: {e}")))?;
                    route(self, &batch, &mut to);
                    let n = batch.num_rows();
                    let rows: ArrayRef =
                        Arc::new(UInt64Array::from_iter_values((row + 1)..=(row + n as u64)));
                    let src: ArrayRef = Arc::new(UInt32Array::from_iter_values(
                        std::iter::repeat_n(source as u32, n),
                    ));
                    let mut fields: Vec<Arc<Field>> =
                        batch.schema().fields().iter().cloned().collect();
                    fields.push(Arc::new(Field::new("_fg_file", DataType::UInt32, false)));
                    fields.push(Arc::new(Field::new("_fg_row", DataType::UInt64, false)));
                    let mut columns = batch.columns().to_vec();
                    columns.push(src);
                    columns.push(rows);
                    let schema = Arc::new(Schema::new_with_metadata(
                        fields,
                        batch.schema().metadata().clone(),
                    ));
                    let full = RecordBatch::try_new(schema.clone(), columns)
                        .map_err(|e| fail(e.to_string()))?;
                    let written = &mut self
                        .written
                        .entry(table)
                        .or_insert_with(|| (schema.clone(), Default::default()))
                        .1;
                    let mut by: FxHashMap<(Set, usize), Vec<u32>> = to.take().into_iter().collect();
                    // Writers of the partitions this batch goes to, opened on first use; then
                    // each partition's rows taken and encoded in parallel.
                    for &dest in by.keys() {
                        written.insert(dest);
                        if let std::collections::hash_map::Entry::Vacant(v) = writers.entry(dest) {
                            let d = part_dir(&self.dir, dest.0, dest.1).join(table.name());
                            std::fs::create_dir_all(&d).map_err(|e| IngestError::io(&d, e))?;
                            let p = d.join(format!("{source:05}.parquet"));
                            let f = File::create(&p).map_err(|e| IngestError::io(&p, e))?;
                            // Read back once by this run: dictionaries (ids repeat, and ingest
                            // interns them faster), fast compression (zstd 1: a third smaller
                            // than snappy for the same time), no statistics.
                            let props = WriterProperties::builder()
                                .set_compression(Compression::ZSTD(
                                    ZstdLevel::try_new(1).unwrap_or_default(),
                                ))
                                .set_dictionary_enabled(true)
                                .set_statistics_enabled(
                                    parquet::file::properties::EnabledStatistics::None,
                                )
                                .set_max_row_group_row_count(Some(ROW_GROUP))
                                .build();
                            v.insert(
                                ArrowWriter::try_new(f, schema.clone(), Some(props))
                                    .map_err(|e| fail(e.to_string()))?,
                            );
                        }
                    }
                    let mut jobs: Vec<(&mut ArrowWriter<File>, Vec<u32>)> = writers
                        .iter_mut()
                        .filter_map(|(dest, w)| by.remove(dest).map(|idx| (w, idx)))
                        .collect();
                    use rayon::prelude::*;
                    jobs.par_iter_mut().try_for_each(|(w, idx)| {
                        let idx = UInt32Array::from(std::mem::take(idx));
                        let part = arrow::compute::take_record_batch(&full, &idx)
                            .map_err(|e| fail(e.to_string()))?;
                        w.write(&part)
                            .map_err(|e| fail(format!("writing a partition: {e}")))
                    })?;
                    row += n as u64;
                }
                Ok(())
            })?;
            for (_, w) in writers {
                let meta = w
                    .close()
                    .map_err(|e| fail(format!("writing a partition: {e}")))?;
                self.out.bytes += meta
                    .row_groups()
                    .iter()
                    .map(|g| g.compressed_size().max(0) as u64)
                    .sum::<u64>();
            }
            if count {
                *self.out.rows.entry(table).or_default() += row;
            }
        }
        Ok(())
    }
}

/// The source file and 1-based row of row `row` (1-based) of a partition file, from its
/// `_fg_file` and `_fg_row` columns.
pub fn origins(path: &Path) -> Result<Vec<(u32, u64)>, IngestError> {
    let fail = |message: String| IngestError::Unreadable {
        file: path.to_path_buf(),
        message,
    };
    let file = File::open(path).map_err(|e| IngestError::io(path, e))?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| fail(e.to_string()))?;
    let schema = builder.parquet_schema();
    let cols: Vec<usize> = (0..schema.num_columns())
        .filter(|&i| matches!(schema.column(i).name(), "_fg_file" | "_fg_row"))
        .collect();
    let mask = parquet::arrow::ProjectionMask::leaves(schema, cols);
    let reader = builder
        .with_projection(mask)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let mut out = Vec::new();
    for b in reader {
        let b = b.map_err(|e| fail(e.to_string()))?;
        let (Some(f), Some(r)) = (b.column_by_name("_fg_file"), b.column_by_name("_fg_row")) else {
            return Err(fail("not a partition file (no _fg_file, _fg_row)".into()));
        };
        let f = f
            .as_any()
            .downcast_ref::<UInt32Array>()
            .ok_or_else(|| fail("_fg_file is not u32".into()))?;
        let r = r
            .as_any()
            .downcast_ref::<UInt64Array>()
            .ok_or_else(|| fail("_fg_row is not u64".into()))?;
        out.extend(f.values().iter().copied().zip(r.values().iter().copied()));
    }
    Ok(out)
}
