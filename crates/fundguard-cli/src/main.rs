//! The `fundguard` command line. Only this crate knows about clap, the terminal and exit codes.
//!
//! Exit codes: 0 success; 2 usage error; 3 the input dump (or rule base) is unusable (a required
//! table or column is missing, a file cannot be read); 4 an output could not be written; 5 the
//! configuration file is invalid; 6 a rule failed (the other rules' outputs are written).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use fundguard_ingest::{ingest, write_rejects, IngestError, IngestOptions, Ingested};
use fundguard_synth::{Encoding, Format, SynthConfig};

use fundguard_cli::{run, sweep, Failure};

/// Finds fraud in medical-insurance claims dumps.
#[derive(Parser)]
#[command(name = "fundguard", version, about, long_about = None)]
struct Cli {
    /// Worker threads (default: RAYON_NUM_THREADS or POLARS_MAX_THREADS when set, else every
    /// core). Results do not depend on it.
    #[arg(long, global = true)]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

/// Sets the thread count of rayon and polars before either starts: `--threads`, else the
/// environment (`RAYON_NUM_THREADS`, `POLARS_MAX_THREADS`), else every core.
fn set_threads(threads: Option<usize>) {
    let from_env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<usize>().ok());
    let n = threads
        .or_else(|| from_env("RAYON_NUM_THREADS"))
        .or_else(|| from_env("POLARS_MAX_THREADS"))
        .filter(|n| *n > 0);
    if let Some(n) = n {
        std::env::set_var("POLARS_MAX_THREADS", n.to_string());
        std::env::set_var("RAYON_NUM_THREADS", n.to_string());
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global();
    }
}

#[derive(Subcommand)]
enum Command {
    /// Generates a small synthetic month, runs everything on it, prints the top leads and says
    /// where the report is.
    Demo {
        /// Where to put the demo's dump and outputs.
        #[arg(long, default_value = "out/demo")]
        out: PathBuf,
        /// Insured people in the demo month.
        #[arg(long, default_value_t = 20_000)]
        patients: u32,
        /// The national rule base (layout of shared/data/nhsa-rules); rules that need it are
        /// skipped without it.
        #[arg(long)]
        rulebase: Option<PathBuf>,
    },
    /// Runs every rule over a dump and writes hits.parquet, leads.parquet, report.html, case
    /// dossiers, leads.xlsx, rejects.parquet, config.toml and manifest.json.
    Run(run::RunOptions),
    /// Lists the rules with their names, family and parameters.
    Rules {
        /// Print the rule reference as Markdown (docs/rules.md is this output).
        #[arg(long, conflicts_with = "config_template")]
        markdown: bool,
        /// Print the effective configuration with every default, as a starting point.
        #[arg(long)]
        config_template: bool,
        /// Show parameters as set by this configuration.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Reads and validates a dump; every row is accepted or rejected with a reason.
    Validate {
        /// The dump directory (visits, line_items, and optional patients, providers, catalog,
        /// purchases; each as .parquet, .csv or a folder of such files).
        #[arg(long)]
        input: PathBuf,
        /// Where to write rejects.parquet and ingest.json (nothing is written without it).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Most rejects to print.
        #[arg(long, default_value_t = 10)]
        show: usize,
        /// A mapping file (TOML) for a foreign layout (see docs/mapping.md).
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Extra spellings of a missing value in text inputs, comma-separated (`NA,-,9999-12-31`):
        /// read as empty in every column. The common ones (`NA`, `NULL`, `\N`, `-` …) are read as
        /// empty anyway in time, date, number and flag columns.
        #[arg(long, value_name = "MARKERS", value_delimiter = ',')]
        null_values: Vec<String>,
    },
    /// Reads and validates a dump once (national extracts, CSV in any encoding, a mapped
    /// layout) and writes what was accepted as the contract's tables in Parquet: visits and line
    /// items by month and bucket of patients, the rest one file each, with the rejects and the
    /// account beside them. Runs and analysts then read Parquet (docs/ingest.md).
    Import {
        /// The dump directory to read.
        #[arg(long)]
        input: PathBuf,
        /// The directory to write (new, or empty).
        #[arg(long)]
        out: PathBuf,
        /// Buckets of patients per month for visits and line items (a file each).
        #[arg(long, default_value_t = 8)]
        buckets: usize,
        /// A mapping file (TOML) for a foreign layout (see docs/mapping.md).
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Extra spellings of a missing value in text inputs, comma-separated.
        #[arg(long, value_name = "MARKERS", value_delimiter = ',')]
        null_values: Vec<String>,
    },
    /// Measures a run against a generated dump's truth: recall per family, look-alikes flagged,
    /// precision of the top leads.
    Eval {
        /// The run directory (hits.parquet, leads.parquet).
        #[arg(long)]
        run: PathBuf,
        /// The generated dump (labels.parquet, decoys.parquet).
        #[arg(long)]
        truth: PathBuf,
        /// Precision is reported at these K (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "10,50,100")]
        k: Vec<usize>,
        /// A found case's amount is right within this share of the labelled amount.
        #[arg(long, default_value_t = 0.10)]
        amount_tolerance: f64,
        /// Also write the evaluation as JSON here (default: RUN/eval.json).
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// One rule's quality on a generated month as one parameter moves: cases found, look-alikes
    /// flagged, precision and honest subjects flagged per 10,000, as a Markdown table.
    Sweep {
        /// The generated dump (with labels.parquet and decoys.parquet).
        #[arg(long)]
        input: PathBuf,
        /// The rule, e.g. card_pooling.burst.
        #[arg(long)]
        rule: String,
        /// The parameter, e.g. min_cards.
        #[arg(long)]
        param: String,
        /// Its values (comma-separated TOML values).
        #[arg(long, value_delimiter = ',', required = true)]
        values: Vec<String>,
        /// Where labels.parquet and decoys.parquet are (default: the input).
        #[arg(long)]
        truth: Option<PathBuf>,
        #[arg(long)]
        config: Option<PathBuf>,
        #[arg(long)]
        rulebase: Option<PathBuf>,
        #[arg(long, default_value_t = 0.10)]
        amount_tolerance: f64,
        /// How to name the month in the table's heading.
        #[arg(long)]
        label: Option<String>,
        /// Also write the points as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Writes a synthetic month with injected, labelled frauds and look-alikes.
    Synth {
        #[arg(long)]
        out: PathBuf,
        /// Insured people (about 20 line items each).
        #[arg(long, default_value_t = 10_000)]
        patients: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The month, YYYY-MM.
        #[arg(long, default_value = "2026-03", value_parser = parse_month)]
        month: (i32, u32),
        #[arg(long, value_enum, default_value_t = FormatArg::Parquet)]
        format: FormatArg,
        /// Text encoding of CSV output.
        #[arg(long, value_enum, default_value_t = EncodingArg::Utf8)]
        encoding: EncodingArg,
        /// Injected cases of each kind per 10,000 people (at least 3 of each).
        #[arg(long, default_value_t = 2.0)]
        cases_per_10k: f64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Parquet,
    Csv,
    /// The national platform's extract tables (MDTRT_D, SETL_D, FEE_LIST_D, PSN_INFO_B,
    /// FIXMEDINS_B), `|`-delimited with `@|…|@` enclosures.
    Nhsa,
}

#[derive(Clone, Copy, ValueEnum)]
enum EncodingArg {
    Utf8,
    Gbk,
}

fn parse_month(s: &str) -> Result<(i32, u32), String> {
    let (y, m) = s
        .split_once('-')
        .ok_or_else(|| format!("`{s}` is not YYYY-MM"))?;
    let y: i32 = y.parse().map_err(|_| format!("`{s}` is not YYYY-MM"))?;
    let m: u32 = m.parse().map_err(|_| format!("`{s}` is not YYYY-MM"))?;
    if (1..=12).contains(&m) {
        Ok((y, m))
    } else {
        Err(format!("`{s}`: month must be 01-12"))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    set_threads(cli.threads);
    let result = match cli.command {
        Command::Demo {
            out,
            patients,
            rulebase,
        } => demo(&out, patients, rulebase.as_deref()),
        Command::Run(options) => run::run(&options.args()).map(|_| ()),
        Command::Rules {
            markdown,
            config_template,
            config,
        } => rules(markdown, config_template, config.as_deref()),
        Command::Eval {
            run,
            truth,
            k,
            amount_tolerance,
            json,
        } => eval(&run, &truth, &k, amount_tolerance, json.as_deref()),
        Command::Validate {
            input,
            out,
            show,
            mapping,
            null_values,
        } => validate(
            &input,
            out.as_deref(),
            show,
            mapping.as_deref(),
            &null_values,
        )
        .map(|_| ()),
        Command::Import {
            input,
            out,
            buckets,
            mapping,
            null_values,
        } => import(&input, &out, buckets, mapping.as_deref(), &null_values),
        Command::Sweep {
            input,
            rule,
            param,
            values,
            truth,
            config,
            rulebase,
            amount_tolerance,
            label,
            json,
        } => sweep::sweep(&sweep::SweepArgs {
            input: &input,
            truth: truth.as_deref(),
            config: config.as_deref(),
            rulebase: rulebase.as_deref(),
            rule: &rule,
            param: &param,
            values: &values,
            amount_tolerance,
        })
        .and_then(|points| {
            sweep::print(&rule, &param, label.as_deref(), &points);
            match json {
                Some(path) => std::fs::write(
                    &path,
                    serde_json::to_string_pretty(&points).expect("points serialise") + "\n",
                )
                .with_context(|| format!("writing {}", path.display()))
                .map_err(Failure::Output),
                None => Ok(()),
            }
        }),
        Command::Synth {
            out,
            patients,
            seed,
            month,
            format,
            encoding,
            cases_per_10k,
        } => {
            let cfg = SynthConfig {
                patients,
                seed,
                year: month.0,
                month: month.1,
                format: match (format, encoding) {
                    (FormatArg::Parquet, _) => Format::Parquet,
                    (FormatArg::Csv, EncodingArg::Utf8) => Format::Csv(Encoding::Utf8),
                    (FormatArg::Csv, EncodingArg::Gbk) => Format::Csv(Encoding::Gbk),
                    (FormatArg::Nhsa, EncodingArg::Utf8) => Format::Nhsa(Encoding::Utf8),
                    (FormatArg::Nhsa, EncodingArg::Gbk) => Format::Nhsa(Encoding::Gbk),
                },
                rates: fundguard_synth::Rates {
                    per_10k: cases_per_10k,
                    ..Default::default()
                },
            };
            synth(&cfg, &out)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {:#}", f.error());
            ExitCode::from(f.code())
        }
    }
}

fn synth(cfg: &SynthConfig, out: &Path) -> Result<(), Failure> {
    let started = Instant::now();
    let s = fundguard_synth::generate(cfg, out)
        .with_context(|| format!("writing a synthetic dump to {}", out.display()))
        .map_err(Failure::Output)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "wrote {} visits and {} line items for {} people, {} providers ({secs:.1} s, {:.0} line items/s)",
        s.visits,
        s.line_items,
        s.patients,
        s.providers,
        s.line_items as f64 / secs.max(1e-9)
    );
    println!(
        "injected cases: {} in labels.parquet; look-alikes: {} in decoys.parquet",
        s.labels, s.decoys
    );
    println!("dump: {}", out.display());
    Ok(())
}

fn validate(
    input: &Path,
    out: Option<&Path>,
    show: usize,
    mapping: Option<&Path>,
    null_values: &[String],
) -> Result<Ingested, Failure> {
    let options = IngestOptions {
        mapping: run::load_mapping(mapping)?,
        nulls: fundguard_ingest::NullMarkers {
            declared: null_values.to_vec(),
        },
        ..IngestOptions::default()
    };
    run::check_memory(input)?;
    let started = Instant::now();
    let ingested = ingest(input, &options).map_err(|e: IngestError| Failure::Input(e.into()))?;
    let secs = started.elapsed().as_secs_f64();
    print_report(&ingested, secs, show);
    if let Some(out) = out {
        std::fs::create_dir_all(out)
            .with_context(|| format!("creating {}", out.display()))
            .map_err(Failure::Output)?;
        let path = out.join("rejects.parquet");
        write_rejects(&path, &ingested.rejects).map_err(|e| Failure::Output(e.into()))?;
        let json = serde_json::to_string_pretty(&ingested.report).expect("report serialises");
        let report = out.join("ingest.json");
        std::fs::write(&report, json + "\n")
            .with_context(|| format!("writing {}", report.display()))
            .map_err(Failure::Output)?;
        println!(
            "rejects: {} ({} rows); account: {}",
            path.display(),
            ingested.rejects.len(),
            report.display()
        );
    }
    Ok(ingested)
}

fn import(
    input: &Path,
    out: &Path,
    buckets: usize,
    mapping: Option<&Path>,
    null_values: &[String],
) -> Result<(), Failure> {
    if std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Failure::Output(anyhow::anyhow!(
            "{}: not empty; import writes a new dump into an empty or new directory",
            out.display()
        )));
    }
    let started = Instant::now();
    let ingested = validate(input, None, 10, mapping, null_values)?;
    let written = fundguard_cli::import::write(&ingested.dump, out, buckets)
        .map_err(|e| Failure::Output(anyhow::anyhow!("writing the dump: {e}")))?;
    let rejects = out.join("import-rejects.parquet");
    write_rejects(&rejects, &ingested.rejects).map_err(|e| Failure::Output(e.into()))?;
    let account = serde_json::json!({
        "input": input,
        "ingest": &ingested.report,
        "written": &written,
    });
    let path = out.join("import.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&account).expect("the account serialises") + "\n",
    )
    .with_context(|| format!("writing {}", path.display()))
    .map_err(Failure::Output)?;
    let read: u64 = ingested
        .report
        .tables
        .iter()
        .flat_map(|t| &t.files)
        .filter_map(|f| std::fs::metadata(&f.path).ok())
        .map(|m| m.len())
        .sum();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "imported {} into {}: {} files, {:.1} MB of Parquet from {:.1} MB of input in {secs:.1} s ({:.0} MB/s); rejects: {}; account: {}",
        input.display(),
        out.display(),
        written.tables.values().map(|t| t.0).sum::<usize>(),
        written.bytes as f64 / 1e6,
        read as f64 / 1e6,
        read as f64 / 1e6 / secs.max(1e-9),
        rejects.display(),
        path.display()
    );
    Ok(())
}

fn print_report(ing: &Ingested, secs: f64, show: usize) {
    println!(
        "{:<12} {:>5} {:>12} {:>12} {:>10}",
        "table", "files", "read", "accepted", "rejected"
    );
    let mut read_total = 0;
    for t in &ing.report.tables {
        if !t.present {
            continue;
        }
        read_total += t.read;
        let enc: Vec<&str> = t.files.iter().filter_map(|f| f.encoding).collect();
        let enc = if enc.is_empty() {
            String::new()
        } else {
            let mut e = enc.clone();
            e.dedup();
            format!("  ({})", e.join(", "))
        };
        println!(
            "{:<12} {:>5} {:>12} {:>12} {:>10}{enc}",
            t.table.name(),
            t.files.len(),
            t.read,
            t.accepted,
            t.rejected
        );
    }
    for u in &ing.report.unused_extracts {
        println!("{}", run::unused_extract(u));
    }
    for t in ing.report.tables.iter().filter(|t| !t.present) {
        println!(
            "absent: {} — disables {}",
            t.table.name(),
            t.disables.join("; ")
        );
    }
    for t in &ing.report.tables {
        for f in &t.files {
            if !f.ignored_columns.is_empty() {
                println!(
                    "note: {} has columns the contract does not name (ignored): {}",
                    f.path.display(),
                    f.ignored_columns.join(", ")
                );
            }
            if f.derived {
                println!(
                    "note: {} made from {} (its own table was not exported)",
                    t.table.name(),
                    f.path.display()
                );
            }
            if f.null_cells > 0 {
                println!(
                    "note: {}: {} cells spelling a missing value (NA, NULL, \\N, - …) read as empty",
                    f.path.display(),
                    f.null_cells
                );
            }
        }
    }
    for r in ing.rejects.iter().take(show) {
        let line = r.line.map(|l| format!(" line {l}")).unwrap_or_default();
        println!(
            "rejected {} row {}{line} of {}: {}",
            r.table.name(),
            r.row,
            r.file.display(),
            r.reason
        );
    }
    if ing.rejects.len() > show {
        println!("… and {} more rejects", ing.rejects.len() - show);
    }
    println!(
        "read {read_total} rows in {secs:.2} s ({:.0} rows/s), rejected {}",
        read_total as f64 / secs.max(1e-9),
        ing.report.total_rejected()
    );
}

fn rules(markdown: bool, template: bool, config: Option<&Path>) -> Result<(), Failure> {
    let cfg = run::load_config(config)?;
    if markdown {
        print!("{}", fundguard_engine::docs::reference());
        return Ok(());
    }
    if template {
        print!("{}", cfg.to_toml());
        return Ok(());
    }
    for i in fundguard_engine::infos() {
        let params = cfg
            .params_of(i.id)
            .map(|t| {
                t.iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let needs = if i.requires_rulebase() {
            "  [needs --rulebase]"
        } else {
            ""
        };
        println!(
            "{:<34} {:<17} {} / {}{needs}\n{:<34} {params}",
            i.id,
            i.family.as_str(),
            i.name_zh,
            i.name_en,
            ""
        );
    }
    for c in &cfg.custom {
        println!(
            "{:<34} {:<17} {}  [custom SQL, severity {}]",
            c.id, c.family, c.name, c.severity
        );
    }
    Ok(())
}

fn eval(
    run: &Path,
    truth: &Path,
    ks: &[usize],
    amount_tolerance: f64,
    json: Option<&Path>,
) -> Result<(), Failure> {
    use fundguard_ingest::records::{read_cases, read_hits, read_leads};
    use fundguard_scoring::eval;
    fn input<T>(r: Result<T, String>) -> Result<T, Failure> {
        r.map_err(|e| Failure::Input(anyhow::anyhow!(e)))
    }
    if !(0.0..=1.0).contains(&amount_tolerance) {
        return Err(Failure::Config(anyhow::anyhow!(
            "--amount-tolerance {amount_tolerance} is not a share within 0..1"
        )));
    }
    let hits = input(read_hits(&run.join("hits.parquet")))?;
    let leads = input(read_leads(&run.join("leads.parquet")))?;
    let labels = input(read_cases(&truth.join("labels.parquet")))?;
    let decoys = input(read_cases(&truth.join("decoys.parquet")))?;
    let cfg = eval::EvalConfig {
        ks: ks.to_vec(),
        amount_tolerance,
        rules: fundguard_engine::infos()
            .iter()
            .map(|i| i.id.to_string())
            .collect(),
    };
    let e = eval::evaluate(&hits, &leads, &labels, &decoys, &cfg);
    let ratio = sweep::ratio;
    println!(
        "{:<22} {:>6} {:>6} {:>8} {:>8} {:>7} {:>8} {:>7}",
        "family", "cases", "found", "recall", "in leads", "decoys", "flagged", "FP rate"
    );
    for (f, q) in &e.families {
        println!(
            "{:<22} {:>6} {:>6} {:>8} {:>8} {:>7} {:>8} {:>7}",
            f,
            q.cases,
            q.found,
            ratio(q.found, q.cases),
            q.in_leads,
            q.decoys,
            q.decoys_flagged,
            ratio(q.decoys_flagged, q.decoys)
        );
    }
    println!();
    println!(
        "{:<38} {:>5} {:>5} {:>7} {:>9} {:>7} {:>6} {:>7} {:>6} {:>9}",
        "rule",
        "cases",
        "found",
        "recall",
        "amount ok",
        "err p50",
        "decoys",
        "flagged",
        "hits",
        "precision"
    );
    for (r, q) in &e.rules {
        println!(
            "{:<38} {:>5} {:>5} {:>7} {:>9} {:>7} {:>6} {:>7} {:>6} {:>9}",
            r,
            q.cases,
            q.found,
            ratio(q.found, q.cases),
            format!("{}/{}", q.amount_ok, q.amount_checked),
            q.amount_error_median
                .map_or("-".to_string(), |m| format!("{m:.3}")),
            q.decoys,
            q.decoys_flagged,
            q.hits,
            ratio(q.hits_true, q.hits)
        );
    }
    println!(
        "amounts within {:.0}%: {:.3} of found cases; look-alikes flagged: {:.4}",
        amount_tolerance * 100.0,
        e.amounts_ok_share(),
        e.decoys_flagged_share()
    );
    for (k, p) in &e.precision_at {
        println!("precision@{k}: {p:.3}");
    }
    println!("{} hits, {} leads", e.hits, e.leads);
    if !e.unlabelled_hits.is_empty() {
        let list: Vec<String> = e
            .unlabelled_hits
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        println!("hits about no injected case: {}", list.join(", "));
    }
    let path = json.map_or_else(|| run.join("eval.json"), Path::to_path_buf);
    let text = serde_json::to_string_pretty(&e).expect("evaluation serialises");
    std::fs::write(&path, text + "\n")
        .with_context(|| format!("writing {}", path.display()))
        .map_err(Failure::Output)?;
    println!("written: {}", path.display());
    Ok(())
}

fn demo(out: &Path, patients: u32, rulebase: Option<&Path>) -> Result<(), Failure> {
    let dump = out.join("dump");
    let cfg = SynthConfig {
        patients,
        seed: 2026,
        ..Default::default()
    };
    println!("== generating a synthetic month ({patients} insured people)");
    synth(&cfg, &dump)?;
    println!("\n== running every rule on it");
    let run_dir = out.join("run");
    run::run(&run::RunArgs {
        input: &dump,
        out: &run_dir,
        config: None,
        rulebase,
        feedback: None,
        baseline: None,
        mapping: None,
        null_values: &[],
        keep_going: false,
        pseudonymize: None,
        quiet: false,
        partitions: None,
        memory_limit: None,
        spill_dir: None,
    })?;
    println!("\nthe dump is in {}", dump.display());
    println!(
        "labels of injected frauds: {}",
        dump.join("labels.parquet").display()
    );
    println!("run outputs: {}", run_dir.display());
    println!(
        "the report (open it in a browser, works offline): {}",
        run_dir.join("report.html").display()
    );
    println!(
        "leads: {} and {}; case dossiers: {}",
        run_dir.join("leads.parquet").display(),
        run_dir.join("leads.xlsx").display(),
        run_dir.join("cases").display()
    );
    Ok(())
}
