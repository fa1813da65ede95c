//! One partition at a time: the steps of an out-of-core run, for a driver that cuts the month
//! and places the partitions itself — [`crate::outofcore`] on one machine, the Python package's
//! Spark job (`fundguard.spark`, docs/distributed.md) on a cluster.
//!
//! A partition is a directory of the contract's tables as [`fundguard_ingest::partition`] writes
//! them: `<table>/<source index, 5 digits>.parquet`, each row with `_fg_file` (the index of its
//! source file) and `_fg_row` (its 1-based row there), in source order; `<table>/empty.parquet`
//! for a table of the month without a row in this partition. The providers table and the
//! catalogue are in every partition.
//!
//! 1. **Collect** ([`Rounds`]): each pass runs [`Job::collect`] on every partition of the sets it
//!    names and hands the values back; the month's values are ready after two passes (three or
//!    four when rejected rows change the month's period).
//! 2. **Judge**: [`Job::judge`] on every partition of every set, with the month's values.
//! 3. **Assemble**: [`finish_run`] (or, on one machine, [`assemble`]) merges the judged
//!    partitions, in whatever order they come, into the outputs of `fundguard run`.
//!
//! Values and judged partitions cross processes as MessagePack ([`to_bytes`], [`from_bytes`]):
//! floats exact, so that the hits are the bytes of a run in memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use fundguard_engine::scope::{Key, Populations, Scope};
use fundguard_ingest::partition::{self, Set};
use fundguard_ingest::{ingest, IngestOptions, IngestReport, Reject, TableReport};
use fundguard_model::{HitRow, Language, Outcome, RuleOutcome, Seconds, Table};
use fundguard_rulebase::RuleBase;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::outofcore::PartitionAccount;
use crate::run::{Analysed, Stage};
use crate::{Config, Failure};

/// The tables the first collecting pass over a provider partition needs (the month statistics
/// the second pass works its values out from).
pub const STATISTICS_TABLES: [Table; 5] = [
    Table::Visits,
    Table::LineItems,
    Table::SettlementDiagnoses,
    Table::Providers,
    Table::Catalog,
];

/// The rules' partition key of a set.
pub fn key_of(set: Set) -> Key {
    match set {
        Set::Patient => Key::Patient,
        Set::Provider => Key::Provider,
        Set::TraceCode => Key::TraceCode,
    }
}

/// MessagePack of a value (maps with field names, so that a reader of another build fails
/// loudly rather than misreading).
pub fn to_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    rmp_serde::to_vec_named(value).expect("fundguard's own values serialise")
}

/// A value of [`to_bytes`].
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, Failure> {
    rmp_serde::from_slice(bytes).map_err(|e| {
        Failure::Input(anyhow::anyhow!(
            "{what}: not fundguard's own ({e}); every process of a run must run the same fundguard"
        ))
    })
}

/// What a partition's run is given: the run's configuration, rule base, ingest options and
/// pseudonymisation key.
pub struct Job<'a> {
    pub cfg: &'a Config,
    pub rulebase: Option<&'a RuleBase>,
    pub options: &'a IngestOptions,
    pub key: Option<&'a [u8]>,
}

/// What a run loads before it reads the month: configuration, rule base, ingest options and
/// pseudonymisation key (owned; [`Setup::job`] lends them to a partition's run).
pub struct Setup {
    pub cfg: Config,
    pub rulebase: Option<RuleBase>,
    pub options: IngestOptions,
    pub key: Option<Vec<u8>>,
}

impl Setup {
    /// Loads what `fundguard run --config --rulebase --mapping --null-values --pseudonymize`
    /// names.
    pub fn load(
        config: Option<&Path>,
        rulebase: Option<&Path>,
        mapping: Option<&Path>,
        null_values: &[String],
        pseudonymize: Option<&Path>,
    ) -> Result<Setup, Failure> {
        Setup::with(
            crate::run::load_config(config)?,
            rulebase,
            mapping,
            null_values,
            pseudonymize,
        )
    }

    /// [`Setup::load`] with the configuration already loaded.
    pub fn with(
        cfg: Config,
        rulebase: Option<&Path>,
        mapping: Option<&Path>,
        null_values: &[String],
        pseudonymize: Option<&Path>,
    ) -> Result<Setup, Failure> {
        let rulebase = rulebase
            .map(|dir| {
                RuleBase::load(dir).map_err(|p| Failure::Input(anyhow::anyhow!("rule base: {p}")))
            })
            .transpose()?;
        let options = IngestOptions {
            mapping: crate::run::load_mapping(mapping)?,
            nulls: fundguard_ingest::NullMarkers {
                declared: null_values.to_vec(),
            },
            ..IngestOptions::default()
        };
        let key = pseudonymize
            .map(crate::pseudo::Pseudonymizer::read_key)
            .transpose()
            .map_err(|e| Failure::Config(anyhow::anyhow!("pseudonymize: {e}")))?;
        Ok(Setup {
            cfg,
            rulebase,
            options,
            key,
        })
    }

    pub fn job(&self) -> Job<'_> {
        Job {
            cfg: &self.cfg,
            rulebase: self.rulebase.as_ref(),
            options: &self.options,
            key: self.key.as_deref(),
        }
    }
}

/// One collecting pass: the sets whose partitions it reads, with what the rules are told.
#[derive(Debug, Clone)]
pub struct Pass {
    /// 1 or 2.
    pub round: u8,
    pub sets: Vec<Set>,
    /// The month's period as far as it is known.
    pub period: Option<(Seconds, Seconds)>,
    /// The values of the pass before (empty on the first).
    pub previous: Arc<Populations>,
}

impl Pass {
    /// Whether the partitions of `set` need only [`STATISTICS_TABLES`] on this pass.
    pub fn statistics_only(&self, set: Set) -> bool {
        self.round == 1 && set == Set::Provider
    }
}

/// The collecting passes of a run. The trace-code rules' values depend on no other month value:
/// collected on the first pass only and kept for the second. The period is the partitioner's
/// when every row that names a time is accepted; when the partitions accept less, the values are
/// collected again with the period they give.
pub struct Rounds {
    period: Option<(Seconds, Seconds)>,
    previous: Arc<Populations>,
    round: u8,
    trace: Populations,
}

impl Rounds {
    /// With the month's period as the partitioner saw it (`None`: not known; found on the way).
    pub fn new(period: Option<(Seconds, Seconds)>) -> Rounds {
        Rounds {
            period,
            previous: Arc::default(),
            round: 1,
            trace: Populations::default(),
        }
    }

    /// The next pass to make.
    pub fn pass(&self) -> Pass {
        Pass {
            round: self.round,
            sets: if self.round == 1 {
                vec![Set::Provider, Set::TraceCode]
            } else {
                vec![Set::Provider]
            },
            period: self.period,
            previous: self.previous.clone(),
        }
    }

    /// The values of every partition of the pass's sets, in any order: the month's values when
    /// they are complete, else `None` (make [`pass`](Rounds::pass) again).
    pub fn done(
        &mut self,
        values: impl IntoIterator<Item = (Set, Populations)>,
    ) -> Option<Populations> {
        let mut month = Populations::default();
        if self.round != 1 {
            month.merge(self.trace.clone());
        }
        for (set, v) in values {
            if set == Set::TraceCode {
                self.trace.merge(v.clone());
            }
            month.merge(v);
        }
        if month.period != self.period && month.period.is_some() {
            // Rows naming the extreme times were rejected: again with the period the partitions
            // accept.
            self.period = month.period;
            self.previous = Arc::default();
            self.trace = Populations::default();
            self.round = 1;
            return None;
        }
        month.finish();
        if self.round == 2 {
            return Some(month);
        }
        self.previous = Arc::new(month);
        self.round = 2;
        None
    }
}

/// Each hit's place in the output (its text before pseudonymisation, as a run in memory sorts
/// them): rule, subject type and id, visit, first line, Chinese evidence.
type Place = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
);

/// What judging one partition gives: its hits as the contract's rows (Chinese and English), the
/// rules' outcomes, and the account and rejects of the tables whose home its set is.
#[derive(Debug, Serialize, Deserialize)]
pub struct Judged {
    pub set: Set,
    pub k: usize,
    /// The month's period.
    pub period: Option<(Seconds, Seconds)>,
    rows: Vec<(Place, HitRow, HitRow)>,
    outcomes: Vec<RuleOutcome>,
    /// Reversal netting (patient partitions, which hold each line once).
    netting: fundguard_engine::NettingStats,
    provider_types: BTreeMap<String, String>,
    /// Admissions per provider (patient partitions) and what the providers table says of them
    /// (patient partition 0).
    providers: BTreeMap<String, fundguard_report::ProviderFacts>,
    /// The home tables' account, the files as their sources (no checksums).
    reports: Vec<TableReport>,
    /// The home tables' rejects, with their source file and row.
    rejects: Vec<Reject>,
    /// Rows read in this partition (all tables).
    pub rows_read: usize,
    pub ingest_ms: u64,
    pub rules_ms: u64,
}

/// Whether partition `k` of `set` holds the account of `table`.
fn is_home(table: Table, set: Set, k: usize) -> bool {
    match partition::home(table) {
        Some(home) => home == set,
        None => set == Set::Patient && k == 0,
    }
}

impl Job<'_> {
    fn run_part(&self, dump: &fundguard_model::Dump, scope: &Scope) -> fundguard_engine::RuleRun {
        fundguard_engine::run_scoped(
            dump,
            &self.cfg.run,
            &self.cfg.rules,
            self.rulebase,
            Some(scope),
            &|_, _, _| {},
        )
    }

    fn read(&self, dir: &Path) -> Result<fundguard_ingest::Ingested, Failure> {
        ingest(dir, self.options).map_err(|e| Failure::Input(e.into()))
    }

    /// The collecting pass over the partition in `dir` (of `set`): the values its rules gather.
    pub fn collect(&self, dir: &Path, set: Set, pass: &Pass) -> Result<Populations, Failure> {
        let part = self.read(dir)?;
        let scope = Scope::collect(key_of(set), pass.period, pass.previous.clone());
        self.run_part(&part.dump, &scope);
        Ok(scope.take())
    }

    /// Judges partition `k` of `set` in `dir` with the month's values; `sources` are the source
    /// files by their index in `_fg_file`.
    pub fn judge(
        &self,
        dir: &Path,
        set: Set,
        k: usize,
        month: &Arc<Populations>,
        sources: &[PathBuf],
    ) -> Result<Judged, Failure> {
        let t = Instant::now();
        let mut part = self.read(dir)?;
        let ingest_ms = t.elapsed().as_millis() as u64;
        let rows_read = part.report.tables.iter().map(|t| t.read).sum();
        let t = Instant::now();
        let scope = Scope::judge(key_of(set), month.clone());
        let result = self.run_part(&part.dump, &scope);
        if let Some(missing) = scope.missing() {
            return Err(Failure::Rule(anyhow::anyhow!(
                "out of core: the month's values of {missing} were not collected (a rule compares with the month in a partition set that is not collected); run in memory (--partitions 0)"
            )));
        }
        let rules_ms = t.elapsed().as_millis() as u64;
        let period = month.period.unwrap_or((0, 0));
        let dump = &part.dump;
        let mut zh = fundguard_engine::hit_rows(dump, &result.hits, Language::Zh);
        let mut en = fundguard_engine::hit_rows(dump, &result.hits, Language::En);
        let pseudo = self
            .key
            .map(|key| crate::pseudo::Pseudonymizer::new(key.to_vec(), &dump.dicts.patients));
        let places: Vec<Place> = zh
            .iter()
            .map(|h| {
                (
                    h.rule_id.clone(),
                    h.subject_type.clone(),
                    h.subject_id.clone(),
                    h.visit_id.clone(),
                    h.line_ids.first().cloned(),
                    h.evidence.clone(),
                )
            })
            .collect();
        if let Some(p) = &pseudo {
            p.rows(&mut zh);
            p.rows(&mut en);
        }
        let rows = places
            .into_iter()
            .zip(zh)
            .zip(en)
            .map(|((k, z), e)| (k, z, e))
            .collect();
        let mut providers = BTreeMap::new();
        let mut netting = fundguard_engine::NettingStats::default();
        if set == Set::Patient {
            netting = result.netting;
            if k == 0 {
                providers = crate::run::provider_facts(dump);
            }
            crate::evidence::admissions(dump, period, &mut providers);
        }
        let provider_types = crate::run::provider_types(dump);
        // The account of the home tables, the files named by their sources.
        let mut reports = Vec::new();
        for mut report in std::mem::take(&mut part.report.tables) {
            if !is_home(report.table, set, k) {
                continue;
            }
            report
                .files
                .retain_mut(|f| match source_index(&f.path, sources) {
                    Some(src) => {
                        f.path = sources[src].clone();
                        f.sha256.clear();
                        f.ignored_columns.retain(|c| !c.starts_with("_fg_"));
                        true
                    }
                    None => false, // an empty partition file
                });
            reports.push(report);
        }
        let mut origins: BTreeMap<PathBuf, Vec<(u32, u64)>> = BTreeMap::new();
        let mut rejects: Vec<Reject> = part
            .rejects
            .drain(..)
            .filter(|r| is_home(r.table, set, k))
            .collect();
        for r in &mut rejects {
            if let Some((src, row)) = origin(&r.file, r.row, &mut origins)? {
                if let Some(s) = sources.get(src as usize) {
                    r.file = s.clone();
                    r.row = row;
                }
            }
            r.reason = sources_in(&r.reason, dir, sources, &mut origins)?;
        }
        if let Some(p) = &pseudo {
            p.rejects(&mut rejects);
        }
        Ok(Judged {
            set,
            k,
            period: month.period,
            rows,
            outcomes: result.outcomes,
            netting,
            provider_types,
            providers,
            reports,
            rejects,
            rows_read,
            ingest_ms,
            rules_ms,
        })
    }
}

/// The index of the source of a partition file (`<index>.parquet`).
fn source_index(path: &Path, sources: &[PathBuf]) -> Option<usize> {
    path.file_stem()
        .and_then(|s| s.to_str())
        .and_then(|s| s.parse::<usize>().ok())
        .filter(|&i| i < sources.len())
}

/// The source file index and row of row `row` (1-based) of a partition file.
fn origin(
    file: &Path,
    row: u64,
    origins: &mut BTreeMap<PathBuf, Vec<(u32, u64)>>,
) -> Result<Option<(u32, u64)>, Failure> {
    if !origins.contains_key(file) {
        let o = partition::origins(file).map_err(|e| Failure::Input(e.into()))?;
        origins.insert(file.to_path_buf(), o);
    }
    Ok(origins[file].get(row.saturating_sub(1) as usize).copied())
}

/// `text` with each `row N of <file in the partition dir>` (a reason naming another row, such
/// as the first of a duplicate) written as the source file and row.
fn sources_in(
    text: &str,
    dir: &Path,
    sources: &[PathBuf],
    origins: &mut BTreeMap<PathBuf, Vec<(u32, u64)>>,
) -> Result<String, Failure> {
    let prefix = dir.display().to_string();
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(&prefix) {
        let end = rest[at..]
            .find(|c: char| c.is_whitespace() || c == ';' || c == ',' || c == ')')
            .map_or(rest.len(), |e| at + e);
        let path = PathBuf::from(&rest[at..end]);
        let before = &rest[..at];
        // "… row 12 of " just before the path.
        let row = before
            .strip_suffix(" of ")
            .and_then(|b| b.rsplit_once("row "))
            .and_then(|(head, n)| n.parse::<u64>().ok().map(|n| (head, n)));
        let found = match row {
            Some((head, n)) => origin(&path, n, origins)?
                .and_then(|(src, r)| sources.get(src as usize).map(|s| (head, s, r))),
            None => None,
        };
        match found {
            Some((head, source, r)) => {
                out.push_str(head);
                out.push_str(&format!("row {r} of {}", source.display()));
            }
            None => {
                out.push_str(before);
                out.push_str(&rest[at..end]);
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Adds one partition's outcome of a rule: hits, money and time summed where it ran (on its
/// key's partitions); skipped only when it was skipped on them all.
fn merge_outcome(
    all: &mut BTreeMap<String, RuleOutcome>,
    order: &mut Vec<String>,
    o: RuleOutcome,
    set: Set,
) {
    let on_key = fundguard_engine::scope::key_of(&o.rule_id) == Some(key_of(set));
    match all.get_mut(&o.rule_id) {
        None => {
            order.push(o.rule_id.clone());
            all.insert(o.rule_id.clone(), o);
        }
        Some(have) => match (&mut have.outcome, o.outcome) {
            (Outcome::Failed { .. }, _) => {}
            (_, failed @ Outcome::Failed { .. }) => have.outcome = failed,
            (
                Outcome::Ran {
                    hits,
                    amount_fen,
                    millis,
                },
                Outcome::Ran {
                    hits: h,
                    amount_fen: f,
                    millis: m,
                },
            ) => {
                *hits += h;
                *amount_fen += f;
                *millis += m;
            }
            (Outcome::Skipped { .. }, ran @ Outcome::Ran { .. }) => have.outcome = ran,
            (Outcome::Skipped { reason }, Outcome::Skipped { reason: r }) if on_key => *reason = r,
            _ => {}
        },
    }
}

/// The month from its judged partitions (every partition of every set, in any order):
/// `sources` are the source files with their SHA-256, by their index in `_fg_file`.
pub(crate) fn assemble(
    input: &Path,
    cfg: &Config,
    mut parts: Vec<Judged>,
    sources: &[(PathBuf, String)],
    mut account: PartitionAccount,
    mut stages: Vec<Stage>,
) -> Result<Analysed, Failure> {
    parts.sort_by_key(|p| (p.set, p.k));
    let period = parts.first().and_then(|p| p.period).unwrap_or((0, 0));
    let mut rows: Vec<(Place, HitRow, HitRow)> = Vec::new();
    let mut outcomes: BTreeMap<String, RuleOutcome> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut reports: BTreeMap<Table, Vec<TableReport>> = BTreeMap::new();
    let mut rejects: Vec<Reject> = Vec::new();
    let mut netting = fundguard_engine::NettingStats::default();
    let mut provider_types: BTreeMap<String, String> = BTreeMap::new();
    let mut providers: BTreeMap<String, fundguard_report::ProviderFacts> = BTreeMap::new();
    let (mut ingest_ms, mut rules_ms) = (0u64, 0u64);
    for p in parts {
        ingest_ms += p.ingest_ms;
        rules_ms += p.rules_ms;
        let l = account
            .largest_partition_rows
            .entry(p.set.name())
            .or_default();
        *l = (*l).max(p.rows_read);
        rows.extend(p.rows);
        for o in p.outcomes {
            merge_outcome(&mut outcomes, &mut order, o, p.set);
        }
        let n = p.netting;
        netting.reversal_lines += n.reversal_lines;
        netting.matched += n.matched;
        netting.unmatched += n.unmatched;
        netting.refund_visits += n.refund_visits;
        netting.cancelled_visits += n.cancelled_visits;
        for (id, kind) in p.provider_types {
            let e = provider_types.entry(id).or_insert_with(|| kind.clone());
            if e == "unknown" {
                *e = kind;
            }
        }
        for (id, f) in p.providers {
            let e = providers.entry(id).or_default();
            e.admissions += f.admissions;
            e.discharges += f.discharges;
            e.name = e.name.take().or(f.name);
            e.level = e.level.take().or(f.level);
            e.beds = e.beds.or(f.beds);
        }
        for r in p.reports {
            reports.entry(r.table).or_default().push(r);
        }
        rejects.extend(p.rejects);
    }
    stages.push(Stage {
        stage: "ingest",
        millis: ingest_ms,
    });
    stages.push(Stage {
        stage: "rules",
        millis: rules_ms,
    });
    // Rows as a run in memory orders them: by text (rule, subject, visit, first line, then the
    // Chinese evidence), the English rows in the same order.
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let (rows_zh, rows_en): (Vec<HitRow>, Vec<HitRow>) =
        rows.into_iter().map(|(_, z, e)| (z, e)).unzip();
    // Rejects in table, file and row order (as a run in memory lists them).
    let table_order = |t: Table| {
        Table::ALL
            .iter()
            .position(|&x| x == t)
            .unwrap_or(usize::MAX)
    };
    rejects.sort_by(|a, b| {
        (table_order(a.table), &a.file, a.row).cmp(&(table_order(b.table), &b.file, b.row))
    });
    let mut outcomes: Vec<RuleOutcome> = order
        .iter()
        .map(|id| outcomes.remove(id).expect("each rule once"))
        .collect();
    // Custom SQL rules see the whole month; they are not run out of core.
    for c in &cfg.custom {
        outcomes.push(RuleOutcome {
            rule_id: c.id.clone(),
            family: fundguard_model::Family::parse(&c.family)
                .unwrap_or(fundguard_model::Family::Custom),
            outcome: Outcome::Skipped {
                reason: "custom SQL rules need the whole month in memory; not run out of core"
                    .into(),
            },
        });
    }
    let report = month_account(input, sources, reports);
    Ok(Analysed {
        report,
        rejects,
        rows_zh,
        rows_en,
        outcomes,
        period,
        netting,
        provider_types,
        providers,
        stages,
        dump: None,
        partitions: Some(account),
    })
}

/// The account of the month from the tables' home partitions: rows read, accepted and rejected
/// summed; the files are the source files (rows, checksum, ignored columns) in source order.
fn month_account(
    input: &Path,
    sources: &[(PathBuf, String)],
    reports: BTreeMap<Table, Vec<TableReport>>,
) -> IngestReport {
    let index: BTreeMap<&Path, usize> = sources
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (s.as_path(), i))
        .collect();
    let mut tables = Vec::new();
    for t in Table::ALL {
        let Some(parts) = reports.get(&t) else {
            continue;
        };
        let mut merged = parts[0].clone();
        merged.read = parts.iter().map(|p| p.read).sum();
        merged.accepted = parts.iter().map(|p| p.accepted).sum();
        merged.rejected = parts.iter().map(|p| p.rejected).sum();
        merged.present = parts.iter().any(|p| p.present);
        let mut files: BTreeMap<usize, fundguard_ingest::FileReport> = BTreeMap::new();
        for f in parts.iter().flat_map(|p| &p.files) {
            let Some(&src) = index.get(f.path.as_path()) else {
                continue;
            };
            let e = files.entry(src).or_insert_with(|| {
                let mut r = f.clone();
                r.rows = 0;
                r.null_cells = 0;
                r.sha256 = sources[src].1.clone();
                r
            });
            e.rows += f.rows;
            e.null_cells += f.null_cells;
        }
        merged.files = files.into_values().collect();
        tables.push(merged);
    }
    IngestReport {
        input: input.to_path_buf(),
        tables,
        // An out-of-core month is the contract's tables in Parquet: no extracts.
        unused_extracts: Vec::new(),
    }
}

/// Writes the outputs of `fundguard run` (`options.out`) from a month's judged partitions, made
/// elsewhere (the Spark job): `sources` are the source files with their SHA-256, by their index
/// in `_fg_file`; `account` says how the month was cut; `stages` what the driver timed (their
/// sum counts in the run's total).
pub fn finish_run(
    options: &crate::run::RunOptions,
    parts: Vec<Judged>,
    sources: &[(PathBuf, String)],
    account: PartitionAccount,
    stages: Vec<(&'static str, u64)>,
) -> Result<usize, Failure> {
    let earlier = stages.iter().map(|s| s.1).sum();
    let stages = stages
        .into_iter()
        .map(|(stage, millis)| Stage { stage, millis })
        .collect();
    let mut parts = Some((parts, stages));
    crate::run::run_with(&options.args(), earlier, &mut |a, cfg, _, _, _, _| {
        let (parts, stages) = parts.take().expect("analysed once");
        assemble(a.input, cfg, parts, sources, account.clone(), stages)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_rows_cross_processes_exactly() {
        let mut p = Populations::default();
        p.values.insert(
            "v".into(),
            vec![0.1 + 0.2, 1.0 / 3.0, f64::MIN_POSITIVE, -0.0],
        );
        p.sums.insert("s".into(), i128::MAX - 7);
        p.members.insert("m".into(), vec![(3, "甲".into())]);
        p.records
            .insert("r".into(), vec![("k".into(), -1, i64::MAX)]);
        p.period = Some((5, 20));
        let back: Populations = from_bytes(&to_bytes(&p), "values")
            .map_err(|e| e.error().to_string())
            .unwrap();
        assert_eq!(
            back.values["v"]
                .iter()
                .map(|f| f.to_bits())
                .collect::<Vec<_>>(),
            p.values["v"]
                .iter()
                .map(|f| f.to_bits())
                .collect::<Vec<_>>()
        );
        assert_eq!(back.sums, p.sums);
        assert_eq!(back.members, p.members);
        assert_eq!(back.records, p.records);
        assert_eq!(back.period, p.period);
        assert!(from_bytes::<Populations>(b"not msgpack", "values").is_err());
    }

    #[test]
    fn rounds_collect_twice_and_again_when_the_period_moves() {
        let values = |period| Populations {
            period,
            ..Default::default()
        };
        let mut r = Rounds::new(Some((0, 10)));
        assert_eq!(r.pass().sets, vec![Set::Provider, Set::TraceCode]);
        assert!(r.pass().statistics_only(Set::Provider));
        // The partitions accept less than the partitioner saw: the first pass again.
        assert!(r.done([(Set::Provider, values(Some((2, 10))))]).is_none());
        assert_eq!((r.pass().round, r.pass().period), (1, Some((2, 10))));
        assert!(r.done([(Set::Provider, values(Some((2, 10))))]).is_none());
        assert_eq!(r.pass().sets, vec![Set::Provider]);
        assert!(!r.pass().statistics_only(Set::Provider));
        let month = r.done([(Set::Provider, values(Some((2, 10))))]).unwrap();
        assert_eq!(month.period, Some((2, 10)));
    }
}
