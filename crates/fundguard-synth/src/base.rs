//! Honest activity of an ordinary insured person in the month: inpatient stays, outpatient visits and
//! pharmacy purchases, with the refunds and reversed-and-rebilled lines real dumps have. Nothing here
//! should fire a rule; where a provider has an injected anomaly (item swapping, inflated stays,
//! over-cap prices) its role changes what it bills.

use fundguard_model::VisitType;

use crate::plan::Roles;
use crate::plan::{Line, Visit, DAY, HOUR, MIN};
use crate::rng::Rng;
use crate::world::{it, Person, World, ORAL_DRUGS};

/// Diagnoses of ordinary stays (ICD-10 医保版), with whether the stroke protocol applies.
const STAY_DIAGNOSES: &[(&str, bool)] = &[
    ("J18.900", false),
    ("I63.900", true),
    ("K80.200", false),
    ("E11.900", false),
    ("I10.x00", false),
    ("S72.000", false),
    ("J44.100", false),
    ("N39.000", false),
];

const OUTPATIENT_DIAGNOSES: &[&str] = &["J06.900", "I10.x00", "E11.900", "K29.700", "M54.500"];

/// A start time on `day` (0-based in the month) between `from` and `to` hours.
fn at(w: &World, r: &mut Rng, day: i32, from: i64, to: i64) -> i64 {
    i64::from(w.m0 + day) * DAY + r.range(from * 60, to * 60 - 1) * MIN + r.range(0, 59)
}

/// Builds an inpatient stay of `los` nights from `day` at hospital `h`.
pub(crate) fn stay(
    w: &World,
    roles: &Roles,
    r: &mut Rng,
    h: usize,
    day: i32,
    los: i32,
    diag: (&'static str, bool),
) -> Visit {
    let admit = at(w, r, day, 8, 20);
    let discharge = i64::from(w.m0 + day + los) * DAY + r.range(9 * 60, 11 * 60) * MIN;
    let mut v = Visit::new(h, VisitType::Inpatient, admit);
    v.discharge = Some(discharge);
    v.diag = Some(diag.0);
    v.doctor = Some(r.below(w.providers[h].doctors.len() as u64) as usize);
    let inflate = roles.inflate[h];
    let level = w.providers[h].level;
    for d in 0..=los {
        let t = i64::from(w.m0 + day + d) * DAY + 8 * HOUR;
        let t = if d == 0 { admit.max(t) } else { t };
        if d < los {
            v.lines.push(Line::new(it::BED, t, 1));
            v.lines.push(Line::new(it::NURSING, t + MIN, 1));
            v.lines.push(Line::new(it::INP_CONSULT, t + 2 * MIN, 1));
            v.lines.push(Line::new(it::INFUSION, t + HOUR, 1));
            v.lines.push(Line::new(it::SALINE, t + HOUR, inflate));
            v.lines.push(Line::new(it::INFUSION_SET, t + HOUR, 1));
            let drug = if diag.1 && d < 10 {
                it::OZAGREL
            } else if r.chance(0.5) {
                it::CEFTRIAXONE
            } else {
                it::OMEPRAZOLE
            };
            v.lines.push(Line::new(drug, t + HOUR, inflate));
            let (oral, per_day) = *r.pick(ORAL_DRUGS);
            if oral != it::CEFIXIME {
                v.lines.push(Line::new(oral, t + 4 * HOUR, per_day));
            }
            if r.chance(0.5) {
                v.lines
                    .push(Line::new(it::CEFTRIAXONE, t + 3 * HOUR, inflate));
            }
            if diag.1 && level != Some(crate::world::LEVEL_PRIMARY) && r.chance(0.3) {
                v.lines.push(Line::new(it::SHENMAI, t + HOUR, inflate));
            }
            if los >= 7 && d == 2 && r.chance(0.2) {
                v.lines.push(Line::new(it::FAT_EMULSION, t + 2 * HOUR, 1));
            }
        }
        if d == 0 {
            v.lines.push(Line::new(it::BLOOD, t + 30 * MIN, 1));
            v.lines.push(Line::new(it::LIVER, t + 30 * MIN, 1));
            let exam = if r.chance(0.3) { it::CT } else { it::XRAY };
            v.lines.push(Line::new(exam, t + 2 * HOUR, 1));
        } else if d % 3 == 0 && d < los {
            v.lines.push(Line::new(it::BLOOD, t + 30 * MIN, 1));
        }
        if d == los {
            v.lines
                .push(Line::new(it::OMEPRAZOLE, discharge - 30 * MIN, 14).supply(7));
        }
    }
    v
}

fn pick_oral(r: &mut Rng, roles: &Roles, provider: usize) -> (usize, i64) {
    let (drug, per_day) = *r.pick(ORAL_DRUGS);
    // Interchangeable cefixime forms: the dispersible tablet is the expensive one.
    if drug == it::CEFIXIME && r.chance(roles.swap_share[provider]) {
        return (it::CEFIXIME_DISP, per_day);
    }
    (drug, per_day)
}

/// An ordinary outpatient visit.
pub(crate) fn outpatient(
    w: &World,
    roles: &Roles,
    r: &mut Rng,
    person: &Person,
    provider: usize,
    day: i32,
) -> Visit {
    let p = &w.providers[provider];
    let hospital = p.beds.is_some();
    let admit = at(w, r, day, 8, 16);
    let mut v = Visit::new(provider, VisitType::Outpatient, admit);
    v.discharge = Some(admit + r.range(20, 60) * MIN);
    v.diag = Some(*r.pick(OUTPATIENT_DIAGNOSES));
    v.doctor = Some(r.below(p.doctors.len() as u64) as usize);
    let t = admit + 5 * MIN;
    v.lines.push(Line::new(it::REGISTRATION, admit, 1));
    v.lines.push(Line::new(
        if hospital {
            it::OUT_CONSULT
        } else {
            it::GENERAL
        },
        t,
        1,
    ));
    if r.chance(0.5) {
        v.lines.push(Line::new(it::BLOOD, t + 10 * MIN, 1));
    }
    if r.chance(0.25) {
        v.lines.push(Line::new(it::LIVER, t + 10 * MIN, 1));
    }
    if hospital && r.chance(0.12) {
        v.lines.push(Line::new(it::XRAY, t + 15 * MIN, 1));
    }
    if hospital && r.chance(0.15) {
        let us = if r.chance(roles.swap_share[provider]) {
            it::US_COLOR
        } else {
            it::US_PLAIN
        };
        let mut l = Line::new(us, t + 15 * MIN, 1);
        if roles.gouge[provider] {
            l.price = l.price * 5 / 4;
        }
        v.lines.push(l);
    }
    if person.age >= 45 && r.chance(0.05) {
        v.lines.push(Line::new(it::HBA1C, t + 10 * MIN, 1));
    }
    if hospital && person.sex == fundguard_model::Sex::Female && person.age >= 20 && r.chance(0.03)
    {
        v.lines.push(Line::new(it::US_VAGINAL, t + 20 * MIN, 1));
    }
    if person.age < 14 && !hospital && r.chance(0.05) {
        v.lines.push(Line::new(it::CHILD_DENTAL, t + 10 * MIN, 1));
    }
    for _ in 0..r.range(1, 3) {
        let (drug, per_day) = pick_oral(r, roles, provider);
        if v.lines.iter().any(|l| l.item == drug) {
            continue;
        }
        let days = r.range(3, 7);
        v.lines
            .push(Line::new(drug, t + 20 * MIN, per_day * days).supply(days));
    }
    // A line billed, reversed and billed again: legitimate, must not count as a duplicate.
    if r.chance(0.01) {
        let l = v.lines[1].clone();
        v.lines.push(l.reversed(l.time + 5 * MIN));
        v.lines.push(Line {
            time: l.time + 10 * MIN,
            ..l
        });
    }
    v
}

/// An ordinary pharmacy purchase on `day`.
pub(crate) fn pharmacy(w: &World, roles: &Roles, r: &mut Rng, provider: usize, day: i32) -> Visit {
    let p = &w.providers[provider];
    let (open, close) = p.open.expect("pharmacies have hours");
    let minute = r.range(i64::from(open) + 20, i64::from(close) - 20);
    let admit = i64::from(w.m0 + day) * DAY + minute * MIN + r.range(0, 59);
    let mut v = Visit::new(provider, VisitType::Pharmacy, admit);
    v.discharge = Some(admit);
    v.terminal = Some(r.below(p.terminals.len() as u64) as usize);
    for _ in 0..r.range(1, 3) {
        let (drug, per_day) = pick_oral(r, roles, provider);
        let days = r.range(5, 15);
        if v.lines.iter().any(|l| l.item == drug) {
            continue;
        }
        v.lines
            .push(Line::new(drug, admit, per_day * days).supply(days));
    }
    v
}

/// The honest month of person `p`.
pub(crate) fn month_of(w: &World, roles: &Roles, p: u32, person: &Person) -> Vec<Visit> {
    let mut r = crate::rng::Rng::new(w.seed, u64::from(p));
    let mut out = Vec::new();
    if person.death.is_some_and(|d| d < w.m0 + w.nd) {
        return out;
    }
    // Days taken by a stay or another visit: one visit a day, none during a stay.
    let mut busy = vec![false; w.nd as usize];
    let p_stay = if person.age >= 60 { 0.16 } else { 0.07 };
    if r.chance(p_stay) {
        let los = r.range(3, 12) as i32;
        let day = r.range(0, i64::from(w.nd - los - 1)) as i32;
        let [hosp, _, _] = &w.by_district[person.district];
        let h = *r.pick(hosp);
        let diag = *r.pick(STAY_DIAGNOSES);
        out.push(stay(w, roles, &mut r, h, day, los, diag));
        for b in &mut busy[day as usize..=(day + los) as usize] {
            *b = true;
        }
    }
    let mut free_day = |r: &mut Rng| -> Option<i32> {
        for _ in 0..8 {
            let d = r.below(w.nd as u64) as usize;
            if !busy[d] {
                busy[d] = true;
                return Some(d as i32);
            }
        }
        None
    };
    let mean_out = if person.age >= 60 { 2.2 } else { 1.4 };
    for _ in 0..r.poisson(mean_out) {
        let Some(day) = free_day(&mut r) else { break };
        let [hosp, clinics, _] = &w.by_district[person.district];
        let provider = if r.chance(0.5) {
            *r.pick(hosp)
        } else {
            *r.pick(clinics)
        };
        out.push(outpatient(w, roles, &mut r, person, provider, day));
    }
    let mean_pharm = if person.age >= 60 {
        2.0
    } else if person.age < 14 {
        0.4
    } else {
        1.2
    };
    let pharmacies = &w.by_district[person.district][2];
    let home = pharmacies[(p as usize) % pharmacies.len()];
    for _ in 0..r.poisson(mean_pharm) {
        let Some(day) = free_day(&mut r) else { break };
        let provider = if r.chance(0.8) {
            home
        } else {
            *r.pick(pharmacies)
        };
        let v = pharmacy(w, roles, &mut r, provider, day);
        // A purchase refunded at the counter: a refund settlement with negated lines.
        let refund = r.chance(0.005).then(|| v.refund_of(20 * MIN));
        out.push(v);
        out.extend(refund);
    }
    out.sort_by_key(|v| v.admit);
    space_period_tests(&mut out);
    pace_supplies(&mut out);
    out
}

/// Keeps honest people from buying a drug while they still hold more than `SLACK` days of it:
/// a later line of the same drug is dropped until the earlier supply is nearly used up (an early
/// refill of a few days is normal). Refunded purchases and their refunds are left as they are.
/// Visits left without lines are dropped.
fn pace_supplies(visits: &mut Vec<Visit>) {
    const SLACK: i64 = 3 * DAY;
    let refunded: Vec<bool> = (0..visits.len())
        .map(|i| {
            visits[i].refund
                || visits.iter().any(|r| {
                    r.refund
                        && r.provider == visits[i].provider
                        && r.admit == visits[i].discharge.unwrap_or(visits[i].admit) + 20 * MIN
                })
        })
        .collect();
    let mut covered: Vec<(usize, i64)> = Vec::new();
    for (v, refunded) in visits.iter_mut().zip(refunded) {
        if refunded {
            continue;
        }
        v.lines.retain(|l| {
            let Some(days) = l.days_supply else {
                return true;
            };
            match covered.iter_mut().find(|(item, _)| *item == l.item) {
                Some((_, until)) if *until - l.time > SLACK => false,
                Some((_, until)) => {
                    *until = (*until).max(l.time) + days * DAY;
                    true
                }
                None => {
                    covered.push((l.item, l.time + days * DAY));
                    true
                }
            }
        });
    }
    visits.retain(|v| !v.lines.is_empty());
}

/// Keeps honest billing within the national period table (batch 8): HbA1c at most once in 15 days.
fn space_period_tests(visits: &mut [Visit]) {
    let mut last: Option<i64> = None;
    for v in visits {
        if let Some(l) = v.lines.iter().find(|l| l.item == it::HBA1C) {
            let t = l.time;
            if last.is_some_and(|p| t - p < 15 * DAY) {
                v.lines.retain(|l| l.item != it::HBA1C);
            } else {
                last = Some(t);
            }
        }
    }
}
