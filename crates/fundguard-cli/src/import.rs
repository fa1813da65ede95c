//! `fundguard import --input DIR --out DUMP`: reads and validates a dump once (national extracts,
//! CSV in any encoding, a mapped layout) and writes what was accepted as the contract's tables in
//! Parquet, typed, for analysts to query with DuckDB or Polars and for runs to read fast:
//!
//! - `visits/` and `line_items/`: one file per month (of the settlement) and bucket of patients
//!   (`2026-03-p07.parquet`: a stable hash of the patient id modulo the bucket count), rows sorted
//!   by patient, time and id, a visit's lines in the file of its visit; page statistics and the
//!   sorting column in the footer;
//! - the other tables one file each;
//! - `import-rejects.parquet` and `import.json` (the account: files, rows read, accepted,
//!   rejected) beside them — names no table has, so a run on DUMP reads only the tables.
//!
//! Values are written as the engine holds them: a settlement time the input left out is the
//! visit's time, as a run derives it; codes keep their padding. A run on DUMP gives the same hits
//! and leads as a run on DIR (a test compares the bytes).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::SchemaRef;
use fundguard_model::{Days, Dump, NULL_DATE, NULL_I64, NULL_TIME, PRICE_SCALE, QTY_SCALE};
use fundguard_synth::columns::{
    bool_array, catalog_schema, date_array, dec_array, diagnoses_schema, int_array, lines_schema,
    patients_schema, providers_schema, purchases_schema, stock_schema, str_array, str_values,
    traces_schema, ts_array, visits_schema,
};

const Q: i8 = QTY_SCALE as i8;
const P: i8 = PRICE_SCALE as i8;

fn opt_t(t: i64) -> Option<i64> {
    (t != NULL_TIME).then_some(t)
}
fn opt_i(v: i64) -> Option<i64> {
    (v != NULL_I64).then_some(v)
}
fn opt_d(d: Days) -> Option<i32> {
    (d != NULL_DATE).then_some(d)
}

/// FNV-1a of a patient id: the same bucket on every machine and in every month.
fn bucket(id: &str, buckets: usize) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % buckets as u64) as usize
}

/// A batch of the contract's schema (the generator's, so the two writers cannot drift apart).
fn batch(schema: SchemaRef, columns: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(schema, columns).expect("columns match their schema")
}

fn visits(d: &Dump, rows: &[u32]) -> RecordBatch {
    let (v, k) = (&d.visits, &d.dicts);
    let at = |r: &u32| *r as usize;
    batch(
        visits_schema(),
        vec![
            str_values(rows.iter().map(|r| v.visit_id.get(at(r)))),
            str_values(rows.iter().map(|r| k.patients.get(v.patient[at(r)]))),
            str_values(rows.iter().map(|r| k.providers.get(v.provider[at(r)]))),
            str_values(rows.iter().map(|r| v.visit_type[at(r)].as_str())),
            str_array(rows.iter().map(|r| k.codes.get_opt(v.med_type[at(r)]))),
            ts_array(rows.iter().map(|r| Some(v.admit[at(r)]))),
            ts_array(rows.iter().map(|r| opt_t(v.discharge[at(r)]))),
            ts_array(rows.iter().map(|r| opt_t(v.settle[at(r)]))),
            str_array(rows.iter().map(|r| k.diagnoses.get_opt(v.main_diag[at(r)]))),
            str_array(rows.iter().map(|r| k.depts.get_opt(v.dept[at(r)]))),
            str_array(rows.iter().map(|r| k.doctors.get_opt(v.doctor[at(r)]))),
            str_array(rows.iter().map(|r| k.terminals.get_opt(v.terminal[at(r)]))),
            dec_array(2, rows.iter().map(|r| Some(v.total[at(r)]))),
            dec_array(2, rows.iter().map(|r| Some(v.fund_paid[at(r)]))),
            dec_array(2, rows.iter().map(|r| Some(v.account_paid[at(r)]))),
            dec_array(2, rows.iter().map(|r| Some(v.cash_paid[at(r)]))),
            bool_array(rows.iter().map(|r| Some(v.is_refund[at(r)]))),
            str_array(
                rows.iter()
                    .map(|r| k.codes.get_opt(v.insurance_type[at(r)])),
            ),
        ],
    )
}

fn line_items(d: &Dump, rows: &[u32]) -> RecordBatch {
    let (l, k) = (&d.lines, &d.dicts);
    let at = |r: &u32| *r as usize;
    batch(
        lines_schema(),
        vec![
            str_values(rows.iter().map(|r| l.line_id.get(at(r)))),
            str_values(
                rows.iter()
                    .map(|r| d.visits.visit_id.get(l.visit[at(r)] as usize)),
            ),
            str_values(rows.iter().map(|r| k.items.get(l.item[at(r)]))),
            str_array(
                rows.iter()
                    .map(|r| k.item_names.get_opt(l.item_name[at(r)])),
            ),
            Arc::new(arrow::array::StringArray::from_iter_values(
                rows.iter().map(|r| format!("{:02}", l.category[at(r)])),
            )),
            ts_array(rows.iter().map(|r| Some(l.charge_time[at(r)]))),
            dec_array(Q, rows.iter().map(|r| Some(l.quantity[at(r)]))),
            dec_array(P, rows.iter().map(|r| Some(l.unit_price[at(r)]))),
            dec_array(2, rows.iter().map(|r| Some(l.amount[at(r)]))),
            dec_array(2, rows.iter().map(|r| opt_i(l.in_scope[at(r)]))),
            str_array(rows.iter().map(|r| k.doctors.get_opt(l.doctor[at(r)]))),
            str_array(rows.iter().map(|r| k.depts.get_opt(l.dept[at(r)]))),
            dec_array(Q, rows.iter().map(|r| opt_i(l.days_supply[at(r)]))),
        ],
    )
}

/// The tables besides visits and line items, as batches, by file name.
fn small_tables(d: &Dump) -> Vec<(&'static str, RecordBatch)> {
    let k = &d.dicts;
    let mut out = Vec::new();
    if let Some(p) = &d.patients {
        out.push((
            "patients",
            batch(
                patients_schema(),
                vec![
                    str_values(p.patient.iter().map(|&x| k.patients.get(x))),
                    str_values(p.sex.iter().map(|s| s.code())),
                    date_array(p.birth.iter().map(|&x| opt_d(x))),
                    date_array(p.death.iter().map(|&x| opt_d(x))),
                    str_array(p.region.iter().map(|&x| k.regions.get_opt(x))),
                ],
            ),
        ));
    }
    if let Some(p) = &d.providers {
        let hhmm = |m: &i32| (*m >= 0).then(|| format!("{:02}:{:02}", m / 60, m % 60));
        out.push((
            "providers",
            batch(
                providers_schema(),
                vec![
                    str_values(p.provider.iter().map(|&x| k.providers.get(x))),
                    str_array(p.name.iter().map(|&x| k.provider_names.get_opt(x))),
                    str_array(p.provider_type.iter().map(|t| {
                        (*t != fundguard_model::ProviderType::Unknown).then(|| t.as_str())
                    })),
                    str_array(p.level.iter().map(|&x| k.codes.get_opt(x))),
                    str_array(p.region.iter().map(|&x| k.regions.get_opt(x))),
                    int_array(p.beds.iter().map(|&x| opt_i(x))),
                    Arc::new(arrow::array::StringArray::from_iter(
                        p.open_minute.iter().map(hhmm),
                    )),
                    Arc::new(arrow::array::StringArray::from_iter(
                        p.close_minute.iter().map(hhmm),
                    )),
                ],
            ),
        ));
    }
    if let Some(c) = &d.catalog {
        out.push((
            "catalog",
            batch(
                catalog_schema(),
                vec![
                    str_values(c.item.iter().map(|&x| k.items.get(x))),
                    str_array(c.name.iter().map(|&x| k.item_names.get_opt(x))),
                    Arc::new(arrow::array::StringArray::from_iter(
                        c.category
                            .iter()
                            .map(|&x| (x != 0).then(|| format!("{x:02}"))),
                    )),
                    dec_array(P, c.price_cap.iter().map(|&x| opt_i(x))),
                    dec_array(Q, c.max_per_day.iter().map(|&x| opt_i(x))),
                ],
            ),
        ));
    }
    if let Some(p) = &d.purchases {
        out.push((
            "purchases",
            batch(
                purchases_schema(),
                vec![
                    str_values(p.provider.iter().map(|&x| k.providers.get(x))),
                    str_values(p.item.iter().map(|&x| k.items.get(x))),
                    Arc::new(arrow::array::StringArray::from_iter_values(
                        p.month.iter().map(|&m| {
                            let (y, mo, _) = fundguard_model::civil_from_days(m);
                            format!("{y:04}-{mo:02}")
                        }),
                    )),
                    dec_array(Q, p.opening_qty.iter().map(|&x| Some(x))),
                    dec_array(Q, p.purchased_qty.iter().map(|&x| Some(x))),
                ],
            ),
        ));
    }
    if let Some(t) = &d.traces {
        let visit = |r: usize| d.lines.visit[t.line[r] as usize] as usize;
        let n = t.code.len();
        out.push((
            "drug_traces",
            batch(
                traces_schema(),
                vec![
                    str_values(t.code.iter().map(|&x| k.traces.get(x))),
                    str_values((0..n).map(|r| d.visits.visit_id.get(visit(r)))),
                    str_values((0..n).map(|r| k.items.get(d.lines.item[t.line[r] as usize]))),
                    str_values((0..n).map(|r| k.providers.get(d.visits.provider[visit(r)]))),
                    str_array((0..n).map(|r| Some(k.patients.get(d.visits.patient[visit(r)])))),
                    ts_array(t.time.iter().map(|&x| Some(x))),
                    dec_array(Q, t.quantity.iter().map(|&x| Some(x))),
                    bool_array(t.split_pack.iter().map(|&x| Some(x))),
                ],
            ),
        ));
    }
    if let Some(s) = &d.stock {
        out.push((
            "drug_stock",
            batch(
                stock_schema(),
                vec![
                    str_values(s.code.iter().map(|&x| k.traces.get(x))),
                    str_values(s.item.iter().map(|&x| k.items.get(x))),
                    str_values(s.provider.iter().map(|&x| k.providers.get(x))),
                    ts_array(s.time.iter().map(|&x| opt_t(x))),
                ],
            ),
        ));
    }
    if let Some(g) = &d.diagnoses {
        out.push((
            "settlement_diagnoses",
            batch(
                diagnoses_schema(),
                vec![
                    str_values(g.visit.iter().map(|&x| d.visits.visit_id.get(x as usize))),
                    str_values(g.diag.iter().map(|&x| k.diagnoses.get(x))),
                    str_array(g.diag_type.iter().map(|&x| k.codes.get_opt(x))),
                    bool_array(g.is_main.iter().map(|&x| Some(x))),
                ],
            ),
        ));
    }
    out
}

/// What an import wrote: files and rows per table.
#[derive(Debug, Default, serde::Serialize)]
pub struct Written {
    pub tables: BTreeMap<&'static str, (usize, usize)>,
    pub bytes: u64,
}

/// Writes the accepted dump into `out` (which must not hold a dump yet), `buckets` patient
/// buckets per month for visits and line items.
pub fn write(d: &Dump, out: &Path, buckets: usize) -> Result<Written, String> {
    let buckets = buckets.max(1);
    let v = &d.visits;
    // Each visit's (month, bucket) part, its rows sorted by patient id, time and visit id.
    let mut parts: BTreeMap<(i32, u32, usize), Vec<u32>> = BTreeMap::new();
    for r in 0..v.patient.len() {
        let (y, m, _) = fundguard_model::civil_from_days(fundguard_model::day_of(v.settle[r]));
        let b = bucket(d.dicts.patients.get(v.patient[r]), buckets);
        parts.entry((y, m, b)).or_default().push(r as u32);
    }
    let mut part_of = vec![0u32; v.patient.len()];
    let mut lines_of: Vec<Vec<u32>> = vec![Vec::new(); parts.len()];
    for (i, rows) in parts.values_mut().enumerate() {
        rows.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            d.dicts
                .patients
                .get(v.patient[a])
                .cmp(d.dicts.patients.get(v.patient[b]))
                .then(v.admit[a].cmp(&v.admit[b]))
                .then_with(|| v.visit_id.get(a).cmp(v.visit_id.get(b)))
        });
        for &r in rows.iter() {
            part_of[r as usize] = i as u32;
        }
    }
    // Lines in their visit's part, in the order of the part's visits, then by line id.
    let mut order_in_part = vec![0u32; v.patient.len()];
    for rows in parts.values() {
        for (k, &r) in rows.iter().enumerate() {
            order_in_part[r as usize] = k as u32;
        }
    }
    for (i, &visit) in d.lines.visit.iter().enumerate() {
        lines_of[part_of[visit as usize] as usize].push(i as u32);
    }
    for rows in &mut lines_of {
        rows.sort_by(|&a, &b| {
            let (va, vb) = (d.lines.visit[a as usize], d.lines.visit[b as usize]);
            order_in_part[va as usize]
                .cmp(&order_in_part[vb as usize])
                .then_with(|| {
                    d.lines
                        .line_id
                        .get(a as usize)
                        .cmp(d.lines.line_id.get(b as usize))
                })
        });
    }
    // Each file built and written on its own thread; the account summed in file order.
    let meta: Vec<(String, String)> = Vec::new();
    let put = |path: &Path, b: &RecordBatch, sorted: Option<usize>| -> Result<u64, String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        fundguard_report::write_batch(path, b, &meta, &[], sorted)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(std::fs::metadata(path).map_or(0, |m| m.len()))
    };
    let keys: Vec<&(i32, u32, usize)> = parts.keys().collect();
    let mut jobs: Vec<(&'static str, usize)> = (0..keys.len())
        .flat_map(|i| [("visits", i), ("line_items", i)])
        .collect();
    let small = small_tables(d);
    jobs.extend((0..small.len()).map(|i| ("", i)));
    let done: Vec<Result<(&'static str, usize, u64), String>> = {
        use rayon::prelude::*;
        jobs.par_iter()
            .map(|&(table, i)| match table {
                "visits" | "line_items" => {
                    let (y, m, b) = keys[i];
                    let path = out
                        .join(table)
                        .join(format!("{y:04}-{m:02}-p{b:02}.parquet"));
                    let (batch, sorted) = if table == "visits" {
                        (visits(d, &parts[keys[i]]), Some(1))
                    } else {
                        (line_items(d, &lines_of[i]), None)
                    };
                    put(&path, &batch, sorted).map(|bytes| (table, batch.num_rows(), bytes))
                }
                _ => {
                    let (name, batch) = &small[i];
                    put(&out.join(format!("{name}.parquet")), batch, None)
                        .map(|bytes| (*name, batch.num_rows(), bytes))
                }
            })
            .collect()
    };
    let mut written = Written::default();
    for r in done {
        let (table, rows, bytes) = r?;
        let e = written.tables.entry(table).or_default();
        e.0 += 1;
        e.1 += rows;
        written.bytes += bytes;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_stable_and_spread() {
        assert_eq!(bucket("33010000001", 16), bucket("33010000001", 16));
        let used: std::collections::BTreeSet<usize> =
            (0..1000).map(|i| bucket(&format!("P{i:08}"), 16)).collect();
        assert_eq!(used.len(), 16);
    }
}
