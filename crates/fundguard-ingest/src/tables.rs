//! Table by table: convert, check each row, reject, and build the accepted columns.

use fundguard_model::{
    category, line_amount_fen, yuan, Catalog, Dict, Dicts, LineItems, Patients, ProviderType,
    Providers, Purchases, Scaled, Sex, StrColumn, VisitType, Visits, NONE, NULL_DATE, NULL_I64,
    NULL_TIME, PRICE_SCALE, QTY_SCALE,
};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::read::{RawTable, TableReader};
use crate::validate::{filter, show, Problem, Validator};
use crate::{IngestError, IngestOptions};

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

/// Runs `f` with a validator of its own over a piece (for columns converted side by side) and
/// puts its problems in `slot`.
fn part<'a>(
    raw: &'a RawTable,
    offset: usize,
    slot: &mut Vec<Problem>,
    f: impl FnOnce(&mut Validator<'a>),
) {
    let mut v = Validator::part(raw, offset);
    f(&mut v);
    *slot = v.problems;
}

/// Rejects later rows repeating an interned key (keys are never empty: an empty one is already a
/// problem), naming the key's text.
fn reject_duplicate_codes(v: &mut Validator<'_>, column: &'static str, codes: &[u32], dict: &Dict) {
    v.reject_duplicates(column, |r| codes[r], |r| dict.get(codes[r]).to_string());
}

/// Visits as read, before rejected rows are left out.
#[derive(Default)]
struct VisitColumns {
    v: Visits,
    refund: Vec<i64>,
}

/// Converts one piece of the visits table, appending to `out`; returns its problems.
fn visits_piece(
    raw: &RawTable,
    offset: usize,
    d: &mut Dicts,
    out: &mut VisitColumns,
) -> Vec<Problem> {
    let mut slots: [Vec<Problem>; 10] = Default::default();
    let VisitColumns { v, refund } = out;
    let Visits {
        visit_id,
        patient,
        provider,
        visit_type,
        med_type,
        admit,
        discharge,
        settle,
        main_diag,
        dept,
        doctor,
        terminal,
        total,
        fund_paid,
        account_paid,
        cash_paid,
        insurance_type,
        ..
    } = v;
    let Dicts {
        patients,
        providers,
        diagnoses,
        depts,
        doctors,
        terminals,
        codes,
        ..
    } = d;
    let [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9] = &mut slots;
    rayon::scope(|s| {
        s.spawn(|_| {
            let mut t = Validator::new(raw, offset);
            t.text_into("visit_id", visit_id);
            *s0 = t.problems;
        });
        s.spawn(|_| {
            part(raw, offset, s1, |t| {
                t.intern_into("patient_id", patients, patient)
            })
        });
        s.spawn(|_| {
            part(raw, offset, s2, |t| {
                t.intern_into("provider_id", providers, provider)
            })
        });
        s.spawn(|_| {
            part(raw, offset, s3, |t| {
                t.intern_into("med_type", codes, med_type)
            })
        });
        s.spawn(|_| {
            part(raw, offset, s4, |t| {
                t.intern_into("main_diag_code", diagnoses, main_diag)
            })
        });
        s.spawn(|_| part(raw, offset, s5, |t| t.intern_into("dept_code", depts, dept)));
        s.spawn(|_| {
            part(raw, offset, s6, |t| {
                t.intern_into("doctor_id", doctors, doctor)
            })
        });
        s.spawn(|_| {
            part(raw, offset, s7, |t| {
                t.intern_into("terminal_id", terminals, terminal)
            })
        });
        s.spawn(|_| {
            part(raw, offset, s8, |t| {
                t.codes_into("visit_type", VisitType::Other, visit_type, |s| {
                    VisitType::parse(s).ok_or_else(|| {
                        "not one of outpatient, inpatient, pharmacy, other".to_string()
                    })
                })
            })
        });
        s.spawn(|_| {
            part(raw, offset, s9, |n| {
                n.numbers_into("admit_time", NULL_TIME, admit);
                n.numbers_into("discharge_time", NULL_TIME, discharge);
                n.numbers_into("settle_time", NULL_TIME, settle);
                n.numbers_into("total_amount", NULL_I64, total);
                n.numbers_into("fund_paid", NULL_I64, fund_paid);
                n.numbers_into("account_paid", NULL_I64, account_paid);
                n.numbers_into("cash_paid", NULL_I64, cash_paid);
                n.numbers_into("is_refund", 0, refund);
            })
        });
    });
    // insurance_type shares `codes` with med_type: interned after it, always in the same order.
    let mut t = Validator::part(raw, offset);
    t.intern_into("insurance_type", codes, insurance_type);
    // Problems in column order, whatever thread finished first.
    let [s0, s1, s2, s3, s4, s5, s6, s7, s8, s9] = slots;
    [s0, s1, s2, s3, s4, s5, s6, s7, t.problems, s8, s9].concat()
}

/// Visits, piece by piece. Also returns the table's files (for the account and row origins) and
/// the ids of rejected visits (to tell line items pointing at them from ones pointing nowhere).
pub(crate) fn visits(
    reader: TableReader,
    dicts: &mut Dicts,
) -> Result<(Visits, Outcome, RawTable, FxHashSet<String>), IngestError> {
    let expected = reader.expected_rows();
    let (read, meta) = reader.with_pieces(|pieces| {
        let mut cols = VisitColumns::default();
        cols.v.reserve(expected);
        cols.refund.reserve(expected);
        let mut problems = Vec::new();
        for piece in pieces {
            let piece = piece?;
            let offset = cols.v.visit_id.len();
            problems.extend(visits_piece(&piece, offset, dicts, &mut cols));
        }
        Ok::<_, IngestError>((cols, problems))
    });
    let (cols, problems) = read?;
    let mut v = Validator::new(&meta, 0);
    v.problems = problems;
    let VisitColumns { v: raw, refund } = cols;
    for row in 0..meta.rows {
        let (admit, discharge) = (raw.admit[row], raw.discharge[row]);
        if discharge != NULL_TIME && admit != NULL_TIME && discharge < admit {
            v.report(
                row,
                "discharge_time",
                Some(show(fundguard_model::Kind::Timestamp, discharge)),
                format!(
                    "discharge_time before admit_time {}",
                    show(fundguard_model::Kind::Timestamp, admit)
                ),
            );
        }
    }
    let ids = &raw.visit_id;
    v.reject_duplicates("visit_id", |r| ids.get(r), |r| ids.get(r).to_string());
    let out = finish(v);
    let keep = &out.keep;
    let rejected = keep
        .iter()
        .enumerate()
        .filter(|(_, k)| !**k)
        .map(|(r, _)| raw.visit_id.get(r).to_string())
        .collect();
    let visit_type = filter(raw.visit_type, keep);
    let admit = filter(raw.admit, keep);
    let discharge = filter(raw.discharge, keep);
    let settle = filter(raw.settle, keep)
        .into_iter()
        .enumerate()
        .map(|(i, s)| match (s, visit_type[i]) {
            (s, _) if s != NULL_TIME => s,
            (_, VisitType::Pharmacy) => admit[i],
            _ if discharge[i] != NULL_TIME => discharge[i],
            _ => admit[i],
        })
        .collect();
    let total = filter(raw.total, keep);
    let visits = Visits {
        visit_id: raw.visit_id.keep_rows(keep),
        patient: filter(raw.patient, keep),
        provider: filter(raw.provider, keep),
        med_type: filter(raw.med_type, keep),
        main_diag: filter(raw.main_diag, keep),
        dept: filter(raw.dept, keep),
        doctor: filter(raw.doctor, keep),
        terminal: filter(raw.terminal, keep),
        insurance_type: filter(raw.insurance_type, keep),
        visit_type,
        admit,
        discharge,
        settle,
        fund_paid: opt_or(&filter(raw.fund_paid, keep), &total),
        account_paid: zero_if_null(filter(raw.account_paid, keep)),
        cash_paid: zero_if_null(filter(raw.cash_paid, keep)),
        is_refund: filter(refund, keep).into_iter().map(|r| r == 1).collect(),
        total,
    };
    Ok((visits, out, meta, rejected))
}

/// Converts one piece of the line items, appending to `out`; returns its problems, and appends
/// the rows naming a visit that is not accepted to `unknown`.
fn lines_piece(
    raw: &RawTable,
    offset: usize,
    d: &mut Dicts,
    accepted: &FxHashMap<&str, u32>,
    out: &mut LineItems,
    unknown: &mut Vec<(usize, String)>,
) -> Vec<Problem> {
    let mut slots: [Vec<Problem>; 8] = Default::default();
    let LineItems {
        line_id,
        visit,
        item,
        item_name,
        category,
        charge_time,
        quantity,
        unit_price,
        amount,
        in_scope,
        doctor,
        dept,
        days_supply,
    } = out;
    let Dicts {
        items,
        item_names,
        doctors,
        depts,
        ..
    } = d;
    let [s0, s1, s2, s3, s4, s5, s6, s7] = &mut slots;
    rayon::scope(|s| {
        s.spawn(|_| {
            let mut t = Validator::new(raw, offset);
            t.text_into("line_id", line_id);
            *s0 = t.problems;
        });
        s.spawn(|_| {
            part(raw, offset, s1, |t| {
                t.refs_into("visit_id", accepted, visit, unknown)
            })
        });
        s.spawn(|_| part(raw, offset, s2, |t| t.intern_into("item_code", items, item)));
        s.spawn(|_| {
            part(raw, offset, s3, |t| {
                t.intern_into("item_name", item_names, item_name)
            })
        });
        s.spawn(|_| {
            part(raw, offset, s4, |t| {
                t.intern_into("doctor_id", doctors, doctor)
            })
        });
        s.spawn(|_| part(raw, offset, s5, |t| t.intern_into("dept_code", depts, dept)));
        s.spawn(|_| {
            part(raw, offset, s6, |n| {
                n.codes_into("charge_category", 0u8, category, |s| {
                    category::parse(s).ok_or_else(|| "not a charge category 01-14".to_string())
                })
            })
        });
        s.spawn(|_| {
            part(raw, offset, s7, |n| {
                n.numbers_into("charge_time", NULL_TIME, charge_time);
                n.numbers_into("quantity", NULL_I64, quantity);
                n.numbers_into("unit_price", NULL_I64, unit_price);
                n.numbers_into("amount", NULL_I64, amount);
                n.numbers_into("in_scope_amount", NULL_I64, in_scope);
                n.numbers_into("days_supply", NULL_I64, days_supply);
            })
        });
    });
    slots.concat()
}

/// Line items, piece by piece, checked against the accepted visits.
/// Accepted visits by `visit_id`: what line items (and trace scans after them) name.
pub(crate) type VisitRows<'v> = FxHashMap<&'v str, u32>;

/// Line items, and the map of visits by id they were resolved through (the trace scans use it
/// next).
pub(crate) fn line_items<'v>(
    reader: TableReader,
    dicts: &mut Dicts,
    visits: &'v Visits,
    rejected_visits: &FxHashSet<String>,
    opts: &IngestOptions,
) -> Result<(LineItems, Outcome, RawTable, VisitRows<'v>), IngestError> {
    let expected = reader.expected_rows();
    let (read, meta) = reader.with_pieces(|pieces| {
        // Built while the first piece is read.
        let accepted: FxHashMap<&str, u32> = visits
            .visit_id
            .iter()
            .enumerate()
            .map(|(i, s)| (s, i as u32))
            .collect();
        let mut raw = LineItems::default();
        raw.reserve(expected);
        let mut problems = Vec::new();
        let mut unknown = Vec::new();
        for piece in pieces {
            let piece = piece?;
            let offset = raw.line_id.len();
            problems.extend(lines_piece(
                &piece,
                offset,
                dicts,
                &accepted,
                &mut raw,
                &mut unknown,
            ));
        }
        Ok::<_, IngestError>((raw, problems, unknown, accepted))
    });
    let (mut raw, problems, unknown, by_id) = read?;
    let mut v = Validator::new(&meta, 0);
    v.problems = problems;
    for row in 0..meta.rows {
        let (q, p, a) = (raw.quantity[row], raw.unit_price[row], raw.amount[row]);
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
    for (row, id) in unknown {
        let why = if rejected_visits.contains(id.as_str()) {
            format!("visit_id: visit {id} was rejected (see the visits rejects)")
        } else {
            format!("visit_id: no visit {id} in visits")
        };
        v.report(row, "visit_id", Some(id), why);
    }
    // Rows whose visit is unknown or bad are rejected above; 0 keeps the vector valid meanwhile.
    for x in &mut raw.visit {
        if *x == u32::MAX {
            *x = 0;
        }
    }
    let ids = &raw.line_id;
    v.reject_duplicates("line_id", |r| ids.get(r), |r| ids.get(r).to_string());
    let out = finish(v);
    let keep = &out.keep;
    let lines = LineItems {
        line_id: raw.line_id.keep_rows(keep),
        visit: filter(raw.visit, keep),
        item: filter(raw.item, keep),
        item_name: filter(raw.item_name, keep),
        category: filter(raw.category, keep),
        charge_time: filter(raw.charge_time, keep),
        quantity: filter(raw.quantity, keep),
        unit_price: filter(raw.unit_price, keep),
        amount: filter(raw.amount, keep),
        in_scope: filter(raw.in_scope, keep),
        doctor: filter(raw.doctor, keep),
        dept: filter(raw.dept, keep),
        days_supply: filter(raw.days_supply, keep),
    };
    Ok((lines, out, meta, by_id))
}

pub(crate) fn patients(raw: &RawTable, dicts: &mut Dicts) -> (Patients, Outcome) {
    let mut v = Validator::new(raw, 0);
    // The person ids (a million or more, mostly plain-encoded) beside the other columns.
    let (mut ids, mut rest) = (Vec::new(), Vec::new());
    let Dicts {
        patients, regions, ..
    } = dicts;
    let (patient, (region, sex, birth, death)) = rayon::join(
        || {
            let mut out = Vec::new();
            part(raw, 0, &mut ids, |t| {
                t.intern_into("patient_id", patients, &mut out)
            });
            out
        },
        || {
            let mut t = Validator::part(raw, 0);
            let region = t.intern("region_code", regions);
            let sex = t.codes("sex", Sex::Unknown, |s| {
                match s {
                    "男" => Some(Sex::Male),
                    "女" => Some(Sex::Female),
                    _ => Sex::parse(s),
                }
                .ok_or_else(|| "not a GB/T 2261.1 sex code (1, 2, 0 or 9)".to_string())
            });
            let birth = t.numbers("birth_date", i64::from(NULL_DATE));
            let death = t.numbers("death_date", i64::from(NULL_DATE));
            rest = t.problems;
            (region, sex, birth, death)
        },
    );
    v.problems.extend(ids);
    v.problems.extend(rest);
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
    reject_duplicate_codes(&mut v, "patient_id", &patient, &dicts.patients);
    let out = finish(v);
    let keep = &out.keep;
    let p = Patients {
        patient: filter(patient, keep),
        sex: filter(sex, keep),
        birth: filter(birth, keep).into_iter().map(|d| d as i32).collect(),
        death: filter(death, keep).into_iter().map(|d| d as i32).collect(),
        region: filter(region, keep),
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
    let mut v = Validator::new(raw, 0);
    let provider = v.intern("provider_id", &mut dicts.providers);
    let name = v.intern("provider_name", &mut dicts.provider_names);
    let region = v.intern("region_code", &mut dicts.regions);
    let ptype = v.codes("provider_type", ProviderType::Unknown, |s| {
        ProviderType::parse(s).ok_or_else(|| "not one of hospital, clinic, pharmacy".to_string())
    });
    let codes = &mut dicts.codes;
    let level = v.codes("level", NONE, |s| level_code(s).map(|l| codes.intern(&l)));
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
    reject_duplicate_codes(&mut v, "provider_id", &provider, &dicts.providers);
    let out = finish(v);
    let keep = &out.keep;
    let p = Providers {
        provider: filter(provider, keep),
        name: filter(name, keep),
        provider_type: filter(ptype, keep),
        level: filter(level, keep),
        region: filter(region, keep),
        beds: filter(beds, keep),
        open_minute: filter(open, keep).into_iter().map(|m| m as i32).collect(),
        close_minute: filter(close, keep).into_iter().map(|m| m as i32).collect(),
    };
    (p, out)
}

pub(crate) fn catalog(raw: &RawTable, dicts: &mut Dicts) -> (Catalog, Outcome) {
    let mut v = Validator::new(raw, 0);
    let item = v.intern("item_code", &mut dicts.items);
    let name = v.intern("item_name", &mut dicts.item_names);
    let cat = v.codes("charge_category", 0u8, |s| {
        category::parse(s).ok_or_else(|| "not a charge category 01-14".to_string())
    });
    let cap = v.numbers("price_cap", NULL_I64);
    let per_day = v.numbers("max_per_day", NULL_I64);
    reject_duplicate_codes(&mut v, "item_code", &item, &dicts.items);
    let out = finish(v);
    let keep = &out.keep;
    let c = Catalog {
        item: filter(item, keep),
        name: filter(name, keep),
        category: filter(cat, keep),
        price_cap: filter(cap, keep),
        max_per_day: filter(per_day, keep),
    };
    (c, out)
}

pub(crate) fn purchases(raw: &RawTable, dicts: &mut Dicts) -> (Purchases, Outcome) {
    let mut v = Validator::new(raw, 0);
    let provider = v.intern("provider_id", &mut dicts.providers);
    let item = v.intern("item_code", &mut dicts.items);
    let month = v.numbers("month", i64::from(NULL_DATE));
    let opening = v.numbers("opening_qty", NULL_I64);
    let purchased = v.numbers("purchased_qty", NULL_I64);
    let show_key = |r: usize| {
        format!(
            "{} {} {}",
            dicts.providers.get_opt(provider[r]).unwrap_or(""),
            dicts.items.get_opt(item[r]).unwrap_or(""),
            show(fundguard_model::Kind::Date, month[r])
        )
    };
    v.reject_duplicates(
        "provider_id+item_code+month",
        |r| (provider[r], item[r], month[r]),
        show_key,
    );
    let out = finish(v);
    let keep = &out.keep;
    let p = Purchases {
        provider: filter(provider, keep),
        item: filter(item, keep),
        month: filter(month, keep).into_iter().map(|d| d as i32).collect(),
        opening_qty: zero_if_null(filter(opening, keep)),
        purchased_qty: filter(purchased, keep),
    };
    (p, out)
}

/// Longest trace code the national interface allows (`drug_trac_codg`, varchar 100).
const TRACE_CODE_MAX: usize = 100;

fn check_trace_codes(v: &mut Validator<'_>, code: &[u32], dict: &Dict) {
    for (row, &c) in code.iter().enumerate() {
        let Some(t) = dict.get_opt(c) else { continue };
        // Bytes bound characters from above: only a long code is counted.
        let n = if t.len() > TRACE_CODE_MAX {
            t.chars().count()
        } else {
            0
        };
        if n > TRACE_CODE_MAX {
            v.report(
                row,
                "trace_code",
                Some(t.chars().take(40).collect::<String>() + "…"),
                format!(
                    "trace_code: {n} characters, more than the {TRACE_CODE_MAX} a trace code may hold"
                ),
            );
        }
    }
}

/// Drug trace scans, each linked to the line item it sells: the visit's line of the same item
/// (the first by line id when the visit bills the item on several lines). A scan whose visit is
/// unknown, whose visit bills no such item, or whose provider or patient is not the visit's is
/// rejected with the reason.
pub(crate) fn drug_traces(
    raw: &RawTable,
    dicts: &mut Dicts,
    visits: &Visits,
    by_id: &VisitRows<'_>,
    lines: &LineItems,
) -> (fundguard_model::DrugTraces, Outcome) {
    let mut v = Validator::new(raw, 0);
    let code = v.intern("trace_code", &mut dicts.traces);
    let item = v.intern("item_code", &mut dicts.items);
    let provider = v.intern("provider_id", &mut dicts.providers);
    let patient = v.intern("patient_id", &mut dicts.patients);
    let time = v.numbers("scan_time", NULL_TIME);
    let quantity = v.numbers("quantity", NULL_I64);
    let split = v.numbers("split_pack", 0);
    let mut visit_ids = StrColumn::default();
    v.text_into("visit_id", &mut visit_ids);
    check_trace_codes(&mut v, &code, &dicts.traces);
    // Each visit's lines (a CSR over the line table, two passes): a scan looks among its visit's
    // few lines for the item, instead of a map over every line of the month.
    let mut starts = vec![0u32; visits.visit_id.len() + 1];
    for &v in &lines.visit {
        starts[v as usize + 1] += 1;
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut fill = starts.clone();
    let mut of_visit = vec![0u32; lines.visit.len()];
    for (l, &v) in lines.visit.iter().enumerate() {
        of_visit[fill[v as usize] as usize] = l as u32;
        fill[v as usize] += 1;
    }
    drop(fill);
    // The visit's first line (by line id) of the item.
    let line_of = |vr: u32, item: u32| {
        of_visit[starts[vr as usize] as usize..starts[vr as usize + 1] as usize]
            .iter()
            .copied()
            .filter(|&l| lines.item[l as usize] == item)
            .min_by(|&a, &b| {
                lines
                    .line_id
                    .get(a as usize)
                    .cmp(lines.line_id.get(b as usize))
            })
    };
    let mut line = vec![u32::MAX; raw.rows];
    for row in 0..raw.rows {
        let id = visit_ids.get(row);
        if id.is_empty() {
            continue;
        }
        let Some(&vr) = by_id.get(id) else {
            v.report(
                row,
                "visit_id",
                Some(id.to_string()),
                format!("visit_id: no visit {id} in visits (the scan sells nothing billed)"),
            );
            continue;
        };
        if quantity[row] == 0 {
            v.report(
                row,
                "quantity",
                Some("0".into()),
                "quantity: 0 (a scan sells or returns some of a box)".into(),
            );
        }
        let vp = visits.provider[vr as usize];
        if provider[row] != NONE && provider[row] != vp {
            v.report(
                row,
                "provider_id",
                dicts.providers.get_opt(provider[row]).map(str::to_string),
                format!(
                    "provider_id: visit {id} was settled by {}",
                    dicts.providers.get(vp)
                ),
            );
        }
        let pp = visits.patient[vr as usize];
        if patient[row] != NONE && patient[row] != pp {
            v.report(
                row,
                "patient_id",
                dicts.patients.get_opt(patient[row]).map(str::to_string),
                format!("patient_id: visit {id} is {}'s", dicts.patients.get(pp)),
            );
        }
        if item[row] == NONE {
            continue;
        }
        match line_of(vr, item[row]) {
            Some(l) => line[row] = l,
            None => v.report(
                row,
                "item_code",
                dicts.items.get_opt(item[row]).map(str::to_string),
                format!(
                    "item_code: visit {id} bills no line of {} (the scan links to no line item)",
                    dicts.items.get(item[row])
                ),
            ),
        }
    }
    let out = finish(v);
    let keep = &out.keep;
    let t = fundguard_model::DrugTraces {
        code: filter(code, keep),
        line: filter(line, keep),
        time: filter(time, keep),
        quantity: filter(quantity, keep),
        split_pack: filter(split, keep).into_iter().map(|b| b == 1).collect(),
    };
    (t, out)
}

/// The settlement lists' diagnoses. A row whose visit is unknown is rejected with the reason; a
/// second row of the same (visit, diagnosis) is rejected as a duplicate. Which diagnosis is main:
/// the rows' `is_main` when any row of the visit states it, else the one that is the visit's
/// `main_diag_code`.
pub(crate) fn settlement_diagnoses(
    raw: &RawTable,
    dicts: &mut Dicts,
    visits: &Visits,
    by_id: &VisitRows<'_>,
) -> (fundguard_model::SettlementDiagnoses, Outcome) {
    let mut v = Validator::new(raw, 0);
    let diag = v.intern("diag_code", &mut dicts.diagnoses);
    let diag_type = v.intern("diag_type", &mut dicts.codes);
    let main = v.numbers("is_main", NULL_I64);
    let mut visit_ids = StrColumn::default();
    v.text_into("visit_id", &mut visit_ids);
    let mut visit = vec![u32::MAX; raw.rows];
    for (row, slot) in visit.iter_mut().enumerate() {
        let id = visit_ids.get(row);
        if id.is_empty() {
            continue;
        }
        match by_id.get(id) {
            Some(&vr) => *slot = vr,
            None => v.report(
                row,
                "visit_id",
                Some(id.to_string()),
                format!(
                    "visit_id: no visit {id} in visits (the diagnosis belongs to no settlement)"
                ),
            ),
        }
    }
    v.reject_duplicates(
        "diag_code",
        |r| (visit_ids.get(r), diag[r]),
        |r| {
            format!(
                "{} {}",
                visit_ids.get(r),
                dicts.diagnoses.get_opt(diag[r]).unwrap_or("")
            )
        },
    );
    let out = finish(v);
    let keep = &out.keep;
    let visit = filter(visit, keep);
    let diag = filter(diag, keep);
    let main = filter(main, keep);
    let mut stated = vec![false; visits.visit_id.len()];
    for (k, &vr) in visit.iter().enumerate() {
        if main[k] != NULL_I64 {
            stated[vr as usize] = true;
        }
    }
    let is_main = (0..visit.len())
        .map(|k| {
            let vr = visit[k] as usize;
            if stated[vr] {
                main[k] == 1
            } else {
                diag[k] == visits.main_diag[vr]
            }
        })
        .collect();
    let d = fundguard_model::SettlementDiagnoses {
        visit,
        diag,
        diag_type: filter(diag_type, keep),
        is_main,
    };
    (d, out)
}

/// Stock scans: the codes each provider took in.
pub(crate) fn drug_stock(
    raw: &RawTable,
    dicts: &mut Dicts,
) -> (fundguard_model::DrugStock, Outcome) {
    let mut v = Validator::new(raw, 0);
    let code = v.intern("trace_code", &mut dicts.traces);
    let item = v.intern("item_code", &mut dicts.items);
    let provider = v.intern("provider_id", &mut dicts.providers);
    let time = v.numbers("stock_time", NULL_TIME);
    check_trace_codes(&mut v, &code, &dicts.traces);
    let out = finish(v);
    let keep = &out.keep;
    let s = fundguard_model::DrugStock {
        code: filter(code, keep),
        item: filter(item, keep),
        provider: filter(provider, keep),
        time: filter(time, keep),
    };
    (s, out)
}
