//! peer_outlier.test_panels — a provider ordering a panel of tests for far more of its
//! outpatients than its peers do (过度检查、套餐式检查).

use fundguard_model::{category, Fen, VisitType};
use serde::{Deserialize, Serialize};

use super::peers::{compare, Measure, Peers};
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::rule::{ensure, Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "peer_outlier.test_panels",
    family: Family::PeerOutlier,
    baseline: "peer_outlier (outpatient visits with a panel of tests)",
    name_zh: "门诊套餐式检查占比离群",
    name_en: "Outpatient test panels above peers",
    flags: "A hospital or clinic whose share of live outpatient visits billing at least \
            `min_tests` distinct examinations and laboratory tests (categories 03 and 04) is far \
            above its peers' (same type and level, or derived from the claims).",
    why: "Ordering the same battery of tests for most patients whatever their complaint is \
          over-servicing (过度检查) or tests never performed; a provider-wide excess points to a \
          practice, not a case.",
    amount: "The tests' money of its panel visits, less what its other visits' tests cost on \
             average, beyond the peer median share.",
    example: "A 二级 hospital where 48% of outpatient visits bill a blood count, liver function, a \
              chest X-ray and an ultrasound, against 6% at its peers: fires. A hospital at 8%: \
              quiet.",
    severity: 0.4,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "min_tests",
            doc: "Distinct examination and test items on one outpatient visit that make a panel.",
        },
        ParamDoc {
            name: "peers",
            doc: "The peer comparison (`min_peers`, `min_volume` visits, `min_z`, `max_p`, \
                  `min_spread`, `min_difference` in share points), as for the other peer rules.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_tests: usize,
    pub peers: Peers,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_tests: 4,
            // docs/curves (tuning.rs): the 8% look-alike is flagged up to 5 points, nothing
            // honest from 10; 15 points are twice the look-alike's excess.
            peers: Peers::share(0.15),
        }
    }
}

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(self.min_tests >= 2, || format!("{rule}: need min_tests >= 2"))?;
        self.peers.check(rule)
    }
}

pub struct TestPanels(pub Params);

impl Rule for TestPanels {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let l = &ctx.dump.lines;
        let p = &self.0;
        compare(
            ctx,
            &INFO,
            &p.peers,
            ("套餐式检查门诊占比", "Share of outpatient visits with a test panel"),
            |x| format!("{:.1}%", x * 100.0),
            |provider, visits| {
                let (mut n, mut panels, mut money) = (0usize, 0usize, Fen::ZERO);
                let mut other = Fen::ZERO;
                let mut items: Vec<u32> = Vec::new();
                for &x in visits {
                    if !ctx.visit_live[x as usize] || ctx.visit_type(x) != VisitType::Outpatient {
                        continue;
                    }
                    n += 1;
                    items.clear();
                    let mut m = Fen::ZERO;
                    for y in ctx.live_lines(x) {
                        if matches!(l.category[y as usize], category::EXAM | category::LAB) {
                            items.push(l.item[y as usize]);
                            m += ctx.money(y);
                        }
                    }
                    items.sort_unstable();
                    items.dedup();
                    if items.len() >= p.min_tests {
                        panels += 1;
                        money += m;
                    } else {
                        other += m;
                    }
                }
                // What the panel visits' tests cost beyond the tests of the provider's other
                // visits, on average, which they would have had anyway.
                let baseline = if n > panels {
                    other.mul_div(panels as i64, (n - panels) as i64)
                } else {
                    Fen::ZERO
                };
                let added = if money > baseline {
                    money - baseline
                } else {
                    Fen::ZERO
                };
                (n > 0).then(|| Measure {
                    provider,
                    value: panels as f64 / n as f64,
                    volume: n,
                    money: added,
                })
            },
        )
    }
}
