//! split_admission.readmission — readmitted to the same provider for the same illness soon after
//! discharge.

use fundguard_model::{day_of, Fen, NULL_TIME};
use serde::{Deserialize, Serialize};

use crate::rule::ensure;
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::icd;
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "split_admission.readmission",
    family: Family::SplitAdmission,
    baseline: "split_admission",
    name_zh: "分解住院",
    name_en: "Split admission",
    flags: "An inpatient stay that starts within `max_gap_days` days of the same patient's \
            discharge from the same provider, with the same main diagnosis (3-character ICD-10 \
            category). Planned repeat treatment (`planned` prefixes: chemotherapy Z51, dialysis \
            Z49, by default) is left out.",
    why: "Hospitals paid per stay (DRG/DIP) or held to a per-stay cap discharge a patient and \
          readmit them to bill one illness as two stays.",
    amount: "The fund payment of the later stay.",
    example:
        "I63.900 stay 03-01..03-08, readmitted 03-12 with I63.800 at the same hospital: fires \
              on the second stay. Two chemotherapy cycles (Z51.1) ten days apart, or a \
              readmission for pneumonia after gallstones, do not.",
    severity: 0.65,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "max_gap_days",
            doc: "Most calendar days from the discharge day to the readmission day.",
        },
        ParamDoc {
            name: "planned",
            doc: "Diagnosis code prefixes of planned repeat admissions, never flagged.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub max_gap_days: u32,
    pub planned: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_gap_days: 15,
            planned: vec!["Z51".into(), "Z49".into()],
        }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        ensure(self.planned.iter().all(|p| !p.is_empty()), || {
            "split_admission.readmission.planned: empty prefix".into()
        })
    }
}

pub struct Readmission(pub Params);

impl Rule for Readmission {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        let diag = |x: u32| ctx.dump.dicts.diagnoses.get_opt(v.main_diag[x as usize]);
        let planned = |d: &str| self.0.planned.iter().any(|p| d.starts_with(p.as_str()));
        ctx.per_patient(|_, visits, out| {
            let stays: Vec<u32> = ctx.stays(visits).collect();
            for w in stays.windows(2) {
                let (first, second) = (w[0], w[1]);
                let (a, b) = (first as usize, second as usize);
                if v.provider[a] != v.provider[b] || v.discharge[a] == NULL_TIME {
                    continue;
                }
                let (Some(da), Some(db)) = (diag(first), diag(second)) else {
                    continue;
                };
                if planned(da) || planned(db) || icd::category(da) != icd::category(db) {
                    continue;
                }
                let gap = day_of(v.admit[b]) - day_of(v.discharge[a]);
                if gap < 0 || gap > self.0.max_gap_days as i32 || v.admit[b] < v.discharge[a] {
                    continue;
                }
                let amount = Fen(v.fund_paid[b]);
                let p = ctx.provider_id(v.provider[b]);
                let ev = Evidence::new(
                    format!(
                        "在 {p} 于 {} 出院（{da}）后 {gap} 天再次入院（{} {db}），同一诊断 {}；再次住院统筹支付 {} 元",
                        fmt::date_of(v.discharge[a]),
                        fmt::date_of(v.admit[b]),
                        icd::category(db),
                        fmt::money(amount)
                    ),
                    format!(
                        "Discharged from {p} on {} ({da}) and readmitted {gap} days later ({} {db}) with the same diagnosis {}; the fund paid {} yuan for the second stay",
                        fmt::date_of(v.discharge[a]),
                        fmt::date_of(v.admit[b]),
                        icd::category(db),
                        fmt::money(amount)
                    ),
                );
                let lines: Vec<u32> = ctx.live_lines(second).collect();
                out.push(
                    Hit::new(&INFO, Subject::Visit(second), ev)
                        .in_visit(v, second)
                        .lines(lines, amount),
                );
            }
        })
    }
}
