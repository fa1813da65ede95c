//! fundguard's rule engine: shared indexes over the columnar dump ([`Ctx`]), the rule catalogue
//! ([`rules`]), the national rule base ([`RuleBase`]), the run configuration ([`Config`]) and the
//! writer of `hits.parquet`.
//!
//! [`run`] builds the indexes once, runs every enabled rule concurrently (each sweeping its entity
//! in parallel), and returns the hits in a deterministic order with an outcome per rule.

pub use config::{Config, ConfigError, Language, RunConfig};
pub use ctx::{Csr, Ctx, NettingStats};
pub use hit::{Evidence, Hit, Subject};
pub use leads::{Lead, LeadsConfig};
pub use registry::{Family, ParamDoc, RuleBaseNeed, RuleInfo};
pub use rulebase::{RuleBase, RuleBaseProblem};
pub use rules::{catalogue, infos, Rule};
pub use write::{hit_rows, write_hits, write_leads, HitRow, Meta};

use std::time::Instant;

use fundguard_model::Dump;
use rayon::prelude::*;
use serde::Serialize;

pub mod config;
mod ctx;
pub mod custom;
pub mod docs;
pub mod eval;
pub mod feedback;
mod hit;
pub mod icd;
pub mod leads;
mod registry;
pub mod rulebase;
pub mod rules;
pub mod stats;
mod write;
pub mod xlsx;

/// What happened to one rule in a run.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    Ran {
        hits: usize,
        /// Sum of the hits' amounts, in fen.
        amount_fen: i64,
        millis: u64,
    },
    Skipped {
        reason: String,
    },
    Failed {
        error: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleOutcome {
    pub rule_id: String,
    pub family: Family,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The result of running the catalogue over a dump.
pub struct RuleRun {
    /// In output order (see [`write::sort_hits`]).
    pub hits: Vec<Hit>,
    /// Hits of the analysts' SQL rules, already as text, with their English evidence.
    pub custom: Vec<(HitRow, String)>,
    pub outcomes: Vec<RuleOutcome>,
    pub netting: NettingStats,
    /// Milliseconds spent building the shared indexes.
    pub index_millis: u64,
}

/// Why a rule cannot run on this dump, if it cannot.
fn skip_reason(
    info: &RuleInfo,
    cfg: &Config,
    dump: &Dump,
    rb: Option<&RuleBase>,
) -> Option<String> {
    if cfg.run.disable.iter().any(|d| d == info.id) {
        return Some("disabled in the configuration (run.disable)".into());
    }
    for t in info.needs {
        let present = match t {
            fundguard_model::Table::Patients => dump.patients.is_some(),
            fundguard_model::Table::Providers => dump.providers.is_some(),
            fundguard_model::Table::Catalog => dump.catalog.is_some(),
            fundguard_model::Table::Purchases => dump.purchases.is_some(),
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

/// Runs the enabled custom SQL rules, one after another (polars parallelises each query).
fn run_custom(dump: &Dump, cfg: &Config, outcomes: &mut Vec<RuleOutcome>) -> Vec<(HitRow, String)> {
    let enabled: Vec<&custom::CustomRule> = cfg
        .custom
        .iter()
        .filter(|c| !cfg.run.disable.contains(&c.id))
        .collect();
    let family = |c: &custom::CustomRule| Family::parse(&c.family).unwrap_or(Family::Custom);
    for c in cfg
        .custom
        .iter()
        .filter(|c| cfg.run.disable.contains(&c.id))
    {
        outcomes.push(RuleOutcome {
            rule_id: c.id.clone(),
            family: family(c),
            outcome: Outcome::Skipped {
                reason: "disabled in the configuration (run.disable)".into(),
            },
        });
    }
    if enabled.is_empty() {
        return Vec::new();
    }
    let tables = custom::Tables::of(dump, &enabled);
    let mut rows = Vec::new();
    for c in enabled {
        let t = Instant::now();
        let result = tables.as_ref().map_err(Clone::clone).and_then(|t| c.run(t));
        let outcome = match result {
            Ok(mut r) => {
                if let Some(&s) = cfg.run.severity.get(&c.id) {
                    let base = c.severity.max(1e-9);
                    for (h, _) in &mut r {
                        h.severity = (h.severity * s / base).clamp(0.0, 1.0);
                    }
                }
                let o = Outcome::Ran {
                    hits: r.len(),
                    amount_fen: r.iter().map(|(h, _)| h.amount_fen).sum(),
                    millis: t.elapsed().as_millis() as u64,
                };
                rows.extend(r);
                o
            }
            Err(error) => Outcome::Failed { error },
        };
        outcomes.push(RuleOutcome {
            rule_id: c.id.clone(),
            family: family(c),
            outcome,
        });
    }
    rows
}

impl RuleRun {
    /// Every hit as the contract's row, built-in and custom, in output order (by rule id,
    /// subject, visit, first line, evidence), evidence in `lang`.
    pub fn rows(&self, dump: &Dump, lang: Language) -> Vec<HitRow> {
        let mut rows = hit_rows(dump, &self.hits, lang);
        rows.extend(self.custom.iter().map(|(h, en)| {
            let mut h = h.clone();
            if lang == Language::En {
                h.evidence.clone_from(en);
            }
            h
        }));
        write::sort_rows(&mut rows);
        rows
    }
}

/// Runs every rule of the catalogue that can run. A rule that panics is reported as failed; the
/// others still run.
pub fn run(dump: &Dump, cfg: &Config, rulebase: Option<&RuleBase>) -> RuleRun {
    let started = Instant::now();
    let ctx = Ctx::new(dump, rulebase);
    let index_millis = started.elapsed().as_millis() as u64;
    let all = catalogue(&cfg.rules);
    let results: Vec<(RuleOutcome, Vec<Hit>)> = all
        .par_iter()
        .map(|rule| {
            let info = rule.info();
            let outcome = |outcome| RuleOutcome {
                rule_id: info.id.to_string(),
                family: info.family,
                outcome,
            };
            if let Some(reason) = skip_reason(info, cfg, dump, rulebase) {
                return (outcome(Outcome::Skipped { reason }), Vec::new());
            }
            let t = Instant::now();
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rule.run(&ctx))) {
                Ok(mut hits) => {
                    if let Some(&s) = cfg.run.severity.get(info.id) {
                        let base = info.severity.max(1e-9);
                        for h in &mut hits {
                            h.severity = (h.severity * s / base).clamp(0.0, 1.0);
                        }
                    }
                    let amount_fen = hits.iter().map(|h| h.amount).sum();
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
        })
        .collect();
    let mut hits = Vec::new();
    let mut outcomes = Vec::new();
    for (o, h) in results {
        outcomes.push(o);
        hits.extend(h);
    }
    write::sort_hits(dump, &mut hits);
    let custom = run_custom(dump, cfg, &mut outcomes);
    RuleRun {
        hits,
        custom,
        outcomes,
        netting: ctx.netting,
        index_millis,
    }
}
