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
    flags: "Lines of an inpatient stay charged on a calendar day after the discharge day (plus \
            `grace_days`). Take-home drugs billed on the discharge day are normal and do not \
            fire.",
    why: "Nothing can be given to a patient who has left; charges dated after discharge are \
          services that never happened, or another person's care billed to this stay.",
    amount: "The lines charged after the discharge day.",
    example: "Discharged 03-10 10:00; a CT on 03-12 and ceftriaxone on 03-13 billed to the stay: \
              fires for both. Omeprazole to take home billed 03-10 15:00 does not.",
    severity: 0.8,
    needs: &[],
    rulebase: &[],
    params: &[ParamDoc {
        name: "grace_days",
        doc: "Days after the discharge day on which charges are still accepted (late posting).",
    }],
};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub grace_days: u32,
}

pub struct AfterDischarge(pub Params);

impl RuleParams for Params {}

impl Rule for AfterDischarge {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        ctx.per_visit(|visit, lines, out| {
            let i = visit as usize;
            if v.visit_type[i] != VisitType::Inpatient || v.discharge[i] == NULL_TIME {
                return;
            }
            let last = day_of(v.discharge[i]) + self.0.grace_days as i32;
            let late: Vec<u32> = lines
                .iter()
                .copied()
                .filter(|&x| ctx.live(x) && ctx.line_day(x) > last)
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
