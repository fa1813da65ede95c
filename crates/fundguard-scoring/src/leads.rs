//! Leads (线索): hits rolled up by who to inspect, scored and ranked.
//!
//! A hit about a provider, a patient or a doctor belongs to that subject's lead; a hit about a
//! visit belongs to the lead of the visit's patient (the inspector pulls that person's records),
//! or of its provider when the patient is unknown. The score (docs/scoring.md):
//!
//! ```text
//! evidence = 1 − Π_r (1 − s_r)        s_r = highest severity among the lead's hits of rule r
//! breadth  = 1 + 0.25 · (families − 1)
//! strength = 1 + 0.1 · min(10, −log10 p_min)   p_min = smallest tail probability of its outlier hits (1 if none)
//! money    = 1 + log10(1 + amount / 1000 yuan)
//! score    = evidence · breadth · strength · money
//! ```
//!
//! A hit whose evidence is one doctor's (`doctor_id`: every line billed by him, or the visit he
//! led) by a rule that earns payment-qualification points (`[leads.doctor_points]`) also belongs
//! to that doctor's lead, which states the points the month's evidence would earn (医保支付资格
//! 记分, 医保发〔2024〕23号: one event per rule, 12 in a calendar year end the doctor's eligibility).
//!
//! The amount counts each line once: a hit's amount is spread evenly over its lines, each line
//! keeps the largest share any hit of the lead gives it. Hits without lines (a provider's excess
//! cost per day, drug cost per day or category share, stock shortfalls, group admissions) are
//! estimates over a subject's whole billing: the hits of one rule about one subject are separate
//! findings and add up, but different rules of one family about one subject measure the same
//! excess in different ways, so only the largest of them counts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use fundguard_model::{Fen, HitRow, Language};

/// `[leads]` in the configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LeadsConfig {
    /// A lead whose amount at risk reaches this many yuan is marked for referral (移送).
    pub referral_yuan: u64,
    /// Case dossiers are written for this many top leads.
    pub dossiers: usize,
    /// Leads in the report's table (searchable, filterable, each with its page); 0 for all.
    pub report_top: usize,
    /// Leads whose page in the report draws a picture of the evidence (the first this many; each
    /// picture is a few kilobytes of the page).
    pub report_pictures: usize,
    /// Points (1-12) a doctor earns per rule whose evidence is his (bands 1-3, 4-6, 7-9, 10-12 of
    /// 医保发〔2024〕23号). The shipped table is a default to adapt to the province's: a
    /// `[leads.doctor_points]` table replaces it whole. Rules not in it make no doctor leads.
    pub doctor_points: BTreeMap<String, u32>,
    /// A provider's lead also holds the hits about its patients, their visits and its doctors
    /// once they concern at least this many distinct people (patients and doctors): evidence on
    /// one person is that person's lead, evidence on several is the institution's too.
    pub provider_min_people: usize,
}

/// Points per rule shipped as the default (docs/scoring.md gives the reasons): 10 for services
/// that never happened (虚构医药服务), 7 for bed-hanging and split admissions (挂床、分解住院), 4 for
/// duplicate and over-standard charges, restricted items and excessive supply (重复收费、超标准收费、
/// 超限定、超量开药), 4 for a doctor's template prescribing (过度诊疗).
pub const DEFAULT_DOCTOR_POINTS: &[(&str, u32)] = &[
    ("bed_hanging.elsewhere", 7),
    ("bed_hanging.hollow_days", 7),
    ("bed_hanging.overlap", 7),
    ("duplicate_charge.daily_cap", 4),
    ("duplicate_charge.exact", 4),
    ("duplicate_charge.included_item", 4),
    ("duplicate_charge.period_cap", 4),
    ("duplicate_charge.resubmitted", 4),
    ("excessive_supply.days_supply", 4),
    ("over_standard_price.above_cap", 4),
    ("peer_outlier.doctor_items", 4),
    ("phantom_service.after_discharge", 10),
    ("phantom_service.doctor_volume", 10),
    ("restricted_item.course", 4),
    ("restricted_item.insurance_type", 4),
    ("restricted_item.level", 4),
    ("restricted_item.secondary_operation", 4),
    ("restricted_item.visit_type", 4),
    ("split_admission.readmission", 7),
];

/// Points in a calendar year that end a doctor's eligibility to be paid by the fund.
pub const POINTS_LIMIT: u32 = 12;

/// The band of a point value: `1-3`, `4-6`, `7-9` or `10-12`.
pub fn points_band(points: u32) -> &'static str {
    match points {
        0..=3 => "1-3",
        4..=6 => "4-6",
        7..=9 => "7-9",
        _ => "10-12",
    }
}

impl LeadsConfig {
    /// Checks the points table against the rules the run knows.
    pub fn check(&self, rules: &[&str]) -> Result<(), String> {
        for (rule, p) in &self.doctor_points {
            if !rules.contains(&rule.as_str()) {
                return Err(format!("leads.doctor_points: no rule `{rule}`"));
            }
            if !(1..=POINTS_LIMIT).contains(p) {
                return Err(format!(
                    "leads.doctor_points.\"{rule}\": {p} is outside 1-{POINTS_LIMIT}"
                ));
            }
        }
        if self.provider_min_people == 0 {
            return Err("leads.provider_min_people: must be at least 1".into());
        }
        Ok(())
    }
}

impl Default for LeadsConfig {
    fn default() -> Self {
        LeadsConfig {
            referral_yuan: 5_000,
            dossiers: 20,
            report_top: 0,
            report_pictures: 1_000,
            doctor_points: DEFAULT_DOCTOR_POINTS
                .iter()
                .map(|(r, p)| (r.to_string(), *p))
                .collect(),
            provider_min_people: 2,
        }
    }
}

/// One ranked lead.
#[derive(Debug, Clone, Serialize)]
pub struct Lead {
    pub rank: u32,
    pub lead_id: String,
    pub subject_type: String,
    pub subject_id: String,
    /// The institution involved (for patient and doctor leads, the one most of its hits name).
    pub provider_id: Option<String>,
    pub score: f64,
    pub amount_fen: i64,
    pub hit_count: usize,
    pub families: Vec<String>,
    pub rule_ids: Vec<String>,
    pub headline: String,
    /// The headline in Chinese and in English (the report offers both).
    #[serde(skip)]
    pub headlines: [String; 2],
    /// The amount reaches the referral threshold.
    pub referral: bool,
    /// Against a baseline run: `new`, `recurring` or `escalated`.
    pub status: Option<String>,
    /// Doctor leads: the payment-qualification points this period's evidence would earn.
    pub points: Option<u32>,
    /// Doctor leads: the points of the calendar year so far (this period's plus a baseline run's
    /// of the same year), when a baseline is given.
    pub points_ytd: Option<u32>,
    /// Doctor leads: the calendar year the points count in (the year the dump's period ends).
    pub points_year: Option<i32>,
    /// Doctor leads: the points of each of its rules that earns any.
    #[serde(skip)]
    pub points_by_rule: Vec<(String, u32)>,
    /// Indices of its hits in the rows it was built from, by severity.
    #[serde(skip)]
    pub hits: Vec<usize>,
}

/// Who a hit's lead is about.
pub fn lead_subject(h: &HitRow) -> (&str, &str) {
    match (h.subject_type.as_str(), &h.patient_id, &h.provider_id) {
        ("visit", Some(p), _) => ("patient", p.as_str()),
        ("visit", None, Some(p)) => ("provider", p.as_str()),
        (t, _, _) => (t, h.subject_id.as_str()),
    }
}

/// The provider whose lead a hit about one of its patients, their visits or its doctors is
/// rolled up into (when the provider's evidence concerns enough people: `provider_min_people`).
pub fn rolled_provider(h: &HitRow) -> Option<&str> {
    match lead_subject(h) {
        ("provider", _) => None,
        _ => h.provider_id.as_deref(),
    }
}

/// The weight of a rule's evidence rolled up from `people` distinct people: `1 − 0.5^people`
/// (one person's evidence counts half at his provider, each further person halves the doubt).
pub fn rolled_weight(people: usize) -> f64 {
    1.0 - 0.5f64.powi(people.min(60) as i32)
}

/// The doctor whose lead a hit also belongs to: its doctor, when its rule earns points.
pub fn doctor_of<'a>(h: &'a HitRow, cfg: &LeadsConfig) -> Option<&'a str> {
    h.doctor_id
        .as_deref()
        .filter(|_| cfg.doctor_points.contains_key(&h.rule_id))
}

/// Stable id of a subject's lead: the same data gives the same id in every run.
pub fn lead_id(subject_type: &str, subject_id: &str) -> String {
    let d = Sha256::digest(format!("{subject_type}\u{1f}{subject_id}").as_bytes());
    let hex: String = d.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("L{hex}")
}

/// Names of rules for headlines: built-in names, custom rules' names or ids.
#[derive(Debug, Clone, Default)]
pub struct RuleNames {
    names: BTreeMap<String, (String, String)>,
}

impl RuleNames {
    /// Names from `(rule id, 中文名, English name)`: the engine's catalogue and the custom rules.
    pub fn new<'a>(names: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> Self {
        RuleNames {
            names: names
                .into_iter()
                .map(|(id, zh, en)| (id.to_string(), (zh.to_string(), en.to_string())))
                .collect(),
        }
    }

    pub fn get(&self, id: &str, lang: Language) -> String {
        match (self.names.get(id), lang) {
            (Some((zh, _)), Language::Zh) => zh.clone(),
            (Some((_, en)), Language::En) => en.clone(),
            (None, _) => id.to_string(),
        }
    }
}

fn subject_word(t: &str, lang: Language) -> &'static str {
    match (t, lang) {
        ("provider", Language::Zh) => "定点机构",
        ("patient", Language::Zh) => "参保人",
        ("doctor", Language::Zh) => "医师",
        (_, Language::Zh) => "对象",
        ("provider", Language::En) => "Provider",
        ("patient", Language::En) => "Insured person",
        ("doctor", Language::En) => "Doctor",
        (_, Language::En) => "Subject",
    }
}

/// Rolls `rows` up into ranked leads.
pub fn build(rows: &[HitRow], cfg: &LeadsConfig, names: &RuleNames, lang: Language) -> Vec<Lead> {
    build_with(rows, cfg, names, lang, |_, _| false)
}

/// [`build`], leaving a hit out of the other leads it belongs to (its doctor's, its provider's)
/// when `excluded(hit, lead_id)` says so: a whitelisted doctor or provider is not reported from
/// the evidence it shares with its patients.
pub fn build_with(
    rows: &[HitRow],
    cfg: &LeadsConfig,
    names: &RuleNames,
    lang: Language,
    excluded: impl Fn(&HitRow, &str) -> bool,
) -> Vec<Lead> {
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, h) in rows.iter().enumerate() {
        let (t, id) = lead_subject(h);
        groups
            .entry((t.to_string(), id.to_string()))
            .or_default()
            .push(i);
        if let Some(d) = doctor_of(h, cfg).filter(|d| !excluded(h, &lead_id("doctor", d))) {
            if t != "doctor" {
                groups
                    .entry(("doctor".to_string(), d.to_string()))
                    .or_default()
                    .push(i);
            }
        }
    }
    // Provider leads roll up the evidence on their patients and doctors.
    let mut rolled: BTreeMap<&str, (Vec<usize>, std::collections::BTreeSet<(&str, &str)>)> =
        BTreeMap::new();
    for (i, h) in rows.iter().enumerate() {
        if let Some(p) = rolled_provider(h).filter(|p| !excluded(h, &lead_id("provider", p))) {
            let e = rolled.entry(p).or_default();
            e.0.push(i);
            e.1.insert(lead_subject(h));
        }
    }
    for (p, (hits, people)) in rolled {
        if people.len() >= cfg.provider_min_people {
            groups
                .entry(("provider".to_string(), p.to_string()))
                .or_default()
                .extend(hits);
        }
    }
    let mut leads: Vec<Lead> = groups
        .into_iter()
        .map(|((t, id), mut hits)| {
            hits.sort_by(|&a, &b| {
                rows[b]
                    .severity
                    .total_cmp(&rows[a].severity)
                    .then(rows[b].amount_fen.cmp(&rows[a].amount_fen))
                    .then(a.cmp(&b))
            });
            lead(rows, t, id, hits, cfg, names, lang)
        })
        .collect();
    leads.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.amount_fen.cmp(&a.amount_fen))
            .then(a.lead_id.cmp(&b.lead_id))
    });
    for (i, l) in leads.iter_mut().enumerate() {
        l.rank = i as u32 + 1;
    }
    leads
}

/// The money of a set of hits, each line counted once (see the module docs).
pub fn amount_once(rows: &[HitRow], hits: &[usize]) -> i64 {
    let mut per_line: BTreeMap<&str, i64> = BTreeMap::new();
    // (subject, family) -> rule -> money of its hits without lines.
    let mut without: BTreeMap<(&str, &str, &str), BTreeMap<&str, Fen>> = BTreeMap::new();
    for &i in hits {
        let h = &rows[i];
        let n = h.line_ids.len() as i64;
        if n == 0 {
            let key = (
                h.subject_type.as_str(),
                h.subject_id.as_str(),
                h.family.as_str(),
            );
            *without
                .entry(key)
                .or_default()
                .entry(h.rule_id.as_str())
                .or_default() += Fen(h.amount_fen);
            continue;
        }
        for (k, l) in h.line_ids.iter().enumerate() {
            // Even shares that add up to the hit's amount exactly.
            let share = h.amount_fen / n + i64::from((k as i64) < h.amount_fen % n);
            let e = per_line.entry(l.as_str()).or_insert(share);
            *e = (*e).max(share);
        }
    }
    let without: Fen = without
        .values()
        .map(|rules| rules.values().copied().max().unwrap_or(Fen::ZERO))
        .sum();
    // Checked: an overflow panics with the operands instead of wrapping.
    (without + per_line.values().map(|&v| Fen(v)).sum::<Fen>()).0
}

/// The score of a lead from its parts (see the module docs).
pub fn score(
    severities: &BTreeMap<&str, f64>,
    families: usize,
    p_min: f64,
    amount_fen: i64,
) -> f64 {
    let evidence = 1.0
        - severities
            .values()
            .map(|s| 1.0 - s.clamp(0.0, 1.0))
            .product::<f64>();
    let breadth = 1.0 + 0.25 * (families.max(1) - 1) as f64;
    let strength = 1.0 + 0.1 * (-p_min.max(1e-300).log10()).clamp(0.0, 10.0);
    let money = 1.0 + (1.0 + amount_fen.max(0) as f64 / 100_000.0).log10();
    // Rounded so that the ranking never depends on the last bits of a float sum.
    (evidence * breadth * strength * money * 1e9).round() / 1e9
}

fn lead(
    rows: &[HitRow],
    subject_type: String,
    subject_id: String,
    hits: Vec<usize>,
    cfg: &LeadsConfig,
    names: &RuleNames,
    lang: Language,
) -> Lead {
    let mut severities: BTreeMap<&str, f64> = BTreeMap::new();
    let mut families: Vec<String> = Vec::new();
    let mut p_min = 1.0f64;
    let mut providers: BTreeMap<&str, usize> = BTreeMap::new();
    // Rolled-up evidence (a provider's lead holding hits about its patients and doctors): per
    // rule, the highest severity and the people it concerns.
    let mut rolled: BTreeMap<&str, (f64, std::collections::BTreeSet<(&str, &str)>)> =
        BTreeMap::new();
    for &i in &hits {
        let h = &rows[i];
        let own = lead_subject(h);
        if subject_type == "provider" && own != ("provider", subject_id.as_str()) {
            let e = rolled.entry(h.rule_id.as_str()).or_default();
            e.0 = e.0.max(h.severity);
            e.1.insert(own);
        } else {
            let s = severities.entry(h.rule_id.as_str()).or_insert(0.0);
            *s = s.max(h.severity);
        }
        if !families.contains(&h.family) {
            families.push(h.family.clone());
        }
        if let Some(p) = h.p {
            p_min = p_min.min(p);
        }
        if let Some(p) = &h.provider_id {
            *providers.entry(p.as_str()).or_default() += 1;
        }
    }
    let mut people: std::collections::BTreeSet<(&str, &str)> = Default::default();
    for (rule, (severity, who)) in &rolled {
        let s = severities.entry(rule).or_insert(0.0);
        *s = s.max(severity * rolled_weight(who.len()));
        people.extend(who.iter().copied());
    }
    families.sort();
    let amount = amount_once(rows, &hits);
    let provider_id = if subject_type == "provider" {
        Some(subject_id.clone())
    } else {
        providers
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(p, _)| (*p).to_string())
    };
    // Rules in the order of their strongest hit.
    let mut rule_ids: Vec<String> = Vec::new();
    for &i in &hits {
        if !rule_ids.contains(&rows[i].rule_id) {
            rule_ids.push(rows[i].rule_id.clone());
        }
    }
    let referral = amount >= cfg.referral_yuan as i64 * 100;
    // One event per rule (the same conduct found again in a month is the same event).
    let points_by_rule: Vec<(String, u32)> = if subject_type == "doctor" {
        rule_ids
            .iter()
            .filter_map(|r| cfg.doctor_points.get(r).map(|p| (r.clone(), *p)))
            .collect()
    } else {
        Vec::new()
    };
    let points = (subject_type == "doctor").then(|| points_by_rule.iter().map(|p| p.1).sum());
    let headlines = [Language::Zh, Language::En].map(|l| {
        headline(
            &subject_type,
            &subject_id,
            &rule_ids,
            &Stated {
                amount,
                referral,
                points,
                people: people.len(),
            },
            names,
            l,
        )
    });
    let headline = headlines[usize::from(lang == Language::En)].clone();
    let score = score(&severities, families.len(), p_min, amount);
    let mut sorted_rules = rule_ids.clone();
    sorted_rules.sort();
    Lead {
        rank: 0,
        lead_id: lead_id(&subject_type, &subject_id),
        subject_type,
        subject_id,
        provider_id,
        score,
        amount_fen: amount,
        hit_count: hits.len(),
        families,
        rule_ids: sorted_rules,
        headline,
        headlines,
        referral,
        status: None,
        points,
        points_ytd: None,
        points_by_rule,
        points_year: None,
        hits,
    }
}

/// What a headline states besides who and which rules: money, referral, a doctor's points.
struct Stated {
    amount: i64,
    referral: bool,
    points: Option<u32>,
    /// The people (patients, doctors) whose evidence a provider's lead rolls up.
    people: usize,
}

fn headline(
    subject_type: &str,
    subject_id: &str,
    rule_ids: &[String],
    stated: &Stated,
    names: &RuleNames,
    lang: Language,
) -> String {
    let Stated {
        amount,
        referral,
        points,
        people,
    } = *stated;
    let people = |zh: bool| match people {
        0 => String::new(),
        n if zh => format!("（涉及 {n} 人）"),
        n => format!(" (evidence on {n} people)"),
    };
    let money = fundguard_model::yuan(amount).to_string();
    let points = |zh: bool| match points {
        None | Some(0) => String::new(),
        Some(p) if zh => format!(
            "，医保支付资格记分 {p} 分{}",
            if p >= POINTS_LIMIT {
                "（达到 12 分，终止医保支付资格）"
            } else {
                ""
            }
        ),
        Some(p) => format!(
            "; {p} payment-qualification points{}",
            if p >= POINTS_LIMIT {
                " (12 reached: eligibility ends)"
            } else {
                ""
            }
        ),
    };
    let shown: Vec<String> = rule_ids
        .iter()
        .take(3)
        .map(|r| names.get(r, lang))
        .collect();
    let who = subject_word(subject_type, lang);
    match lang {
        Language::Zh => {
            let more = if rule_ids.len() > 3 {
                format!("等 {} 项", rule_ids.len())
            } else {
                String::new()
            };
            format!(
                "{who} {subject_id} 涉嫌{}{more}{}，涉及金额 {money} 元{}{}",
                shown.join("、"),
                people(true),
                points(true),
                if referral {
                    "，达到移送标准"
                } else {
                    ""
                }
            )
        }
        Language::En => {
            let more = if rule_ids.len() > 3 {
                format!(" and {} more", rule_ids.len() - 3)
            } else {
                String::new()
            };
            format!(
                "{who} {subject_id}: {}{more}{}; {money} yuan at risk{}{}",
                shown.join(", "),
                people(false),
                points(false),
                if referral {
                    " (referral threshold reached)"
                } else {
                    ""
                }
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(
        rule: &str,
        family: &str,
        subject: (&str, &str),
        lines: &[&str],
        fen: i64,
        sev: f64,
    ) -> HitRow {
        HitRow {
            rule_id: rule.into(),
            family: family.into(),
            subject_type: subject.0.into(),
            subject_id: subject.1.into(),
            provider_id: Some("H1".into()),
            patient_id: Some("P1".into()),
            visit_id: None,
            line_ids: lines.iter().map(|l| (*l).to_string()).collect(),
            amount_fen: fen,
            severity: sev,
            evidence: String::new(),
            doctor_id: None,
            p: None,
        }
    }

    #[test]
    fn a_doctors_hits_by_point_earning_rules_make_his_lead_with_its_points() {
        let mut rows = vec![
            hit(
                "duplicate_charge.exact",
                "duplicate_charge",
                ("visit", "V1"),
                &["L1"],
                500,
                0.8,
            ),
            hit(
                "bed_hanging.hollow_days",
                "bed_hanging",
                ("visit", "V2"),
                &["L2"],
                900,
                0.7,
            ),
            hit(
                "duplicate_charge.daily_cap",
                "duplicate_charge",
                ("visit", "V3"),
                &["L3"],
                100,
                0.6,
            ),
            // Card pooling earns no points: its hits stay out of the doctor's lead.
            hit(
                "card_pooling.burst",
                "card_pooling",
                ("provider", "H1"),
                &["L4"],
                300,
                0.7,
            ),
        ];
        for r in &mut rows {
            r.doctor_id = Some("D1".into());
        }
        let leads = build(
            &rows,
            &LeadsConfig::default(),
            &RuleNames::default(),
            Language::Zh,
        );
        let d = leads
            .iter()
            .find(|l| l.subject_type == "doctor")
            .expect("a doctor lead");
        assert_eq!(d.subject_id, "D1");
        assert_eq!(d.hit_count, 3);
        // 4 + 7 + 4: one event per rule.
        assert_eq!(d.points, Some(15));
        assert!(
            d.headline.contains("医保支付资格记分 15 分（达到 12 分"),
            "{}",
            d.headline
        );
        assert_eq!(d.amount_fen, 1_500);
        // The hits stay in their own subjects' leads too.
        assert!(leads
            .iter()
            .any(|l| l.subject_type == "patient" && l.hit_count == 3));
        assert!(leads
            .iter()
            .filter(|l| l.subject_type != "doctor")
            .all(|l| l.points.is_none()));

        // A province's table replaces the shipped one whole.
        let cfg = LeadsConfig {
            doctor_points: [("bed_hanging.hollow_days".to_string(), 9)].into(),
            ..LeadsConfig::default()
        };
        let leads = build(&rows, &cfg, &RuleNames::default(), Language::Zh);
        let d = leads.iter().find(|l| l.subject_type == "doctor").unwrap();
        assert_eq!((d.points, d.hit_count), (Some(9), 1));
        assert!(cfg.check(&["bed_hanging.hollow_days"]).is_ok());
        assert!(cfg
            .check(&["x.y"])
            .unwrap_err()
            .contains("no rule `bed_hanging.hollow_days`"));
        let bad = LeadsConfig {
            doctor_points: [("bed_hanging.hollow_days".to_string(), 13)].into(),
            ..LeadsConfig::default()
        };
        assert!(bad
            .check(&["bed_hanging.hollow_days"])
            .unwrap_err()
            .contains("outside 1-12"));
    }

    #[test]
    fn a_providers_lead_rolls_up_evidence_on_several_of_its_people() {
        let patient = |id: &str, rule: &str, line: &str, fen: i64| {
            let mut h = hit(rule, "bed_hanging", ("patient", id), &[line], fen, 0.8);
            h.patient_id = Some(id.into());
            h
        };
        // One patient's evidence at H1 is his lead only.
        let one = vec![patient("P1", "bed_hanging.overlap", "L1", 10_000)];
        let cfg = LeadsConfig::default();
        let leads = build(&one, &cfg, &RuleNames::default(), Language::En);
        assert_eq!(leads.len(), 1);
        assert_eq!(leads[0].subject_type, "patient");
        // Three patients' evidence at H1 is H1's too: their money (each line once), the rule's
        // severity weighted by the three people (0.8 · (1 − 0.5³)), and the headline says so.
        let mut three = one.clone();
        three.push(patient("P2", "bed_hanging.overlap", "L2", 20_000));
        three.push(patient("P3", "bed_hanging.overlap", "L3", 30_000));
        let leads = build(&three, &cfg, &RuleNames::default(), Language::En);
        let h1 = leads
            .iter()
            .find(|l| l.subject_type == "provider")
            .expect("a provider lead");
        assert_eq!((h1.subject_id.as_str(), h1.hit_count), ("H1", 3));
        assert_eq!(h1.amount_fen, 60_000);
        let want = score(
            &[("bed_hanging.overlap", 0.8 * 0.875)].into(),
            1,
            1.0,
            60_000,
        );
        assert_eq!(h1.score, want);
        assert!(
            h1.headline.contains("(evidence on 3 people)"),
            "{}",
            h1.headline
        );
        // Its own evidence keeps its full severity beside the rolled-up one.
        let mut own = three.clone();
        own.push(hit(
            "peer_outlier.length_of_stay",
            "peer_outlier",
            ("provider", "H1"),
            &[],
            5_000,
            0.5,
        ));
        let leads = build(&own, &cfg, &RuleNames::default(), Language::Zh);
        let h1 = leads.iter().find(|l| l.subject_type == "provider").unwrap();
        assert_eq!(h1.amount_fen, 65_000);
        assert!(h1.headline.contains("（涉及 3 人）"), "{}", h1.headline);
        // A whitelisted provider is not reported from its patients' evidence; they still are.
        let h1 = lead_id("provider", "H1");
        let leads = build_with(&three, &cfg, &RuleNames::default(), Language::En, |_, l| {
            l == h1
        });
        assert_eq!(leads.len(), 3);
        assert!(leads.iter().all(|l| l.subject_type == "patient"));
        // A threshold above the people found leaves the provider without a lead.
        let strict = LeadsConfig {
            provider_min_people: 4,
            ..LeadsConfig::default()
        };
        let leads = build(&three, &strict, &RuleNames::default(), Language::En);
        assert!(leads.iter().all(|l| l.subject_type != "provider"));
        assert!(LeadsConfig {
            provider_min_people: 0,
            ..LeadsConfig::default()
        }
        .check(&[])
        .is_err());
    }

    #[test]
    fn exposure_ranks_a_large_provider_above_a_small_one_with_the_same_evidence() {
        let mut big = hit(
            "peer_outlier.cost_per_day",
            "peer_outlier",
            ("provider", "BIG"),
            &[],
            50_000_000,
            0.6,
        );
        big.provider_id = Some("BIG".into());
        let mut small = big.clone();
        small.subject_id = "SMALL".into();
        small.provider_id = Some("SMALL".into());
        small.amount_fen = 500_000;
        let leads = build(
            &[small, big],
            &LeadsConfig::default(),
            &RuleNames::default(),
            Language::En,
        );
        assert_eq!(leads[0].subject_id, "BIG");
        assert!(leads[0].score > leads[1].score);
    }

    #[test]
    fn overlapping_estimates_without_lines_count_once_per_family() {
        let provider = ("provider", "H1");
        let rows = vec![
            hit(
                "peer_outlier.cost_per_day",
                "peer_outlier",
                provider,
                &[],
                100_000,
                0.6,
            ),
            hit(
                "peer_outlier.drug_cost_per_day",
                "peer_outlier",
                provider,
                &[],
                80_000,
                0.6,
            ),
            hit(
                "peer_outlier.category_share",
                "peer_outlier",
                provider,
                &[],
                50_000,
                0.5,
            ),
            // Two shortfalls of one rule (two items) are two findings.
            hit(
                "item_swap.inventory",
                "item_swap",
                provider,
                &[],
                7_000,
                0.7,
            ),
            hit(
                "item_swap.inventory",
                "item_swap",
                provider,
                &[],
                3_000,
                0.7,
            ),
            // Another provider's estimate is its own.
            hit(
                "peer_outlier.cost_per_day",
                "peer_outlier",
                ("provider", "H2"),
                &[],
                9_000,
                0.6,
            ),
        ];
        assert_eq!(amount_once(&rows, &[0, 1, 2]), 100_000);
        assert_eq!(amount_once(&rows, &[0, 1, 2, 3, 4]), 110_000);
        assert_eq!(amount_once(&rows, &[0, 1, 2, 3, 4, 5]), 119_000);
    }

    #[test]
    fn a_line_counted_by_two_hits_adds_its_money_once() {
        let rows = vec![
            hit(
                "duplicate_charge.exact",
                "duplicate_charge",
                ("visit", "V1"),
                &["L1", "L2"],
                10_000,
                0.7,
            ),
            hit(
                "duplicate_charge.daily_cap",
                "duplicate_charge",
                ("patient", "P1"),
                &["L2"],
                5_000,
                0.6,
            ),
            hit(
                "bed_hanging.elsewhere",
                "bed_hanging",
                ("visit", "V2"),
                &[],
                3_000,
                0.8,
            ),
        ];
        // L1 5,000 + L2 max(5,000, 5,000) + 3,000 without lines.
        assert_eq!(amount_once(&rows, &[0, 1, 2]), 13_000);
        let leads = build(
            &rows,
            &LeadsConfig::default(),
            &RuleNames::default(),
            Language::Zh,
        );
        assert_eq!(leads.len(), 1, "visit hits roll up to their patient");
        let l = &leads[0];
        assert_eq!(
            (l.subject_type.as_str(), l.subject_id.as_str()),
            ("patient", "P1")
        );
        assert_eq!(l.hit_count, 3);
        assert_eq!(l.families, vec!["bed_hanging", "duplicate_charge"]);
        assert_eq!(l.amount_fen, 13_000);
        assert!(!l.referral);
        assert_eq!(l.lead_id, lead_id("patient", "P1"));
        assert!(l.headline.starts_with("参保人 P1 涉嫌"), "{}", l.headline);
    }

    #[test]
    fn more_rules_families_strength_and_money_score_higher() {
        let one: BTreeMap<&str, f64> = [("a", 0.6)].into();
        let two: BTreeMap<&str, f64> = [("a", 0.6), ("b", 0.6)].into();
        let base = score(&one, 1, 1.0, 100_000);
        assert!(score(&two, 1, 1.0, 100_000) > base);
        assert!(score(&two, 2, 1.0, 100_000) > score(&two, 1, 1.0, 100_000));
        assert!(score(&one, 1, 1e-8, 100_000) > base);
        assert!(score(&one, 1, 1.0, 10_000_000) > base);
        // The worked example of docs/scoring.md.
        let ex: BTreeMap<&str, f64> = [("x", 0.8), ("y", 0.5)].into();
        assert!(
            (score(&ex, 2, 1e-6, 1_200_000) - 3.8051).abs() < 1e-3,
            "{}",
            score(&ex, 2, 1e-6, 1_200_000)
        );
    }

    #[test]
    fn leads_rank_by_score_and_refer_above_the_threshold() {
        let rows = vec![
            hit("a.x", "custom", ("provider", "H1"), &[], 900_000, 0.5),
            hit("a.x", "custom", ("provider", "H2"), &[], 100, 0.5),
        ];
        let leads = build(
            &rows,
            &LeadsConfig::default(),
            &RuleNames::default(),
            Language::En,
        );
        assert_eq!(leads[0].subject_id, "H1");
        assert_eq!(leads[0].rank, 1);
        assert!(leads[0].referral);
        assert!(!leads[1].referral);
        assert!(
            leads[0].headline.contains("referral"),
            "{}",
            leads[0].headline
        );
    }
}
