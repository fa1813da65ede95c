//! impersonation.after_death — care settled on a card after its holder died.

use fundguard_model::{day_of, Table, NULL_DATE};

use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, RuleInfo};
use crate::fmt;
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "impersonation.after_death",
    family: Family::Impersonation,
    baseline: "impersonation.1",
    name_zh: "死亡后就医",
    name_en: "Care after death",
    flags:
        "Visits of a patient that begin after the patient's death_date (patients table). A stay \
            that began before the death and ends on the day of death is not one.",
    why: "A dead person's card in use means someone else is using it, or the provider billed \
          care that never happened. Services after death are counted here once, not again under \
          phantom_service.",
    amount: "Everything still billed in those visits.",
    example: "Holder died 03-04; an outpatient visit on 03-10 and a pharmacy purchase on 03-13: \
              fires once for the patient with both visits. A patient who died in hospital on the \
              day of discharge does not.",
    severity: 0.95,
    needs: &[Table::Patients],
    rulebase: &[],
    params: &[],
};

/// The rule has no parameters.
pub type Params = crate::rule::NoParams;

pub struct AfterDeath(pub Params);


impl Rule for AfterDeath {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let Some(people) = ctx.dump.patients.as_ref() else {
            return Vec::new();
        };
        let v = &ctx.dump.visits;
        ctx.per_patient(|patient, visits, out| {
            let Some(row) = ctx.person(patient) else {
                return;
            };
            let death = people.death[row];
            if death == NULL_DATE {
                return;
            }
            let after: Vec<u32> = visits
                .iter()
                .copied()
                .filter(|&x| ctx.visit_live[x as usize] && day_of(v.admit[x as usize]) > death)
                .collect();
            let Some(&first) = after.first() else {
                return;
            };
            let lines: Vec<u32> = ctx.live_lines_of(&after).collect();
            let amount = ctx.money_sum(&lines);
            let places: Vec<String> = after
                .iter()
                .map(|&x| ctx.visit_label(x, v.admit[x as usize]))
                .collect();
            let ev = Evidence::new(
                format!(
                    "参保人已于 {} 死亡，其后仍有 {} 次就医结算（{}），费用 {} 元",
                    fmt::day(death),
                    after.len(),
                    fmt::list(&places, 5, "；"),
                    fmt::money(amount)
                ),
                format!(
                    "The holder died on {}, yet the card settled {} visits afterwards ({}); {} yuan billed",
                    fmt::day(death),
                    after.len(),
                    fmt::list(&places, 5, "; "),
                    fmt::money(amount)
                ),
            );
            out.push(
                Hit::new(&INFO, Subject::Patient(patient), ev)
                    .in_visit(v, first)
                    .lines(lines, amount),
            );
        })
    }
}
