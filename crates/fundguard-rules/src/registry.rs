//! Stable rule ids and what is known about each rule without running it.

use fundguard_model::Table;
use serde::Serialize;

/// The contract's `family` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    BedHanging,
    DuplicateCharge,
    ItemSwap,
    CardPooling,
    SplitAdmission,
    Impersonation,
    OverStandardPrice,
    RestrictedItem,
    ExcessiveSupply,
    PhantomService,
    PeerOutlier,
    Custom,
}

impl Family {
    pub const ALL: [Family; 12] = [
        Family::BedHanging,
        Family::DuplicateCharge,
        Family::ItemSwap,
        Family::CardPooling,
        Family::SplitAdmission,
        Family::Impersonation,
        Family::OverStandardPrice,
        Family::RestrictedItem,
        Family::ExcessiveSupply,
        Family::PhantomService,
        Family::PeerOutlier,
        Family::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::BedHanging => "bed_hanging",
            Family::DuplicateCharge => "duplicate_charge",
            Family::ItemSwap => "item_swap",
            Family::CardPooling => "card_pooling",
            Family::SplitAdmission => "split_admission",
            Family::Impersonation => "impersonation",
            Family::OverStandardPrice => "over_standard_price",
            Family::RestrictedItem => "restricted_item",
            Family::ExcessiveSupply => "excessive_supply",
            Family::PhantomService => "phantom_service",
            Family::PeerOutlier => "peer_outlier",
            Family::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The bureaus' name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Family::BedHanging => "挂床住院",
            Family::DuplicateCharge => "重复收费",
            Family::ItemSwap => "串换项目",
            Family::CardPooling => "聚敛盗刷社保卡",
            Family::SplitAdmission => "分解住院",
            Family::Impersonation => "冒名就医",
            Family::OverStandardPrice => "超标准收费",
            Family::RestrictedItem => "限定支付",
            Family::ExcessiveSupply => "超量开药",
            Family::PhantomService => "虚构医疗服务",
            Family::PeerOutlier => "统计离群",
            Family::Custom => "自定义规则",
        }
    }
}

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
