//! item_swap.inventory — billed more of an item than the provider had in stock (进销存).

use fundguard_model::{category, civil_from_days, day_of, days_from_civil, Days, Table, QTY_SCALE, Fen};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "item_swap.inventory",
    family: Family::ItemSwap,
    baseline: "item_swap.1",
    name_zh: "进销存不符",
    name_en: "Billed beyond stock",
    flags: "A provider whose billed quantity of an item in a month exceeds its opening stock plus \
            purchases for that month by more than the tolerance (needs the purchases table). A \
            drug or material billed by a provider that reports its purchases for the month but \
            has no row at all for the item is billed against a stock of zero: the worst case.",
    why: "What was never bought cannot have been dispensed: the excess was billed under this \
          item's code while something else (cheaper, or nothing) was supplied.",
    amount: "Excess units times the item's average billed unit price.",
    example: "A hospital bills 2,000 boxes of omeprazole in March but had 100 in stock and bought \
              900: fires for 1,000 boxes. One that bought exactly what it billed does not.",
    severity: 0.7,
    needs: &[Table::Purchases],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "tolerance_share",
            doc: "Excess allowed as a share of stock (counting errors, breakage).",
        },
        ParamDoc {
            name: "min_excess_units",
            doc: "Smallest excess in units to fire.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub tolerance_share: f64,
    pub min_excess_units: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            tolerance_share: 0.02,
            min_excess_units: 1.0,
        }
    }
}

pub struct Inventory(pub Params);

impl RuleParams for Params {}

fn month_start(day: Days) -> Days {
    let (y, m, _) = civil_from_days(day);
    days_from_civil(y, m, 1)
}

impl Rule for Inventory {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let Some(p) = &ctx.dump.purchases else {
            return Vec::new();
        };
        let mut stock: FxHashMap<(u32, u32, Days), i64> = FxHashMap::default();
        for i in 0..p.provider.len() {
            *stock
                .entry((p.provider[i], p.item[i], p.month[i]))
                .or_default() += p.opening_qty[i] + p.purchased_qty[i];
        }
        let mut stocked = vec![false; ctx.dump.dicts.items.len()];
        for &item in &p.item {
            stocked[item as usize] = true;
        }
        // Providers that report their stock, by month: what they bill of a drug or material with
        // no purchase row is billed against nothing.
        let reports: FxHashSet<(u32, Days)> = (0..p.provider.len())
            .map(|i| (p.provider[i], p.month[i]))
            .collect();
        // Month of each day the dump covers.
        let first = day_of(ctx.dump_start);
        let months: Vec<Days> = (first..first + ctx.days_covered())
            .map(month_start)
            .collect();
        let month_of = |day: Days| {
            usize::try_from(day - first)
                .ok()
                .and_then(|i| months.get(i).copied())
                .unwrap_or_else(|| month_start(day))
        };
        let l = &ctx.dump.lines;
        // (provider, item, month) -> (billed units, money), in one pass over the line table.
        let billed = ctx.fold_live_lines(
            FxHashMap::<(u32, u32, Days), (i64, Fen)>::default,
            |acc, line, v| {
                let i = line as usize;
                let stockable = stocked[l.item[i] as usize]
                    || category::is_drug(l.category[i])
                    || l.category[i] == category::MATERIAL;
                if !stockable {
                    return;
                }
                let key = (
                    ctx.dump.visits.provider[v as usize],
                    l.item[i],
                    month_of(ctx.line_day(line)),
                );
                if !reports.contains(&(key.0, key.2)) {
                    return;
                }
                let e = acc.entry(key).or_default();
                e.0 += ctx.net_qty[i];
                e.1 += ctx.money(line);
            },
            |mut a, b| {
                for (k, (u, m)) in b {
                    let e = a.entry(k).or_default();
                    e.0 += u;
                    e.1 += m;
                }
                a
            },
        );
        let mut found: Vec<_> = billed.into_iter().collect();
        found.sort_unstable_by_key(|(k, _)| *k);
        let mut out = Vec::new();
        {
            for ((provider, item, month), (units, money)) in found {
                let have = stock.get(&(provider, item, month)).copied().unwrap_or(0);
                let allowed = have + (have as f64 * self.0.tolerance_share) as i64;
                let excess = units - have;
                if units <= allowed
                    || (excess as f64) < self.0.min_excess_units * 10f64.powi(QTY_SCALE as i32)
                {
                    continue;
                }
                let amount = money.mul_div(excess, units);
                let (y, m, _) = civil_from_days(month);
                let name = ctx.item_label(item);
                let (u, h, e) = (fmt::qty(units), fmt::qty(have), fmt::qty(excess));
                let ev = if stock.contains_key(&(provider, item, month)) {
                    Evidence::new(
                        format!(
                            "{y}-{m:02} {name} 结算数量 {u}，期初库存加购进仅 {h}，超出 {e}，金额约 {} 元",
                            fmt::money(amount)
                        ),
                        format!(
                            "{y}-{m:02}: {name} billed {u} units against opening stock plus purchases of {h}; {e} units beyond stock, about {} yuan",
                            fmt::money(amount)
                        ),
                    )
                } else {
                    Evidence::new(
                        format!(
                            "{y}-{m:02} {name} 结算数量 {u}，该机构当月进销存中无此品种的任何期初库存或购进记录，金额 {} 元",
                            fmt::money(amount)
                        ),
                        format!(
                            "{y}-{m:02}: {name} billed {u} units with no opening stock or purchase row for it in the provider's stock records of the month; {} yuan",
                            fmt::money(amount)
                        ),
                    )
                };
                out.push(
                    Hit::new(&INFO, Subject::Provider(provider), ev)
                        .provider(provider)
                        .amount(amount)
                        .severity(INFO.severity + 0.2 * (excess as f64 / units as f64)),
                );
            }
        }
        out
    }
}
