//! Cell-level conversion to the contract's types, and the bookkeeping of problems per row.

use std::borrow::Cow;

use fundguard_model::{
    parse_date, parse_decimal, parse_hhmm, parse_month, parse_timestamp, rescale, start_of_day,
    Date, Dict, Kind, StrColumn, Ts, NONE,
};

use crate::read::{Cell, RawTable};

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

/// Collects the problems of one table while its columns are converted.
pub(crate) struct Validator<'a> {
    pub raw: &'a RawTable,
    pub problems: Vec<Problem>,
}

impl<'a> Validator<'a> {
    pub(crate) fn new(raw: &'a RawTable) -> Self {
        let problems = raw
            .broken
            .iter()
            .map(|(row, why)| Problem {
                row: *row,
                column: None,
                value: None,
                reason: why.clone(),
            })
            .collect();
        Self { raw, problems }
    }

    /// A validator for some columns of the same table, run alongside others; its problems are
    /// merged back with [`Validator::absorb`] (in a fixed order, so rejects do not depend on
    /// thread timing).
    pub(crate) fn part(raw: &'a RawTable) -> Self {
        Self {
            raw,
            problems: Vec::new(),
        }
    }

    pub(crate) fn absorb(&mut self, other: Validator<'_>) {
        self.problems.extend(other.problems);
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

    /// Visits every cell of a column (nothing when the column is absent), reporting empty required
    /// values; `f` sees only non-null cells and returns a problem description for bad ones.
    fn scan(&mut self, name: &str, mut f: impl FnMut(usize, &Cell<'_>) -> Result<(), String>) {
        let spec = self.spec(name);
        let Some(col) = self.raw.column(spec.name) else {
            return;
        };
        let mut found = Vec::new();
        col.for_each(|row, cell| {
            let res = match cell {
                Cell::Null if spec.non_null => Err("required value is empty".to_string()),
                Cell::Null => Ok(()),
                _ => f(row, &cell),
            };
            if let Err(why) = res {
                found.push(Problem {
                    row,
                    column: Some(spec.name),
                    value: cell.display(),
                    reason: format!("{}: {why}", spec.name),
                });
            }
        });
        self.problems.extend(found);
    }

    /// Converts a numeric or temporal column; `null` where the cell is empty, absent or bad.
    pub(crate) fn numbers(&mut self, name: &str, null: i64) -> Vec<i64> {
        let kind = self.spec(name).kind;
        let mut out = vec![null; self.raw.rows];
        self.scan(name, |row, cell| {
            out[row] = convert(kind, cell)?;
            Ok(())
        });
        out
    }

    /// Converts an id column to text, `""` for empty or bad cells.
    pub(crate) fn text(&mut self, name: &str) -> StrColumn {
        let mut out = StrColumn::with_capacity(self.raw.rows, self.raw.rows * 16);
        let mut next = 0;
        self.scan(name, |row, cell| {
            while next < row {
                out.push("");
                next += 1;
            }
            out.push(&to_text(cell)?);
            next += 1;
            Ok(())
        });
        while next < self.raw.rows {
            out.push("");
            next += 1;
        }
        out
    }

    /// Parses a column of codes with `parse`; `null` for empty cells. `parse` gets the trimmed text.
    pub(crate) fn codes<T: Clone>(
        &mut self,
        name: &str,
        null: T,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Vec<T> {
        let mut out = vec![null; self.raw.rows];
        self.scan(name, |row, cell| {
            out[row] = parse(&to_text(cell)?)?;
            Ok(())
        });
        out
    }

    /// Resolves a reference column through `map` without copying its text: the row each cell
    /// names (`u32::MAX` for empty or bad cells), and the rows naming something `map` lacks, with
    /// the id they name.
    pub(crate) fn refs(
        &mut self,
        name: &str,
        map: &rustc_hash::FxHashMap<&str, u32>,
    ) -> (Vec<u32>, Vec<(usize, String)>) {
        let mut out = vec![u32::MAX; self.raw.rows];
        let mut unknown = Vec::new();
        self.scan(name, |row, cell| {
            let id = to_text(cell)?;
            match map.get(id.as_ref()) {
                Some(&i) => out[row] = i,
                None => unknown.push((row, id.into_owned())),
            }
            Ok(())
        });
        (out, unknown)
    }

    /// Checks that an id column holds text (interned later with [`intern`]).
    pub(crate) fn ids(&mut self, name: &str) {
        self.scan(name, |_, cell| to_text(cell).map(|_| ()));
    }

    /// Per row: does it have any problem?
    pub(crate) fn bad_rows(&self) -> Vec<bool> {
        let mut bad = vec![false; self.raw.rows];
        for p in &self.problems {
            bad[p.row] = true;
        }
        bad
    }

    /// Rejects later occurrences of a key among the rows still accepted.
    pub(crate) fn reject_duplicates<K: std::hash::Hash + Eq + std::fmt::Display>(
        &mut self,
        column: &'static str,
        keys: &[K],
    ) {
        let bad = self.bad_rows();
        let mut first: rustc_hash::FxHashMap<&K, usize> = Default::default();
        first.reserve(keys.len());
        let mut dups = Vec::new();
        for (row, key) in keys.iter().enumerate() {
            if bad[row] {
                continue;
            }
            if let Some(&f) = first.get(key) {
                dups.push((row, f));
            } else {
                first.insert(key, row);
            }
        }
        for (row, f) in dups {
            let o = self.raw.origin(f);
            let reason = format!(
                "duplicate {column}: first at row {} of {}",
                o.row,
                o.file.display()
            );
            self.report(row, column, Some(keys[row].to_string()), reason);
        }
    }
}

/// Interns an id column into `dict` for the kept rows; [`NONE`] for empty cells.
pub(crate) fn intern(raw: &RawTable, name: &str, keep: &[bool], dict: &mut Dict) -> Vec<u32> {
    let mut out = Vec::with_capacity(keep.iter().filter(|k| **k).count());
    match raw.column(name) {
        None => out.resize(out.capacity(), NONE),
        Some(col) => col.for_each(|row, cell| {
            if keep[row] {
                out.push(match to_text(&cell) {
                    Ok(s) => dict.intern(&s),
                    Err(_) => NONE,
                });
            }
        }),
    }
    out
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
