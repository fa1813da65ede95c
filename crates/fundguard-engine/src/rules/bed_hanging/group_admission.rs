//! bed_hanging.group_admission — 组团住院: neighbours admitted and discharged together.

use fundguard_model::{day_of, Days, Fen, Table, NONE, NULL_TIME};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use statrs::distribution::{DiscreteCDF, Poisson};

use crate::rule::ensure;
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::icd;
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "bed_hanging.group_admission",
    family: Family::BedHanging,
    baseline: "bed_hanging.4",
    name_zh: "组团住院",
    name_en: "Group admissions",
    flags: "A provider admitting at least 5 patients from the same region on the same day with \
            the same main diagnosis, discharged within one day of each other, more than its own \
            volume explains: the group's size must be improbable (Poisson tail at most `max_p`) \
            given how many such patients the provider admits per day and how often its stays' \
            lengths fall within one discharge window. 'Same diagnosis' is \
            the 3-character ICD-10 category by default, or the chapter (`same_diagnosis = \
            \"chapter\"`, the looser baseline).",
    why:
        "Recruited 'patients' (often elderly villagers bussed in, 组团住院) are admitted and sent \
          home as a batch; genuine illness does not arrive and resolve in step.",
    amount: "The fund payments of the stays in the group.",
    example: "Six residents of district 110105 admitted to one hospital on 03-07 with J44.1, \
              discharged 03-15 and 03-16: fires on the hospital. Six admissions the same day with \
              six different illnesses do not.",
    severity: 0.75,
    needs: &[Table::Patients],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "min_patients",
            doc: "Fewest patients in a group.",
        },
        ParamDoc {
            name: "max_p",
            doc: "Largest Poisson tail probability of the group's size given the provider's daily \
                  admissions of that region and diagnosis and its length-of-stay spread. Without \
                  it a busy hospital's ordinary days look like groups: on a generated \
                  1,000,000-person month the size test alone flags 25 honest hospitals.",
        },
        ParamDoc {
            name: "same_diagnosis",
            doc: "`category` (3-character ICD-10, e.g. J44) or `chapter` (e.g. J00-J99). On a \
                  generated 1,000,000-person month, chapter matching flags 121 honest hospitals \
                  whose busy days happen to bring five pneumonia and COPD patients from one \
                  district; category matching flags none and finds the same injected groups.",
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
    pub same_diagnosis: Granularity,
    pub discharge_within_days: u32,
    pub max_p: f64,
}

/// How alike two diagnoses must be to count as the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Category,
    Chapter,
}

impl Granularity {
    /// A number standing for the diagnosis at this granularity.
    fn key(self, code: &str) -> Option<u32> {
        let chapter = icd::chapter(code)?;
        Some(match self {
            Granularity::Chapter => u32::from(chapter),
            Granularity::Category => {
                let b = icd::category(code).as_bytes();
                (u32::from(b[0].to_ascii_uppercase()) << 16)
                    | (u32::from(b[1]) << 8)
                    | u32::from(b[2])
            }
        })
    }

    fn show(self, key: u32) -> String {
        match self {
            Granularity::Chapter => format!("ICD-10 chapter {key}"),
            Granularity::Category => key
                .to_be_bytes()
                .iter()
                .skip(1)
                .map(|&b| char::from(b))
                .collect(),
        }
    }
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_patients: 5,
            same_diagnosis: Granularity::Category,
            discharge_within_days: 1,
            max_p: 1e-6,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        ensure(self.min_patients >= 2, || {
            "rules.bed_hanging.group_admission.min_patients must be at least 2".into()
        })?;
        ensure(self.max_p > 0.0 && self.max_p <= 1.0, || {
            "rules.bed_hanging.group_admission.max_p must be within (0, 1]".into()
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
            // (admit day, region, diagnosis, discharge day, patient, stay)
            let mut stays: Vec<(Days, u32, u32, Days, u32, u32)> = ctx
                .stays(visits)
                .filter_map(|s| {
                    let si = s as usize;
                    let row = ctx.patient_row[v.patient[si] as usize];
                    let region = if row == NONE {
                        NONE
                    } else {
                        patients.region[row as usize]
                    };
                    let diagnosis = dicts
                        .diagnoses
                        .get_opt(v.main_diag[si])
                        .and_then(|d| self.0.same_diagnosis.key(d));
                    // A stay still open has no discharge day to be grouped by.
                    (region != NONE && v.discharge[si] != NULL_TIME).then_some(())?;
                    Some((
                        day_of(v.admit[si]),
                        region,
                        diagnosis?,
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
            // The provider's admissions per (region, diagnosis) and its stays' length spread: the
            // share of stays whose length falls in the commonest window of `spread + 1` days.
            let mut per_kind: FxHashMap<(u32, u32), usize> = FxHashMap::default();
            let mut los: Vec<Days> = Vec::with_capacity(stays.len());
            // Admissions are counted over the period the dump covers: a stay admitted before it
            // (still open, or discharged in it) belongs to an earlier month's admissions.
            let start = day_of(ctx.dump_start);
            for s in stays.iter().filter(|s| s.0 >= start) {
                *per_kind.entry((s.1, s.2)).or_default() += 1;
            }
            for s in &stays {
                los.push(s.3 - s.0);
            }
            los.sort_unstable();
            let mut in_window = 0;
            let mut lo = 0;
            for hi in 0..los.len() {
                while los[hi] - los[lo] > spread {
                    lo += 1;
                }
                in_window = in_window.max(hi + 1 - lo);
            }
            let q = in_window as f64 / los.len() as f64;
            let days = f64::from(ctx.days_covered());
            for group in stays.chunk_by(|a, b| (a.0, a.1, a.2) == (b.0, b.1, b.2)) {
                if group.len() < min || group[0].0 < start {
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
                let expected = per_kind[&(group[0].1, group[0].2)] as f64 / days * q;
                let p = Poisson::new(expected.max(1e-12))
                    .map(|d| d.sf(people.len() as u64 - 1))
                    .unwrap_or(1.0);
                if p > self.0.max_p {
                    continue;
                }
                let amount: Fen = best.iter().map(|s| Fen(v.fund_paid[s.5 as usize])).sum();
                let (day, region) = (best[0].0, dicts.regions.get(best[0].1));
                let diagnosis = self.0.same_diagnosis.show(best[0].2);
                let (first, last) = (best[0].3, best[best.len() - 1].3);
                let ev = Evidence::new(
                    format!(
                        "{} 同日收治 {} 名来自 {region} 的参保人（主诊断同为 {diagnosis}），出院日 {}..{}（按该院同类收治量预期 {expected:.2} 人，泊松尾概率 {p:.1e}），基金支付 {} 元",
                        fmt::day(day),
                        people.len(),
                        fmt::day(first),
                        fmt::day(last),
                        fmt::money(amount)
                    ),
                    format!(
                        "On {} admitted {} patients from region {region} with the same main diagnosis ({diagnosis}), discharged {}..{} (expected {expected:.2} from its usual admissions, Poisson tail {p:.1e}); fund paid {} yuan",
                        fmt::day(day),
                        people.len(),
                        fmt::day(first),
                        fmt::day(last),
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Provider(provider), ev)
                        .provider(provider)
                        .amount(amount)
                        .severity(INFO.severity + 0.02 * (-p.log10() - 5.0).max(0.0))
                        .p(p),
                );
            }
        })
    }
}
