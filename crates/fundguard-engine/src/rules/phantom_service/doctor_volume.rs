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
    flags: "A doctor (visit doctor_id) recorded on the visits of more distinct patients on one \
            calendar day (by visit start) than the doctor's own days explain: at least \
            `min_patients` and more than `own_factor` times the doctor's usual day (the median \
            of the doctor's other days, or of the provider's doctor-days when the doctor has \
            fewer than `min_other_days` other days); or above `max_patients_per_day` whatever \
            the doctor's habit.",
    why: "A doctor who usually sees a handful of patients does not see sixty on one day: those \
          visits are fabricated under the doctor's code (or the code is shared). A specialist \
          who sees 130 every working day is busy, not fraudulent; beyond what anyone can see, \
          the visits are invented whatever the habit.",
    amount: "The visits beyond the doctor's usual day (beyond the limit for the absolute cap): \
             what they billed, the day's last ones by start time.",
    example: "A doctor with 1-3 patients a day records 130 on 03-09: fires for the 127 beyond \
              the usual 3. A specialist who sees 120-150 on every working day does not.",
    severity: 0.7,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "max_patients_per_day",
            doc: "Most distinct patients anyone can see in a day, whatever their habit.",
        },
        ParamDoc {
            name: "min_patients",
            doc: "Fewest patients on a day for it to be judged against the doctor's usual day.",
        },
        ParamDoc {
            name: "own_factor",
            doc: "How many times the usual day a day must exceed.",
        },
        ParamDoc {
            name: "min_other_days",
            doc: "Other days a doctor needs for a usual day of their own (else the provider's).",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub max_patients_per_day: u32,
    pub min_patients: u32,
    pub own_factor: f64,
    pub min_other_days: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_patients_per_day: 250,
            min_patients: 40,
            own_factor: 4.0,
            min_other_days: 3,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        ensure(
            self.max_patients_per_day > 0 && self.min_patients > 0 && self.own_factor >= 1.0,
            || {
                "phantom_service.doctor_volume: max_patients_per_day and min_patients must be \
                 positive and own_factor at least 1"
                    .into()
            },
        )
    }
}

pub struct DoctorVolume(pub Params);

/// Median of counts (sorts them).
fn median(xs: &mut [usize]) -> f64 {
    xs.sort_unstable();
    match xs.len() {
        0 => 0.0,
        n if n % 2 == 1 => xs[n / 2] as f64,
        n => (xs[n / 2 - 1] + xs[n / 2]) as f64 / 2.0,
    }
}

impl Rule for DoctorVolume {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        let hard = self.0.max_patients_per_day as usize;
        let min = self.0.min_patients as usize;
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
        // Each doctor-day: (doctor, provider where most of its visits were, patients, visits).
        // One buffer for all days, not two vectors per doctor-day.
        let mut days: Vec<(u32, u32, usize, &[(u32, i32, i64, &str, u32)])> = Vec::new();
        let mut buf: Vec<u32> = Vec::new();
        for day in seen.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
            buf.clear();
            buf.extend(day.iter().map(|d| v.provider[d.4 as usize]));
            buf.sort_unstable();
            // Where most of the day's visits were; equal counts: the first provider by id.
            let provider = buf
                .chunk_by(|a, b| a == b)
                .max_by_key(|c| (c.len(), std::cmp::Reverse(ctx.provider_id(c[0]))))
                .map(|c| c[0])
                .unwrap_or(NONE);
            buf.clear();
            buf.extend(day.iter().map(|d| v.patient[d.4 as usize]));
            buf.sort_unstable();
            buf.dedup();
            days.push((day[0].0, provider, buf.len(), day));
        }
        // The provider's usual doctor-day, for doctors without days enough of their own.
        let mut per_provider: rustc_hash::FxHashMap<u32, Vec<usize>> = Default::default();
        for d in &days {
            per_provider.entry(d.1).or_default().push(d.2);
        }
        let peer: rustc_hash::FxHashMap<u32, f64> = per_provider
            .into_iter()
            .map(|(p, mut n)| (p, median(&mut n)))
            .collect();
        days.par_chunk_by(|a, b| a.0 == b.0)
            .flat_map_iter(|doctor_days| {
                let mut found = Vec::new();
                for (k, &(_, provider, n, day)) in doctor_days.iter().enumerate() {
                    if n < min.min(hard + 1) {
                        continue;
                    }
                    let mut others: Vec<usize> = doctor_days
                        .iter()
                        .enumerate()
                        .filter(|&(j, _)| j != k)
                        .map(|(_, d)| d.2)
                        .collect();
                    let usual = if others.len() >= self.0.min_other_days {
                        median(&mut others)
                    } else {
                        peer.get(&provider).copied().unwrap_or(1.0)
                    };
                    let outlier = n as f64 > self.0.own_factor * usual.max(1.0);
                    if n <= hard && !outlier {
                        continue;
                    }
                    let keep = if outlier {
                        usual.ceil() as usize
                    } else {
                        hard
                    };
                    found.push((provider, n, day, keep, usual, outlier));
                }
                found
            })
            .map(|(provider, n, day, keep, usual, outlier)| {
                // The visits of patients beyond the first `keep` seen that day.
                let mut counted = Vec::new();
                let mut beyond = Vec::new();
                for d in day {
                    let p = v.patient[d.4 as usize];
                    if counted.contains(&p) {
                        continue;
                    }
                    if counted.len() < keep {
                        counted.push(p);
                    } else {
                        beyond.push(d.4);
                    }
                }

                let lines: Vec<u32> = ctx.live_lines_of(&beyond).collect();
                let amount = ctx.money_sum(&lines);
                let (first, last) = (day[0].2, day[day.len() - 1].2);
                let minutes = (last - first) / 60;
                let doctor = ctx.dump.dicts.doctors.get(day[0].0);
                let (why_zh, why_en) = if outlier {
                    (
                        format!("该医师平日约接诊 {usual:.0} 人"),
                        format!("the doctor's usual day is about {usual:.0}"),
                    )
                } else {
                    (
                        format!("超过每日 {hard} 人的上限"),
                        format!("above the most anyone sees in a day, {hard}"),
                    )
                };
                let ev = Evidence::new(
                    format!(
                        "医师 {doctor} 于 {} 接诊 {n} 名参保人（{}–{}，约 {minutes} 分钟），{why_zh}；超出部分费用 {} 元",
                        fmt::date_of(first),
                        fmt::clock(first),
                        fmt::clock(last),
                        fmt::money(amount)
                    ),
                    format!(
                        "Doctor {doctor} saw {n} patients on {} ({}–{}, about {minutes} minutes); {why_en}; {} yuan billed beyond it",
                        fmt::date_of(first),
                        fmt::clock(first),
                        fmt::clock(last),
                        fmt::money(amount)
                    ),
                );
                let ratio = n as f64 / (keep.max(1) as f64);
                let severity = (INFO.severity + 0.05 * ratio.log2().max(0.0)).min(0.95);
                Hit::new(&INFO, Subject::Doctor(day[0].0), ev)
                    .provider(provider)
                    .lines(lines, amount)
                    .severity(severity)
            })
            .collect()
    }
}
