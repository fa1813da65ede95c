//! restricted_item.visit_type — drugs paid only in one kind of visit (national batch 4).

use fundguard_model::VisitType;

use super::limits::{limits_in_dump, per_visit_violations};
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, RuleBaseNeed, RuleInfo};
use fundguard_rulebase::Limit;
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "restricted_item.visit_type",
    family: Family::RestrictedItem,
    baseline: "restricted_item (batch 4)",
    name_zh: "限定就医方式",
    name_en: "Wrong kind of visit",
    flags: "Drugs the national batch-4 table (限定就医方式) pays for only in one kind of visit \
            (住院: inpatient stays) billed in another (outpatient, pharmacy or other).",
    why: "Parenteral nutrition and similar drugs are paid only for inpatients who were screened \
          for nutritional risk; billed to outpatients they are outside the fund's scope.",
    amount: "The restricted lines.",
    example:
        "ω-3甘油三酯…注射液 (住院 only) in an outpatient visit: fires. The same drug on day 2 \
              of a stay does not.",
    severity: 0.55,
    needs: &[],
    rulebase: &[RuleBaseNeed::Required("b4_drug_visit_type")],
    params: &[],
};

/// The rule has no parameters.
pub type Params = crate::rule::NoParams;

pub struct VisitTypeRule(pub Params);


impl Rule for VisitTypeRule {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let limits = limits_in_dump(ctx, |l| matches!(l, Limit::VisitType(_)));
        per_visit_violations(ctx, &INFO, &limits, |visit, limit| {
            let Limit::VisitType(want) = *limit else {
                return None;
            };
            let got = ctx.visit_type(visit);
            (got != want).then(|| {
                let zh = |t: VisitType| match t {
                    VisitType::Inpatient => "住院",
                    VisitType::Outpatient => "门诊",
                    VisitType::Pharmacy => "药店购药",
                    VisitType::Other => "其他",
                };
                (
                    format!("限{}，本次为{}", zh(want), zh(got)),
                    format!(
                        "{} visits only, billed in a visit of type {}",
                        want.as_str(),
                        got.as_str()
                    ),
                )
            })
        })
    }
}
