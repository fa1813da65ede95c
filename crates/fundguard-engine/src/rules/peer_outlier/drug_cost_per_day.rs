//! peer_outlier.drug_cost_per_day — inpatient drug cost per stay-day far above peers.


use super::cost_per_day::per_stay_day;
use super::peers::{Peers, PEER_PARAMS};
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, RuleInfo};
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "peer_outlier.drug_cost_per_day",
    family: Family::PeerOutlier,
    baseline: "peer_outlier (drug cost per stay-day)",
    name_zh: "床日药费离群",
    name_en: "Drug cost per stay-day above peers",
    flags: "A hospital whose inpatient drug charges (categories 09 西药, 10 中药饮片, 11 中成药) \
            per stay-day are far above those of hospitals of the same type and level.",
    why:
        "Drug cost per bed-day (床日药费) is the bureaus' standard yardstick of over-prescription: \
          inflated quantities and unnecessary drugs show in it before they show in the total, \
          which beds, nursing and one-off surgery dominate.",
    amount: "The stays' drug charges beyond the peer median: charges × (value − median) / value.",
    example: "A 二级甲等 hospital at 96 yuan of drugs per stay-day where its 83 peers' median is \
              32 (z = 20): fires.",
    severity: 0.5,
    needs: &[],
    rulebase: &[],
    params: &PEER_PARAMS,
};

/// The peer comparison's thresholds.
pub type Params = Peers;

pub struct DrugCostPerDay(pub Peers);

impl Rule for DrugCostPerDay {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        per_stay_day(
            ctx,
            &self.0,
            &INFO,
            fundguard_model::category::is_drug,
            ("床日药费", "Drug cost per stay-day"),
        )
    }
}

