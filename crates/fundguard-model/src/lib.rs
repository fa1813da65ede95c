//! The shared vocabulary of fundguard: the contract's input tables as data ([`Table`],
//! [`ColumnSpec`]), exact numbers ([`Fen`], [`parse_decimal`]), naive local time ([`Seconds`],
//! [`parse_timestamp`]), dictionary-coded text ([`Dict`]) and the columnar in-memory dump ([`Dump`])
//! that ingest fills and the rules sweep over, and the text records the later stages pass on
//! ([`HitRow`], [`LeadRecord`], [`Case`], [`RuleOutcome`]).
//!
//! Nothing here reads files or knows about the command line.

pub use decimal::{
    cmp_times, div_round, fits_decimal_16, line_amount_fen, parse_decimal, pow10, rescale, yuan,
    DecimalError, Fen, Scaled, DIGITS, MONEY_SCALE, NULL_I64, PRICE_SCALE, QTY_SCALE,
};
pub use dict::{Dict, StrColumn, NONE};
pub use dump::{
    category, opt_code, opt_date, opt_i64, opt_time, Catalog, Dicts, DrugStock, DrugTraces, Dump,
    LineItems, Patients, ProviderType, Providers, Purchases, SettlementDiagnoses, Sex, VisitType,
    Visits,
};
pub use records::{
    sort_hit_rows, Case, Family, HitRow, Language, LeadRecord, Outcome, RuleOutcome,
};
pub use schema::{ColumnSpec, Kind, Table};
pub use text::{decode_bytes, decode_text, Decoded};
pub use time::{
    civil_from_days, date, day_of, days_from_civil, days_in_month, parse_date, parse_hhmm,
    parse_month, parse_timestamp, second_of_day, start_of_day, timestamp, Date, Days, Seconds, Ts,
    NULL_DATE, NULL_TIME, SECONDS_PER_DAY,
};

pub mod decimal;
pub mod dict;
mod dump;
pub mod national;
pub mod records;
pub mod schema;
mod text;
pub mod time;
