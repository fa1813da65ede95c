//! What a run hands on: for analysts `hits.parquet` and `leads.parquet` ([`write_hits`],
//! [`write_leads`]); for inspectors `report.html` (one self-contained page, no network, Chinese
//! with an English switch), case dossiers in the national exposure-case format
//! (`cases/<lead_id>.md`), and `leads.xlsx`.
//!
//! Everything here is built from scoring's types and the text rows of `fundguard_model` (a
//! [`Report`]: the ranked leads, the hits in both languages and the run's account); it depends on
//! neither the rule engine nor polars, reads no input and no clock, so the same run gives the
//! same files.

use std::collections::BTreeMap;

use fundguard_model::{yuan, Fen, HitRow};
use fundguard_scoring::{Lead, RuleNames};

mod docx;
mod dossier;
mod html;
mod parquet;
mod picture;
mod xlsx;

pub use docx::docx;
pub use dossier::{dossier, legal_bases};
pub use html::html;
pub use parquet::{write_batch, write_hits, write_leads, Meta};
pub use picture::{Chain, Event, Lane, Measure, Peers, Picture, Sale, Timeline};
pub use xlsx::{workbook, xlsx, Cell, Sheet};

/// A rule's outcome in the run, for the report's table.
#[derive(Debug, Clone)]
pub struct RuleLine {
    pub rule_id: String,
    pub family: String,
    /// `ran`, `skipped` or `failed`.
    pub status: String,
    pub hits: usize,
    pub amount_fen: i64,
    /// Why it was skipped or failed.
    pub note: String,
}

/// One kind of designated institution in the dump (监督检查情况统计表).
#[derive(Debug, Clone, Default)]
pub struct InstitutionKind {
    /// In the dump (providers table, or seen in visits when there is none).
    pub total: usize,
    /// With a lead or named by a lead.
    pub flagged: usize,
    pub amount_fen: i64,
}

/// What the providers table says of one provider.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ProviderFacts {
    pub name: Option<String>,
    /// `hosp_lv` code.
    pub level: Option<String>,
    pub beds: Option<i64>,
    /// Inpatient admissions and discharges in the dump's period (年出入院人次 for the period).
    pub admissions: usize,
    pub discharges: usize,
}

/// What the dump says of a lead's person (a patient lead's subject), for the dossier: never a
/// name or a raw id.
#[derive(Debug, Clone, Default)]
pub struct PersonFacts {
    /// `男` or `女`.
    pub sex: Option<&'static str>,
    /// Whole years at the end of the period.
    pub age: Option<i32>,
    /// The `insutype` code of most of the person's settlements.
    pub insurance_type: Option<String>,
}

/// The run's baseline: how many leads it had, and this run's leads by status against it.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    pub leads: usize,
    /// `new`, `recurring`, `escalated` -> leads.
    pub counts: BTreeMap<&'static str, usize>,
}

/// Everything a report shows.
pub struct Report<'a> {
    pub run_id: &'a str,
    pub version: &'a str,
    pub input: &'a str,
    pub rows_read: usize,
    pub rows_rejected: usize,
    pub rules: Vec<RuleLine>,
    pub leads: &'a [Lead],
    /// Hits with Chinese evidence, as the leads' `hits` index them.
    pub hits_zh: &'a [HitRow],
    /// The same hits with English evidence.
    pub hits_en: &'a [HitRow],
    /// `hospital`, `clinic`, `pharmacy` or `unknown` per provider id.
    pub provider_types: &'a BTreeMap<String, String>,
    /// What the providers table says of each provider (for the dossiers).
    pub providers: &'a BTreeMap<String, ProviderFacts>,
    /// The bureau's province and city (`[report]`), empty when not configured.
    pub place: (&'a str, &'a str),
    /// The period the dump covers, `2026-03-01 至 2026-03-31`.
    pub period: &'a str,
    /// Family -> the legal bases its dossiers cite, where the configuration replaces the shipped
    /// ones ([`legal_bases`]).
    pub legal_bases: &'a BTreeMap<String, Vec<String>>,
    /// A patient lead's person, by the lead's subject id.
    pub people: &'a BTreeMap<String, PersonFacts>,
    /// Pictures of the leads' evidence, by lead id.
    pub pictures: &'a BTreeMap<String, Picture>,
    /// Pictures are drawn for this many top leads.
    pub pictures_for: usize,
    pub baseline: Option<&'a Baseline>,
    pub feedback: Option<&'a fundguard_scoring::feedback::FeedbackAccount>,
    pub names: &'a RuleNames,
    /// Leads in the report's table, 0 for all.
    pub top: usize,
    /// Leads with a dossier.
    pub dossiers: usize,
    pub referral_yuan: u64,
}

impl Report<'_> {
    /// Money at risk per family, each line counted once within a family.
    pub fn by_family(&self) -> Vec<(String, i64)> {
        let mut idx: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, h) in self.hits_zh.iter().enumerate() {
            idx.entry(h.family.as_str()).or_default().push(i);
        }
        let mut out: Vec<(String, i64)> = idx
            .into_iter()
            .map(|(f, hits)| {
                (
                    f.to_string(),
                    fundguard_scoring::amount_once(self.hits_zh, &hits),
                )
            })
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// Institutions by kind: how many, how many flagged, and the money of their leads.
    pub fn institutions(&self) -> BTreeMap<String, InstitutionKind> {
        let mut out: BTreeMap<String, InstitutionKind> = BTreeMap::new();
        for t in self.provider_types.values() {
            out.entry(t.clone()).or_default().total += 1;
        }
        // Institutions named by a lead (a doctor's lead repeats hits of his institution's and his
        // patients' leads, a provider's lead rolls up its patients': neither adds one); the money
        // is that of the hits at each, each line once.
        let mut named: std::collections::BTreeSet<&str> = Default::default();
        for l in self.leads.iter().filter(|l| l.subject_type != "doctor") {
            if let Some(p) = &l.provider_id {
                named.insert(p.as_str());
            }
        }
        let mut at: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, h) in self.hits_zh.iter().enumerate() {
            if let Some(p) = h.provider_id.as_deref().filter(|p| named.contains(p)) {
                at.entry(p).or_default().push(i);
            }
        }
        for p in named {
            let amount = at.get(p).map_or(Fen::ZERO, |hits| {
                Fen(fundguard_scoring::amount_once(self.hits_zh, hits))
            });
            let t = self
                .provider_types
                .get(p)
                .cloned()
                .unwrap_or_else(|| "unknown".into());
            let e = out.entry(t).or_default();
            e.flagged += 1;
            e.amount_fen = (Fen(e.amount_fen) + amount).0;
        }
        out
    }

    /// Total money at risk over all hits, each line once.
    pub fn total_fen(&self) -> i64 {
        fundguard_scoring::amount_once(self.hits_zh, &(0..self.hits_zh.len()).collect::<Vec<_>>())
    }
}

/// `12,345.67` from fen.
pub fn money(fen: i64) -> String {
    let s = yuan(fen).to_string();
    let (int, frac) = s.split_once('.').unwrap_or((&s, "00"));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac}")
}

/// The family's Chinese name, or the value itself.
pub fn family_zh(f: &str) -> &str {
    fundguard_model::Family::parse(f).map_or(f, |f| f.name_zh())
}

/// Chinese name of an institution kind.
pub fn kind_zh(t: &str) -> &str {
    match t {
        "hospital" => "医院",
        "clinic" => "基层医疗机构/诊所",
        "pharmacy" => "定点零售药店",
        _ => "其他/未知",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(123_456_789), "1,234,567.89");
        assert_eq!(money(-5), "-0.05");
        assert_eq!(money(100_000), "1,000.00");
    }
}
