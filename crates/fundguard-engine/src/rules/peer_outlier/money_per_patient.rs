//! peer_outlier.money_per_patient — a provider billing far more money per patient than its peers
//! (过度诊疗、虚增费用).

use fundguard_model::Fen;

use super::peers::{compare, Measure, Peers, PEER_PARAMS};
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, RuleInfo};
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "peer_outlier.money_per_patient",
    family: Family::PeerOutlier,
    baseline: "peer_outlier (money per patient)",
    name_zh: "人均费用离群",
    name_en: "Money per patient above peers",
    flags: "A provider whose still-billed money of the month per distinct patient (all its live \
            settlements) is far above its peers' (same type and level, or derived from the \
            claims). Volume is the number of distinct patients. It needs no table beyond visits \
            and lines, so it runs on claims-only files, where it is the intensity measure that \
            works for every kind of provider.",
    why: "Over-servicing, inflated quantities, padded bills and services never given all raise \
          what each patient costs without raising the patients; a provider-wide excess is a \
          practice to inspect, whatever the item.",
    amount: "Its money beyond what the peer median per patient would give: money × (value − \
             median) / value.",
    example: "A clinic whose 300 patients cost 420 yuan each in the month where its peers' cost \
              95: fires with about 97,500 yuan. A clinic at 120 yuan: quiet.",
    severity: 0.3,
    needs: &[],
    rulebase: &[],
    params: &PEER_PARAMS,
};

/// The peer comparison's thresholds.
pub type Params = Peers;

pub struct MoneyPerPatient(pub Peers);

impl Rule for MoneyPerPatient {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let patient = &ctx.dump.visits.patient;
        compare(
            ctx,
            &INFO,
            &self.0,
            ("人均费用（元）", "Money per patient (yuan)"),
            |x| format!("{:.2}", x / 100.0),
            |provider, visits| {
                let mut people: Vec<u32> = Vec::new();
                let mut money = Fen::ZERO;
                for &x in visits {
                    if !ctx.visit_live[x as usize] {
                        continue;
                    }
                    people.push(patient[x as usize]);
                    money += ctx.visit_money(x);
                }
                people.sort_unstable();
                people.dedup();
                (!people.is_empty()).then(|| Measure {
                    provider,
                    value: money.0 as f64 / people.len() as f64,
                    volume: people.len(),
                    money,
                })
            },
        )
    }
}
