//! Analysts' own rules: SQL over the input tables, declared in the configuration.
//!
//! ```toml
//! [[custom]]
//! id = "custom.night_surgery"
//! severity = 0.6
//! evidence = "{provider_id} 夜间手术 {n} 台"
//! sql = """
//! SELECT v.provider_id AS subject_id, 'provider' AS subject_type, v.provider_id,
//!        COUNT(*) AS n, SUM(l.amount) AS amount_at_risk
//! FROM line_items l JOIN visits v ON l.visit_id = v.visit_id
//! WHERE l.charge_category = '06' AND EXTRACT(HOUR FROM l.charge_time) < 6
//! GROUP BY v.provider_id HAVING COUNT(*) >= 3
//! """
//! ```
//!
//! The query runs on polars' SQL engine over the accepted rows of `visits`, `line_items`,
//! `patients`, `providers`, `catalog`, `purchases`, `drug_traces`, `drug_stock` and `settlement_diagnoses` (the contract's columns and types: ids as
//! text, money as DECIMAL, times as TIMESTAMP, dates as DATE; an absent optional table is empty).
//! Each result row is a hit. Result columns: `subject_id` (required), `subject_type` (or the
//! rule's `subject`), and optionally `provider_id`, `patient_id`, `visit_id`, `line_ids` (a list
//! or comma-separated text), `amount_at_risk` (DECIMAL or whole yuan), `severity` (0-1, else the
//! rule's), `evidence` (else the rule's template, whose `{column}` placeholders take the row's
//! values). Every query is checked against empty tables of the contract's schema when the
//! configuration is loaded, so a bad query fails with its rule id before any data is read.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use fundguard_model::{
    civil_from_days, Dump, Family, Fen, HitRow, Kind, Outcome, RuleOutcome, Table, NULL_DATE,
    NULL_I64, NULL_TIME,
};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

/// One analyst rule (`[[custom]]` in the configuration).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRule {
    /// Stable id; must not be a built-in rule's. `custom.<name>` by convention.
    pub id: String,
    /// The contract family its hits belong to.
    #[serde(default = "custom_family")]
    pub family: String,
    /// What the rule looks for, for listings.
    #[serde(default)]
    pub name: String,
    /// Severity of its hits (0-1) when the query returns no `severity` column.
    pub severity: f64,
    /// `subject_type` of its hits when the query returns no `subject_type` column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Evidence template (`{column}` takes the row's value) when the query returns no
    /// `evidence` column.
    #[serde(default)]
    pub evidence: String,
    /// English evidence template, for `run.language = "en"` (else `evidence`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence_en: Option<String>,
    pub sql: String,
}

fn custom_family() -> String {
    "custom".into()
}

const SUBJECTS: [&str; 4] = ["provider", "patient", "doctor", "visit"];

impl CustomRule {
    /// Checks the declaration and compiles the query against empty tables.
    pub fn check(&self, builtin: &[&str]) -> Result<(), String> {
        let fail = |m: String| Err(format!("custom rule `{}`: {m}", self.id));
        if self.id.trim().is_empty() || self.id.contains(char::is_whitespace) {
            return fail("the id must be non-empty text without spaces".into());
        }
        if builtin.contains(&self.id.as_str()) {
            return fail("the id is a built-in rule's".into());
        }
        if !Family::ALL.iter().any(|f| f.as_str() == self.family) {
            return fail(format!("family `{}` is not a contract family", self.family));
        }
        if !(0.0..=1.0).contains(&self.severity) {
            return fail(format!("severity {} is outside 0-1", self.severity));
        }
        if let Some(s) = &self.subject {
            if !SUBJECTS.contains(&s.as_str()) {
                return fail(format!("subject `{s}` is none of {}", SUBJECTS.join(", ")));
            }
        }
        let schema = self
            .compile(&Tables::empty())
            .and_then(|mut lf| lf.collect_schema())
            .map_err(|e| format!("custom rule `{}`: SQL error: {e}", self.id))?;
        let has = |c: &str| schema.get(c).is_some();
        if !has("subject_id") {
            return fail("the query returns no `subject_id` column".into());
        }
        if !has("subject_type") && self.subject.is_none() {
            return fail(
                "the query returns no `subject_type` column and the rule sets no `subject`".into(),
            );
        }
        if let Some(t) = schema.get("amount_at_risk") {
            if !(matches!(t, DataType::Decimal(..)) || t.is_integer()) {
                return fail(format!(
                    "amount_at_risk is {t}; money must be exact: CAST(… AS DECIMAL(16,2))"
                ));
            }
        }
        if let Some(t) = schema.get("severity") {
            if !t.is_primitive_numeric() {
                return fail(format!("severity is {t}, not a number"));
            }
        }
        if !has("evidence") {
            for template in std::iter::once(&self.evidence).chain(self.evidence_en.as_ref()) {
                if template.is_empty() {
                    return fail("the query returns no `evidence` column and the rule has no `evidence` template".into());
                }
                for p in placeholders(template) {
                    if !has(&p) {
                        return fail(format!(
                            "evidence placeholder {{{p}}} is not a result column"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn compile(&self, tables: &Tables) -> PolarsResult<LazyFrame> {
        let mut ctx = polars::sql::SQLContext::new();
        for (name, df) in &tables.frames {
            ctx.register(name, df.clone().lazy());
        }
        ctx.execute(&self.sql)
    }

    /// Runs the query over `tables`; one hit row per result row (Chinese evidence), with its
    /// English evidence.
    pub fn run(&self, tables: &Tables) -> Result<Vec<(HitRow, String)>, String> {
        let fail = |e: &dyn std::fmt::Display| format!("custom rule `{}`: {e}", self.id);
        let df = self
            .compile(tables)
            .and_then(LazyFrame::collect)
            .map_err(|e| fail(&e))?;
        let n = df.height();
        let text = |name: &str| -> Result<Option<Vec<Option<String>>>, String> {
            let Ok(c) = df.column(name) else {
                return Ok(None);
            };
            let s = c.cast(&DataType::String).map_err(|e| fail(&e))?;
            let ca = s.str().map_err(|e| fail(&e))?;
            Ok(Some(ca.iter().map(|v| v.map(str::to_string)).collect()))
        };
        let subject_id = text("subject_id")?.expect("checked");
        let subject_type = text("subject_type")?;
        let provider = text("provider_id")?;
        let patient = text("patient_id")?;
        let visit = text("visit_id")?;
        let evidence = text("evidence")?;
        let amount = match df.column("amount_at_risk") {
            Ok(c) => Some(fen(c.as_materialized_series()).map_err(|e| fail(&e))?),
            Err(_) => None,
        };
        let severity: Option<Vec<Option<f64>>> = match df.column("severity") {
            Ok(c) => {
                let s = c.cast(&DataType::Float64).map_err(|e| fail(&e))?;
                Some(s.f64().map_err(|e| fail(&e))?.iter().collect())
            }
            Err(_) => None,
        };
        let line_ids = line_ids(&df).map_err(|e| fail(&e))?;
        let template = &self.evidence;
        let template_en = self.evidence_en.as_ref().unwrap_or(&self.evidence);
        let mut values = Vec::new();
        for p in placeholders(&format!("{template}{template_en}")) {
            values.push((p.clone(), text(&p)?.unwrap_or_default()));
        }
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let Some(sid) = subject_id[i].clone() else {
                return Err(fail(&format!("row {}: subject_id is null", i + 1)));
            };
            let st = match subject_type.as_ref().and_then(|c| c[i].clone()) {
                Some(t) => t,
                None => self.subject.clone().ok_or_else(|| {
                    fail(&format!(
                        "row {}: subject_type is null and the rule sets no subject",
                        i + 1
                    ))
                })?,
            };
            if !SUBJECTS.contains(&st.as_str()) {
                return Err(fail(&format!(
                    "row {}: subject_type `{st}` is none of {}",
                    i + 1,
                    SUBJECTS.join(", ")
                )));
            }
            let get = |c: &Option<Vec<Option<String>>>| c.as_ref().and_then(|c| c[i].clone());
            let value = |name: &str| {
                values
                    .iter()
                    .find(|(p, _)| p == name)
                    .and_then(|(_, v)| v.get(i).cloned().flatten())
                    .unwrap_or_default()
            };
            let (ev, ev_en) = match get(&evidence) {
                Some(e) => (e.clone(), e),
                None => (fill(template, value), fill(template_en, value)),
            };
            let sev = severity
                .as_ref()
                .and_then(|s| s[i])
                .unwrap_or(self.severity)
                .clamp(0.0, 1.0);
            out.push((
                HitRow {
                    rule_id: self.id.clone(),
                    family: self.family.clone(),
                    subject_type: st,
                    subject_id: sid,
                    provider_id: get(&provider),
                    patient_id: get(&patient),
                    visit_id: get(&visit),
                    line_ids: line_ids.as_ref().map(|l| l[i].clone()).unwrap_or_default(),
                    amount_fen: amount.as_ref().map_or(0, |a| a[i]),
                    severity: sev,
                    evidence: ev,
                    doctor_id: None,
                    p: None,
                },
                ev_en,
            ));
        }
        Ok(out)
    }
}

/// `{name}` placeholders of a template.
fn placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        if !name.is_empty() && !out.iter().any(|p| p == name) {
            out.push(name.to_string());
        }
        rest = &rest[open + close + 1..];
    }
    out
}

fn fill(template: &str, value: impl Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&value(&rest[open + 1..open + close]));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// `amount_at_risk` in fen: decimals rounded half away from zero to 2 places; integers are yuan.
fn fen(s: &Series) -> PolarsResult<Vec<i64>> {
    match s.dtype() {
        DataType::Decimal(_, scale) => {
            let scale = *scale as u32;
            let ca = s.decimal()?;
            Ok(ca
                .physical()
                .iter()
                .map(|v| {
                    v.map_or(0, |v| {
                        if scale >= 2 {
                            fundguard_model::div_round(v, fundguard_model::pow10(scale - 2)) as i64
                        } else {
                            (v * fundguard_model::pow10(2 - scale)) as i64
                        }
                    })
                })
                .collect())
        }
        t if t.is_integer() => {
            let s = s.cast(&DataType::Int64)?;
            Ok(s.i64()?.iter().map(|v| v.unwrap_or(0) * 100).collect())
        }
        t => polars_bail!(ComputeError: "amount_at_risk is {t}; cast it to DECIMAL(16,2)"),
    }
}

/// `line_ids`: a list of text, or comma-separated text.
fn line_ids(df: &DataFrame) -> PolarsResult<Option<Vec<Vec<String>>>> {
    let Ok(c) = df.column("line_ids") else {
        return Ok(None);
    };
    let s = c.as_materialized_series();
    let mut out = Vec::with_capacity(s.len());
    if let DataType::List(_) = s.dtype() {
        let s = s.cast(&DataType::List(Box::new(DataType::String)))?;
        let ca = s.list()?;
        for i in 0..ca.len() {
            let mut ids: Vec<String> = match ca.get_as_series(i) {
                Some(inner) => inner.str()?.iter().flatten().map(str::to_string).collect(),
                None => Vec::new(),
            };
            ids.sort_unstable();
            ids.dedup();
            out.push(ids);
        }
    } else {
        let s = s.cast(&DataType::String)?;
        for v in s.str()?.iter() {
            let mut ids: Vec<String> = v
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            out.push(ids);
        }
    }
    Ok(Some(out))
}

/// The input tables as polars frames, with the contract's column names and types.
pub struct Tables {
    frames: Vec<(&'static str, DataFrame)>,
}

fn dtype(kind: Kind) -> DataType {
    match kind {
        Kind::Id | Kind::Text | Kind::TimeOfDay | Kind::Month => DataType::String,
        Kind::Timestamp => DataType::Datetime(TimeUnit::Milliseconds, None),
        Kind::Date => DataType::Date,
        Kind::Decimal(s) => DataType::Decimal(16, s as usize),
        Kind::Integer => DataType::Int64,
        Kind::Bool => DataType::Boolean,
    }
}

impl Tables {
    /// Every table, empty: what queries are checked against.
    pub fn empty() -> Tables {
        let frames = Table::ALL
            .iter()
            .map(|&t| (t.name(), empty_frame(t)))
            .collect();
        Tables { frames }
    }

    /// The tables and columns `rules` mention (a column is built when its name appears in a
    /// query, every column when a query selects `*`), from the accepted rows of `dump`.
    pub fn of(dump: &Dump, rules: &[&CustomRule]) -> Result<Tables, String> {
        let words: BTreeSet<String> = rules
            .iter()
            .flat_map(|r| {
                r.sql
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map(str::to_ascii_lowercase)
                    .collect::<Vec<_>>()
            })
            .collect();
        let star = rules.iter().any(|r| {
            let s = r.sql.replace(char::is_whitespace, "");
            s.match_indices('*').any(|(i, _)| !s[..i].ends_with('('))
        });
        let mut frames = Vec::new();
        for t in Table::ALL {
            let cols: Vec<Column> = t
                .columns()
                .iter()
                .filter(|c| star || words.contains(c.name))
                .map(|c| column(dump, t, c.name, c.kind).map(Series::into_column))
                .collect::<PolarsResult<_>>()
                .map_err(|e| e.to_string())?;
            let height = rows(dump, t);
            let df = if cols.is_empty() {
                // Keep the schema so that the query still resolves; no rows are needed.
                empty_frame(t)
            } else {
                DataFrame::new(height, cols).map_err(|e| e.to_string())?
            };
            frames.push((t.name(), df));
        }
        Ok(Tables { frames })
    }
}

/// A table with the contract's columns and no rows.
fn empty_frame(t: Table) -> DataFrame {
    let cols = t
        .columns()
        .iter()
        .map(|c| Column::new_empty(c.name.into(), &dtype(c.kind)))
        .collect();
    DataFrame::new(0, cols).expect("empty columns")
}

fn rows(dump: &Dump, t: Table) -> usize {
    match t {
        Table::Visits => dump.visits.patient.len(),
        Table::LineItems => dump.lines.visit.len(),
        Table::Patients => dump.patients.as_ref().map_or(0, |p| p.patient.len()),
        Table::Providers => dump.providers.as_ref().map_or(0, |p| p.provider.len()),
        Table::Catalog => dump.catalog.as_ref().map_or(0, |c| c.item.len()),
        Table::Purchases => dump.purchases.as_ref().map_or(0, |p| p.item.len()),
        Table::DrugTraces => dump.traces.as_ref().map_or(0, |t| t.code.len()),
        Table::DrugStock => dump.stock.as_ref().map_or(0, |s| s.code.len()),
        Table::SettlementDiagnoses => dump.diagnoses.as_ref().map_or(0, |g| g.visit.len()),
    }
}

fn text<'a>(name: &str, values: impl Iterator<Item = Option<&'a str>>) -> Series {
    let v: Vec<Option<&str>> = values.collect();
    Series::new(name.into(), v)
}

fn coded<'a>(name: &str, dict: &'a fundguard_model::Dict, codes: &'a [u32]) -> Series {
    text(name, codes.iter().map(|&c| dict.get_opt(c)))
}

fn timestamps(name: &str, t: &[i64]) -> Series {
    let v: Vec<Option<i64>> = t
        .iter()
        .map(|&s| (s != NULL_TIME).then_some(s * 1000))
        .collect();
    Int64Chunked::new(name.into(), v)
        .into_datetime(TimeUnit::Milliseconds, None)
        .into_series()
}

fn dates(name: &str, d: &[i32]) -> Series {
    let v: Vec<Option<i32>> = d.iter().map(|&x| (x != NULL_DATE).then_some(x)).collect();
    Int32Chunked::new(name.into(), v).into_date().into_series()
}

fn decimals(name: &str, v: &[i64], scale: u32, null_is: Option<i64>) -> Series {
    let v: Vec<Option<i128>> = v
        .iter()
        .map(|&x| (x != NULL_I64 && Some(x) != null_is).then_some(i128::from(x)))
        .collect();
    Int128Chunked::new(name.into(), v)
        .into_decimal_unchecked(16, scale as usize)
        .into_series()
}

/// One column of an input table, decoded from the dump.
fn column(dump: &Dump, t: Table, name: &str, kind: Kind) -> PolarsResult<Series> {
    let d = &dump.dicts;
    let empty = || Series::new_empty(name.into(), &dtype(kind));
    let scale = match kind {
        Kind::Decimal(s) => s,
        _ => 0,
    };
    Ok(match t {
        Table::Visits => {
            let v = &dump.visits;
            match name {
                "visit_id" => text(name, v.visit_id.iter().map(Some)),
                "patient_id" => coded(name, &d.patients, &v.patient),
                "provider_id" => coded(name, &d.providers, &v.provider),
                "visit_type" => text(name, v.visit_type.iter().map(|t| Some(t.as_str()))),
                "med_type" => coded(name, &d.codes, &v.med_type),
                "admit_time" => timestamps(name, &v.admit),
                "discharge_time" => timestamps(name, &v.discharge),
                "settle_time" => timestamps(name, &v.settle),
                "main_diag_code" => coded(name, &d.diagnoses, &v.main_diag),
                "dept_code" => coded(name, &d.depts, &v.dept),
                "doctor_id" => coded(name, &d.doctors, &v.doctor),
                "terminal_id" => coded(name, &d.terminals, &v.terminal),
                "total_amount" => decimals(name, &v.total, scale, None),
                "fund_paid" => decimals(name, &v.fund_paid, scale, None),
                "account_paid" => decimals(name, &v.account_paid, scale, None),
                "cash_paid" => decimals(name, &v.cash_paid, scale, None),
                "is_refund" => Series::new(name.into(), v.is_refund.clone()),
                "insurance_type" => coded(name, &d.codes, &v.insurance_type),
                _ => empty(),
            }
        }
        Table::LineItems => {
            let l = &dump.lines;
            match name {
                "line_id" => text(name, l.line_id.iter().map(Some)),
                "visit_id" => text(
                    name,
                    l.visit
                        .iter()
                        .map(|&v| Some(dump.visits.visit_id.get(v as usize))),
                ),
                "item_code" => coded(name, &d.items, &l.item),
                "item_name" => coded(name, &d.item_names, &l.item_name),
                "charge_category" => {
                    let v: Vec<Option<String>> =
                        l.category.iter().map(|c| Some(format!("{c:02}"))).collect();
                    Series::new(name.into(), v)
                }
                "charge_time" => timestamps(name, &l.charge_time),
                "quantity" => decimals(name, &l.quantity, scale, None),
                "unit_price" => decimals(name, &l.unit_price, scale, None),
                "amount" => decimals(name, &l.amount, scale, None),
                "in_scope_amount" => decimals(name, &l.in_scope, scale, None),
                "doctor_id" => coded(name, &d.doctors, &l.doctor),
                "dept_code" => coded(name, &d.depts, &l.dept),
                "days_supply" => decimals(name, &l.days_supply, scale, None),
                _ => empty(),
            }
        }
        Table::Patients => match &dump.patients {
            None => empty(),
            Some(p) => match name {
                "patient_id" => coded(name, &d.patients, &p.patient),
                "sex" => text(name, p.sex.iter().map(|s| Some(s.code()))),
                "birth_date" => dates(name, &p.birth),
                "death_date" => dates(name, &p.death),
                "region_code" => coded(name, &d.regions, &p.region),
                _ => empty(),
            },
        },
        Table::Providers => match &dump.providers {
            None => empty(),
            Some(p) => match name {
                "provider_id" => coded(name, &d.providers, &p.provider),
                "provider_name" => coded(name, &d.provider_names, &p.name),
                "provider_type" => text(
                    name,
                    p.provider_type.iter().map(|t| {
                        (*t != fundguard_model::ProviderType::Unknown).then_some(t.as_str())
                    }),
                ),
                "level" => coded(name, &d.codes, &p.level),
                "region_code" => coded(name, &d.regions, &p.region),
                "beds" => {
                    let v: Vec<Option<i64>> = p
                        .beds
                        .iter()
                        .map(|&b| (b != NULL_I64).then_some(b))
                        .collect();
                    Series::new(name.into(), v)
                }
                "open_time" | "close_time" => {
                    let m = if name == "open_time" {
                        &p.open_minute
                    } else {
                        &p.close_minute
                    };
                    let v: Vec<Option<String>> = m
                        .iter()
                        .map(|&m| (m >= 0).then(|| format!("{:02}:{:02}", m / 60, m % 60)))
                        .collect();
                    Series::new(name.into(), v)
                }
                _ => empty(),
            },
        },
        Table::Catalog => match &dump.catalog {
            None => empty(),
            Some(c) => match name {
                "item_code" => coded(name, &d.items, &c.item),
                "item_name" => coded(name, &d.item_names, &c.name),
                "charge_category" => {
                    let v: Vec<Option<String>> = c
                        .category
                        .iter()
                        .map(|&x| (x > 0).then(|| format!("{x:02}")))
                        .collect();
                    Series::new(name.into(), v)
                }
                "price_cap" => decimals(name, &c.price_cap, scale, None),
                "max_per_day" => decimals(name, &c.max_per_day, scale, None),
                _ => empty(),
            },
        },
        Table::Purchases => match &dump.purchases {
            None => empty(),
            Some(p) => match name {
                "provider_id" => coded(name, &d.providers, &p.provider),
                "item_code" => coded(name, &d.items, &p.item),
                "month" => {
                    let v: Vec<Option<String>> = p
                        .month
                        .iter()
                        .map(|&m| {
                            let (y, mo, _) = civil_from_days(m);
                            Some(format!("{y:04}-{mo:02}"))
                        })
                        .collect();
                    Series::new(name.into(), v)
                }
                "opening_qty" => decimals(name, &p.opening_qty, scale, None),
                "purchased_qty" => decimals(name, &p.purchased_qty, scale, None),
                _ => empty(),
            },
        },
        Table::DrugTraces => match &dump.traces {
            None => empty(),
            Some(t) => match name {
                "trace_code" => coded(name, &d.traces, &t.code),
                "visit_id" => text(
                    name,
                    t.line.iter().map(|&l| {
                        Some(
                            dump.visits
                                .visit_id
                                .get(dump.lines.visit[l as usize] as usize),
                        )
                    }),
                ),
                "item_code" => text(
                    name,
                    t.line
                        .iter()
                        .map(|&l| d.items.get_opt(dump.lines.item[l as usize])),
                ),
                "provider_id" => text(
                    name,
                    t.line.iter().map(|&l| {
                        d.providers
                            .get_opt(dump.visits.provider[dump.lines.visit[l as usize] as usize])
                    }),
                ),
                "patient_id" => text(
                    name,
                    t.line.iter().map(|&l| {
                        d.patients
                            .get_opt(dump.visits.patient[dump.lines.visit[l as usize] as usize])
                    }),
                ),
                "scan_time" => timestamps(name, &t.time),
                "quantity" => decimals(name, &t.quantity, scale, None),
                "split_pack" => Series::new(name.into(), t.split_pack.clone()),
                _ => empty(),
            },
        },
        Table::DrugStock => match &dump.stock {
            None => empty(),
            Some(st) => match name {
                "trace_code" => coded(name, &d.traces, &st.code),
                "item_code" => coded(name, &d.items, &st.item),
                "provider_id" => coded(name, &d.providers, &st.provider),
                "stock_time" => timestamps(name, &st.time),
                _ => empty(),
            },
        },
        Table::SettlementDiagnoses => match &dump.diagnoses {
            None => empty(),
            Some(g) => match name {
                "visit_id" => text(
                    name,
                    g.visit
                        .iter()
                        .map(|&v| Some(dump.visits.visit_id.get(v as usize))),
                ),
                "diag_code" => coded(name, &d.diagnoses, &g.diag),
                "diag_type" => coded(name, &d.codes, &g.diag_type),
                "is_main" => Series::new(name.into(), g.is_main.clone()),
                _ => empty(),
            },
        },
    })
    .map(|s| {
        // A column the dump does not hold at all keeps its rows, as nulls.
        if s.is_empty() && rows(dump, t) > 0 {
            Series::full_null(name.into(), rows(dump, t), &dtype(kind))
        } else {
            s
        }
    })
}

/// Runs the enabled custom SQL rules, one after another (polars parallelises each query): their
/// hits as text with their English evidence; each rule's outcome is appended to `outcomes`.
pub fn run_all(
    dump: &Dump,
    rules: &[CustomRule],
    disable: &[String],
    severity: &BTreeMap<String, f64>,
    outcomes: &mut Vec<RuleOutcome>,
) -> Vec<(HitRow, String)> {
    let enabled: Vec<&CustomRule> = rules.iter().filter(|c| !disable.contains(&c.id)).collect();
    let family = |c: &CustomRule| Family::parse(&c.family).unwrap_or(Family::Custom);
    for c in rules.iter().filter(|c| disable.contains(&c.id)) {
        outcomes.push(RuleOutcome {
            rule_id: c.id.clone(),
            family: family(c),
            outcome: Outcome::Skipped {
                reason: "disabled in the configuration (run.disable)".into(),
            },
        });
    }
    if enabled.is_empty() {
        return Vec::new();
    }
    let tables = Tables::of(dump, &enabled);
    let mut rows = Vec::new();
    for c in enabled {
        let t = Instant::now();
        let result = tables.as_ref().map_err(Clone::clone).and_then(|t| c.run(t));
        let outcome = match result {
            Ok(mut r) => {
                if let Some(&s) = severity.get(&c.id) {
                    let base = c.severity.max(1e-9);
                    for (h, _) in &mut r {
                        h.severity = (h.severity * s / base).clamp(0.0, 1.0);
                    }
                }
                let o = Outcome::Ran {
                    hits: r.len(),
                    amount_fen: r.iter().map(|(h, _)| Fen(h.amount_fen)).sum::<Fen>().0,
                    millis: t.elapsed().as_millis() as u64,
                };
                rows.extend(r);
                o
            }
            Err(error) => Outcome::Failed { error },
        };
        outcomes.push(RuleOutcome {
            rule_id: c.id.clone(),
            family: family(c),
            outcome,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(sql: &str) -> CustomRule {
        CustomRule {
            id: "custom.t".into(),
            family: "custom".into(),
            name: String::new(),
            severity: 0.5,
            subject: Some("provider".into()),
            evidence: "{provider_id}: {n}".into(),
            evidence_en: None,
            sql: sql.into(),
        }
    }

    #[test]
    fn a_good_query_compiles_against_the_contract() {
        let r = rule(
            "SELECT provider_id AS subject_id, provider_id, COUNT(*) AS n, SUM(total_amount) AS amount_at_risk \
             FROM visits GROUP BY provider_id",
        );
        r.check(&[]).unwrap();
    }

    #[test]
    fn a_bad_query_names_the_rule() {
        let e = rule("SELECT nosuch AS subject_id FROM visits")
            .check(&[])
            .unwrap_err();
        assert!(e.starts_with("custom rule `custom.t`: SQL error"), "{e}");
        let e = rule("SELECT provider_id AS subject_id, provider_id, 1 AS n, 1.5 AS amount_at_risk FROM visits")
            .check(&[])
            .unwrap_err();
        assert!(e.contains("DECIMAL"), "{e}");
        let e = rule("SELECT provider_id AS subject_id FROM visits")
            .check(&[])
            .unwrap_err();
        assert!(e.contains("{provider_id}"), "{e}");
    }

    #[test]
    fn templates_fill_placeholders() {
        assert_eq!(placeholders("{a} and {b}, {a}"), vec!["a", "b"]);
        assert_eq!(fill("{a}={b}!", |n| n.to_uppercase()), "A=B!");
    }
}
