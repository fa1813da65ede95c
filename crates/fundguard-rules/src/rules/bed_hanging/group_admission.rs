//! bed_hanging.group_admission — 组团住院: neighbours admitted and discharged together.

use fundguard_model::{day_of, Days, Table, NONE};
use serde::{Deserialize, Serialize};

use crate::config::ensure;
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::icd;
use crate::registry::{Family, ParamDoc, RuleInfo};
use crate::rules::{fmt, Rule};

pub static INFO: RuleInfo = RuleInfo {
    id: "bed_hanging.group_admission",
    family: Family::BedHanging,
    baseline: "bed_hanging.4",
    name_zh: "组团住院",
    name_en: "Group admissions",
    flags: "A provider admitting at least 5 patients from the same region on the same day with \
            the same diagnosis chapter, discharged within one day of each other.",
    why: "Recruited 'patients' (often elderly villagers bussed in, 组团住院) are admitted and sent \
          home as a batch; genuine illness does not arrive and resolve in step.",
    amount: "The fund payments of the stays in the group.",
    example: "Six residents of district 110105 admitted to one hospital on 03-07 with J44 and J18 \
              (chapter X), discharged 03-15 and 03-16: fires on the hospital. Six admissions the \
              same day with six different illnesses do not.",
    severity: 0.75,
    needs: &[Table::Patients],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "min_patients",
            doc: "Fewest patients in a group.",
        },
        ParamDoc {
            name: "discharge_within_days",
            doc: "Largest spread of discharge days within a group.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_patients: usize,
    pub discharge_within_days: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_patients: 5,
            discharge_within_days: 1,
        }
    }
}

impl Params {
    pub(crate) fn check(&self) -> Result<(), String> {
        ensure(self.min_patients >= 2, || {
            "rules.bed_hanging.group_admission.min_patients must be at least 2".into()
        })
    }
}

pub struct GroupAdmission(pub Params);

impl Rule for GroupAdmission {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let Some(patients) = &ctx.dump.patients else {
            return Vec::new();
        };
        let v = &ctx.dump.visits;
        let dicts = &ctx.dump.dicts;
        let spread = self.0.discharge_within_days as Days;
        let min = self.0.min_patients;
        ctx.per_provider(|provider, visits, out| {
            // (admit day, region, chapter, discharge day, patient, stay)
            let mut stays: Vec<(Days, u32, u8, Days, u32, u32)> = ctx
                .stays(visits)
                .filter_map(|s| {
                    let si = s as usize;
                    let row = ctx.patient_row[v.patient[si] as usize];
                    let region = if row == NONE {
                        NONE
                    } else {
                        patients.region[row as usize]
                    };
                    let chapter = dicts.diagnoses.get_opt(v.main_diag[si]).and_then(icd::chapter);
                    (region != NONE).then_some(())?;
                    Some((
                        day_of(v.admit[si]),
                        region,
                        chapter?,
                        day_of(ctx.visit_end(s)),
                        v.patient[si],
                        s,
                    ))
                })
                .collect();
            if stays.len() < min {
                return;
            }
            stays.sort_unstable();
            for group in stays.chunk_by(|a, b| (a.0, a.1, a.2) == (b.0, b.1, b.2)) {
                if group.len() < min {
                    continue;
                }
                // The widest run of discharge days within the spread (group is sorted by them).
                let mut best: &[_] = &[];
                let mut i = 0;
                for j in 0..group.len() {
                    while group[j].3 - group[i].3 > spread {
                        i += 1;
                    }
                    if j + 1 - i > best.len() {
                        best = &group[i..=j];
                    }
                }
                let mut people: Vec<u32> = best.iter().map(|s| s.4).collect();
                people.dedup();
                if people.len() < min {
                    continue;
                }
                let amount: i64 = best.iter().map(|s| v.fund_paid[s.5 as usize]).sum();
                let (day, region) = (best[0].0, dicts.regions.get(best[0].1));
                let (first, last) = (best[0].3, best[best.len() - 1].3);
                let ev = Evidence::new(
                    format!(
                        "{} 同日收治 {} 名来自 {region} 的参保人（同一疾病章 {}），出院日 {}..{}，基金支付 {} 元",
                        fmt::day(day),
                        people.len(),
                        best[0].2,
                        fmt::day(first),
                        fmt::day(last),
                        fmt::money(amount)
                    ),
                    format!(
                        "On {} admitted {} patients from region {region} with the same ICD-10 chapter {}, discharged {}..{}; fund paid {} yuan",
                        fmt::day(day),
                        people.len(),
                        best[0].2,
                        fmt::day(first),
                        fmt::day(last),
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Provider(provider), ev)
                        .provider(provider)
                        .amount(amount)
                        .severity(INFO.severity + 0.02 * (people.len() - min) as f64),
                );
            }
        })
    }
}
