//! peer_outlier.cost_per_day — inpatient cost per stay-day far above peers.

use fundguard_model::{day_of, Fen};

use super::peers::{compare, Measure, Peers, PEER_PARAMS};
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, RuleInfo};
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "peer_outlier.cost_per_day",
    family: Family::PeerOutlier,
    baseline: "peer_outlier (cost per stay-day)",
    name_zh: "床日费用离群",
    name_en: "Cost per stay-day above peers",
    flags: "A hospital whose inpatient charges per stay-day (all live lines of its stays / the \
            stays' days, at least one per stay) are far above those of hospitals of the same \
            type and level. Its default `min_z` is 6.5: totals mix beds, surgery and drugs, and \
            on a generated 1,000,000-person month honest hospitals hosting costly operations \
            reach z = 6.0; inflated drugs are found by peer_outlier.drug_cost_per_day.",
    why: "Inflated quantities, unnecessary drugs and phantom services raise what each bed-day \
          costs; a hospital billing three times its peers per day is where to look first.",
    amount: "The stays' charges beyond the peer median: charges × (value − median) / value.",
    example: "A 二级甲等 hospital at 1,450 yuan per stay-day where its 12 peers' median is 620 \
              (z = 9.8, p = 5e-23): fires.",
    severity: 0.5,
    needs: &[],
    rulebase: &[],
    params: &PEER_PARAMS,
};

/// The peer comparison's thresholds.
pub type Params = Peers;

pub struct CostPerDay(pub Peers);

impl Rule for CostPerDay {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        per_stay_day(
            ctx,
            &self.0,
            &INFO,
            |_| true,
            ("床日费用", "Cost per stay-day"),
        )
    }
}

/// Charges of the categories `keep` accepts per stay-day, against peers.
pub(crate) fn per_stay_day(
    ctx: &Ctx<'_>,
    peers: &Peers,
    info: &'static RuleInfo,
    keep: impl Fn(u8) -> bool + Sync,
    metric: (&str, &str),
) -> Vec<Hit> {
    {
        let v = &ctx.dump.visits;
        let l = &ctx.dump.lines;
        compare(
            ctx,
            info,
            peers,
            metric,
            |x| format!("{x:.0}"),
            |provider, visits| {
                let (mut money, mut days, mut stays) = (Fen::ZERO, 0i64, 0usize);
                for s in ctx.stays(visits) {
                    let end = ctx.visit_end(s);
                    days += i64::from((day_of(end) - day_of(v.admit[s as usize])).max(1));
                    money += ctx
                        .live_lines(s)
                        .filter(|&x| keep(l.category[x as usize]))
                        .map(|x| ctx.money(x))
                        .sum::<Fen>();
                    stays += 1;
                }
                (stays > 0).then(|| Measure {
                    provider,
                    value: money.as_f64_yuan() / days as f64,
                    volume: stays,
                    money,
                })
            },
        )
    }
}
