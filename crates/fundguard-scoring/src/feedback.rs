//! Inspectors' verdicts on earlier leads (`--feedback FILE`), and month-to-month comparison
//! (`--baseline RUNDIR`).
//!
//! The feedback file is CSV (UTF-8 or GB18030, as Excel saves it) with the header
//! `lead_id,subject_type,subject_id,rule_id,verdict,note`: a row names a lead (`lead_id`) or a
//! subject (`subject_type` + `subject_id`), optionally one rule, and a verdict: `confirmed`,
//! `false_positive` or `whitelist`. Whitelisted subjects (or subject + rule, or a rule alone, for
//! every subject) are left out of the leads of later runs; confirmed and false-positive verdicts
//! give the precision of past leads and mark this run's leads already judged.

use std::collections::{BTreeMap, BTreeSet};

use fundguard_model::{HitRow, LeadRecord};
use serde::Serialize;

use crate::leads::{lead_id, lead_subject, Lead};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Confirmed,
    FalsePositive,
    Whitelist,
}

/// One row of the feedback file.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The lead it is about: its `lead_id`, or computed from the subject.
    pub lead_id: Option<String>,
    pub rule_id: Option<String>,
    pub verdict: Verdict,
    pub note: String,
}

#[derive(Debug, Clone, Default)]
pub struct Feedback {
    pub entries: Vec<Entry>,
}

/// What the feedback did in this run (in the manifest and the report).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FeedbackAccount {
    pub rows: usize,
    pub confirmed: usize,
    pub false_positive: usize,
    pub whitelist: usize,
    /// confirmed / (confirmed + false_positive) of the past verdicts.
    pub past_precision: Option<f64>,
    pub suppressed_hits: usize,
    /// Leads that would have been reported but every hit of which was whitelisted.
    pub suppressed_leads: usize,
    /// This run's leads that inspectors already confirmed, or judged false positives.
    pub leads_confirmed_before: usize,
    pub leads_false_positive_before: usize,
}

impl Feedback {
    /// Parses the text of a feedback file (`source` names it in messages); every problem names
    /// the line and column.
    pub fn parse(text: &str, source: &str) -> Result<Feedback, String> {
        let fail = |m: String| format!("{source}: {m}");
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| fail(e.to_string()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let verdict_col = col("verdict").ok_or_else(|| {
            fail(format!(
                "line 1: no `verdict` column (header: {}; expected lead_id,subject_type,subject_id,rule_id,verdict,note)",
                headers.join(",")
            ))
        })?;
        let mut entries = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| fail(e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line());
            let get = |name: &str| {
                col(name)
                    .and_then(|i| record.get(i))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            };
            let verdict = match record.get(verdict_col).map(str::trim) {
                Some("confirmed") => Verdict::Confirmed,
                Some("false_positive") => Verdict::FalsePositive,
                Some("whitelist") => Verdict::Whitelist,
                v => {
                    return Err(fail(format!(
                        "line {line} column verdict: `{}` is none of confirmed, false_positive, whitelist",
                        v.unwrap_or("")
                    )))
                }
            };
            let subject = match (get("subject_type"), get("subject_id")) {
                (Some(t), Some(id)) => {
                    if !["provider", "patient", "doctor"].contains(&t.as_str()) {
                        return Err(fail(format!(
                            "line {line} column subject_type: `{t}` is none of provider, patient, doctor"
                        )));
                    }
                    Some(lead_id(&t, &id))
                }
                (None, None) => None,
                _ => {
                    return Err(fail(format!(
                        "line {line}: subject_type and subject_id go together"
                    )))
                }
            };
            let lead = get("lead_id").or(subject);
            let rule_id = get("rule_id");
            if lead.is_none() && (rule_id.is_none() || verdict != Verdict::Whitelist) {
                return Err(fail(format!(
                    "line {line}: name a lead (lead_id) or a subject (subject_type, subject_id); only a whitelist may name a rule alone"
                )));
            }
            entries.push(Entry {
                lead_id: lead,
                rule_id,
                verdict,
                note: get("note").unwrap_or_default(),
            });
        }
        Ok(Feedback { entries })
    }

    /// Is this hit whitelisted (in its own subject's lead)?
    pub fn suppresses(&self, h: &HitRow) -> bool {
        let (t, id) = lead_subject(h);
        self.suppresses_in(h, &lead_id(t, id))
    }

    /// Is this hit whitelisted in the lead `lead`: its own subject's, or a lead it also belongs
    /// to (its doctor's, its provider's rolling up its people's evidence)?
    pub fn suppresses_in(&self, h: &HitRow, lead: &str) -> bool {
        self.entries.iter().any(|e| {
            e.verdict == Verdict::Whitelist
                && e.lead_id.as_ref().is_none_or(|l| *l == lead)
                && e.rule_id.as_ref().is_none_or(|r| *r == h.rule_id)
        })
    }

    /// Splits `rows` into the hits that go on to leads and the count left out; the same
    /// predicate applies to every language's rows, so indices stay aligned.
    pub fn keep(&self, rows: &[HitRow]) -> Vec<bool> {
        rows.iter().map(|h| !self.suppresses(h)).collect()
    }

    /// The account of this run: `before` are the leads all hits would give, `after` the leads
    /// reported.
    pub fn account(
        &self,
        suppressed_hits: usize,
        before: &[Lead],
        after: &[Lead],
    ) -> FeedbackAccount {
        let count = |v: Verdict| self.entries.iter().filter(|e| e.verdict == v).count();
        let (confirmed, fp) = (count(Verdict::Confirmed), count(Verdict::FalsePositive));
        let judged: BTreeMap<&str, Verdict> = self
            .entries
            .iter()
            .filter(|e| e.verdict != Verdict::Whitelist && e.rule_id.is_none())
            .filter_map(|e| e.lead_id.as_deref().map(|l| (l, e.verdict)))
            .collect();
        let reported: BTreeSet<&str> = after.iter().map(|l| l.lead_id.as_str()).collect();
        let of = |v: Verdict| {
            after
                .iter()
                .filter(|l| judged.get(l.lead_id.as_str()) == Some(&v))
                .count()
        };
        FeedbackAccount {
            rows: self.entries.len(),
            confirmed,
            false_positive: fp,
            whitelist: count(Verdict::Whitelist),
            past_precision: (confirmed + fp > 0)
                .then(|| confirmed as f64 / (confirmed + fp) as f64),
            suppressed_hits,
            suppressed_leads: before
                .iter()
                .filter(|l| !reported.contains(l.lead_id.as_str()))
                .count(),
            leads_confirmed_before: of(Verdict::Confirmed),
            leads_false_positive_before: of(Verdict::FalsePositive),
        }
    }
}

/// Marks each lead `new` (not in the baseline), `escalated` (in it, with at least 20% more money
/// or a rule it did not have) or `recurring`; a doctor lead's year-to-date points add the
/// baseline's of the same calendar year (points reset each year).
pub fn compare(leads: &mut [Lead], baseline: &[LeadRecord]) -> BTreeMap<&'static str, usize> {
    let past: BTreeMap<&str, &LeadRecord> =
        baseline.iter().map(|l| (l.lead_id.as_str(), l)).collect();
    let mut counts = BTreeMap::new();
    for l in leads.iter_mut() {
        let status = match past.get(l.lead_id.as_str()) {
            None => "new",
            Some(p)
                if l.amount_fen * 10 >= p.amount_fen * 12
                    || l.rule_ids.iter().any(|r| !p.rule_ids.contains(r)) =>
            {
                "escalated"
            }
            Some(_) => "recurring",
        };
        l.status = Some(status.to_string());
        if let Some(points) = l.points {
            let before = past
                .get(l.lead_id.as_str())
                .filter(|p| p.points_year.is_some() && p.points_year == l.points_year)
                .and_then(|p| p.points_ytd)
                .unwrap_or(0);
            l.points_ytd = Some(before + points);
        }
        *counts.entry(status).or_default() += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rule: &str, subject: (&str, &str)) -> HitRow {
        HitRow {
            rule_id: rule.into(),
            family: "custom".into(),
            subject_type: subject.0.into(),
            subject_id: subject.1.into(),
            provider_id: Some("H1".into()),
            patient_id: Some("P1".into()),
            visit_id: None,
            line_ids: vec![],
            amount_fen: 100,
            severity: 0.5,
            evidence: String::new(),
            doctor_id: None,
            p: None,
        }
    }

    #[test]
    fn whitelists_by_subject_rule_or_lead_and_reports_precision() {
        let lead_h2 = lead_id("provider", "H2");
        let text = format!(
            "lead_id,subject_type,subject_id,rule_id,verdict,note\n\
             ,provider,H1,,whitelist,known teaching hospital\n\
             ,,,x.noisy,whitelist,rule under review\n\
             {lead_h2},,,,confirmed,recovered 3000\n\
             ,patient,P9,,false_positive,family purchase\n"
        );
        let f = Feedback::parse(&text, "fb.csv").unwrap();
        assert_eq!(f.entries.len(), 4);
        assert!(f.suppresses(&row("a.b", ("provider", "H1"))));
        assert!(f.suppresses(&row("x.noisy", ("provider", "H3"))));
        assert!(!f.suppresses(&row("a.b", ("provider", "H2"))));
        let a = f.account(2, &[], &[]);
        assert_eq!(a.past_precision, Some(0.5));
        assert_eq!(a.whitelist, 2);

        let e = Feedback::parse("lead_id,verdict\nL1,maybe\n", "fb.csv").unwrap_err();
        assert!(e.contains("fb.csv: line 2 column verdict: `maybe`"), "{e}");
    }

    fn past(provider: &str, amount_fen: i64) -> LeadRecord {
        LeadRecord {
            rank: 1,
            lead_id: lead_id("provider", provider),
            subject_type: "provider".into(),
            subject_id: provider.into(),
            amount_fen,
            rule_ids: vec!["a.b".into()],
            points_ytd: None,
            points_year: None,
        }
    }

    #[test]
    fn baseline_marks_new_recurring_and_escalated() {
        let names = crate::leads::RuleNames::default();
        let rows = vec![
            row("a.b", ("provider", "H1")),
            row("a.b", ("provider", "H2")),
            row("a.b", ("provider", "H3")),
        ];
        let mut leads = crate::leads::build(
            &rows,
            &Default::default(),
            &names,
            fundguard_model::Language::Zh,
        );
        let past = vec![past("H1", 100), past("H2", 50)];
        let counts = compare(&mut leads, &past);
        let status = |s: &str| {
            leads
                .iter()
                .find(|l| l.subject_id == s)
                .unwrap()
                .status
                .clone()
                .unwrap()
        };
        // Doctors' points add up over the year, and start again in a new one.
        let mut doctor = leads[0].clone();
        doctor.lead_id = lead_id("doctor", "D1");
        doctor.points = Some(4);
        doctor.points_year = Some(2026);
        let earlier = |year| LeadRecord {
            lead_id: lead_id("doctor", "D1"),
            points_ytd: Some(7),
            points_year: Some(year),
            ..past[0].clone()
        };
        let mut this = [doctor.clone()];
        compare(&mut this, &[earlier(2026)]);
        assert_eq!(this[0].points_ytd, Some(11));
        let mut this = [doctor];
        compare(&mut this, &[earlier(2025)]);
        assert_eq!(this[0].points_ytd, Some(4));
        assert_eq!(status("H1"), "recurring");
        assert_eq!(status("H2"), "escalated");
        assert_eq!(status("H3"), "new");
        assert_eq!(counts["new"], 1);
    }
}
