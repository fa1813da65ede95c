//! The accepted rows of a claims dump, held as columns.
//!
//! Every table is a struct of equally long vectors. Repeated ids are dictionary codes into
//! [`Dicts`]; money is fen, quantities and prices are scaled integers (see [`crate::decimal`]); time is
//! seconds or days (see [`crate::time`]). Optional values use the sentinels [`NONE`],
//! [`NULL_I64`], [`NULL_TIME`] and [`NULL_DATE`]. This is what the rule engine sweeps over.

use crate::decimal::NULL_I64;
use crate::dict::{Dict, StrColumn, NONE};
use crate::time::{Days, Seconds, NULL_DATE, NULL_TIME};

/// `visit_type` of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum VisitType {
    Outpatient,
    Inpatient,
    Pharmacy,
    Other,
}

impl VisitType {
    pub const ALL: [VisitType; 4] = [
        VisitType::Outpatient,
        VisitType::Inpatient,
        VisitType::Pharmacy,
        VisitType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitType::Outpatient => "outpatient",
            VisitType::Inpatient => "inpatient",
            VisitType::Pharmacy => "pharmacy",
            VisitType::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Sex per GB/T 2261.1: `1` male, `2` female, `0`/`9` unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Sex {
    Unknown,
    Male,
    Female,
}

impl Sex {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "1" => Some(Sex::Male),
            "2" => Some(Sex::Female),
            "0" | "9" => Some(Sex::Unknown),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Sex::Unknown => "9",
            Sex::Male => "1",
            Sex::Female => "2",
        }
    }
}

/// `provider_type` of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum ProviderType {
    Hospital,
    Clinic,
    Pharmacy,
    Unknown,
}

impl ProviderType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "hospital" => Some(ProviderType::Hospital),
            "clinic" => Some(ProviderType::Clinic),
            "pharmacy" => Some(ProviderType::Pharmacy),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::Hospital => "hospital",
            ProviderType::Clinic => "clinic",
            ProviderType::Pharmacy => "pharmacy",
            ProviderType::Unknown => "unknown",
        }
    }
}

/// Charge categories (`med_chrgitm_type`) 01-14, stored as their number.
pub mod category {
    pub const BED: u8 = 1;
    pub const CONSULTATION: u8 = 2;
    pub const EXAM: u8 = 3;
    pub const LAB: u8 = 4;
    pub const TREATMENT: u8 = 5;
    pub const SURGERY: u8 = 6;
    pub const NURSING: u8 = 7;
    pub const MATERIAL: u8 = 8;
    pub const WESTERN_DRUG: u8 = 9;
    pub const HERBAL: u8 = 10;
    pub const PATENT_DRUG: u8 = 11;
    pub const GENERAL: u8 = 12;
    pub const REGISTRATION: u8 = 13;
    pub const OTHER: u8 = 14;

    /// Parses `01`..`14` (also unpadded `1`..`14`, as some exports drop the zero).
    pub fn parse(s: &str) -> Option<u8> {
        if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok().filter(|c| (1..=14).contains(c))
    }

    /// Drugs: western, herbal, patent.
    pub fn is_drug(c: u8) -> bool {
        matches!(c, WESTERN_DRUG | HERBAL | PATENT_DRUG)
    }
}

/// Dictionaries shared by all tables, so that `patient` code 7 means the same person everywhere.
#[derive(Debug, Clone, Default)]
pub struct Dicts {
    pub patients: Dict,
    pub providers: Dict,
    pub items: Dict,
    pub item_names: Dict,
    pub doctors: Dict,
    pub depts: Dict,
    pub diagnoses: Dict,
    pub terminals: Dict,
    pub regions: Dict,
    pub provider_names: Dict,
    /// 追溯码 of `drug_traces` and `drug_stock`.
    pub traces: Dict,
    /// `med_type`, `insurance_type`, `level` and other short codes.
    pub codes: Dict,
}

/// Accepted visits (settled episodes), one entry per row in every vector.
#[derive(Debug, Clone, Default)]
pub struct Visits {
    pub visit_id: StrColumn,
    pub patient: Vec<u32>,
    pub provider: Vec<u32>,
    pub visit_type: Vec<VisitType>,
    /// `codes`, or [`NONE`].
    pub med_type: Vec<u32>,
    pub admit: Vec<Seconds>,
    /// [`NULL_TIME`] while still in hospital, or when the export gave none for a non-inpatient visit.
    pub discharge: Vec<Seconds>,
    /// Given, else admit time for pharmacy and discharge (or admit) time otherwise.
    pub settle: Vec<Seconds>,
    pub main_diag: Vec<u32>,
    pub dept: Vec<u32>,
    pub doctor: Vec<u32>,
    pub terminal: Vec<u32>,
    /// Fen (scale 2), as every money column.
    pub total: Vec<i64>,
    /// Given, else `total`.
    pub fund_paid: Vec<i64>,
    /// 0 when not given.
    pub account_paid: Vec<i64>,
    /// 0 when not given.
    pub cash_paid: Vec<i64>,
    pub is_refund: Vec<bool>,
    pub insurance_type: Vec<u32>,
}

impl Visits {
    /// Room for `rows` more visits in every column (ids about 20 bytes), so that reading a big
    /// table does not grow and fault its columns in again and again.
    pub fn reserve(&mut self, rows: usize) {
        self.visit_id.reserve(rows, rows * 20);
        for v in [
            &mut self.patient,
            &mut self.provider,
            &mut self.med_type,
            &mut self.main_diag,
        ]
        .into_iter()
        .chain([
            &mut self.dept,
            &mut self.doctor,
            &mut self.terminal,
            &mut self.insurance_type,
        ]) {
            v.reserve(rows);
        }
        self.visit_type.reserve(rows);
        for v in [
            &mut self.admit,
            &mut self.discharge,
            &mut self.settle,
            &mut self.total,
        ]
        .into_iter()
        .chain([
            &mut self.fund_paid,
            &mut self.account_paid,
            &mut self.cash_paid,
        ]) {
            v.reserve(rows);
        }
        self.is_refund.reserve(rows);
    }
}

/// Accepted line items (费用明细).
#[derive(Debug, Clone, Default)]
pub struct LineItems {
    pub line_id: StrColumn,
    /// Row index into [`Visits`].
    pub visit: Vec<u32>,
    pub item: Vec<u32>,
    pub item_name: Vec<u32>,
    /// 1..=14, see [`category`].
    pub category: Vec<u8>,
    pub charge_time: Vec<Seconds>,
    /// Scale 4; negative on reversal lines.
    pub quantity: Vec<i64>,
    /// Scale 6.
    pub unit_price: Vec<i64>,
    /// Fen.
    pub amount: Vec<i64>,
    /// [`NULL_I64`] when not given.
    pub in_scope: Vec<i64>,
    pub doctor: Vec<u32>,
    pub dept: Vec<u32>,
    /// Scale 4, [`NULL_I64`] when not given.
    pub days_supply: Vec<i64>,
}

impl LineItems {
    /// Room for `rows` more line items in every column (line ids about 24 bytes).
    pub fn reserve(&mut self, rows: usize) {
        self.line_id.reserve(rows, rows * 24);
        for v in [&mut self.visit, &mut self.item, &mut self.item_name]
            .into_iter()
            .chain([&mut self.doctor, &mut self.dept])
        {
            v.reserve(rows);
        }
        self.category.reserve(rows);
        for v in [
            &mut self.charge_time,
            &mut self.quantity,
            &mut self.unit_price,
        ]
        .into_iter()
        .chain([&mut self.amount, &mut self.in_scope, &mut self.days_supply])
        {
            v.reserve(rows);
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Patients {
    pub patient: Vec<u32>,
    pub sex: Vec<Sex>,
    pub birth: Vec<Days>,
    pub death: Vec<Days>,
    pub region: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct Providers {
    pub provider: Vec<u32>,
    pub name: Vec<u32>,
    pub provider_type: Vec<ProviderType>,
    /// `hosp_lv` code in `codes`, or [`NONE`].
    pub level: Vec<u32>,
    pub region: Vec<u32>,
    /// [`NULL_I64`] when unknown.
    pub beds: Vec<i64>,
    /// Minutes since midnight, -1 when unknown.
    pub open_minute: Vec<i32>,
    pub close_minute: Vec<i32>,
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub item: Vec<u32>,
    pub name: Vec<u32>,
    /// 0 when not given.
    pub category: Vec<u8>,
    /// Scale 6, [`NULL_I64`] when none.
    pub price_cap: Vec<i64>,
    /// Scale 4, [`NULL_I64`] when none.
    pub max_per_day: Vec<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct Purchases {
    pub provider: Vec<u32>,
    pub item: Vec<u32>,
    /// First day of the month.
    pub month: Vec<Days>,
    /// Scale 4 (0 when not given).
    pub opening_qty: Vec<i64>,
    pub purchased_qty: Vec<i64>,
}

/// Accepted 追溯码 scans, each linked to the line item it sells. The scan's visit, item,
/// provider and patient are its line's (ingest rejects a scan whose stated ones differ), so they
/// are not stored twice.
#[derive(Debug, Clone, Default)]
pub struct DrugTraces {
    /// Code in `traces`.
    pub code: Vec<u32>,
    /// Row index into [`LineItems`]: the visit's line of the item (the first by line id).
    pub line: Vec<u32>,
    pub time: Vec<Seconds>,
    /// Scale 4; negative on a return.
    pub quantity: Vec<i64>,
    pub split_pack: Vec<bool>,
}

/// Accepted stock scans: the codes a provider took in.
#[derive(Debug, Clone, Default)]
pub struct DrugStock {
    pub code: Vec<u32>,
    pub item: Vec<u32>,
    pub provider: Vec<u32>,
    /// [`NULL_TIME`] when not given.
    pub time: Vec<Seconds>,
}

/// Accepted diagnoses of the settlement lists, one row per (visit, diagnosis).
#[derive(Debug, Clone, Default)]
pub struct SettlementDiagnoses {
    /// Row index into [`Visits`].
    pub visit: Vec<u32>,
    /// Code in `diagnoses`.
    pub diag: Vec<u32>,
    /// Code in `codes`, or [`NONE`].
    pub diag_type: Vec<u32>,
    /// The list's main diagnosis (`maindiag_flag`); when no row of a visit says, the visit's
    /// `main_diag_code` is taken as main.
    pub is_main: Vec<bool>,
}

/// A whole accepted dump. Optional tables are `None` when the dump did not have them.
#[derive(Debug, Clone, Default)]
pub struct Dump {
    pub dicts: Dicts,
    pub visits: Visits,
    pub lines: LineItems,
    pub patients: Option<Patients>,
    pub providers: Option<Providers>,
    pub catalog: Option<Catalog>,
    pub purchases: Option<Purchases>,
    pub traces: Option<DrugTraces>,
    pub stock: Option<DrugStock>,
    pub diagnoses: Option<SettlementDiagnoses>,
}

impl Dump {
    /// For each patient code, its row in `patients`, or [`NONE`].
    pub fn patient_rows(&self) -> Vec<u32> {
        index_by_code(
            self.dicts.patients.len(),
            self.patients.as_ref().map(|p| &p.patient[..]),
        )
    }

    /// For each provider code, its row in `providers`, or [`NONE`].
    pub fn provider_rows(&self) -> Vec<u32> {
        index_by_code(
            self.dicts.providers.len(),
            self.providers.as_ref().map(|p| &p.provider[..]),
        )
    }

    /// For each item code, its row in `catalog`, or [`NONE`].
    pub fn catalog_rows(&self) -> Vec<u32> {
        index_by_code(
            self.dicts.items.len(),
            self.catalog.as_ref().map(|c| &c.item[..]),
        )
    }
}

fn index_by_code(codes: usize, column: Option<&[u32]>) -> Vec<u32> {
    let mut rows = vec![NONE; codes];
    for (row, &code) in column.unwrap_or_default().iter().enumerate() {
        rows[code as usize] = row as u32;
    }
    rows
}

/// Optional-value helpers for the sentinel encodings.
pub fn opt_i64(v: i64) -> Option<i64> {
    (v != NULL_I64).then_some(v)
}

pub fn opt_time(t: Seconds) -> Option<Seconds> {
    (t != NULL_TIME).then_some(t)
}

pub fn opt_date(d: Days) -> Option<Days> {
    (d != NULL_DATE).then_some(d)
}

pub fn opt_code(c: u32) -> Option<u32> {
    (c != NONE).then_some(c)
}
