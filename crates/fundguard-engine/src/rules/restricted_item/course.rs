//! restricted_item.course — drugs paid for at most a number of days (national batch 6).

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
    id: "restricted_item.course",
    family: Family::RestrictedItem,
    baseline: "restricted_item (batch 6)",
    name_zh: "超限定支付疗程",
    name_en: "Beyond the paid course",
    flags:
        "Drugs the national batch-6 table (限定支付疗程) pays for at most N days, billed to one \
            patient on days N or more after the first day of the course (across providers). A \
            gap of more than `new_course_after_days` without the drug starts a new course.",
    why: "Courses such as 14 days of ozagrel after an acute stroke are what the fund pays for; \
          billing beyond them charges the fund for treatment it does not cover, or for doses \
          never given.",
    amount: "The lines billed beyond the paid course.",
    example: "奥扎格雷钠注射液 (14 days) billed daily 03-01..03-18: fires for 03-15..03-18. The \
              same drug for ten days does not.",
    severity: 0.5,
    needs: &[],
    rulebase: &[RuleBaseNeed::Required("b6_drug_payment_course")],
    params: &[ParamDoc {
        name: "new_course_after_days",
        doc: "Days without the drug after which billing it again starts a new course.",
    }],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub new_course_after_days: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            new_course_after_days: 60,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        ensure(self.new_course_after_days > 0, || {
            "restricted_item.course.new_course_after_days must be positive".into()
        })
    }
}

pub struct Course(pub Params);

impl Rule for Course {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let limits = limits_in_dump(ctx, |l| matches!(l, Limit::CourseDays(_)));
        if limits.is_empty() {
            return Vec::new();
        }
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        let restart = self.0.new_course_after_days as i32;
        ctx.per_patient(|patient, visits, out| {
            let mut lines: Vec<(u32, i32, u32)> = ctx
                .live_lines_of(visits)
                .filter(|&x| limits.contains_key(&l.item[x as usize]))
                .map(|x| (l.item[x as usize], ctx.line_day(x), x))
                .collect();
            if lines.is_empty() {
                return;
            }
            lines.sort_unstable();
            for run in lines.chunk_by(|a, b| a.0 == b.0) {
                let Limit::CourseDays(days) = *limits[&run[0].0] else {
                    continue;
                };
                let (mut start, mut last) = (run[0].1, run[0].1);
                let mut beyond = Vec::new();
                let mut first_beyond = None;
                for &(_, day, x) in run {
                    if day - last > restart {
                        start = day;
                    }
                    last = day;
                    if day - start >= days {
                        beyond.push(x);
                        first_beyond.get_or_insert((start, day));
                    }
                }
                let Some((start, from)) = first_beyond else {
                    continue;
                };
                let amount = ctx.money_sum(&beyond);
                let name = ctx.item_label(run[0].0);
                let mut billed_days: Vec<i32> = run.iter().map(|r| r.1).collect();
                billed_days.dedup();
                let ev = Evidence::new(
                    format!(
                        "{name} 限定支付 {days} 天，自 {} 起计费 {} 天，第 {} 天（{}）起超出疗程，超出部分 {} 元",
                        fmt::day(start),
                        billed_days.len(),
                        from - start + 1,
                        fmt::day(from),
                        fmt::money(amount)
                    ),
                    format!(
                        "{name} is paid for at most {days} days; billed on {} days from {}, beyond the course from day {} ({}); {} yuan beyond",
                        billed_days.len(),
                        fmt::day(start),
                        from - start + 1,
                        fmt::day(from),
                        fmt::money(amount)
                    ),
                );
                let visit = l.visit[beyond[0] as usize];
                out.push(
                    Hit::new(&INFO, Subject::Visit(visit), ev)
                        .in_visit(v, visit)
                        .patient(patient)
                        .lines(beyond, amount),
                );
            }
        })
    }
}
