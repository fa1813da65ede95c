//! Stable rule ids and what is known about each rule without running it.

pub use fundguard_model::Family;
use fundguard_model::Table;
use serde::Serialize;

/// One documented parameter of a rule (its default comes from the configuration's defaults).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ParamDoc {
    pub name: &'static str,
    pub doc: &'static str,
}

/// A national rule-base table a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RuleBaseNeed {
    /// The rule runs without the rule base but uses these tables when given.
    Optional(&'static str),
    /// The rule is skipped without the rule base.
    Required(&'static str),
    /// The rule is skipped unless at least one of these tables is in the rule base.
    AnyOf(&'static [&'static str]),
}

/// What is known about a rule before running it: the source of `fundguard rules` and docs/rules.md.
#[derive(Debug, Serialize)]
pub struct RuleInfo {
    /// Stable id, `family.name`; also the rule's table in the configuration (`[rules.family.name]`).
    pub id: &'static str,
    pub family: Family,
    /// Its number in the baseline catalogue (`shared/spec/rules.md`), e.g. `bed_hanging.1`.
    pub baseline: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
    /// What it flags.
    pub flags: &'static str,
    /// Why it matters to the fund.
    pub why: &'static str,
    /// How `amount_at_risk` is computed.
    pub amount: &'static str,
    /// A worked example.
    pub example: &'static str,
    /// Base severity in `[0, 1]`.
    pub severity: f64,
    /// Optional input tables it cannot run without.
    pub needs: &'static [Table],
    pub rulebase: &'static [RuleBaseNeed],
    pub params: &'static [ParamDoc],
}

impl RuleInfo {
    pub fn requires_rulebase(&self) -> bool {
        self.rulebase
            .iter()
            .any(|n| matches!(n, RuleBaseNeed::Required(_) | RuleBaseNeed::AnyOf(_)))
    }
}
