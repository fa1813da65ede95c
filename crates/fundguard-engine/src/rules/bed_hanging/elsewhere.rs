//! bed_hanging.elsewhere — settlements at other providers during an inpatient stay.

use fundguard_model::{category, day_of, Days};
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "bed_hanging.elsewhere",
    family: Family::BedHanging,
    baseline: "bed_hanging.1",
    name_zh: "住院期间他处结算",
    name_en: "Settlements elsewhere during a stay",
    flags: "An inpatient stay during which the same card settled outpatient or pharmacy visits at \
            another provider strictly between the admission day and the discharge day.",
    why:
        "A patient buying medicine across town on day 5 of a stay was not in the bed the fund paid \
          for that day: the classic trace of 挂床住院, a bed kept for billing while the patient is \
          at home or at work.",
    amount: "The stay's bed (01) and nursing (07) charges on the days of those settlements; when \
             the stay has none on those days, its total pro rata by days.",
    example: "Admitted 03-02, discharged 03-14; an outpatient visit at a clinic on 03-05 and a \
              pharmacy purchase on 03-06 fire, for the bed and nursing fees of 03-05 and 03-06. \
              A purchase on the morning of 03-02 does not (not strictly inside the stay).",
    severity: 0.8,
    needs: &[],
    rulebase: &[],
    params: &[ParamDoc {
        name: "min_settlements",
        doc: "Settlements at other providers during one stay needed to fire.",
    }],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_settlements: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params { min_settlements: 1 }
    }
}

pub struct Elsewhere(pub Params);

impl RuleParams for Params {}

impl Rule for Elsewhere {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        ctx.per_patient(|_, visits, out| {
            let others = ctx.desk_visits(visits);
            if others.is_empty() {
                return;
            }
            for stay in ctx.stays(visits) {
                let s = stay as usize;
                let (a, d) = (day_of(v.admit[s]), day_of(ctx.visit_end(stay)));
                let inside: Vec<u32> = ctx
                    .settled_inside(stay, &others)
                    .filter(|&o| v.provider[o as usize] != v.provider[s])
                    .collect();
                if inside.len() < self.0.min_settlements.max(1) {
                    continue;
                }
                let mut days: Vec<Days> =
                    inside.iter().map(|&o| day_of(v.settle[o as usize])).collect();
                days.sort_unstable();
                days.dedup();
                let lines: Vec<u32> = ctx
                    .live_lines(stay)
                    .filter(|&l| {
                        matches!(
                            ctx.dump.lines.category[l as usize],
                            category::BED | category::NURSING
                        ) && days.contains(&ctx.line_day(l))
                    })
                    .collect();
                let mut amount = ctx.money_sum(&lines);
                if lines.is_empty() {
                    let total = ctx.visit_money(stay);
                    amount = total.mul_div(days.len() as i64, i64::from((d - a).max(1)));
                }
                let places: Vec<String> = inside
                    .iter()
                    .map(|&o| ctx.visit_label(o, v.settle[o as usize]))
                    .collect();
                let span = format!("{}..{}", fmt::day(a), fmt::day(d));
                let ev = Evidence::new(
                    format!(
                        "住院 {span} 期间 {} 次在其他机构门诊/药店结算（{}），涉及床位/护理费 {} 元",
                        inside.len(),
                        fmt::list(&places, 4, "；"),
                        fmt::money(amount)
                    ),
                    format!(
                        "During the stay {span}, {} settlements at other providers ({}); bed and nursing fees of {} yuan on those days",
                        inside.len(),
                        fmt::list(&places, 4, "; "),
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Visit(stay), ev)
                        .in_visit(v, stay)
                        .lines(lines, amount)
                        .severity(INFO.severity + 0.05 * (inside.len() as f64 - 1.0)),
                );
            }
        })
    }
}
