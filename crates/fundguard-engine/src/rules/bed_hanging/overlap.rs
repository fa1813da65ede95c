//! bed_hanging.overlap — two inpatient stays of one patient at the same time.

use fundguard_model::{day_of, SECONDS_PER_DAY};
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "bed_hanging.overlap",
    family: Family::BedHanging,
    baseline: "bed_hanging.3",
    name_zh: "住院时间重叠",
    name_en: "Overlapping stays",
    flags: "Two inpatient stays of the same patient that overlap by at least a full day (by \
            default 24 hours of admission-to-discharge time).",
    why: "One person cannot lie in two beds: at least one of the two stays is billed for days the \
          patient was elsewhere.",
    amount: "The later stay's charges on the days both stays were open (from its admission day to \
             the day before the earlier stay's discharge day).",
    example: "Stay A 03-01..03-10 at a tertiary hospital, stay B 03-06..03-14 at a primary one: \
              fires on B for its charges of 03-06..03-09. A transfer (discharged 09:00, admitted \
              elsewhere 12:00 the same day) does not.",
    severity: 0.85,
    needs: &[],
    rulebase: &[],
    params: &[ParamDoc {
        name: "min_overlap_hours",
        doc: "Least time both stays are open for the pair to count.",
    }],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_overlap_hours: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_overlap_hours: 24,
        }
    }
}

pub struct Overlap(pub Params);

impl RuleParams for Params {}

impl Rule for Overlap {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        let min = i64::from(self.0.min_overlap_hours) * 3600;
        ctx.per_patient(|_, visits, out| {
            let stays: Vec<u32> = ctx.stays(visits).collect();
            for (j, &later) in stays.iter().enumerate().skip(1) {
                let start = v.admit[later as usize];
                // The earlier stay overlapping this one the most (equal overlaps: the first by id).
                let best = stays[..j]
                    .iter()
                    .map(|&e| (ctx.visit_end(e).min(ctx.visit_end(later)) - start, e))
                    .filter(|(o, _)| *o >= min)
                    .max_by_key(|&(o, e)| (o, std::cmp::Reverse(ctx.visit_id(e))));
                let Some((seconds, earlier)) = best else {
                    continue;
                };
                let until = day_of(ctx.visit_end(earlier).min(ctx.visit_end(later)));
                let lines: Vec<u32> = ctx
                    .live_lines(later)
                    .filter(|&l| ctx.line_day(l) < until)
                    .collect();
                let amount = ctx.money_sum(&lines);
                let e = earlier as usize;
                let days = seconds / SECONDS_PER_DAY;
                let ev = Evidence::new(
                    format!(
                        "住院 {}..{}（{}）与同一参保人在 {} 的住院 {}..{} 重叠约 {days} 天，重叠期间费用 {} 元",
                        fmt::date_of(start),
                        fmt::date_of(ctx.visit_end(later)),
                        ctx.provider_id(v.provider[later as usize]),
                        ctx.provider_id(v.provider[e]),
                        fmt::date_of(v.admit[e]),
                        fmt::date_of(ctx.visit_end(earlier)),
                        fmt::money(amount)
                    ),
                    format!(
                        "Stay {}..{} at {} overlaps the same patient's stay {}..{} at {} by about {days} days; {} yuan billed in the overlap",
                        fmt::date_of(start),
                        fmt::date_of(ctx.visit_end(later)),
                        ctx.provider_id(v.provider[later as usize]),
                        fmt::date_of(v.admit[e]),
                        fmt::date_of(ctx.visit_end(earlier)),
                        ctx.provider_id(v.provider[e]),
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Visit(later), ev)
                        .in_visit(v, later)
                        .lines(lines, amount),
                );
            }
        })
    }
}
