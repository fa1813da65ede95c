//! card_pooling.identical_baskets — one basket bought on many cards in a day.

use fundguard_model::{day_of, Days, Fen};
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
            cards at one pharmacy on one day (`min_cards_single` when the basket is one item).",
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
    pub min_cards_single: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_cards: 5,
            min_cards_single: 10,
        }
    }
}

pub struct IdenticalBaskets(pub Params);

impl RuleParams for Params {}

impl Rule for IdenticalBaskets {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        ctx.per_provider(|provider, visits, out| {
            let s = swipes(ctx, visits);
            if s.len() < self.0.min_cards.min(self.0.min_cards_single) {
                return;
            }
            let mut keyed: Vec<(Days, Vec<(u32, i64)>, u32, u32)> = s
                .iter()
                .map(|&x| {
                    let mut basket: Vec<(u32, i64)> = ctx
                        .live_lines(x)
                        .map(|y| (l.item[y as usize], ctx.net_qty[y as usize]))
                        .collect();
                    basket.sort_unstable();
                    (day_of(v.settle[x as usize]), basket, v.patient[x as usize], x)
                })
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
                        .severity(INFO.severity + 0.02 * (cards.len() - need) as f64),
                );
            }
        })
    }
}
