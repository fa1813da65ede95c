//! What a rule finds: a [`Hit`], with dictionary codes and row numbers until it is written out.

use fundguard_model::{Dump, Fen, Visits, NONE};

use crate::info::{Family, RuleInfo};

/// Who a finding is about (`subject_type` / `subject_id` of the contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// Provider code.
    Provider(u32),
    /// Patient code.
    Patient(u32),
    /// Doctor code.
    Doctor(u32),
    /// Visit row.
    Visit(u32),
}

impl Subject {
    pub fn kind(self) -> &'static str {
        match self {
            Subject::Provider(_) => "provider",
            Subject::Patient(_) => "patient",
            Subject::Doctor(_) => "doctor",
            Subject::Visit(_) => "visit",
        }
    }

    /// The subject's id as text.
    pub fn id(self, dump: &Dump) -> &str {
        match self {
            Subject::Provider(p) => dump.dicts.providers.get(p),
            Subject::Patient(p) => dump.dicts.patients.get(p),
            Subject::Doctor(d) => dump.dicts.doctors.get(d),
            Subject::Visit(v) => dump.visits.visit_id.get(v as usize),
        }
    }
}

/// The sentence that makes the case, in Chinese and in English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub zh: String,
    pub en: String,
}

impl Evidence {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }
}

/// One rule firing on one subject.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: &'static RuleInfo,
    pub subject: Subject,
    /// Provider code or [`NONE`].
    pub provider: u32,
    /// Patient code or [`NONE`].
    pub patient: u32,
    /// Visit row or [`NONE`].
    pub visit: u32,
    /// Line rows involved (each at most once).
    pub lines: Vec<u32>,
    /// Money this hit puts in question, never counting a line twice.
    pub amount: Fen,
    /// In `[0, 1]`.
    pub severity: f64,
    /// Tail probability of the statistical evidence, for findings that are outliers.
    pub p: Option<f64>,
    pub evidence: Evidence,
}

impl Hit {
    /// A hit of `rule` about `subject`, with everything else empty; fill in with the builder methods.
    pub fn new(rule: &'static RuleInfo, subject: Subject, evidence: Evidence) -> Self {
        Hit {
            rule,
            subject,
            provider: NONE,
            patient: NONE,
            visit: NONE,
            lines: Vec::new(),
            amount: Fen::ZERO,
            severity: rule.severity,
            p: None,
            evidence,
        }
    }

    /// Sets the visit and, from its row, the provider and the patient.
    pub fn in_visit(mut self, visits: &Visits, visit: u32) -> Self {
        self.provider = visits.provider[visit as usize];
        self.patient = visits.patient[visit as usize];
        self.visit = visit;
        self
    }

    pub fn provider(mut self, p: u32) -> Self {
        self.provider = p;
        self
    }

    pub fn patient(mut self, p: u32) -> Self {
        self.patient = p;
        self
    }

    pub fn visit(mut self, v: u32) -> Self {
        self.visit = v;
        self
    }

    /// Sets the lines (deduplicated) and the amount.
    pub fn lines(mut self, mut lines: Vec<u32>, amount: Fen) -> Self {
        lines.sort_unstable();
        lines.dedup();
        self.lines = lines;
        self.amount = amount;
        self
    }

    pub fn amount(mut self, amount: Fen) -> Self {
        self.amount = amount;
        self
    }

    pub fn severity(mut self, s: f64) -> Self {
        self.severity = s.clamp(0.0, 1.0);
        self
    }

    /// The tail probability of the evidence (outlier findings).
    pub fn p(mut self, p: f64) -> Self {
        self.p = Some(p.clamp(0.0, 1.0));
        self
    }

    pub fn family(&self) -> Family {
        self.rule.family
    }
}
