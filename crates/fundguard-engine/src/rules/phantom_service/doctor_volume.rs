//! phantom_service.doctor_volume — a doctor seeing more patients in a day than is possible.

use fundguard_model::{day_of, NONE};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::rule::ensure;
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "phantom_service.doctor_volume",
    family: Family::PhantomService,
    baseline: "phantom_service.2",
    name_zh: "医师日接诊量异常",
    name_en: "Implausible daily volume of a doctor",
    flags: "A doctor (visit doctor_id) recorded on the visits of more than `max_patients_per_day` \
            distinct patients on one calendar day (by visit start), across providers.",
    why: "A doctor cannot examine 130 people in a working day; beyond that volume, visits are \
          fabricated under the doctor's code (or the code is shared).",
    amount: "The visits beyond the limit (the day's last ones, by start time): what they billed.",
    example: "130 outpatients of doctor D017 on 03-09, one every four minutes: fires for the 30 \
              beyond 100. A busy doctor with 50 does not.",
    severity: 0.7,
    needs: &[],
    rulebase: &[],
    params: &[ParamDoc {
        name: "max_patients_per_day",
        doc: "Most distinct patients a doctor can see in a day. National workload surveys put a \
              busy outpatient day at 50-80; 100 leaves room for short follow-ups.",
    }],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub max_patients_per_day: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_patients_per_day: 100,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        ensure(self.max_patients_per_day > 0, || {
            "phantom_service.doctor_volume.max_patients_per_day must be positive".into()
        })
    }
}

pub struct DoctorVolume(pub Params);

impl Rule for DoctorVolume {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        let max = self.0.max_patients_per_day as usize;
        // (doctor, day, admit, visit id, visit) of every live visit with a doctor: a day's
        // visits by admission, equal times by id.
        let mut seen: Vec<(u32, i32, i64, &str, u32)> = (0..v.doctor.len() as u32)
            .into_par_iter()
            .filter(|&x| v.doctor[x as usize] != NONE && ctx.visit_live[x as usize])
            .map(|x| {
                let i = x as usize;
                (v.doctor[i], day_of(v.admit[i]), v.admit[i], ctx.visit_id(x), x)
            })
            .collect();
        seen.par_sort_unstable();
        let days: Vec<&[(u32, i32, i64, &str, u32)]> = seen
            .chunk_by(|a, b| a.0 == b.0 && a.1 == b.1)
            .filter(|d| d.len() > max)
            .collect();
        days.into_par_iter()
            .filter_map(|day| {
                let mut patients: Vec<u32> = day.iter().map(|d| v.patient[d.4 as usize]).collect();
                patients.sort_unstable();
                patients.dedup();
                if patients.len() <= max {
                    return None;
                }
                // The visits of patients beyond the first `max` seen that day.
                let mut counted = Vec::new();
                let mut beyond = Vec::new();
                for d in day {
                    let p = v.patient[d.4 as usize];
                    if counted.contains(&p) {
                        continue;
                    }
                    if counted.len() < max {
                        counted.push(p);
                    } else {
                        beyond.push(d.4);
                    }
                }
                let lines: Vec<u32> = ctx.live_lines_of(&beyond).collect();
                let amount = ctx.money_sum(&lines);
                let mut providers: Vec<u32> = day.iter().map(|d| v.provider[d.4 as usize]).collect();
                providers.sort_unstable();
                // Where most of the day's visits were; equal counts: the first provider by id.
                let provider = providers
                    .chunk_by(|a, b| a == b)
                    .max_by_key(|c| (c.len(), std::cmp::Reverse(ctx.provider_id(c[0]))))
                    .map(|c| c[0])
                    .unwrap_or(NONE);
                let (first, last) = (day[0].2, day[day.len() - 1].2);
                let n = patients.len();
                let minutes = (last - first) / 60;
                let doctor = ctx.dump.dicts.doctors.get(day[0].0);
                let ev = Evidence::new(
                    format!(
                        "医师 {doctor} 于 {} 接诊 {n} 名参保人（{}–{}，约 {minutes} 分钟），超过每日 {max} 人的合理上限；超出部分费用 {} 元",
                        fmt::date_of(first),
                        fmt::clock(first),
                        fmt::clock(last),
                        fmt::money(amount)
                    ),
                    format!(
                        "Doctor {doctor} saw {n} patients on {} ({}–{}, about {minutes} minutes), above the plausible {max} a day; {} yuan billed beyond it",
                        fmt::date_of(first),
                        fmt::clock(first),
                        fmt::clock(last),
                        fmt::money(amount)
                    ),
                );
                let severity = (INFO.severity + 0.2 * (n as f64 / max as f64 - 1.0)).min(0.95);
                Some(
                    Hit::new(&INFO, Subject::Doctor(day[0].0), ev)
                        .provider(provider)
                        .lines(lines, amount)
                        .severity(severity),
                )
            })
            .collect()
    }
}
