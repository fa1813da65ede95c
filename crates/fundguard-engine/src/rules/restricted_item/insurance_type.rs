//! restricted_item.insurance_type — drugs paid only by one insurance (national batch 3).

use std::collections::BTreeMap;

use fundguard_model::NONE;
use serde::{Deserialize, Serialize};

use super::limits::{limits_in_dump, per_visit_violations};
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, ParamDoc, RuleBaseNeed, RuleInfo};
use fundguard_rulebase::Limit;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "restricted_item.insurance_type",
    family: Family::RestrictedItem,
    baseline: "restricted_item (batch 3)",
    name_zh: "限定保险类型",
    name_en: "Wrong insurance",
    flags: "Drugs the national batch-3 table (限定保险类型) pays for only under one insurance \
            (工伤 work injury, 生育 maternity) settled on a visit of another insurance type (visit \
            insurance_type not among the codes configured for that insurance). Visits without an \
            insurance_type are not judged.",
    why: "Work-injury drugs are paid by the work-injury fund; charged to basic medical insurance \
          they move the cost onto the wrong fund.",
    amount: "The restricted lines.",
    example: "疤痕止痒软化膏 (工伤 only) on an employee's basic insurance (310) visit: fires.",
    severity: 0.5,
    needs: &[],
    rulebase: &[RuleBaseNeed::Required("b3_drug_insurance_type")],
    params: &[ParamDoc {
        name: "codes",
        doc: "insutype codes under which each restricted insurance pays, by the table's name for \
              it. Work-injury insurance is not settled as a medical-insurance type nationally, \
              so 工伤 has none by default (any insured visit fires); 生育 is 510. A bureau that \
              settles work injury on the platform adds its local code.",
    }],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub codes: BTreeMap<String, Vec<String>>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            codes: BTreeMap::from([
                ("工伤".to_string(), Vec::new()),
                ("生育".to_string(), vec!["510".to_string()]),
            ]),
        }
    }
}

pub struct InsuranceType(pub Params);

impl RuleParams for Params {}

impl Rule for InsuranceType {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let limits = limits_in_dump(ctx, |l| matches!(l, Limit::InsuranceType(_)));
        let v = &ctx.dump.visits;
        per_visit_violations(ctx, &INFO, &limits, |visit, limit| {
            let Limit::InsuranceType(want) = limit else {
                return None;
            };
            let code = v.insurance_type[visit as usize];
            if code == NONE {
                return None;
            }
            let got = ctx.dump.dicts.codes.get(code);
            let allowed = self
                .0
                .codes
                .get(want)
                .is_some_and(|c| c.iter().any(|c| c == got));
            (!allowed).then(|| {
                (
                    format!("限{want}保险，本次险种 {got}"),
                    format!("{want} insurance only, settled under insurance type {got}"),
                )
            })
        })
    }
}
