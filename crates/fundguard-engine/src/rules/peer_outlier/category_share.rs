//! peer_outlier.category_share — a provider whose money goes to one charge category far more than
//! its peers'.

use fundguard_model::Fen;
use serde::{Deserialize, Serialize};

use super::peers::{hit, outliers, Measure, Peers};
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "peer_outlier.category_share",
    family: Family::PeerOutlier,
    baseline: "peer_outlier (share of each charge category)",
    name_zh: "收费类别占比离群",
    name_en: "Share of a charge category above peers",
    flags: "For each charge category in `categories`, a provider whose share of its billed money \
            in that category is far above the shares of providers of the same type and level.",
    why: "A hospital whose drug share (药占比) or material share is far above its peers' inflates \
          what the fund pays for those items: over-prescription, item swapping, phantom \
          materials.",
    amount: "The category's money beyond the peer median share: money_c × (share − median) / \
             share.",
    example: "A 二级甲等 hospital with 71% of its charges in 西药费 where peers' median is 38% \
              (z = 8): fires for category 09.",
    severity: 0.4,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "categories",
            doc: "Charge categories (01-14) compared.",
        },
        ParamDoc {
            name: "peers",
            doc: "The peer comparison (`min_peers`, `min_volume` visits, `min_z`, `max_p`, \
                  `min_spread`, `min_difference`), as for the other peer_outlier rules.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub categories: Vec<String>,
    pub peers: Peers,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            categories: ["03", "04", "05", "08", "09", "10", "11"]
                .iter()
                .map(|c| (*c).to_string())
                .collect(),
            peers: Peers::share(0.1),
        }
    }
}

pub struct CategoryShare(pub Params);

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        self.peers.check(rule)
    }
}

impl Rule for CategoryShare {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let l = &ctx.dump.lines;
        let cats: Vec<(u8, &str)> = self
            .0
            .categories
            .iter()
            .filter_map(|c| fundguard_model::category::parse(c).map(|n| (n, c.as_str())))
            .collect();
        // Per provider: total money and money by category, and visits.
        let providers = ctx.provider_visits.keys();
        let sums = ctx.fold_live_lines(
            || vec![(Fen::ZERO, [Fen::ZERO; 15]); providers],
            |acc, x, v| {
                let Some(t) = acc.get_mut(ctx.dump.visits.provider[v as usize] as usize) else {
                    return;
                };
                let m = ctx.money(x);
                t.1[l.category[x as usize] as usize] += m;
                t.0 += m;
            },
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    x.0 += y.0;
                    for (c, d) in x.1.iter_mut().zip(y.1) {
                        *c += d;
                    }
                }
                a
            },
        );
        let totals: Vec<(Fen, [Fen; 15], usize)> = sums
            .into_iter()
            .enumerate()
            .map(|(p, (total, by))| (total, by, ctx.provider_visits.get(p as u32).len()))
            .collect();
        let mut hits = Vec::new();
        for (c, code) in cats {
            let measures = totals
                .iter()
                .enumerate()
                .filter(|(_, t)| t.0 > Fen::ZERO)
                .map(|(p, t)| Measure {
                    provider: p as u32,
                    value: t.1[c as usize].0 as f64 / t.0 .0 as f64,
                    volume: t.2,
                    money: t.1[c as usize],
                })
                .collect();
            for o in outliers(ctx, &format!("{}|{code}", INFO.id), measures, &self.0.peers) {
                hits.push(hit(
                    ctx,
                    &INFO,
                    o,
                    (
                        &format!("收费类别 {code} 费用占比"),
                        &format!("Share of charge category {code}"),
                    ),
                    |x| format!("{:.1}%", x * 100.0),
                ));
            }
        }
        hits
    }
}
