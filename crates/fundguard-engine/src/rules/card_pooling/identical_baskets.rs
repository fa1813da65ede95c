//! card_pooling.identical_baskets — one basket bought on many cards in a day.

use fundguard_model::{day_of, Days, Fen};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use statrs::distribution::{DiscreteCDF, Poisson};
use serde::{Deserialize, Serialize};

use super::swipes::{lines_of, swipes};
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "card_pooling.identical_baskets",
    family: Family::CardPooling,
    baseline: "card_pooling.2",
    name_zh: "多卡同方购药",
    name_en: "Identical baskets on many cards",
    flags: "The same multiset of items and quantities bought on at least `min_cards` different \
            cards at one pharmacy on one day (`min_cards_single` when the basket is one item), \
            more often than the basket's popularity explains: given how often the city buys \
            that basket in the rest of the dump and the pharmacy's share of the city's \
            purchases, the day's count must be improbable (Poisson tail at most `max_p`). Standard chronic \
            baskets bought by many elderly customers are common everywhere and do not fire.",
    why: "Pooled cards are used to buy one shopping list over and over (often for resale); real \
          customers' baskets differ.",
    amount: "Fund and personal-account payments of those purchases.",
    example: "Atorvastatin 28, omeprazole 28 and Liuwei Dihuang 60 on six cards on 03-09: fires. \
              The same basket on two cards does not.",
    severity: 0.7,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "min_cards",
            doc: "Fewest cards with the same basket of two or more items.",
        },
        ParamDoc {
            name: "max_p",
            doc: "Largest Poisson tail of the day's count given the basket's city-wide frequency.",
        },
        ParamDoc {
            name: "min_cards_single",
            doc: "Fewest cards with the same one-item basket (common lines such as 30 tablets of \
                  one drug repeat innocently).",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_cards: usize,
    pub max_p: f64,
    pub min_cards_single: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_cards: 4,
            max_p: 1e-6,
            min_cards_single: 10,
        }
    }
}

pub struct IdenticalBaskets(pub Params);

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        crate::rule::ensure(self.max_p > 0.0 && self.max_p <= 1.0, || {
            "rules.card_pooling.identical_baskets.max_p must be within (0, 1]".into()
        })
    }
}

/// A basket's digest, the same in every run (FxHash of its sorted (item, units)).
fn digest(basket: &[(u32, i64)]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    basket.hash(&mut h);
    h.finish()
}

/// A purchase's basket: its live (item, net units), sorted.
fn basket_of(ctx: &Ctx<'_>, x: u32) -> Vec<(u32, i64)> {
    let mut basket = Vec::new();
    fill_basket(ctx, x, &mut basket);
    basket
}

/// [`basket_of`] into a reused buffer.
fn fill_basket(ctx: &Ctx<'_>, x: u32, basket: &mut Vec<(u32, i64)>) {
    let l = &ctx.dump.lines;
    basket.clear();
    basket.extend(
        ctx.live_lines(x)
            .map(|y| (l.item[y as usize], ctx.net_qty[y as usize])),
    );
    basket.sort_unstable();
}

impl Rule for IdenticalBaskets {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        // How often the city buys each basket (by a 64-bit digest of its items and units: two
        // baskets sharing a digest would only share a popularity), and purchases in all.
        let (popularity, total) = (0..v.visit_id.len() as u32)
            .into_par_iter()
            .filter(|&x| ctx.visit_live[x as usize] && ctx.is_pharmacy_visit(x))
            .fold(
                || (FxHashMap::<u64, u64>::default(), 0u64, Vec::new()),
                |(mut m, n, mut basket), x| {
                    // One buffer per worker, not a basket allocated per purchase.
                    fill_basket(ctx, x, &mut basket);
                    *m.entry(digest(&basket)).or_default() += 1;
                    (m, n + 1, basket)
                },
            )
            .map(|(m, n, _)| (m, n))
            .reduce(
                || (FxHashMap::default(), 0),
                |(mut a, n), (b, k)| {
                    for (basket, c) in b {
                        *a.entry(basket).or_default() += c;
                    }
                    (a, n + k)
                },
            );
        let days = f64::from(ctx.days_covered());
        ctx.per_provider(|provider, visits, out| {
            let s = swipes(ctx, visits);
            if s.len() < self.0.min_cards.min(self.0.min_cards_single) {
                return;
            }
            let share = s.len() as f64 / total.max(1) as f64;
            let mut keyed: Vec<(Days, Vec<(u32, i64)>, u32, u32)> = s
                .iter()
                .map(|&x| (day_of(v.settle[x as usize]), basket_of(ctx, x), v.patient[x as usize], x))
                .filter(|k| !k.1.is_empty())
                .collect();
            keyed.sort_unstable();
            for group in keyed.chunk_by(|a, b| (a.0, &a.1) == (b.0, &b.1)) {
                let mut cards: Vec<u32> = group.iter().map(|g| g.2).collect();
                cards.dedup();
                let need = if group[0].1.len() > 1 {
                    self.0.min_cards
                } else {
                    self.0.min_cards_single
                };
                if cards.len() < need.max(2) {
                    continue;
                }
                // The basket's rate from every other purchase of it (this group left out).
                let elsewhere = popularity[&digest(&group[0].1)].saturating_sub(group.len() as u64);
                let expected = elsewhere as f64 * share / days;
                let p = Poisson::new(expected.max(1e-12))
                    .map(|d| d.sf(cards.len() as u64 - 1))
                    .unwrap_or(1.0);
                if p > self.0.max_p {
                    continue;
                }
                let purchases: Vec<u32> = group.iter().map(|g| g.3).collect();
                let amount: Fen = purchases.iter().map(|&x| ctx.insured_paid(x)).sum();
                // Named in item-code order (not dictionary order, which follows the input's rows).
                let mut items: Vec<&(u32, i64)> = group[0].1.iter().collect();
                items.sort_by_key(|(item, _)| ctx.dump.dicts.items.get(*item));
                let basket: Vec<String> = items
                    .iter()
                    .map(|(item, q)| format!("{} x{}", ctx.item_label(*item), fmt::qty(*q)))
                    .collect();
                let day = fmt::day(group[0].0);
                let ev = Evidence::new(
                    format!(
                        "{day} {} 张不同社保卡购买完全相同的药品组合（{}），统筹及个人账户支付 {} 元",
                        cards.len(),
                        fmt::list(&basket, 4, "、"),
                        fmt::money(amount)
                    ),
                    format!(
                        "On {day}, {} different cards bought the identical basket ({}); fund and account paid {} yuan",
                        cards.len(),
                        fmt::list(&basket, 4, ", "),
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Provider(provider), ev)
                        .provider(provider)
                        .lines(lines_of(ctx, &purchases), amount)
                        .severity(INFO.severity + 0.02 * (cards.len() - need) as f64)
                        .p(p),
                );
            }
        })
    }
}
