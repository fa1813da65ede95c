//! fundguard's rule engine: the shared indexes over a columnar dump ([`Ctx`]), the rule catalogue
//! ([`rules`], registered in one place), and [`run`], which builds the indexes once, runs every
//! enabled rule concurrently (each sweeping its entity in parallel) and returns the hits in a
//! deterministic order with an outcome per rule.
//!
//! The engine reads no file and writes none: the dump comes from ingest, the national rule base
//! from `fundguard_rulebase`; hits leave as [`Hit`]s with dictionary codes and are decoded to the
//! contract's text rows ([`hit_rows`]) for scoring and the reports. It does not know about polars
//! (analysts' SQL rules are `fundguard_custom`) nor about leads.

pub use config::RunConfig;
pub use ctx::{Csr, Ctx, NettingStats};
pub use decode::{hit_rows, sort_hits};
pub use hit::{Evidence, Hit, Subject};
pub use info::{ParamDoc, RuleBaseNeed, RuleInfo};
pub use rule::{Rule, RuleParams};
pub use rules::{catalogue, infos, RulesConfig};

use std::time::Instant;

use fundguard_model::{Dump, Outcome, RuleOutcome};
use fundguard_rulebase::RuleBase;
use rayon::prelude::*;

pub mod config;
mod ctx;
mod decode;
pub mod docs;
pub mod fmt;
mod hit;
pub mod icd;
mod info;
pub mod order;
mod rule;
pub mod rules;
pub mod scope;
pub mod stats;
pub mod tuning;

/// The result of running the catalogue over a dump.
pub struct RuleRun {
    /// In output order (see [`sort_hits`]).
    pub hits: Vec<Hit>,
    pub outcomes: Vec<RuleOutcome>,
    pub netting: NettingStats,
    /// Milliseconds spent building the shared indexes.
    pub index_millis: u64,
    /// The dump's period: its earliest settlement or charge and its latest settlement.
    pub period: (fundguard_model::Seconds, fundguard_model::Seconds),
}

/// The parameters of one rule as a TOML table (for listings and docs).
pub fn params_of(rules: &RulesConfig, rule_id: &str) -> Option<toml::Table> {
    let value = toml::Table::try_from(rules).ok()?;
    let (family, name) = rule_id.split_once('.')?;
    value
        .get(family)?
        .as_table()?
        .get(name)?
        .as_table()
        .cloned()
}

/// Why a rule cannot run on this dump, if it cannot.
fn skip_reason(
    info: &RuleInfo,
    cfg: &RunConfig,
    dump: &Dump,
    rb: Option<&RuleBase>,
) -> Option<String> {
    if cfg.disable.iter().any(|d| d == info.id) {
        return Some("disabled in the configuration (run.disable)".into());
    }
    for t in info.needs {
        let present = match t {
            fundguard_model::Table::Patients => dump.patients.is_some(),
            fundguard_model::Table::Providers => dump.providers.is_some(),
            fundguard_model::Table::Catalog => dump.catalog.is_some(),
            fundguard_model::Table::Purchases => dump.purchases.is_some(),
            fundguard_model::Table::DrugTraces => dump.traces.is_some(),
            fundguard_model::Table::DrugStock => dump.stock.is_some(),
            fundguard_model::Table::SettlementDiagnoses => dump.diagnoses.is_some(),
            _ => true,
        };
        if !present {
            return Some(format!("the dump has no {} table", t.name()));
        }
    }
    for need in info.rulebase {
        let table = match need {
            RuleBaseNeed::Optional(_) => continue,
            RuleBaseNeed::Required(t) => *t,
            RuleBaseNeed::AnyOf(tables) => {
                let Some(rb) = rb else {
                    return Some(format!(
                        "needs the national rule base ({}); run with --rulebase",
                        tables.join(" or ")
                    ));
                };
                if tables.iter().any(|t| rb.has(t)) {
                    continue;
                }
                return Some(format!(
                    "none of the rule-base tables {} is usable in {}",
                    tables.join(", "),
                    rb.dir.display()
                ));
            }
        };
        let Some(rb) = rb else {
            return Some(format!(
                "needs the national rule base ({table}); run with --rulebase"
            ));
        };
        if !rb.loaded.iter().any(|(t, _)| t == table) {
            let problem = rb
                .problems
                .iter()
                .find(|p| p.table.as_deref() == Some(table));
            return Some(match problem {
                Some(p) => format!("rule-base table {table} is unusable: {p}"),
                None => format!("rule-base table {table} is not in {}", rb.dir.display()),
            });
        }
    }
    None
}

/// Runs every rule of the catalogue that can run. A rule that panics is reported as failed; the
/// others still run.
pub fn run(
    dump: &Dump,
    cfg: &RunConfig,
    rules: &RulesConfig,
    rulebase: Option<&RuleBase>,
) -> RuleRun {
    run_with_progress(dump, cfg, rules, rulebase, &|_, _, _| {})
}

/// [`run`], calling `progress(done, total, rule id)` as each rule finishes (from the worker that
/// ran it, in completion order: for a progress display only, never for results).
pub fn run_with_progress(
    dump: &Dump,
    cfg: &RunConfig,
    rules: &RulesConfig,
    rulebase: Option<&RuleBase>,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> RuleRun {
    run_scoped(dump, cfg, rules, rulebase, None, progress)
}

/// [`run_with_progress`] over one partition of a month ([`scope`]): only the rules of the
/// scope's key run; the others are reported skipped with the reason.
pub fn run_scoped(
    dump: &Dump,
    cfg: &RunConfig,
    rules: &RulesConfig,
    rulebase: Option<&RuleBase>,
    scope: Option<&scope::Scope>,
    progress: &(dyn Fn(usize, usize, &str) + Sync),
) -> RuleRun {
    let started = Instant::now();
    let ctx = Ctx::scoped(dump, rulebase, scope);
    let index_millis = started.elapsed().as_millis() as u64;
    let all = catalogue(rules);
    let run_one = |rule: &dyn Rule| {
        let info = rule.info();
        let outcome = |outcome| RuleOutcome {
            rule_id: info.id.to_string(),
            family: info.family,
            outcome,
        };
        if let Some(reason) = skip_reason(info, cfg, dump, rulebase) {
            return (outcome(Outcome::Skipped { reason }), Vec::new());
        }
        if let Some(s) = scope {
            let key = scope::key_of(info.id);
            if key != Some(s.key) {
                let on = key.map_or("no", scope::Key::as_str);
                return (
                    outcome(Outcome::Skipped {
                        reason: format!("runs on the {on} partitions"),
                    }),
                    Vec::new(),
                );
            }
        }
        let t = Instant::now();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rule.run(&ctx))) {
            Ok(mut hits) => {
                if let Some(&s) = cfg.severity.get(info.id) {
                    let base = info.severity.max(1e-9);
                    for h in &mut hits {
                        h.severity = (h.severity * s / base).clamp(0.0, 1.0);
                    }
                }
                let amount_fen = hits
                    .iter()
                    .map(|h| h.amount)
                    .sum::<fundguard_model::Fen>()
                    .0;
                let o = Outcome::Ran {
                    hits: hits.len(),
                    amount_fen,
                    millis: t.elapsed().as_millis() as u64,
                };
                (outcome(o), hits)
            }
            Err(panic) => {
                let error = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "the rule panicked".into());
                (outcome(Outcome::Failed { error }), Vec::new())
            }
        }
    };
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<(RuleOutcome, Vec<Hit>)> = all
        .par_iter()
        .map(|rule| {
            let result = run_one(rule.as_ref());
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(n, all.len(), rule.info().id);
            result
        })
        .collect();
    let mut hits = Vec::new();
    let mut outcomes = Vec::new();
    for (o, h) in results {
        outcomes.push(o);
        hits.extend(h);
    }
    decode::sort_hits(dump, &mut hits);
    RuleRun {
        hits,
        outcomes,
        period: (ctx.dump_start, ctx.dump_end),
        netting: ctx.netting,
        index_millis,
    }
}
