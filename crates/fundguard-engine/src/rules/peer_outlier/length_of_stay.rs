//! peer_outlier.length_of_stay — stays longer than the same diagnoses take elsewhere.

use fundguard_model::{day_of, Fen, NONE};
use rustc_hash::FxHashMap;

use super::peers::{compare, Measure, Peers, PEER_PARAMS};
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::icd;
use crate::info::{Family, RuleInfo};
use crate::rule::Rule;
use crate::stats::median;

pub static INFO: RuleInfo = RuleInfo {
    id: "peer_outlier.length_of_stay",
    family: Family::PeerOutlier,
    baseline: "peer_outlier (length of stay per diagnosis)",
    name_zh: "住院天数离群",
    name_en: "Length of stay above peers",
    flags: "A hospital whose stays last longer than the dump's median length of stay for the \
            same main diagnosis (3-character category): the ratio of its total days to the \
            medians' total, far above that of hospitals of the same type and level.",
    why: "Keeping patients longer than their illness needs (挂床, 'bed-hanging' as a business \
          model) bills bed, nursing and consultation fees for nothing.",
    amount: "The stays' charges beyond the peer median ratio: charges × (ratio − median) / ratio.",
    example: "A hospital whose pneumonia stays last 14 days where the city's median is 7, ratio \
              1.9 against peers' 1.0 (z = 7): fires.",
    severity: 0.45,
    needs: &[],
    rulebase: &[],
    params: &PEER_PARAMS,
};

/// The peer comparison's thresholds.
pub type Params = Peers;

pub struct LengthOfStay(pub Peers);

impl Rule for LengthOfStay {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        let days =
            |s: u32| f64::from((day_of(ctx.visit_end(s)) - day_of(v.admit[s as usize])).max(1));
        let category = |s: u32| match v.main_diag[s as usize] {
            NONE => None,
            d => Some(icd::category(ctx.dump.dicts.diagnoses.get(d))),
        };
        let all: Vec<u32> = ctx
            .stays(&(0..v.patient.len() as u32).collect::<Vec<_>>())
            .collect();
        let mut by_diag: FxHashMap<&str, Vec<f64>> = FxHashMap::default();
        for &s in &all {
            if let Some(c) = category(s) {
                by_diag.entry(c).or_default().push(days(s));
            }
        }
        let typical: FxHashMap<&str, f64> =
            by_diag.into_iter().map(|(c, d)| (c, median(&d))).collect();
        compare(
            ctx,
            &INFO,
            &self.0,
            (
                "住院天数与同病种中位数之比",
                "Length of stay against the diagnosis median",
            ),
            |x| format!("{x:.2}"),
            |provider, visits| {
                let (mut actual, mut expected, mut money, mut stays) = (0.0, 0.0, Fen::ZERO, 0usize);
                for s in ctx.stays(visits) {
                    let Some(c) = category(s) else {
                        continue;
                    };
                    actual += days(s);
                    expected += typical[c];
                    money += ctx.visit_money(s);
                    stays += 1;
                }
                (stays > 0 && expected > 0.0).then(|| Measure {
                    provider,
                    value: actual / expected,
                    volume: stays,
                    money,
                })
            },
        )
    }
}
