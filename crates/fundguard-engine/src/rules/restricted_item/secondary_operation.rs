//! restricted_item.secondary_operation — a second operation through the same incision billed at
//! full price (national batch 2).

use fundguard_model::{cmp_times, div_round, Fen, NULL_I64};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::limits::limits_in_dump;
use crate::rule::ensure;
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleBaseNeed, RuleInfo};
use fundguard_rulebase::Limit;
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "restricted_item.secondary_operation",
    family: Family::RestrictedItem,
    baseline: "restricted_item (batch 2)",
    name_zh: "主次手术未折价",
    name_en: "Second operation at full price",
    flags: "Two or more operations of one national batch-2 group (限定主次操作, e.g. 胃肠手术组) \
            billed in one visit on the same day: the most expensive is the primary operation; \
            each further one must be charged at a discount, and fires when its unit price is \
            above `max_share` of its full price (catalog price_cap, else the highest price the \
            dump bills for it).",
    why: "Operations through the same incision share the opening, anaesthesia and closure; the \
          price schedule charges the second and later ones at a fraction (typically half). \
          Billing each at full price overcharges the fund.",
    amount: "For each such operation, its charge minus `expected_share` of its full price.",
    example: "食管癌根治+结肠代食管术 then 食管胃吻合口狭窄切开成形术 an hour later, both at full \
              price: fires for the second, half of its charge at risk. The second billed at half \
              price does not.",
    severity: 0.55,
    needs: &[],
    rulebase: &[RuleBaseNeed::Required("b2_item_primary_secondary")],
    params: &[
        ParamDoc {
            name: "max_share",
            doc: "Highest share of its full price a secondary operation may be billed at.",
        },
        ParamDoc {
            name: "expected_share",
            doc: "Share of its full price a secondary operation should be billed at (the amount \
                  at risk is what exceeds it).",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub max_share: f64,
    pub expected_share: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_share: 0.75,
            expected_share: 0.5,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        ensure(
            (0.0..=1.0).contains(&self.expected_share)
                && (self.expected_share..=1.0).contains(&self.max_share),
            || {
                "restricted_item.secondary_operation: need 0 <= expected_share <= max_share <= 1"
                    .into()
            },
        )
    }
}

pub struct SecondaryOperation(pub Params);

impl Rule for SecondaryOperation {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let limits = limits_in_dump(ctx, |l| matches!(l, Limit::OperationGroup(_)));
        if limits.is_empty() {
            return Vec::new();
        }
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        // Full price: the catalog cap, else the highest price billed in the dump.
        let mut full: FxHashMap<u32, i64> = FxHashMap::default();
        for (i, &item) in l.item.iter().enumerate() {
            if limits.contains_key(&item) && l.quantity[i] > 0 {
                let p = full.entry(item).or_insert(0);
                *p = (*p).max(l.unit_price[i]);
            }
        }
        if let Some(c) = &ctx.dump.catalog {
            for (item, price) in full.iter_mut() {
                if let Some(row) = ctx.catalog_entry(*item) {
                    if c.price_cap[row] != NULL_I64 {
                        *price = c.price_cap[row];
                    }
                }
            }
        }
        let (max_share, expected) = (self.0.max_share, self.0.expected_share);
        ctx.per_visit(|visit, lines, out| {
            let mut ops: Vec<(&str, i32, i64, &str, u32)> = lines
                .iter()
                .copied()
                .filter(|&x| ctx.live(x))
                .filter_map(|x| match limits.get(&l.item[x as usize]) {
                    Some(Limit::OperationGroup(g)) => Some((
                        g.as_str(),
                        ctx.line_day(x),
                        -full[&l.item[x as usize]],
                        ctx.line_id(x),
                        x,
                    )),
                    _ => None,
                })
                .collect();
            if ops.len() < 2 {
                return;
            }
            ops.sort_unstable();
            for group in ops.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
                if group.len() < 2 {
                    continue;
                }
                let primary = group[0].4;
                let mut found = Vec::new();
                let mut amount = Fen::ZERO;
                let mut names = Vec::new();
                for &(_, _, neg_full, _, x) in &group[1..] {
                    let price = l.unit_price[x as usize];
                    let full_price = -neg_full;
                    if full_price <= 0
                        || cmp_times(i128::from(price), i128::from(full_price), max_share).is_le()
                    {
                        continue;
                    }
                    let money = ctx.money(x);
                    let due = div_round(
                        i128::from(money.0) * i128::from((expected * 10_000.0).round() as i64)
                            * i128::from(full_price),
                        i128::from(price) * 10_000,
                    ) as i64;
                    amount += Fen((money.0 - due).clamp(0, money.0));
                    found.push(x);
                    names.push(ctx.item_label(l.item[x as usize]).to_string());
                }
                if found.is_empty() {
                    continue;
                }
                let group_name = group[0].0;
                let main = ctx.item_label(l.item[primary as usize]);
                let share = (expected * 100.0).round();
                let ev = Evidence::new(
                    format!(
                        "{} 同一次手术（{group_name}）中，主手术 {main} 之外的 {} 按全价计收，未按 {share}% 折价，多收约 {} 元",
                        fmt::date_of(l.charge_time[primary as usize]),
                        fmt::list(&names, 3, "、"),
                        fmt::money(amount)
                    ),
                    format!(
                        "On {}, besides the primary operation {main}, {} of the same group ({group_name}) billed at full price instead of {share}%; about {} yuan overcharged",
                        fmt::date_of(l.charge_time[primary as usize]),
                        fmt::list(&names, 3, ", "),
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Visit(visit), ev)
                        .in_visit(v, visit)
                        .lines(found, amount),
                );
            }
        })
    }
}
