//! Table by table: convert, check each row, reject, and build the accepted columns.

use fundguard_model::{
    category, line_amount_fen, yuan, Catalog, Dicts, LineItems, Patients, ProviderType, Providers,
    Purchases, Scaled, Sex, StrColumn, VisitType, Visits, NULL_DATE, NULL_I64, NULL_TIME,
    PRICE_SCALE, QTY_SCALE,
};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::read::RawTable;
use crate::validate::{filter, intern, show, Problem, Validator};
use crate::IngestOptions;

/// What a table builder hands back: the problems found (rows with any are rejected) and the keep
/// mask over the raw rows.
pub(crate) struct Outcome {
    pub problems: Vec<Problem>,
    pub keep: Vec<bool>,
}

fn finish(v: Validator<'_>) -> Outcome {
    let keep = v.bad_rows().iter().map(|b| !b).collect();
    Outcome {
        problems: v.problems,
        keep,
    }
}

fn keys_of(col: &StrColumn) -> Vec<&str> {
    col.iter().collect()
}

fn opt_or(v: &[i64], fallback: &[i64]) -> Vec<i64> {
    v.iter()
        .zip(fallback)
        .map(|(a, b)| if *a == NULL_I64 { *b } else { *a })
        .collect()
}

fn zero_if_null(v: Vec<i64>) -> Vec<i64> {
    v.into_iter()
        .map(|a| if a == NULL_I64 { 0 } else { a })
        .collect()
}

/// Visits: also returns every raw `visit_id` (for the line items' reference check).
pub(crate) fn visits(raw: &RawTable, dicts: &mut Dicts) -> (Visits, Outcome, StrColumn) {
    let mut v = Validator::new(raw);
    // Independent columns, converted side by side (problems merged in a fixed order).
    let (
        (visit_id, visit_type, texts),
        ([admit, discharge, settle, total, fund, account, cash, refund], numbers),
    ) = rayon::join(
        || {
            let mut t = Validator::part(raw);
            let visit_id = t.text("visit_id");
            for c in [
                "patient_id",
                "provider_id",
                "med_type",
                "main_diag_code",
                "dept_code",
                "doctor_id",
                "terminal_id",
                "insurance_type",
            ] {
                t.ids(c);
            }
            let visit_type = t.codes("visit_type", VisitType::Other, |s| {
                VisitType::parse(s)
                    .ok_or_else(|| "not one of outpatient, inpatient, pharmacy, other".to_string())
            });
            (visit_id, visit_type, t)
        },
        || {
            let mut n = Validator::part(raw);
            let cols = [
                n.numbers("admit_time", NULL_TIME),
                n.numbers("discharge_time", NULL_TIME),
                n.numbers("settle_time", NULL_TIME),
                n.numbers("total_amount", NULL_I64),
                n.numbers("fund_paid", NULL_I64),
                n.numbers("account_paid", NULL_I64),
                n.numbers("cash_paid", NULL_I64),
                n.numbers("is_refund", 0),
            ];
            (cols, n)
        },
    );
    v.absorb(texts);
    v.absorb(numbers);
    for row in 0..raw.rows {
        if discharge[row] != NULL_TIME && admit[row] != NULL_TIME && discharge[row] < admit[row] {
            v.report(
                row,
                "discharge_time",
                Some(show(fundguard_model::Kind::Timestamp, discharge[row])),
                format!(
                    "discharge_time before admit_time {}",
                    show(fundguard_model::Kind::Timestamp, admit[row])
                ),
            );
        }
    }
    v.reject_duplicates("visit_id", &keys_of(&visit_id));
    let out = finish(v);
    let keep = &out.keep;
    let visit_type = filter(visit_type, keep);
    let admit = filter(admit, keep);
    let discharge = filter(discharge, keep);
    let settle = filter(settle, keep)
        .into_iter()
        .enumerate()
        .map(|(i, s)| match (s, visit_type[i]) {
            (s, _) if s != NULL_TIME => s,
            (_, VisitType::Pharmacy) => admit[i],
            _ if discharge[i] != NULL_TIME => discharge[i],
            _ => admit[i],
        })
        .collect();
    let total = filter(total, keep);
    // Each dictionary interned by one task (med_type and insurance_type share `codes`).
    let d = &mut *dicts;
    let (
        ((patient, provider), (main_diag, dept)),
        ((doctor, terminal), (med_type, insurance_type)),
    ) = rayon::join(
        || {
            rayon::join(
                || {
                    rayon::join(
                        || intern(raw, "patient_id", keep, &mut d.patients),
                        || intern(raw, "provider_id", keep, &mut d.providers),
                    )
                },
                || {
                    rayon::join(
                        || intern(raw, "main_diag_code", keep, &mut d.diagnoses),
                        || intern(raw, "dept_code", keep, &mut d.depts),
                    )
                },
            )
        },
        || {
            rayon::join(
                || {
                    rayon::join(
                        || intern(raw, "doctor_id", keep, &mut d.doctors),
                        || intern(raw, "terminal_id", keep, &mut d.terminals),
                    )
                },
                || {
                    let m = intern(raw, "med_type", keep, &mut d.codes);
                    (m, intern(raw, "insurance_type", keep, &mut d.codes))
                },
            )
        },
    );
    let visits = Visits {
        visit_id: visit_id.filter(keep),
        patient,
        provider,
        med_type,
        main_diag,
        dept,
        doctor,
        terminal,
        insurance_type,
        visit_type,
        admit,
        discharge,
        settle,
        fund_paid: opt_or(&filter(fund, keep), &total),
        account_paid: zero_if_null(filter(account, keep)),
        cash_paid: zero_if_null(filter(cash, keep)),
        is_refund: filter(refund, keep).into_iter().map(|r| r == 1).collect(),
        total,
    };
    (visits, out, visit_id)
}

/// Line items, checked against the accepted visits.
pub(crate) fn line_items(
    raw: &RawTable,
    dicts: &mut Dicts,
    visits: &Visits,
    raw_visit_ids: &StrColumn,
    opts: &IngestOptions,
) -> (LineItems, Outcome) {
    let mut v = Validator::new(raw);
    let accepted: FxHashMap<&str, u32> = visits
        .visit_id
        .iter()
        .enumerate()
        .map(|(i, s)| (s, i as u32))
        .collect();
    // The columns are independent: text columns on one side, codes and numbers on the other.
    let (
        (line_id, visit_ref, texts),
        (cat, [charge_time, quantity, price, amount, in_scope, days_supply], numbers),
    ) = rayon::join(
        || {
            let mut t = Validator::part(raw);
            let line_id = t.text("line_id");
            let visit_ref = t.refs("visit_id", &accepted);
            for c in ["item_code", "item_name", "doctor_id", "dept_code"] {
                t.ids(c);
            }
            (line_id, visit_ref, t)
        },
        || {
            let mut n = Validator::part(raw);
            let cat = n.codes("charge_category", 0u8, |s| {
                category::parse(s).ok_or_else(|| "not a charge category 01-14".to_string())
            });
            let cols = [
                n.numbers("charge_time", NULL_TIME),
                n.numbers("quantity", NULL_I64),
                n.numbers("unit_price", NULL_I64),
                n.numbers("amount", NULL_I64),
                n.numbers("in_scope_amount", NULL_I64),
                n.numbers("days_supply", NULL_I64),
            ];
            (cat, cols, n)
        },
    );
    v.absorb(texts);
    v.absorb(numbers);

    let (mut visit, unknown_rows) = visit_ref;
    for row in 0..raw.rows {
        let (q, p, a) = (quantity[row], price[row], amount[row]);
        if q != NULL_I64 && p != NULL_I64 && a != NULL_I64 {
            let expect = line_amount_fen(q, p);
            if (a - expect).abs() > opts.amount_tolerance_fen {
                v.report(
                    row,
                    "amount",
                    Some(yuan(a).to_string()),
                    format!(
                        "amount {} differs from quantity {} x unit_price {} = {}",
                        yuan(a),
                        Scaled(q, QTY_SCALE),
                        Scaled(p, PRICE_SCALE),
                        yuan(expect)
                    ),
                );
            }
        }
    }
    if !unknown_rows.is_empty() {
        let rejected: FxHashSet<&str> = raw_visit_ids.iter().collect();
        for (row, id) in unknown_rows {
            let why = if rejected.contains(id.as_str()) {
                format!("visit_id: visit {id} was rejected (see the visits rejects)")
            } else {
                format!("visit_id: no visit {id} in visits")
            };
            v.report(row, "visit_id", Some(id), why);
        }
    }
    // Rows whose visit is unknown or bad are rejected above; 0 keeps the vector valid meanwhile.
    for x in &mut visit {
        if *x == u32::MAX {
            *x = 0;
        }
    }
    v.reject_duplicates("line_id", &keys_of(&line_id));
    let out = finish(v);
    let keep = &out.keep;
    // Each id column has its own dictionary: interned side by side.
    let ((item, item_name), (doctor, dept)) = rayon::join(
        || {
            rayon::join(
                || intern(raw, "item_code", keep, &mut dicts.items),
                || intern(raw, "item_name", keep, &mut dicts.item_names),
            )
        },
        || {
            rayon::join(
                || intern(raw, "doctor_id", keep, &mut dicts.doctors),
                || intern(raw, "dept_code", keep, &mut dicts.depts),
            )
        },
    );
    let lines = LineItems {
        line_id: line_id.keep_rows(keep),
        visit: filter(visit, keep),
        item,
        item_name,
        category: filter(cat, keep),
        charge_time: filter(charge_time, keep),
        quantity: filter(quantity, keep),
        unit_price: filter(price, keep),
        amount: filter(amount, keep),
        in_scope: filter(in_scope, keep),
        doctor,
        dept,
        days_supply: filter(days_supply, keep),
    };
    (lines, out)
}

pub(crate) fn patients(raw: &RawTable, dicts: &mut Dicts) -> (Patients, Outcome) {
    let mut v = Validator::new(raw);
    let id = v.text("patient_id");
    v.ids("region_code");
    let sex = v.codes("sex", Sex::Unknown, |s| {
        match s {
            "男" => Some(Sex::Male),
            "女" => Some(Sex::Female),
            _ => Sex::parse(s),
        }
        .ok_or_else(|| "not a GB/T 2261.1 sex code (1, 2, 0 or 9)".to_string())
    });
    let birth = v.numbers("birth_date", i64::from(NULL_DATE));
    let death = v.numbers("death_date", i64::from(NULL_DATE));
    for row in 0..raw.rows {
        let (b, d) = (birth[row], death[row]);
        if b != i64::from(NULL_DATE) && d != i64::from(NULL_DATE) && d < b {
            v.report(
                row,
                "death_date",
                Some(show(fundguard_model::Kind::Date, d)),
                "death_date before birth_date".to_string(),
            );
        }
    }
    v.reject_duplicates("patient_id", &keys_of(&id));
    let out = finish(v);
    let keep = &out.keep;
    let p = Patients {
        patient: intern(raw, "patient_id", keep, &mut dicts.patients),
        sex: filter(sex, keep),
        birth: filter(birth, keep).into_iter().map(|d| d as i32).collect(),
        death: filter(death, keep).into_iter().map(|d| d as i32).collect(),
        region: intern(raw, "region_code", keep, &mut dicts.regions),
    };
    (p, out)
}

/// `hosp_lv` as two digits (`1` → `01`), the national code's width.
fn level_code(s: &str) -> Result<String, String> {
    if s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(format!("{s:0>2}"))
    } else {
        Err("not a hosp_lv code (01-14)".to_string())
    }
}

pub(crate) fn providers(raw: &RawTable, dicts: &mut Dicts) -> (Providers, Outcome) {
    let mut v = Validator::new(raw);
    let id = v.text("provider_id");
    v.ids("provider_name");
    v.ids("region_code");
    let ptype = v.codes("provider_type", ProviderType::Unknown, |s| {
        ProviderType::parse(s).ok_or_else(|| "not one of hospital, clinic, pharmacy".to_string())
    });
    let level = v.codes("level", None, |s| level_code(s).map(Some));
    let beds = v.numbers("beds", NULL_I64);
    let open = v.numbers("open_time", -1);
    let close = v.numbers("close_time", -1);
    for (row, b) in beds.iter().enumerate() {
        if *b != NULL_I64 && *b < 0 {
            v.report(
                row,
                "beds",
                Some(b.to_string()),
                "beds: negative".to_string(),
            );
        }
    }
    v.reject_duplicates("provider_id", &keys_of(&id));
    let out = finish(v);
    let keep = &out.keep;
    let p = Providers {
        provider: intern(raw, "provider_id", keep, &mut dicts.providers),
        name: intern(raw, "provider_name", keep, &mut dicts.provider_names),
        provider_type: filter(ptype, keep),
        level: level
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(l, _)| {
                l.as_deref()
                    .map_or(fundguard_model::NONE, |l| dicts.codes.intern(l))
            })
            .collect(),
        region: intern(raw, "region_code", keep, &mut dicts.regions),
        beds: filter(beds, keep),
        open_minute: filter(open, keep).into_iter().map(|m| m as i32).collect(),
        close_minute: filter(close, keep).into_iter().map(|m| m as i32).collect(),
    };
    (p, out)
}

pub(crate) fn catalog(raw: &RawTable, dicts: &mut Dicts) -> (Catalog, Outcome) {
    let mut v = Validator::new(raw);
    let id = v.text("item_code");
    v.ids("item_name");
    let cat = v.codes("charge_category", 0u8, |s| {
        category::parse(s).ok_or_else(|| "not a charge category 01-14".to_string())
    });
    let cap = v.numbers("price_cap", NULL_I64);
    let per_day = v.numbers("max_per_day", NULL_I64);
    v.reject_duplicates("item_code", &keys_of(&id));
    let out = finish(v);
    let keep = &out.keep;
    let c = Catalog {
        item: intern(raw, "item_code", keep, &mut dicts.items),
        name: intern(raw, "item_name", keep, &mut dicts.item_names),
        category: filter(cat, keep),
        price_cap: filter(cap, keep),
        max_per_day: filter(per_day, keep),
    };
    (c, out)
}

pub(crate) fn purchases(raw: &RawTable, dicts: &mut Dicts) -> (Purchases, Outcome) {
    let mut v = Validator::new(raw);
    let provider = v.text("provider_id");
    let item = v.text("item_code");
    let month = v.numbers("month", i64::from(NULL_DATE));
    let opening = v.numbers("opening_qty", NULL_I64);
    let purchased = v.numbers("purchased_qty", NULL_I64);
    let keys: Vec<String> = (0..raw.rows)
        .map(|r| {
            format!(
                "{} {} {}",
                provider.get(r),
                item.get(r),
                show(fundguard_model::Kind::Date, month[r])
            )
        })
        .collect();
    v.reject_duplicates("provider_id+item_code+month", &keys);
    let out = finish(v);
    let keep = &out.keep;
    let p = Purchases {
        provider: intern(raw, "provider_id", keep, &mut dicts.providers),
        item: intern(raw, "item_code", keep, &mut dicts.items),
        month: filter(month, keep).into_iter().map(|d| d as i32).collect(),
        opening_qty: zero_if_null(filter(opening, keep)),
        purchased_qty: filter(purchased, keep),
    };
    (p, out)
}
