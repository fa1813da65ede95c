//! admission_standard.waived_copay — a hospital whose inpatients, far more often than its peers',
//! pay nothing of their own share: the fund is billed the whole stay (以减免自付费用等方式诱导住院).

use fundguard_model::Fen;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::rule::{ensure, Rule, RuleParams};
use crate::rules::peer_outlier::peers::{hit, outliers, stay_shares, Peers};

pub static INFO: RuleInfo = RuleInfo {
    id: "admission_standard.waived_copay",
    family: Family::AdmissionStandard,
    baseline: "admission_standard (stays whose co-payment the fund carries)",
    name_zh: "住院自付减免占比离群",
    name_en: "Stays without a co-payment above peers",
    flags: "A hospital whose share of finished stays in which the fund paid all but at most \
            `max_self_share` of the total (the patient's co-payment and deductible carried by the \
            fund) is far above the share at hospitals of the same type and level. A stay that \
            another payer covers (medical assistance, so that fund + account + cash falls short \
            of the total) is not waived. The rule runs only when at least `min_copay_share` of \
            the dump's stays show a co-payment (a dump without the payment split bills every stay \
            to the fund).",
    why: "Waiving the patient's share is how hospitals lure people into stays they do not need; \
          the fund then pays the share the patient should have paid, and the stay itself \
          (不准以减免自付费用等方式诱导住院).",
    amount: "What the fund paid for the hospital's stays without a co-payment beyond the peer \
             median share.",
    example: "A 二级 hospital where the fund pays the whole bill of 38% of the stays (peers' median \
              1%): fires. A hospital whose medical-assistance patients pay no cash because the \
              assistance fund pays their share: quiet.",
    severity: 0.45,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "max_self_share",
            doc: "Largest share of a stay's total left to the patient (account plus cash) for the \
                  stay to count as without a co-payment.",
        },
        ParamDoc {
            name: "min_copay_share",
            doc: "Least share of the dump's finished stays that show a co-payment for the rule to \
                  run at all.",
        },
        ParamDoc {
            name: "peers",
            doc: "The peer comparison (`min_peers`, `min_volume` stays, `min_z`, `max_p`, \
                  `min_spread`, `min_difference` in share points), as for the peer_outlier rules.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub max_self_share: f64,
    pub min_copay_share: f64,
    pub peers: Peers,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_self_share: 0.01,
            min_copay_share: 0.5,
            // docs/curves (tuning.rs): no honest hospital is flagged even at 3 points; 10 points
            // leave room for a real month's differences in fully covered patients.
            peers: Peers::share(0.1),
        }
    }
}

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(
            (0.0..1.0).contains(&self.max_self_share) && (0.0..=1.0).contains(&self.min_copay_share),
            || format!("{rule}: need 0 <= max_self_share < 1 and 0 <= min_copay_share <= 1"),
        )?;
        self.peers.check(rule)
    }
}

pub struct WaivedCopay(pub Params);

impl Rule for WaivedCopay {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let p = &self.0;
        let v = &ctx.dump.visits;
        // A finished stay: waived when the fund paid all but the allowance, `None` when it does
        // not count (a refund, nothing billed, still open).
        let waived = |i: usize| -> Option<bool> {
            let total = Fen(v.total[i]);
            if v.is_refund[i] || total <= Fen::ZERO || v.discharge[i] == fundguard_model::NULL_TIME
            {
                return None;
            }
            Some(total - Fen(v.fund_paid[i]) <= total.mul_share(p.max_self_share))
        };
        let (stays, shared) = ctx
            .all_stays()
            .fold((0usize, 0usize), |(n, k), s| match waived(s as usize) {
                Some(false) => (n + 1, k + 1),
                Some(true) => (n + 1, k),
                None => (n, k),
            });
        if stays == 0 || (shared as f64) < p.min_copay_share * stays as f64 {
            return Vec::new();
        }
        let measures = stay_shares(ctx, waived);
        outliers(ctx, INFO.id, measures, &p.peers)
            .into_iter()
            .map(|o| {
                hit(
                    ctx,
                    &INFO,
                    o,
                    ("无自付住院占比", "Share of stays without a co-payment"),
                    |x| format!("{:.1}%", x * 100.0),
                )
            })
            .collect()
    }
}
