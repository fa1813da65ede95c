//! Honest activity of an ordinary insured person in the month: inpatient stays, outpatient visits and
//! pharmacy purchases, with what real months hold besides: a long tail of catalogue items, weekend
//! quiet days, rehabilitation, psychiatric and hospice stays with rest days, stays admitted before
//! the month or still open at its end, day surgery, results and take-home drugs posted a day or two
//! after discharge, providers that stamp every line with the settlement time, two identical
//! injections as two lines, star specialists, 24-hour and late-night pharmacies, morning rushes at
//! busy counters, families shopping together and elderly people buying the standard chronic
//! baskets; refunds and reversed-and-rebilled lines. Nothing here is fraud; where a rule could
//! mistake it, the planner records a look-alike. Where a provider has an injected anomaly (item
//! swapping, inflated stays, over-cap prices) its role changes what it bills.

use fundguard_model::VisitType;

use crate::catalog::Kind;
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

/// Diagnoses of readmissions: ordinary stays' that no standard treats as an outpatient's.
const READMISSION_DIAGNOSES: &[&str] = &["J18.900", "K80.200", "S72.000", "J44.100", "N39.000"];

/// Share of honest discharges followed by a readmission to the same hospital within two weeks.
const HONEST_READMISSION: f64 = 0.04;

/// A readmission after the stay `s` (finished inside the month): honest for 4% of discharges,
/// and at a hospital with the habit (a case) or with chemotherapy cycles (a look-alike) for its
/// share, from a stream of its own (the person's other draws do not move). The second stay starts
/// 2-12 days after discharge with another diagnosis (the cycle's Z51.1 at an oncology hospital),
/// lasts 2-6 nights and ends in the month.
fn readmission(w: &World, roles: &Roles, p: u32, s: &StayPlan) -> Option<Visit> {
    if s.open || s.day_surgery || s.care.is_some() {
        return None;
    }
    let h = s.hospital;
    let mut r = Rng::new(w.seed, 0x2EAD_0000_0000_0000 | u64::from(p));
    let honest = r.chance(HONEST_READMISSION);
    let habit = !honest && roles.readmit[h] > 0.0 && r.chance(roles.readmit[h]);
    let cycle = !honest && !habit && roles.cycles[h] > 0.0 && r.chance(roles.cycles[h]);
    if !(honest || habit || cycle) {
        return None;
    }
    let day = s.day + s.los + r.range(2, 12) as i32;
    let los = r.range(2, 6) as i32;
    if day + los >= w.nd - 1 {
        return None;
    }
    let diag = if cycle {
        "Z51.100"
    } else {
        let first = &s.diagnosis.0[..3];
        let others: Vec<&'static str> = READMISSION_DIAGNOSES
            .iter()
            .copied()
            .filter(|d| !d.starts_with(first))
            .collect();
        *r.pick(&others)
    };
    let mut v = stay(w, roles, &mut r, h, day, los, (diag, false));
    v.readmitted = habit;
    Some(v)
}

/// One of the ordinary stays' diagnoses (not the stroke protocol's).
pub(crate) fn ordinary_diagnosis(r: &mut Rng) -> &'static str {
    loop {
        let (d, stroke) = *r.pick(STAY_DIAGNOSES);
        if !stroke {
            return d;
        }
    }
}

/// Illnesses seen at the outpatient desk (and, below the admission standard, admitted).
pub(crate) const OUTPATIENT_DIAGNOSES: &[&str] =
    &["J06.900", "I10.x00", "E11.900", "K29.700", "M54.500"];

/// Stays whose rest days are care, not absence: (department, diagnosis, share of rest days).
/// 21 康复医学科 / Z50 康复治疗, 15 精神科 / F20 精神分裂症, 24 临终关怀科 / Z51.5 姑息治疗.
pub(crate) const CARE_STAYS: &[(&str, &str)] =
    &[("21", "Z50.900"), ("15", "F20.900"), ("24", "Z51.500")];

/// The standard chronic-disease baskets many elderly people buy as they are.
const CHRONIC_BASKETS: &[&[(usize, i64)]] = &[
    &[(it::AMLODIPINE, 30), (it::METFORMIN, 90)],
    &[(it::AMLODIPINE, 30), (it::ATORVASTATIN, 28)],
    &[
        (it::METFORMIN, 90),
        (it::ATORVASTATIN, 28),
        (it::AMLODIPINE, 30),
    ],
];

/// A start time on `day` (0-based in the month) between `from` and `to` hours.
fn at(w: &World, r: &mut Rng, day: i32, from: i64, to: i64) -> i64 {
    i64::from(w.m0 + day) * DAY + r.range(from * 60, to * 60 - 1) * MIN + r.range(0, 59)
}

fn weekend(w: &World, day: i32) -> bool {
    // 1970-01-01 was a Thursday: day 0 of the epoch is weekday 3 (Monday = 0).
    matches!((w.m0 + day + 3).rem_euclid(7), 5 | 6)
}

/// What kind of stay a person has this month, if any: drawn from a stream of its own so that the
/// planner can name the honest stays a rule could mistake.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StayPlan {
    /// Admission day, 0-based in the month; negative when admitted in an earlier month.
    pub day: i32,
    pub los: i32,
    /// `Some((department, diagnosis))` for a care stay with rest days.
    pub care: Option<(&'static str, &'static str)>,
    /// Share of a care stay's days that are rest days.
    pub rest: f64,
    pub day_surgery: bool,
    /// A result or take-home drug posted 1-2 days after discharge.
    pub posts_late: Option<i32>,
    /// Still in hospital at the end of the month.
    pub open: bool,
    pub hospital: usize,
    pub diagnosis: (&'static str, bool),
}

pub(crate) fn stay_plan(w: &World, p: u32, person: &Person) -> Option<StayPlan> {
    let mut r = Rng::new(w.seed, 0x57A4_0000_0000_0000 | u64::from(p));
    let p_stay = if person.age >= 60 { 0.16 } else { 0.07 };
    if !r.chance(p_stay) {
        return None;
    }
    let hosp = &w.by_district[person.district][0];
    let hospital = *r.pick(hosp);
    let diagnosis = *r.pick(STAY_DIAGNOSES);
    let nd = w.nd;
    let u = r.unit();
    let mut plan = StayPlan {
        day: 0,
        los: 0,
        care: None,
        rest: 0.0,
        day_surgery: false,
        posts_late: None,
        open: false,
        hospital,
        diagnosis,
    };
    if u < 0.08 && person.age >= 30 {
        plan.care = Some(*r.pick(CARE_STAYS));
        plan.rest = 0.3 + 0.2 * r.unit();
        plan.los = r.range(14, 40) as i32;
    } else if u < 0.13 {
        plan.day_surgery = true;
    } else {
        plan.los = r.range(3, 12) as i32;
    }
    if plan.day_surgery {
        plan.day = r.range(0, i64::from(nd - 1)) as i32;
    } else {
        // Stays that overlap the month: admitted up to a stay's length before it (only the
        // month's lines are in the dump), or late enough to be still open at its end.
        plan.day = r.range(i64::from(1 - plan.los), i64::from(nd - 2)) as i32;
        plan.open = plan.day + plan.los > nd - 1;
    }
    let ends_in_month = !plan.open && plan.day + plan.los + 2 < nd;
    if ends_in_month && r.chance(0.12) {
        plan.posts_late = Some(r.range(1, 2) as i32);
    }
    Some(plan)
}

/// Builds an inpatient stay of `los` nights from `day` at hospital `h`: every day's bed, nursing and
/// consultation fees, infusions, drugs and tests, with some of the catalogue's tail.
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
            if r.chance(0.3) {
                tail(w, r, &mut v, h, Kind::Injection, t + 5 * HOUR, 1);
            }
            if r.chance(0.15) {
                tail(w, r, &mut v, h, Kind::Consumable, t + 5 * HOUR, 1);
            }
        }
        if d == 0 {
            v.lines.push(Line::new(it::BLOOD, t + 30 * MIN, 1));
            v.lines.push(Line::new(it::LIVER, t + 30 * MIN, 1));
            let exam = if r.chance(0.3) { it::CT } else { it::XRAY };
            v.lines.push(Line::new(exam, t + 2 * HOUR, 1));
            for _ in 0..r.range(0, 3) {
                tail(w, r, &mut v, h, Kind::Lab, t + 40 * MIN, 1);
            }
        } else if d % 3 == 0 && d < los {
            v.lines.push(Line::new(it::BLOOD, t + 30 * MIN, 1));
        }
        if d == los {
            v.lines
                .push(Line::new(it::OMEPRAZOLE, discharge - 30 * MIN, 14).supply(7));
        }
    }
    dedup_items(&mut v);
    v
}

/// A tail item of `kind` on visit `v` at `time`, priced for the provider's level.
fn tail(w: &World, r: &mut Rng, v: &mut Visit, provider: usize, kind: Kind, time: i64, n: i64) {
    let item = w.catalog.draw(r, kind);
    let fen = w.catalog.price_at(item, w.providers[provider].level);
    v.lines.push(Line::priced(item, time, n, fen));
}

/// Keeps one line per (item, time): a tail draw can repeat an item already billed at that moment.
fn dedup_items(v: &mut Visit) {
    let mut seen = rustc_hash::FxHashSet::default();
    v.lines
        .retain(|l| l.qty < 0 || l.days_supply.is_some() || seen.insert((l.item, l.time)));
}

/// The honest version of a planned stay: care stays rest on weekends and on other days, ordinary
/// stays have quiet weekend days, day surgery is one day, a stay admitted before the month keeps
/// only the month's lines, an open stay has no discharge and is settled at month end, and some
/// results or take-home drugs are posted after discharge.
fn honest_stay(w: &World, roles: &Roles, r: &mut Rng, s: &StayPlan) -> Visit {
    let h = s.hospital;
    if s.day_surgery {
        return day_surgery(w, r, h, s.day);
    }
    let mut v = stay(w, roles, r, h, s.day, s.los, s.diagnosis);
    let first_day = i64::from(w.m0 + s.day);
    let rest_day = |r: &mut Rng, d: i32| match s.care {
        Some(_) => weekend(w, s.day + d) || r.chance(((s.rest - 2.0 / 7.0) / (5.0 / 7.0)).max(0.0)),
        None => weekend(w, s.day + d) && r.chance(0.1),
    };
    // Days that bill only bed, nursing and consultation.
    let quiet: Vec<i64> = (1..s.los)
        .filter(|&d| rest_day(r, d))
        .map(|d| first_day + i64::from(d))
        .collect();
    let daily = [it::BED, it::NURSING, it::INP_CONSULT];
    v.lines
        .retain(|l| daily.contains(&l.item) || !quiet.contains(&(l.time / DAY)));
    if let Some((dept, diag)) = s.care {
        v.dept = Some(dept);
        v.diag = Some(diag);
        // Therapy on the other days.
        let therapy_days: Vec<i64> = (1..s.los)
            .map(|d| first_day + i64::from(d))
            .filter(|d| !quiet.contains(d))
            .collect();
        for d in therapy_days {
            let kind = if dept == "21" {
                Kind::Treatment
            } else {
                Kind::Oral
            };
            tail(w, r, &mut v, h, kind, d * DAY + 10 * HOUR, 1);
        }
    }
    if let Some(late) = s.posts_late {
        let discharge = v.discharge.expect("a finished stay");
        let t = (discharge / DAY + i64::from(late)) * DAY + r.range(9, 16) * HOUR;
        let kind = if r.chance(0.5) { Kind::Lab } else { Kind::Oral };
        tail(w, r, &mut v, h, kind, t, 1);
    }
    if s.open {
        v.discharge = None;
        let end = i64::from(w.m0 + w.nd) * DAY;
        v.lines.retain(|l| l.time < end);
        v.settle = Some(end - 30 * MIN);
    }
    if s.day < 0 {
        let start = i64::from(w.m0) * DAY;
        v.lines.retain(|l| l.time >= start);
    }
    v
}

/// A day-surgery stay: admitted in the morning, operated, discharged the same evening.
fn day_surgery(w: &World, r: &mut Rng, h: usize, day: i32) -> Visit {
    let admit = at(w, r, day.max(0), 7, 9);
    let mut v = Visit::new(h, VisitType::Inpatient, admit);
    v.discharge = Some(admit + r.range(8, 11) * HOUR);
    v.diag = Some("K80.200");
    v.doctor = Some(r.below(w.providers[h].doctors.len() as u64) as usize);
    v.lines.push(Line::new(it::BLOOD, admit + 20 * MIN, 1));
    tail(w, r, &mut v, h, Kind::Treatment, admit + 2 * HOUR, 1);
    tail(w, r, &mut v, h, Kind::Consumable, admit + 2 * HOUR, 1);
    v.lines.push(Line::new(it::INFUSION, admit + 3 * HOUR, 1));
    v.lines.push(Line::new(it::SALINE, admit + 3 * HOUR, 1));
    v.lines
        .push(Line::new(it::INFUSION_SET, admit + 3 * HOUR, 1));
    v.lines
        .push(Line::new(it::CEFTRIAXONE, admit + 3 * HOUR, 1));
    dedup_items(&mut v);
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

/// A drug for an outpatient or a purchase: the fixed list half the time, else the tail.
fn some_drug(w: &World, r: &mut Rng, roles: &Roles, provider: usize) -> (usize, i64, i64) {
    if r.chance(0.5) {
        let (d, per_day) = pick_oral(r, roles, provider);
        return (d, per_day, crate::world::ITEMS[d].price_fen);
    }
    let kind = if r.chance(0.7) {
        Kind::Oral
    } else {
        Kind::Patent
    };
    let d = w.catalog.draw(r, kind);
    (d, r.range(1, 3), w.catalog.price_at(d, None))
}

/// Is it a working day on which `doctor` is a specialist's clinic? Specialists take a large share
/// of their hospital's weekday outpatients.
fn doctor_for(w: &World, r: &mut Rng, provider: usize, day: i32) -> usize {
    let p = &w.providers[provider];
    if !p.specialists.is_empty() && !weekend(w, day) && r.chance(0.6) {
        return *r.pick(&p.specialists);
    }
    let others = p.doctors.len() - p.specialists.len();
    if others == 0 {
        return r.below(p.doctors.len() as u64) as usize;
    }
    let k = r.below(others as u64) as usize;
    (0..p.doctors.len())
        .filter(|d| !p.specialists.contains(d))
        .nth(k)
        .expect("k < others")
}

/// An ordinary outpatient visit.
/// The visit `v` again `after` seconds later, its lines billed again (the same illness, doctor
/// and prescription: a split-off visit bills the same care twice); `split` marks it as a case's.
fn repeat_visit(v: &Visit, after: i64, split: bool) -> Visit {
    let mut again = Visit::new(v.provider, VisitType::Outpatient, v.admit + after);
    again.discharge = v.discharge.map(|d| d + after);
    again.diag = v.diag;
    again.doctor = v.doctor;
    again.split = split;
    again.lines = v
        .lines
        .iter()
        .filter(|l| l.qty > 0)
        .map(|l| Line {
            time: l.time + after,
            ..l.clone()
        })
        .collect();
    again
}

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
    v.doctor = Some(doctor_for(w, r, provider, day));
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
    if r.chance(0.2) {
        tail(w, r, &mut v, provider, Kind::Lab, t + 10 * MIN, 1);
    }
    if hospital && r.chance(0.12) {
        v.lines.push(Line::new(it::XRAY, t + 15 * MIN, 1));
    }
    if hospital && r.chance(0.08) {
        tail(w, r, &mut v, provider, Kind::Exam, t + 15 * MIN, 1);
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
    // A provider ordering a panel of tests for most of its outpatients (a case): a blood count,
    // liver function, a chest X-ray and an ultrasound, those not already ordered.
    if roles.panel[provider] > 0.0 && r.chance(roles.panel[provider]) {
        for item in [it::BLOOD, it::LIVER, it::XRAY, it::US_PLAIN] {
            if !v.lines.iter().any(|l| l.item == item) {
                let l = Line::new(item, t + 12 * MIN, 1);
                v.panel_fen += l.amount();
                v.lines.push(l);
            }
        }
    }
    // A doctor's template (a case) or a diabetes doctor's own two items (a look-alike).
    if let Some(&(share, diabetes)) = v.doctor.and_then(|d| roles.template.get(&(provider, d))) {
        if r.chance(share) {
            if diabetes {
                v.lines.push(Line::new(it::HBA1C, t + 10 * MIN, 1));
                v.lines
                    .push(Line::new(it::METFORMIN, t + 20 * MIN, 90).supply(30));
            } else {
                v.lines.push(Line::new(it::XRAY, t + 10 * MIN, 1));
                v.lines.push(Line::new(it::HBA1C, t + 10 * MIN, 1));
                v.lines
                    .push(Line::new(it::LIUWEI, t + 20 * MIN, 42).supply(7));
            }
        }
    }
    // An upselling provider (a case) adds an infusion course: ceftriaxone and saline with the
    // infusion, for 3-5 days.
    if roles.upsell[provider] > 0.0 && r.chance(roles.upsell[provider]) {
        let days = r.range(3, 5);
        for (item, n) in [
            (it::CEFTRIAXONE, 2 * days),
            (it::SALINE, 2 * days),
            (it::INFUSION, days),
        ] {
            if !v.lines.iter().any(|l| l.item == item) {
                let l = Line::new(item, t + 25 * MIN, n);
                v.upsell_fen += l.amount();
                v.lines.push(l);
            }
        }
    }
    if r.chance(0.05) {
        tail(w, r, &mut v, provider, Kind::Treatment, t + 25 * MIN, 1);
        tail(w, r, &mut v, provider, Kind::Consumable, t + 25 * MIN, 1);
    }
    // Two identical injections, entered as two lines at the same moment.
    if r.chance(0.03) {
        v.lines.push(Line::new(it::INJECTION, t + 22 * MIN, 1));
        v.lines.push(Line::new(it::INJECTION, t + 22 * MIN, 1));
    }
    for _ in 0..r.range(1, 3) {
        let (drug, per_day, fen) = some_drug(w, r, roles, provider);
        if v.lines.iter().any(|l| l.item == drug) {
            continue;
        }
        let days = r.range(3, 7);
        v.lines
            .push(Line::priced(drug, t + 20 * MIN, per_day * days, fen).supply(days));
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
    // The hospital group's standard order set for upper respiratory infections (an honest
    // template, the same for every patient at six hospitals), from a stream of its own.
    if v.diag == Some("J06.900")
        && roles.order_set[provider]
        && Rng::new(
            w.seed,
            0x05E7_0000_0000_0000 ^ crate::rng::mix(admit as u64 ^ provider as u64),
        )
        .chance(ORDER_SET_SHARE)
    {
        let t = admit + 10 * MIN;
        v.lines = vec![
            Line::new(it::REGISTRATION, admit, 1),
            Line::new(it::OUT_CONSULT, t, 1),
            Line::new(it::BLOOD, t, 1),
            Line::new(it::INFUSION, t, 1),
            Line::new(it::CEFTRIAXONE, t, 2),
            Line::new(it::SALINE, t, 2),
            Line::new(it::INFUSION_SET, t, 1),
        ];
    }
    // A provider filling in its template claim (a case) replaces the visit by it; one giving the
    // free elderly check-up (a look-alike) replaces an elderly patient's visit by the package.
    if roles.cloning[provider] > 0.0 && r.chance(roles.cloning[provider]) {
        template_claim(&mut v, provider, admit);
    } else if roles.package[provider] > 0.0 && person.age >= 60 && r.chance(roles.package[provider])
    {
        v.diag = Some("Z00.000");
        v.lines = [
            it::REGISTRATION,
            it::GENERAL,
            it::BLOOD,
            it::LIVER,
            it::HBA1C,
            it::US_PLAIN,
        ]
        .iter()
        .map(|&item| Line::new(item, admit + 10 * MIN, 1))
        .collect();
    }
    if p.stamps {
        // The provider's system stamps every line with the settlement time.
        let settle = v.discharge.expect("an outpatient visit ends");
        for l in &mut v.lines {
            l.time = settle;
        }
    }
    v
}

/// Replaces `v` by provider `provider`'s template claim: one diagnosis and eight items in the same
/// quantities for every patient, the diagnosis and the doses following the provider (1,000
/// variants, so that templating providers rarely bill the same claim; a fraud's template is its
/// own, not a standard of care).
fn template_claim(v: &mut Visit, provider: usize, admit: i64) {
    let h = crate::rng::mix(0x7E4A_0000_0000_0000 ^ provider as u64);
    let diag = OUTPATIENT_DIAGNOSES[(h % 5) as usize];
    let dose = 2 + (h / 5 % 5) as i64;
    let saline = 2 * dose + (h / 25 % 8) as i64;
    let sets = 1 + (h / 200 % 5) as i64;
    let t = admit + 10 * MIN;
    v.diag = Some(diag);
    v.cloned = true;
    v.lines = vec![
        Line::new(it::REGISTRATION, admit, 1),
        Line::new(it::GENERAL, t, 1),
        Line::new(it::BLOOD, t, 1),
        Line::new(it::LIVER, t, 1),
        Line::new(it::INFUSION, t, dose),
        Line::new(it::CEFTRIAXONE, t, 2 * dose),
        Line::new(it::SALINE, t, saline),
        Line::new(it::INFUSION_SET, t, sets),
    ];
}

/// Minute of the day of an honest purchase at pharmacy `provider`.
fn sale_minute(w: &World, r: &mut Rng, provider: usize) -> i64 {
    let p = &w.providers[provider];
    if p.night && r.chance(0.06) {
        return r.range(0, 6 * 60 - 1);
    }
    let (open, close) = match p.open {
        Some(crate::world::ALL_DAY) | None => (7 * 60, 23 * 60),
        Some((o, c)) => (i64::from(o), i64::from(c)),
    };
    // Busy counters have a morning rush of elderly customers.
    if p.terminals.len() >= 3 && r.chance(0.3) {
        let from = open.max(8 * 60);
        return r.range(from, from + 90);
    }
    r.range(open + 20, close - 20)
}

/// An ordinary pharmacy purchase on `day`.
pub(crate) fn pharmacy(w: &World, roles: &Roles, r: &mut Rng, provider: usize, day: i32) -> Visit {
    let p = &w.providers[provider];
    let minute = sale_minute(w, r, provider);
    let admit = i64::from(w.m0 + day) * DAY + minute * MIN + r.range(0, 59);
    let mut v = Visit::new(provider, VisitType::Pharmacy, admit);
    v.discharge = Some(admit);
    v.terminal = Some(r.below(p.terminals.len() as u64) as usize);
    for _ in 0..r.range(1, 3) {
        let (drug, per_day, fen) = some_drug(w, r, roles, provider);
        let days = r.range(5, 15);
        if v.lines.iter().any(|l| l.item == drug) {
            continue;
        }
        v.lines
            .push(Line::priced(drug, admit, per_day * days, fen).supply(days));
    }
    // Some customers add goods (protein powder, shampoo …) and pay them in cash, from a stream of
    // their own (the month's other draws do not move).
    let mut g = Rng::new(
        w.seed,
        0x600D_0000_0000_0000 ^ crate::rng::mix(((provider as u64) << 40) ^ admit as u64),
    );
    if g.chance(HONEST_GOODS) {
        let item = *g.pick(&it::GOODS);
        v.lines.push(Line::new(item, admit, g.range(1, 2)));
    }
    v
}

/// Share of the upper respiratory infections seen at the order-set group's hospitals that get
/// the group's standard order set.
const ORDER_SET_SHARE: f64 = 0.4;

/// Share of honest purchases that add goods outside the catalogue, paid in cash.
const HONEST_GOODS: f64 = 0.05;

/// A purchase of basket `basket` at `time` on terminal `terminal`.
fn basket_purchase(provider: usize, time: i64, terminal: usize, basket: &[(usize, i64)]) -> Visit {
    let mut v = Visit::at_pharmacy(provider, time);
    v.terminal = Some(terminal);
    for &(item, n) in basket {
        v.lines.push(Line::new(item, time, n).supply(30));
    }
    v
}

/// Which hospital of the district an outpatient goes to: the bigger, the likelier.
fn pick_hospital(w: &World, r: &mut Rng, hosp: &[usize]) -> usize {
    let weight = |h: usize| match w.providers[h].level {
        Some(crate::world::LEVEL_TERTIARY) => 6,
        Some(crate::world::LEVEL_SECONDARY) => 2,
        _ => 1,
    };
    let total: u64 = hosp.iter().map(|&h| weight(h)).sum();
    let mut u = r.below(total);
    for &h in hosp {
        let k = weight(h);
        if u < k {
            return h;
        }
        u -= k;
    }
    hosp[hosp.len() - 1]
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
    if let Some(mut s) = stay_plan(w, p, person) {
        // A stroke centre's patients (a look-alike) and a recoding hospital's diagnoses (a
        // case), from a stream of their own.
        let mut c = Rng::new(w.seed, 0xD1A9_0000_0000_0000 | u64::from(p));
        let ordinary = !s.day_surgery && s.care.is_none() && !s.diagnosis.1;
        let h = s.hospital;
        if ordinary && roles.stroke[h] > 0.0 && c.chance(roles.stroke[h]) {
            s.diagnosis = ("I63.900", true);
        }
        let recoded = ordinary && roles.recode[h] > 0.0 && c.chance(roles.recode[h]);
        let mut v = honest_stay(w, roles, &mut r, &s);
        if recoded {
            v.diag = Some("I63.900");
            v.recoded = true;
        }
        let last = if s.open {
            w.nd - 1
        } else {
            (s.day + s.los).min(w.nd - 1)
        };
        for b in &mut busy[s.day.max(0) as usize..=last.max(0) as usize] {
            *b = true;
        }
        if !v.lines.is_empty() {
            out.push(v);
        }
        if let Some(again) = readmission(w, roles, p, &s) {
            let from = ((again.admit / DAY) - i64::from(w.m0)) as usize;
            let to = ((again.discharge.expect("a finished stay") / DAY) - i64::from(w.m0)) as usize;
            for b in &mut busy[from..=to.min(w.nd as usize - 1)] {
                *b = true;
            }
            out.push(again);
        }
    }
    let nd = w.nd;
    let free_day = |busy: &mut [bool], r: &mut Rng| -> Option<i32> {
        for _ in 0..8 {
            let d = r.below(nd as u64) as usize;
            if !busy[d] {
                busy[d] = true;
                return Some(d as i32);
            }
        }
        None
    };
    // Takes `day` for a visit when it is in the month and free.
    let take_day = |busy: &mut [bool], day: i32| -> bool {
        let ok = (0..nd).contains(&day) && !busy[day as usize];
        if ok {
            busy[day as usize] = true;
        }
        ok
    };
    let mean_out = if person.age >= 60 { 2.2 } else { 1.4 };
    for _ in 0..r.poisson(mean_out) {
        let Some(day) = free_day(&mut busy, &mut r) else {
            break;
        };
        let [hosp, clinics, _] = &w.by_district[person.district];
        let provider = if r.chance(0.5) {
            pick_hospital(w, &mut r, hosp)
        } else {
            *r.pick(clinics)
        };
        let v = outpatient(w, roles, &mut r, person, provider, day);
        // A provider splitting visits (分解门诊) bills the visit again 1-3 times on the
        // following days; one practising follow-ups sees the patient
        // once more a week later. Only people visiting such a provider draw these.
        let (split, follow) = (roles.split[provider], roles.follow_up[provider]);
        if split > 0.0 && r.chance(split) {
            for k in 1..=r.range(1, 3) {
                if take_day(&mut busy, day + k as i32) {
                    out.push(repeat_visit(&v, k * DAY, true));
                }
            }
        } else if follow > 0.0 && r.chance(follow) && take_day(&mut busy, day + 7) {
            out.push(repeat_visit(&v, 7 * DAY, false));
        }
        out.push(v);
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
        let Some(day) = free_day(&mut busy, &mut r) else {
            break;
        };
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
    // Elderly people with a chronic disease buy a standard basket at their home pharmacy.
    if person.age >= 60 && r.chance(0.35) {
        let basket = *r.pick(CHRONIC_BASKETS);
        if let Some(day) = free_day(&mut busy, &mut r) {
            let minute = sale_minute(w, &mut r, home);
            let time = i64::from(w.m0 + day) * DAY + minute * MIN + r.range(0, 59);
            let terminal = r.below(w.providers[home].terminals.len() as u64) as usize;
            out.push(basket_purchase(home, time, terminal, basket));
        }
    }
    // Family trips: the household at the head's pharmacy, paying one card after another.
    if let Some(h) = w.household(p) {
        for &(day, start, terminal) in &h.trips {
            let d = day as usize;
            if busy[d] {
                continue;
            }
            busy[d] = true;
            let time = i64::from(w.m0 + day) * DAY + start + h.offset(p);
            let mut v = Visit::at_pharmacy(h.pharmacy, time);
            v.terminal = Some(terminal);
            let (drug, per_day, fen) = some_drug(w, &mut r, roles, h.pharmacy);
            let days = r.range(5, 10);
            v.lines
                .push(Line::priced(drug, time, per_day * days, fen).supply(days));
            out.push(v);
        }
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
