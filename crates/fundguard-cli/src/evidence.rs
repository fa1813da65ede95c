//! What the report and the dossiers show beyond the hits, read from the dump: a picture of each
//! top lead's evidence (its people's settlements over time, the institution among its peers, the
//! sales of a resold trace code), the facts of a patient lead's person, and the institutions'
//! admissions and discharges in the period.
//!
//! Hits name visits and lines by their text ids; they are found in the dump in one pass over the
//! visits (and, only when a hit names lines without a visit, one over the lines). Every choice —
//! which people, which events, which codes — is ordered by money and then by text ids, so the same
//! run draws the same pictures.

use std::collections::{BTreeMap, BTreeSet};

use fundguard_model::{
    day_of, Days, Dump, HitRow, ProviderType, Seconds, Sex, VisitType, NONE, NULL_DATE, NULL_TIME,
};
use fundguard_report::{
    Chain, Event, Lane, Measure, Peers, PersonFacts, Picture, ProviderFacts, Sale, Timeline,
};
use fundguard_scoring::Lead;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::pseudo::Pseudonymizer;

/// People drawn per timeline, settlements per person, codes per chain picture, sales per code.
const LANES: usize = 8;
const EVENTS_PER_LANE: usize = 60;
const CHAINS: usize = 6;
const SALES_PER_CHAIN: usize = 12;
/// Peer pictures keep at most this many quantiles of the group.
const PEER_POINTS: usize = 300;

/// Everything this module reads off the dump for the report.
#[derive(Default)]
pub struct Evidence {
    pub pictures: BTreeMap<String, Picture>,
    pub people: BTreeMap<String, PersonFacts>,
}

/// The visits each lead's hits name, as rows of the dump in the order of its hits, for the
/// leads in `leads`.
fn flagged_visits(dump: &Dump, leads: &[&Lead], hits: &[HitRow]) -> Vec<Vec<u32>> {
    let mut wanted: FxHashSet<&str> = FxHashSet::default();
    let mut wanted_lines: FxHashSet<&str> = FxHashSet::default();
    for l in leads {
        for &i in &l.hits {
            match &hits[i].visit_id {
                Some(v) => {
                    wanted.insert(v.as_str());
                }
                None => wanted_lines.extend(hits[i].line_ids.iter().map(String::as_str)),
            }
        }
    }
    let v = &dump.visits;
    let mut row_of: FxHashMap<&str, u32> = FxHashMap::default();
    for (row, id) in v.visit_id.iter().enumerate() {
        if let Some(&id) = wanted.get(id) {
            row_of.insert(id, row as u32);
        }
    }
    let mut line_visit: FxHashMap<&str, u32> = FxHashMap::default();
    if !wanted_lines.is_empty() {
        for (row, id) in dump.lines.line_id.iter().enumerate() {
            if let Some(&id) = wanted_lines.get(id) {
                line_visit.insert(id, dump.lines.visit[row]);
            }
        }
    }
    leads
        .iter()
        .map(|l| {
            let mut rows: Vec<u32> = Vec::new();
            for &i in &l.hits {
                let h = &hits[i];
                match &h.visit_id {
                    Some(id) => rows.extend(row_of.get(id.as_str())),
                    None => {
                        rows.extend(h.line_ids.iter().filter_map(|x| line_visit.get(x.as_str())))
                    }
                }
            }
            // In the order of the lead's hits (strongest first), each visit once.
            let mut seen = FxHashSet::default();
            rows.retain(|r| seen.insert(*r));
            rows
        })
        .collect()
}

fn kind(t: VisitType) -> &'static str {
    match t {
        VisitType::Inpatient => "inpatient",
        VisitType::Outpatient => "outpatient",
        VisitType::Pharmacy => "pharmacy",
        VisitType::Other => "other",
    }
}

/// Start and end of a visit on the timeline: admission to discharge for a stay (`open_end` while
/// still in hospital), else its time.
fn span(dump: &Dump, row: usize, open_end: Seconds) -> (Seconds, Seconds) {
    let v = &dump.visits;
    let start = v.admit[row];
    if v.visit_type[row] == VisitType::Inpatient {
        let end = if v.discharge[row] == NULL_TIME {
            open_end.max(start)
        } else {
            v.discharge[row].max(start)
        };
        (start, end)
    } else {
        (start, start)
    }
}

/// What a peer rule compares, drawn as the nearest measure the picture computes.
fn measure_of(rule_id: &str) -> Measure {
    match rule_id.rsplit('.').next().unwrap_or("") {
        "cost_per_day" | "drug_cost_per_day" | "length_of_stay" | "hollow_share" => {
            Measure::CostPerDay
        }
        "visits_per_patient" | "pharmacy_rate" | "test_panels" => Measure::VisitsPerPatient,
        _ => Measure::MoneyPerPatient,
    }
}

/// Per provider code: money, settlements, distinct patients, inpatient money and stay-days.
struct ProviderTotals {
    money: Vec<i64>,
    visits: Vec<i64>,
    patients: Vec<i64>,
    inpatient_money: Vec<i64>,
    stay_days: Vec<i64>,
}

impl ProviderTotals {
    fn new(dump: &Dump) -> Self {
        let n = dump.dicts.providers.len();
        let v = &dump.visits;
        let mut t = ProviderTotals {
            money: vec![0; n],
            visits: vec![0; n],
            patients: vec![0; n],
            inpatient_money: vec![0; n],
            stay_days: vec![0; n],
        };
        let mut pairs: Vec<u64> = Vec::with_capacity(v.patient.len());
        for row in 0..v.patient.len() {
            let p = v.provider[row] as usize;
            t.money[p] = t.money[p].saturating_add(v.total[row]);
            t.visits[p] += 1;
            pairs.push(u64::from(v.provider[row]) << 32 | u64::from(v.patient[row]));
            if v.visit_type[row] == VisitType::Inpatient && v.discharge[row] != NULL_TIME {
                t.inpatient_money[p] = t.inpatient_money[p].saturating_add(v.total[row]);
                let days = day_of(v.discharge[row]) - day_of(v.admit[row]);
                t.stay_days[p] += i64::from(days.max(1));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        for pair in pairs {
            t.patients[(pair >> 32) as usize] += 1;
        }
        t
    }

    fn value(&self, m: Measure, p: usize) -> Option<i64> {
        match m {
            Measure::CostPerDay => {
                (self.stay_days[p] > 0).then(|| self.inpatient_money[p] / self.stay_days[p])
            }
            Measure::MoneyPerPatient => {
                (self.patients[p] > 0).then(|| self.money[p] / self.patients[p])
            }
            Measure::VisitsPerPatient => {
                (self.patients[p] > 0).then(|| self.visits[p] * 100 / self.patients[p])
            }
        }
    }
}

/// The institution `provider` among those of its kind and level.
fn peers(dump: &Dump, totals: &ProviderTotals, provider: u32, m: Measure) -> Option<Peers> {
    let rows = dump.provider_rows();
    let group = |p: usize| -> (ProviderType, u32) {
        let dump_row = rows[p];
        match &dump.providers {
            Some(t) if dump_row != NONE => {
                let r = dump_row as usize;
                (t.provider_type[r], t.level[r])
            }
            _ => (ProviderType::Unknown, NONE),
        }
    };
    let own = group(provider as usize);
    let subject = totals.value(m, provider as usize)?;
    let mut values: Vec<i64> = (0..dump.dicts.providers.len())
        .filter(|&p| group(p) == own)
        .filter_map(|p| totals.value(m, p))
        .collect();
    values.sort_unstable();
    let rank = 1 + values.iter().filter(|&&v| v > subject).count();
    let median = values[values.len() / 2];
    let peers = values.len();
    if values.len() > PEER_POINTS {
        let n = values.len();
        values = (0..PEER_POINTS)
            .map(|i| values[i * (n - 1) / (PEER_POINTS - 1)])
            .collect();
    }
    let (zh, en) = m.names();
    let level = dump.dicts.codes.get_opt(own.1).unwrap_or("—");
    Some(Peers {
        measure: m,
        measure_zh: zh,
        measure_en: en,
        group: format!(
            "{} · hosp_lv {level}",
            fundguard_report::kind_zh(own.0.as_str())
        ),
        peers,
        values,
        subject,
        median,
        rank,
    })
}

/// What a lead's picture is: decided by its strongest hit.
enum Plan {
    Timeline,
    Peers(Measure),
    Chains,
}

fn plan(dump: &Dump, l: &Lead, hits: &[HitRow]) -> Plan {
    let Some(top) = l.hits.first().map(|&i| &hits[i]) else {
        return Plan::Timeline;
    };
    match top.family.as_str() {
        "trace_code" if dump.traces.is_some() => Plan::Chains,
        "peer_outlier" if l.subject_type == "provider" && l.provider_id.is_some() => {
            Plan::Peers(measure_of(&top.rule_id))
        }
        _ => Plan::Timeline,
    }
}

/// A patient's label: the pseudonym in a pseudonymised run.
fn label(dump: &Dump, patient: u32, pseudo: Option<&Pseudonymizer>) -> String {
    let id = dump.dicts.patients.get(patient);
    pseudo.map_or_else(|| id.to_string(), |p| p.pseudonym(id))
}

/// The people of a lead's settlements, in the order of its hits (strongest first): the people
/// its page lists first are the people drawn.
fn people_of(dump: &Dump, flagged: &[u32]) -> Vec<u32> {
    let mut seen = FxHashSet::default();
    flagged
        .iter()
        .map(|&r| dump.visits.patient[r as usize])
        .filter(|p| seen.insert(*p))
        .collect()
}

fn timeline(
    dump: &Dump,
    l: &Lead,
    flagged: &[u32],
    people: &[u32],
    visits_of: &FxHashMap<u32, Vec<u32>>,
    pseudo: Option<&Pseudonymizer>,
) -> Option<Timeline> {
    let v = &dump.visits;
    let drawn = &people[..people.len().min(LANES)];
    let mine: FxHashSet<u32> = flagged.iter().copied().collect();
    let ends = flagged
        .iter()
        .filter(|&&r| drawn.contains(&v.patient[r as usize]))
        .map(|&r| span(dump, r as usize, v.admit[r as usize]));
    let (a, b) = ends.fold((Seconds::MAX, Seconds::MIN), |(a, b), (s, e)| {
        (a.min(s), b.max(e))
    });
    if a > b {
        return None;
    }
    // Minutes around a burst of swipes, days around stays; a week around a single settlement,
    // whose evidence is the visits before and after it; never more than 120 days.
    let length = b - a;
    let single = flagged
        .iter()
        .filter(|&&r| drawn.contains(&v.patient[r as usize]))
        .count()
        < 2;
    let mut pad = (length / 8).max(900);
    if length > 2 * 86_400 {
        pad = pad.max(2 * 86_400);
    }
    if single {
        pad = pad.max(7 * 86_400);
    }
    let (mut from, mut to) = (a - pad, b + pad);
    // Whole stays that overlap the evidence (a stay elsewhere begun before it), within 60 days.
    for &p in drawn {
        for &r in visits_of.get(&p).map_or(&[][..], Vec::as_slice) {
            let (s, e) = span(dump, r as usize, b);
            if e >= from && s <= to {
                from = from.min(s.max(a - 60 * 86_400) - pad / 2);
                to = to.max(e.min(b + 60 * 86_400) + pad / 2);
            }
        }
    }
    let to = to.min(from + 120 * 86_400);
    let mut providers: Vec<u32> = Vec::new();
    let mut lanes = Vec::new();
    for &p in drawn {
        let mut rows: Vec<u32> = visits_of
            .get(&p)
            .map(|rows| {
                rows.iter()
                    .copied()
                    .filter(|&r| {
                        let (s, e) = span(dump, r as usize, to);
                        e >= from && s <= to
                    })
                    .collect()
            })
            .unwrap_or_default();
        // The lead's own settlements first, then by time and visit id.
        rows.sort_by(|&x, &y| {
            mine.contains(&y)
                .cmp(&mine.contains(&x))
                .then(v.admit[x as usize].cmp(&v.admit[y as usize]))
                .then_with(|| v.visit_id.get(x as usize).cmp(v.visit_id.get(y as usize)))
        });
        let more = rows.len().saturating_sub(EVENTS_PER_LANE);
        rows.truncate(EVENTS_PER_LANE);
        let events = rows
            .iter()
            .map(|&r| {
                let r = r as usize;
                let provider = match providers.iter().position(|&q| q == v.provider[r]) {
                    Some(i) => i,
                    None => {
                        providers.push(v.provider[r]);
                        providers.len() - 1
                    }
                };
                let (start, end) = span(dump, r, to);
                Event {
                    start,
                    end,
                    provider,
                    kind: kind(v.visit_type[r]),
                    flagged: mine.contains(&(r as u32)),
                    fen: v.total[r],
                    visit: v.visit_id.get(r).to_string(),
                    charged_days: Vec::new(),
                }
            })
            .collect();
        lanes.push(Lane {
            label: label(dump, p, pseudo),
            events,
            more,
        });
    }
    let names: Vec<String> = providers
        .iter()
        .map(|&p| dump.dicts.providers.get(p).to_string())
        .collect();
    let subject_provider = l
        .provider_id
        .as_ref()
        .and_then(|id| names.iter().position(|n| n == id));
    Some(Timeline {
        from,
        to,
        providers: names,
        subject_provider,
        lanes,
        more_people: people.len() - drawn.len(),
    })
}

/// The chains of the trace codes the lead's settlements sold.
fn chains(
    dump: &Dump,
    flagged: &[u32],
    by_code: &FxHashMap<u32, Vec<u32>>,
    codes_of_visit: &FxHashMap<u32, Vec<u32>>,
    pseudo: Option<&Pseudonymizer>,
) -> Vec<Chain> {
    let (Some(t), v, lines) = (&dump.traces, &dump.visits, &dump.lines) else {
        return Vec::new();
    };
    let mine: FxHashSet<u32> = flagged.iter().copied().collect();
    let mut codes: BTreeSet<&str> = BTreeSet::new();
    for row in flagged {
        for &c in codes_of_visit.get(row).into_iter().flatten() {
            // A chain is a code sold more than once.
            if by_code.get(&c).is_some_and(|rows| rows.len() > 1) {
                codes.insert(dump.dicts.traces.get(c));
            }
        }
    }
    codes
        .into_iter()
        .take(CHAINS)
        .map(|code| {
            let c = dump.dicts.traces.code(code).expect("a code of the dump");
            let mut rows = by_code[&c].clone();
            let visit_of = |r: u32| lines.visit[t.line[r as usize] as usize] as usize;
            rows.sort_by(|&x, &y| {
                t.time[x as usize]
                    .cmp(&t.time[y as usize])
                    .then_with(|| v.visit_id.get(visit_of(x)).cmp(v.visit_id.get(visit_of(y))))
            });
            let more = rows.len().saturating_sub(SALES_PER_CHAIN);
            rows.truncate(SALES_PER_CHAIN);
            let sales = rows
                .iter()
                .map(|&r| {
                    let vr = visit_of(r);
                    Sale {
                        time: if t.time[r as usize] == NULL_TIME {
                            v.admit[vr]
                        } else {
                            t.time[r as usize]
                        },
                        patient: label(dump, v.patient[vr], pseudo),
                        provider: dump.dicts.providers.get(v.provider[vr]).to_string(),
                        quantity: fundguard_engine::fmt::qty(t.quantity[r as usize]),
                        visit: v.visit_id.get(vr).to_string(),
                        flagged: mine.contains(&(vr as u32)),
                    }
                })
                .collect();
            Chain {
                code: code.to_string(),
                sales,
                more,
            }
        })
        .collect()
}

/// The person of a patient lead (`at`: the person's row in the patients table, or `NONE`): sex,
/// age at the end of the period, insurance type of most of the person's settlements.
fn person(dump: &Dump, at: u32, rows: &[u32], period_end: Days) -> PersonFacts {
    let mut facts = PersonFacts::default();
    if let (Some(t), true) = (&dump.patients, at != NONE) {
        let at = at as usize;
        facts.sex = match t.sex[at] {
            Sex::Male => Some("男"),
            Sex::Female => Some("女"),
            Sex::Unknown => None,
        };
        if t.birth[at] != NULL_DATE {
            let (y0, m0, d0) = fundguard_model::civil_from_days(t.birth[at]);
            let (y1, m1, d1) = fundguard_model::civil_from_days(period_end);
            facts.age = Some(y1 - y0 - i32::from((m1, d1) < (m0, d0)));
        }
    }
    let mut types: BTreeMap<&str, usize> = BTreeMap::new();
    for &r in rows {
        if let Some(t) = dump
            .dicts
            .codes
            .get_opt(dump.visits.insurance_type[r as usize])
        {
            *types.entry(t).or_default() += 1;
        }
    }
    facts.insurance_type = types
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(t, _)| t.to_string());
    facts
}

/// Pictures for the first `pictures` leads and the persons of patient leads among the first
/// `dossiers`.
pub fn evidence(
    dump: &Dump,
    leads: &[Lead],
    hits: &[HitRow],
    pictures: usize,
    dossiers: usize,
    period_end: Days,
    pseudo: Option<&Pseudonymizer>,
) -> Evidence {
    let n = pictures.max(dossiers).min(leads.len());
    let chosen: Vec<&Lead> = leads[..n].iter().collect();
    let flagged = flagged_visits(dump, &chosen, hits);
    let v = &dump.visits;
    let plans: Vec<Plan> = chosen.iter().map(|l| plan(dump, l, hits)).collect();

    let lead_people: Vec<Vec<u32>> = flagged.iter().map(|f| people_of(dump, f)).collect();
    // Every visit of the people a timeline may draw (any picture can fall back to one) or a
    // dossier describes, in one pass.
    let mut people: FxHashSet<u32> = FxHashSet::default();
    for (k, l) in chosen.iter().enumerate() {
        if k < pictures {
            people.extend(lead_people[k].iter().take(LANES));
        }
        if k < dossiers && l.subject_type == "patient" {
            people.extend(lead_people[k].first());
        }
    }
    let patient_rows = dump.patient_rows();
    let mut visits_of: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    for row in 0..v.patient.len() {
        if people.contains(&v.patient[row]) {
            visits_of
                .entry(v.patient[row])
                .or_default()
                .push(row as u32);
        }
    }

    // Trace codes, only those the chains draw: the codes the chain leads' settlements sold
    // (one pass over the scans), then every scan of those codes (another).
    let (mut by_code, mut codes_of_visit) = (FxHashMap::default(), FxHashMap::default());
    if let Some(t) = &dump.traces {
        let mut chained = vec![false; v.patient.len()];
        for (k, rows) in flagged.iter().enumerate().take(pictures) {
            if matches!(plans[k], Plan::Chains) {
                for &r in rows {
                    chained[r as usize] = true;
                }
            }
        }
        let mut codes: FxHashSet<u32> = FxHashSet::default();
        for r in 0..t.code.len() {
            let visit = dump.lines.visit[t.line[r] as usize];
            if chained[visit as usize] {
                codes.insert(t.code[r]);
                codes_of_visit
                    .entry(visit)
                    .or_insert_with(Vec::new)
                    .push(t.code[r]);
            }
        }
        if !codes.is_empty() {
            for r in 0..t.code.len() {
                if codes.contains(&t.code[r]) {
                    by_code
                        .entry(t.code[r])
                        .or_insert_with(Vec::new)
                        .push(r as u32);
                }
            }
        }
    }
    // Computed when a first peer picture is drawn.
    let mut totals: Option<ProviderTotals> = None;

    let mut out = Evidence {
        pictures: BTreeMap::new(),
        people: BTreeMap::new(),
    };
    for (k, l) in chosen.iter().enumerate() {
        if k < dossiers && l.subject_type == "patient" {
            if let Some(&p) = lead_people[k].first() {
                let rows = visits_of.get(&p).map_or(&[][..], Vec::as_slice);
                out.people.insert(
                    l.subject_id.clone(),
                    person(dump, patient_rows[p as usize], rows, period_end),
                );
            }
        }
        if k >= pictures {
            continue;
        }
        let provider = l
            .provider_id
            .as_deref()
            .and_then(|p| dump.dicts.providers.code(p));
        let mut peer_picture = |m: Measure| {
            let p = provider?;
            let t = totals.get_or_insert_with(|| ProviderTotals::new(dump));
            peers(dump, t, p, m).map(Picture::Peers)
        };
        let picture = match &plans[k] {
            Plan::Peers(m) => peer_picture(*m),
            Plan::Chains => {
                let c = chains(dump, &flagged[k], &by_code, &codes_of_visit, pseudo);
                (!c.is_empty()).then_some(Picture::Chains { chains: c })
            }
            Plan::Timeline => None,
        };
        // An institution's evidence on no settlement (its stock, its shares): where it stands
        // among its peers by money per patient.
        let picture = picture
            .or_else(|| {
                timeline(dump, l, &flagged[k], &lead_people[k], &visits_of, pseudo)
                    .map(Picture::Timeline)
            })
            .or_else(|| {
                (l.subject_type == "provider")
                    .then(|| peer_picture(Measure::MoneyPerPatient))
                    .flatten()
            });
        if let Some(p) = picture {
            out.pictures.insert(l.lead_id.clone(), p);
        }
    }
    charged_days(dump, &mut out.pictures);
    out
}

/// Fills each drawn stay's days with charges, in one pass over the lines.
fn charged_days(dump: &Dump, pictures: &mut BTreeMap<String, Picture>) {
    let v = &dump.visits;
    let mut stays: FxHashMap<u32, BTreeSet<i32>> = FxHashMap::default();
    let mut row_of: FxHashMap<String, u32> = FxHashMap::default();
    let mut wanted: FxHashSet<String> = FxHashSet::default();
    for p in pictures.values() {
        if let Picture::Timeline(t) = p {
            for e in t.lanes.iter().flat_map(|l| &l.events) {
                if e.kind == "inpatient" {
                    wanted.insert(e.visit.clone());
                }
            }
        }
    }
    if wanted.is_empty() {
        return;
    }
    for (row, id) in v.visit_id.iter().enumerate() {
        if wanted.contains(id) {
            row_of.insert(id.to_string(), row as u32);
            stays.insert(row as u32, BTreeSet::new());
        }
    }
    let lines = &dump.lines;
    for i in 0..lines.visit.len() {
        let visit = lines.visit[i];
        if let Some(days) = stays.get_mut(&visit) {
            if lines.charge_time[i] != NULL_TIME && lines.amount[i] > 0 {
                days.insert(day_of(lines.charge_time[i]) - day_of(v.admit[visit as usize]));
            }
        }
    }
    for p in pictures.values_mut() {
        if let Picture::Timeline(t) = p {
            for e in t.lanes.iter_mut().flat_map(|l| &mut l.events) {
                if let Some(days) = row_of.get(e.visit.as_str()).and_then(|r| stays.get(r)) {
                    e.charged_days = days.iter().copied().collect();
                }
            }
        }
    }
}

/// Admissions and discharges of each provider's stays within the period, into its facts.
pub fn admissions(
    dump: &Dump,
    period: (Seconds, Seconds),
    facts: &mut BTreeMap<String, ProviderFacts>,
) {
    let v = &dump.visits;
    let n = dump.dicts.providers.len();
    let (mut admitted, mut discharged) = (vec![0usize; n], vec![0usize; n]);
    let within = |t: Seconds| t != NULL_TIME && t >= period.0 && t <= period.1;
    for row in 0..v.patient.len() {
        if v.visit_type[row] == VisitType::Inpatient {
            let p = v.provider[row] as usize;
            admitted[p] += usize::from(within(v.admit[row]));
            discharged[p] += usize::from(within(v.discharge[row]));
        }
    }
    for (p, id) in dump.dicts.providers.iter().enumerate() {
        if admitted[p] + discharged[p] > 0 {
            let f = facts.entry(id.to_string()).or_default();
            f.admissions += admitted[p];
            f.discharges += discharged[p];
        }
    }
}
