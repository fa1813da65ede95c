//! The national rule base (两库): tables of the national smart-supervision rule base in the layout
//! of `shared/data/nhsa-rules/` (file names and Chinese column headers as published).
//!
//! Tables are read from `<table>.csv` (UTF-8 or GB18030) or, for tables without a CSV, from the
//! published `.xlsx` workbooks in the directory or its `xlsx/` folder (recognised by their names).
//! Each table is optional. A table that is present but malformed is reported as a
//! [`RuleBaseProblem`] naming the file, row and column, and the rules that need it are skipped;
//! the run goes on.

// A problem carries the file, worksheet, row, column and message an analyst needs; it is built
// once per unusable table, so its size on the error path does not matter.
#![allow(clippy::result_large_err)]

pub mod xlsx;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fundguard_model::{parse_decimal, Sex, VisitType, QTY_SCALE};
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

/// Age group of a batch-1 age restriction (限定对象).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AgeGroup {
    /// 新生儿
    Newborn,
    /// 婴幼儿
    Infant,
    /// 儿童
    Child,
}

impl AgeGroup {
    fn parse(s: &str) -> Option<AgeGroup> {
        match s {
            "新生儿" => Some(AgeGroup::Newborn),
            "婴幼儿" => Some(AgeGroup::Infant),
            "儿童" => Some(AgeGroup::Child),
            _ => None,
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            AgeGroup::Newborn => "新生儿",
            AgeGroup::Infant => "婴幼儿",
            AgeGroup::Child => "儿童",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            AgeGroup::Newborn => "newborns",
            AgeGroup::Infant => "infants",
            AgeGroup::Child => "children",
        }
    }
}

/// What a restriction table (batches 1-6, batch 8 age) limits an item to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limit {
    /// Batch 1 限定年龄对象: only for this age group.
    Age(AgeGroup),
    /// Batch 8 限定年龄: only for people of working age.
    WorkingAge,
    /// Batch 1 限定性别对象: only for this sex.
    Sex(Sex),
    /// Batch 2 限定主次操作: one of an operation group (限定值域) whose second and later operations
    /// in one session are charged at a discount.
    OperationGroup(String),
    /// Batch 3 限定保险类型: paid only by this insurance (工伤, 生育).
    InsuranceType(String),
    /// Batch 4 限定就医方式: paid only in this kind of visit.
    VisitType(VisitType),
    /// Batch 5 限定机构等级: paid only at institutions of this level (2 = 二级, 3 = 三级) or above.
    MinLevel(u8),
    /// Batch 6 限定支付疗程: paid for at most this many days.
    CourseDays(i32),
}

/// One item (national code) and what it is restricted to.
#[derive(Debug, Clone)]
pub struct Restriction {
    /// The table it came from (file stem in the CSV layout).
    pub table: &'static str,
    pub code: String,
    pub name: String,
    pub limit: Limit,
}

/// A rule-base table that could not be used.
#[derive(Debug, Clone, Serialize)]
pub struct RuleBaseProblem {
    /// The table (file stem in the CSV layout), when known.
    pub table: Option<String>,
    pub file: PathBuf,
    /// Worksheet, for a workbook.
    pub sheet: Option<String>,
    /// 1-based line (CSV) or row (worksheet), when one row is at fault.
    pub line: Option<u64>,
    pub column: Option<String>,
    pub message: String,
}

impl std::fmt::Display for RuleBaseProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(s) = &self.sheet {
            write!(f, " sheet {s}")?;
        }
        if let Some(l) = self.line {
            write!(
                f,
                " {} {l}",
                if self.sheet.is_some() { "row" } else { "line" }
            )?;
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
    /// Batches 1-6 and batch 8 age, from every usable table.
    pub restrictions: Vec<Restriction>,
    /// Tables present and read, by table name (file stem in the CSV layout), with their row
    /// counts and the file they came from.
    pub loaded: Vec<(String, usize)>,
    /// Where each loaded table came from.
    pub sources: Vec<(String, PathBuf)>,
    pub problems: Vec<RuleBaseProblem>,
}

/// Every table this reader knows, in the CSV layout's names.
pub const TABLES: &[&str] = &[
    "b1_drug_age",
    "b1_drug_age_codes",
    "b1_drug_sex",
    "b1_drug_sex_codes",
    "b1_item_age",
    "b1_item_sex",
    "b2_item_primary_secondary",
    "b3_drug_insurance_type",
    "b3_drug_insurance_type_codes",
    "b4_drug_visit_type",
    "b4_drug_visit_type_codes",
    "b5_drug_hospital_level",
    "b5_drug_hospital_level_codes",
    "b6_drug_payment_course",
    "b6_drug_payment_course_codes",
    "b7_item_duplicate_pairs",
    "b8_item_age",
    "b8_item_frequency",
    "b8_item_period",
];

/// Published workbooks, recognised by words in their file names (first match wins), and the
/// tables their worksheets hold, in sheet order.
const WORKBOOKS: &[(&[&str], &[&str])] = &[
    (&["药品", "年龄"], &["b1_drug_age", "b1_drug_age_codes"]),
    (&["药品", "性别"], &["b1_drug_sex", "b1_drug_sex_codes"]),
    (&["项目", "年龄对象"], &["b1_item_age"]),
    (&["项目", "性别"], &["b1_item_sex"]),
    (&["主次操作"], &["b2_item_primary_secondary"]),
    (
        &["保险类型"],
        &["b3_drug_insurance_type", "b3_drug_insurance_type_codes"],
    ),
    (
        &["就医方式"],
        &["b4_drug_visit_type", "b4_drug_visit_type_codes"],
    ),
    (
        &["机构等级"],
        &["b5_drug_hospital_level", "b5_drug_hospital_level_codes"],
    ),
    (
        &["支付疗程"],
        &["b6_drug_payment_course", "b6_drug_payment_course_codes"],
    ),
    (&["重复收费"], &["b7_item_duplicate_pairs"]),
    (&["项目", "年龄"], &["b8_item_age"]),
    (&["频次"], &["b8_item_frequency"]),
    (&["周期"], &["b8_item_period"]),
];

/// The drug tables: a rule sheet (one row per generic name, the limit in its last column) and a
/// codes sheet (one row per national code of a generic name).
const DRUG_TABLES: &[(&str, &str)] = &[
    ("b1_drug_age", "限定对象"),
    ("b1_drug_sex", "限定对象"),
    ("b3_drug_insurance_type", "限定对象"),
    ("b4_drug_visit_type", "限定值域"),
    ("b5_drug_hospital_level", "限定值域"),
    ("b6_drug_payment_course", "限定值域"),
];

impl RuleBase {
    /// Reads what it can of the rule base in `dir`: `<table>.csv` files, and the published `.xlsx`
    /// workbooks in `dir` or `dir/xlsx` for tables without a CSV. Fails only when `dir` is not a
    /// readable directory.
    pub fn load(dir: &Path) -> Result<RuleBase, RuleBaseProblem> {
        if !dir.is_dir() {
            return Err(RuleBaseProblem {
                table: None,
                file: dir.to_path_buf(),
                sheet: None,
                line: None,
                column: None,
                message: "the rule-base directory does not exist or is not a directory".into(),
            });
        }
        let mut rb = RuleBase {
            dir: dir.to_path_buf(),
            ..Default::default()
        };
        let mut sheets = rb.find_sheets();
        rb.duplicate_pairs = rb.table(&mut sheets, "b7_item_duplicate_pairs", |r| {
            if r.is_blank() {
                return Ok(None);
            }
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
        rb.frequency = rb.table(&mut sheets, "b8_item_frequency", |r| {
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
        rb.period = rb.table(&mut sheets, "b8_item_period", |r| {
            if r.is_blank() {
                return Ok(None);
            }
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
        rb.item_restrictions(&mut sheets);
        for &(table, column) in DRUG_TABLES {
            rb.drug_restrictions(&mut sheets, table, column);
        }
        Ok(rb)
    }

    /// The item tables: one row per national code.
    fn item_restrictions(&mut self, sheets: &mut BTreeMap<&'static str, Sheet>) {
        let items: [(&'static str, &str, &str, &str); 4] = [
            ("b1_item_age", "国标代码", "限定对象", "项目名称"),
            ("b1_item_sex", "国标代码", "限定性别", "项目名称"),
            (
                "b2_item_primary_secondary",
                "国标代码",
                "限定值域",
                "项目名称",
            ),
            ("b8_item_age", "项目代码", "", "项目名称"),
        ];
        for (table, code, limit, name) in items {
            let rows = self.table(sheets, table, |r| {
                if r.is_blank() {
                    return Ok(None);
                }
                let limit = if limit.is_empty() {
                    Limit::WorkingAge
                } else {
                    parse_limit(table, r.get(limit)?).ok_or_else(|| {
                        r.error(
                            limit,
                            format!("`{}` is not a known limit", r.get(limit).unwrap_or("")),
                        )
                    })?
                };
                Ok(Some(Restriction {
                    table,
                    code: r.code(code)?,
                    name: r.get(name)?.to_string(),
                    limit,
                }))
            });
            self.restrictions.extend(rows.into_iter().flatten());
        }
    }

    /// A drug table: its rule sheet gives each generic name's limit, its codes sheet the national
    /// codes of each generic name.
    fn drug_restrictions(
        &mut self,
        sheets: &mut BTreeMap<&'static str, Sheet>,
        table: &'static str,
        column: &str,
    ) {
        let codes_table = TABLES
            .iter()
            .copied()
            .find(|t| t.strip_suffix("_codes") == Some(table))
            .expect("every drug table has a codes table");
        let Some(limits) = self.table(sheets, table, |r| {
            if r.is_blank() {
                return Ok(None);
            }
            let v = r.get(column)?;
            let limit = parse_limit(table, v)
                .ok_or_else(|| r.error(column, format!("`{v}` is not a known limit")))?;
            Ok(Some((r.get("药品通用名")?.to_string(), limit)))
        }) else {
            return;
        };
        let limits: BTreeMap<String, Limit> = limits.into_iter().collect();
        let Some(codes) = self.table(sheets, codes_table, |r| {
            if r.is_blank() {
                return Ok(None);
            }
            let name = r.get("药品通用名")?;
            let column = if r.has("国标代码") {
                "国标代码"
            } else {
                "药品代码"
            };
            let limit = limits.get(name).ok_or_else(|| {
                r.error(
                    "药品通用名",
                    format!("`{name}` is not in the rule sheet {table}"),
                )
            })?;
            Ok(Some(Restriction {
                table,
                code: r.code(column)?,
                name: name.to_string(),
                limit: limit.clone(),
            }))
        }) else {
            if !self
                .problems
                .iter()
                .any(|p| p.table.as_deref() == Some(codes_table))
            {
                self.problems.push(RuleBaseProblem {
                    table: Some(table.to_string()),
                    file: self.dir.join(format!("{codes_table}.csv")),
                    sheet: None,
                    line: None,
                    column: None,
                    message: format!("{table} names drugs; their national codes are in {codes_table}, which is missing"),
                });
            }
            self.loaded.retain(|(t, _)| t != table);
            return;
        };
        self.restrictions.extend(codes);
    }

    /// The CSV files in `dir`, then the worksheets of the workbooks in `dir` and `dir/xlsx` for the
    /// tables that have no CSV. A workbook that cannot be opened is a problem of its tables.
    fn find_sheets(&mut self) -> BTreeMap<&'static str, Sheet> {
        let mut sheets = BTreeMap::new();
        for &t in TABLES {
            let path = self.dir.join(format!("{t}.csv"));
            if path.is_file() {
                sheets.insert(t, Sheet::Csv(path));
            }
        }
        let mut books: Vec<PathBuf> = [self.dir.clone(), self.dir.join("xlsx")]
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
            })
            .collect();
        books.sort();
        for book in books {
            let name = book.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let Some((_, tables)) = WORKBOOKS
                .iter()
                .find(|(words, _)| words.iter().all(|w| name.contains(w)))
            else {
                continue;
            };
            for (i, &t) in tables.iter().enumerate() {
                sheets.entry(t).or_insert(Sheet::Workbook(book.clone(), i));
            }
        }
        sheets
    }

    /// Reads `table` with `row` per data row; `None` (with a problem recorded when the table is
    /// there) unless every row is usable.
    fn table<T>(
        &mut self,
        sheets: &mut BTreeMap<&'static str, Sheet>,
        table: &'static str,
        row: impl Fn(&Row<'_>) -> Result<Option<T>, RuleBaseProblem>,
    ) -> Option<Vec<T>> {
        let sheet = sheets.remove(table)?;
        let result = sheet.read().and_then(|grid| {
            let mut out = Vec::new();
            for (line, cells) in &grid.rows {
                let r = Row {
                    grid: &grid,
                    line: *line,
                    cells,
                };
                if let Some(t) = row(&r)? {
                    out.push(t);
                }
            }
            Ok(out)
        });
        match result {
            Ok(rows) => {
                self.loaded.push((table.to_string(), rows.len()));
                self.sources
                    .push((table.to_string(), sheet.path().to_path_buf()));
                Some(rows)
            }
            Err(mut p) => {
                p.table = Some(table.to_string());
                self.problems.push(p);
                None
            }
        }
    }

    /// Is `table` loaded?
    pub fn has(&self, table: &str) -> bool {
        self.loaded.iter().any(|(t, _)| t == table)
    }

    /// Restrictions of one kind, by national code.
    pub fn restricted(&self, keep: impl Fn(&Limit) -> bool) -> impl Iterator<Item = &Restriction> {
        self.restrictions.iter().filter(move |r| keep(&r.limit))
    }
}

/// The limit a table's cell states.
fn parse_limit(table: &str, v: &str) -> Option<Limit> {
    let v = v.trim();
    match table {
        "b1_drug_age" | "b1_item_age" => AgeGroup::parse(v).map(Limit::Age),
        "b1_drug_sex" | "b1_item_sex" => match v {
            "男" => Some(Limit::Sex(Sex::Male)),
            "女" => Some(Limit::Sex(Sex::Female)),
            _ => None,
        },
        "b2_item_primary_secondary" => (!v.is_empty()).then(|| Limit::OperationGroup(v.into())),
        "b3_drug_insurance_type" => (!v.is_empty()).then(|| Limit::InsuranceType(v.into())),
        "b4_drug_visit_type" => match v {
            "住院" => Some(Limit::VisitType(VisitType::Inpatient)),
            "门诊" => Some(Limit::VisitType(VisitType::Outpatient)),
            _ => None,
        },
        "b5_drug_hospital_level" => match v {
            "一级" => Some(Limit::MinLevel(1)),
            "二级" => Some(Limit::MinLevel(2)),
            "三级" => Some(Limit::MinLevel(3)),
            _ => None,
        },
        "b6_drug_payment_course" => v
            .strip_suffix('天')
            .and_then(|d| d.parse().ok())
            .filter(|d| *d > 0)
            .map(Limit::CourseDays),
        _ => None,
    }
}

/// Where a table is: a CSV file, or a worksheet (by position) of a workbook.
enum Sheet {
    Csv(PathBuf),
    Workbook(PathBuf, usize),
}

/// A table's cells as text, with each row's 1-based line (CSV) or row (worksheet) number.
struct Grid {
    file: PathBuf,
    sheet: Option<String>,
    headers: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
}

impl Sheet {
    fn path(&self) -> &Path {
        match self {
            Sheet::Csv(p) | Sheet::Workbook(p, _) => p,
        }
    }

    fn read(&self) -> Result<Grid, RuleBaseProblem> {
        let whole = |sheet: Option<String>, message: String| RuleBaseProblem {
            table: None,
            file: self.path().to_path_buf(),
            sheet,
            line: None,
            column: None,
            message,
        };
        match self {
            Sheet::Csv(path) => {
                let bytes = read_bounded(path).map_err(|e| whole(None, e))?;
                let text = fundguard_model::decode_text(&bytes);
                let mut reader = csv::ReaderBuilder::new()
                    .flexible(true)
                    .from_reader(text.as_bytes());
                let headers = reader
                    .headers()
                    .map_err(|e| whole(None, e.to_string()))?
                    .iter()
                    .map(|h| h.trim().to_string())
                    .collect();
                let mut rows = Vec::new();
                for record in reader.records() {
                    let record = record.map_err(|e| whole(None, e.to_string()))?;
                    let line = record.position().map_or(0, |p| p.line());
                    rows.push((line, record.iter().map(|c| c.trim().to_string()).collect()));
                }
                Ok(Grid {
                    file: path.clone(),
                    sheet: None,
                    headers,
                    rows,
                })
            }
            Sheet::Workbook(path, index) => {
                let bytes = read_bounded(path).map_err(|e| whole(None, e))?;
                let mut sheets = crate::xlsx::read_workbook(&bytes).map_err(|e| whole(None, e))?;
                if *index >= sheets.len() {
                    return Err(whole(
                        None,
                        format!(
                            "the workbook has {} worksheets, expected at least {}",
                            sheets.len(),
                            index + 1
                        ),
                    ));
                }
                let sheet = sheets.swap_remove(*index);
                let mut rows = sheet.rows.into_iter();
                let headers = rows.next().map(|(_, h)| h).ok_or_else(|| {
                    whole(Some(sheet.name.clone()), "the worksheet is empty".into())
                })?;
                Ok(Grid {
                    file: path.clone(),
                    sheet: Some(sheet.name),
                    headers,
                    rows: rows.collect(),
                })
            }
        }
    }
}

/// Most bytes one rule-base file may hold (the published workbooks are about 1 MB, the largest
/// CSV under 1 MB); a larger file is refused without being read.
pub const MAX_FILE: u64 = 512 << 20;

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_FILE {
        return Err(format!(
            "{size} bytes, more than the {MAX_FILE} a rule-base file may hold"
        ));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

/// One data row of a rule-base table, with its headers.
struct Row<'a> {
    grid: &'a Grid,
    line: u64,
    cells: &'a [String],
}

impl Row<'_> {
    fn problem(&self, line: u64, column: &str, message: String) -> RuleBaseProblem {
        RuleBaseProblem {
            table: None,
            file: self.grid.file.clone(),
            sheet: self.grid.sheet.clone(),
            line: Some(line),
            column: Some(column.to_string()),
            message,
        }
    }

    fn error(&self, column: &str, message: String) -> RuleBaseProblem {
        self.problem(self.line, column, message)
    }

    fn has(&self, column: &str) -> bool {
        self.grid.headers.iter().any(|h| h == column)
    }

    /// Every cell empty (a spacer row at the end of a worksheet).
    fn is_blank(&self) -> bool {
        self.cells.iter().all(String::is_empty)
    }

    fn get(&self, column: &str) -> Result<&str, RuleBaseProblem> {
        let i = self
            .grid
            .headers
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| {
                let first = self
                    .grid
                    .rows
                    .first()
                    .map_or(1, |r| r.0.saturating_sub(1))
                    .max(1);
                self.problem(
                    first,
                    column,
                    format!(
                        "missing column `{column}` (header: {})",
                        self.grid.headers.join(",")
                    ),
                )
            })?;
        Ok(self.cells.get(i).map_or("", String::as_str))
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

/// UTF-8 (BOM stripped) when valid, else GB18030, as the tables are published both ways.
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
    fn reads_the_restriction_tables() {
        let rb = RuleBase::load(&shared()).unwrap();
        let count = |t: &str| rb.restrictions.iter().filter(|r| r.table == t).count();
        assert_eq!(count("b1_drug_age"), 4398);
        assert_eq!(count("b1_drug_sex"), 6472);
        assert_eq!(count("b1_item_age"), 30);
        assert_eq!(count("b1_item_sex"), 390);
        assert_eq!(count("b2_item_primary_secondary"), 378);
        assert_eq!(count("b3_drug_insurance_type"), 112);
        assert_eq!(count("b4_drug_visit_type"), 736);
        assert_eq!(count("b5_drug_hospital_level"), 962);
        assert_eq!(count("b6_drug_payment_course"), 1147);
        assert_eq!(count("b8_item_age"), 1);
        let find = |code: &str| rb.restrictions.iter().find(|r| r.code == code).unwrap();
        assert_eq!(find("XB01AXA223B004010180963").limit, Limit::CourseDays(14));
        assert_eq!(find("002202020010000").limit, Limit::Sex(Sex::Female));
        assert_eq!(
            find("ZA04CAE0023010100166").limit,
            Limit::Age(AgeGroup::Child)
        );
        assert_eq!(
            find("XB05BAU012B002010102180").limit,
            Limit::VisitType(VisitType::Inpatient)
        );
    }

    /// The published workbooks give exactly what their CSV exports give.
    #[test]
    fn workbooks_read_like_their_csv_exports() {
        let csv = RuleBase::load(&shared()).unwrap();
        let xlsx = RuleBase::load(&shared().join("xlsx")).unwrap();
        assert!(xlsx.problems.is_empty(), "{:?}", xlsx.problems);
        let mut a = csv.loaded.clone();
        let mut b = xlsx.loaded.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert!(xlsx
            .sources
            .iter()
            .all(|(_, p)| p.extension().unwrap() == "xlsx"));
        let key = |rb: &RuleBase| {
            let mut v: Vec<String> = rb
                .restrictions
                .iter()
                .map(|r| format!("{} {} {:?}", r.table, r.code, r.limit))
                .collect();
            v.sort();
            v
        };
        assert_eq!(key(&csv), key(&xlsx));
        let pairs = |rb: &RuleBase| {
            rb.duplicate_pairs
                .as_ref()
                .unwrap()
                .iter()
                .map(|p| format!("{} {} {:?}", p.main, p.sub, p.window))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs(&csv), pairs(&xlsx));
        assert_eq!(csv.frequency.unwrap().len(), xlsx.frequency.unwrap().len());
    }

    #[test]
    fn a_drug_table_without_its_codes_is_reported() {
        let dir = std::env::temp_dir().join(format!("fg-rb-codes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            shared().join("b6_drug_payment_course.csv"),
            dir.join("b6_drug_payment_course.csv"),
        )
        .unwrap();
        let rb = RuleBase::load(&dir).unwrap();
        assert!(rb.restrictions.is_empty());
        assert!(!rb.has("b6_drug_payment_course"));
        assert!(
            rb.problems[0]
                .message
                .contains("b6_drug_payment_course_codes"),
            "{}",
            rb.problems[0]
        );
        std::fs::remove_dir_all(&dir).unwrap();
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
