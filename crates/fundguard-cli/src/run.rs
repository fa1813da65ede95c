//! `fundguard run`: ingest, rules, outputs, and the run's manifest.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::Config;
use anyhow::Context;
use fundguard_ingest::{ingest, write_rejects, IngestOptions};
use fundguard_model::{HitRow, Language, Outcome, RuleOutcome};
use fundguard_report::{write_hits, write_leads};
use fundguard_rulebase::RuleBase;
use fundguard_scoring::Lead;
use serde::Serialize;

use crate::Failure;

/// Options of one run.
pub struct RunArgs<'a> {
    pub input: &'a Path,
    pub out: &'a Path,
    pub config: Option<&'a Path>,
    pub rulebase: Option<&'a Path>,
    /// Inspectors' verdicts on earlier leads.
    pub feedback: Option<&'a Path>,
    /// An earlier run directory to compare leads with.
    pub baseline: Option<&'a Path>,
    /// A mapping file for a foreign layout.
    pub mapping: Option<&'a Path>,
    /// Extra spellings of a missing value in text inputs.
    pub null_values: &'a [String],
    /// Commit the outputs and exit 0 even when a rule failed (the manifest still says so).
    pub keep_going: bool,
    /// A key file: patient ids in every output become keyed hashes.
    pub pseudonymize: Option<&'a Path>,
    pub quiet: bool,
    /// Run out of core with this many partitions per set (0: in memory); `None`: decide from
    /// the memory budget.
    pub partitions: Option<usize>,
    /// The memory budget in bytes.
    pub memory_limit: Option<u64>,
    /// Where the partitions go (default: beside the run directory, removed afterwards).
    pub spill_dir: Option<&'a Path>,
}

/// The options of a run as owned values: what the command line parses (`fundguard run`'s
/// arguments) and Python passes.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunOptions {
    /// The dump directory.
    #[arg(long)]
    pub input: PathBuf,
    /// The run directory to write.
    #[arg(long)]
    pub out: PathBuf,
    /// A TOML configuration (see `fundguard rules --config-template`).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The national rule base directory (layout of shared/data/nhsa-rules).
    #[arg(long)]
    pub rulebase: Option<PathBuf>,
    /// Inspectors' verdicts on earlier leads (CSV: lead_id, subject_type, subject_id,
    /// rule_id, verdict = confirmed / false_positive / whitelist, note); whitelisted
    /// subjects and rules are left out of the leads.
    #[arg(long)]
    pub feedback: Option<PathBuf>,
    /// An earlier run directory: each lead is marked new, recurring or escalated.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// A mapping file (TOML) for a layout that is neither the contract's nor the national
    /// platform's (see docs/mapping.md, mappings/desynpuf.toml).
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Extra spellings of a missing value in text inputs, comma-separated (`NA,-,9999-12-31`):
    /// read as empty in every column. The common ones (`NA`, `NULL`, `\N`, `-` …) are read as
    /// empty anyway in time, date, number and flag columns.
    #[arg(long, value_name = "MARKERS", value_delimiter = ',')]
    pub null_values: Vec<String>,
    /// When a rule fails, still put the outputs in place and exit 0 (the manifest names the
    /// failure). Without it the previous outputs stay and this run's go to OUT.failed.
    #[arg(long)]
    pub keep_going: bool,
    /// A key file (at least 16 bytes): every patient id in the outputs becomes a keyed hash
    /// (HMAC-SHA256, `PSN-` + 16 hex digits), stable for one key.
    #[arg(long, value_name = "KEYFILE")]
    pub pseudonymize: Option<PathBuf>,
    /// Print nothing but errors: no summary on stdout, no progress on stderr (progress is
    /// shown only when stderr is a terminal anyway).
    #[arg(long)]
    pub quiet: bool,
    /// Run out of core, the month cut into N partitions per set (by patient, by provider, by
    /// trace code), whatever the memory; 0 forces a run in memory. Without it a month whose
    /// estimated need exceeds the memory budget runs out of core (docs/outofcore.md).
    #[arg(long, value_name = "N")]
    pub partitions: Option<usize>,
    /// The memory budget, in bytes or with a unit (`16G`, `512M`); default
    /// `FUNDGUARD_MEMORY_LIMIT` (bytes), else the memory the machine has available.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub memory_limit: Option<u64>,
    /// Where an out-of-core run writes its partitions (default: a hidden `.OUT.partitions`
    /// beside the run directory); removed when the run ends.
    #[arg(long, value_name = "DIR")]
    pub spill_dir: Option<PathBuf>,
}

/// `16G`, `512M`, `64K` or bytes.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("not a size: {s:?} (bytes, or with K, M, G, T)"))?;
    let scale: u64 = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("not a size: {s:?} (bytes, or with K, M, G, T)")),
    };
    n.checked_mul(scale)
        .ok_or_else(|| format!("too large: {s:?}"))
}

impl RunOptions {
    pub fn args(&self) -> RunArgs<'_> {
        RunArgs {
            input: &self.input,
            out: &self.out,
            config: self.config.as_deref(),
            rulebase: self.rulebase.as_deref(),
            feedback: self.feedback.as_deref(),
            baseline: self.baseline.as_deref(),
            mapping: self.mapping.as_deref(),
            null_values: &self.null_values,
            keep_going: self.keep_going,
            pseudonymize: self.pseudonymize.as_deref(),
            quiet: self.quiet,
            partitions: self.partitions,
            memory_limit: self.memory_limit,
            spill_dir: self.spill_dir.as_deref(),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct Stage {
    pub stage: &'static str,
    pub millis: u64,
}

#[derive(Serialize)]
struct Manifest<'a> {
    engine: &'static str,
    version: &'static str,
    /// Hash of the configuration and the input files: equal ids, equal inputs and settings.
    run_id: String,
    /// Patient ids in the outputs are keyed hashes (the key is not recorded).
    pseudonymized: bool,
    input: &'a Path,
    config_file: Option<&'a Path>,
    config_sha256: String,
    config: toml::Table,
    rulebase: Option<RuleBaseAccount<'a>>,
    ingest: &'a fundguard_ingest::IngestReport,
    /// How the month was cut when it was run out of core.
    #[serde(skip_serializing_if = "Option::is_none")]
    partitions: Option<&'a crate::outofcore::PartitionAccount>,
    netting: fundguard_engine::NettingStats,
    rules: &'a [RuleOutcome],
    hits: usize,
    leads: LeadCounts,
    #[serde(skip_serializing_if = "Option::is_none")]
    feedback: Option<fundguard_scoring::FeedbackAccount>,
    /// Leads by status against `--baseline`.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<Baseline<'a>>,
    stages: Vec<Stage>,
    peak_rss_bytes: Option<u64>,
}

#[derive(Serialize)]
struct RuleBaseAccount<'a> {
    dir: &'a Path,
    tables: &'a [(String, usize)],
    problems: Vec<String>,
}

/// Memory this machine can give a run: `FUNDGUARD_MEMORY_LIMIT` (bytes) when set, else Linux's
/// `MemAvailable`.
fn available_memory() -> Option<u64> {
    if let Some(v) = std::env::var("FUNDGUARD_MEMORY_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return Some(v);
    }
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Fails early, with the numbers, when the dump will not fit in memory — rather than being
/// killed by the operating system halfway.
pub fn check_memory(input: &Path) -> Result<(), Failure> {
    let Some(available) = available_memory().filter(|_| input.is_dir()) else {
        return Ok(()); // ingest says what is wrong with an input that is not a directory
    };
    let need = fundguard_ingest::estimate_memory(input).map_err(|e| Failure::Input(e.into()))?;
    if need > available {
        let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
        return Err(Failure::Input(anyhow::anyhow!(
            "{} needs about {:.1} GiB of memory (estimated from its files) and {:.1} GiB are available; run it on a larger machine or split the month into parts (e.g. by provider)",
            input.display(),
            gib(need),
            gib(available)
        )));
    }
    Ok(())
}

/// Peak resident memory of this process so far (Linux `VmHWM`).
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Loads a mapping file, when one is given (a bad one is a configuration error).
pub fn load_mapping(
    path: Option<&Path>,
) -> Result<Option<fundguard_ingest::mapping::Mapping>, Failure> {
    path.map(|p| {
        fundguard_ingest::mapping::Mapping::load(p)
            .map_err(|e| Failure::Config(anyhow::anyhow!("mapping: {e}")))
    })
    .transpose()
}

/// Loads the configuration, or the defaults.
pub fn load_config(path: Option<&Path>) -> Result<Config, Failure> {
    match path {
        Some(p) => Config::load(p).map_err(|e| Failure::Config(e.into())),
        None => Ok(Config::default()),
    }
}

/// What the rules found in the month, however it was read: what the outputs are written from.
pub(crate) struct Analysed {
    pub report: fundguard_ingest::IngestReport,
    pub rejects: Vec<fundguard_ingest::Reject>,
    /// Every hit in output order, with its evidence in Chinese and in English.
    pub rows_zh: Vec<HitRow>,
    pub rows_en: Vec<HitRow>,
    pub outcomes: Vec<RuleOutcome>,
    pub period: (fundguard_model::Seconds, fundguard_model::Seconds),
    pub netting: fundguard_engine::NettingStats,
    pub provider_types: std::collections::BTreeMap<String, String>,
    pub providers: std::collections::BTreeMap<String, fundguard_report::ProviderFacts>,
    pub stages: Vec<Stage>,
    /// The month in memory, which the report's pictures are drawn from (`None` out of core).
    pub dump: Option<fundguard_model::Dump>,
    pub partitions: Option<crate::outofcore::PartitionAccount>,
}

/// Reads the whole month into memory and runs every rule on it.
fn analyse(
    a: &RunArgs<'_>,
    cfg: &Config,
    rulebase: Option<&RuleBase>,
    options: &IngestOptions,
    key: Option<&[u8]>,
    say: &(dyn Fn(String) + Sync),
) -> Result<Analysed, Failure> {
    let mut stages = Vec::new();
    let t = Instant::now();
    say(format!("reading {} …", a.input.display()));
    let mut ingested = ingest(a.input, options).map_err(|e| Failure::Input(e.into()))?;
    stages.push(Stage {
        stage: "ingest",
        millis: t.elapsed().as_millis() as u64,
    });
    let read: usize = ingested.report.tables.iter().map(|t| t.read).sum();
    say(format!(
        "read {read} rows in {:.1} s; building indexes …",
        t.elapsed().as_secs_f64()
    ));
    let t = Instant::now();
    let mut result = fundguard_engine::run_with_progress(
        &ingested.dump,
        &cfg.run,
        &cfg.rules,
        rulebase,
        &|done, total, rule| say(format!("rules {done}/{total} done (last: {rule})")),
    );
    say("scoring and writing the outputs …".to_string());
    let custom = fundguard_custom::run_all(
        &ingested.dump,
        &cfg.custom,
        &cfg.run.disable,
        &cfg.run.severity,
        &mut result.outcomes,
    );
    stages.push(Stage {
        stage: "index",
        millis: result.index_millis,
    });
    stages.push(Stage {
        stage: "rules",
        millis: (t.elapsed().as_millis() as u64).saturating_sub(result.index_millis),
    });
    let mut rows_zh = hit_rows(&ingested.dump, &result.hits, &custom, Language::Zh);
    let mut rows_en = hit_rows(&ingested.dump, &result.hits, &custom, Language::En);
    if let Some(key) = key {
        let p = crate::pseudo::Pseudonymizer::new(key.to_vec(), &ingested.dump.dicts.patients);
        p.rows(&mut rows_zh);
        p.rows(&mut rows_en);
        p.rejects(&mut ingested.rejects);
    }
    let mut providers = provider_facts(&ingested.dump);
    crate::evidence::admissions(&ingested.dump, result.period, &mut providers);
    Ok(Analysed {
        provider_types: provider_types(&ingested.dump),
        providers,
        report: ingested.report,
        rejects: ingested.rejects,
        rows_zh,
        rows_en,
        outcomes: result.outcomes,
        period: result.period,
        netting: result.netting,
        stages,
        dump: Some(ingested.dump),
        partitions: None,
    })
}

/// The most memory (as estimated) one partition of an out-of-core run is given: about 250,000
/// people of the realistic month.
const PART_BYTES: u64 = 1 << 30;

/// Partitions per set for an out-of-core run, 0 when the month fits in memory: the dump's
/// estimated need ([`fundguard_ingest::estimate_memory`]) against the budget (`--memory-limit`,
/// else `FUNDGUARD_MEMORY_LIMIT`, else what the machine has available), each partition given at
/// most half of the budget and at most [`PART_BYTES`].
pub fn plan_partitions(input: &Path, limit: Option<u64>) -> Result<usize, Failure> {
    let Some(available) = limit.or_else(available_memory).filter(|_| input.is_dir()) else {
        return Ok(0); // ingest says what is wrong with an input that is not a directory
    };
    let need = fundguard_ingest::estimate_memory(input).map_err(|e| Failure::Input(e.into()))?;
    if need <= available {
        return Ok(0);
    }
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    // Out of core reads the contract's Parquet tables; a text dump must be imported first.
    let text = fundguard_model::Table::ALL.iter().any(|&t| {
        fundguard_ingest::locate(input, t).is_ok_and(|files| {
            files.iter().any(|f| {
                !f.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
            })
        })
    }) || fundguard_ingest::locate(input, fundguard_model::Table::Visits)
        .is_ok_and(|f| f.is_empty());
    if text {
        return Err(Failure::Input(anyhow::anyhow!(
            "{} needs about {:.1} GiB of memory (estimated from its files) and {:.1} GiB are available; a month this large runs out of core from Parquet: convert it with `fundguard import` (on a machine where it fits) and run the imported dump, or run it on a larger machine",
            input.display(),
            gib(need),
            gib(available)
        )));
    }
    // Each partition gets at most half the budget and at most PART_BYTES: the engine's time
    // grows faster than its input, so many moderate partitions beat few large ones.
    let parts = need.div_ceil((available / 2).max(1)) as usize;
    if parts > fundguard_ingest::partition::MAX_PARTS {
        return Err(Failure::Input(anyhow::anyhow!(
            "{} needs about {:.1} GiB of memory (estimated from its files) and {:.1} GiB are available: even cut into {} partitions a part would not fit; run it on a larger machine",
            input.display(),
            gib(need),
            gib(available),
            fundguard_ingest::partition::MAX_PARTS
        )));
    }
    Ok((need.div_ceil(PART_BYTES) as usize).clamp(parts, fundguard_ingest::partition::MAX_PARTS))
}

/// How a run's month is analysed: in memory, out of core, or from partitions judged elsewhere
/// ([`crate::parts::finish_run`]).
pub(crate) type Analyse<'f> = dyn FnMut(
        &RunArgs<'_>,
        &Config,
        Option<&RuleBase>,
        &IngestOptions,
        Option<&[u8]>,
        &(dyn Fn(String) + Sync),
    ) -> Result<Analysed, Failure>
    + 'f;

/// Runs everything; returns the number of hits.
pub fn run(a: &RunArgs<'_>) -> Result<usize, Failure> {
    run_with(a, 0, &mut |a, cfg, rulebase, options, key, say| {
        let parts = match a.partitions {
            Some(n) => n,
            None => plan_partitions(a.input, a.memory_limit)?,
        };
        if parts > 0 {
            crate::outofcore::analyse(a, cfg, rulebase, options, key, parts, say)
        } else {
            analyse(a, cfg, rulebase, options, key, say)
        }
    })
}

/// [`run`] with the month analysed by `analysing`; `earlier_ms` is the time the run took before
/// (elsewhere), counted in its total.
pub(crate) fn run_with(
    a: &RunArgs<'_>,
    earlier_ms: u64,
    analysing: &mut Analyse<'_>,
) -> Result<usize, Failure> {
    let total = Instant::now();
    let cfg = load_config(a.config)?;
    let feedback = match a.feedback {
        Some(p) => Some(
            fundguard_ingest::records::read_text(p)
                .and_then(|text| {
                    fundguard_scoring::Feedback::parse(&text, &p.display().to_string())
                })
                .map_err(|e| Failure::Config(anyhow::anyhow!("feedback: {e}")))?,
        ),
        None => None,
    };
    let baseline = match a.baseline {
        Some(d) => Some(
            fundguard_ingest::records::read_leads(&d.join("leads.parquet"))
                .map_err(|e| Failure::Input(anyhow::anyhow!("baseline: {e}")))?,
        ),
        None => None,
    };
    let crate::parts::Setup {
        cfg,
        rulebase,
        options,
        key,
    } = crate::parts::Setup::with(cfg, a.rulebase, a.mapping, a.null_values, a.pseudonymize)?;
    if let Some(rb) = &rulebase {
        for p in &rb.problems {
            eprintln!("warning: rule base: {p}; the rules that need it are skipped");
        }
    }
    // Progress on stderr, for a person watching: only when it is a terminal and not --quiet.
    let progress = !a.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let say = |text: String| {
        if progress {
            eprint!("\r\x1b[2K{text}");
        }
    };
    let mut analysed = analysing(a, &cfg, rulebase.as_ref(), &options, key.as_deref(), &say)?;
    let t = Instant::now();
    // Everything is written into a temporary directory beside the target and renamed into place
    // only when complete: an interrupted or failed run leaves the previous output as it was.
    let staging = Staging::new(a.out)?;
    let out = |name: &str| -> PathBuf { staging.dir.join(name) };
    let (rows_zh, rows_en) = (&analysed.rows_zh, &analysed.rows_en);
    let pseudo = match (&key, &analysed.dump) {
        (Some(key), Some(dump)) => Some(crate::pseudo::Pseudonymizer::new(
            key.clone(),
            &dump.dicts.patients,
        )),
        _ => None,
    };
    let rows = match cfg.run.language {
        Language::Zh => rows_zh,
        Language::En => rows_en,
    };
    let names = cfg.rule_names();
    // Whitelisted hits stay in hits.parquet (the evidence) but leave the leads and the report.
    // Without feedback every hit goes on: borrowed, not copied.
    let keep = feedback.as_ref().map(|f| f.keep(rows));
    let (kept_zh, kept_en) = (
        kept(rows_zh, keep.as_deref()),
        kept(rows_en, keep.as_deref()),
    );
    let kept_rows = match cfg.run.language {
        Language::Zh => &kept_zh,
        Language::En => &kept_en,
    };
    let mut leads = fundguard_scoring::leads::build_with(
        kept_rows,
        &cfg.leads,
        &names,
        cfg.run.language,
        |h, lead| feedback.as_ref().is_some_and(|f| f.suppresses_in(h, lead)),
    );
    let feedback_account = feedback.as_ref().map(|f| {
        let all = fundguard_scoring::leads::build(rows, &cfg.leads, &names, cfg.run.language);
        f.account(rows.len() - kept_rows.len(), &all, &leads)
    });
    // Doctors' points count in the calendar year of the period's last settlement.
    let year = fundguard_model::civil_from_days(fundguard_model::day_of(analysed.period.1)).0;
    for l in leads.iter_mut().filter(|l| l.points.is_some()) {
        l.points_year = Some(year);
    }
    let baseline_counts = baseline
        .as_ref()
        .map(|b| fundguard_scoring::feedback::compare(&mut leads, b));
    let run_id = run_id(&cfg, &analysed.report);
    // The footer carries what makes the content: engine version (added by the writer) and
    // configuration. Not the run id: the same rows in another order or file layout must give the
    // same bytes.
    let meta = vec![("fundguard.config_sha256".to_string(), cfg.hash())];
    write_hits(&out("hits.parquet"), rows, &meta)
        .map_err(|e| Failure::Output(anyhow::anyhow!("writing hits.parquet: {e}")))?;
    write_leads(&out("leads.parquet"), &leads, &meta)
        .map_err(|e| Failure::Output(anyhow::anyhow!("writing leads.parquet: {e}")))?;
    write_rejects(&out("rejects.parquet"), &analysed.rejects)
        .map_err(|e| Failure::Output(e.into()))?;
    let effective = cfg.to_toml();
    write_file(&out("config.toml"), &effective)?;
    let evidence = match &analysed.dump {
        Some(dump) => crate::evidence::evidence(
            dump,
            &leads,
            kept_rows,
            cfg.leads.report_pictures,
            cfg.leads.dossiers,
            fundguard_model::day_of(analysed.period.1),
            pseudo.as_ref(),
        ),
        // Out of core the month is not in memory: no pictures, no person facts in dossiers.
        None => crate::evidence::Evidence::default(),
    };
    let baseline_report = baseline.as_ref().map(|b| fundguard_report::Baseline {
        leads: b.len(),
        counts: baseline_counts.clone().unwrap_or_default(),
    });
    let period = format!(
        "{} 至 {}",
        fundguard_model::Date(fundguard_model::day_of(analysed.period.0)),
        fundguard_model::Date(fundguard_model::day_of(analysed.period.1))
    );
    let report = fundguard_report::Report {
        run_id: &run_id,
        version: env!("CARGO_PKG_VERSION"),
        input: &a.input.display().to_string(),
        rows_read: analysed.report.tables.iter().map(|t| t.read).sum(),
        rows_rejected: analysed.report.total_rejected(),
        rules: analysed.outcomes.iter().map(rule_line).collect(),
        leads: &leads,
        hits_zh: &kept_zh,
        hits_en: &kept_en,
        provider_types: &analysed.provider_types,
        providers: &analysed.providers,
        place: (&cfg.report.province, &cfg.report.city),
        period: &period,
        legal_bases: &cfg.report.legal_bases,
        people: &evidence.people,
        pictures: &evidence.pictures,
        pictures_for: cfg.leads.report_pictures,
        baseline: baseline_report.as_ref(),
        feedback: feedback_account.as_ref(),
        names: &names,
        top: cfg.leads.report_top,
        dossiers: cfg.leads.dossiers,
        referral_yuan: cfg.leads.referral_yuan,
    };
    write_file(&out("report.html"), &fundguard_report::html(&report))?;
    let cases = out("cases");
    for l in leads.iter().take(cfg.leads.dossiers) {
        let md = fundguard_report::dossier(&report, l);
        write_file(&cases.join(format!("{}.md", l.lead_id)), &md)?;
        let path = cases.join(format!("{}.docx", l.lead_id));
        fundguard_report::docx(&md)
            .and_then(|b| std::fs::write(&path, b))
            .with_context(|| format!("writing {}", path.display()))
            .map_err(Failure::Output)?;
    }
    let book = fundguard_report::xlsx(&report)
        .map_err(|e| Failure::Output(anyhow::anyhow!("building leads.xlsx: {e}")))?;
    std::fs::write(out("leads.xlsx"), book)
        .context("writing leads.xlsx")
        .map_err(Failure::Output)?;
    let mut stages = std::mem::take(&mut analysed.stages);
    stages.push(Stage {
        stage: "output",
        millis: t.elapsed().as_millis() as u64,
    });
    stages.push(Stage {
        stage: "total",
        millis: earlier_ms + total.elapsed().as_millis() as u64,
    });
    let manifest = Manifest {
        engine: "fundguard",
        version: env!("CARGO_PKG_VERSION"),
        run_id,
        pseudonymized: a.pseudonymize.is_some(),
        input: a.input,
        config_file: a.config,
        config_sha256: cfg.hash(),
        config: toml::from_str(&effective).expect("own TOML parses"),
        rulebase: rulebase.as_ref().map(|rb| RuleBaseAccount {
            dir: &rb.dir,
            tables: &rb.loaded,
            problems: rb.problems.iter().map(ToString::to_string).collect(),
        }),
        ingest: &analysed.report,
        partitions: analysed.partitions.as_ref(),
        netting: analysed.netting,
        rules: &analysed.outcomes,
        hits: rows.len(),
        leads: LeadCounts {
            leads: leads.len(),
            referral: leads.iter().filter(|l| l.referral).count(),
            amount_fen: fundguard_scoring::amount_once(rows, &(0..rows.len()).collect::<Vec<_>>()),
        },
        feedback: feedback_account,
        baseline: a.baseline.map(|dir| Baseline {
            run: dir,
            leads: baseline_counts.clone().unwrap_or_default(),
        }),
        stages,
        peak_rss_bytes: peak_rss(),
    };
    let json = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
    write_file(&out("manifest.json"), &(json + "\n"))?;
    let failed: Vec<String> = analysed
        .outcomes
        .iter()
        .filter_map(|o| match &o.outcome {
            Outcome::Failed { error } => Some(format!("{}: {error}", o.rule_id)),
            _ => None,
        })
        .collect();
    if !failed.is_empty() && !a.keep_going {
        let kept = staging.abandon()?;
        return Err(Failure::Rule(anyhow::anyhow!(
            "rules failed: {}; {} is unchanged, this run's outputs (with its manifest) are in {} (use --keep-going to accept them)",
            failed.join("; "),
            a.out.display(),
            kept.display()
        )));
    }
    staging.commit()?;
    if progress {
        eprint!("\r\x1b[2K");
    }

    if !a.quiet {
        print_summary(&analysed, &manifest, a.out);
        if let Some(f) = &manifest.feedback {
            println!(
                "feedback: {} verdicts (past precision {}), {} hits whitelisted, {} leads left out; {} of this run's leads confirmed before, {} judged false positives",
                f.rows,
                f.past_precision.map_or("-".into(), |p| format!("{p:.2}")),
                f.suppressed_hits,
                f.suppressed_leads,
                f.leads_confirmed_before,
                f.leads_false_positive_before
            );
        }
        if let Some(b) = &manifest.baseline {
            let counts: Vec<String> = b.leads.iter().map(|(k, v)| format!("{v} {k}")).collect();
            println!("against {}: {}", b.run.display(), counts.join(", "));
        }
        print_leads(&leads, 10);
    }
    if !failed.is_empty() {
        eprintln!(
            "warning: rules failed (their hits are missing; kept with --keep-going): {}",
            failed.join("; ")
        );
    }
    Ok(rows.len())
}

#[derive(Serialize)]
struct Baseline<'a> {
    run: &'a Path,
    leads: std::collections::BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct LeadCounts {
    leads: usize,
    /// Leads whose amount reaches the referral threshold.
    referral: usize,
    /// Money at risk over all hits, each line counted once.
    amount_fen: i64,
}

/// Every hit as the contract's row, built-in and custom, in output order (by rule id, subject,
/// visit, first line), evidence in `lang`.
fn hit_rows(
    dump: &fundguard_model::Dump,
    hits: &[fundguard_engine::Hit],
    custom: &[(HitRow, String)],
    lang: Language,
) -> Vec<HitRow> {
    let mut rows = fundguard_engine::hit_rows(dump, hits, lang);
    rows.extend(custom.iter().map(|(h, en)| {
        let mut h = h.clone();
        if lang == Language::En {
            h.evidence.clone_from(en);
        }
        h
    }));
    fundguard_model::sort_hit_rows(&mut rows);
    rows
}

/// The rows `keep` keeps; all of them, borrowed, without a mask.
fn kept<'r>(rows: &'r [HitRow], keep: Option<&[bool]>) -> std::borrow::Cow<'r, [HitRow]> {
    match keep {
        None => std::borrow::Cow::Borrowed(rows),
        Some(keep) => std::borrow::Cow::Owned(
            rows.iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(h, _)| h.clone())
                .collect(),
        ),
    }
}

/// The report's line for one rule outcome.
fn rule_line(o: &RuleOutcome) -> fundguard_report::RuleLine {
    let (status, hits, amount_fen, note) = match &o.outcome {
        Outcome::Ran {
            hits, amount_fen, ..
        } => ("ran", *hits, *amount_fen, String::new()),
        Outcome::Skipped { reason } => ("skipped", 0, 0, reason.clone()),
        Outcome::Failed { error } => ("failed", 0, 0, error.clone()),
    };
    fundguard_report::RuleLine {
        rule_id: o.rule_id.clone(),
        family: o.family.as_str().to_string(),
        status: status.into(),
        hits,
        amount_fen,
        note,
    }
}

/// Kind of every provider of the dump (`unknown` without a providers table or type).
pub(crate) fn provider_types(
    dump: &fundguard_model::Dump,
) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for p in dump.dicts.providers.iter() {
        out.insert(p.to_string(), "unknown".to_string());
    }
    if let Some(t) = &dump.providers {
        for (i, &p) in t.provider.iter().enumerate() {
            out.insert(
                dump.dicts.providers.get(p).to_string(),
                t.provider_type[i].as_str().to_string(),
            );
        }
    }
    out
}

/// Name, level and beds of each provider the providers table lists.
pub(crate) fn provider_facts(
    dump: &fundguard_model::Dump,
) -> std::collections::BTreeMap<String, fundguard_report::ProviderFacts> {
    let mut out = std::collections::BTreeMap::new();
    if let Some(t) = &dump.providers {
        let d = &dump.dicts;
        for (i, &p) in t.provider.iter().enumerate() {
            out.insert(
                d.providers.get(p).to_string(),
                fundguard_report::ProviderFacts {
                    name: d.provider_names.get_opt(t.name[i]).map(str::to_string),
                    level: d.codes.get_opt(t.level[i]).map(str::to_string),
                    beds: (t.beds[i] != fundguard_model::NULL_I64).then_some(t.beds[i]),
                    ..Default::default()
                },
            );
        }
    }
    out
}

/// Hash of the effective configuration and of every input file, in table and file order.
fn run_id(cfg: &Config, report: &fundguard_ingest::IngestReport) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(cfg.hash().as_bytes());
    for t in &report.tables {
        for f in &t.files {
            h.update(f.sha256.as_bytes());
        }
    }
    h.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The top `n` leads, one line each.
pub fn print_leads(leads: &[Lead], n: usize) {
    if leads.is_empty() {
        return;
    }
    println!("top leads (of {}):", leads.len());
    for l in leads.iter().take(n) {
        println!(
            "{:>4}  {}  {:>7.3}  {:>12}  {}",
            l.rank,
            l.lead_id,
            l.score,
            fundguard_model::yuan(l.amount_fen).to_string(),
            l.headline
        );
    }
}

/// A run's outputs being written: a hidden directory beside the target, renamed into place by
/// [`Staging::commit`]. Leftovers of runs that were killed are removed when the next run starts.
struct Staging {
    dir: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staging {
    fn sibling(target: &Path, tag: &str) -> PathBuf {
        let name = target
            .file_name()
            .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
        target.with_file_name(format!(".{name}.{tag}"))
    }

    fn new(target: &Path) -> Result<Staging, Failure> {
        let fail = |e: std::io::Error, what: &Path| {
            Failure::Output(anyhow::anyhow!("{}: {e}", what.display()))
        };
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| fail(e, &parent))?;
        // Clear what killed runs left behind (only this target's directories): staging
        // directories go; previous outputs set aside by a run killed while committing go too, or
        // are put back when the kill came between its two renames and the target is missing.
        let prefix = |tag: &str| {
            Self::sibling(target, tag)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let (tmp, old) = (prefix("tmp-"), prefix("old-"));
        let mut left: Vec<PathBuf> = std::fs::read_dir(&parent)
            .map(|entries| {
                entries
                    .flatten()
                    .filter(|e| {
                        let n = e.file_name().to_string_lossy().into_owned();
                        n.starts_with(&tmp) || n.starts_with(&old)
                    })
                    .map(|e| e.path())
                    .collect()
            })
            .unwrap_or_default();
        left.sort();
        for path in left {
            let is_old = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&old));
            if is_old && !target.exists() && std::fs::rename(&path, target).is_ok() {
                continue;
            }
            let _ = std::fs::remove_dir_all(&path);
        }
        let dir = Self::sibling(target, &format!("tmp-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("cases")).map_err(|e| fail(e, &dir))?;
        Ok(Staging {
            dir,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// Puts the outputs in place of the target (the previous outputs are removed only after).
    fn commit(mut self) -> Result<(), Failure> {
        let fail = |e: std::io::Error, what: &Path| {
            Failure::Output(anyhow::anyhow!("{}: {e}", what.display()))
        };
        let old = Self::sibling(&self.target, &format!("old-{}", std::process::id()));
        if self.target.exists() {
            std::fs::rename(&self.target, &old).map_err(|e| fail(e, &self.target))?;
        }
        if let Err(e) = std::fs::rename(&self.dir, &self.target) {
            // Put the previous outputs back before reporting.
            let _ = std::fs::rename(&old, &self.target);
            return Err(fail(e, &self.target));
        }
        self.committed = true;
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    }

    /// Keeps this run's outputs beside the target as `<target>.failed`, leaving the target alone.
    fn abandon(mut self) -> Result<PathBuf, Failure> {
        let kept = PathBuf::from(format!("{}.failed", self.target.display()));
        let _ = std::fs::remove_dir_all(&kept);
        std::fs::rename(&self.dir, &kept)
            .map_err(|e| Failure::Output(anyhow::anyhow!("{}: {e}", kept.display())))?;
        self.committed = true;
        Ok(kept)
    }
}

impl Drop for Staging {
    /// A run that stops with an error removes its partial outputs.
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text)
        .with_context(|| format!("writing {}", path.display()))
        .map_err(Failure::Output)
}

/// The line `validate` and `run` print for an extract that feeds no table.
pub fn unused_extract(u: &fundguard_ingest::UnusedExtract) -> String {
    format!(
        "note: {} read, not used ({}): {} rows, {} of visits of the month, {} unreadable",
        u.file.display(),
        u.why,
        u.rows,
        u.linked,
        u.unreadable
    )
}

fn print_summary(analysed: &Analysed, m: &Manifest<'_>, out: &Path) {
    let read: usize = analysed.report.tables.iter().map(|t| t.read).sum();
    let nulls = analysed.report.null_cells();
    println!(
        "read {read} rows ({} rejected){}; {} reversal lines netted, {} refund settlements",
        analysed.report.total_rejected(),
        if nulls > 0 {
            format!("; {nulls} cells spelling a missing value (NA, NULL …) read as empty")
        } else {
            String::new()
        },
        analysed.netting.reversal_lines,
        analysed.netting.refund_visits
    );
    for u in &analysed.report.unused_extracts {
        println!("{}", unused_extract(u));
    }
    if let Some(p) = &analysed.partitions {
        match p.bytes {
            Some(bytes) => println!(
                "out of core: {} partitions per set, {:.1} GB written to {} ({:.1} GB at most at once; removed)",
                p.parts,
                bytes as f64 / 1e9,
                p.dir.display(),
                p.peak_bytes.unwrap_or(bytes) as f64 / 1e9
            ),
            None => println!(
                "out of core: {} partitions per set, judged by {}",
                p.parts,
                p.dir.display()
            ),
        }
        if p.doctors_in_several > 0 {
            println!(
                "warning: {} doctors bill at providers of several partitions; phantom_service.doctor_volume judged their days per partition",
                p.doctors_in_several
            );
        }
    }
    println!(
        "{:<34} {:>8} {:>16} {:>8}",
        "rule", "hits", "amount (yuan)", "ms"
    );
    for o in &analysed.outcomes {
        match &o.outcome {
            Outcome::Ran {
                hits,
                amount_fen,
                millis,
            } => println!(
                "{:<34} {:>8} {:>16} {:>8}",
                o.rule_id,
                hits,
                fundguard_model::yuan(*amount_fen).to_string(),
                millis
            ),
            Outcome::Skipped { reason } => println!("{:<34} skipped: {reason}", o.rule_id),
            Outcome::Failed { error } => println!("{:<34} FAILED: {error}", o.rule_id),
        }
    }
    let stages: Vec<String> = m
        .stages
        .iter()
        .map(|s| format!("{} {:.2} s", s.stage, s.millis as f64 / 1000.0))
        .collect();
    println!("{}", stages.join(", "));
    if let Some(rss) = m.peak_rss_bytes {
        println!("peak memory {:.0} MiB", rss as f64 / 1048576.0);
    }
    println!("{} hits: {}", m.hits, out.join("hits.parquet").display());
}
