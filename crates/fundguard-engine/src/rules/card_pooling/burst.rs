//! card_pooling.burst — many cards swiped at one pharmacy within minutes.

use fundguard_model::{second_of_day, Fen};
use statrs::distribution::{DiscreteCDF, Poisson};
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
    flags: "At least `min_cards` different cards settled on one terminal of a pharmacy (or at \
            the pharmacy, when the dump has no terminals) within `window_minutes`, with a median \
            gap between consecutive swipes under `max_median_gap_seconds` (under \
            `large_max_median_gap_seconds` for a burst of `large_cards` or more), and more cards than \
            that terminal's own rate at that hour of the day explains (Poisson tail at most \
            `max_p`). Busy counters in a morning rush are judged against their own mornings.",
    why: "Pooled cards (collected from the elderly, bought, or borrowed) are swiped one after \
          another by the staff; customers at a counter need minutes each, not seconds.",
    amount: "Fund and personal-account payments of the swipes in the burst.",
    example:
        "12 cards swiped 20-50 s apart between 14:03 and 14:10 on one terminal fire. A family \
              of six paying one after another (or two families meeting at the counter), eight \
              customers over 40 minutes, and four counters serving a morning queue side by \
              side do not.",
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
        ParamDoc {
            name: "large_cards",
            doc: "A burst of at least this many cards, more than families at one counter make, \
                  is judged with `large_max_median_gap_seconds` instead.",
        },
        ParamDoc {
            name: "large_max_median_gap_seconds",
            doc: "Largest median gap of such a large burst.",
        },
        ParamDoc {
            name: "max_p",
            doc: "Largest Poisson tail of the burst's cards given the terminal's rate at that hour.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_cards: usize,
    pub window_minutes: u32,
    pub max_median_gap_seconds: u32,
    pub large_cards: usize,
    pub large_max_median_gap_seconds: u32,
    pub max_p: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_cards: 10,
            window_minutes: 10,
            max_median_gap_seconds: 45,
            large_cards: 14,
            large_max_median_gap_seconds: 60,
            max_p: 1e-6,
        }
    }
}

pub struct Burst(pub Params);

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        crate::rule::ensure(self.max_p > 0.0 && self.max_p <= 1.0, || {
            "rules.card_pooling.burst.max_p must be within (0, 1]".into()
        })
    }
}

impl Rule for Burst {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        let min = self.0.min_cards.max(2);
        let days = f64::from(ctx.days_covered());
        ctx.per_provider(|provider, visits, out| {
            // One terminal at a time (a stable sort keeps settlement order within each).
            let mut by_terminal = swipes(ctx, visits);
            if by_terminal.len() < min {
                return;
            }
            by_terminal.sort_by_key(|&x| v.terminal[x as usize]);
            for s in by_terminal.chunk_by(|a, b| v.terminal[*a as usize] == v.terminal[*b as usize]) {
                self.terminal(ctx, provider, s, days, out);
            }
        })
    }
}

impl Burst {
    /// The bursts among one terminal's swipes `s` (in settlement order).
    fn terminal(&self, ctx: &Ctx<'_>, provider: u32, s: &[u32], days: f64, out: &mut Vec<Hit>) {
        let v = &ctx.dump.visits;
        let window = i64::from(self.0.window_minutes) * 60;
        let min = self.0.min_cards.max(2);
        if s.len() < min {
            return;
        }
        // The terminal's swipes per hour of the day over the dump.
        let mut per_hour = [0usize; 24];
        for &x in s {
            per_hour[(second_of_day(v.settle[x as usize]) / 3600) as usize] += 1;
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
            let mut cards: Vec<u32> = burst.iter().map(|&x| v.patient[x as usize]).collect();
            cards.sort_unstable();
            cards.dedup();
            // A burst too large for families at one counter may be paced like customers.
            let max_gap = if cards.len() >= self.0.large_cards {
                self.0.large_max_median_gap_seconds
            } else {
                self.0.max_median_gap_seconds
            };
            if median >= i64::from(max_gap) {
                continue;
            }
            // What the terminal usually takes in the burst's span at that hour.
            let span_minutes = ((t(k - 1) - t(start)) as f64 / 60.0).max(1.0);
            let hour = (second_of_day(t(start)) / 3600) as usize;
            let expected = per_hour[hour] as f64 / days / 60.0 * span_minutes;
            let p = Poisson::new(expected.max(1e-12))
                .map(|d| d.sf(cards.len() as u64 - 1))
                .unwrap_or(1.0);
            if p > self.0.max_p {
                continue;
            }
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
                    .severity(INFO.severity + 0.01 * (cards.len() - min) as f64)
                    .p(p),
            );
        }
    }
}
