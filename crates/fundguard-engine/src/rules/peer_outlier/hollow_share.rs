//! peer_outlier.hollow_share — a hospital whose stay-days are mostly hollow.

use fundguard_model::{category, day_of, Fen};

use super::peers::{compare, Measure, Peers, PEER_PARAMS};
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, RuleInfo};
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "peer_outlier.hollow_share",
    family: Family::PeerOutlier,
    baseline: "peer_outlier (share of hollow stay-days)",
    name_zh: "空床日占比离群",
    name_en: "Share of hollow stay-days above peers",
    flags: "A hospital whose stay-days are hollow — only bed, consultation, nursing, general or \
            registration fees (categories 01, 02, 07, 12, 13) billed that day — far more often \
            than at hospitals of the same type and level.",
    why: "Stays with no treatment are beds kept for the fee (挂床); a hospital-wide excess \
          points to a practice rather than a single case.",
    amount: "The charges of its hollow days beyond the peer median share.",
    example: "A hospital with 46% hollow stay-days where its peers' median is 8% (z = 12): fires.",
    severity: 0.45,
    needs: &[],
    rulebase: &[],
    params: &PEER_PARAMS,
};

/// A line that is only about keeping the bed.
pub(crate) fn hollow_category(c: u8) -> bool {
    matches!(
        c,
        category::BED
            | category::CONSULTATION
            | category::NURSING
            | category::GENERAL
            | category::REGISTRATION
    )
}

/// The peer comparison's thresholds.
pub type Params = Peers;

pub struct HollowShare(pub Peers);

impl Rule for HollowShare {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        let l = &ctx.dump.lines;
        compare(
            ctx,
            &INFO,
            &self.0,
            ("空床日占比", "Share of hollow stay-days"),
            |x| format!("{:.1}%", x * 100.0),
            |provider, visits| {
                let (mut hollow, mut total, mut money, mut stays) = (0usize, 0usize, Fen::ZERO, 0usize);
                for s in ctx.stays(visits) {
                    let first = day_of(v.admit[s as usize]);
                    let n = (day_of(ctx.visit_end(s)) - first).max(1) as usize;
                    // Per day: (treated, money)
                    let mut days = vec![(false, Fen::ZERO); n];
                    for x in ctx.live_lines(s) {
                        let d = (ctx.line_day(x) - first).clamp(0, n as i32 - 1) as usize;
                        days[d].0 |= !hollow_category(l.category[x as usize]);
                        days[d].1 += ctx.money(x);
                    }
                    for (treated, m) in days {
                        if !treated {
                            hollow += 1;
                            money += m;
                        }
                        total += 1;
                    }
                    stays += 1;
                }
                (stays > 0).then(|| Measure {
                    provider,
                    value: hollow as f64 / total as f64,
                    volume: stays,
                    money,
                })
            },
        )
    }
}
