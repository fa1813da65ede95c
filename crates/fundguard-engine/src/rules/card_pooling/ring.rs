//! card_pooling.ring — the same group of cards swiped together on several days.

use fundguard_model::{day_of, Days, Fen};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::swipes::{lines_of, swipes};
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "card_pooling.ring",
    family: Family::CardPooling,
    baseline: "card_pooling.3",
    name_zh: "固定卡组反复结算",
    name_en: "Recurring ring of cards",
    flags: "At one pharmacy, cards swiped in the same session (consecutive swipes at most \
            `session_gap_seconds` apart) form a co-occurrence graph; pairs seen together on at \
            least `min_days` different days are edges, and a connected group of at least \
            `min_cards` cards is a ring.",
    why: "A pooled set of cards is used again and again as a set, week after week; a family \
          shops together now and then, not on four days of a month.",
    amount: "Fund and personal-account payments of the ring's swipes in sessions where at least \
             two of its cards appear.",
    example: "The same three cards swiped within two minutes of each other on 03-03, 03-10, \
              03-17 and 03-24: fires. A family of six shopping together on three days does not.",
    severity: 0.8,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "session_gap_seconds",
            doc: "Largest gap between consecutive swipes of one session.",
        },
        ParamDoc {
            name: "min_days",
            doc: "Days a pair of cards must be seen together to be linked.",
        },
        ParamDoc {
            name: "min_cards",
            doc: "Fewest cards in a ring.",
        },
        ParamDoc {
            name: "max_session_cards",
            doc: "Sessions with more cards than this (a queue on a busy day) link no pairs.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub session_gap_seconds: u32,
    pub min_days: usize,
    pub min_cards: usize,
    pub max_session_cards: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            session_gap_seconds: 180,
            min_days: 4,
            min_cards: 3,
            max_session_cards: 30,
        }
    }
}

pub struct Ring(pub Params);

impl RuleParams for Params {}

fn find(parent: &mut FxHashMap<u32, u32>, x: u32) -> u32 {
    let mut r = x;
    while let Some(&p) = parent.get(&r) {
        if p == r {
            break;
        }
        r = p;
    }
    parent.insert(x, r);
    r
}

impl Rule for Ring {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        let gap = i64::from(self.0.session_gap_seconds);
        ctx.per_provider(|provider, visits, out| {
            let s = swipes(ctx, visits);
            if s.len() < self.0.min_cards {
                return;
            }
            // Sessions as index ranges into s.
            let mut sessions = Vec::new();
            let mut start = 0;
            for k in 1..=s.len() {
                if k == s.len() || v.settle[s[k] as usize] - v.settle[s[k - 1] as usize] > gap {
                    sessions.push(start..k);
                    start = k;
                }
            }
            let mut pair_days: FxHashMap<(u32, u32), FxHashSet<Days>> = FxHashMap::default();
            for r in &sessions {
                let mut cards: Vec<u32> = s[r.clone()].iter().map(|&x| v.patient[x as usize]).collect();
                cards.sort_unstable();
                cards.dedup();
                if cards.len() < 2 || cards.len() > self.0.max_session_cards {
                    continue;
                }
                let day = day_of(v.settle[s[r.start] as usize]);
                for a in 0..cards.len() {
                    for b in a + 1..cards.len() {
                        pair_days.entry((cards[a], cards[b])).or_default().insert(day);
                    }
                }
            }
            let mut parent: FxHashMap<u32, u32> = FxHashMap::default();
            let mut edges: Vec<(u32, u32)> = pair_days
                .iter()
                .filter(|(_, d)| d.len() >= self.0.min_days)
                .map(|(k, _)| *k)
                .collect();
            if edges.is_empty() {
                return;
            }
            edges.sort_unstable();
            for &(a, b) in &edges {
                parent.entry(a).or_insert(a);
                parent.entry(b).or_insert(b);
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                if ra != rb {
                    parent.insert(ra.max(rb), ra.min(rb));
                }
            }
            let mut rings: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
            let nodes: Vec<u32> = parent.keys().copied().collect();
            for n in nodes {
                let r = find(&mut parent, n);
                rings.entry(r).or_default().push(n);
            }
            let mut rings: Vec<Vec<u32>> = rings
                .into_values()
                .filter(|m| m.len() >= self.0.min_cards)
                .collect();
            for m in &mut rings {
                m.sort_unstable();
            }
            rings.sort_unstable();
            for members in rings {
                let mut purchases = Vec::new();
                let mut days = Vec::new();
                for r in &sessions {
                    let inside: Vec<u32> = s[r.clone()]
                        .iter()
                        .copied()
                        .filter(|&x| members.binary_search(&v.patient[x as usize]).is_ok())
                        .collect();
                    let mut cards: Vec<u32> = inside.iter().map(|&x| v.patient[x as usize]).collect();
                    cards.sort_unstable();
                    cards.dedup();
                    if cards.len() >= 2 {
                        days.push(day_of(v.settle[inside[0] as usize]));
                        purchases.extend(inside);
                    }
                }
                days.sort_unstable();
                days.dedup();
                let amount: Fen = purchases.iter().map(|&x| ctx.insured_paid(x)).sum();
                let day_s: Vec<String> = days.iter().map(|d| fmt::day(*d)).collect();
                let ev = Evidence::new(
                    format!(
                        "{} 张社保卡在 {} 个不同日期（{}）总是相继结算，共 {} 笔，统筹及个人账户支付 {} 元",
                        members.len(),
                        days.len(),
                        fmt::list(&day_s, 5, "、"),
                        purchases.len(),
                        fmt::money(amount)
                    ),
                    format!(
                        "The same {} cards were swiped together on {} different days ({}), {} settlements; fund and account paid {} yuan",
                        members.len(),
                        days.len(),
                        fmt::list(&day_s, 5, ", "),
                        purchases.len(),
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Provider(provider), ev)
                        .provider(provider)
                        .lines(lines_of(ctx, &purchases), amount)
                        .severity(INFO.severity + 0.02 * (members.len() - self.0.min_cards) as f64),
                );
            }
        })
    }
}
