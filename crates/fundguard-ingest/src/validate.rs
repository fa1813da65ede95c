//! Cell-level conversion to the contract's types, and the bookkeeping of problems per row.

use std::borrow::Cow;

use fundguard_model::{
    day_of, parse_date, parse_decimal, parse_hhmm, parse_month, parse_timestamp, rescale,
    start_of_day, ColumnSpec, Date, Dict, Kind, StrColumn, Ts, NONE,
};
use polars::prelude::{DataType, Series, TimeUnit};
use polars_arrow::array::{Array, Utf8ViewArray};
use polars_arrow::bitmap::Bitmap;
use rustc_hash::FxHashMap;

use crate::read::{Cell, Chunk, RawTable};

/// One thing wrong with one row.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub row: usize,
    pub column: Option<&'static str>,
    pub value: Option<String>,
    pub reason: String,
}

fn kind_name(c: &Cell<'_>) -> &'static str {
    match c {
        Cell::Null => "nothing",
        Cell::Text(_) => "text",
        Cell::Int(_) => "an integer",
        Cell::Float(_) => "a float",
        Cell::Decimal(..) => "a decimal",
        Cell::Bool(_) => "a boolean",
        Cell::Timestamp(_) => "a timestamp",
        Cell::Date(_) => "a date",
        Cell::Unsupported(t) => t,
    }
}

fn wrong_type(expected: &str, c: &Cell<'_>) -> String {
    format!("expected {expected}, found {}", kind_name(c))
}

/// Text of an id or code cell. Numbers are accepted as their decimal digits (some exports store
/// numeric-looking codes as integers; their leading zeros are already lost then).
pub(crate) fn to_text<'a>(c: &Cell<'a>) -> Result<Cow<'a, str>, String> {
    match *c {
        Cell::Text(s) => Ok(Cow::Borrowed(s)),
        Cell::Int(i) => Ok(Cow::Owned(i.to_string())),
        Cell::Decimal(..) => Ok(Cow::Owned(c.display().unwrap_or_default())),
        _ => Err(wrong_type("text", c)),
    }
}

pub(crate) fn to_time(c: &Cell<'_>) -> Result<i64, String> {
    match *c {
        Cell::Text(s) => parse_timestamp(s)
            .ok_or_else(|| "not a timestamp (expected YYYY-MM-DD HH:MM:SS)".to_string()),
        Cell::Timestamp(t) => Ok(t),
        Cell::Date(d) => Ok(start_of_day(d)),
        Cell::Int(i) => parse_timestamp(&i.to_string())
            .ok_or_else(|| "not a timestamp (expected YYYYMMDDHHMMSS)".to_string()),
        _ => Err(wrong_type("a timestamp", c)),
    }
}

pub(crate) fn to_date(c: &Cell<'_>) -> Result<i32, String> {
    match *c {
        Cell::Text(s) => {
            parse_date(s).ok_or_else(|| "not a date (expected YYYY-MM-DD)".to_string())
        }
        Cell::Date(d) => Ok(d),
        Cell::Timestamp(t) => Ok(fundguard_model::day_of(t)),
        Cell::Int(i) => {
            parse_date(&i.to_string()).ok_or_else(|| "not a date (expected YYYYMMDD)".to_string())
        }
        _ => Err(wrong_type("a date", c)),
    }
}

pub(crate) fn to_decimal(c: &Cell<'_>, scale: u32) -> Result<i64, String> {
    let r = match *c {
        Cell::Text(s) => parse_decimal(s, scale),
        Cell::Int(i) => rescale(i128::from(i), 0, scale),
        Cell::Decimal(v, s) => rescale(v, s, scale),
        // The shortest text that reads back as the same float: what the exporter meant.
        Cell::Float(f) if f.is_finite() => parse_decimal(&f.to_string(), scale),
        _ => return Err(wrong_type("a decimal", c)),
    };
    r.map_err(|e| format!("not a decimal with {scale} places: {e}"))
}

pub(crate) fn to_bool(c: &Cell<'_>) -> Result<bool, String> {
    match *c {
        Cell::Bool(b) => Ok(b),
        Cell::Int(0) => Ok(false),
        Cell::Int(1) => Ok(true),
        Cell::Text(s) => match s.to_ascii_lowercase().as_str() {
            "1" | "true" | "t" | "y" | "yes" | "是" => Ok(true),
            "0" | "false" | "f" | "n" | "no" | "否" => Ok(false),
            _ => Err("not a boolean (expected true/false or 1/0)".to_string()),
        },
        _ => Err(wrong_type("a boolean", c)),
    }
}

fn convert(kind: Kind, c: &Cell<'_>) -> Result<i64, String> {
    match kind {
        Kind::Timestamp => to_time(c),
        Kind::Date => to_date(c).map(i64::from),
        Kind::Decimal(scale) => to_decimal(c, scale),
        Kind::Integer => to_decimal(c, 0),
        Kind::Bool => to_bool(c).map(i64::from),
        Kind::TimeOfDay => match *c {
            Cell::Text(s) => parse_hhmm(s)
                .map(i64::from)
                .ok_or_else(|| "not a time of day (expected HH:MM)".to_string()),
            _ => Err(wrong_type("a time of day", c)),
        },
        Kind::Month => match *c {
            Cell::Text(s) => parse_month(s)
                .map(i64::from)
                .ok_or_else(|| "not a month (expected YYYY-MM)".to_string()),
            Cell::Date(_) | Cell::Timestamp(_) => {
                let d = to_date(c)?;
                let (y, m, _) = fundguard_model::civil_from_days(d);
                Ok(i64::from(fundguard_model::days_from_civil(y, m, 1)))
            }
            _ => Err(wrong_type("a month", c)),
        },
        Kind::Id | Kind::Text => to_text(c).map(|_| 0),
    }
}

/// Shows a converted value of `kind` the way a person reads it.
pub(crate) fn show(kind: Kind, v: i64) -> String {
    match kind {
        Kind::Timestamp => Ts(v).to_string(),
        Kind::Date => Date(v as i32).to_string(),
        Kind::Decimal(s) => fundguard_model::Scaled(v, s).to_string(),
        _ => v.to_string(),
    }
}

/// Collects the problems of one table (or one piece of it) while its columns are converted.
///
/// A big table is converted piece by piece (see [`crate::read::TableReader`]); `offset` is the
/// table row of the piece's first row, so problems carry table rows and converted values are
/// appended to the table's columns.
pub(crate) struct Validator<'a> {
    pub raw: &'a RawTable,
    pub problems: Vec<Problem>,
    offset: usize,
}

/// A chunk's Arrow string arrays, when it is a Parquet string column (the bulk paths).
fn string_arrays(chunk: &Chunk) -> Option<Vec<&Utf8ViewArray>> {
    match chunk {
        Chunk::Series(s) => s.str().ok().map(|ca| ca.downcast_iter().collect()),
        _ => None,
    }
}

/// Trims surrounding white space without Unicode tables in the common case of plain ids.
#[inline]
fn trim_fast(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric() => s,
        _ => s.trim(),
    }
}

impl<'a> Validator<'a> {
    /// A validator of a whole table (or a piece of one starting at table row `offset`), starting
    /// with the rows its reader found unusable.
    pub(crate) fn new(raw: &'a RawTable, offset: usize) -> Self {
        let problems = raw
            .broken
            .iter()
            .map(|(row, why)| Problem {
                row: offset + row,
                column: None,
                value: None,
                reason: why.clone(),
            })
            .collect();
        Self {
            raw,
            problems,
            offset,
        }
    }

    /// A validator for some columns of the same piece, run alongside others; the caller merges
    /// the problems back in a fixed order, so rejects do not depend on thread timing.
    pub(crate) fn part(raw: &'a RawTable, offset: usize) -> Self {
        Self {
            raw,
            problems: Vec::new(),
            offset,
        }
    }

    fn spec(&self, name: &str) -> fundguard_model::ColumnSpec {
        *self
            .raw
            .table
            .columns()
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name} is not a column of {}", self.raw.table.name()))
    }

    /// Reports a problem at a table row.
    pub(crate) fn report(
        &mut self,
        row: usize,
        column: &'static str,
        value: Option<String>,
        reason: String,
    ) {
        self.problems.push(Problem {
            row,
            column: Some(column),
            value,
            reason,
        });
    }

    /// A problem at a row of this piece.
    fn bad(&mut self, spec: &ColumnSpec, row: usize, value: Option<String>, why: &str) {
        self.problems.push(Problem {
            row: self.offset + row,
            column: Some(spec.name),
            value,
            reason: format!("{}: {why}", spec.name),
        });
    }

    fn empty(&mut self, spec: &ColumnSpec, row: usize) {
        if spec.non_null {
            self.bad(spec, row, None, "required value is empty");
        }
    }

    /// Visits every cell of one chunk, reporting empty required values; `f` sees only non-null
    /// cells (with the piece row) and returns a problem description for bad ones.
    fn scan_chunk(
        &mut self,
        spec: &ColumnSpec,
        start: usize,
        chunk: &Chunk,
        mut f: impl FnMut(usize, &Cell<'_>) -> Result<(), String>,
    ) {
        let mut found = Vec::new();
        chunk.for_each(start, |row, cell| {
            let res = match cell {
                Cell::Null if spec.non_null => Err("required value is empty".to_string()),
                Cell::Null => Ok(()),
                _ => f(row, &cell),
            };
            if let Err(why) = res {
                found.push((row, cell.display(), why));
            }
        });
        for (row, value, why) in found {
            self.bad(spec, row, value, &why);
        }
    }

    /// Appends `raw.rows` values of a numeric or temporal column to `out`; `null` where the cell is
    /// empty, absent or bad. Typed Parquet columns are converted in bulk.
    pub(crate) fn numbers_into(&mut self, name: &str, null: i64, out: &mut Vec<i64>) {
        let spec = self.spec(name);
        let base = out.len();
        out.resize(base + self.raw.rows, null);
        let dst = &mut out[base..];
        let Some(col) = self.raw.column(spec.name) else {
            return;
        };
        for (start, chunk) in col.chunks() {
            if let Chunk::Series(s) = chunk {
                if self.bulk_numbers(&spec, s, start, dst) {
                    continue;
                }
            }
            self.scan_chunk(&spec, start, chunk, |row, cell| {
                dst[row] = convert(spec.kind, cell)?;
                Ok(())
            });
        }
    }

    pub(crate) fn numbers(&mut self, name: &str, null: i64) -> Vec<i64> {
        let mut out = Vec::new();
        self.numbers_into(name, null, &mut out);
        out
    }

    /// Converts a typed series whose type and target kind have a bulk path; false when not.
    fn bulk_numbers(
        &mut self,
        spec: &ColumnSpec,
        s: &Series,
        start: usize,
        dst: &mut [i64],
    ) -> bool {
        let kind = spec.kind;
        // Places of a decimal or integer target.
        let to = match kind {
            Kind::Decimal(t) => t,
            _ => 0,
        };
        match (s.dtype(), kind) {
            (DataType::Decimal(_, scale), Kind::Decimal(_) | Kind::Integer) => {
                let from = *scale as u32;
                let Ok(ca) = s.decimal() else { return false };
                let arrays = ca
                    .physical()
                    .downcast_iter()
                    .map(|a| (a.values().as_slice(), a.validity()));
                self.bulk(
                    spec,
                    arrays,
                    start,
                    dst,
                    |v| rescale(v, from, to).ok(),
                    |v| Cell::Decimal(v, from),
                );
                true
            }
            (DataType::Datetime(unit, tz), Kind::Timestamp | Kind::Date) => {
                let shift = if tz.is_some() { 8 * 3600 } else { 0 };
                let per_sec: i64 = match unit {
                    TimeUnit::Nanoseconds => 1_000_000_000,
                    TimeUnit::Microseconds => 1_000_000,
                    TimeUnit::Milliseconds => 1_000,
                };
                let Ok(ca) = s.datetime() else { return false };
                let arrays = ca
                    .physical()
                    .downcast_iter()
                    .map(|a| (a.values().as_slice(), a.validity()));
                let date = kind == Kind::Date;
                self.bulk(
                    spec,
                    arrays,
                    start,
                    dst,
                    |v: i64| {
                        let t = v.div_euclid(per_sec) + shift;
                        Some(if date { i64::from(day_of(t)) } else { t })
                    },
                    |v| Cell::Timestamp(v.div_euclid(per_sec) + shift),
                );
                true
            }
            (DataType::Date, Kind::Date | Kind::Timestamp) => {
                let Ok(ca) = s.date() else { return false };
                let arrays = ca
                    .physical()
                    .downcast_iter()
                    .map(|a| (a.values().as_slice(), a.validity()));
                let date = kind == Kind::Date;
                self.bulk(
                    spec,
                    arrays,
                    start,
                    dst,
                    |d: i32| Some(if date { i64::from(d) } else { start_of_day(d) }),
                    Cell::Date,
                );
                true
            }
            (DataType::Int64, Kind::Decimal(_) | Kind::Integer) => {
                let Ok(ca) = s.i64() else { return false };
                let arrays = ca
                    .downcast_iter()
                    .map(|a| (a.values().as_slice(), a.validity()));
                self.bulk(
                    spec,
                    arrays,
                    start,
                    dst,
                    |v: i64| rescale(i128::from(v), 0, to).ok(),
                    Cell::Int,
                );
                true
            }
            _ => false,
        }
    }

    /// The bulk loop: `fast` converts a value (None when it cannot), `cell` shows it for the
    /// generic conversion that words the problem.
    fn bulk<'s, T: Copy + 's>(
        &mut self,
        spec: &ColumnSpec,
        arrays: impl Iterator<Item = (&'s [T], Option<&'s Bitmap>)>,
        start: usize,
        dst: &mut [i64],
        fast: impl Fn(T) -> Option<i64>,
        cell: impl Fn(T) -> Cell<'static>,
    ) {
        let mut row = start;
        for (values, validity) in arrays {
            for (i, &v) in values.iter().enumerate() {
                if validity.is_some_and(|b| !b.get_bit(i)) {
                    self.empty(spec, row + i);
                    continue;
                }
                match fast(v) {
                    Some(x) => dst[row + i] = x,
                    None => {
                        let c = cell(v);
                        let why = convert(spec.kind, &c).err().unwrap_or_default();
                        self.bad(spec, row + i, c.display(), &why);
                    }
                }
            }
            row += values.len();
        }
    }

    /// Appends `raw.rows` values to `out`, converting each text cell with `f`; `null` for empty or
    /// bad cells. Strings of a Parquet column are converted once per distinct Arrow view (equal
    /// views are equal strings: dictionary pages give every occurrence of a value the same view),
    /// so interning a dictionary-encoded column hashes each distinct value once, not every row.
    fn memo_into<T: Copy>(
        &mut self,
        name: &str,
        null: T,
        out: &mut Vec<T>,
        mut f: impl FnMut(&Cell<'_>) -> Result<T, String>,
    ) {
        let spec = self.spec(name);
        let base = out.len();
        out.resize(base + self.raw.rows, null);
        let dst = &mut out[base..];
        let Some(col) = self.raw.column(spec.name) else {
            return;
        };
        for (start, chunk) in col.chunks() {
            let arrays = string_arrays(chunk);
            let Some(arrays) = arrays else {
                self.scan_chunk(&spec, start, chunk, |row, cell| {
                    dst[row] = f(cell)?;
                    Ok(())
                });
                continue;
            };
            let mut row = start;
            for arr in arrays {
                let views = arr.views();
                let validity = arr.validity();
                let mut cache: FxHashMap<u128, Result<T, (String, Option<String>)>> =
                    FxHashMap::default();
                let (mut hits, mut misses, mut caching) = (0usize, 0usize, true);
                for (i, view) in views.iter().enumerate() {
                    let r = row + i;
                    if validity.is_some_and(|b| !b.get_bit(i)) {
                        self.empty(&spec, r);
                        continue;
                    }
                    let key = view.as_u128();
                    let res = match caching.then(|| cache.get(&key)).flatten() {
                        Some(res) => {
                            hits += 1;
                            res.clone()
                        }
                        None => {
                            let text = trim_fast(arr.value(i));
                            let cell = if text.is_empty() {
                                Cell::Null
                            } else {
                                Cell::Text(text)
                            };
                            let res = match cell {
                                Cell::Null if spec.non_null => {
                                    Err(("required value is empty".to_string(), None))
                                }
                                Cell::Null => Ok(null),
                                _ => f(&cell).map_err(|why| (why, cell.display())),
                            };
                            if caching {
                                misses += 1;
                                cache.insert(key, res.clone());
                                // Mostly distinct values (plain-encoded unique ids): stop caching.
                                if misses >= 4096 && hits < misses {
                                    caching = false;
                                    cache = FxHashMap::default();
                                }
                            }
                            res
                        }
                    };
                    match res {
                        Ok(v) => dst[r] = v,
                        Err((why, value)) => self.bad(&spec, r, value, &why),
                    }
                }
                row += views.len();
            }
        }
    }

    /// Interns an id column into `dict`, appending codes to `out` ([`NONE`] for empty cells).
    pub(crate) fn intern_into(&mut self, name: &str, dict: &mut Dict, out: &mut Vec<u32>) {
        self.memo_into(name, NONE, out, |cell| {
            to_text(cell).map(|s| dict.intern(&s))
        });
    }

    pub(crate) fn intern(&mut self, name: &str, dict: &mut Dict) -> Vec<u32> {
        let mut out = Vec::new();
        self.intern_into(name, dict, &mut out);
        out
    }

    /// Parses a column of codes with `parse` (given the trimmed text); `null` for empty cells.
    pub(crate) fn codes_into<T: Copy>(
        &mut self,
        name: &str,
        null: T,
        out: &mut Vec<T>,
        mut parse: impl FnMut(&str) -> Result<T, String>,
    ) {
        self.memo_into(name, null, out, |cell| parse(&to_text(cell)?));
    }

    pub(crate) fn codes<T: Copy>(
        &mut self,
        name: &str,
        null: T,
        parse: impl FnMut(&str) -> Result<T, String>,
    ) -> Vec<T> {
        let mut out = Vec::new();
        self.codes_into(name, null, &mut out, parse);
        out
    }

    /// Appends an id column's text to `out`, `""` for empty or bad cells.
    pub(crate) fn text_into(&mut self, name: &str, out: &mut StrColumn) {
        let spec = self.spec(name);
        let Some(col) = self.raw.column(spec.name) else {
            for _ in 0..self.raw.rows {
                out.push("");
            }
            return;
        };
        for (start, chunk) in col.chunks() {
            if let Some(arrays) = string_arrays(chunk) {
                let mut row = start;
                for arr in arrays {
                    out.reserve(arr.len(), arr.total_bytes_len());
                    for (i, v) in arr.iter().enumerate() {
                        let v = v.map_or("", trim_fast);
                        if v.is_empty() {
                            self.empty(&spec, row + i);
                        }
                        out.push(v);
                    }
                    row += arr.len();
                }
                continue;
            }
            let mut next = start;
            let end = start + chunk.len();
            self.scan_chunk(&spec, start, chunk, |row, cell| {
                while next < row {
                    out.push("");
                    next += 1;
                }
                out.push(&to_text(cell)?);
                next += 1;
                Ok(())
            });
            while next < end {
                out.push("");
                next += 1;
            }
        }
    }

    /// Resolves a reference column through `map` without copying its text, appending to `out` the
    /// row each cell names (`u32::MAX` for empty or bad cells); the rows naming something `map`
    /// lacks go to `unknown` with the id they name. Consecutive equal ids (the lines of one
    /// visit) are looked up once.
    pub(crate) fn refs_into(
        &mut self,
        name: &str,
        map: &FxHashMap<&str, u32>,
        out: &mut Vec<u32>,
        unknown: &mut Vec<(usize, String)>,
    ) {
        let spec = self.spec(name);
        let base = out.len();
        out.resize(base + self.raw.rows, u32::MAX);
        let dst = &mut out[base..];
        let Some(col) = self.raw.column(spec.name) else {
            return;
        };
        let offset = self.offset;
        let (mut prev, mut found): (String, Option<u32>) = (String::new(), None);
        let mut lookup = |row: usize, id: &str, dst: &mut [u32]| {
            if found.is_none() || prev != id {
                prev.clear();
                prev.push_str(id);
                found = map.get(id).copied();
            }
            match found {
                Some(i) => dst[row] = i,
                None => unknown.push((offset + row, id.to_string())),
            }
        };
        for (start, chunk) in col.chunks() {
            if let Some(arrays) = string_arrays(chunk) {
                let mut row = start;
                for arr in arrays {
                    for (i, v) in arr.iter().enumerate() {
                        match v.map(trim_fast) {
                            Some(id) if !id.is_empty() => lookup(row + i, id, dst),
                            _ => self.empty(&spec, row + i),
                        }
                    }
                    row += arr.len();
                }
                continue;
            }
            self.scan_chunk(&spec, start, chunk, |row, cell| {
                lookup(row, &to_text(cell)?, dst);
                Ok(())
            });
        }
    }

    /// Rejects later rows repeating `key` among the rows still accepted; `show` gives the value
    /// named in the problem. `raw` must be the whole table (its rows and their origins).
    pub(crate) fn reject_duplicates<K: std::hash::Hash + Eq>(
        &mut self,
        column: &'static str,
        key: impl Fn(usize) -> K + Sync,
        show: impl Fn(usize) -> String,
    ) {
        let bad = self.bad_rows();
        let found = duplicates(self.raw.rows, &bad, key);
        let problems = duplicate_problems(self.raw, column, found, show);
        self.problems.extend(problems);
    }

    /// Per row of the piece: does it have any problem?
    pub(crate) fn bad_rows(&self) -> Vec<bool> {
        bad_rows(self.raw.rows, &self.problems)
    }
}

/// Per row: does it have any problem?
pub(crate) fn bad_rows(rows: usize, problems: &[Problem]) -> Vec<bool> {
    let mut bad = vec![false; rows];
    for p in problems {
        bad[p.row] = true;
    }
    bad
}

/// Later occurrences of a key, as (row, first row), skipping `bad` rows; in row order.
///
/// Keys are hashed in parallel and split by hash into partitions small enough for the cache,
/// each deduplicated on its own: much faster than one table-wide hash set of strings when a
/// table has tens of millions of unique ids.
fn duplicates<K: std::hash::Hash + Eq>(
    rows: usize,
    bad: &[bool],
    key: impl Fn(usize) -> K + Sync,
) -> Vec<(usize, usize)> {
    use rayon::prelude::*;
    use std::hash::BuildHasher;
    const PARTS: usize = 256;
    let hasher = rustc_hash::FxBuildHasher;
    let hashes: Vec<u64> = (0..rows)
        .into_par_iter()
        .with_min_len(1 << 16)
        .map(|r| hasher.hash_one(key(r)).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let part = |h: u64| (h >> 56) as usize % PARTS;
    let mut counts = vec![0usize; PARTS + 1];
    for (r, h) in hashes.iter().enumerate() {
        if !bad[r] {
            counts[part(*h) + 1] += 1;
        }
    }
    for p in 0..PARTS {
        counts[p + 1] += counts[p];
    }
    // (hash, row) side by side, grouped by partition, rows ascending within each: every
    // partition is then read sequentially and its hash set stays in cache.
    let mut order = vec![(0u64, 0u32); counts[PARTS]];
    let mut next = counts.clone();
    for (r, h) in hashes.iter().enumerate() {
        if !bad[r] {
            let p = part(*h);
            order[next[p]] = (*h, r as u32);
            next[p] += 1;
        }
    }
    drop(hashes);
    let mut found: Vec<(usize, usize)> = (0..PARTS)
        .into_par_iter()
        .flat_map_iter(|p| {
            let rows = &order[counts[p]..counts[p + 1]];
            let mut first: FxHashMap<u64, u32> = FxHashMap::default();
            first.reserve(rows.len());
            // Distinct keys sharing a 64-bit hash: their first rows.
            let mut more: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
            let mut out = Vec::new();
            for &(h, r) in rows {
                match first.get(&h) {
                    None => {
                        first.insert(h, r);
                    }
                    Some(&f) => {
                        let k = key(r as usize);
                        if key(f as usize) == k {
                            out.push((r as usize, f as usize));
                        } else if let Some(&f) = more
                            .get(&h)
                            .and_then(|v| v.iter().find(|f| key(**f as usize) == k))
                        {
                            out.push((r as usize, f as usize));
                        } else {
                            more.entry(h).or_default().push(r);
                        }
                    }
                }
            }
            out
        })
        .collect();
    found.sort_unstable();
    found
}

/// Problems for duplicate rows (table rows), naming where the first occurrence is.
fn duplicate_problems(
    meta: &RawTable,
    column: &'static str,
    found: Vec<(usize, usize)>,
    show: impl Fn(usize) -> String,
) -> Vec<Problem> {
    found
        .into_iter()
        .map(|(row, f)| {
            let o = meta.origin(f);
            Problem {
                row,
                column: Some(column),
                value: Some(show(row)),
                reason: format!(
                    "duplicate {column}: first at row {} of {}",
                    o.row,
                    o.file.display()
                ),
            }
        })
        .collect()
}

/// The kept entries of a column.
pub(crate) fn filter<T: Copy>(v: Vec<T>, keep: &[bool]) -> Vec<T> {
    // Most tables have no rejects: keep the column as it is rather than copying it.
    if keep.iter().all(|k| *k) {
        return v;
    }
    v.iter()
        .zip(keep)
        .filter_map(|(x, k)| k.then_some(*x))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_cells_exactly() {
        assert_eq!(to_decimal(&Cell::Text("12.30"), 2), Ok(1230));
        assert_eq!(to_decimal(&Cell::Decimal(123_456, 4), 6), Ok(12_345_600));
        assert_eq!(to_decimal(&Cell::Float(0.1), 2), Ok(10));
        assert_eq!(to_decimal(&Cell::Int(5), 2), Ok(500));
        assert!(to_decimal(&Cell::Text("12,30"), 2).is_err());
        assert_eq!(
            to_text(&Cell::Text("001109000010000")).unwrap(),
            "001109000010000"
        );
        assert_eq!(to_text(&Cell::Int(42)).unwrap(), "42");
        assert!(to_time(&Cell::Text("2026-02-30 00:00:00")).is_err());
        assert_eq!(
            to_time(&Cell::Int(20_260_301)),
            to_time(&Cell::Text("2026-03-01"))
        );
        assert_eq!(to_bool(&Cell::Text("是")), Ok(true));
        assert!(to_bool(&Cell::Text("maybe")).is_err());
    }
}
