//! card_pooling.burst — many cards swiped at one pharmacy within minutes.

use fundguard_model::Fen;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::swipes::{lines_of, swipes};
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "card_pooling.burst",
    family: Family::CardPooling,
    baseline: "card_pooling.1",
    name_zh: "短时集中刷卡",
    name_en: "Burst of card swipes",
    flags: "At least `min_cards` different cards settled at one pharmacy within `window_minutes`, \
            with a median gap between consecutive swipes under `max_median_gap_seconds`.",
    why: "Pooled cards (collected from the elderly, bought, or borrowed) are swiped one after \
          another by the staff; customers at a counter need minutes each, not seconds.",
    amount: "Fund and personal-account payments of the swipes in the burst.",
    example:
        "12 cards swiped 20-50 s apart between 14:03 and 14:10 on one terminal fire. A family \
              of three at the counter together, and eight customers over 40 minutes, do not.",
    severity: 0.85,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "min_cards",
            doc: "Fewest different cards in the window.",
        },
        ParamDoc {
            name: "window_minutes",
            doc: "Length of the sliding window.",
        },
        ParamDoc {
            name: "max_median_gap_seconds",
            doc: "Largest median gap between consecutive swipes of a burst.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_cards: usize,
    pub window_minutes: u32,
    pub max_median_gap_seconds: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_cards: 8,
            window_minutes: 10,
            max_median_gap_seconds: 60,
        }
    }
}

pub struct Burst(pub Params);

impl RuleParams for Params {}

impl Rule for Burst {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        let window = i64::from(self.0.window_minutes) * 60;
        let min = self.0.min_cards.max(2);
        ctx.per_provider(|provider, visits, out| {
            let s = swipes(ctx, visits);
            if s.len() < min {
                return;
            }
            let t = |k: usize| v.settle[s[k] as usize];
            // Mark every swipe inside some window holding >= min distinct cards.
            let mut marked = vec![false; s.len()];
            let mut count: FxHashMap<u32, usize> = FxHashMap::default();
            let mut i = 0;
            for j in 0..s.len() {
                *count.entry(v.patient[s[j] as usize]).or_default() += 1;
                while t(j) - t(i) > window {
                    let p = v.patient[s[i] as usize];
                    let c = count.get_mut(&p).expect("counted");
                    *c -= 1;
                    if *c == 0 {
                        count.remove(&p);
                    }
                    i += 1;
                }
                if count.len() >= min {
                    marked[i..=j].iter_mut().for_each(|m| *m = true);
                }
            }
            let mut k = 0;
            while k < s.len() {
                if !marked[k] {
                    k += 1;
                    continue;
                }
                let start = k;
                while k < s.len() && marked[k] {
                    k += 1;
                }
                let burst = &s[start..k];
                let mut gaps: Vec<i64> = (start + 1..k).map(|g| t(g) - t(g - 1)).collect();
                gaps.sort_unstable();
                let median = gaps[gaps.len() / 2];
                if median >= i64::from(self.0.max_median_gap_seconds) {
                    continue;
                }
                let mut cards: Vec<u32> = burst.iter().map(|&x| v.patient[x as usize]).collect();
                cards.sort_unstable();
                cards.dedup();
                let mut terminals: Vec<&str> = burst
                    .iter()
                    .filter_map(|&x| ctx.dump.dicts.terminals.get_opt(v.terminal[x as usize]))
                    .collect();
                terminals.sort_unstable();
                terminals.dedup();
                let amount: Fen = burst.iter().map(|&x| ctx.insured_paid(x)).sum();
                let (from, to) = (t(start), t(k - 1));
                let term_zh = if terminals.is_empty() {
                    String::new()
                } else {
                    format!("，终端 {}", fmt::list(&terminals, 3, "、"))
                };
                let term_en = if terminals.is_empty() {
                    String::new()
                } else {
                    format!(" on terminal(s) {}", fmt::list(&terminals, 3, ", "))
                };
                let ev = Evidence::new(
                    format!(
                        "{}..{} 共 {} 张不同社保卡连续结算 {} 笔，刷卡间隔中位数 {median} 秒{term_zh}，统筹及个人账户支付 {} 元",
                        fmt::time(from),
                        fmt::clock(to),
                        cards.len(),
                        burst.len(),
                        fmt::money(amount)
                    ),
                    format!(
                        "{} different cards settled {} times between {} and {}{term_en}, median gap {median} s; fund and account paid {} yuan",
                        cards.len(),
                        burst.len(),
                        fmt::time(from),
                        fmt::clock(to),
                        fmt::money(amount)
                    ),
                );
                let lines = lines_of(ctx, burst);
                out.push(
                    Hit::new(&INFO, Subject::Provider(provider), ev)
                        .provider(provider)
                        .lines(lines, amount)
                        .severity(INFO.severity + 0.01 * (cards.len() - min) as f64),
                );
            }
        })
    }
}
