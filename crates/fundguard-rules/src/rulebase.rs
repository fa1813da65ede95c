//! The national rule base (两库): tables of the national smart-supervision rule base in the layout
//! of `shared/data/nhsa-rules/` (file names and Chinese column headers as published).
//!
//! Each table is optional. A table that is present but malformed is reported as a
//! [`RuleBaseProblem`] naming the file, row and column, and the rules that need it are skipped;
//! the run goes on.

use std::path::{Path, PathBuf};

use fundguard_model::{parse_decimal, QTY_SCALE};
use serde::Serialize;

/// Window within which a main item includes its sub item (batch 7 `频度`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Window {
    /// 单日: the same calendar day.
    SameDay,
    /// 单次就诊: the same visit.
    SameVisit,
    /// 6小时: within six hours.
    SixHours,
    /// 同一小时: within the same clock hour.
    SameHour,
}

impl Window {
    fn parse(s: &str) -> Option<Window> {
        match s {
            "单日" => Some(Window::SameDay),
            "单次就诊" => Some(Window::SameVisit),
            "6小时" => Some(Window::SixHours),
            "同一小时" => Some(Window::SameHour),
            _ => None,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Window::SameDay => "单日",
            Window::SameVisit => "单次就诊",
            Window::SixHours => "6小时",
            Window::SameHour => "同一小时",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Window::SameDay => "the same day",
            Window::SameVisit => "the same visit",
            Window::SixHours => "six hours",
            Window::SameHour => "the same hour",
        }
    }
}

/// Batch 7: the main item includes the sub item within the window.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicatePair {
    pub main: String,
    pub sub: String,
    pub window: Window,
    pub note: String,
}

/// Batch 8 frequency: at most `max` units (scale 4) per patient per calendar day. Rows whose unit
/// is `小时` count hours of a monitoring item, so they too cap the units of one day.
#[derive(Debug, Clone, Serialize)]
pub struct FrequencyCap {
    pub code: String,
    pub name: String,
    pub max: i64,
}

/// Batch 8 period: at most `max` units (scale 4) within `days` days.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodCap {
    pub code: String,
    pub name: String,
    pub max: i64,
    pub days: i32,
}

/// A rule-base table that could not be used.
#[derive(Debug, Clone, Serialize)]
pub struct RuleBaseProblem {
    pub file: PathBuf,
    /// 1-based line in the file, when one row is at fault.
    pub line: Option<u64>,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for RuleBaseProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, " line {l}")?;
        }
        if let Some(c) = &self.column {
            write!(f, " column {c}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The tables that were found and read. `None` = absent or unusable.
#[derive(Debug, Clone, Default)]
pub struct RuleBase {
    pub dir: PathBuf,
    pub duplicate_pairs: Option<Vec<DuplicatePair>>,
    pub frequency: Option<Vec<FrequencyCap>>,
    pub period: Option<Vec<PeriodCap>>,
    /// Tables present and read, by file stem, with their row counts.
    pub loaded: Vec<(String, usize)>,
    pub problems: Vec<RuleBaseProblem>,
}

impl RuleBase {
    /// Reads what it can of the rule base in `dir`. Fails only when `dir` is not a readable
    /// directory.
    pub fn load(dir: &Path) -> Result<RuleBase, RuleBaseProblem> {
        if !dir.is_dir() {
            return Err(RuleBaseProblem {
                file: dir.to_path_buf(),
                line: None,
                column: None,
                message: "the rule-base directory does not exist or is not a directory".into(),
            });
        }
        let mut rb = RuleBase {
            dir: dir.to_path_buf(),
            ..Default::default()
        };
        rb.duplicate_pairs = rb.table("b7_item_duplicate_pairs", |r| {
            let window = r.get("频度")?;
            Ok(Some(DuplicatePair {
                main: r.code("主项编码")?,
                sub: r.code("从项编码")?,
                window: Window::parse(window).ok_or_else(|| {
                    r.error(
                        "频度",
                        format!("`{window}` is none of 单日, 单次就诊, 6小时, 同一小时"),
                    )
                })?,
                note: r.get("备注").unwrap_or_default().to_string(),
            }))
        });
        rb.frequency = rb.table("b8_item_frequency", |r| {
            if r.get("项目编码")?.is_empty() && r.get("限制数量")?.is_empty() {
                return Ok(None); // the 合计 and 备注 footer rows
            }
            let unit = r.get("数量单位")?;
            if !matches!(unit, "日" | "天" | "小时") {
                return Err(r.error("数量单位", format!("`{unit}` is none of 日, 天, 小时")));
            }
            Ok(Some(FrequencyCap {
                code: r.code("项目编码")?,
                name: r.get("项目名称")?.to_string(),
                max: r.quantity("限制数量")?,
            }))
        });
        rb.period = rb.table("b8_item_period", |r| {
            let days = r.get("疗程周期")?;
            Ok(Some(PeriodCap {
                code: r.code("项目代码")?,
                name: r.get("项目名称")?.to_string(),
                max: r.quantity("频次上限")?,
                days: days.parse().ok().filter(|d| *d > 0).ok_or_else(|| {
                    r.error("疗程周期", format!("`{days}` is not a number of days"))
                })?,
            }))
        });
        Ok(rb)
    }

    /// Reads `<stem>.csv` with `row` per data row; `None` (with a problem recorded when the file is
    /// there) unless every row is usable.
    fn table<T>(
        &mut self,
        stem: &str,
        row: impl Fn(&Row<'_>) -> Result<Option<T>, RuleBaseProblem>,
    ) -> Option<Vec<T>> {
        let path = self.dir.join(format!("{stem}.csv"));
        if !path.is_file() {
            return None;
        }
        match read_rows(&path, &row) {
            Ok(rows) => {
                self.loaded.push((stem.to_string(), rows.len()));
                Some(rows)
            }
            Err(p) => {
                self.problems.push(p);
                None
            }
        }
    }
}

/// One data row of a rule-base CSV, with its headers.
struct Row<'a> {
    path: &'a Path,
    line: u64,
    headers: &'a [String],
    record: &'a csv::StringRecord,
}

impl Row<'_> {
    fn error(&self, column: &str, message: String) -> RuleBaseProblem {
        RuleBaseProblem {
            file: self.path.to_path_buf(),
            line: Some(self.line),
            column: Some(column.to_string()),
            message,
        }
    }

    fn get(&self, column: &str) -> Result<&str, RuleBaseProblem> {
        let i = self
            .headers
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| RuleBaseProblem {
                file: self.path.to_path_buf(),
                line: Some(1),
                column: Some(column.to_string()),
                message: format!(
                    "missing column `{column}` (header: {})",
                    self.headers.join(",")
                ),
            })?;
        Ok(self.record.get(i).unwrap_or("").trim())
    }

    /// A national item code: required, no spaces.
    fn code(&self, column: &str) -> Result<String, RuleBaseProblem> {
        let v = self.get(column)?;
        if v.is_empty() || v.contains(char::is_whitespace) {
            return Err(self.error(column, format!("`{v}` is not an item code")));
        }
        Ok(v.to_string())
    }

    fn quantity(&self, column: &str) -> Result<i64, RuleBaseProblem> {
        let v = self.get(column)?;
        parse_decimal(v, QTY_SCALE)
            .ok()
            .filter(|q| *q > 0)
            .ok_or_else(|| self.error(column, format!("`{v}` is not a positive number")))
    }
}

fn read_rows<T>(
    path: &Path,
    row: &impl Fn(&Row<'_>) -> Result<Option<T>, RuleBaseProblem>,
) -> Result<Vec<T>, RuleBaseProblem> {
    let whole = |message: String| RuleBaseProblem {
        file: path.to_path_buf(),
        line: None,
        column: None,
        message,
    };
    let bytes = std::fs::read(path).map_err(|e| whole(e.to_string()))?;
    let text = decode(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| whole(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| whole(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let r = Row {
            path,
            line,
            headers: &headers,
            record: &record,
        };
        if let Some(t) = row(&r)? {
            out.push(t);
        }
    }
    Ok(out)
}

/// UTF-8 (BOM stripped) when valid, else GB18030, as the tables are published both ways.
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/nhsa-rules")
    }

    #[test]
    fn reads_the_published_tables() {
        let rb = RuleBase::load(&shared()).unwrap();
        assert!(rb.problems.is_empty(), "{:?}", rb.problems);
        let pairs = rb.duplicate_pairs.unwrap();
        assert_eq!(pairs.len(), 900);
        assert_eq!(pairs[0].main, "001103000010000");
        assert_eq!(pairs[0].window, Window::SameDay);
        let freq = rb.frequency.unwrap();
        assert_eq!(freq.len(), 67);
        assert!(freq
            .iter()
            .any(|f| f.code == "001102000050000" && f.max == 10_000));
        let period = rb.period.unwrap();
        assert_eq!(period.len(), 14);
        assert!(period
            .iter()
            .any(|p| p.code == "002503020030000" && p.days == 15));
    }

    #[test]
    fn a_malformed_table_is_reported_and_left_out() {
        let dir = std::env::temp_dir().join(format!("fg-rb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("b8_item_period.csv"),
            "序号,项目名称,频次上限,疗程周期,备注,项目代码\n1,糖化,1,15,,002503020030000\n2,果糖胺,1,一周,,002503020020000\n",
        )
        .unwrap();
        let rb = RuleBase::load(&dir).unwrap();
        assert!(rb.period.is_none());
        let p = &rb.problems[0];
        assert_eq!(p.line, Some(3));
        assert_eq!(p.column.as_deref(), Some("疗程周期"));
        assert!(p
            .to_string()
            .contains("b8_item_period.csv line 3 column 疗程周期"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
