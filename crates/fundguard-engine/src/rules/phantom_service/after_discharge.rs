//! phantom_service.after_discharge — items charged to a stay after the patient went home.

use fundguard_model::{day_of, VisitType, NULL_TIME};
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "phantom_service.after_discharge",
    family: Family::PhantomService,
    baseline: "phantom_service.1",
    name_zh: "出院后仍有收费",
    name_en: "Charges after discharge",
    flags: "Lines of an inpatient stay charged on a calendar day after the discharge day: \
            results, examinations and take-home drugs (`late_categories`) are accepted for \
            `grace_days` more days, as hospitals post them late; bed, nursing, treatment and \
            other care after discharge fires from the next day.",
    why: "Nothing can be given to a patient who has left; care dated after discharge is a \
          service that never happened, or another person's care billed to this stay.",
    amount: "The lines charged after the discharge day (and its grace).",
    example: "Discharged 03-10 10:00; bed and nursing fees on 03-11, or a CT on 03-14: fires. \
              A blood test posted 03-11 and omeprazole to take home billed 03-10 15:00 do not.",
    severity: 0.8,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "grace_days",
            doc: "Days after the discharge day on which late categories are still accepted.",
        },
        ParamDoc {
            name: "late_categories",
            doc: "Charge categories posted late in honest billing: examinations, tests, drugs.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub grace_days: u32,
    pub late_categories: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            grace_days: 2,
            late_categories: ["03", "04", "09", "10", "11"].map(String::from).to_vec(),
        }
    }
}

pub struct AfterDischarge(pub Params);

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        crate::rule::check_categories("phantom_service.after_discharge", "late_categories", &self.late_categories)
    }
}

impl Rule for AfterDischarge {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        let late_categories = crate::rule::categories(&self.0.late_categories);
        ctx.per_visit(|visit, lines, out| {
            let i = visit as usize;
            if v.visit_type[i] != VisitType::Inpatient || v.discharge[i] == NULL_TIME {
                return;
            }
            let out_day = day_of(v.discharge[i]);
            let grace = self.0.grace_days as i32;
            let late: Vec<u32> = lines
                .iter()
                .copied()
                .filter(|&x| {
                    let posted_late = late_categories.contains(&ctx.dump.lines.category[x as usize]);
                    let last = if posted_late { out_day + grace } else { out_day };
                    ctx.live(x) && ctx.line_day(x) > last
                })
                .collect();
            if late.is_empty() {
                return;
            }
            let amount = ctx.money_sum(&late);
            let names: Vec<String> = late.iter().map(|&x| ctx.line_label(x)).collect();
            let ev = Evidence::new(
                format!(
                    "住院于 {} 出院，出院后仍计费 {} 项（{}），费用 {} 元",
                    fmt::time(v.discharge[i]),
                    late.len(),
                    fmt::list(&names, 4, "；"),
                    fmt::money(amount)
                ),
                format!(
                    "Discharged {}, yet {} items were charged afterwards ({}); {} yuan",
                    fmt::time(v.discharge[i]),
                    late.len(),
                    fmt::list(&names, 4, "; "),
                    fmt::money(amount)
                ),
            );
            out.push(
                Hit::new(&INFO, Subject::Visit(visit), ev)
                    .in_visit(v, visit)
                    .lines(late, amount),
            );
        })
    }
}
