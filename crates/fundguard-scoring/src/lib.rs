//! From hits to leads (线索): hits rolled up by who to inspect, scored, ranked and priced with each
//! line's money counted once ([`leads`]); inspectors' verdicts and month-to-month comparison
//! ([`feedback`]); and detection quality against a generated dump's labels ([`eval`]).
//!
//! Everything here works on the text rows of `fundguard_model` ([`HitRow`], [`LeadRecord`],
//! [`Case`]): it needs neither the rule engine nor polars, and it opens no file (ingest reads
//! feedback, labels and earlier runs; the report crate writes).
//!
//! [`HitRow`]: fundguard_model::HitRow
//! [`LeadRecord`]: fundguard_model::LeadRecord
//! [`Case`]: fundguard_model::Case

pub mod eval;
pub mod feedback;
pub mod leads;

pub use feedback::{Feedback, FeedbackAccount};
pub use leads::{amount_once, Lead, LeadsConfig, RuleNames};
