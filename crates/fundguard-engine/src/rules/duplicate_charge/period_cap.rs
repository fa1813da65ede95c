//! duplicate_charge.period_cap — more of an item within a period than the national table allows
//! (batch 8 疗程周期).

use fundguard_model::{day_of, Fen};
use rustc_hash::FxHashMap;

use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, RuleBaseNeed, RuleInfo};
use crate::fmt;
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "duplicate_charge.period_cap",
    family: Family::DuplicateCharge,
    baseline: "duplicate_charge.4",
    name_zh: "超周期频次计费",
    name_en: "Above the period cap",
    flags: "More units of an item for one patient within a period of days than the national \
            period table (batch 8: 频次上限 per 疗程周期) allows, across all providers.",
    why: "Tests such as HbA1c measure weeks of history; repeating them inside the period adds no \
          information and the fund pays for the repeat.",
    amount: "The units beyond the cap within the period.",
    example:
        "糖化血红蛋白测定 (at most 1 per 15 days) on 03-03 and 03-08 fires for the second test. \
              The same test on 03-01 and 03-21 does not.",
    severity: 0.5,
    needs: &[],
    rulebase: &[RuleBaseNeed::Required("b8_item_period")],
    params: &[],
};

/// The rule has no parameters.
pub type Params = crate::rule::NoParams;

pub struct PeriodCap(pub Params);


/// Units of each line of `run` (one item's lines of a patient, by time) beyond `max` units within
/// any `days` days.
fn beyond_cap(ctx: &Ctx<'_>, run: &[(u32, i64, &str, u32)], max: i64, days: i32) -> Vec<i64> {
    let mut out = Vec::with_capacity(run.len());
    let mut start = 0;
    let mut in_window = 0i64;
    for &(_, t, _, x) in run {
        while day_of(t) - day_of(run[start].1) >= days {
            in_window -= ctx.net_qty[run[start].3 as usize];
            start += 1;
        }
        let q = ctx.net_qty[x as usize];
        out.push((in_window + q - max).clamp(0, q));
        in_window += q;
    }
    out
}

impl Rule for PeriodCap {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let Some(table) = ctx.rulebase.and_then(|rb| rb.period.as_ref()) else {
            return Vec::new();
        };
        // Every row of a code is a limit of its own (at most 1 in 15 days and 2 in 90 days): rows
        // are never merged into a stricter combination that no row states.
        let mut caps: FxHashMap<u32, Vec<(i64, i32)>> = FxHashMap::default();
        for p in table {
            if let Some(item) = ctx.item_code(&p.code) {
                let c = caps.entry(item).or_default();
                c.push((p.max, p.days));
                c.sort_unstable();
                c.dedup();
            }
        }
        if caps.is_empty() {
            return Vec::new();
        }
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        ctx.per_patient(|patient, visits, out| {
            // By item, then time, equal times by id: which line is beyond the cap is the same in
            // any row order.
            let mut lines: Vec<(u32, i64, &str, u32)> = ctx.live_lines_of(visits)
                .filter(|&x| caps.contains_key(&l.item[x as usize]))
                .map(|x| (l.item[x as usize], l.charge_time[x as usize], ctx.line_id(x), x))
                .collect();
            if lines.len() < 2 {
                return;
            }
            lines.sort_unstable();
            for run in lines.chunk_by(|a, b| a.0 == b.0) {
                // Units beyond each limit, per line of the run; a line's excess is its largest.
                let mut excess = vec![0i64; run.len()];
                let mut worst: Option<(i64, i64, i32)> = None;
                for &(max, days) in &caps[&run[0].0] {
                    let beyond = beyond_cap(ctx, run, max, days);
                    let total: i64 = beyond.iter().sum();
                    if total > 0 && worst.is_none_or(|w| total > w.0) {
                        worst = Some((total, max, days));
                    }
                    for (e, b) in excess.iter_mut().zip(beyond) {
                        *e = (*e).max(b);
                    }
                }
                let Some((_, max, days)) = worst else {
                    continue;
                };
                let mut excess_lines = Vec::new();
                let mut amount = Fen::ZERO;
                for (r, &e) in run.iter().zip(&excess) {
                    if e > 0 {
                        excess_lines.push(r.3);
                        amount += ctx.money_of_units(r.3, e);
                    }
                }
                if excess_lines.is_empty() {
                    continue;
                }
                let name = ctx.item_label(run[0].0);
                let dates: Vec<String> = run.iter().map(|r| fmt::date_of(r.1)).collect();
                let cap = fmt::qty(max);
                let visit = l.visit[excess_lines[0] as usize];
                let ev = Evidence::new(
                    format!(
                        "{name} 每 {days} 天限 {cap}，本期计费 {} 次（{}），超出部分 {} 元",
                        run.len(),
                        fmt::list(&dates, 5, "，"),
                        fmt::money(amount)
                    ),
                    format!(
                        "{name} (at most {cap} per {days} days) billed {} times ({}); {} yuan beyond the cap",
                        run.len(),
                        fmt::list(&dates, 5, ", "),
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Patient(patient), ev)
                        .in_visit(v, visit)
                        .lines(excess_lines, amount),
                );
            }
        })
    }
}
