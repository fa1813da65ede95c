//! duplicate_charge.daily_cap — more units of an item in a day than it may be billed.

use fundguard_model::{category, opt_i64, Days, NULL_I64, QTY_SCALE, Fen};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleBaseNeed, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "duplicate_charge.daily_cap",
    family: Family::DuplicateCharge,
    baseline: "duplicate_charge.2",
    name_zh: "超每日限量计费",
    name_en: "Above the per-day cap",
    flags: "An item billed to one patient on one calendar day (across all visits) in more units \
            than its cap: the catalog's max_per_day, the national frequency table (batch 8, \
            when the rule base is given) and, for bed fees without a cap, one per day.",
    why: "Daily items such as the bed fee, nursing grade or inpatient consultation are paid once \
          per day; a second unit the same day is a duplicate charge.",
    amount: "The units over the cap times their price, taken from the day's last lines.",
    example: "普通病房床位费 (cap 1) billed twice on 03-05, 03-06 and 03-07 fires for three bed \
              fees. A bed fee billed, reversed and billed again the same day does not.",
    severity: 0.65,
    needs: &[],
    rulebase: &[RuleBaseNeed::Optional("b8_item_frequency")],
    params: &[ParamDoc {
        name: "bed_fee_cap",
        doc: "Units per day for bed fees (category 01) with no other cap; 0 = no such cap.",
    }],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub bed_fee_cap: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params { bed_fee_cap: 1 }
    }
}

pub struct DailyCap(pub Params);

impl RuleParams for Params {}

/// Units allowed per patient per day for each item code (scale 4), [`NULL_I64`] when none: the
/// smallest of the catalog's `max_per_day` and the national frequency table's (batch 8).
pub(crate) fn daily_caps(ctx: &Ctx<'_>) -> Vec<i64> {
    let mut caps = vec![NULL_I64; ctx.dump.dicts.items.len()];
    let mut tighten = |item: u32, cap: i64| {
        let c = &mut caps[item as usize];
        *c = if *c == NULL_I64 { cap } else { (*c).min(cap) };
    };
    if let Some(c) = &ctx.dump.catalog {
        for (i, &item) in c.item.iter().enumerate() {
            if let Some(cap) = opt_i64(c.max_per_day[i]) {
                tighten(item, cap);
            }
        }
    }
    if let Some(freq) = ctx.rulebase.and_then(|rb| rb.frequency.as_ref()) {
        for f in freq {
            if let Some(item) = ctx.item_code(&f.code) {
                tighten(item, f.max);
            }
        }
    }
    caps
}

impl Rule for DailyCap {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let caps = daily_caps(ctx);
        let bed_cap = i64::from(self.0.bed_fee_cap) * 10i64.pow(QTY_SCALE);
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        let cap_of = |line: u32| {
            let i = line as usize;
            match caps[l.item[i] as usize] {
                NULL_I64 if bed_cap > 0 && l.category[i] == category::BED => bed_cap,
                c => c,
            }
        };
        ctx.per_patient(|_, visits, out| {
            let mut capped: Vec<(u32, Days, i64, u32)> = ctx.live_lines_of(visits)
                .filter(|&x| cap_of(x) != NULL_I64)
                .map(|x| {
                    let i = x as usize;
                    (l.item[i], ctx.line_day(x), l.charge_time[i], x)
                })
                .collect();
            if capped.len() < 2 {
                return;
            }
            // Within a day, lines in time order; simultaneous lines (two stays billing the same
            // bed fee at 08:00) by their visit's admission, then by id — never by row number, so
            // which line is the excess one does not depend on the input's row order.
            capped.sort_unstable_by(|a, b| {
                let key = |t: &(u32, Days, i64, u32)| {
                    let x = t.3 as usize;
                    let visit = l.visit[x] as usize;
                    (t.0, t.1, t.2, v.admit[visit])
                };
                key(a).cmp(&key(b)).then_with(|| {
                    let id = |t: &(u32, Days, i64, u32)| {
                        let x = t.3 as usize;
                        (
                            v.visit_id.get(l.visit[x] as usize),
                            l.line_id.get(x),
                        )
                    };
                    id(a).cmp(&id(b))
                })
            });
            // (visit, item) -> (excess lines, units over, days)
            let mut over: FxHashMap<(u32, u32), (Vec<u32>, i64, Vec<(Days, i64)>, Fen)> =
                FxHashMap::default();
            for day in capped.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
                let cap = cap_of(day[0].3);
                let total: i64 = day.iter().map(|d| ctx.net_qty[d.3 as usize]).sum();
                if total <= cap {
                    continue;
                }
                let mut cum = 0;
                for &(item, d, _, x) in day {
                    let q = ctx.net_qty[x as usize];
                    let excess = (cum + q - cap).clamp(0, q);
                    cum += q;
                    if excess == 0 {
                        continue;
                    }
                    let e = over
                        .entry((l.visit[x as usize], item))
                        .or_insert_with(|| (Vec::new(), 0, Vec::new(), Fen::ZERO));
                    e.0.push(x);
                    e.1 += excess;
                    e.3 += ctx.money_of_units(x, excess);
                    if e.2.last().map(|p| p.0) != Some(d) {
                        e.2.push((d, total));
                    }
                }
            }
            let mut found: Vec<_> = over.into_iter().collect();
            found.sort_unstable_by_key(|(k, _)| *k);
            for ((visit, item), (lines, units, days, amount)) in found {
                let cap = cap_of(lines[0]);
                let name = ctx.item_label(item);
                let per_day: Vec<String> = days
                    .iter()
                    .map(|(d, q)| format!("{} {}", fmt::day(*d), fmt::qty(*q)))
                    .collect();
                let units = fmt::qty(units);
                let cap_s = fmt::qty(cap);
                let ev = Evidence::new(
                    format!(
                        "{name} 每日限 {cap_s}，在 {} 天超量（{}），超出 {units}，金额 {} 元",
                        days.len(),
                        fmt::list(&per_day, 4, "，"),
                        fmt::money(amount)
                    ),
                    format!(
                        "{name} (cap {cap_s} a day) exceeded on {} days ({}), {units} units over, {} yuan",
                        days.len(),
                        fmt::list(&per_day, 4, ", "),
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Visit(visit), ev)
                        .in_visit(v, visit)
                        .lines(lines, amount),
                );
            }
        })
    }
}
