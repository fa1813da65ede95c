//! Visits as planned (a provider, times and billed lines) and the columnar chunk they are emitted
//! into. Base activity and injected cases both go through [`Chunk::push_visit`], so their rows are
//! alike in every column.

use fundguard_model::{line_amount_fen, StrColumn, VisitType, NULL_TIME, QTY_SCALE};
use rustc_hash::FxHashMap;

use crate::inject::Tally;
use crate::world::{Cover, Person, World, ITEMS};

/// Minutes and days as timestamps.
pub(crate) const MIN: i64 = 60;
pub(crate) const HOUR: i64 = 3600;
pub(crate) const DAY: i64 = 86_400;

/// Quantity of whole units at scale 4.
pub(crate) fn units(n: i64) -> i64 {
    n * 10i64.pow(QTY_SCALE)
}

/// Fen to the unit-price scale (6).
pub(crate) fn price(fen: i64) -> i64 {
    fen * 10_000
}

#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub item: usize,
    pub time: i64,
    /// Scale 4; negative on reversals.
    pub qty: i64,
    /// Scale 6.
    pub price: i64,
    pub days_supply: Option<i64>,
}

impl Line {
    /// `n` units of `item` at its list price.
    pub(crate) fn new(item: usize, time: i64, n: i64) -> Self {
        Line::priced(item, time, n, ITEMS[item].price_fen)
    }

    /// `n` units of `item` at `fen` a unit (tail items are priced by the catalogue and level).
    pub(crate) fn priced(item: usize, time: i64, n: i64, fen: i64) -> Self {
        Line {
            item,
            time,
            qty: units(n),
            price: price(fen),
            days_supply: None,
        }
    }

    pub(crate) fn amount(&self) -> i64 {
        line_amount_fen(self.qty, self.price)
    }

    pub(crate) fn supply(mut self, days: i64) -> Self {
        self.days_supply = Some(days);
        self
    }

    pub(crate) fn reversed(&self, time: i64) -> Self {
        Line {
            qty: -self.qty,
            time,
            ..self.clone()
        }
    }
}

/// One 追溯码 scan a planned visit states itself (cases and look-alikes); honest visits are
/// scanned by [`Chunk::push_visit`].
#[derive(Debug, Clone)]
pub(crate) struct Scan {
    /// Index of the line in the visit.
    pub line: usize,
    pub code: String,
    /// Scale 4; negative on a return.
    pub qty: i64,
    pub time: i64,
    pub split: bool,
    /// The box came in through the provider's stock feed (false for boxes it never took in).
    pub stocked: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Visit {
    pub provider: usize,
    pub vtype: VisitType,
    pub admit: i64,
    pub discharge: Option<i64>,
    pub diag: Option<&'static str>,
    pub doctor: Option<usize>,
    pub terminal: Option<usize>,
    /// Department code when not the visit type's default.
    pub dept: Option<&'static str>,
    /// Settlement time when not the default (a stay still open is settled at month end).
    pub settle: Option<i64>,
    pub refund: bool,
    pub lines: Vec<Line>,
    /// The visit's scans when it states them; `None` scans it as an honest counter does.
    pub scans: Option<Vec<Scan>>,
    /// A stay whose co-payment the hospital waived and billed to the fund.
    pub waived: bool,
    /// An outpatient visit split off another (分解门诊), written like any visit.
    pub split: bool,
    /// Money of the tests a panel-ordering provider added to the visit.
    pub panel_fen: i64,
    /// An outpatient visit replaced by its provider's template claim (a cloned claim).
    pub cloned: bool,
    /// Money of the treatment an upselling provider added to the visit.
    pub upsell_fen: i64,
    /// A stay a readmitting provider added after the patient's discharge (a case).
    pub readmitted: bool,
    /// The personal account paid for the visit's goods (items outside the catalogue, a case);
    /// otherwise the customer pays them in cash.
    pub account_goods: bool,
    /// A stay whose main diagnosis a recoding provider changed (a case).
    pub recoded: bool,
}

impl Visit {
    pub(crate) fn new(provider: usize, vtype: VisitType, admit: i64) -> Self {
        Visit {
            provider,
            vtype,
            admit,
            discharge: None,
            diag: None,
            doctor: None,
            terminal: None,
            dept: None,
            settle: None,
            refund: false,
            lines: Vec::new(),
            scans: None,
            waived: false,
            split: false,
            panel_fen: 0,
            cloned: false,
            upsell_fen: 0,
            readmitted: false,
            account_goods: false,
            recoded: false,
        }
    }

    /// A purchase settled at `time` on the pharmacy's first terminal, with no lines yet.
    pub(crate) fn at_pharmacy(provider: usize, time: i64) -> Self {
        Visit {
            discharge: Some(time),
            terminal: Some(0),
            ..Visit::new(provider, VisitType::Pharmacy, time)
        }
    }

    pub(crate) fn total(&self) -> i64 {
        self.lines.iter().map(Line::amount).sum()
    }

    /// What the pooled fund and the personal account pay (fen), by insurance and visit type.
    pub(crate) fn payments(&self, person: &Person) -> (i64, i64, i64) {
        // Goods are no medical cost: the fund never pays them; the customer pays cash, or his
        // personal account where the pharmacy lets it (a case).
        let goods = self.goods_fen();
        let (fund, account, cash) = self.medical_payments(person, self.total() - goods);
        if self.account_goods {
            (fund, account + goods, cash)
        } else {
            (fund, account, cash + goods)
        }
    }

    /// The money of the visit's goods lines.
    pub(crate) fn goods_fen(&self) -> i64 {
        self.lines
            .iter()
            .filter(|l| crate::world::it::GOODS.contains(&l.item))
            .map(Line::amount)
            .sum()
    }

    /// What the fund, the account and the customer pay of `total`, the visit's medical money.
    fn medical_payments(&self, person: &Person, total: i64) -> (i64, i64, i64) {
        let inpatient = self.vtype == VisitType::Inpatient;
        if inpatient && (self.waived || person.cover == Cover::Full) {
            return (total, 0, 0);
        }
        let pct = match (self.vtype, person.employee) {
            (VisitType::Inpatient, true) => 85,
            (VisitType::Inpatient, false) => 70,
            (VisitType::Pharmacy, true) => 0,
            (VisitType::Pharmacy, false) => 50,
            (_, true) => 60,
            (_, false) => 50,
        };
        let fund = total * pct / 100;
        let account = if self.vtype == VisitType::Pharmacy && person.employee {
            total
        } else {
            0
        };
        // Medical assistance pays an assisted inpatient's share: no cash, and the three payments
        // fall short of the total.
        let cash = if inpatient && person.cover == Cover::Assisted {
            0
        } else {
            total - fund - account
        };
        (fund, account, cash)
    }

    /// A refund settlement that reverses this visit whole, `after` seconds later.
    pub(crate) fn refund_of(&self, after: i64) -> Visit {
        let t = self.discharge.unwrap_or(self.admit) + after;
        Visit {
            admit: t,
            discharge: Some(t),
            refund: true,
            lines: self.lines.iter().map(|l| l.reversed(t)).collect(),
            scans: Some(Vec::new()),
            ..self.clone()
        }
    }
}

pub(crate) fn visit_id(w: &World, patient: u32, seq: usize) -> String {
    format!("{:04}{:02}{patient:010}{seq:03}", w.year, w.month)
}

/// Emitted rows of a range of patients, in the contract's columns.
#[derive(Default)]
pub(crate) struct Chunk {
    pub v_id: StrColumn,
    pub v_patient: StrColumn,
    pub v_provider: Vec<u32>,
    pub v_type: Vec<VisitType>,
    pub v_admit: Vec<i64>,
    pub v_discharge: Vec<i64>,
    pub v_settle: Vec<i64>,
    pub v_diag: Vec<Option<&'static str>>,
    pub v_dept: Vec<&'static str>,
    pub v_doctor: Vec<Option<(u32, u32)>>,
    pub v_terminal: Vec<Option<(u32, u32)>>,
    pub v_total: Vec<i64>,
    pub v_fund: Vec<i64>,
    pub v_account: Vec<i64>,
    pub v_cash: Vec<i64>,
    pub v_refund: Vec<bool>,
    pub v_employee: Vec<bool>,
    pub l_id: StrColumn,
    pub l_visit: StrColumn,
    pub l_item: Vec<u16>,
    pub l_time: Vec<i64>,
    pub l_qty: Vec<i64>,
    pub l_price: Vec<i64>,
    pub l_amount: Vec<i64>,
    pub l_doctor: Vec<Option<(u32, u32)>>,
    pub l_dept: Vec<&'static str>,
    pub l_supply: Vec<Option<i64>>,
    /// Net billed quantity per (provider, item), for the purchases table.
    pub billed: FxHashMap<(u32, u16), i64>,
    pub t_code: StrColumn,
    pub t_visit: StrColumn,
    pub t_patient: StrColumn,
    pub t_item: Vec<u16>,
    pub t_provider: Vec<u32>,
    pub t_time: Vec<i64>,
    pub t_qty: Vec<i64>,
    pub t_split: Vec<bool>,
    /// Not written: the box came in through the stock feed.
    pub t_stocked: Vec<bool>,
    /// Money of provider-level cases counted as the rows are written (see [`Tally`]).
    pub counted: FxHashMap<(Tally, u32), i64>,
    /// Settlement-list diagnoses: visit, code, main.
    pub g_visit: StrColumn,
    pub g_code: Vec<&'static str>,
    pub g_main: Vec<bool>,
}

/// Secondary diagnoses that come with age and raise no group: hypertension, diabetes,
/// hyperlipidaemia, coronary disease, COPD, chronic kidney disease, osteoporosis.
const COMORBIDITIES: &[&str] = &[
    "I10.x00", "E11.900", "E78.500", "I25.100", "J44.900", "N18.300", "M81.000",
];

/// Secondary diagnoses that raise a DRG/DIP group (major complications): respiratory failure,
/// acute kidney failure, sepsis, hyponatraemia, heart failure, acute posthaemorrhagic anaemia,
/// severe malnutrition. The engine's `upcoding` default list holds them.
pub(crate) const COMPLICATIONS: &[&str] = &[
    "J96.000", "N17.900", "A41.900", "E87.100", "I50.900", "D62.x00", "E43.x00",
];

/// A 20-digit trace code of an honest box: the item, the buyer, the visit, the line and the box
/// (unique by construction; injected codes carry a 9 where a buyer's number has its leading 0).
fn honest_code(item: usize, patient: u32, seq: usize, line: usize, boxn: i64) -> String {
    format!(
        "8{:04}{patient:09}{:03}{:02}{}",
        item % 10_000,
        seq % 1000,
        line % 100,
        boxn % 10
    )
}

/// Honest scanning habits: a box missed now and then (`miss`, the provider's rate), a code typed
/// wrong, an upload sent twice.
pub(crate) const MALFORMED_SHARE: f64 = 0.004;
pub(crate) const DOUBLE_UPLOAD_SHARE: f64 = 0.003;

fn dept_of(v: &Visit) -> &'static str {
    if let Some(d) = v.dept {
        return d;
    }
    match v.vtype {
        VisitType::Inpatient => "0301",
        VisitType::Outpatient => "0101",
        VisitType::Pharmacy => "9901",
        VisitType::Other => "9999",
    }
}

impl Chunk {
    /// Adds `fen` to provider `provider`'s tally `t` (nothing for 0: a missing tally reads 0).
    fn count(&mut self, t: Tally, provider: usize, fen: i64) {
        if fen != 0 {
            *self.counted.entry((t, provider as u32)).or_default() += fen;
        }
    }

    /// A stay's settlement-list diagnoses, from a stream of their own (the month's other draws do
    /// not move): the main one, up to two comorbidities (more with age), and a complication that
    /// becomes likelier the longer the stay (2% plus 1% a night); at an upcoding provider, an
    /// invented complication on its share of stays; at a provider treating complicated patients,
    /// a real one on its share of the stays of a week or more.
    #[allow(clippy::too_many_arguments)]
    fn settlement_list(
        &mut self,
        w: &World,
        id: &str,
        patient: u32,
        seq: usize,
        main: &'static str,
        v: &Visit,
        roles: &Roles,
        fund: i64,
    ) {
        let mut r = crate::rng::Rng::new(
            w.seed,
            0xD1A6_0000_0000_0000 | (u64::from(patient) << 10) | seq as u64,
        );
        let mut codes = vec![main];
        let age = w.person(patient).age;
        let n = if age >= 60 {
            r.range(0, 2)
        } else {
            r.range(0, 1)
        };
        for _ in 0..n {
            let c = *r.pick(COMORBIDITIES);
            if !codes.contains(&c) {
                codes.push(c);
            }
        }
        let nights = v.discharge.map_or(0, |d| (d - v.admit) / DAY);
        let h = v.provider;
        let honest =
            r.chance(0.02 + 0.01 * nights as f64) || (nights >= 7 && r.chance(roles.complex[h]));
        let invented = !honest && r.chance(roles.upcode[h]);
        if honest || invented {
            codes.push(*r.pick(COMPLICATIONS));
        }
        if invented {
            self.count(Tally::Upcoded, h, fund);
        }
        for (k, c) in codes.into_iter().enumerate() {
            self.g_visit.push(id);
            self.g_code.push(c);
            self.g_main.push(k == 0);
        }
    }

    pub(crate) fn push_visit(
        &mut self,
        w: &World,
        patient: u32,
        person: &Person,
        seq: usize,
        v: &Visit,
        roles: &Roles,
    ) {
        let (miss, unstocked) = (roles.scan_miss[v.provider], roles.unstocked[v.provider]);
        let id = visit_id(w, patient, seq);
        let (fund, account, cash) = v.payments(person);
        let total = v.total();
        let doctor = v.doctor.map(|d| (v.provider as u32, d as u32));
        let dept = dept_of(v);
        self.v_id.push(&id);
        let pid = w.patient_id(patient);
        self.v_patient.push(&pid);
        self.v_provider.push(v.provider as u32);
        self.v_type.push(v.vtype);
        self.v_admit.push(v.admit);
        self.v_discharge.push(v.discharge.unwrap_or(NULL_TIME));
        self.v_settle
            .push(v.settle.unwrap_or(if v.vtype == VisitType::Pharmacy {
                v.admit
            } else {
                v.discharge.unwrap_or(v.admit)
            }));
        self.v_diag.push(v.diag);
        self.v_dept.push(dept);
        self.v_doctor.push(doctor);
        self.v_terminal
            .push(v.terminal.map(|t| (v.provider as u32, t as u32)));
        self.v_total.push(total);
        self.v_fund.push(fund);
        self.v_account.push(account);
        self.v_cash.push(cash);
        self.v_refund.push(v.refund);
        self.v_employee.push(person.employee);
        // What a case's visit adds to its provider's tally (a split-off visit counts whole, its
        // refund too; the other cases count what was paid and not refunded).
        let kept = |fen: i64| if v.refund { 0 } else { fen };
        for (t, fen) in [
            (Tally::Split, if v.split { total } else { 0 }),
            (Tally::Recoded, if v.recoded { kept(fund) } else { 0 }),
            (Tally::Readmitted, if v.readmitted { kept(fund) } else { 0 }),
            (Tally::Cloned, if v.cloned { kept(total) } else { 0 }),
            (Tally::Upsold, kept(v.upsell_fen)),
            (Tally::Panel, kept(v.panel_fen)),
        ] {
            self.count(t, v.provider, fen);
        }
        if v.vtype == VisitType::Inpatient && !v.refund {
            if let Some(main) = v.diag {
                self.settlement_list(w, &id, patient, seq, main, v, roles, fund);
            }
        }
        for (k, l) in v.lines.iter().enumerate() {
            self.l_id.push(&format!("{id}{:04}", k + 1));
            self.l_visit.push(&id);
            self.l_item.push(l.item as u16);
            self.l_time.push(l.time);
            self.l_qty.push(l.qty);
            self.l_price.push(l.price);
            self.l_amount.push(l.amount());
            self.l_doctor.push(doctor);
            self.l_dept.push(dept);
            self.l_supply.push(l.days_supply);
            *self
                .billed
                .entry((v.provider as u32, l.item as u16))
                .or_default() += l.qty;
        }
        let scan = |this: &mut Self, s: &Scan| {
            if !s.stocked && s.qty > 0 {
                let l = &v.lines[s.line];
                let fen =
                    (i128::from(l.amount()) * i128::from(s.qty) / i128::from(l.qty.max(1))) as i64;
                this.count(Tally::Unstocked, v.provider, fen);
            }
            this.t_code.push(&s.code);
            this.t_visit.push(&id);
            this.t_patient.push(&pid);
            this.t_item.push(v.lines[s.line].item as u16);
            this.t_provider.push(v.provider as u32);
            this.t_time.push(s.time);
            this.t_qty.push(s.qty);
            this.t_split.push(s.split);
            this.t_stocked.push(s.stocked);
        };
        if let Some(scans) = &v.scans {
            for s in scans {
                scan(self, s);
            }
            return;
        }
        // Honest counters scan the western and patent drugs of purchases and outpatient visits.
        if v.refund || !matches!(v.vtype, VisitType::Pharmacy | VisitType::Outpatient) {
            return;
        }
        use fundguard_model::category::{PATENT_DRUG, WESTERN_DRUG};
        for (k, l) in v.lines.iter().enumerate() {
            let cat = w.item(l.item).category;
            if l.qty <= 0 || !matches!(cat, WESTERN_DRUG | PATENT_DRUG) {
                continue;
            }
            let mut r = crate::rng::Rng::new(
                w.seed,
                0x7ACE_0000_0000_0000
                    ^ crate::rng::mix((u64::from(patient) << 24) | ((seq as u64) << 8) | k as u64),
            );
            if r.chance(miss) {
                continue;
            }
            let whole = l.qty / units(1);
            let boxes = if whole >= 30 {
                1 + i64::from(r.chance(0.3))
            } else {
                1
            };
            for b in 0..boxes {
                let share = l.qty / boxes + if b == boxes - 1 { l.qty % boxes } else { 0 };
                let mut code = honest_code(l.item, patient, seq, k, b);
                if r.chance(MALFORMED_SHARE) {
                    code = if r.chance(0.5) {
                        "0".repeat(20)
                    } else {
                        code[..19].to_string()
                    };
                }
                let s = Scan {
                    line: k,
                    code,
                    qty: share,
                    time: l.time,
                    split: false,
                    stocked: unstocked == 0.0 || !r.chance(unstocked),
                };
                scan(self, &s);
                if r.chance(DOUBLE_UPLOAD_SHARE) {
                    scan(self, &s);
                }
            }
        }
    }
}

/// Per-provider roles that alter honest billing.
pub(crate) struct Roles {
    /// Probability of billing the expensive item of an interchangeable pair.
    pub swap_share: Vec<f64>,
    /// Multiplier on inpatient drug quantities.
    pub inflate: Vec<i64>,
    /// Bills ultrasound 25% above the price cap.
    pub gouge: Vec<bool>,
    /// Share of drug lines the provider's counter leaves unscanned.
    pub scan_miss: Vec<f64>,
    /// Share of the boxes it sells that never came in through its stock feed (bought off the
    /// books: 回流药).
    pub unstocked: Vec<f64>,
    /// The provider reports its stock scans (drug_stock).
    pub reports_stock: Vec<bool>,
    /// (provider, doctor) -> the share of his outpatients who get his template, and whether it is
    /// a diabetes doctor's two items (a look-alike) rather than a template of three.
    pub template: FxHashMap<(usize, usize), (f64, bool)>,
    /// Share of the provider's stays given an invented complication on the settlement list (高编).
    pub upcode: Vec<f64>,
    /// Share of the provider's outpatient visits followed by 1-3 split-off visits (分解门诊).
    pub split: Vec<f64>,
    /// Share of its outpatient visits followed by one follow-up a week later (a look-alike).
    pub follow_up: Vec<f64>,
    /// Share of its outpatient visits given a panel of four tests (过度检查).
    pub panel: Vec<f64>,
    /// The provider treats complicated patients: a share of its stays of a week or more carry a
    /// real complication (a look-alike of upcoding).
    pub complex: Vec<f64>,
    /// Share of its outpatient visits replaced by one template claim (套用模板虚开).
    pub cloning: Vec<f64>,
    /// Share of its elderly outpatients given the free check-up package, diagnosis Z00 (a
    /// look-alike of cloned claims).
    pub package: Vec<f64>,
    /// Share of its outpatient visits given an added infusion course (过度诊疗).
    pub upsell: Vec<f64>,
    /// The provider belongs to the hospital group that shares a standard order set (honest).
    pub order_set: Vec<bool>,
    /// Share of its ordinary stays whose main diagnosis is coded as a stroke, the care unchanged
    /// (高套诊断).
    pub recode: Vec<f64>,
    /// Share of its stays that are real strokes, treated by the protocol (a stroke centre: a
    /// look-alike of recoded diagnoses).
    pub stroke: Vec<f64>,
    /// Share of its discharged patients it readmits within two weeks with another diagnosis
    /// (分解住院 disguised).
    pub readmit: Vec<f64>,
    /// Share of its discharged patients it readmits for a planned chemotherapy cycle, Z51.1 (a
    /// look-alike of readmissions).
    pub cycles: Vec<f64>,
}

/// The honest share of the expensive item of an interchangeable pair.
pub(crate) const HONEST_SWAP_SHARE: f64 = 0.3;
