//! Injected frauds and their legitimate look-alikes.
//!
//! Person-level schemes take insured people of their own ("reserved": they have only the planned
//! visits) and write their visits in full; provider-level schemes give a provider a role that changes
//! what it bills during the honest generation. Every case leaves a [`Label`]: in `labels.parquet`
//! for frauds, in `decoys.parquet` for look-alikes (with `scheme` = the family they imitate).

use fundguard_model::VisitType;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::base;
use crate::plan::{Line, Roles, Visit, DAY, HONEST_SWAP_SHARE, HOUR, MIN};
use crate::rng::Rng;
use crate::world::{it, Person, World, ALL_DAY, LEVEL_PRIMARY, LEVEL_SECONDARY, LEVEL_TERTIARY};

/// A visit planned for a reserved person: its index in that person's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct VisitRef {
    pub patient: u32,
    pub idx: usize,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject {
    Provider(usize),
    Patient(u32),
    Visit(VisitRef),
    Doctor(usize, usize),
}

/// Money of a provider-level case that only the generation itself sees, counted per provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tally {
    /// Sales of boxes the provider never took in.
    Unstocked,
    /// Fund paid for stays given an invented complication.
    Upcoded,
    /// Split-off outpatient visits.
    Split,
    /// Tests added by panels.
    Panel,
    /// Template claims replacing outpatient visits.
    Cloned,
    /// Infusion courses added to outpatient visits.
    Upsold,
    /// Fund paid for readmissions a provider added.
    Readmitted,
    /// Fund paid for stays whose main diagnosis a provider recoded.
    Recoded,
}

/// A provider-level case of [`Planner::provider_round`]: its scheme and rule, the strength draws
/// (`(lo, width)` of the first round and of later ones), the per-provider role it sets, the money
/// it tallies and its note from the strength; and its look-alike's role, strength and note.
struct RoundCase {
    scheme: &'static str,
    rule: &'static str,
    first: (f64, f64),
    later: (f64, f64),
    role: fn(&mut Roles) -> &mut Vec<f64>,
    tally: Tally,
    note: fn(f64) -> String,
    look_alike: (fn(&mut Roles) -> &mut Vec<f64>, f64, &'static str),
}

/// Money a case added; some is known only after the honest generation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Amount {
    Fen(i64),
    /// Expensive-variant billing above the honest share.
    Swap(usize),
    /// Inflated inpatient drug quantities.
    Inflate(usize),
    /// Ultrasound billed above the cap.
    Gouge(usize),
    /// Billed beyond stock of (provider, item).
    Shortfall(usize, usize),
    /// Money counted per provider while the chunks are written.
    Counted(Tally, usize),
}

#[derive(Debug, Clone)]
pub(crate) struct Label {
    pub scheme: &'static str,
    /// The rule the case is injected for, e.g. `bed_hanging.elsewhere`.
    pub rule: &'static str,
    pub subject: Subject,
    pub provider: Option<usize>,
    pub patient: Option<u32>,
    pub visit: Option<VisitRef>,
    pub amount: Amount,
    pub note: String,
}

/// Everything decided before the honest generation runs.
pub(crate) struct Plan {
    pub roles: Roles,
    pub visits: FxHashMap<u32, Vec<Visit>>,
    pub labels: Vec<Label>,
    pub decoys: Vec<Label>,
    /// (provider, item, stock as a fraction of what is billed): < 1 is a fraud, 1.0 a look-alike.
    pub stock: Vec<(usize, usize, f64)>,
    /// Deaths of reserved people, overriding their drawn attributes.
    pub deaths: FxHashMap<u32, i32>,
}

/// How many cases of each kind: per 10,000 insured people, at least `min`.
#[derive(Debug, Clone, Copy)]
pub struct Rates {
    pub per_10k: f64,
    pub min: usize,
}

impl Default for Rates {
    fn default() -> Self {
        Rates {
            per_10k: 2.0,
            min: 3,
        }
    }
}

/// The month has too few people for the cases asked: every person who fits a case is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PlanError {
    pub patients: u32,
    pub taken: usize,
}

struct Planner<'w> {
    w: &'w World,
    r: Rng,
    taken: FxHashSet<u32>,
    busy_providers: FxHashSet<usize>,
    /// Providers person-level cases stay away from (look-alikes, stamping systems).
    avoid: FxHashSet<usize>,
    plan: Plan,
    /// Trace codes handed out to cases.
    codes: u64,
    /// Honest stays planned per provider, counted when a case first needs them.
    honest_stays: Option<Vec<usize>>,
}

fn t(w: &World, day: i32, hour: i64, minute: i64) -> i64 {
    i64::from(w.m0 + day) * DAY + hour * HOUR + minute * MIN
}

impl<'w> Planner<'w> {
    fn alive(&self, p: &Person) -> bool {
        p.death.is_none()
    }

    /// A person for a case: not used before, alive, and matching `pred`. A few random draws, then
    /// every person in turn from a random start; an error when nobody is left who fits.
    fn take(&mut self, pred: impl Fn(&Person) -> bool) -> Result<(u32, Person), PlanError> {
        const DRAWS: usize = 64;
        let n = self.w.patients;
        let fits = |pl: &Self, p: u32| {
            let person = pl.w.person(p);
            (!pl.taken.contains(&p) && pl.alive(&person) && person.birth_known && pred(&person))
                .then_some(person)
        };
        let mut found = None;
        for _ in 0..DRAWS {
            let p = self.r.below(u64::from(n)) as u32;
            if let Some(person) = fits(self, p) {
                found = Some((p, person));
                break;
            }
        }
        if found.is_none() {
            let start = self.r.below(u64::from(n)) as u32;
            found = (0..n)
                .map(|k| (start + k) % n)
                .find_map(|p| fits(self, p).map(|person| (p, person)));
        }
        let (p, person) = found.ok_or(PlanError {
            patients: n,
            taken: self.taken.len(),
        })?;
        self.taken.insert(p);
        Ok((p, person))
    }

    /// A provider from `pool` not used by another provider-level case, if one is left.
    fn free_provider(&mut self, pool: &[usize]) -> Option<usize> {
        let free: Vec<usize> = pool
            .iter()
            .copied()
            .filter(|p| !self.busy_providers.contains(p))
            .collect();
        if free.is_empty() {
            return None;
        }
        let p = *self.r.pick(&free);
        self.busy_providers.insert(p);
        Some(p)
    }

    /// A provider from `pool` not used by another provider-level case.
    fn provider(&mut self, pool: &[usize]) -> usize {
        let free: Vec<usize> = pool
            .iter()
            .copied()
            .filter(|p| !self.busy_providers.contains(p))
            .collect();
        let p = if free.is_empty() {
            *self.r.pick(pool)
        } else {
            *self.r.pick(&free)
        };
        self.busy_providers.insert(p);
        p
    }

    /// A hospital of `level` for a person-level case: any of them, shared use is fine (cases
    /// spread over the city as fraud does), but never one that is a provider-level look-alike or
    /// stamps every line, whose honest habit a case's hit would be mistaken for.
    fn hospital(&mut self, level: &str) -> usize {
        let pool = self.w.hospitals_of(level);
        let free: Vec<usize> = pool
            .iter()
            .copied()
            .filter(|h| !self.avoid.contains(h))
            .collect();
        *self.r.pick(if free.is_empty() { &pool } else { &free })
    }

    fn add(&mut self, patient: u32, v: Visit) -> VisitRef {
        let list = self.plan.visits.entry(patient).or_default();
        list.push(v);
        VisitRef {
            patient,
            idx: list.len() - 1,
        }
    }

    /// Adds `v` for reserved person `p` and labels it as a visit-level case.
    #[allow(clippy::too_many_arguments)]
    fn visit_case(
        &mut self,
        decoy: bool,
        scheme: &'static str,
        rule: &'static str,
        p: u32,
        v: Visit,
        provider: usize,
        amount: i64,
        note: String,
    ) {
        let r = self.add(p, v);
        self.label_visit(decoy, scheme, rule, p, r, provider, amount, note);
    }

    /// Labels a case (or look-alike) about visit `r` of person `p`, already added.
    #[allow(clippy::too_many_arguments)]
    fn label_visit(
        &mut self,
        decoy: bool,
        scheme: &'static str,
        rule: &'static str,
        p: u32,
        r: VisitRef,
        provider: usize,
        amount: i64,
        note: String,
    ) {
        self.label(
            decoy,
            scheme,
            rule,
            Subject::Visit(r),
            Some(p),
            Some(r),
            provider,
            Amount::Fen(amount),
            note,
        );
    }

    /// Labels a case whose subject is a provider.
    fn provider_case(
        &mut self,
        decoy: bool,
        scheme: &'static str,
        rule: &'static str,
        provider: usize,
        amount: Amount,
        note: String,
    ) {
        let subject = Subject::Provider(provider);
        if decoy {
            self.avoid.insert(provider);
        }
        self.label(
            decoy, scheme, rule, subject, None, None, provider, amount, note,
        );
    }

    fn visit(&self, v: VisitRef) -> &Visit {
        &self.plan.visits[&v.patient][v.idx]
    }

    fn visit_mut(&mut self, v: VisitRef) -> &mut Visit {
        &mut self
            .plan
            .visits
            .get_mut(&v.patient)
            .expect("a planned patient")[v.idx]
    }

    #[allow(clippy::too_many_arguments)]
    fn label(
        &mut self,
        decoy: bool,
        scheme: &'static str,
        rule: &'static str,
        subject: Subject,
        patient: Option<u32>,
        visit: Option<VisitRef>,
        provider: usize,
        amount: Amount,
        note: String,
    ) {
        let l = Label {
            scheme,
            rule,
            subject,
            provider: Some(provider),
            patient,
            visit,
            amount,
            note,
        };
        if decoy {
            self.plan.decoys.push(l);
        } else {
            self.plan.labels.push(l);
        }
    }

    /// A stay for a case that does not care about the diagnosis: one of the ordinary ones, so that
    /// cases placed on one day at one hospital do not look like a group admission.
    fn ordinary_stay(&mut self, h: usize, day: i32, los: i32) -> Visit {
        let diag = base::ordinary_diagnosis(&mut self.r);
        self.stay(h, day, los, diag)
    }

    /// A stay for a case with main diagnosis `diag`; a stroke (I63) is treated by the stroke
    /// protocol, as honest strokes are.
    fn stay(&mut self, h: usize, day: i32, los: i32, diag: &'static str) -> Visit {
        base::stay(
            self.w,
            &self.plan.roles,
            &mut self.r,
            h,
            day,
            los,
            (diag, diag.starts_with("I63")),
        )
    }

    /// The strength of a provider-level case drawn across its rule's margin: uniform from
    /// `lo` over `width` (`(lo, width)`), the first round's from `first`, above the margin, so
    /// that a small month still has a case to find, later rounds' from `later`.
    fn straddling(&mut self, round: usize, first: (f64, f64), later: (f64, f64)) -> f64 {
        let (lo, width) = if round == 0 { first } else { later };
        lo + width * self.r.unit()
    }

    /// One round of a provider-level case drawn across its rule's margin: a free provider of
    /// `pool` given the case's role at a [`straddling`](Self::straddling) strength, its money
    /// counted while the month is written; in the first round also the look-alike, a second free
    /// provider given the look-alike's role and strength. A round stops when `pool` has no free
    /// provider left.
    fn provider_round(&mut self, round: usize, pool: &[usize], c: RoundCase) {
        let Some(p) = self.free_provider(pool) else {
            return;
        };
        let share = self.straddling(round, c.first, c.later);
        (c.role)(&mut self.plan.roles)[p] = share;
        self.provider_case(
            false,
            c.scheme,
            c.rule,
            p,
            Amount::Counted(c.tally, p),
            (c.note)(share),
        );
        if round > 0 {
            return;
        }
        let Some(p) = self.free_provider(pool) else {
            return;
        };
        let (role, strength, note) = c.look_alike;
        role(&mut self.plan.roles)[p] = strength;
        self.provider_case(true, c.scheme, c.rule, p, Amount::Fen(0), note.to_string());
    }

    /// The honest stays planned at hospital `h` (every person's stay plan, counted once).
    fn honest_stays(&mut self, h: usize) -> usize {
        let w = self.w;
        self.honest_stays.get_or_insert_with(|| {
            let mut n = vec![0; w.providers.len()];
            for p in 0..w.patients {
                if let Some(s) = base::stay_plan(w, p, &w.person(p)) {
                    n[s.hospital] += 1;
                }
            }
            n
        })[h]
    }

    /// How many case stays at hospital `h` make them `share` of its stays.
    fn stays_for_share(&mut self, h: usize, share: f64) -> usize {
        let honest = self.honest_stays(h) as f64;
        ((share * honest / (1.0 - share)).round() as usize).max(5)
    }

    /// A clinic for a person-level case (never one with a role or a stamping habit).
    fn clinic(&mut self) -> usize {
        let free: Vec<usize> = self
            .w
            .clinics
            .iter()
            .copied()
            .filter(|c| !self.avoid.contains(c))
            .collect();
        *self.r.pick(if free.is_empty() {
            &self.w.clinics
        } else {
            &free
        })
    }

    /// The pharmacies whose stated hours are ordinary (not unknown, not day and night).
    fn ordinary_pharmacies(&self) -> Vec<usize> {
        self.w
            .pharmacies
            .iter()
            .copied()
            .filter(|&p| self.w.providers[p].open.is_some_and(|o| o != ALL_DAY))
            .collect()
    }

    /// A pharmacy with stated, ordinary hours, not used by another provider-level case.
    fn free_pharmacy(&mut self) -> usize {
        let pool = self.ordinary_pharmacies();
        self.provider(&pool)
    }

    /// Any pharmacy with ordinary stated hours, for a person-level case's purchase.
    fn any_pharmacy(&mut self) -> usize {
        let pool = self.ordinary_pharmacies();
        *self.r.pick(&pool)
    }

    /// A pharmacy whose hours the providers table does not state and that does not sell at night.
    fn unknown_hours_pharmacy(&mut self) -> usize {
        let pool: Vec<usize> = self
            .w
            .pharmacies
            .iter()
            .copied()
            .filter(|&p| {
                self.w.providers[p].open.is_none()
                    && !self.w.providers[p].night
                    && !self.busy_providers.contains(&p)
            })
            .collect();
        if pool.is_empty() {
            return self.free_pharmacy();
        }
        self.provider(&pool)
    }
}

/// Plans every injected case and look-alike.
pub(crate) fn plan(w: &World, rates: Rates) -> Result<Plan, PlanError> {
    let n_providers = w.providers.len();
    // Scanning habits, from a stream of their own: counters miss 0.5-3% of boxes (pharmacies) or
    // 1-4% (outpatient desks); two pharmacies in five report their stock scans.
    let scanning: (Vec<f64>, Vec<bool>) = {
        let mut r = Rng::new(w.seed, 0x5CA7_0000_0000_0000);
        w.providers
            .iter()
            .map(|p| {
                let pharmacy = p.ptype == fundguard_model::ProviderType::Pharmacy;
                let miss = if pharmacy {
                    0.005 + 0.025 * r.unit()
                } else {
                    0.01 + 0.03 * r.unit()
                };
                (miss, pharmacy && r.chance(0.4))
            })
            .unzip()
    };
    let mut pl = Planner {
        w,
        r: Rng::new(w.seed, 0xCA5E_0000_0000_0000),
        taken: FxHashSet::default(),
        busy_providers: FxHashSet::default(),
        avoid: FxHashSet::default(),
        codes: 0,
        honest_stays: None,
        plan: Plan {
            roles: Roles {
                swap_share: vec![HONEST_SWAP_SHARE; n_providers],
                inflate: vec![1; n_providers],
                gouge: vec![false; n_providers],
                scan_miss: scanning.0,
                unstocked: vec![0.0; n_providers],
                reports_stock: scanning.1,
                template: FxHashMap::default(),
                upcode: vec![0.0; n_providers],
                split: vec![0.0; n_providers],
                panel: vec![0.0; n_providers],
                follow_up: vec![0.0; n_providers],
                complex: vec![0.0; n_providers],
                cloning: vec![0.0; n_providers],
                package: vec![0.0; n_providers],
                upsell: vec![0.0; n_providers],
                order_set: {
                    let mut g = vec![false; n_providers];
                    for h in w.order_set_group() {
                        g[h] = true;
                    }
                    g
                },
                readmit: vec![0.0; n_providers],
                recode: vec![0.0; n_providers],
                stroke: vec![0.0; n_providers],
                cycles: vec![0.0; n_providers],
            },
            visits: FxHashMap::default(),
            labels: Vec::new(),
            decoys: Vec::new(),
            stock: Vec::new(),
            deaths: FxHashMap::default(),
        },
    };
    // Providers that stamp every line with the settlement time are look-alikes of exact
    // duplicates: no case is placed there.
    for (i, p) in w.providers.iter().enumerate() {
        if p.stamps {
            pl.busy_providers.insert(i);
            pl.avoid.insert(i);
        }
    }
    // The hospital group sharing a standard order set is a look-alike of cloned claims: no case
    // is placed there (a case's lines would be replaced by the order set).
    for h in w.order_set_group() {
        pl.busy_providers.insert(h);
        pl.provider_case(
            true,
            "phantom_service",
            "phantom_service.cloned_claims",
            h,
            Amount::Fen(0),
            "one of six group hospitals sharing a standard infusion order set for upper \
             respiratory infections (40% of those visits)"
                .into(),
        );
    }
    let n = ((f64::from(w.patients) / 10_000.0 * rates.per_10k).round() as usize).max(rates.min);
    // Provider-level cases are fewer: a city has far fewer providers than people, and each
    // round of them takes a dozen hospitals (roles, group admissions and their look-alikes).
    let n_prov = (n / 10).min(w.hospitals.len() / 12).max(1);
    provider_roles(&mut pl, n_prov)?;
    for round in 0..n_prov {
        account_misuse(&mut pl, round)?;
        pharmacy_cases(&mut pl)?;
        group_admission(&mut pl)?;
        trace_cases(&mut pl)?;
    }
    for _ in 0..n {
        bed_hanging(&mut pl)?;
        duplicate_charges(&mut pl)?;
        split_admission(&mut pl)?;
        impersonation(&mut pl)?;
        restricted_items(&mut pl)?;
        phantom_and_supply(&mut pl)?;
        same_card_two_places(&mut pl)?;
    }
    for _ in 0..(n / 2).max(1) {
        cost_shifting(&mut pl)?;
        repeated_tests(&mut pl)?;
    }
    for round in 0..n_prov {
        // Readmissions first: hospitals run out in a small month, and this case has no other rule
        // to be found by.
        readmissions(&mut pl, round);
        admission_standard(&mut pl, round)?;
        upcoding(&mut pl, round);
        recoding(&mut pl, round);
        split_visits(&mut pl, round);
        test_panels(&mut pl, round);
        cloned_claims(&mut pl, round);
        upselling(&mut pl, round);
    }
    for _ in 0..(n / 20).max(1) {
        let patients = pl.r.range(40, 200) as usize;
        busy_doctor(&mut pl, patients)?;
        template_doctor(&mut pl, false)?;
        template_doctor(&mut pl, true)?;
    }
    honest_look_alikes(&mut pl);
    Ok(pl.plan)
}

/// The honest month's own look-alikes: providers, doctors and people whose ordinary billing a
/// rule could mistake for the scheme it hunts (see `base`).
fn honest_look_alikes(pl: &mut Planner<'_>) {
    let w = pl.w;
    let free = |pl: &Planner<'_>, p: usize| !pl.busy_providers.contains(&p);
    let add = |pl: &mut Planner<'_>, scheme, rule, p: usize, note: &str| {
        pl.provider_case(true, scheme, rule, p, Amount::Fen(0), note.to_string());
    };
    let mut families: Vec<usize> = Vec::new();
    for block in 0..w.patients.div_ceil(8) {
        if let Some(h) = w.household(block * 8) {
            if h.trips.len() >= 2 {
                families.push(h.pharmacy);
            }
        }
    }
    families.sort_unstable();
    families.dedup();
    for &ph in &w.pharmacies {
        if !free(pl, ph) {
            continue;
        }
        let p = &w.providers[ph];
        match p.open {
            Some(ALL_DAY) => add(
                pl,
                "card_pooling",
                "card_pooling.off_hours",
                ph,
                "a 24-hour pharmacy that sells at night",
            ),
            None if p.night => add(
                pl,
                "card_pooling",
                "card_pooling.off_hours",
                ph,
                "hours not stated; sells late at night",
            ),
            None => add(
                pl,
                "card_pooling",
                "card_pooling.off_hours",
                ph,
                "hours not stated",
            ),
            _ => {}
        }
        if p.terminals.len() >= 3 {
            add(
                pl,
                "card_pooling",
                "card_pooling.burst",
                ph,
                "three or four counters with a morning rush",
            );
        }
        if families.binary_search(&ph).is_ok() {
            add(
                pl,
                "card_pooling",
                "card_pooling.ring",
                ph,
                "families of four to six who shop together",
            );
            add(
                pl,
                "card_pooling",
                "card_pooling.burst",
                ph,
                "families of four to six paying one card after another",
            );
        }
        add(
            pl,
            "card_pooling",
            "card_pooling.identical_baskets",
            ph,
            "elderly customers buying the standard chronic-disease baskets",
        );
    }
    for (i, p) in w.providers.iter().enumerate() {
        if p.stamps {
            add(pl, "duplicate_charge", "duplicate_charge.exact", i, "stamps every line with the settlement time; two identical injections are two lines");
        }
        for &d in &p.specialists {
            pl.label(
                true,
                "phantom_service",
                "phantom_service.doctor_volume",
                Subject::Doctor(i, d),
                None,
                None,
                i,
                Amount::Fen(0),
                "a specialist who sees 100-160 outpatients on working days".into(),
            );
        }
    }
    for p in 0..w.patients {
        if pl.taken.contains(&p) {
            continue;
        }
        let person = w.person(p);
        if person.death.is_some_and(|d| d < w.m0 + w.nd) {
            continue;
        }
        let person_case = |pl: &mut Planner<'_>, scheme, rule, provider, note: String| {
            pl.label(
                true,
                scheme,
                rule,
                Subject::Patient(p),
                Some(p),
                None,
                provider,
                Amount::Fen(0),
                note,
            );
        };
        if !person.birth_known {
            let home = w.by_district[person.district][2][0];
            person_case(
                pl,
                "impersonation",
                "impersonation.restricted_person",
                home,
                "birth date unknown".into(),
            );
        }
        let Some(s) = base::stay_plan(w, p, &person) else {
            continue;
        };
        if let Some((dept, diag)) = s.care {
            person_case(
                pl,
                "bed_hanging",
                "bed_hanging.hollow_days",
                s.hospital,
                format!(
                    "a {diag} stay in department {dept} with {:.0}% rest days",
                    s.rest * 100.0
                ),
            );
        }
        if let Some(days) = s.posts_late {
            person_case(
                pl,
                "phantom_service",
                "phantom_service.after_discharge",
                s.hospital,
                format!("a result or take-home drug posted {days} day(s) after discharge"),
            );
        }
    }
}

fn provider_roles(pl: &mut Planner<'_>, n: usize) -> Result<(), PlanError> {
    let tertiary = pl.w.hospitals_of(LEVEL_TERTIARY);
    let secondary = pl.w.hospitals_of(LEVEL_SECONDARY);
    for _ in 0..n {
        let h = pl.provider(&tertiary);
        pl.plan.roles.swap_share[h] = 0.95;
        pl.provider_case(
            false,
            "item_swap",
            "item_swap.peer_share",
            h,
            Amount::Swap(h),
            "bills the dispersible cefixime and colour ultrasound almost always".into(),
        );
        let h = pl.provider(&tertiary);
        pl.plan.roles.swap_share[h] = 0.4;
        pl.provider_case(
            true,
            "item_swap",
            "item_swap.peer_share",
            h,
            Amount::Fen(0),
            "somewhat more expensive variants than peers, within normal variation".into(),
        );

        let h = pl.provider(&secondary);
        pl.plan.roles.inflate[h] = 3;
        pl.provider_case(
            false,
            "peer_outlier",
            "peer_outlier.drug_cost_per_day",
            h,
            Amount::Inflate(h),
            "inpatient drug quantities three times the usual".into(),
        );

        let h = pl.provider(&secondary);
        pl.plan.roles.gouge[h] = true;
        pl.provider_case(
            false,
            "over_standard_price",
            "over_standard_price.above_cap",
            h,
            Amount::Gouge(h),
            "ultrasound billed 25% above the price cap".into(),
        );

        let h = pl.provider(&tertiary);
        pl.plan.stock.push((h, it::OMEPRAZOLE, 0.5));
        pl.provider_case(
            false,
            "item_swap",
            "item_swap.inventory",
            h,
            Amount::Shortfall(h, it::OMEPRAZOLE),
            "bills twice the omeprazole it bought".into(),
        );
        let h = pl.provider(&secondary);
        pl.plan.stock.push((h, it::OMEPRAZOLE, 1.0));
        pl.provider_case(
            true,
            "item_swap",
            "item_swap.inventory",
            h,
            Amount::Fen(0),
            "bought exactly what it billed".into(),
        );
    }
    Ok(())
}

/// One pharmacy visit for a reserved card, with the given basket (catalogue prices; fixed items
/// at their list prices).
fn card_visit(
    pl: &mut Planner<'_>,
    ph: usize,
    time: i64,
    basket: &[(usize, i64)],
) -> Result<VisitRef, PlanError> {
    let (p, _) = pl.take(|_| true)?;
    let mut v = Visit::at_pharmacy(ph, time);
    for &(item, n) in basket {
        v.lines
            .push(Line::priced(item, time, n, pl.w.catalog.price_at(item, None)).supply(10));
    }
    Ok(pl.add(p, v))
}

fn paid(pl: &Planner<'_>, refs: &[VisitRef]) -> i64 {
    refs.iter()
        .map(|r| {
            let v = pl.visit(*r);
            let (fund, account, _) = v.payments(&pl.w.person(r.patient));
            fund + account
        })
        .sum()
}

fn pharmacy_cases(pl: &mut Planner<'_>) -> Result<(), PlanError> {
    let w = pl.w;
    // card_pooling.burst: 6-30 cards, 15-60 s apart, on one terminal, at any hour of business.
    let ph = pl.free_pharmacy();
    let day = pl.r.range(1, i64::from(w.nd) - 2) as i32;
    let (open, close) = w.providers[ph].open.expect("ordinary hours");
    let n = pl.r.range(6, 30) as usize;
    let start = pl.r.range(i64::from(open) + 10, i64::from(close) - 40);
    let mut time = t(w, day, 0, start);
    let terminal = pl.r.below(w.providers[ph].terminals.len() as u64) as usize;
    let mut refs = Vec::new();
    for _ in 0..n {
        let (drug, per_day) = *pl.r.pick(crate::world::ORAL_DRUGS);
        let r = card_visit(pl, ph, time, &[(drug, per_day * 10)])?;
        pl.visit_mut(r).terminal = Some(terminal);
        refs.push(r);
        time += pl.r.range(15, 60);
    }
    let amount = paid(pl, &refs);
    pl.provider_case(
        false,
        "card_pooling",
        "card_pooling.burst",
        ph,
        Amount::Fen(amount),
        format!("{n} cards swiped 15-60 s apart at one terminal"),
    );
    // Look-alikes: a family of 4-6 at the counter together, and a genuinely busy hour.
    let ph = pl.free_pharmacy();
    let (open, _) = w.providers[ph].open.expect("ordinary hours");
    let mut time = t(w, day, 0, i64::from(open) + 120);
    for _ in 0..pl.r.range(4, 6) {
        let r = card_visit(pl, ph, time, &[(it::LIANHUA, 24)])?;
        pl.visit_mut(r).terminal = Some(0);
        time += pl.r.range(30, 90);
    }
    let mut time = t(w, day, 18, 0);
    for _ in 0..8 {
        card_visit(pl, ph, time, &[(it::AMLODIPINE, 30)])?;
        time += pl.r.range(180, 420);
    }
    pl.provider_case(
        true,
        "card_pooling",
        "card_pooling.burst",
        ph,
        Amount::Fen(0),
        "a family of four to six together, and eight customers over 40 minutes".into(),
    );

    // card_pooling.identical_baskets: an unusual basket on 4-12 cards in one day, spread out.
    let ph = pl.free_pharmacy();
    let cards = pl.r.range(4, 12);
    let mut basket = vec![(it::ATORVASTATIN, 28 * pl.r.range(1, 3))];
    while basket.len() < pl.r.range(2, 4) as usize {
        let drug = w.catalog.draw(&mut pl.r, crate::catalog::Kind::Oral);
        if !basket.iter().any(|b| b.0 == drug) {
            basket.push((drug, 10 * pl.r.range(2, 9)));
        }
    }
    let refs: Vec<VisitRef> = (0..cards)
        .map(|k| {
            let time = t(w, day, 8 + k, pl.r.range(0, 59));
            card_visit(pl, ph, time, &basket)
        })
        .collect::<Result<_, _>>()?;
    let amount = paid(pl, &refs);
    pl.provider_case(
        false,
        "card_pooling",
        "card_pooling.identical_baskets",
        ph,
        Amount::Fen(amount),
        format!(
            "{cards} cards with an identical {}-item basket in one day",
            basket.len()
        ),
    );
    let ph = pl.free_pharmacy();
    for k in 0..2 {
        card_visit(pl, ph, t(w, day, 11 + 3 * k, 10), &basket)?;
    }
    pl.provider_case(
        true,
        "card_pooling",
        "card_pooling.identical_baskets",
        ph,
        Amount::Fen(0),
        "two cards with the same basket".into(),
    );

    // card_pooling.ring: the same 3-12 cards together on 4-8 days.
    let ph = pl.free_pharmacy();
    let size = pl.r.range(3, 12) as usize;
    let days = pl.r.range(4, 8) as i32;
    let ring: Vec<(u32, Person)> = (0..size)
        .map(|_| pl.take(|_| true))
        .collect::<Result<_, _>>()?;
    let mut refs = Vec::new();
    for k in 0..days {
        let day = 1 + k * (w.nd - 2) / days;
        let mut time = t(w, day, 15, pl.r.range(0, 30));
        for (p, _) in &ring {
            let mut v = Visit::at_pharmacy(ph, time);
            let (drug, per_day) = *pl.r.pick(crate::world::ORAL_DRUGS);
            v.lines.push(Line::new(drug, time, per_day * 7).supply(7));
            refs.push(pl.add(*p, v));
            time += pl.r.range(40, 120);
        }
    }
    let amount = paid(pl, &refs);
    pl.provider_case(
        false,
        "card_pooling",
        "card_pooling.ring",
        ph,
        Amount::Fen(amount),
        format!("the same {size} cards swiped together on {days} days"),
    );
    let ph = pl.free_pharmacy();
    let size = pl.r.range(4, 6) as usize;
    let family: Vec<(u32, Person)> = (0..size)
        .map(|_| pl.take(|_| true))
        .collect::<Result<_, _>>()?;
    for k in 0..3 {
        let mut time = t(w, 3 + 9 * k, 10, 0);
        for (p, _) in &family {
            let mut v = Visit::at_pharmacy(ph, time);
            v.lines.push(Line::new(it::LIANHUA, time, 24).supply(6));
            pl.add(*p, v);
            time += 60;
        }
    }
    pl.provider_case(
        true,
        "card_pooling",
        "card_pooling.ring",
        ph,
        Amount::Fen(0),
        format!("a family of {size} shopping together on three days"),
    );

    // card_pooling.off_hours: 2-8 settlements in the small hours, at a pharmacy with stated
    // hours or at one whose hours are unknown (and that does not trade at night).
    for unknown in [false, true] {
        let ph = if unknown {
            pl.unknown_hours_pharmacy()
        } else {
            pl.free_pharmacy()
        };
        let n = pl.r.range(2, 8) as i32;
        let refs: Vec<VisitRef> = (0..n)
            .map(|k| {
                let day = 1 + k * (w.nd - 2) / n;
                let time = t(w, day, pl.r.range(0, 4), pl.r.range(0, 59));
                card_visit(pl, ph, time, &[(it::METFORMIN, 90)])
            })
            .collect::<Result<_, _>>()?;
        let amount = paid(pl, &refs);
        let hours = if unknown {
            "hours unknown"
        } else {
            "hours stated"
        };
        pl.provider_case(
            false,
            "card_pooling",
            "card_pooling.off_hours",
            ph,
            Amount::Fen(amount),
            format!("{n} settlements between 00:00 and 05:00 ({hours})"),
        );
    }
    let ph = pl.free_pharmacy();
    let close = pl.w.providers[ph].open.expect("pharmacy").1;
    card_visit(
        pl,
        ph,
        t(w, 6, 0, i64::from(close) - 10),
        &[(it::METFORMIN, 90)],
    )?;
    pl.provider_case(
        true,
        "card_pooling",
        "card_pooling.off_hours",
        ph,
        Amount::Fen(0),
        "a purchase ten minutes before closing".into(),
    );

    // item_swap.3: face cream settled as a drug, round 200.00 baskets on many cards.
    let ph = pl.free_pharmacy();
    let refs: Vec<VisitRef> = (0..12)
        .map(|k| {
            let time = t(w, 1 + 2 * k, 16, pl.r.range(0, 59));
            card_visit(pl, ph, time, &[(it::FACE_CREAM, 4)])
        })
        .collect::<Result<_, _>>()?;
    let amount = refs.iter().map(|r| pl.visit(*r).total()).sum();
    pl.provider_case(
        false,
        "item_swap",
        "item_swap.disguised_goods",
        ph,
        Amount::Fen(amount),
        "goods outside the drug catalogue settled as drugs, 200.00 a basket".into(),
    );
    let ph = pl.free_pharmacy();
    for k in 0..2 {
        card_visit(pl, ph, t(w, 5 + k, 11, 0), &[(it::LIUWEI, 250)])?;
    }
    pl.provider_case(
        true,
        "item_swap",
        "item_swap.disguised_goods",
        ph,
        Amount::Fen(0),
        "two catalogue purchases that happen to total 100.00".into(),
    );
    Ok(())
}

fn amount_where(v: &Visit, pred: impl Fn(&Line) -> bool) -> i64 {
    v.lines.iter().filter(|l| pred(l)).map(Line::amount).sum()
}

fn bed_hanging(pl: &mut Planner<'_>) -> Result<(), PlanError> {
    let w = pl.w;
    // bed_hanging.1: settlements elsewhere strictly inside the stay.
    let (p, person) = pl.take(|p| p.age >= 18)?;
    let h = pl.hospital(LEVEL_SECONDARY);
    let day = pl.r.range(1, 12) as i32;
    let stay = pl.stay(h, day, 10, "K29.700");
    let sref = pl.add(p, stay);
    let mut days = Vec::new();
    for k in [3, 6] {
        let d = day + k;
        let c = pl.clinic();
        let v = base::outpatient(w, &pl.plan.roles, &mut pl.r, &person, c, d);
        pl.add(p, v);
        days.push(w.m0 + d);
        let ph = pl.any_pharmacy();
        let v = base::pharmacy(w, &pl.plan.roles, &mut pl.r, ph, d + 1);
        pl.add(p, v);
        days.push(w.m0 + d + 1);
    }
    let amount = amount_where(pl.visit(sref), |l| {
        matches!(l.item, it::BED | it::NURSING) && days.contains(&((l.time / DAY) as i32))
    });
    pl.label_visit(
        false,
        "bed_hanging",
        "bed_hanging.elsewhere",
        p,
        sref,
        h,
        amount,
        "four settlements at other providers during the stay".into(),
    );
    // Look-alike: a pharmacy visit on the admission day, soon after the pharmacy opens and before
    // admission.
    let (p, _) = pl.take(|p| p.age >= 18)?;
    let h = pl.hospital(LEVEL_SECONDARY);
    let ph = pl.any_pharmacy();
    let open = w.providers[ph].open.expect("pharmacies have hours").0;
    let mut v = base::pharmacy(w, &pl.plan.roles, &mut pl.r, ph, day);
    v.admit = t(w, day, 0, i64::from(open) + 10);
    v.discharge = Some(v.admit);
    for l in &mut v.lines {
        l.time = v.admit;
    }
    let mut stay = pl.ordinary_stay(h, day, 6);
    let shift = (v.admit + 2 * HOUR - stay.admit).max(0);
    let first_day = stay.admit / DAY;
    stay.admit += shift;
    for l in &mut stay.lines {
        if l.time / DAY == first_day {
            l.time += shift;
        }
    }
    let sref = pl.add(p, stay);
    pl.add(p, v);
    pl.label_visit(
        true,
        "bed_hanging",
        "bed_hanging.elsewhere",
        p,
        sref,
        h,
        0,
        "pharmacy on the morning of admission".into(),
    );

    // bed_hanging.hollow_days: the last 40-90% of a 10-16-day stay bills only bed, nursing and
    // consultation (the patient went home, the bed was kept).
    let (p, _) = pl.take(|p| p.age >= 40)?;
    let h = pl.hospital(LEVEL_PRIMARY);
    let day = pl.r.range(0, 14) as i32;
    let los = pl.r.range(10, 16) as i32;
    let share = 0.4 + 0.5 * pl.r.unit();
    let hollow = ((f64::from(los) * share).round() as i32).clamp(1, los - 1);
    let mut stay = pl.stay(h, day, los, "I10.x00");
    let hollow_from = i64::from(w.m0 + day + los - hollow) * DAY;
    let discharge_day = i64::from(w.m0 + day + los) * DAY;
    stay.lines.retain(|l| {
        l.time < hollow_from
            || l.time >= discharge_day
            || matches!(l.item, it::BED | it::NURSING | it::INP_CONSULT)
    });
    let amount = amount_where(&stay, |l| l.time >= hollow_from && l.time < discharge_day);
    let sref = pl.add(p, stay);
    pl.label_visit(
        false,
        "bed_hanging",
        "bed_hanging.hollow_days",
        p,
        sref,
        h,
        amount,
        format!("{hollow} of {los} days with only bed, nursing and consultation fees"),
    );
    let (p, _) = pl.take(|p| p.age >= 40)?;
    let mut stay = pl.stay(h, day, 6, "I10.x00");
    let quiet = [w.m0 + day + 4, w.m0 + day + 5];
    stay.lines.retain(|l| {
        !quiet.contains(&((l.time / DAY) as i32))
            || matches!(l.item, it::BED | it::NURSING | it::INP_CONSULT)
    });
    let sref = pl.add(p, stay);
    pl.label_visit(
        true,
        "bed_hanging",
        "bed_hanging.hollow_days",
        p,
        sref,
        h,
        0,
        "two quiet days before discharge".into(),
    );

    // bed_hanging.3: two stays overlapping by several days.
    let (p, _) = pl.take(|p| p.age >= 18)?;
    let h1 = pl.hospital(LEVEL_TERTIARY);
    let h2 = pl.hospital(LEVEL_PRIMARY);
    let day = pl.r.range(0, 10) as i32;
    let first = pl.stay(h1, day, 9, "S72.000");
    pl.add(p, first);
    let second = pl.stay(h2, day + 5, 8, "M54.500");
    let overlap_end = i64::from(w.m0 + day + 9) * DAY;
    let amount = amount_where(&second, |l| l.time < overlap_end);
    let sref = pl.add(p, second);
    pl.label_visit(
        false,
        "bed_hanging",
        "bed_hanging.overlap",
        p,
        sref,
        h2,
        amount,
        "a second stay elsewhere overlapping the first by four days".into(),
    );
    // Look-alike: a transfer, discharged in the morning and admitted elsewhere that afternoon.
    let (p, _) = pl.take(|p| p.age >= 18)?;
    let first = pl.stay(h1, day, 5, "I63.900");
    let out = first.discharge.expect("stays end");
    pl.add(p, first);
    let mut second = pl.stay(h2, day + 5, 6, "I63.900");
    let shift = out + 3 * HOUR - second.admit;
    let first_day = second.admit / DAY;
    second.admit += shift;
    for l in &mut second.lines {
        if l.time / DAY == first_day {
            l.time += shift;
        }
    }
    let sref = pl.add(p, second);
    pl.label_visit(
        true,
        "bed_hanging",
        "bed_hanging.overlap",
        p,
        sref,
        h2,
        0,
        "a same-day transfer between hospitals".into(),
    );
    Ok(())
}

/// bed_hanging.4: six neighbours admitted together, discharged together, same diagnosis. A
/// provider-level case: the hospital and the look-alike's are kept apart so that each is judged on
/// its own admissions.
fn group_admission(pl: &mut Planner<'_>) -> Result<(), PlanError> {
    let w = pl.w;
    let primary = w.hospitals_of(LEVEL_PRIMARY);
    let h = pl.provider(&primary);
    let district = pl.r.below(crate::world::DISTRICTS.len() as u64) as usize;
    let day = pl.r.range(0, 15) as i32;
    let mut fund = 0;
    for k in 0..6 {
        let (p, person) = pl.take(|p| p.district == district && p.age >= 50)?;
        let stay = pl.stay(h, day, 8 + (k % 2), "J44.100");
        fund += stay.payments(&person).0;
        pl.add(p, stay);
    }
    pl.provider_case(
        false,
        "bed_hanging",
        "bed_hanging.group_admission",
        h,
        Amount::Fen(fund),
        "six neighbours admitted the same day with the same chapter".into(),
    );
    let h = pl.provider(&primary);
    const MIXED: [&str; 6] = [
        "J44.100", "I10.x00", "K80.200", "E11.900", "S72.000", "N39.000",
    ];
    for (k, diag) in MIXED.iter().enumerate() {
        let (p, _) = pl.take(|p| p.district == district && p.age >= 50)?;
        let stay = pl.stay(h, day, 4 + 2 * k as i32, diag);
        pl.add(p, stay);
    }
    pl.provider_case(
        true,
        "bed_hanging",
        "bed_hanging.group_admission",
        h,
        Amount::Fen(0),
        "six admissions one day, different illnesses and discharge days".into(),
    );
    Ok(())
}

fn outpatient_at(pl: &mut Planner<'_>, person: &Person, provider: usize, day: i32) -> Visit {
    let mut v = base::outpatient(pl.w, &pl.plan.roles, &mut pl.r, person, provider, day);
    // Case visits are clean: no reversed-and-rebilled noise unless the case adds it.
    let mut seen = FxHashSet::default();
    v.lines.retain(|l| l.qty > 0 && seen.insert(l.item));
    v
}

fn duplicate_charges(pl: &mut Planner<'_>) -> Result<(), PlanError> {
    let w = pl.w;
    let h = pl.hospital(LEVEL_TERTIARY);
    // duplicate_charge.1: the same line twice.
    let (p, person) = pl.take(|_| true)?;
    let day = pl.r.range(0, i64::from(w.nd) - 1) as i32;
    let mut v = outpatient_at(pl, &person, h, day);
    v.lines.push(Line::new(it::CT, v.admit + 20 * MIN, 1));
    let dup = v.lines.last().expect("just pushed").clone();
    let amount = dup.amount();
    v.lines.push(dup);
    pl.visit_case(
        false,
        "duplicate_charge",
        "duplicate_charge.exact",
        p,
        v,
        h,
        amount,
        "CT billed twice at the same minute".into(),
    );
    let (p, person) = pl.take(|_| true)?;
    let mut v = outpatient_at(pl, &person, h, day);
    let ct = Line::new(it::CT, v.admit + 20 * MIN, 1);
    v.lines.push(ct.clone());
    v.lines.push(ct.reversed(ct.time + 10 * MIN));
    v.lines.push(Line {
        time: ct.time + 15 * MIN,
        ..ct
    });
    pl.visit_case(
        true,
        "duplicate_charge",
        "duplicate_charge.exact",
        p,
        v,
        h,
        0,
        "CT billed, reversed and billed again".into(),
    );

    // duplicate_charge.2: bed fee twice a day on three days.
    let (p, _) = pl.take(|p| p.age >= 18)?;
    let day = pl.r.range(0, 15) as i32;
    let mut stay = pl.ordinary_stay(h, day, 8);
    let extra: Vec<Line> = stay
        .lines
        .iter()
        .filter(|l| l.item == it::BED)
        .take(3)
        .map(|l| Line {
            time: l.time + 6 * HOUR,
            ..l.clone()
        })
        .collect();
    let amount = extra.iter().map(Line::amount).sum();
    stay.lines.extend(extra);
    pl.visit_case(
        false,
        "duplicate_charge",
        "duplicate_charge.daily_cap",
        p,
        stay,
        h,
        amount,
        "bed fee billed twice a day on three days".into(),
    );
    let (p, _) = pl.take(|p| p.age >= 18)?;
    let mut stay = pl.ordinary_stay(h, day, 8);
    let bed = stay
        .lines
        .iter()
        .find(|l| l.item == it::BED)
        .expect("bed")
        .clone();
    stay.lines.push(bed.reversed(bed.time + HOUR));
    stay.lines.push(Line {
        time: bed.time + 2 * HOUR,
        ..bed
    });
    pl.visit_case(
        true,
        "duplicate_charge",
        "duplicate_charge.daily_cap",
        p,
        stay,
        h,
        0,
        "bed fee reversed and rebilled the same day".into(),
    );

    // duplicate_charge.3: emergency monitoring (includes the bed fee) billed with the bed fee.
    let (p, _) = pl.take(|p| p.age >= 18)?;
    let mut stay = pl.stay(h, day, 6, "I63.900");
    let first_bed = stay
        .lines
        .iter()
        .find(|l| l.item == it::BED)
        .expect("bed")
        .clone();
    stay.lines
        .push(Line::new(it::MONITOR, first_bed.time + 30 * MIN, 1));
    // The monitoring fee includes that day's bed and grade-II nursing fees (batch 7).
    let amount: i64 = stay
        .lines
        .iter()
        .filter(|l| matches!(l.item, it::BED | it::NURSING) && l.time / DAY == first_bed.time / DAY)
        .map(Line::amount)
        .sum();
    pl.visit_case(
        false,
        "duplicate_charge",
        "duplicate_charge.included_item",
        p,
        stay,
        h,
        amount,
        "bed fee billed on a day of emergency monitoring, which includes it".into(),
    );
    let (p, person) = pl.take(|p| p.age >= 18)?;
    let mut er = outpatient_at(pl, &person, h, day);
    er.lines
        .push(Line::new(it::MONITOR, er.admit + 10 * MIN, 1));
    pl.add(p, er);
    let stay = pl.stay(h, day + 1, 5, "I63.900");
    pl.visit_case(
        true,
        "duplicate_charge",
        "duplicate_charge.included_item",
        p,
        stay,
        h,
        0,
        "emergency monitoring the day before admission".into(),
    );

    // duplicate_charge.4: HbA1c (at most once per 15 days) twice within five days.
    let (p, person) = pl.take(|p| p.age >= 45)?;
    let c = pl.hospital(LEVEL_SECONDARY);
    let day = pl.r.range(0, i64::from(w.nd) - 7) as i32;
    let mut first = outpatient_at(pl, &person, c, day);
    first.lines.retain(|l| l.item != it::HBA1C);
    first
        .lines
        .push(Line::new(it::HBA1C, first.admit + 10 * MIN, 1));
    pl.add(p, first);
    let mut second = outpatient_at(pl, &person, c, day + 5);
    second.lines.retain(|l| l.item != it::HBA1C);
    second
        .lines
        .push(Line::new(it::HBA1C, second.admit + 10 * MIN, 1));
    let amount = second.lines.last().expect("pushed").amount();
    let r = pl.add(p, second);
    pl.label(
        false,
        "duplicate_charge",
        "duplicate_charge.period_cap",
        Subject::Patient(p),
        Some(p),
        Some(r),
        c,
        Amount::Fen(amount),
        "HbA1c twice within five days (cap: once per 15 days)".into(),
    );
    let (p, person) = pl.take(|p| p.age >= 45)?;
    let mut first = outpatient_at(pl, &person, c, 1);
    first.lines.retain(|l| l.item != it::HBA1C);
    first
        .lines
        .push(Line::new(it::HBA1C, first.admit + 10 * MIN, 1));
    first
        .lines
        .push(Line::new(it::BLOOD, first.admit + 10 * MIN, 1));
    pl.add(p, first);
    let mut second = outpatient_at(pl, &person, c, 1 + 20.min(w.nd - 2));
    second.lines.retain(|l| l.item != it::HBA1C);
    second
        .lines
        .push(Line::new(it::HBA1C, second.admit + 10 * MIN, 1));
    second
        .lines
        .push(Line::new(it::BLOOD, second.admit + 10 * MIN, 1));
    let r = pl.add(p, second);
    pl.label(
        true,
        "duplicate_charge",
        "duplicate_charge.period_cap",
        Subject::Patient(p),
        Some(p),
        Some(r),
        c,
        Amount::Fen(0),
        "HbA1c and blood count repeated 20 days apart".into(),
    );

    // duplicate_charge.5: the same settlement submitted twice the same day.
    let (p, person) = pl.take(|_| true)?;
    let day = pl.r.range(0, i64::from(w.nd) - 1) as i32;
    let v = outpatient_at(pl, &person, c, day);
    let mut again = v.clone();
    let shift = 2 * HOUR;
    again.admit += shift;
    again.discharge = again.discharge.map(|d| d + shift);
    for l in &mut again.lines {
        l.time += shift;
    }
    let amount = again.total();
    pl.add(p, v);
    pl.visit_case(
        false,
        "duplicate_charge",
        "duplicate_charge.resubmitted",
        p,
        again,
        c,
        amount,
        "an identical settlement resubmitted two hours later".into(),
    );
    let (p, person) = pl.take(|_| true)?;
    let mut morning = outpatient_at(pl, &person, c, day);
    morning.lines.retain(|l| l.item != it::XRAY);
    let mut afternoon = morning.clone();
    let shift = 5 * HOUR;
    afternoon.admit += shift;
    afternoon.discharge = afternoon.discharge.map(|d| d + shift);
    afternoon.lines = vec![
        Line::new(it::REGISTRATION, afternoon.admit, 1),
        Line::new(it::XRAY, afternoon.admit + 10 * MIN, 1),
    ];
    pl.add(p, morning);
    pl.visit_case(
        true,
        "duplicate_charge",
        "duplicate_charge.resubmitted",
        p,
        afternoon,
        c,
        0,
        "a consultation in the morning and an X-ray in the afternoon".into(),
    );
    Ok(())
}

fn split_admission(pl: &mut Planner<'_>) -> Result<(), PlanError> {
    let (p, person) = pl.take(|p| p.age >= 50)?;
    let h = pl.hospital(LEVEL_SECONDARY);
    let day = pl.r.range(0, 6) as i32;
    let first = pl.stay(h, day, 7, "I63.900");
    pl.add(p, first);
    let second = pl.stay(h, day + 7 + 4, 7, "I63.800");
    let amount = second.payments(&person).0;
    pl.visit_case(
        false,
        "split_admission",
        "split_admission.readmission",
        p,
        second,
        h,
        amount,
        "readmitted four days after discharge with the same I63 diagnosis".into(),
    );
    // Look-alikes: chemotherapy cycles, and a readmission for something else.
    let (p, _) = pl.take(|p| p.age >= 50)?;
    for k in 0..2 {
        let stay = pl.stay(h, day + 10 * k, 3, "Z51.100");
        let r = pl.add(p, stay);
        if k == 1 {
            pl.label_visit(
                true,
                "split_admission",
                "split_admission.readmission",
                p,
                r,
                h,
                0,
                "planned chemotherapy cycles".into(),
            );
        }
    }
    let (p, _) = pl.take(|p| p.age >= 50)?;
    let first = pl.stay(h, day, 5, "K80.200");
    pl.add(p, first);
    let second = pl.stay(h, day + 9, 5, "N39.000");
    pl.visit_case(
        true,
        "split_admission",
        "split_admission.readmission",
        p,
        second,
        h,
        0,
        "readmitted for a different illness".into(),
    );
    Ok(())
}

fn impersonation(pl: &mut Planner<'_>) -> Result<(), PlanError> {
    let w = pl.w;
    // impersonation.1: a card used after its holder's death (the death is recorded in patients).
    let (p, person) = pl.take(|p| p.age >= 60)?;
    let death = w.m0 + pl.r.range(1, 10) as i32;
    pl.plan_death(p, death);
    let h = pl.clinic();
    let v = outpatient_at(pl, &person, h, death - w.m0 + 6);
    let ph = pl.any_pharmacy();
    let v2 = base::pharmacy(w, &pl.plan.roles, &mut pl.r, ph, death - w.m0 + 9);
    let amount = v.total() + v2.total();
    let r = pl.add(p, v);
    pl.add(p, v2);
    pl.label(
        false,
        "impersonation",
        "impersonation.after_death",
        Subject::Patient(p),
        Some(p),
        Some(r),
        h,
        Amount::Fen(amount),
        "an outpatient visit and a purchase after the holder's death".into(),
    );
    let (p, _) = pl.take(|p| p.age >= 60)?;
    let h = pl.hospital(LEVEL_TERTIARY);
    let day = pl.r.range(3, 15) as i32;
    let stay = pl.stay(h, day, 6, "I63.900");
    pl.plan_death(p, w.m0 + day + 6);
    let r = pl.add(p, stay);
    pl.label(
        true,
        "impersonation",
        "impersonation.after_death",
        Subject::Patient(p),
        Some(p),
        Some(r),
        h,
        Amount::Fen(0),
        "died in hospital on the day of discharge".into(),
    );

    // impersonation.2: a female-only exam on a man's card; a children's item on an adult's.
    let (p, person) = pl.take(|p| p.sex == fundguard_model::Sex::Male && p.age >= 30)?;
    let h = pl.hospital(LEVEL_SECONDARY);
    let day = pl.r.range(0, i64::from(w.nd) - 1) as i32;
    let mut v = outpatient_at(pl, &person, h, day);
    let l = Line::new(it::US_VAGINAL, v.admit + 15 * MIN, 1);
    let amount = l.amount();
    v.lines.push(l);
    let r = pl.add(p, v);
    pl.label(
        false,
        "impersonation",
        "impersonation.restricted_person",
        Subject::Patient(p),
        Some(p),
        Some(r),
        h,
        Amount::Fen(amount),
        "transvaginal ultrasound on a man's card".into(),
    );
    let (p, _) = pl.take(|p| p.age >= 30)?;
    let ph = pl.any_pharmacy();
    let mut v = base::pharmacy(w, &pl.plan.roles, &mut pl.r, ph, day);
    let l = Line::new(it::CHILD_LUNG, v.admit, 6).supply(3);
    let amount = l.amount();
    v.lines.push(l);
    let r = pl.add(p, v);
    pl.label(
        false,
        "impersonation",
        "impersonation.restricted_person",
        Subject::Patient(p),
        Some(p),
        Some(r),
        ph,
        Amount::Fen(amount),
        "a children's medicine on an adult's card".into(),
    );
    let (p, person) = pl.take(|p| p.sex == fundguard_model::Sex::Female && p.age >= 25)?;
    let mut v = outpatient_at(pl, &person, h, day);
    v.lines
        .push(Line::new(it::US_VAGINAL, v.admit + 15 * MIN, 1));
    let r = pl.add(p, v);
    pl.label(
        true,
        "impersonation",
        "impersonation.restricted_person",
        Subject::Patient(p),
        Some(p),
        Some(r),
        h,
        Amount::Fen(0),
        "transvaginal ultrasound for a woman".into(),
    );
    Ok(())
}

fn restricted_items(pl: &mut Planner<'_>) -> Result<(), PlanError> {
    let w = pl.w;
    let day = pl.r.range(0, 14) as i32;
    // Batch 4: an inpatient-only infusion in an outpatient visit.
    let (p, person) = pl.take(|p| p.age >= 18)?;
    let h = pl.hospital(LEVEL_TERTIARY);
    let mut v = outpatient_at(pl, &person, h, day);
    let l = Line::new(it::FAT_EMULSION, v.admit + 20 * MIN, 1);
    let amount = l.amount();
    v.lines.push(l);
    pl.visit_case(
        false,
        "restricted_item",
        "restricted_item.visit_type",
        p,
        v,
        h,
        amount,
        "an inpatient-only drug billed in an outpatient visit".into(),
    );
    let (p, _) = pl.take(|p| p.age >= 18)?;
    let mut stay = pl.stay(h, day, 8, "K80.200");
    let t0 = stay.admit + 2 * HOUR;
    stay.lines.push(Line::new(it::FAT_EMULSION, t0, 1));
    pl.visit_case(
        true,
        "restricted_item",
        "restricted_item.visit_type",
        p,
        stay,
        h,
        0,
        "the same drug for an inpatient".into(),
    );

    // Batch 5: a drug for secondary-level institutions and above, at a primary one.
    let (p, _) = pl.take(|p| p.age >= 50)?;
    let h1 = pl.hospital(LEVEL_PRIMARY);
    let mut stay = pl.stay(h1, day, 6, "I63.900");
    let t0 = stay.admit + HOUR;
    let l = Line::new(it::SHENMAI, t0, 2);
    let amount = l.amount();
    stay.lines.push(l);
    pl.visit_case(
        false,
        "restricted_item",
        "restricted_item.level",
        p,
        stay,
        h1,
        amount,
        "a drug limited to level-2 institutions billed at a level-1 one".into(),
    );
    let (p, _) = pl.take(|p| p.age >= 50)?;
    let mut stay = pl.stay(h, day, 6, "I63.900");
    let t0 = stay.admit + HOUR;
    stay.lines.push(Line::new(it::SHENMAI, t0, 2));
    pl.visit_case(
        true,
        "restricted_item",
        "restricted_item.level",
        p,
        stay,
        h,
        0,
        "the same drug at a tertiary hospital".into(),
    );

    // Batch 6: ozagrel paid for at most 14 days, billed for 18.
    let (p, _) = pl.take(|p| p.age >= 50)?;
    let h2 = pl.hospital(LEVEL_SECONDARY);
    let mut stay = pl.stay(h2, day, 18, "I63.900");
    stay.lines.retain(|l| l.item != it::OZAGREL);
    let mut amount = 0;
    for d in 0..18 {
        let l = Line::new(it::OZAGREL, i64::from(w.m0 + day + d) * DAY + 10 * HOUR, 1);
        if d >= 14 {
            amount += l.amount();
        }
        stay.lines.push(l);
    }
    pl.visit_case(
        false,
        "restricted_item",
        "restricted_item.course",
        p,
        stay,
        h2,
        amount,
        "ozagrel billed for 18 days (paid course 14)".into(),
    );

    // Batch 3: a work-injury-only drug for an ordinary insured person.
    let (p, person) = pl.take(|p| p.age >= 18)?;
    let mut v = outpatient_at(pl, &person, h2, day);
    let l = Line::new(it::SCAR_CREAM, v.admit + 20 * MIN, 2);
    let amount = l.amount();
    v.lines.push(l);
    pl.visit_case(
        false,
        "restricted_item",
        "restricted_item.insurance_type",
        p,
        v,
        h2,
        amount,
        "a work-injury-only drug on basic medical insurance".into(),
    );

    // Batch 2: two operations of one group in a stay, both at full price.
    let (p, _) = pl.take(|p| p.age >= 50)?;
    let mut stay = pl.stay(h, day, 10, "C15.900");
    let t0 = stay.admit + 20 * HOUR;
    stay.lines.push(Line::new(it::OP_ESOPHAGUS, t0, 1));
    let second = Line::new(it::OP_STRICTURE, t0 + HOUR, 1);
    let amount = second.amount() / 2;
    stay.lines.push(second);
    pl.visit_case(
        false,
        "restricted_item",
        "restricted_item.secondary_operation",
        p,
        stay,
        h,
        amount,
        "a second operation of the same group billed at full price".into(),
    );
    let (p, _) = pl.take(|p| p.age >= 50)?;
    let mut stay = pl.stay(h, day, 10, "C15.900");
    let t0 = stay.admit + 20 * HOUR;
    stay.lines.push(Line::new(it::OP_ESOPHAGUS, t0, 1));
    let mut second = Line::new(it::OP_STRICTURE, t0 + HOUR, 1);
    second.price /= 2;
    stay.lines.push(second);
    pl.visit_case(
        true,
        "restricted_item",
        "restricted_item.secondary_operation",
        p,
        stay,
        h,
        0,
        "the second operation billed at half price".into(),
    );
    Ok(())
}

fn phantom_and_supply(pl: &mut Planner<'_>) -> Result<(), PlanError> {
    let w = pl.w;
    // phantom_service.after_discharge: bed and nursing billed for 1-4 days after discharge, or a
    // CT and ceftriaxone 3-6 days after (beyond any posting delay).
    let (p, _) = pl.take(|p| p.age >= 18)?;
    let h = pl.hospital(LEVEL_SECONDARY);
    let day = pl.r.range(0, 15) as i32;
    let mut stay = pl.ordinary_stay(h, day, 6);
    let out = stay.discharge.expect("stays end");
    let out_day = out / DAY * DAY;
    let (late, note) = if pl.r.chance(0.5) {
        let days = pl.r.range(1, 4);
        let lines: Vec<Line> = (1..=days)
            .flat_map(|d| {
                let t = out_day + d * DAY + 8 * HOUR;
                [Line::new(it::BED, t, 1), Line::new(it::NURSING, t + MIN, 1)]
            })
            .collect();
        (
            lines,
            format!("bed and nursing billed for {days} day(s) after discharge"),
        )
    } else {
        let d = pl.r.range(3, 6);
        let lines = vec![
            Line::new(it::CT, out_day + d * DAY + 10 * HOUR, 1),
            Line::new(it::CEFTRIAXONE, out_day + (d + 1) * DAY + 10 * HOUR, 2),
        ];
        (
            lines,
            format!(
                "a CT and ceftriaxone charged {d} and {} days after discharge",
                d + 1
            ),
        )
    };
    let amount = late.iter().map(Line::amount).sum();
    stay.lines.extend(late);
    pl.visit_case(
        false,
        "phantom_service",
        "phantom_service.after_discharge",
        p,
        stay,
        h,
        amount,
        note,
    );
    let (p, _) = pl.take(|p| p.age >= 18)?;
    let mut stay = pl.ordinary_stay(h, day, 6);
    let out = stay.discharge.expect("stays end");
    stay.lines
        .push(Line::new(it::OMEPRAZOLE, out + 5 * HOUR, 14).supply(7));
    pl.visit_case(
        true,
        "phantom_service",
        "phantom_service.after_discharge",
        p,
        stay,
        h,
        0,
        "take-home drugs billed on the evening of discharge".into(),
    );

    // excessive_supply: 90 days of metformin within 20 days.
    // Half of the cases collect from three pharmacies (跨机构重复开药).
    let (p, _) = pl.take(|p| p.age >= 45)?;
    let ph = pl.any_pharmacy();
    let across = pl.r.chance(0.5);
    let day = pl.r.range(0, i64::from(w.nd) - 21) as i32;
    let mut total = 0;
    let mut last = None;
    let mut used = vec![ph];
    for k in 0..3 {
        let time = t(w, day + 10 * k, 10, 0);
        let mut at = ph;
        if across && k > 0 {
            while used.contains(&at) {
                at = pl.any_pharmacy();
            }
            used.push(at);
        }
        let mut v = Visit::at_pharmacy(at, time);
        let l = Line::new(it::METFORMIN, time, 90).supply(30);
        total += l.amount();
        v.lines.push(l);
        last = Some(pl.add(p, v));
    }
    // 90 days supplied for the 20 + 30 days from the first purchase to the end of the last one's
    // supply: the other 40 days' share of the money.
    let amount = total * 40 / 90;
    pl.label(
        false,
        "excessive_supply",
        "excessive_supply.days_supply",
        Subject::Patient(p),
        Some(p),
        last,
        ph,
        Amount::Fen(amount),
        if across {
            "90 days of metformin bought within 20 days at three pharmacies".into()
        } else {
            "90 days of metformin bought within 20 days".into()
        },
    );
    let (p, _) = pl.take(|p| p.age >= 45)?;
    let mut last = None;
    for k in 0..2 {
        let time = t(w, day + 18 * k, 10, 0);
        let mut v = Visit::at_pharmacy(ph, time);
        v.lines.push(Line::new(it::METFORMIN, time, 60).supply(20));
        last = Some(pl.add(p, v));
    }
    pl.label(
        true,
        "excessive_supply",
        "excessive_supply.days_supply",
        Subject::Patient(p),
        Some(p),
        last,
        ph,
        Amount::Fen(0),
        "two 20-day supplies 18 days apart".into(),
    );
    Ok(())
}

fn same_card_two_places(pl: &mut Planner<'_>) -> Result<(), PlanError> {
    let w = pl.w;
    let day = pl.r.range(0, i64::from(w.nd) - 1) as i32;
    // The card at pharmacies of two distant districts 2-40 minutes apart; the look-alike, a
    // visit then a purchase 90 minutes to five hours later.
    let gaps = [
        (false, pl.r.range(2, 40) * MIN),
        (true, pl.r.range(90, 300) * MIN),
    ];
    for (decoy, gap) in gaps {
        let (p, _) = pl.take(|p| p.age >= 18)?;
        let a = *pl.r.pick(&w.by_district[0][2]);
        let b = *pl.r.pick(&w.by_district[4][2]);
        let t0 = t(w, day, 10, pl.r.range(0, 30));
        let mut refs = Vec::new();
        for (k, ph) in [a, b].into_iter().enumerate() {
            let time = t0 + k as i64 * gap;
            let mut v = Visit::at_pharmacy(ph, time);
            v.lines
                .push(Line::new(it::ATORVASTATIN, time, 14).supply(14));
            refs.push(pl.add(p, v));
        }
        let amount = if decoy { 0 } else { paid(pl, &refs[1..]) };
        let note = format!(
            "the same card at pharmacies in two districts {} minutes apart",
            gap / MIN
        );
        pl.label(
            decoy,
            "card_pooling",
            "card_pooling.two_places",
            Subject::Patient(p),
            Some(p),
            Some(refs[1]),
            b,
            Amount::Fen(amount),
            note,
        );
    }
    Ok(())
}

/// phantom_service.doctor_volume: an ordinary doctor of a tertiary hospital (never its star
/// specialist) with `patients` outpatients on one day, most of them invented.
fn busy_doctor(pl: &mut Planner<'_>, patients: usize) -> Result<(), PlanError> {
    let w = pl.w;
    let h = pl.hospital(LEVEL_TERTIARY);
    let ordinary: Vec<usize> = (0..w.providers[h].doctors.len())
        .filter(|d| !w.providers[h].specialists.contains(d))
        .collect();
    let doctor = *pl.r.pick(&ordinary);
    let day = pl.r.range(0, i64::from(w.nd) - 1) as i32;
    let mut totals = Vec::new();
    for k in 0..patients {
        let (p, _) = pl.take(|p| p.age >= 18)?;
        let admit = t(w, day, 8, 0) + (k as i64 * 9 * HOUR) / patients as i64;
        let mut v = Visit::new(h, VisitType::Outpatient, admit);
        v.discharge = Some(admit + 5 * MIN);
        v.doctor = Some(doctor);
        v.diag = Some("J06.900");
        v.lines.push(Line::new(it::REGISTRATION, admit, 1));
        v.lines.push(Line::new(it::OUT_CONSULT, admit + MIN, 1));
        v.lines.push(Line::new(it::BLOOD, admit + 2 * MIN, 1));
        let (drug, per_day) = *pl.r.pick(crate::world::ORAL_DRUGS);
        v.lines
            .push(Line::new(drug, admit + 3 * MIN, per_day * 7).supply(7));
        totals.push(v.total());
        pl.add(p, v);
    }
    // The doctor's usual day holds a patient: what lies beyond the first is the case's money.
    let amount: i64 = totals.iter().skip(1).sum();
    pl.label(
        false,
        "phantom_service",
        "phantom_service.doctor_volume",
        Subject::Doctor(h, doctor),
        None,
        None,
        h,
        Amount::Fen(amount),
        format!("{patients} outpatients of one doctor in one day"),
    );
    Ok(())
}

impl Planner<'_> {
    /// Records that reserved person `p` died on `day` (written to the patients table).
    fn plan_death(&mut self, p: u32, day: i32) {
        self.plan.deaths.insert(p, day);
    }
}

impl Planner<'_> {
    /// A fresh trace code for a case's box of `item` (a 9 where honest codes carry the buyer's
    /// leading 0, so that no case's code is an honest box's).
    fn trace_code(&mut self, item: usize) -> String {
        self.codes += 1;
        format!("8{:04}9{:014}", item % 10_000, self.codes)
    }

    /// A reserved card buys one box of `item` (`n` units) at `ph` at `time`, scanned with `code`.
    fn sale(
        &mut self,
        ph: usize,
        time: i64,
        (item, n): (usize, i64),
        code: &str,
        split: bool,
        stocked: bool,
    ) -> Result<VisitRef, PlanError> {
        let r = card_visit(self, ph, time, &[(item, n)])?;
        let v = self.visit_mut(r);
        v.scans = Some(vec![crate::plan::Scan {
            line: 0,
            code: code.to_string(),
            qty: crate::plan::units(n),
            time,
            split,
            stocked,
        }]);
        Ok(r)
    }

    /// An ordinary pharmacy of `district` other than `not`, for the honest first sale of a box.
    fn pharmacy_in(&mut self, district: usize, not: usize) -> usize {
        let pool: Vec<usize> = self.w.by_district[district][2]
            .iter()
            .copied()
            .filter(|&p| p != not && self.w.providers[p].open.is_some_and(|o| o != ALL_DAY))
            .collect();
        if pool.is_empty() {
            self.any_pharmacy()
        } else {
            *self.r.pick(&pool)
        }
    }

    /// A box's honest first sale, then its sale again at `reseller` 1-5 days later; the total
    /// of the resales.
    fn resell(
        &mut self,
        first_at: impl Fn(&mut Self) -> usize,
        reseller: usize,
        boxes: usize,
        other_drug: bool,
    ) -> Result<i64, PlanError> {
        let w = self.w;
        let mut amount = 0;
        for _ in 0..boxes {
            let (drug, per_day) = *self.r.pick(crate::world::ORAL_DRUGS);
            let code = self.trace_code(drug);
            let day = self.r.range(1, i64::from(w.nd) - 7) as i32;
            let first = first_at(self);
            let open = |p: usize| w.providers[p].open.map_or(9 * 60, |o| i64::from(o.0) + 30);
            let t0 = t(w, day, 0, open(first) + self.r.range(0, 300));
            self.sale(first, t0, (drug, per_day * 10), &code, false, true)?;
            let later = day + self.r.range(1, 5) as i32;
            let t1 = t(w, later, 0, open(reseller) + self.r.range(0, 300));
            let sold = if other_drug {
                let others: Vec<(usize, i64)> = crate::world::ORAL_DRUGS
                    .iter()
                    .copied()
                    .filter(|d| d.0 != drug)
                    .collect();
                *self.r.pick(&others)
            } else {
                (drug, per_day)
            };
            let r = self.sale(reseller, t1, (sold.0, sold.1 * 10), &code, false, false)?;
            amount += self.visit(r).total();
        }
        Ok(amount)
    }
}

/// trace_code: resale rings across pharmacies and districts, a pharmacy reselling its own boxes,
/// codes under another drug, boxes never taken in, counters that do not scan; and their
/// look-alikes (split packs, returns then resales, one unscanned return, old scanners).
fn trace_cases(pl: &mut Planner<'_>) -> Result<(), PlanError> {
    let w = pl.w;
    let district_of = |p: usize| w.providers[p].district;
    // Resales: (rule, boxes, where the box was first sold, sold again as another drug, note).
    // trace_code.resold: boxes bought at pharmacies of the district and sold again at one, and a
    // pharmacy selling its own boxes twice with no return between; two_regions: boxes bought in
    // another district; two_drugs: codes of one drug scanned on sales of another.
    let cases: [(&'static str, (i64, i64), First, bool, &str); 4] = [
        (
            "trace_code.resold",
            (4, 16),
            First::District,
            false,
            "boxes sold first elsewhere in the district, sold again here 1-5 days later",
        ),
        (
            "trace_code.resold",
            (2, 8),
            First::Itself,
            false,
            "of its own boxes sold twice without a return",
        ),
        (
            "trace_code.two_regions",
            (3, 10),
            First::OtherDistrict,
            false,
            "boxes bought in another district, sold again here",
        ),
        (
            "trace_code.two_drugs",
            (2, 8),
            First::District,
            true,
            "codes of one drug scanned on sales of another",
        ),
    ];
    for (rule, (lo, hi), first, other_drug, note) in cases {
        let b = pl.free_pharmacy();
        let boxes = pl.r.range(lo, hi) as usize;
        let district = match first {
            First::OtherDistrict => {
                (district_of(b) + 1 + pl.r.below(DISTRICTS_LEN as u64 - 1) as usize) % DISTRICTS_LEN
            }
            _ => district_of(b),
        };
        let amount = match first {
            First::Itself => pl.resell(|_| b, b, boxes, other_drug)?,
            _ => pl.resell(|pl| pl.pharmacy_in(district, b), b, boxes, other_drug)?,
        };
        pl.provider_case(
            false,
            "trace_code",
            rule,
            b,
            Amount::Fen(amount),
            format!("{boxes} {note}"),
        );
    }
    // trace_code.never_stocked: a pharmacy reporting stock sells 1-25% boxes it never took in.
    let pool: Vec<usize> = pl
        .ordinary_pharmacies()
        .into_iter()
        .filter(|&p| pl.plan.roles.reports_stock[p])
        .collect();
    if !pool.is_empty() {
        let e = pl.provider(&pool);
        let share = 0.01 + 0.24 * pl.r.unit();
        pl.plan.roles.unstocked[e] = share;
        pl.provider_case(
            false,
            "trace_code",
            "trace_code.never_stocked",
            e,
            Amount::Counted(Tally::Unstocked, e),
            format!(
                "{:.0}% of the boxes it sells never came in through its stock feed",
                share * 100.0
            ),
        );
        // Look-alike: a pharmacy whose feed misses one box in a hundred more than most.
        let e = pl.provider(&pool);
        pl.plan.roles.unstocked[e] = 0.01;
        pl.provider_case(
            true,
            "trace_code",
            "trace_code.never_stocked",
            e,
            Amount::Fen(0),
            "its stock feed misses one box in a hundred".into(),
        );
    }
    // trace_code.missing_share: a counter that leaves 10-80% of boxes unscanned.
    let f = pl.free_pharmacy();
    let miss = 0.1 + 0.7 * pl.r.unit();
    pl.plan.roles.scan_miss[f] = miss;
    pl.provider_case(
        false,
        "trace_code",
        "trace_code.missing_share",
        f,
        Amount::Fen(0),
        format!("{:.0}% of its drug lines sold without a scan", miss * 100.0),
    );
    // Look-alikes: an old scanner missing 6-12%.
    let f = pl.free_pharmacy();
    pl.plan.roles.scan_miss[f] = 0.06 + 0.06 * pl.r.unit();
    pl.provider_case(
        true,
        "trace_code",
        "trace_code.missing_share",
        f,
        Amount::Fen(0),
        "an old scanner that misses 6-12% of boxes".into(),
    );
    // Look-alikes of resales at one pharmacy: a split pack sold to three people, a box returned
    // and sold again, and one box sold twice (a return nobody scanned).
    let g = pl.free_pharmacy();
    let (open, _) = w.providers[g].open.expect("ordinary hours");
    let day = pl.r.range(1, i64::from(w.nd) - 7) as i32;
    let code = pl.trace_code(it::AMLODIPINE);
    for k in 0..3 {
        let time = t(w, day + k, 0, i64::from(open) + 60);
        pl.sale(g, time, (it::AMLODIPINE, 10), &code, true, true)?;
    }
    let code = pl.trace_code(it::OMEPRAZOLE);
    let time = t(w, day, 0, i64::from(open) + 90);
    let first = pl.sale(g, time, (it::OMEPRAZOLE, 14), &code, false, true)?;
    let back = time + DAY;
    if let Some(scans) = pl.visit_mut(first).scans.as_mut() {
        scans.push(crate::plan::Scan {
            line: 0,
            code: code.clone(),
            qty: -crate::plan::units(14),
            time: back,
            split: false,
            stocked: true,
        });
    }
    pl.sale(g, back + DAY, (it::OMEPRAZOLE, 14), &code, false, true)?;
    let code = pl.trace_code(it::METFORMIN);
    pl.sale(g, time + 2 * HOUR, (it::METFORMIN, 30), &code, false, true)?;
    pl.sale(g, time + 3 * DAY, (it::METFORMIN, 30), &code, false, true)?;
    pl.provider_case(
        true,
        "trace_code",
        "trace_code.resold",
        g,
        Amount::Fen(0),
        "a split pack sold to three people, a box returned and sold again, one unscanned return"
            .into(),
    );
    Ok(())
}

const DISTRICTS_LEN: usize = crate::world::DISTRICTS.len();

/// Where a resold box was first sold.
#[derive(Clone, Copy)]
enum First {
    /// At another pharmacy of the reseller's district.
    District,
    /// At the reseller itself.
    Itself,
    /// At a pharmacy of another district.
    OtherDistrict,
}

/// peer_outlier.doctor_items: an ordinary doctor of a secondary hospital who puts an X-ray, an
/// HbA1c test and a patent medicine on 40-95% of his outpatients (straddling the rule's 60%). The
/// look-alike is a diabetes doctor whose patients nearly all get the HbA1c test and metformin: two
/// items of his own, not a template of three.
fn template_doctor(pl: &mut Planner<'_>, decoy: bool) -> Result<(), PlanError> {
    let w = pl.w;
    let h = pl.hospital(LEVEL_SECONDARY);
    let ordinary: Vec<usize> = (0..w.providers[h].doctors.len())
        .filter(|d| !w.providers[h].specialists.contains(d))
        .collect();
    let doctor = *pl.r.pick(&ordinary);
    if pl.plan.roles.template.contains_key(&(h, doctor)) {
        return Ok(());
    }
    let share = if decoy { 0.9 } else { 0.4 + 0.55 * pl.r.unit() };
    pl.plan.roles.template.insert((h, doctor), (share, decoy));
    pl.label(
        decoy,
        "peer_outlier",
        "peer_outlier.doctor_items",
        Subject::Doctor(h, doctor),
        None,
        None,
        h,
        Amount::Fen(0),
        if decoy {
            "a diabetes doctor: HbA1c and metformin for 90% of his patients".into()
        } else {
            format!(
                "an X-ray, an HbA1c test and a patent medicine on {:.0}% of his outpatients",
                share * 100.0
            )
        },
    );
    Ok(())
}

/// cost_shifting.outpatient_desk: an inpatient sent to the same hospital's outpatient desk for
/// his drugs on 1-3 days inside the stay. The look-alike buys take-home drugs there on the day he
/// is discharged.
fn cost_shifting(pl: &mut Planner<'_>) -> Result<(), PlanError> {
    let w = pl.w;
    for decoy in [false, true] {
        let (p, _) = pl.take(|p| p.age >= 30)?;
        let level = *pl.r.pick(&[LEVEL_TERTIARY, LEVEL_SECONDARY]);
        let h = pl.hospital(level);
        let los = pl.r.range(6, 12) as i32;
        let day = pl.r.range(1, i64::from(w.nd) - 14) as i32;
        let stay = pl.ordinary_stay(h, day, los);
        let discharge = stay.discharge.expect("an ordinary stay ends");
        let sr = pl.add(p, stay);
        let days: Vec<i64> = if decoy {
            vec![discharge + 2 * HOUR]
        } else {
            let mut d: Vec<i64> = (0..pl.r.range(1, 3))
                .map(|_| {
                    t(
                        w,
                        day + pl.r.range(1, i64::from(los) - 1) as i32,
                        14,
                        pl.r.range(0, 120),
                    )
                })
                .collect();
            d.sort_unstable();
            d.dedup();
            d
        };
        let mut amount = 0;
        for time in days {
            let mut v = Visit::new(h, VisitType::Outpatient, time);
            v.discharge = Some(time + 10 * MIN);
            let (drug, per_day) = *pl.r.pick(crate::world::ORAL_DRUGS);
            v.lines
                .push(Line::new(drug, time + 5 * MIN, per_day * 7).supply(7));
            amount += v.total();
            pl.add(p, v);
        }
        pl.label(
            decoy,
            "cost_shifting",
            "cost_shifting.outpatient_desk",
            Subject::Visit(sr),
            Some(p),
            Some(sr),
            h,
            Amount::Fen(if decoy { 0 } else { amount }),
            if decoy {
                "take-home drugs bought at the hospital on the day of discharge".into()
            } else {
                "the stay's drugs settled at the same hospital's outpatient desk".into()
            },
        );
    }
    Ok(())
}

/// A primary or secondary hospital no other provider-level case uses, if one is left.
fn small_hospital(pl: &mut Planner<'_>) -> Option<usize> {
    let mut pool = pl.w.hospitals_of(LEVEL_PRIMARY);
    pool.extend(pl.w.hospitals_of(LEVEL_SECONDARY));
    pl.free_provider(&pool)
}

/// Admissions below the standard: a hospital admitting outpatient illnesses for one to three
/// nights (in a burst, as after a free check-up drive, or through the month), luring some of them
/// with waived co-payments; a hospital (any level) billing the fund many stays' co-payments. The
/// share of case stays is drawn from 4% to 40% of the hospital's stays, across the rules'
/// thresholds (15 points above the peer median), so that the weaker cases are not found; the first
/// round's are drawn from 25% to 40%, so that a small month still has cases to find. Look-alikes
/// (first round): a hospital admitting the same illnesses for full stays with proper care, and
/// one whose many assisted patients pay no cash because medical assistance pays their share.
fn admission_standard(pl: &mut Planner<'_>, round: usize) -> Result<(), PlanError> {
    let w = pl.w;
    let strength = |pl: &mut Planner<'_>| pl.straddling(round, (0.25, 0.15), (0.04, 0.36));
    // Cases need hospitals of their own: a round stops when none is left.
    let Some(h) = small_hospital(pl) else {
        return Ok(());
    };
    let share = strength(pl);
    let k = pl.stays_for_share(h, share);
    let burst = pl.r.chance(0.5);
    let lure = pl.r.chance(0.5);
    let start = pl.r.range(0, i64::from(w.nd) - 8) as i32;
    let (mut fund, mut waived_fund, mut waived) = (0, 0, 0);
    for _ in 0..k {
        let (p, person) = pl.take(|p| p.age >= 18 && p.cover == crate::world::Cover::Own)?;
        let los = pl.r.range(1, 3) as i32;
        let day = if burst {
            start + pl.r.range(0, 2) as i32
        } else {
            pl.r.range(0, i64::from(w.nd - los) - 2) as i32
        };
        let diag = *pl.r.pick(base::OUTPATIENT_DIAGNOSES);
        let mut stay = pl.stay(h, day, los, diag);
        stay.waived = lure && pl.r.chance(0.8);
        let paid = stay.payments(&person).0;
        fund += paid;
        if stay.waived {
            waived += 1;
            waived_fund += paid;
        }
        pl.add(p, stay);
    }
    pl.provider_case(
        false,
        "admission_standard",
        "admission_standard.low_acuity",
        h,
        Amount::Fen(fund),
        format!(
            "{k} outpatient illnesses admitted for 1-3 nights (planned as {:.0}% of its stays{})",
            share * 100.0,
            if burst { ", within three days" } else { "" }
        ),
    );
    if lure {
        pl.label(
            false,
            "admission_standard",
            "admission_standard.waived_copay",
            Subject::Provider(h),
            None,
            None,
            h,
            Amount::Fen(waived_fund),
            format!("{waived} of those stays without a co-payment, billed whole to the fund"),
        );
    }

    let Some(h) = pl.free_provider(&w.hospitals) else {
        return Ok(());
    };
    let share = strength(pl);
    let k = pl.stays_for_share(h, share);
    let mut fund = 0;
    for _ in 0..k {
        let (p, person) = pl.take(|p| p.age >= 30 && p.cover == crate::world::Cover::Own)?;
        let los = pl.r.range(3, 10) as i32;
        let day = pl.r.range(0, i64::from(w.nd - los) - 2) as i32;
        let mut stay = pl.ordinary_stay(h, day, los);
        stay.waived = true;
        fund += stay.payments(&person).0;
        pl.add(p, stay);
    }
    pl.provider_case(
        false,
        "admission_standard",
        "admission_standard.waived_copay",
        h,
        Amount::Fen(fund),
        format!(
            "{k} stays (planned as {:.0}% of its stays) whose co-payment is billed to the fund",
            share * 100.0
        ),
    );

    if round > 0 {
        return Ok(());
    }
    // Look-alikes, as strong as the strongest cases.
    let Some(h) = small_hospital(pl) else {
        return Ok(());
    };
    let k = pl.stays_for_share(h, 0.3);
    for _ in 0..k {
        let (p, _) = pl.take(|p| p.age >= 50)?;
        let los = pl.r.range(5, 9) as i32;
        let day = pl.r.range(0, i64::from(w.nd - los) - 2) as i32;
        let diag = *pl.r.pick(&["I10.x00", "E11.900"]);
        let stay = pl.stay(h, day, los, diag);
        pl.add(p, stay);
    }
    pl.provider_case(
        true,
        "admission_standard",
        "admission_standard.low_acuity",
        h,
        Amount::Fen(0),
        format!("{k} hypertension and diabetes stays of 5-9 nights with full care"),
    );
    let Some(h) = small_hospital(pl) else {
        return Ok(());
    };
    let k = pl.stays_for_share(h, 0.3);
    for _ in 0..k {
        let (p, _) = pl.take(|p| p.cover == crate::world::Cover::Assisted)?;
        let los = pl.r.range(3, 10) as i32;
        let day = pl.r.range(0, i64::from(w.nd - los) - 2) as i32;
        let stay = pl.ordinary_stay(h, day, los);
        pl.add(p, stay);
    }
    pl.provider_case(
        true,
        "admission_standard",
        "admission_standard.waived_copay",
        h,
        Amount::Fen(0),
        format!("{k} assisted patients paying no cash: medical assistance pays their share"),
    );
    Ok(())
}

/// Upcoding (高编): a hospital putting an invented major complication on the settlement lists of a
/// share of its stays (drawn from 5% to 40%, the first round's from 25%, across the rule's
/// 10-point margin), stays whose care and length stay as they were. Look-alike (first round): a
/// hospital treating complicated patients, whose long stays carry real complications half the
/// time.
fn upcoding(pl: &mut Planner<'_>, round: usize) {
    let w = pl.w;
    let mut pool = w.hospitals_of(LEVEL_SECONDARY);
    pool.extend(w.hospitals_of(LEVEL_TERTIARY));
    pl.provider_round(
        round,
        &pool,
        RoundCase {
            scheme: "upcoding",
            rule: "upcoding.complication_share",
            first: (0.25, 0.15),
            later: (0.05, 0.35),
            role: |r| &mut r.upcode,
            tally: Tally::Upcoded,
            note: |share| {
                format!(
                    "an invented complication on {:.0}% of its stays' settlement lists",
                    share * 100.0
                )
            },
            look_alike: (
                |r| &mut r.complex,
                0.5,
                "complicated patients: half of its stays of a week or more carry a real complication",
            ),
        },
    );
}

/// An outpatient visit at `provider` at `time` billing only `item`.
fn test_visit(provider: usize, time: i64, item: usize) -> Visit {
    let mut v = Visit::new(provider, VisitType::Outpatient, time);
    v.discharge = Some(time + 20 * MIN);
    v.lines.push(Line::new(item, time + 5 * MIN, 1));
    v
}

/// Repeated examinations: one patient's CT billed again at 2-3 more outpatient visits within
/// 2-6 days, at the first hospital or others. Look-alikes: one follow-up X-ray 3-6 days later
/// (a single repeat, which honest care has too often for the rule to judge); blood counts at two
/// visits a week apart (monitoring; HbA1c would break its national 15-day cap).
fn repeated_tests(pl: &mut Planner<'_>) -> Result<(), PlanError> {
    let w = pl.w;
    let (p, _) = pl.take(|p| p.age >= 30)?;
    let level = *pl.r.pick(&[LEVEL_TERTIARY, LEVEL_SECONDARY]);
    let first = pl.hospital(level);
    let day = pl.r.range(0, i64::from(w.nd) - 8) as i32;
    let repeats = pl.r.range(2, 3);
    let mut amount = 0;
    let mut places = vec![first];
    let mut last = None;
    let mut offset = 0;
    for k in 0..=repeats {
        let h = if k == 0 || pl.r.chance(0.5) {
            first
        } else {
            let level = *pl.r.pick(&[LEVEL_TERTIARY, LEVEL_SECONDARY]);
            let h = pl.hospital(level);
            places.push(h);
            h
        };
        if k > 0 {
            offset += pl.r.range(1, 2) as i32;
        }
        let v = test_visit(h, t(w, day + offset, 9, pl.r.range(0, 240)), it::CT);
        if k > 0 {
            amount += v.total();
        }
        last = Some(pl.add(p, v));
    }
    places.sort_unstable();
    places.dedup();
    pl.label(
        false,
        "duplicate_charge",
        "duplicate_charge.repeated_test",
        Subject::Patient(p),
        Some(p),
        last,
        first,
        Amount::Fen(amount),
        format!(
            "a CT billed again {repeats} time(s) within {offset} days at {} hospital(s)",
            places.len()
        ),
    );
    for (item, gap) in [(it::XRAY, pl.r.range(3, 6)), (it::BLOOD, 7)] {
        let (p, _) = pl.take(|p| p.age >= 30)?;
        let h = pl.hospital(LEVEL_SECONDARY);
        let mut last = None;
        for k in 0..2 {
            let v = test_visit(h, t(w, day + k * gap as i32, 10, 0), item);
            last = Some(pl.add(p, v));
        }
        pl.label(
            true,
            "duplicate_charge",
            "duplicate_charge.repeated_test",
            Subject::Patient(p),
            Some(p),
            last,
            h,
            Amount::Fen(0),
            if item == it::XRAY {
                format!("one follow-up X-ray {gap} days later")
            } else {
                "blood counts at two visits a week apart (monitoring)".into()
            },
        );
    }
    Ok(())
}

/// Split outpatient visits (分解门诊): a clinic following 15-100% of its outpatient visits with 1-3
/// copies of the visit on the next days (about 0.3-2 more visits per patient;
/// the first round's from 60%), across the rule's margin of half a visit per patient. Look-alike
/// (first round): a clinic seeing a quarter of its patients again a week later.
fn split_visits(pl: &mut Planner<'_>, round: usize) {
    let clinics = pl.w.clinics.clone();
    pl.provider_round(
        round,
        &clinics,
        RoundCase {
            scheme: "peer_outlier",
            rule: "peer_outlier.visits_per_patient",
            first: (0.6, 0.4),
            later: (0.15, 0.85),
            role: |r| &mut r.split,
            tally: Tally::Split,
            note: |share| {
                format!(
                    "{:.0}% of its outpatient visits followed by 1-3 split-off visits",
                    share * 100.0
                )
            },
            look_alike: (
                |r| &mut r.follow_up,
                0.25,
                "a quarter of its patients seen again a week later",
            ),
        },
    );
}

/// Test panels (过度检查): a secondary or tertiary hospital adding a blood count, liver function, a
/// chest X-ray and an ultrasound to 10-60% of its outpatient visits (the first round's from 35%),
/// across the rule's 15-point margin. Look-alike (first round): one adding them to 8%.
fn test_panels(pl: &mut Planner<'_>, round: usize) {
    let w = pl.w;
    let mut pool = w.hospitals_of(LEVEL_SECONDARY);
    pool.extend(w.hospitals_of(LEVEL_TERTIARY));
    pl.provider_round(
        round,
        &pool,
        RoundCase {
            scheme: "peer_outlier",
            rule: "peer_outlier.test_panels",
            first: (0.35, 0.25),
            later: (0.1, 0.5),
            role: |r| &mut r.panel,
            tally: Tally::Panel,
            note: |share| {
                format!(
                    "a panel of four tests added to {:.0}% of its outpatient visits",
                    share * 100.0
                )
            },
            look_alike: (
                |r| &mut r.panel,
                0.08,
                "a panel of four tests on 8% of its outpatient visits",
            ),
        },
    );
}

/// Cloned claims (套用模板虚开): a clinic replacing 2-22% of its outpatient visits (the first
/// round's from 15%) by one template claim — the same diagnosis and the same eight items in the
/// same quantities, whoever the patient — across the rule's 5-point margin. Each clinic's template
/// differs (its diagnosis and doses follow the clinic), so that two such clinics never look like a
/// standard of care. Look-alike (first round): a clinic giving the free elderly check-up package
/// (Z00, the same six items for everyone) to 30% of its outpatients aged 60 or more.
fn cloned_claims(pl: &mut Planner<'_>, round: usize) {
    let clinics = pl.w.clinics.clone();
    pl.provider_round(
        round,
        &clinics,
        RoundCase {
            scheme: "phantom_service",
            rule: "phantom_service.cloned_claims",
            first: (0.15, 0.15),
            later: (0.02, 0.2),
            role: |r| &mut r.cloning,
            tally: Tally::Cloned,
            note: |share| {
                format!(
                    "{:.0}% of its outpatient visits replaced by one template claim (same diagnosis, items and quantities)",
                    share * 100.0
                )
            },
            look_alike: (
                |r| &mut r.package,
                0.3,
                "the free check-up package (Z00) for 30% of its outpatients aged 60 or more",
            ),
        },
    );
}

/// Upselling (过度诊疗): a clinic adding an infusion course (ceftriaxone and saline with the
/// infusion, 3-5 days' worth) to 5-60% of its outpatient visits (the first round's from 40%),
/// raising its money per patient across the rule's margin. Look-alike (first round): a clinic
/// adding it to 5%.
fn upselling(pl: &mut Planner<'_>, round: usize) {
    let clinics = pl.w.clinics.clone();
    pl.provider_round(
        round,
        &clinics,
        RoundCase {
            scheme: "peer_outlier",
            rule: "peer_outlier.money_per_patient",
            first: (0.4, 0.2),
            later: (0.05, 0.55),
            role: |r| &mut r.upsell,
            tally: Tally::Upsold,
            note: |share| {
                format!(
                    "an infusion course added to {:.0}% of its outpatient visits",
                    share * 100.0
                )
            },
            look_alike: (
                |r| &mut r.upsell,
                0.05,
                "an infusion course added to 5% of its outpatient visits",
            ),
        },
    );
}

/// Readmissions (分解住院 with a new diagnosis): a hospital readmitting 6-40% of the patients it
/// discharges (the first round's from 30%) within 2-12 days with another diagnosis, across the
/// rule's 5-point margin over the honest 4%. Look-alike (first round): an oncology hospital
/// readmitting 30% for the next planned chemotherapy cycle (Z51.1).
fn readmissions(pl: &mut Planner<'_>, round: usize) {
    let hospitals = pl.w.hospitals.clone();
    pl.provider_round(
        round,
        &hospitals,
        RoundCase {
            scheme: "split_admission",
            rule: "split_admission.readmission_share",
            first: (0.3, 0.1),
            later: (0.06, 0.34),
            role: |r| &mut r.readmit,
            tally: Tally::Readmitted,
            note: |share| {
                format!(
                    "{:.0}% of its discharged patients readmitted within 2-12 days with another diagnosis",
                    share * 100.0
                )
            },
            look_alike: (
                |r| &mut r.cycles,
                0.3,
                "a third of its discharged patients readmitted for the next chemotherapy cycle (Z51.1)",
            ),
        },
    );
}

/// Personal accounts paying for goods (扩大个人账户刷卡范围): a pharmacy letting 1-8 employees'
/// cards (the first round's 4-8) pay protein powder, shampoo or goji boxes from their personal
/// accounts, with a drug beside them, across the rule's margin of 3 cards. Look-alike (first
/// round): a pharmacy where 8 cards buy the same goods and pay them in cash.
fn account_misuse(pl: &mut Planner<'_>, round: usize) -> Result<(), PlanError> {
    let w = pl.w;
    let cards = if round == 0 {
        pl.r.range(4, 8)
    } else {
        pl.r.range(1, 8)
    };
    for (decoy, cards) in [(false, cards), (true, 8)] {
        if decoy && round > 0 {
            break;
        }
        let ph = pl.free_pharmacy();
        let mut goods = 0;
        for _ in 0..cards {
            let (p, _) = pl.take(|p| p.employee)?;
            let day = pl.r.range(0, i64::from(w.nd) - 1) as i32;
            let time = t(w, day, 10, pl.r.range(0, 420));
            let mut v = Visit::at_pharmacy(ph, time);
            v.lines.push(Line::new(it::AMLODIPINE, time, 30).supply(30));
            let item = *pl.r.pick(&it::GOODS);
            v.lines.push(Line::new(item, time, pl.r.range(1, 2)));
            v.account_goods = !decoy;
            goods += v.goods_fen();
            pl.add(p, v);
        }
        pl.provider_case(
            decoy,
            "item_swap",
            "item_swap.account_misuse",
            ph,
            Amount::Fen(if decoy { 0 } else { goods }),
            if decoy {
                "8 cards buying goods outside the catalogue and paying them in cash".into()
            } else {
                format!(
                    "{cards} employees' personal accounts paying for goods outside the catalogue"
                )
            },
        );
    }
    Ok(())
}

/// Recoded main diagnoses (高套诊断): a secondary or tertiary hospital coding 5-40% of its ordinary
/// stays (the first round's from 25%) as strokes (I63.900), the care and length unchanged, across
/// the rule's 5-point margin. Look-alike (first round): a stroke centre, a third of whose stays
/// are real strokes treated by the protocol.
fn recoding(pl: &mut Planner<'_>, round: usize) {
    let w = pl.w;
    let mut pool = w.hospitals_of(LEVEL_SECONDARY);
    pool.extend(w.hospitals_of(LEVEL_TERTIARY));
    pl.provider_round(
        round,
        &pool,
        RoundCase {
            scheme: "upcoding",
            rule: "upcoding.main_diagnosis",
            first: (0.25, 0.15),
            later: (0.05, 0.35),
            role: |r| &mut r.recode,
            tally: Tally::Recoded,
            note: |share| {
                format!(
                    "{:.0}% of its ordinary stays coded as strokes, their care unchanged",
                    share * 100.0
                )
            },
            look_alike: (
                |r| &mut r.stroke,
                0.33,
                "a stroke centre: a third of its stays are strokes treated by the protocol",
            ),
        },
    );
}
