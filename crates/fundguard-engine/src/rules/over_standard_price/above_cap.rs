//! over_standard_price.above_cap — unit prices above the catalog's price cap.

use fundguard_model::{div_round, Scaled, Table, NULL_I64, PRICE_SCALE, Fen, cmp_times};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::rule::ensure;
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "over_standard_price.above_cap",
    family: Family::OverStandardPrice,
    baseline: "over_standard_price",
    name_zh: "超标准收费",
    name_en: "Price above the cap",
    flags: "Lines whose unit price exceeds the catalog's price_cap for the item (by more than \
            `tolerance`, a share of the cap), one hit per provider and item with every such \
            line.",
    why: "Prices of services are set by the price authority; charging above them takes money \
          the schedule does not allow, on every unit billed.",
    amount: "(unit price − cap) × quantity over those lines.",
    example: "彩色多普勒超声检查 capped at 150.00 billed at 187.50 on 40 lines by one hospital: \
              fires once for the hospital and item, 1,500.00 at risk. Billed at the cap it does \
              not.",
    severity: 0.6,
    needs: &[Table::Catalog],
    rulebase: &[],
    params: &[ParamDoc {
        name: "tolerance",
        doc: "Share above the cap still accepted (rounding, local surcharges); 0 = none.",
    }],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub tolerance: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params { tolerance: 0.0 }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        ensure((0.0..=1.0).contains(&self.tolerance), || {
            "over_standard_price.above_cap.tolerance must be within 0-1".into()
        })
    }
}

pub struct AboveCap(pub Params);

impl Rule for AboveCap {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let Some(cat) = ctx.dump.catalog.as_ref() else {
            return Vec::new();
        };
        let l = &ctx.dump.lines;
        let cap = |item: u32| {
            ctx.catalog_entry(item)
                .map(|r| cat.price_cap[r])
                .filter(|c| *c != NULL_I64 && *c > 0)
        };
        let tolerance = self.0.tolerance;
        // Lines priced above their cap are few: find them in one pass over the line table, then
        // group them by provider and item.
        let mut above: Vec<(u32, u32, u32)> = ctx.fold_live_lines(
            Vec::new,
            |acc, x, v| {
                let i = x as usize;
                let Some(c) = cap(l.item[i]) else {
                    return;
                };
                if cmp_times(i128::from(l.unit_price[i]), i128::from(c), 1.0 + tolerance).is_gt() {
                    acc.push((ctx.dump.visits.provider[v as usize], l.item[i], x));
                }
            },
            |mut a, mut b| {
                a.append(&mut b);
                a
            },
        );
        above.sort_unstable();
        let mut hits = Vec::new();
        for group in above.chunk_by(|a, b| a.0 == b.0) {
            let provider = group[0].0;
            let out = &mut hits;
            // item → (lines, amount, highest price)
            let mut by_item: FxHashMap<u32, (Vec<u32>, Fen, i64)> = FxHashMap::default();
            for &(_, item, x) in group {
                let i = x as usize;
                let c = cap(item).expect("capped");
                let price = l.unit_price[i];
                let over = div_round(
                    i128::from(price - c) * i128::from(ctx.net_qty[i]),
                    100_000_000,
                ) as i64;
                let e = by_item.entry(item).or_default();
                e.0.push(x);
                e.1 += Fen(over).min(ctx.money(x));
                e.2 = e.2.max(price);
            }
            let mut items: Vec<_> = by_item.into_iter().collect();
            items.sort_unstable_by_key(|(item, _)| *item);
            for (item, (lines, amount, top)) in items {
                let c = cap(item).expect("capped");
                let name = ctx.item_label(item);
                let price = |p: i64| {
                    let s = Scaled(p, PRICE_SCALE).to_string();
                    let s = s.trim_end_matches('0');
                    s.strip_suffix('.').unwrap_or(s).to_string()
                };
                let ev = Evidence::new(
                    format!(
                        "{name} 限价 {} 元，本机构 {} 条明细按最高 {} 元计价，超标准收费 {} 元",
                        price(c),
                        lines.len(),
                        price(top),
                        fmt::money(amount)
                    ),
                    format!(
                        "{name} is capped at {} yuan; {} lines billed at up to {} yuan, {} yuan above the cap",
                        price(c),
                        lines.len(),
                        price(top),
                        fmt::money(amount)
                    ),
                );
                let severity =
                    (INFO.severity + 0.1 * (top as f64 / c as f64 - 1.0) * 4.0).min(0.95);
                out.push(
                    Hit::new(&INFO, Subject::Provider(provider), ev)
                        .provider(provider)
                        .lines(lines, amount)
                        .severity(severity),
                );
            }
        }
        hits
    }
}
