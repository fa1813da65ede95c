//! item_swap.disguised_goods — pharmacy goods settled as drugs.

use fundguard_model::{category, day_of, Fen};
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "item_swap.disguised_goods",
    family: Family::ItemSwap,
    baseline: "item_swap.3",
    name_zh: "药店串换非医保商品",
    name_en: "Goods settled as drugs",
    flags: "A pharmacy settling, on several cards, drug lines whose code is not in the catalog \
            (when the catalog table is given), or one round basket total (by default a multiple \
            of 100.00) recurring on many cards.",
    why: "Pharmacies let cards pay for cosmetics, food or household goods by booking them as \
          drugs; the goods have no catalogue code, and the 'basket' is whatever adds up to the \
          customer's round budget.",
    amount: "The lines not in the catalog, and the baskets with round totals.",
    example:
        "A pharmacy settles 保湿面霜 (code not in the catalogue) as a western drug on 12 cards \
              at exactly 200.00 each: fires. Two ordinary purchases that happen to total 100.00 do \
              not.",
    severity: 0.7,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "min_cards_uncatalogued",
            doc: "Cards with uncatalogued drug lines at one pharmacy in the dump to fire.",
        },
        ParamDoc {
            name: "round_yuan",
            doc: "A basket total that is a multiple of this many yuan is round; 0 turns the round \
                  test off.",
        },
        ParamDoc {
            name: "min_cards_round",
            doc: "Cards paying the same round total at one pharmacy in the dump to fire. Round \
                  totals as such are common at a busy pharmacy (on a generated 1,000,000-person \
                  month some pharmacies have five); the same one on many cards is not.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_cards_uncatalogued: usize,
    pub round_yuan: u32,
    pub min_cards_round: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_cards_uncatalogued: 3,
            round_yuan: 100,
            min_cards_round: 5,
        }
    }
}

pub struct DisguisedGoods(pub Params);

impl RuleParams for Params {}

impl Rule for DisguisedGoods {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        let has_catalog = ctx.dump.catalog.is_some();
        let round = i64::from(self.0.round_yuan) * 100;
        ctx.per_provider(|provider, visits, out| {
            let mut odd_lines = Vec::new();
            let mut odd_cards = Vec::new();
            // round total -> (lines, cards, days)
            let mut rounds: rustc_hash::FxHashMap<
                i64,
                (Vec<u32>, Vec<u32>, Vec<fundguard_model::Days>),
            > = Default::default();
            for &x in visits {
                if !ctx.visit_live[x as usize] || !ctx.is_pharmacy_visit(x) {
                    continue;
                }
                let lines: Vec<u32> = ctx.live_lines(x).collect();
                let patient = v.patient[x as usize];
                if has_catalog {
                    let odd: Vec<u32> = lines
                        .iter()
                        .copied()
                        .filter(|&y| {
                            let i = y as usize;
                            category::is_drug(l.category[i])
                                && ctx.catalog_row[l.item[i] as usize] == fundguard_model::NONE
                        })
                        .collect();
                    if !odd.is_empty() {
                        odd_lines.extend(odd);
                        odd_cards.push(patient);
                    }
                }
                let total = ctx.money_sum(&lines);
                if round > 0 && total.0 > 0 && total.0 % round == 0 {
                    let r = rounds.entry(total.0).or_default();
                    r.0.extend_from_slice(&lines);
                    r.1.push(patient);
                    r.2.push(day_of(v.settle[x as usize]));
                }
            }
            odd_cards.sort_unstable();
            odd_cards.dedup();
            // The round total paid on the most cards.
            let mut best: Option<(i64, Vec<u32>, Vec<u32>, Vec<fundguard_model::Days>)> = None;
            for (total, (lines, mut cards, days)) in rounds {
                cards.sort_unstable();
                cards.dedup();
                let better = best
                    .as_ref()
                    .is_none_or(|b| (cards.len(), total) > (b.2.len(), b.0));
                if cards.len() >= self.0.min_cards_round.max(2) && better {
                    best = Some((total, lines, cards, days));
                }
            }
            let odd = odd_cards.len() >= self.0.min_cards_uncatalogued.max(1);
            if !odd && best.is_none() {
                return;
            }
            let mut lines = Vec::new();
            let (mut zh, mut en) = (Vec::new(), Vec::new());
            if odd {
                let mut names: Vec<&str> = odd_lines
                    .iter()
                    .map(|&y| ctx.item_label(l.item[y as usize]))
                    .collect();
                names.sort_unstable();
                names.dedup();
                let money = ctx.money_sum(&odd_lines);
                zh.push(format!(
                    "{} 张卡以药品结算目录外项目（{}）{} 元",
                    odd_cards.len(),
                    fmt::list(&names, 3, "、"),
                    fmt::money(money)
                ));
                en.push(format!(
                    "{} cards settled items outside the drug catalogue as drugs ({}), {} yuan",
                    odd_cards.len(),
                    fmt::list(&names, 3, ", "),
                    fmt::money(money)
                ));
                lines.extend(odd_lines);
            }
            let rounds = best.is_some();
            if let Some((total, round_lines, round_cards, mut round_days)) = best {
                round_days.sort_unstable();
                round_days.dedup();
                let money = ctx.money_sum(&round_lines);
                zh.push(format!(
                    "{} 张卡在 {} 天内各结算整 {} 元的购药金额，合计 {} 元",
                    round_cards.len(),
                    round_days.len(),
                    fmt::money(Fen(total)),
                    fmt::money(money)
                ));
                en.push(format!(
                    "{} cards on {} days each paid a basket of exactly {} yuan, {} yuan in all",
                    round_cards.len(),
                    round_days.len(),
                    fmt::money(Fen(total)),
                    fmt::money(money)
                ));
                lines.extend(round_lines);
            }
            lines.sort_unstable();
            lines.dedup();
            let amount = ctx.money_sum(&lines);
            out.push(
                Hit::new(
                    &INFO,
                    Subject::Provider(provider),
                    Evidence::new(zh.join("；"), en.join("; ")),
                )
                .provider(provider)
                .lines(lines, amount)
                .severity(INFO.severity + if odd && rounds { 0.15 } else { 0.0 }),
            );
        })
    }
}
