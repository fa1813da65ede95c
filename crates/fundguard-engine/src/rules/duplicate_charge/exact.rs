//! duplicate_charge.exact — the same line billed twice in one visit.

use fundguard_model::NULL_I64;
use serde::{Deserialize, Serialize};

use super::daily_cap::daily_caps;

use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "duplicate_charge.exact",
    family: Family::DuplicateCharge,
    baseline: "duplicate_charge.1",
    name_zh: "同一明细重复计费",
    name_en: "Exact duplicate lines",
    flags: "Two or more lines of one visit with the same item, charge time, quantity and unit \
            price, after reversals have cancelled what they reverse, of an item that is provided \
            once at a moment (categories in `once_categories`: bed, consultation, examination, \
            test, surgery, general and registration fees), or whose copies together exceed the \
            units the item allows per day (catalog `max_per_day`, national frequency table). \
            Identical lines of drugs, treatments and materials are ordinary units billed as \
            lines (two injections, two boxes) and do not fire by themselves; nor does a shared \
            timestamp, which many systems give every line of a visit.",
    why: "A service is performed once at a given moment; the copy is money for nothing. Lines \
          that were billed, reversed and billed again are netted first and never count.",
    amount: "Every copy beyond the first (beyond the daily allowance for capped items).",
    example:
        "A CT billed twice at 10:20:00 in one outpatient visit fires for one CT. A CT billed, \
              reversed at 10:30 and billed again at 10:35 does not; nor do two intramuscular \
              injections billed as two identical lines.",
    severity: 0.7,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "min_copies",
            doc: "Identical lines needed to fire (2 = one duplicate).",
        },
        ParamDoc {
            name: "once_categories",
            doc: "Charge categories provided once at a moment: any identical copy is a duplicate.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_copies: usize,
    pub once_categories: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_copies: 2,
            once_categories: ["01", "02", "03", "04", "06", "12", "13"]
                .map(String::from)
                .to_vec(),
        }
    }
}

pub struct Exact(pub Params);

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        crate::rule::check_categories("duplicate_charge.exact", "once_categories", &self.once_categories)
    }
}

impl Rule for Exact {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        let min = self.0.min_copies.max(2);
        let once = crate::rule::categories(&self.0.once_categories);
        let caps = daily_caps(ctx);
        ctx.per_visit(|visit, _, out| {
            let mut lines: Vec<u32> = ctx.live_lines(visit).collect();
            if lines.len() < 2 {
                return;
            }
            let key = |x: u32| {
                let i = x as usize;
                (l.item[i], l.charge_time[i], ctx.net_qty[i], l.unit_price[i])
            };
            // The first copy is the one with the smallest line id, whatever the row order.
            lines.sort_by(|&a, &b| {
                key(a)
                    .cmp(&key(b))
                    .then_with(|| l.line_id.get(a as usize).cmp(l.line_id.get(b as usize)))
            });
            let mut extra = Vec::new();
            let mut what = Vec::new();
            for group in lines.chunk_by(|a, b| key(*a) == key(*b)) {
                let g = group[0] as usize;
                // Copies beyond what may be billed: all but the first of a once-at-a-moment item,
                // else those beyond the item's daily allowance.
                let allowed = if once.contains(&l.category[g]) {
                    1
                } else {
                    match caps[l.item[g] as usize] {
                        NULL_I64 => continue,
                        cap if ctx.net_qty[g] > 0 => (cap / ctx.net_qty[g]).max(1) as usize,
                        _ => continue,
                    }
                };
                if group.len() >= min && group.len() > allowed {
                    extra.extend_from_slice(&group[allowed..]);
                    what.push((
                        ctx.item_label(l.item[g]).to_string(),
                        fmt::time(l.charge_time[g]),
                        group.len(),
                    ));
                }
            }
            if extra.is_empty() {
                return;
            }
            // Evidence in time, then item-name order (groups came in dictionary-code order).
            what.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
            let amount = ctx.money_sum(&extra);
            let zh: Vec<String> = what
                .iter()
                .map(|(item, t, n)| format!("{item} 于 {t} 计费 {n} 次"))
                .collect();
            let en: Vec<String> = what
                .iter()
                .map(|(item, t, n)| format!("{item} billed {n} times at {t}"))
                .collect();
            let ev = Evidence::new(
                format!(
                    "同一次就诊内相同明细重复计费：{}，重复金额 {} 元",
                    fmt::list(&zh, 3, "；"),
                    fmt::money(amount)
                ),
                format!(
                    "Identical lines in one visit: {}; {} yuan in copies",
                    fmt::list(&en, 3, "; "),
                    fmt::money(amount)
                ),
            );
            out.push(
                Hit::new(&INFO, Subject::Visit(visit), ev)
                    .in_visit(v, visit)
                    .lines(extra, amount),
            );
        })
    }
}
