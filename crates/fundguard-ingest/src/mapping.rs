//! Mapping files (`--mapping FILE`, TOML) for layouts that are neither the contract's nor the
//! national platform's: which files make each table, and how each contract column is made from
//! their columns. docs/mapping.md documents the format; `mappings/desynpuf.toml` maps the CMS
//! DE-SynPUF files.
//!
//! ```toml
//! [visits]
//! files = ["*Inpatient_Claims*.csv"]          # patterns in the input directory, read in name order
//! [visits.columns]
//! visit_id = { join = ["CLM_ID", "SEGMENT"], with = "-" }
//! patient_id = "DESYNPUF_ID"                  # a column as is
//! visit_type = { value = "inpatient" }        # a constant
//! admit_time = { first = ["CLM_ADMSN_DT", "CLM_FROM_DT"] }   # the first non-empty
//! sex = { column = "BENE_SEX_IDENT_CD", map = { "1" = "1", "2" = "2" }, other = "9" }
//! ```
//!
//! A table with `latest = true` keeps, for each key (its contract key, e.g. `patient_id`), the row
//! of the last file that has it — for yearly snapshot files; the rows it replaces are counted, not
//! rejected. Everything made here goes through the same validation as any dump.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fundguard_model::{StrColumn, Table};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::IngestError;
use crate::read::{csv_reader, hex, FileReport, Format, NullMarkers, RawTable, TextPart};

/// How one contract column is made.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Source {
    /// A source column, as is.
    Column(String),
    /// A constant.
    Value { value: String },
    /// The first non-empty of several columns, else `default`.
    First {
        first: Vec<String>,
        #[serde(default)]
        default: String,
    },
    /// Columns joined with a separator (empty parts left out).
    Join { join: Vec<String>, with: String },
    /// A date or timestamp column in a given layout (`%Y %m %d %H %M %S` and literal characters,
    /// e.g. `%d/%m/%Y`), rewritten as the contract's `YYYY-MM-DD[ HH:MM:SS]`; a value that does not
    /// fit is passed on as it is, so validation rejects it naming the column.
    Date { date: String, format: String },
    /// A column's values translated; values not in `map` become `other` (or stay as they are
    /// when `other` is not given).
    Map {
        column: String,
        map: BTreeMap<String, String>,
        #[serde(default)]
        other: Option<String>,
    },
}

impl Source {
    fn columns(&self) -> Vec<&str> {
        match self {
            Source::Column(c) | Source::Map { column: c, .. } | Source::Date { date: c, .. } => {
                vec![c.as_str()]
            }
            Source::Value { .. } => Vec::new(),
            Source::First { first, .. } => first.iter().map(String::as_str).collect(),
            Source::Join { join, .. } => join.iter().map(String::as_str).collect(),
        }
    }
}

/// One table of a mapping.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct TableMap {
    /// File name patterns (`*` matches any run of characters), in the input directory.
    pub files: Vec<String>,
    /// Contract column → how to make it.
    pub columns: BTreeMap<String, Source>,
    /// Keep only the last row of each key (yearly snapshot files).
    #[serde(default)]
    pub latest: bool,
    /// CSV delimiter (default `,`).
    #[serde(default)]
    pub delimiter: Option<char>,
    /// How the files write a missing value besides the empty cell (`["NA", "-"]`): read as
    /// empty in every column, before the column is made. The common markers (`NA`, `NULL`, `\N`,
    /// `-` …) are read as empty anyway where the contract column cannot hold them (times, dates,
    /// numbers, flags).
    #[serde(default)]
    pub null_values: Vec<String>,
}

/// The null markers of a mapped table: its own and the run's.
pub(crate) fn markers(tm: &TableMap, run: &NullMarkers) -> NullMarkers {
    let mut declared = run.declared.clone();
    declared.extend(tm.null_values.iter().cloned());
    NullMarkers { declared }
}

/// A whole mapping file: contract table name → its mapping.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[serde(default)]
    pub visits: Option<TableMap>,
    #[serde(default)]
    pub line_items: Option<TableMap>,
    #[serde(default)]
    pub patients: Option<TableMap>,
    #[serde(default)]
    pub providers: Option<TableMap>,
    #[serde(default)]
    pub catalog: Option<TableMap>,
    #[serde(default)]
    pub purchases: Option<TableMap>,
    #[serde(default)]
    pub drug_traces: Option<TableMap>,
    #[serde(default)]
    pub drug_stock: Option<TableMap>,
    #[serde(default)]
    pub settlement_diagnoses: Option<TableMap>,
}

impl Mapping {
    /// Reads and checks a mapping file: every column it fills must be a contract column.
    pub fn load(path: &Path) -> Result<Mapping, String> {
        let fail = |m: String| format!("{}: {m}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
        let m: Mapping = toml::from_str(&text).map_err(|e| fail(e.to_string()))?;
        for t in Table::ALL {
            if let Some(tm) = m.table(t) {
                if tm.files.is_empty() {
                    return Err(fail(format!("[{}] names no files", t.name())));
                }
                for c in tm.columns.keys() {
                    if !t.columns().iter().any(|s| s.name == c) {
                        return Err(fail(format!(
                            "[{}.columns] `{c}` is not a column of {} (columns: {})",
                            t.name(),
                            t.name(),
                            t.columns()
                                .iter()
                                .map(|s| s.name)
                                .collect::<Vec<_>>()
                                .join(", ")
                        )));
                    }
                }
            }
        }
        Ok(m)
    }

    pub fn table(&self, t: Table) -> Option<&TableMap> {
        match t {
            Table::Visits => self.visits.as_ref(),
            Table::LineItems => self.line_items.as_ref(),
            Table::Patients => self.patients.as_ref(),
            Table::Providers => self.providers.as_ref(),
            Table::Catalog => self.catalog.as_ref(),
            Table::Purchases => self.purchases.as_ref(),
            Table::DrugTraces => self.drug_traces.as_ref(),
            Table::DrugStock => self.drug_stock.as_ref(),
            Table::SettlementDiagnoses => self.settlement_diagnoses.as_ref(),
        }
    }
}

/// `*` wildcards against a file name.
fn matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(p) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            match rest.find(p) {
                Some(k) => rest = &rest[k + p.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Reads the mapped table `t` from `dir`.
pub(crate) fn read(
    dir: &Path,
    t: Table,
    tm: &TableMap,
    nulls: &NullMarkers,
) -> Result<RawTable, IngestError> {
    let nulls = markers(tm, nulls);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| IngestError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| tm.files.iter().any(|f| matches(f, n)))
        })
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(IngestError::MissingTable {
            table: t.name(),
            dir: dir.to_path_buf(),
        });
    }
    let mut parts = Vec::new();
    for path in &paths {
        parts.push(read_file(path, t, tm, &nulls)?);
    }
    if tm.latest {
        keep_latest(t, &mut parts);
    }
    Ok(RawTable::from_text(t, parts))
}

fn read_file(
    path: &Path,
    t: Table,
    tm: &TableMap,
    nulls: &NullMarkers,
) -> Result<TextPart, IngestError> {
    let bytes = std::fs::read(path).map_err(|e| IngestError::io(path, e))?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let fundguard_model::Decoded { text, encoding, .. } = fundguard_model::decode_bytes(&bytes);
    let (mut reader, header) = csv_reader(path, &text, tm.delimiter.unwrap_or(',') as u8)?;
    let pos = |c: &str| header.iter().position(|h| h == c);
    let missing: Vec<&str> = tm
        .columns
        .values()
        .flat_map(Source::columns)
        .filter(|c| pos(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(IngestError::Unreadable {
            file: path.to_path_buf(),
            message: format!(
                "line 1: the mapping for {} names column(s) the file lacks: {}",
                t.name(),
                missing.join(", ")
            ),
        });
    }
    let width = header.len();
    let mut cols: Vec<(&'static str, fundguard_model::Kind, StrColumn)> = t
        .columns()
        .iter()
        .filter(|c| tm.columns.contains_key(c.name))
        .map(|c| (c.name, c.kind, StrColumn::default()))
        .collect();
    let mut null_cells = 0usize;
    let mut lines = Vec::new();
    let mut broken = Vec::new();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.map_err(|e| IngestError::Unreadable {
            file: path.to_path_buf(),
            message: e.to_string(),
        })?;
        lines.push(record.position().map_or(0, |p| p.line()));
        if record.len() < width {
            broken.push((
                rows,
                format!("expected {width} fields, found {}", record.len()),
            ));
        }
        for (name, kind, col) in cols.iter_mut() {
            // A source cell spelling a missing value is empty before the column is made.
            let get = |c: &str| {
                let v = pos(c).and_then(|i| record.get(i)).map_or("", str::trim);
                if nulls.is_null(*kind, v) {
                    ""
                } else {
                    v
                }
            };
            null_cells += tm.columns[*name]
                .columns()
                .into_iter()
                .filter(|c| {
                    let v = pos(c).and_then(|i| record.get(i)).map_or("", str::trim);
                    nulls.is_null(*kind, v)
                })
                .count();
            let value = match &tm.columns[*name] {
                Source::Column(c) => get(c).to_string(),
                Source::Value { value } => value.clone(),
                Source::First { first, default } => first
                    .iter()
                    .map(|c| get(c))
                    .find(|v| !v.is_empty())
                    .unwrap_or(default)
                    .to_string(),
                Source::Join { join, with } => join
                    .iter()
                    .map(|c| get(c))
                    .filter(|v| !v.is_empty())
                    .collect::<Vec<_>>()
                    .join(with),
                Source::Date { date, format } => {
                    let v = get(date);
                    reformat(v, format).unwrap_or_else(|| v.to_string())
                }
                Source::Map { column, map, other } => {
                    let v = get(column);
                    map.get(v)
                        .cloned()
                        .or_else(|| other.clone())
                        .unwrap_or_else(|| v.to_string())
                }
            };
            col.push(&value);
        }
        rows += 1;
    }
    Ok(TextPart {
        report: FileReport {
            path: path.to_path_buf(),
            format: Format::Csv,
            encoding: Some(encoding),
            rows,
            sha256,
            ignored_columns: Vec::new(),
            skipped_invalid: 0,
            superseded: 0,
            null_cells,
            derived: false,
        },
        columns: cols.into_iter().map(|(n, _, c)| (n, c)).collect(),
        rows,
        lines,
        broken,
    })
}

/// `value` read with `format` (`%Y %m %d %H %M %S`), as `YYYY-MM-DD[ HH:MM:SS]`.
fn reformat(value: &str, format: &str) -> Option<String> {
    let mut parts = [None::<u32>; 6];
    let mut v = value.as_bytes();
    let mut f = format.chars().peekable();
    while let Some(c) = f.next() {
        if c == '%' {
            let (slot, width) = match f.next()? {
                'Y' => (0, 4),
                'm' => (1, 2),
                'd' => (2, 2),
                'H' => (3, 2),
                'M' => (4, 2),
                'S' => (5, 2),
                _ => return None,
            };
            let digits = v.get(..width)?;
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            parts[slot] = std::str::from_utf8(digits).ok()?.parse().ok();
            v = &v[width..];
        } else {
            let mut buf = [0u8; 4];
            let lit = c.encode_utf8(&mut buf).as_bytes();
            v = v.strip_prefix(lit)?;
        }
    }
    if !v.is_empty() {
        return None;
    }
    let (y, m, d) = (parts[0]?, parts[1]?, parts[2]?);
    Some(match (parts[3], parts[4], parts[5]) {
        (None, None, None) => format!("{y:04}-{m:02}-{d:02}"),
        (h, mi, s) => format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            h.unwrap_or(0),
            mi.unwrap_or(0),
            s.unwrap_or(0)
        ),
    })
}

/// Keeps the last row of each key across the parts (files in name order); the others are removed
/// and counted as superseded.
fn keep_latest(t: Table, parts: &mut [TextPart]) {
    let key = t.key();
    let mut last: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (p, part) in parts.iter().enumerate() {
        let cols: Vec<&StrColumn> = key
            .iter()
            .filter_map(|k| part.columns.iter().find(|(c, _)| c == k).map(|(_, v)| v))
            .collect();
        for r in 0..part.rows {
            let k: Vec<&str> = cols.iter().map(|c| c.get(r)).collect();
            last.insert(k.join("\u{1f}"), (p, r));
        }
    }
    let mut keep: Vec<Vec<bool>> = parts.iter().map(|p| vec![false; p.rows]).collect();
    for (p, r) in last.into_values() {
        keep[p][r] = true;
    }
    for (part, keep) in parts.iter_mut().zip(keep) {
        let kept: Vec<usize> = (0..part.rows).filter(|&r| keep[r]).collect();
        for (_, col) in part.columns.iter_mut() {
            let mut c = StrColumn::default();
            for &r in &kept {
                c.push(col.get(r));
            }
            *col = c;
        }
        part.lines = kept.iter().map(|&r| part.lines[r]).collect();
        let index: BTreeMap<usize, usize> = kept.iter().enumerate().map(|(i, &r)| (r, i)).collect();
        part.broken = std::mem::take(&mut part.broken)
            .into_iter()
            .filter_map(|(r, w)| index.get(&r).map(|&i| (i, w)))
            .collect();
        part.report.superseded = part.rows - kept.len();
        part.rows = kept.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rewritten_from_their_layout() {
        assert_eq!(
            reformat("20090412", "%Y%m%d").as_deref(),
            Some("2009-04-12")
        );
        assert_eq!(
            reformat("12/04/2009 08:30", "%d/%m/%Y %H:%M").as_deref(),
            Some("2009-04-12 08:30:00")
        );
        assert_eq!(reformat("2009041", "%Y%m%d"), None);
    }

    #[test]
    fn wildcards_match_file_names() {
        assert!(matches(
            "*Inpatient_Claims*.csv",
            "DE1_0_2008_to_2010_Inpatient_Claims_Sample_1.csv"
        ));
        assert!(!matches(
            "*Inpatient_Claims*.csv",
            "DE1_0_2008_Beneficiary_Summary_File_Sample_1.csv"
        ));
        assert!(matches("visits.csv", "visits.csv"));
    }

    #[test]
    fn sources_parse_from_toml() {
        let m: Mapping = toml::from_str(
            r#"
            [visits]
            files = ["a*.csv"]
            [visits.columns]
            visit_id = { join = ["A", "B"], with = "-" }
            patient_id = "P"
            visit_type = { value = "inpatient" }
            admit_time = { first = ["X", "Y"] }
            insurance_type = { column = "T", map = { "1" = "310" }, other = "390" }
            "#,
        )
        .unwrap();
        let v = m.visits.unwrap();
        assert!(matches!(v.columns["visit_id"], Source::Join { .. }));
        assert!(matches!(v.columns["patient_id"], Source::Column(_)));
        assert!(matches!(v.columns["visit_type"], Source::Value { .. }));
        assert!(matches!(v.columns["admit_time"], Source::First { .. }));
        assert!(matches!(v.columns["insurance_type"], Source::Map { .. }));
    }
}
