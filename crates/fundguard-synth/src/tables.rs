//! Record batches of the contract's tables from the generator's state.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use fundguard_model::{VisitType, NULL_TIME, PRICE_SCALE, QTY_SCALE};

use crate::inject::{Amount, Label, Subject, VisitRef};
use crate::plan::{visit_id, Chunk};
use crate::world::{Person, World, DISTRICTS};
use crate::write::{
    bool_array, date, date_array, dec_array, decimal, int_array, schema, str_array, str_values,
    text, timestamp, ts_array,
};

const Q: i8 = QTY_SCALE as i8;
const P: i8 = PRICE_SCALE as i8;

pub fn visits_schema() -> SchemaRef {
    schema(vec![
        text("visit_id", false),
        text("patient_id", false),
        text("provider_id", false),
        text("visit_type", false),
        text("med_type", true),
        timestamp("admit_time", false),
        timestamp("discharge_time", true),
        timestamp("settle_time", true),
        text("main_diag_code", true),
        text("dept_code", true),
        text("doctor_id", true),
        text("terminal_id", true),
        decimal("total_amount", 2, false),
        decimal("fund_paid", 2, true),
        decimal("account_paid", 2, true),
        decimal("cash_paid", 2, true),
        arrow::datatypes::Field::new("is_refund", arrow::datatypes::DataType::Boolean, true),
        text("insurance_type", true),
    ])
}

fn med_type(t: VisitType) -> &'static str {
    match t {
        VisitType::Outpatient => "11",
        VisitType::Inpatient => "21",
        VisitType::Pharmacy => "41",
        VisitType::Other => "99",
    }
}

pub(crate) fn visits_batch(w: &World, c: &Chunk) -> RecordBatch {
    let doctor = |d: &Option<(u32, u32)>| {
        d.map(|(p, d)| w.providers[p as usize].doctors[d as usize].as_str())
    };
    let terminal = |d: &Option<(u32, u32)>| {
        d.map(|(p, t)| w.providers[p as usize].terminals[t as usize].as_str())
    };
    let opt_t = |t: i64| (t != NULL_TIME).then_some(t);
    RecordBatch::try_new(
        visits_schema(),
        vec![
            str_values(c.v_id.iter()),
            str_values(c.v_patient.iter()),
            str_values(
                c.v_provider
                    .iter()
                    .map(|p| w.providers[*p as usize].id.as_str()),
            ),
            str_values(c.v_type.iter().map(|t| t.as_str())),
            str_array(c.v_type.iter().map(|t| Some(med_type(*t)))),
            ts_array(c.v_admit.iter().map(|t| Some(*t))),
            ts_array(c.v_discharge.iter().map(|t| opt_t(*t))),
            ts_array(c.v_settle.iter().map(|t| Some(*t))),
            str_array(c.v_diag.iter().copied()),
            str_array(c.v_dept.iter().map(|d| Some(*d))),
            str_array(c.v_doctor.iter().map(doctor)),
            str_array(c.v_terminal.iter().map(terminal)),
            dec_array(2, c.v_total.iter().map(|v| Some(*v))),
            dec_array(2, c.v_fund.iter().map(|v| Some(*v))),
            dec_array(2, c.v_account.iter().map(|v| Some(*v))),
            dec_array(2, c.v_cash.iter().map(|v| Some(*v))),
            bool_array(c.v_refund.iter().map(|r| Some(*r))),
            str_array(
                c.v_employee
                    .iter()
                    .map(|e| Some(if *e { "310" } else { "390" })),
            ),
        ],
    )
    .expect("columns match the schema")
}

pub fn lines_schema() -> SchemaRef {
    schema(vec![
        text("line_id", false),
        text("visit_id", false),
        text("item_code", false),
        text("item_name", true),
        text("charge_category", false),
        timestamp("charge_time", false),
        decimal("quantity", Q, false),
        decimal("unit_price", P, false),
        decimal("amount", 2, false),
        decimal("in_scope_amount", 2, true),
        text("doctor_id", true),
        text("dept_code", true),
        decimal("days_supply", Q, true),
    ])
}

const CATEGORY: [&str; 15] = [
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14",
];

pub(crate) fn lines_batch(w: &World, c: &Chunk) -> RecordBatch {
    let doctor = |d: &Option<(u32, u32)>| {
        d.map(|(p, d)| w.providers[p as usize].doctors[d as usize].as_str())
    };
    RecordBatch::try_new(
        lines_schema(),
        vec![
            str_values(c.l_id.iter()),
            str_values(c.l_visit.iter()),
            str_values(c.l_item.iter().map(|i| w.item(*i as usize).code.as_str())),
            str_array(
                c.l_item
                    .iter()
                    .map(|i| Some(w.item(*i as usize).name.as_str())),
            ),
            str_values(
                c.l_item
                    .iter()
                    .map(|i| CATEGORY[w.item(*i as usize).category as usize]),
            ),
            ts_array(c.l_time.iter().map(|t| Some(*t))),
            dec_array(Q, c.l_qty.iter().map(|v| Some(*v))),
            dec_array(P, c.l_price.iter().map(|v| Some(*v))),
            dec_array(2, c.l_amount.iter().map(|v| Some(*v))),
            dec_array(2, c.l_amount.iter().map(|v| Some(*v))),
            str_array(c.l_doctor.iter().map(doctor)),
            str_array(c.l_dept.iter().map(|d| Some(*d))),
            dec_array(Q, c.l_supply.iter().map(|d| d.map(|d| d * 10_000))),
        ],
    )
    .expect("columns match the schema")
}

pub fn patients_schema() -> SchemaRef {
    schema(vec![
        text("patient_id", false),
        text("sex", true),
        date("birth_date", true),
        date("death_date", true),
        text("region_code", true),
    ])
}

pub(crate) fn patients_batch(w: &World, people: &[(u32, Person)]) -> RecordBatch {
    let ids: Vec<String> = people.iter().map(|(p, _)| w.patient_id(*p)).collect();
    RecordBatch::try_new(
        patients_schema(),
        vec![
            str_values(ids.iter().map(String::as_str)),
            str_array(people.iter().map(|(_, p)| Some(p.sex.code()))),
            date_array(people.iter().map(|(_, p)| p.birth_known.then_some(p.birth))),
            date_array(people.iter().map(|(_, p)| p.death)),
            str_array(people.iter().map(|(_, p)| Some(DISTRICTS[p.district].0))),
        ],
    )
    .expect("columns match the schema")
}

pub fn providers_schema() -> SchemaRef {
    schema(vec![
        text("provider_id", false),
        text("provider_name", true),
        text("provider_type", true),
        text("level", true),
        text("region_code", true),
        arrow::datatypes::Field::new("beds", arrow::datatypes::DataType::Int64, true),
        text("open_time", true),
        text("close_time", true),
    ])
}

pub(crate) fn providers_batch(w: &World) -> RecordBatch {
    let ps = &w.providers;
    let hhmm = |m: i32| format!("{:02}:{:02}", m / 60, m % 60);
    let open: Vec<Option<String>> = ps.iter().map(|p| p.open.map(|o| hhmm(o.0))).collect();
    let close: Vec<Option<String>> = ps.iter().map(|p| p.open.map(|o| hhmm(o.1))).collect();
    RecordBatch::try_new(
        providers_schema(),
        vec![
            str_values(ps.iter().map(|p| p.id.as_str())),
            str_array(ps.iter().map(|p| Some(p.name.as_str()))),
            str_array(ps.iter().map(|p| Some(p.ptype.as_str()))),
            str_array(ps.iter().map(|p| p.level)),
            str_array(ps.iter().map(|p| Some(DISTRICTS[p.district].0))),
            int_array(ps.iter().map(|p| p.beds)),
            str_array(open.iter().map(|o| o.as_deref())),
            str_array(close.iter().map(|o| o.as_deref())),
        ],
    )
    .expect("columns match the schema")
}

pub fn catalog_schema() -> SchemaRef {
    schema(vec![
        text("item_code", false),
        text("item_name", true),
        text("charge_category", true),
        decimal("price_cap", P, true),
        decimal("max_per_day", Q, true),
    ])
}

pub(crate) fn catalog_batch(w: &World) -> RecordBatch {
    let items: Vec<_> = w.catalog.items.iter().filter(|i| i.listed).collect();
    RecordBatch::try_new(
        catalog_schema(),
        vec![
            str_values(items.iter().map(|i| i.code.as_str())),
            str_array(items.iter().map(|i| Some(i.name.as_str()))),
            str_array(items.iter().map(|i| Some(CATEGORY[i.category as usize]))),
            dec_array(
                P,
                items.iter().map(|i| Some(crate::plan::price(i.price_fen))),
            ),
            dec_array(
                Q,
                items.iter().map(|i| i.max_per_day.map(crate::plan::units)),
            ),
        ],
    )
    .expect("columns match the schema")
}

/// One purchases row: provider, item, opening and purchased quantity (scale 4).
pub(crate) struct Stock {
    pub provider: usize,
    pub item: usize,
    pub opening: i64,
    pub purchased: i64,
}

pub fn purchases_schema() -> SchemaRef {
    schema(vec![
        text("provider_id", false),
        text("item_code", false),
        text("month", false),
        decimal("opening_qty", Q, true),
        decimal("purchased_qty", Q, false),
    ])
}

pub(crate) fn purchases_batch(w: &World, rows: &[Stock]) -> RecordBatch {
    let month = format!("{:04}-{:02}", w.year, w.month);
    RecordBatch::try_new(
        purchases_schema(),
        vec![
            str_values(rows.iter().map(|r| w.providers[r.provider].id.as_str())),
            str_values(rows.iter().map(|r| w.item(r.item).code.as_str())),
            str_values(rows.iter().map(|_| month.as_str())),
            dec_array(Q, rows.iter().map(|r| Some(r.opening))),
            dec_array(Q, rows.iter().map(|r| Some(r.purchased))),
        ],
    )
    .expect("columns match the schema")
}

pub fn traces_schema() -> SchemaRef {
    schema(vec![
        text("trace_code", false),
        text("visit_id", false),
        text("item_code", false),
        text("provider_id", false),
        text("patient_id", true),
        timestamp("scan_time", false),
        decimal("quantity", Q, false),
        crate::write::boolean("split_pack", true),
    ])
}

/// `drug_traces`: the chunk's scans.
pub(crate) fn traces_batch(w: &World, c: &Chunk) -> RecordBatch {
    RecordBatch::try_new(
        traces_schema(),
        vec![
            str_values(c.t_code.iter()),
            str_values(c.t_visit.iter()),
            str_values(c.t_item.iter().map(|i| w.item(*i as usize).code.as_str())),
            str_values(
                c.t_provider
                    .iter()
                    .map(|p| w.providers[*p as usize].id.as_str()),
            ),
            str_array(c.t_patient.iter().map(Some)),
            ts_array(c.t_time.iter().map(|t| Some(*t))),
            dec_array(Q, c.t_qty.iter().map(|v| Some(*v))),
            bool_array(c.t_split.iter().map(|b| Some(*b))),
        ],
    )
    .expect("columns match the schema")
}

/// `settlement_diagnoses`: the contract's columns (diag_type 1 = 西医诊断).
pub fn diagnoses_schema() -> SchemaRef {
    schema(vec![
        text("visit_id", false),
        text("diag_code", false),
        text("diag_type", true),
        crate::write::boolean("is_main", true),
    ])
}

/// `settlement_diagnoses`: the chunk's settlement-list diagnoses.
pub(crate) fn diagnoses_batch(c: &Chunk) -> RecordBatch {
    RecordBatch::try_new(
        diagnoses_schema(),
        vec![
            str_values(c.g_visit.iter()),
            str_values(c.g_code.iter().copied()),
            str_array(c.g_code.iter().map(|_| Some("1"))),
            bool_array(c.g_main.iter().map(|b| Some(*b))),
        ],
    )
    .expect("columns match the schema")
}

/// One box a provider took in.
pub(crate) struct Intake {
    pub provider: usize,
    pub code: String,
    pub item: usize,
    pub time: i64,
}

/// `drug_stock`: the boxes the providers that report stock scans took in.
pub fn stock_schema() -> SchemaRef {
    schema(vec![
        text("trace_code", false),
        text("item_code", false),
        text("provider_id", false),
        timestamp("stock_time", true),
    ])
}

pub(crate) fn stock_batch(w: &World, rows: &[Intake]) -> RecordBatch {
    RecordBatch::try_new(
        stock_schema(),
        vec![
            str_values(rows.iter().map(|r| r.code.as_str())),
            str_values(rows.iter().map(|r| w.item(r.item).code.as_str())),
            str_values(rows.iter().map(|r| w.providers[r.provider].id.as_str())),
            ts_array(rows.iter().map(|r| Some(r.time))),
        ],
    )
    .expect("columns match the schema")
}

/// `labels.parquet` / `decoys.parquet`: the contract's columns plus `rule` and `note`.
pub(crate) fn labels_batch(
    w: &World,
    labels: &[Label],
    amount: impl Fn(Amount) -> i64,
    seq: impl Fn(VisitRef) -> usize,
) -> RecordBatch {
    let vid = |r: VisitRef| visit_id(w, r.patient, seq(r));
    let subject: Vec<(&str, String)> = labels
        .iter()
        .map(|l| match l.subject {
            Subject::Provider(p) => ("provider", w.providers[p].id.clone()),
            Subject::Patient(p) => ("patient", w.patient_id(p)),
            Subject::Visit(r) => ("visit", vid(r)),
            Subject::Doctor(p, d) => ("doctor", w.providers[p].doctors[d].clone()),
        })
        .collect();
    let patients: Vec<Option<String>> = labels
        .iter()
        .map(|l| l.patient.map(|p| w.patient_id(p)))
        .collect();
    let visits: Vec<Option<String>> = labels.iter().map(|l| l.visit.map(vid)).collect();
    RecordBatch::try_new(
        schema(vec![
            text("scheme", false),
            text("rule", false),
            text("subject_type", false),
            text("subject_id", false),
            text("provider_id", true),
            text("patient_id", true),
            text("visit_id", true),
            decimal("amount", 2, false),
            text("note", false),
        ]),
        vec![
            str_values(labels.iter().map(|l| l.scheme)),
            str_values(labels.iter().map(|l| l.rule)),
            str_values(subject.iter().map(|s| s.0)),
            str_values(subject.iter().map(|s| s.1.as_str())),
            str_array(
                labels
                    .iter()
                    .map(|l| l.provider.map(|p| w.providers[p].id.as_str())),
            ),
            str_array(patients.iter().map(|p| p.as_deref())),
            str_array(visits.iter().map(|p| p.as_deref())),
            dec_array(2, labels.iter().map(|l| Some(amount(l.amount)))),
            str_values(labels.iter().map(|l| l.note.as_str())),
        ],
    )
    .expect("columns match the schema")
}
