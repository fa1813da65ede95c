//! `fundguard sweep`: one rule's detection quality on a generated month as one of its parameters
//! moves — the curves beside the defaults in docs/rules.md come from it.
//!
//! The dump is ingested once; for each value the rule alone runs with that value and its hits are
//! measured against the month's truth (`labels.parquet`, `decoys.parquet`): the cases injected for
//! the rule and found, the look-alikes made to imitate it and flagged, and the honest subjects it
//! flagged (hits about no injected case's subject) per 10,000 subjects of their kind.

use std::collections::BTreeSet;
use std::path::Path;

use fundguard_ingest::records::read_cases;
use fundguard_ingest::{ingest, IngestOptions};
use fundguard_model::{Case, Dump, Language};
use fundguard_rulebase::RuleBase;
use fundguard_scoring::eval;

use crate::run::load_config;
use crate::Failure;

/// What to sweep.
pub struct SweepArgs<'a> {
    pub input: &'a Path,
    /// Where labels.parquet and decoys.parquet are (default: the input).
    pub truth: Option<&'a Path>,
    pub config: Option<&'a Path>,
    pub rulebase: Option<&'a Path>,
    pub rule: &'a str,
    pub param: &'a str,
    /// TOML values, e.g. `7`, `0.35`, `"chapter"`.
    pub values: &'a [String],
    pub amount_tolerance: f64,
}

/// One point of the curve.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Point {
    pub value: String,
    pub cases: usize,
    pub found: usize,
    pub amount_ok: usize,
    pub amount_checked: usize,
    pub decoys: usize,
    pub decoys_flagged: usize,
    pub hits: usize,
    pub hits_true: usize,
    /// Distinct honest subjects flagged, and how many subjects of that kind the dump holds.
    pub honest_flagged: usize,
    pub population: usize,
}

impl Point {
    pub fn per_10k(&self) -> f64 {
        if self.population == 0 {
            0.0
        } else {
            self.honest_flagged as f64 * 10_000.0 / self.population as f64
        }
    }
}

/// How many subjects of a hit's kind the dump holds: for a provider, the providers that settle
/// the same kind of visit (pharmacies for a pharmacy's hit, the others for a hospital's).
fn population(dump: &Dump, hit: Option<&fundguard_model::HitRow>) -> usize {
    let Some(hit) = hit else {
        return dump.visits.visit_id.len();
    };
    match hit.subject_type.as_str() {
        "provider" => {
            let v = &dump.visits;
            let mut pharmacy = vec![false; dump.dicts.providers.len()];
            let mut other = vec![false; dump.dicts.providers.len()];
            for (i, &p) in v.provider.iter().enumerate() {
                if v.visit_type[i] == fundguard_model::VisitType::Pharmacy {
                    pharmacy[p as usize] = true;
                } else {
                    other[p as usize] = true;
                }
            }
            let kind = match dump.dicts.providers.code(&hit.subject_id) {
                Some(p) if pharmacy[p as usize] => &pharmacy,
                _ => &other,
            };
            kind.iter().filter(|&&k| k).count()
        }
        "patient" => dump.dicts.patients.len(),
        "doctor" => dump.dicts.doctors.len(),
        _ => {
            // Visits of the same type as the hit's (stays for a stay's hit).
            let v = &dump.visits;
            let kind = hit
                .visit_id
                .as_deref()
                .and_then(|id| (0..v.visit_id.len()).find(|&i| v.visit_id.get(i) == id))
                .map(|i| v.visit_type[i]);
            match kind {
                Some(k) => v.visit_type.iter().filter(|&&t| t == k).count(),
                None => v.visit_id.len(),
            }
        }
    }
}

pub fn sweep(a: &SweepArgs<'_>) -> Result<Vec<Point>, Failure> {
    let cfg = load_config(a.config)?;
    let Some((family, rule)) = a.rule.split_once('.') else {
        return Err(Failure::Config(anyhow::anyhow!(
            "--rule `{}` is not family.rule (e.g. card_pooling.burst)",
            a.rule
        )));
    };
    if !fundguard_engine::infos().iter().any(|i| i.id == a.rule) {
        return Err(Failure::Config(anyhow::anyhow!(
            "--rule `{}` is no built-in rule (`fundguard rules` lists them)",
            a.rule
        )));
    }
    let rulebase = a
        .rulebase
        .map(|dir| {
            RuleBase::load(dir).map_err(|p| Failure::Input(anyhow::anyhow!("rule base: {p}")))
        })
        .transpose()?;
    let truth = a.truth.unwrap_or(a.input);
    let read =
        |name: &str| read_cases(&truth.join(name)).map_err(|e| Failure::Input(anyhow::anyhow!(e)));
    let all_labels: Vec<Case> = read("labels.parquet")?;
    let labels: Vec<Case> = all_labels
        .iter()
        .filter(|c| c.scheme == family)
        .cloned()
        .collect();
    let decoys: Vec<Case> = read("decoys.parquet")?
        .into_iter()
        .filter(|c| c.scheme == family)
        .collect();
    let dump = ingest(a.input, &IngestOptions::default())
        .map_err(|e| Failure::Input(e.into()))?
        .dump;
    let run = fundguard_engine::RunConfig {
        disable: fundguard_engine::infos()
            .iter()
            .map(|i| i.id.to_string())
            .filter(|id| id != a.rule)
            .collect(),
        ..cfg.run.clone()
    };
    let eval_cfg = eval::EvalConfig {
        ks: Vec::new(),
        amount_tolerance: a.amount_tolerance,
        rules: BTreeSet::from([a.rule.to_string()]),
    };
    let mut points = Vec::new();
    // How many subjects of the kind the rule flags, from the first value with hits.
    let mut kind_population: Option<usize> = None;
    let truth = eval::Truth::new(&all_labels);
    for value in a.values {
        let rules = with_param(&cfg.rules, family, rule, a.param, value)?;
        let result = fundguard_engine::run(&dump, &run, &rules, rulebase.as_ref());
        if let Some(failed) = result
            .outcomes
            .iter()
            .find(|o| matches!(o.outcome, fundguard_model::Outcome::Failed { .. }))
        {
            return Err(Failure::Rule(anyhow::anyhow!(
                "{} failed at {} = {value}: {:?}",
                failed.rule_id,
                a.param,
                failed.outcome
            )));
        }
        let hits = fundguard_engine::hit_rows(&dump, &result.hits, Language::En);
        let e = eval::evaluate(&hits, &[], &labels, &decoys, &eval_cfg);
        let q = e.rules.get(a.rule).cloned().unwrap_or_default();
        if kind_population.is_none() && !hits.is_empty() {
            kind_population = Some(population(&dump, hits.first()));
        }
        let honest: BTreeSet<(&str, &str)> = hits
            .iter()
            .filter(|h| !truth.about(h))
            .map(|h| (h.subject_type.as_str(), h.subject_id.as_str()))
            .collect();
        points.push(Point {
            value: value.clone(),
            cases: q.cases,
            found: q.found,
            amount_ok: q.amount_ok,
            amount_checked: q.amount_checked,
            decoys: q.decoys,
            decoys_flagged: q.decoys_flagged,
            hits: q.hits,
            hits_true: q.hits_true,
            honest_flagged: honest.len(),
            population: kind_population.unwrap_or_else(|| population(&dump, None)),
        });
    }
    Ok(points)
}

/// `rules` with `[rules.family.rule] param = value`.
fn with_param(
    rules: &fundguard_engine::RulesConfig,
    family: &str,
    rule: &str,
    param: &str,
    value: &str,
) -> Result<fundguard_engine::RulesConfig, Failure> {
    let bad =
        |why: String| Failure::Config(anyhow::anyhow!("{family}.{rule}.{param} = {value}: {why}"));
    let parsed: toml::Table = toml::from_str(&format!("v = {value}"))
        .map_err(|e| bad(format!("not a TOML value: {e}")))?;
    let mut table = toml::Table::try_from(rules).map_err(|e| bad(e.to_string()))?;
    let mut params = table
        .get_mut(family)
        .and_then(|f| f.as_table_mut())
        .and_then(|f| f.get_mut(rule))
        .and_then(|r| r.as_table_mut())
        .ok_or_else(|| bad("the rule has no parameters".into()))?;
    // `peers.min_difference` names a parameter of a nested table.
    let mut path: Vec<&str> = param.split('.').collect();
    let leaf = path.pop().expect("split yields one piece");
    for key in path {
        params = params
            .get_mut(key)
            .and_then(|t| t.as_table_mut())
            .ok_or_else(|| bad(format!("no table `{key}` of parameters")))?;
    }
    if !params.contains_key(leaf) {
        let known: Vec<&str> = params.keys().map(String::as_str).collect();
        return Err(bad(format!(
            "no such parameter (it has: {})",
            known.join(", ")
        )));
    }
    params.insert(leaf.to_string(), parsed["v"].clone());
    let out: fundguard_engine::RulesConfig = table
        .try_into()
        .map_err(|e: toml::de::Error| bad(e.to_string()))?;
    out.check().map_err(bad)?;
    Ok(out)
}

/// `a / b` to three places, `-` when there is nothing to divide by.
pub fn ratio(a: usize, b: usize) -> String {
    if b == 0 {
        "-".to_string()
    } else {
        format!("{:.3}", a as f64 / b as f64)
    }
}

/// The curve as a Markdown table (what docs/rules.md shows), under a line naming the month.
pub fn print(rule: &str, param: &str, label: Option<&str>, points: &[Point]) {
    println!(
        "Measured on {} (`fundguard sweep --rule {rule} --param {param}`):",
        label.unwrap_or("the given month")
    );
    println!();
    println!("| {param} | cases found | recall | amount ok | look-alikes flagged | hits | precision | honest flagged per 10k |");
    println!("|---|---|---|---|---|---|---|---|");
    for p in points {
        println!(
            "| {} | {}/{} | {} | {}/{} | {}/{} | {} | {} | {:.2} ({} of {}) |",
            p.value,
            p.found,
            p.cases,
            ratio(p.found, p.cases),
            p.amount_ok,
            p.amount_checked,
            p.decoys_flagged,
            p.decoys,
            p.hits,
            ratio(p.hits_true, p.hits),
            p.per_10k(),
            p.honest_flagged,
            p.population
        );
    }
}
