//! cost_shifting.outpatient_desk — an inpatient sent to pay at the same institution's outpatient
//! desk or pharmacy during his stay (不准让参保住院患者到门诊交费).

use fundguard_model::day_of;

use crate::ctx::Ctx;
use crate::fmt;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, RuleInfo};
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "cost_shifting.outpatient_desk",
    family: Family::CostShifting,
    baseline: "cost_shifting (住院期间门诊结算)",
    name_zh: "住院期间本院门诊结算",
    name_en: "Inpatient costs settled at the outpatient desk",
    flags: "Outpatient or pharmacy settlements of an inpatient at the same institution on days \
            strictly inside his stay (after the admission day, before the discharge day; to the \
            dump's end for a stay still open). Settlements on the admission day (the visit that \
            led to the stay) or the discharge day (take-home drugs bought on the way out) are not \
            counted. Settlements at other institutions are bed_hanging.elsewhere's.",
    why: "Drugs and tests of a stay billed as outpatient care escape the stay's DRG/DIP payment \
          and its per-stay limits, and make the patient pay the outpatient share: the campaign's \
          \"不准让参保住院患者到门诊交费\".",
    amount: "Everything still billed in those settlements.",
    example: "Admitted 03-02, discharged 03-12 at H1; outpatient settlements at H1 on 03-05 and \
              03-08 for drugs: fires for both. A pharmacy purchase at H1 on 03-12, the day of \
              discharge: quiet.",
    severity: 0.6,
    needs: &[],
    rulebase: &[],
    params: &[],
};

/// The rule has no parameters.
pub type Params = crate::rule::NoParams;


pub struct OutpatientDesk(pub Params);

impl Rule for OutpatientDesk {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        ctx.per_patient(|_, visits, out| {
            let desk = ctx.desk_visits(visits);
            if desk.is_empty() {
                return;
            }
            for stay in ctx.stays(visits) {
                let s = stay as usize;
                let (a, d) = (day_of(v.admit[s]), day_of(ctx.visit_end(stay)));
                let inside: Vec<u32> = ctx
                    .settled_inside(stay, &desk)
                    .filter(|&o| v.provider[o as usize] == v.provider[s])
                    .collect();
                if inside.is_empty() {
                    continue;
                }
                let lines: Vec<u32> = ctx.live_lines_of(&inside).collect();
                let amount = ctx.money_sum(&lines);
                let when: Vec<String> = inside
                    .iter()
                    .map(|&o| fmt::time(v.settle[o as usize]))
                    .collect();
                let span = format!("{}..{}", fmt::day(a), fmt::day(d));
                let ev = Evidence::new(
                    format!(
                        "住院 {span} 期间在本院门诊/药房结算 {} 次（{}），金额 {} 元",
                        inside.len(),
                        fmt::list(&when, 4, "、"),
                        fmt::money(amount)
                    ),
                    format!(
                        "During the stay {span}, {} outpatient or pharmacy settlements at the same institution ({}); {} yuan",
                        inside.len(),
                        fmt::list(&when, 4, ", "),
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Provider(v.provider[s]), ev)
                        .in_visit(v, stay)
                        .lines(lines, amount),
                );
            }
        })
    }
}
