//! Synthetic monthly claims dumps with injected, labelled frauds and legitimate look-alikes, for
//! tests, benchmarks and measuring detection quality. Entry point: [`generate`].
//!
//! A dump is a city-month: hospitals of three levels, community clinics and pharmacies with opening
//! hours; insured people whose stays, outpatient visits and purchases follow real billing (per-day
//! bed, nursing and 诊查费 lines at national codes, drugs, labs, exams, refunds and reversed lines).
//! Every family of `rules.md` is injected at configurable rates with a row in `labels.parquet`, and
//! the look-alikes `rules.md` names are written to `decoys.parquet`.
//!
//! The same seed gives byte-identical files: each person's month is drawn from a stream of its own,
//! chunks are generated in parallel and written in order.

pub use inject::Rates;
pub use write::{Encoding, Format};

/// The contract's tables as Arrow schemas, and arrays in its column types (text, timestamps in
/// microseconds, decimal(16, scale), dates, flags), for whoever writes contract tables.
pub mod columns {
    pub use crate::tables::{
        catalog_schema, diagnoses_schema, lines_schema, patients_schema, providers_schema,
        purchases_schema, stock_schema, traces_schema, visits_schema,
    };
    pub use crate::write::{
        bool_array, date_array, dec_array, int_array, str_array, str_values, ts_array,
    };
}

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

mod base;
mod catalog;
mod inject;
mod plan;
mod rng;
mod tables;
mod world;
mod write;

/// Why a dump could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot write: {message}", path.display())]
    Write { path: PathBuf, message: String },
    #[error("invalid synthetic dump settings: {0}")]
    Config(String),
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    pub patients: u32,
    pub seed: u64,
    pub year: i32,
    pub month: u32,
    pub format: Format,
    /// How many cases of each injected kind.
    pub rates: Rates,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            patients: 10_000,
            seed: 1,
            year: 2026,
            month: 3,
            format: Format::Parquet,
            rates: Rates::default(),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct SynthSummary {
    pub patients: usize,
    pub providers: usize,
    pub visits: usize,
    pub line_items: usize,
    pub catalog: usize,
    pub purchases: usize,
    pub traces: usize,
    pub stock_scans: usize,
    /// Settlement-list diagnoses.
    pub diagnoses: usize,
    pub labels: usize,
    pub decoys: usize,
    pub files: Vec<PathBuf>,
}

/// People per generated chunk: large enough to amortise the batch overhead, small enough that a
/// round of chunks in flight stays well under a gigabyte.
const CHUNK: u32 = 25_000;

/// Writes a synthetic dump into `out` (created if needed).
pub fn generate(cfg: &SynthConfig, out: &Path) -> Result<SynthSummary, SynthError> {
    if cfg.patients < 1_000 {
        return Err(SynthError::Config(format!(
            "at least 1000 patients are needed to place every injected case (got {})",
            cfg.patients
        )));
    }
    if !(1..=12).contains(&cfg.month) || !(2000..2100).contains(&cfg.year) {
        return Err(SynthError::Config(format!(
            "month {}-{:02} is out of range",
            cfg.year, cfg.month
        )));
    }
    std::fs::create_dir_all(out).map_err(|source| SynthError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let w = world::World::new(cfg.seed, cfg.patients, cfg.year, cfg.month);
    let mut plan = inject::plan(&w, cfg.rates).map_err(|e| {
        SynthError::Config(format!(
            "{} insured people are too few for the cases asked ({} per 10,000, at least {} of \
             each): every person who fits a case is taken after {} ({})",
            e.patients,
            cfg.rates.per_10k,
            cfg.rates.min,
            e.taken,
            "lower the rates or generate more people"
        ))
    })?;
    let seq = order_planned_visits(&mut plan);

    let mut visits_w =
        write::TableWriter::create(out, "visits", tables::visits_schema(), cfg.format)?;
    let mut lines_w =
        write::TableWriter::create(out, "line_items", tables::lines_schema(), cfg.format)?;
    let mut patients_w =
        write::TableWriter::create(out, "patients", tables::patients_schema(), cfg.format)?;
    let mut traces_w =
        write::TableWriter::create(out, "drug_traces", tables::traces_schema(), cfg.format)?;
    let mut diagnoses_w = write::TableWriter::create(
        out,
        "settlement_diagnoses",
        tables::diagnoses_schema(),
        cfg.format,
    )?;
    let mut intake: Vec<tables::Intake> = Vec::new();
    let mut counted: FxHashMap<(inject::Tally, u32), i64> = FxHashMap::default();
    let mut summary = SynthSummary::default();
    let mut billed: FxHashMap<(u32, u16), i64> = FxHashMap::default();
    let chunks: Vec<u32> = (0..cfg.patients.div_ceil(CHUNK)).collect();
    let round = rayon::current_num_threads().max(1) * 2;
    for group in chunks.chunks(round) {
        let built: Vec<_> = group
            .par_iter()
            .map(|&k| {
                let lo = k * CHUNK;
                let hi = (lo + CHUNK).min(cfg.patients);
                let (chunk, people) = generate_chunk(&w, &plan, lo, hi);
                (
                    tables::visits_batch(&w, &chunk),
                    tables::lines_batch(&w, &chunk),
                    tables::patients_batch(&w, &people),
                    tables::traces_batch(&w, &chunk),
                    tables::diagnoses_batch(&chunk),
                    intake_of(&w, &plan, &chunk),
                    chunk.counted,
                    chunk.billed,
                )
            })
            .collect();
        for (v, l, p, t, g, i, c, b) in built {
            for (k, f) in c {
                *counted.entry(k).or_default() += f;
            }
            summary.diagnoses += g.num_rows();
            diagnoses_w.write(&g)?;
            summary.traces += t.num_rows();
            traces_w.write(&t)?;
            intake.extend(i);
            summary.visits += v.num_rows();
            summary.line_items += l.num_rows();
            summary.patients += p.num_rows();
            visits_w.write(&v)?;
            lines_w.write(&l)?;
            patients_w.write(&p)?;
            for (k, q) in b {
                *billed.entry(k).or_default() += q;
            }
        }
    }
    summary.files.push(visits_w.finish()?);
    summary.files.push(lines_w.finish()?);
    summary.files.push(patients_w.finish()?);
    summary.files.push(traces_w.finish()?);
    summary.files.push(diagnoses_w.finish()?);
    let intake = stock_scans(&w, intake);
    summary.stock_scans = intake.len();
    let stock_scans = tables::stock_batch(&w, &intake);
    summary.files.push(write::write_table(
        out,
        "drug_stock",
        &stock_scans,
        cfg.format,
    )?);

    let providers = tables::providers_batch(&w);
    summary.providers = providers.num_rows();
    summary.files.push(write::write_table(
        out,
        "providers",
        &providers,
        cfg.format,
    )?);
    let catalog = tables::catalog_batch(&w);
    summary.catalog = catalog.num_rows();
    summary
        .files
        .push(write::write_table(out, "catalog", &catalog, cfg.format)?);
    let stock = purchases(&w, &plan, &billed);
    summary.purchases = stock.len();
    let purchases = tables::purchases_batch(&w, &stock);
    summary.files.push(write::write_table(
        out,
        "purchases",
        &purchases,
        cfg.format,
    )?);

    let amount = |a: inject::Amount| match a {
        inject::Amount::Counted(t, p) => counted.get(&(t, p as u32)).copied().unwrap_or(0),
        a => label_amount(&billed, &stock, a),
    };
    let seq_of = |r: inject::VisitRef| seq[&r];
    let labels = tables::labels_batch(&w, &plan.labels, amount, seq_of);
    let decoys = tables::labels_batch(&w, &plan.decoys, amount, seq_of);
    summary.labels = labels.num_rows();
    summary.decoys = decoys.num_rows();
    summary
        .files
        .push(write::write_table(out, "labels", &labels, Format::Parquet)?);
    summary
        .files
        .push(write::write_table(out, "decoys", &decoys, Format::Parquet)?);
    Ok(summary)
}

/// Sorts each reserved person's planned visits by admission and returns, for each planned visit,
/// its sequence number (which its `visit_id` carries).
fn order_planned_visits(plan: &mut inject::Plan) -> FxHashMap<inject::VisitRef, usize> {
    let mut seq = FxHashMap::default();
    for (&patient, visits) in plan.visits.iter_mut() {
        let mut order: Vec<usize> = (0..visits.len()).collect();
        order.sort_by_key(|&i| visits[i].admit);
        for (new, &old) in order.iter().enumerate() {
            seq.insert(inject::VisitRef { patient, idx: old }, new);
        }
        let mut sorted: Vec<plan::Visit> = order.iter().map(|&i| visits[i].clone()).collect();
        std::mem::swap(visits, &mut sorted);
    }
    seq
}

fn generate_chunk(
    w: &world::World,
    plan: &inject::Plan,
    lo: u32,
    hi: u32,
) -> (plan::Chunk, Vec<(u32, world::Person)>) {
    let mut chunk = plan::Chunk::default();
    let mut people = Vec::with_capacity((hi - lo) as usize);
    for p in lo..hi {
        let mut person = w.person(p);
        if let Some(d) = plan.deaths.get(&p) {
            person.death = Some(*d);
        }
        let honest;
        let visits = match plan.visits.get(&p) {
            Some(v) => v,
            None => {
                honest = base::month_of(w, &plan.roles, p, &person);
                &honest
            }
        };
        for (seq, v) in visits.iter().enumerate() {
            chunk.push_visit(w, p, &person, seq, v, &plan.roles);
        }
        people.push((p, person));
    }
    (chunk, people)
}

/// The boxes of a chunk's sales that came in through the stock feed of a provider that reports
/// one (`Roles::reports_stock`), with the time they came in: the month's opening count (3501) for
/// most, a delivery (3503) a few days before the sale for the rest.
fn intake_of(w: &world::World, plan: &inject::Plan, c: &plan::Chunk) -> Vec<tables::Intake> {
    let start = i64::from(w.m0) * plan::DAY;
    (0..c.t_code.len())
        .filter(|&i| {
            c.t_qty[i] > 0 && c.t_stocked[i] && plan.roles.reports_stock[c.t_provider[i] as usize]
        })
        .map(|i| {
            let code = c.t_code.get(i).to_string();
            let h = rng::mix(
                code.bytes()
                    .fold(w.seed, |a, b| a.rotate_left(5) ^ u64::from(b)),
            );
            let time = if h % 10 < 7 || c.t_time[i] - 3 * plan::DAY < start {
                start - plan::DAY + 8 * plan::HOUR
            } else {
                c.t_time[i] - (1 + (h >> 8) as i64 % 3) * plan::DAY
            };
            tables::Intake {
                provider: c.t_provider[i] as usize,
                code,
                item: c.t_item[i] as usize,
                time,
            }
        })
        .collect()
}

/// The stock scans: the boxes taken in, less the few an intake scan missed
/// ([`INTAKE_MISS_SHARE`]), plus boxes still on the shelf; one row per box, by provider and code.
fn stock_scans(w: &world::World, mut intake: Vec<tables::Intake>) -> Vec<tables::Intake> {
    let by_provider_code = |a: &tables::Intake, b: &tables::Intake| {
        (&w.providers[a.provider].id, &a.code).cmp(&(&w.providers[b.provider].id, &b.code))
    };
    intake.sort_by(by_provider_code);
    intake.dedup_by(|a, b| a.provider == b.provider && a.code == b.code);
    let mut r = rng::Rng::new(w.seed, 0x570C_0000_0000_0000);
    let mut out: Vec<tables::Intake> = Vec::with_capacity(intake.len() * 6 / 5);
    for (k, x) in intake.into_iter().enumerate() {
        if r.chance(INTAKE_MISS_SHARE) {
            continue;
        }
        if r.chance(0.2) {
            // A box of the same drug still on the shelf at month end.
            out.push(tables::Intake {
                provider: x.provider,
                code: format!("7{:04}{:015}", x.item % 10_000, k),
                item: x.item,
                time: x.time,
            });
        }
        out.push(x);
    }
    out.sort_by(by_provider_code);
    out
}

/// Share of boxes a provider's intake scan misses (the box is sold, its intake never recorded).
pub(crate) const INTAKE_MISS_SHARE: f64 = 0.004;

/// The purchases (进销存) table: honest stock covers what was billed; planned shortfalls do not.
fn purchases(
    w: &world::World,
    plan: &inject::Plan,
    billed: &FxHashMap<(u32, u16), i64>,
) -> Vec<tables::Stock> {
    let mut keys: Vec<(u32, u16)> = billed
        .iter()
        .filter(|(k, q)| {
            **q > 0 && {
                let c = w.item(k.1 as usize).category;
                fundguard_model::category::is_drug(c) || c == fundguard_model::category::MATERIAL
            }
        })
        .map(|(k, _)| *k)
        .collect();
    keys.sort_by(|a, b| {
        (&w.providers[a.0 as usize].id, &w.item(a.1 as usize).code)
            .cmp(&(&w.providers[b.0 as usize].id, &w.item(b.1 as usize).code))
    });
    let whole = |q: f64| (q / 10_000.0).ceil() as i64 * 10_000;
    keys.into_iter()
        .map(|(p, i)| {
            let q = billed[&(p, i)];
            let planned = plan
                .stock
                .iter()
                .find(|(sp, si, _)| *sp == p as usize && *si == i as usize);
            let (opening, purchased) = match planned {
                Some(&(_, _, ratio)) => (0, (q as f64 * ratio) as i64),
                None => {
                    let mut r = rng::Rng::new(
                        w.seed,
                        0x5700_0000_0000_0000 | (u64::from(p) << 16) | u64::from(i),
                    );
                    if r.chance(0.25) {
                        // Lumpy buying: last month's delivery covers this month, nothing bought.
                        (whole(q as f64 * (1.05 + 0.5 * r.unit())), 0)
                    } else {
                        let open_share = 0.1 + 0.2 * r.unit();
                        let buy_share = 0.95 + 0.25 * r.unit();
                        (whole(q as f64 * open_share), whole(q as f64 * buy_share))
                    }
                }
            };
            tables::Stock {
                provider: p as usize,
                item: i as usize,
                opening,
                purchased,
            }
        })
        .collect()
}

/// Money a label's case added, in fen.
fn label_amount(
    billed: &FxHashMap<(u32, u16), i64>,
    stock: &[tables::Stock],
    a: inject::Amount,
) -> i64 {
    use world::it;
    let units = |p: usize, i: usize| billed.get(&(p as u32, i as u16)).copied().unwrap_or(0);
    let price = |i: usize| world::ITEMS[i].price_fen;
    // quantity (scale 4) x fen
    let money = |q: i64, fen: i64| (i128::from(q) * i128::from(fen) / 10_000) as i64;
    match a {
        inject::Amount::Fen(f) => f,
        inject::Amount::Swap(p) => [
            (it::CEFIXIME, it::CEFIXIME_DISP),
            (it::US_PLAIN, it::US_COLOR),
        ]
        .iter()
        .map(|&(cheap, dear)| {
            let (c, d) = (units(p, cheap), units(p, dear));
            let expected = ((c + d) as f64 * plan::HONEST_SWAP_SHARE) as i64;
            money((d - expected).max(0), price(dear) - price(cheap))
        })
        .sum(),
        inject::Amount::Inflate(p) => [it::SALINE, it::CEFTRIAXONE, it::OZAGREL, it::SHENMAI]
            .iter()
            .map(|&i| money(units(p, i), price(i)) * 2 / 3)
            .sum(),
        inject::Amount::Gouge(p) => [it::US_PLAIN, it::US_COLOR]
            .iter()
            .map(|&i| money(units(p, i), price(i)) / 4)
            .sum(),
        inject::Amount::Counted(..) => {
            unreachable!("counted while the chunks are written")
        }
        inject::Amount::Shortfall(p, i) => {
            let s = stock.iter().find(|s| s.provider == p && s.item == i);
            let have = s.map_or(0, |s| s.opening + s.purchased);
            money((units(p, i) - have).max(0), price(i))
        }
    }
    .max(0)
}
