//! What the stages hand each other as text: the contract's family values, a hit row as
//! hits.parquet holds it, a lead as leads.parquet holds it, a generated dump's labelled cases, and
//! what happened to each rule. The engine decodes its hits into these; scoring and the reports
//! read nothing else, so they need neither the engine nor its dictionary codes.

use serde::{Deserialize, Serialize};

/// The contract's `family` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
    TraceCode,
    CostShifting,
    AdmissionStandard,
    Upcoding,
    Custom,
}

impl Family {
    pub const ALL: [Family; 16] = [
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
        Family::TraceCode,
        Family::CostShifting,
        Family::AdmissionStandard,
        Family::Upcoding,
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
            Family::TraceCode => "trace_code",
            Family::CostShifting => "cost_shifting",
            Family::AdmissionStandard => "admission_standard",
            Family::Upcoding => "upcoding",
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
            Family::TraceCode => "药品追溯码",
            Family::CostShifting => "住院期间门诊结算",
            Family::AdmissionStandard => "降低住院标准",
            Family::Upcoding => "高编高套",
            Family::Custom => "自定义规则",
        }
    }
}

/// Language of the evidence written to hits.parquet (the report offers both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Zh,
    En,
}

/// A hit with its ids decoded to text: the contract's row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HitRow {
    pub rule_id: String,
    pub family: String,
    pub subject_type: String,
    pub subject_id: String,
    pub provider_id: Option<String>,
    pub patient_id: Option<String>,
    pub visit_id: Option<String>,
    pub line_ids: Vec<String>,
    /// Fen (the file holds decimal(16,2) yuan).
    pub amount_fen: i64,
    pub severity: f64,
    pub evidence: String,
    /// The doctor whose evidence this is (every line of the hit billed by him, or the visit he
    /// led), when there is one; scoring rolls such hits up to his lead too. Written after the
    /// contract's columns.
    pub doctor_id: Option<String>,
    /// Tail probability of outlier evidence (not written to hits.parquet; scoring uses it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
}

impl HitRow {
    /// The output order of hits: rule, subject, visit, first line (all text, never codes).
    pub fn order_key(&self) -> (&str, &str, &str, Option<&str>, Option<&str>) {
        (
            &self.rule_id,
            &self.subject_type,
            &self.subject_id,
            self.visit_id.as_deref(),
            self.line_ids.first().map(String::as_str),
        )
    }
}

/// Orders rows by [`HitRow::order_key`] (stable, so rows already in that order keep it).
pub fn sort_hit_rows(rows: &mut [HitRow]) {
    rows.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
}

/// One injected case or look-alike.
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub scheme: String,
    /// The rule the case was injected for (`card_pooling.burst`, …), when the file says.
    pub rule: Option<String>,
    pub subject_type: String,
    pub subject_id: String,
    pub provider_id: Option<String>,
    pub patient_id: Option<String>,
    pub visit_id: Option<String>,
    /// Money the case added (fen), when the file says.
    pub amount_fen: Option<i64>,
}

/// One lead of a leads.parquet, as evaluation and month-to-month comparison read it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LeadRecord {
    pub rank: i64,
    pub lead_id: String,
    pub subject_type: String,
    pub subject_id: String,
    pub amount_fen: i64,
    pub rule_ids: Vec<String>,
    /// Doctor leads: the payment-qualification points of the year so far, and that year.
    pub points_ytd: Option<u32>,
    pub points_year: Option<i32>,
}

/// What happened to one rule in a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Ran {
        hits: usize,
        /// Sum of the hits' amounts, in fen.
        amount_fen: i64,
        millis: u64,
    },
    Skipped {
        reason: String,
    },
    Failed {
        error: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleOutcome {
    pub rule_id: String,
    pub family: Family,
    #[serde(flatten)]
    pub outcome: Outcome,
}
