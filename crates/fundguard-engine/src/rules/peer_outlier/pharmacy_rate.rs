//! peer_outlier.pharmacy_rate — a pharmacy settling far more cards per hour than its peers.


use super::peers::{compare, Measure, Peers, PEER_PARAMS};
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, RuleInfo};
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "peer_outlier.pharmacy_rate",
    family: Family::PeerOutlier,
    baseline: "peer_outlier (pharmacy settlements per hour)",
    name_zh: "药店每小时结算量离群",
    name_en: "Pharmacy settlements per hour above peers",
    flags: "A pharmacy whose settlements per active hour (hours of the month with at least one \
            settlement) are far above other pharmacies'.",
    why: "Card pooling (聚敛盗刷) shows as throughput no counter can serve: dozens of cards an \
          hour, hour after hour.",
    amount: "Fund and account payments beyond the peer median rate.",
    example: "A pharmacy averaging 14 settlements per active hour where peers average 1.3: fires.",
    severity: 0.45,
    needs: &[],
    rulebase: &[],
    params: &PEER_PARAMS,
};

/// The peer comparison's thresholds.
pub type Params = Peers;

pub struct PharmacyRate(pub Peers);

impl Rule for PharmacyRate {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        compare(
            ctx,
            &INFO,
            &self.0,
            ("每营业小时结算笔数", "Settlements per active hour"),
            |x| format!("{x:.1}"),
            |provider, visits| {
                let sales: Vec<u32> = visits
                    .iter()
                    .copied()
                    .filter(|&x| ctx.visit_live[x as usize] && ctx.is_pharmacy_visit(x))
                    .collect();
                if sales.is_empty() {
                    return None;
                }
                let mut hours: Vec<i64> =
                    sales.iter().map(|&x| v.settle[x as usize] / 3600).collect();
                hours.dedup(); // settlement order: equal hours are adjacent
                Some(Measure {
                    provider,
                    value: sales.len() as f64 / hours.len() as f64,
                    volume: sales.len(),
                    money: sales.iter().map(|&x| ctx.insured_paid(x)).sum(),
                })
            },
        )
    }
}
