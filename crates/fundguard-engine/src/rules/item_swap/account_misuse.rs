//! item_swap.account_misuse — personal-account money spent on what the account may not buy: a
//! pharmacy letting many cards pay for items outside the catalogue from their personal accounts
//! (扩大个人账户刷卡范围、个人账户购买生活用品).

use fundguard_model::{Fen, Table, NONE};
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::fmt;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::rule::{ensure, Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "item_swap.account_misuse",
    family: Family::ItemSwap,
    baseline: "item_swap (personal account paying for uncatalogued items)",
    name_zh: "个人账户超范围支付",
    name_en: "Personal account paying for uncatalogued items",
    flags: "A pharmacy where at least `min_cards` cards had their personal account pay for items \
            outside the catalogue (any category: goods booked as what they are, not disguised as \
            drugs). On a purchase, the account paid for such items when the account paid more \
            than the catalogued lines cost: the part of the account payment beyond them, at most \
            the uncatalogued lines' money less the cash paid. Purchases whose payments do not add \
            up to the total (a missing cash column) are left out. Only purchases where that part \
            reaches `min_yuan` count.",
    why: "Since the 2021 reform (国办发〔2021〕14号) the personal account pays the holder's and his \
          family's medical costs only; pharmacies that let it buy protein powder, shampoo or gift \
          boxes (生活用品、保健品) turn the fund into a shopping card (药店\"九不准\": 不准为参保人员\
          串换药品、刷卡购买生活用品).",
    amount: "The account money that paid for uncatalogued items, summed over those purchases.",
    example: "A pharmacy where six employees' cards paid 128.00 for protein powder from their \
              accounts: fires. A pharmacy selling the same powder to 40 customers who pay cash: \
              quiet.",
    severity: 0.6,
    needs: &[Table::Catalog],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "min_cards",
            doc: "Cards whose account paid for uncatalogued items at one pharmacy in the dump.",
        },
        ParamDoc {
            name: "min_yuan",
            doc: "Least account money on one purchase beyond its catalogued lines for it to count \
                  (rounding and small co-payment differences stay out).",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_cards: usize,
    pub min_yuan: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_cards: 3,
            min_yuan: 5,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(self.min_cards >= 1, || format!("{rule}: need min_cards >= 1"))
    }
}

pub struct AccountMisuse(pub Params);

impl Rule for AccountMisuse {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        if ctx.dump.catalog.is_none() {
            return Vec::new();
        }
        let least = Fen(i64::from(self.0.min_yuan) * 100);
        ctx.per_provider(|provider, visits, out| {
            let mut cards: Vec<u32> = Vec::new();
            let mut lines: Vec<u32> = Vec::new();
            let mut names: Vec<&str> = Vec::new();
            let mut money = Fen::ZERO;
            for &x in visits {
                let i = x as usize;
                if !ctx.visit_live[i] || !ctx.is_pharmacy_visit(x) {
                    continue;
                }
                let (account, cash, fund, total) =
                    (v.account_paid[i], v.cash_paid[i], v.fund_paid[i], v.total[i]);
                // Payments that do not add up (a column missing: the fund then reads as the
                // total, cash as 0) say nothing about what the account paid for.
                if account <= 0 || fund + account + cash != total {
                    continue;
                }
                let (mut listed, mut unlisted) = (Fen::ZERO, Fen::ZERO);
                let mut odd = Vec::new();
                for y in ctx.live_lines(x) {
                    if ctx.catalog_row[l.item[y as usize] as usize] == NONE {
                        unlisted += ctx.money(y);
                        odd.push(y);
                    } else {
                        listed += ctx.money(y);
                    }
                }
                if odd.is_empty() {
                    continue;
                }
                let beyond = Fen(account) - listed;
                let uncovered = unlisted - Fen(cash);
                let paid = if beyond < uncovered { beyond } else { uncovered };
                if paid < least {
                    continue;
                }
                money += paid;
                cards.push(v.patient[i]);
                names.extend(odd.iter().map(|&y| ctx.item_label(l.item[y as usize])));
                lines.extend(odd);
            }
            cards.sort_unstable();
            cards.dedup();
            if cards.len() < self.0.min_cards {
                return;
            }
            names.sort_unstable();
            names.dedup();
            let ev = Evidence::new(
                format!(
                    "{} 张卡以个人账户支付目录外项目（{}），账户支付约 {} 元",
                    cards.len(),
                    fmt::list(&names, 3, "、"),
                    fmt::money(money)
                ),
                format!(
                    "{} cards paid for items outside the catalogue ({}) from their personal \
                     accounts, about {} yuan of account money",
                    cards.len(),
                    fmt::list(&names, 3, ", "),
                    fmt::money(money)
                ),
            );
            out.push(
                Hit::new(&INFO, Subject::Provider(provider), ev)
                    .provider(provider)
                    .lines(lines, money),
            );
        })
    }
}
