//! The input tables of the data contract (`shared/spec/data-contract.md`, section 1), as data.
//!
//! Ingest validates against these specs and the generator writes them; column names here are the
//! contract's and must not change.

use serde::{Deserialize, Serialize};

/// An input table of a claims dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    Visits,
    LineItems,
    Patients,
    Providers,
    Catalog,
    Purchases,
    DrugTraces,
    DrugStock,
    SettlementDiagnoses,
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Visits,
        Table::LineItems,
        Table::Patients,
        Table::Providers,
        Table::Catalog,
        Table::Purchases,
        Table::DrugTraces,
        Table::DrugStock,
        Table::SettlementDiagnoses,
    ];

    /// The file stem in a dump directory (`visits` → `visits.parquet`, `visits.csv` or `visits/`).
    pub fn name(self) -> &'static str {
        match self {
            Table::Visits => "visits",
            Table::LineItems => "line_items",
            Table::Patients => "patients",
            Table::Providers => "providers",
            Table::Catalog => "catalog",
            Table::Purchases => "purchases",
            Table::DrugTraces => "drug_traces",
            Table::DrugStock => "drug_stock",
            Table::SettlementDiagnoses => "settlement_diagnoses",
        }
    }

    pub fn required(self) -> bool {
        matches!(self, Table::Visits | Table::LineItems)
    }

    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            Table::Visits => VISITS,
            Table::LineItems => LINE_ITEMS,
            Table::Patients => PATIENTS,
            Table::Providers => PROVIDERS,
            Table::Catalog => CATALOG,
            Table::Purchases => PURCHASES,
            Table::DrugTraces => DRUG_TRACES,
            Table::DrugStock => DRUG_STOCK,
            Table::SettlementDiagnoses => SETTLEMENT_DIAGNOSES,
        }
    }

    /// The column(s) that identify a row; a second row with the same key is rejected. Scans have
    /// none: a box scanned twice is evidence, not a bad row.
    pub fn key(self) -> &'static [&'static str] {
        match self {
            Table::Visits => &["visit_id"],
            Table::LineItems => &["line_id"],
            Table::Patients => &["patient_id"],
            Table::Providers => &["provider_id"],
            Table::Catalog => &["item_code"],
            Table::Purchases => &["provider_id", "item_code", "month"],
            Table::DrugTraces | Table::DrugStock => &[],
            Table::SettlementDiagnoses => &["visit_id", "diag_code"],
        }
    }

    /// What the rules lose when this optional table is absent (rule families of `rules.md`).
    pub fn needed_by(self) -> &'static [&'static str] {
        match self {
            Table::Visits | Table::LineItems => &[],
            Table::Patients => &[
                "impersonation (visits after death, sex/age-restricted items)",
                "bed_hanging 4 (group admissions by region)",
                "restricted_item (age limits of batch 8)",
            ],
            Table::Providers => &[
                "card_pooling 4 (opening hours; the 00:00-06:00 window still runs)",
                "restricted_item batch 5 (institution level)",
                "peer_outlier and item_swap 2 (peers by type and level)",
            ],
            Table::Catalog => &[
                "over_standard_price (price caps)",
                "duplicate_charge 2 (catalog max_per_day; national caps still apply)",
                "item_swap 3 (items outside the drug catalogue)",
                "item_swap.account_misuse (personal accounts paying for items outside the catalogue)",
            ],
            Table::Purchases => &["item_swap 1 (inventory mismatch)"],
            Table::DrugTraces => &["trace_code (drug trace codes sold twice, under two drugs, in two regions, missing)"],
            Table::DrugStock => &["trace_code.never_stocked (codes sold but never taken in)"],
            Table::SettlementDiagnoses => {
                &["upcoding.complication_share (secondary diagnoses that raise the group, above peers)"]
            }
        }
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// What a column holds and how text in it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Identifier or code: text, leading zeros kept, surrounding whitespace trimmed.
    Id,
    /// Free text (names).
    Text,
    /// `YYYY-MM-DD HH:MM:SS` and variants.
    Timestamp,
    /// `YYYY-MM-DD` and variants.
    Date,
    /// Exact decimal with the given number of places.
    Decimal(u32),
    /// Whole number.
    Integer,
    Bool,
    /// `HH:MM` time of day.
    TimeOfDay,
    /// `YYYY-MM`.
    Month,
}

/// One column of a contract table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub name: &'static str,
    pub kind: Kind,
    /// The column must be present in every file of the table.
    pub required: bool,
    /// Every row must have a value (implies `required`).
    pub non_null: bool,
}

const fn col(name: &'static str, kind: Kind, required: bool, non_null: bool) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required,
        non_null,
    }
}

const MONEY: Kind = Kind::Decimal(crate::decimal::MONEY_SCALE);
const QTY: Kind = Kind::Decimal(crate::decimal::QTY_SCALE);
const PRICE: Kind = Kind::Decimal(crate::decimal::PRICE_SCALE);

pub const VISITS: &[ColumnSpec] = &[
    col("visit_id", Kind::Id, true, true),
    col("patient_id", Kind::Id, true, true),
    col("provider_id", Kind::Id, true, true),
    col("visit_type", Kind::Id, true, true),
    col("med_type", Kind::Id, false, false),
    col("admit_time", Kind::Timestamp, true, true),
    // Required for inpatient rows only (may be null while the patient is still in hospital).
    col("discharge_time", Kind::Timestamp, true, false),
    col("settle_time", Kind::Timestamp, false, false),
    col("main_diag_code", Kind::Id, false, false),
    col("dept_code", Kind::Id, false, false),
    col("doctor_id", Kind::Id, false, false),
    col("terminal_id", Kind::Id, false, false),
    col("total_amount", MONEY, true, true),
    col("fund_paid", MONEY, false, false),
    col("account_paid", MONEY, false, false),
    col("cash_paid", MONEY, false, false),
    col("is_refund", Kind::Bool, false, false),
    col("insurance_type", Kind::Id, false, false),
];

pub const LINE_ITEMS: &[ColumnSpec] = &[
    col("line_id", Kind::Id, true, true),
    col("visit_id", Kind::Id, true, true),
    col("item_code", Kind::Id, true, true),
    col("item_name", Kind::Text, false, false),
    col("charge_category", Kind::Id, true, true),
    col("charge_time", Kind::Timestamp, true, true),
    col("quantity", QTY, true, true),
    col("unit_price", PRICE, true, true),
    col("amount", MONEY, true, true),
    col("in_scope_amount", MONEY, false, false),
    col("doctor_id", Kind::Id, false, false),
    col("dept_code", Kind::Id, false, false),
    col("days_supply", QTY, false, false),
];

pub const PATIENTS: &[ColumnSpec] = &[
    col("patient_id", Kind::Id, true, true),
    col("sex", Kind::Id, false, false),
    col("birth_date", Kind::Date, false, false),
    col("death_date", Kind::Date, false, false),
    col("region_code", Kind::Id, false, false),
];

pub const PROVIDERS: &[ColumnSpec] = &[
    col("provider_id", Kind::Id, true, true),
    col("provider_name", Kind::Text, false, false),
    col("provider_type", Kind::Id, false, false),
    col("level", Kind::Id, false, false),
    col("region_code", Kind::Id, false, false),
    col("beds", Kind::Integer, false, false),
    col("open_time", Kind::TimeOfDay, false, false),
    col("close_time", Kind::TimeOfDay, false, false),
];

pub const CATALOG: &[ColumnSpec] = &[
    col("item_code", Kind::Id, true, true),
    col("item_name", Kind::Text, false, false),
    col("charge_category", Kind::Id, false, false),
    col("price_cap", PRICE, false, false),
    col("max_per_day", QTY, false, false),
];

pub const PURCHASES: &[ColumnSpec] = &[
    col("provider_id", Kind::Id, true, true),
    col("item_code", Kind::Id, true, true),
    col("month", Kind::Month, true, true),
    col("opening_qty", QTY, false, false),
    col("purchased_qty", QTY, true, true),
];

/// 追溯码 scans at sales and returns (the sale feed, interface 3505): the contract's table.
pub const DRUG_TRACES: &[ColumnSpec] = &[
    col("trace_code", Kind::Id, true, true),
    col("visit_id", Kind::Id, true, true),
    col("item_code", Kind::Id, true, true),
    col("provider_id", Kind::Id, true, true),
    col("patient_id", Kind::Id, false, false),
    col("scan_time", Kind::Timestamp, true, true),
    col("quantity", QTY, true, true),
    col("split_pack", Kind::Bool, false, false),
];

/// The codes a provider took in (the inventory feeds: 3501 stock count, 3502 stock changes, 3503
/// purchases), one row per box. Not in the contract: fundguard's own optional table.
pub const DRUG_STOCK: &[ColumnSpec] = &[
    col("trace_code", Kind::Id, true, true),
    col("item_code", Kind::Id, true, true),
    col("provider_id", Kind::Id, true, true),
    col("stock_time", Kind::Timestamp, false, false),
];

/// The settlement list's diagnoses (SETL_LIST_DIAG_D), one row per diagnosis of a visit: the
/// contract's optional table.
pub const SETTLEMENT_DIAGNOSES: &[ColumnSpec] = &[
    col("visit_id", Kind::Id, true, true),
    col("diag_code", Kind::Id, true, true),
    col("diag_type", Kind::Id, false, false),
    col("is_main", Kind::Bool, false, false),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_required_columns() {
        for t in Table::ALL {
            for k in t.key().iter() {
                let spec = t.columns().iter().find(|c| c.name == *k).unwrap();
                assert!(spec.required && spec.non_null, "{} {k}", t.name());
            }
            assert!(t.columns().iter().all(|c| c.required || !c.non_null));
            assert_eq!(Table::from_name(t.name()), Some(t));
        }
    }
}
