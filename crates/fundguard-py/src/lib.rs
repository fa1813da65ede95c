//! `fundguard._fundguard`: the native half of the `fundguard` Python package. It runs a dump
//! directory exactly as `fundguard run` does (the same configuration, rule base and output
//! files, byte for byte) with Python's lock released, and hands back the run's manifest; the
//! Python half (`python/fundguard/__init__.py`) turns the outputs into Arrow tables.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use fundguard_cli::parts::{self, Setup};
use fundguard_cli::Failure;
use fundguard_engine::scope::Populations;
use fundguard_ingest::partition::Set;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

create_exception!(
    _fundguard,
    FundguardError,
    PyException,
    "A run that failed: bad input (exit code 3 on the command line), output (4), configuration (5) or a rule (6); `args` is (message, exit code)."
);

/// Runs the dump directory `input` into the new run directory `out`, as `fundguard run` does;
/// returns the run's manifest (`manifest.json`) as text.
#[pyfunction]
#[pyo3(signature = (input, out, config=None, rulebase=None, feedback=None, baseline=None, mapping=None, null_values=Vec::new(), pseudonymize=None, keep_going=false, partitions=None, memory_limit=None, spill_dir=None))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    input: PathBuf,
    out: PathBuf,
    config: Option<PathBuf>,
    rulebase: Option<PathBuf>,
    feedback: Option<PathBuf>,
    baseline: Option<PathBuf>,
    mapping: Option<PathBuf>,
    null_values: Vec<String>,
    pseudonymize: Option<PathBuf>,
    keep_going: bool,
    partitions: Option<usize>,
    memory_limit: Option<u64>,
    spill_dir: Option<PathBuf>,
) -> PyResult<String> {
    let options = fundguard_cli::run::RunOptions {
        input,
        out,
        config,
        rulebase,
        feedback,
        baseline,
        mapping,
        null_values,
        keep_going,
        pseudonymize,
        quiet: true,
        partitions,
        memory_limit,
        spill_dir,
    };
    let ran = py.detach(|| fundguard_cli::run::run(&options.args()));
    manifest(&options, ran)
}

fn manifest(
    options: &fundguard_cli::run::RunOptions,
    ran: Result<usize, Failure>,
) -> PyResult<String> {
    ran.map_err(failed)?;
    std::fs::read_to_string(options.out.join("manifest.json"))
        .map_err(|e| FundguardError::new_err((format!("reading the manifest: {e}"), 4)))
}

fn failed(f: Failure) -> PyErr {
    FundguardError::new_err((format!("{:#}", f.error()), f.code()))
}

fn set_named(name: &str) -> PyResult<Set> {
    Set::named(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "not a partition set: {name:?} (patient, provider or trace_code)"
        ))
    })
}

/// What a partition's run loads (configuration, rule base, key), kept for the next partition
/// with the same: a worker process of a distributed run loads the rule base once.
type Loaded = (
    (
        Option<PathBuf>,
        Option<PathBuf>,
        Vec<String>,
        Option<PathBuf>,
    ),
    Arc<Setup>,
);
static LOADED: Mutex<Option<Loaded>> = Mutex::new(None);

fn setup(
    config: Option<PathBuf>,
    rulebase: Option<PathBuf>,
    null_values: Vec<String>,
    pseudonymize: Option<PathBuf>,
) -> Result<Arc<Setup>, Failure> {
    let key = (config, rulebase, null_values, pseudonymize);
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((k, s)) = loaded.as_ref() {
        if *k == key {
            return Ok(s.clone());
        }
    }
    let s = Arc::new(Setup::load(
        key.0.as_deref(),
        key.1.as_deref(),
        None,
        &key.2,
        key.3.as_deref(),
    )?);
    *loaded = Some((key, s.clone()));
    Ok(s)
}

/// The collecting passes of a distributed run (`fundguard_cli::parts::Rounds`): `next_pass()`
/// says what to collect, `done(values)` takes every partition's values and gives the month's
/// values (bytes) once they are complete, else `None`.
#[pyclass(module = "fundguard._fundguard")]
struct Rounds(parts::Rounds);

#[pymethods]
impl Rounds {
    #[new]
    #[pyo3(signature = (period=None))]
    fn new(period: Option<(i64, i64)>) -> Rounds {
        Rounds(parts::Rounds::new(period))
    }

    /// (round, set names, period, the previous pass's values as bytes).
    fn next_pass<'py>(
        &self,
        py: Python<'py>,
    ) -> (
        u8,
        Vec<&'static str>,
        Option<(i64, i64)>,
        Bound<'py, PyBytes>,
    ) {
        let p = self.0.pass();
        let previous = parts::to_bytes(&*p.previous);
        (
            p.round,
            p.sets.iter().map(|s| s.name()).collect(),
            p.period,
            PyBytes::new(py, &previous),
        )
    }

    /// Every partition's values of the pass, as (set name, bytes).
    fn done<'py>(
        &mut self,
        py: Python<'py>,
        values: Vec<(String, Vec<u8>)>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let mut all = Vec::with_capacity(values.len());
        for (set, bytes) in values {
            let v: Populations =
                parts::from_bytes(&bytes, "a partition's values").map_err(failed)?;
            all.push((set_named(&set)?, v));
        }
        Ok(self
            .0
            .done(all)
            .map(|month| PyBytes::new(py, &parts::to_bytes(&month))))
    }
}

/// The collecting pass over the partition directory `dir` of set `set`: its values, as bytes.
#[pyfunction]
#[pyo3(signature = (dir, set, round, period, previous, config=None, rulebase=None, null_values=Vec::new()))]
#[allow(clippy::too_many_arguments)]
fn collect_part<'py>(
    py: Python<'py>,
    dir: PathBuf,
    set: &str,
    round: u8,
    period: Option<(i64, i64)>,
    previous: Vec<u8>,
    config: Option<PathBuf>,
    rulebase: Option<PathBuf>,
    null_values: Vec<String>,
) -> PyResult<Bound<'py, PyBytes>> {
    let set = set_named(set)?;
    in_worker(py, || {
        let s = setup(config, rulebase, null_values, None)?;
        let pass = parts::Pass {
            round,
            sets: vec![set],
            period,
            previous: Arc::new(parts::from_bytes(&previous, "the previous pass's values")?),
        };
        Ok(parts::to_bytes(&s.job().collect(&dir, set, &pass)?))
    })
}

/// A partition's work with Python's lock released; its bytes, or its failure as FundguardError.
fn in_worker<'py>(
    py: Python<'py>,
    work: impl FnOnce() -> Result<Vec<u8>, Failure> + Send,
) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = py.detach(work).map_err(failed)?;
    Ok(PyBytes::new(py, &bytes))
}

/// Judges partition `k` of `set` in `dir` with the month's values (bytes of `Rounds.done`);
/// `sources` are the source files by their index in `_fg_file`. The judged partition, as bytes.
#[pyfunction]
#[pyo3(signature = (dir, set, k, month, sources, config=None, rulebase=None, null_values=Vec::new(), pseudonymize=None))]
#[allow(clippy::too_many_arguments)]
fn judge_part<'py>(
    py: Python<'py>,
    dir: PathBuf,
    set: &str,
    k: usize,
    month: Vec<u8>,
    sources: Vec<PathBuf>,
    config: Option<PathBuf>,
    rulebase: Option<PathBuf>,
    null_values: Vec<String>,
    pseudonymize: Option<PathBuf>,
) -> PyResult<Bound<'py, PyBytes>> {
    let set = set_named(set)?;
    in_worker(py, || {
        let s = setup(config, rulebase, null_values, pseudonymize)?;
        let month = Arc::new(parts::from_bytes(&month, "the month's values")?);
        Ok(parts::to_bytes(
            &s.job().judge(&dir, set, k, &month, &sources)?,
        ))
    })
}

/// Writes the outputs of `fundguard run` into `out` from every judged partition of a month
/// (bytes of `judge_part`); returns the manifest as text. `sources` are (path, SHA-256) by
/// index in `_fg_file`; `by` names what judged the partitions (the manifest's partition
/// directory); `stages` are the driver's (`partition`, `collect`, `judge`) in milliseconds.
#[pyfunction]
#[pyo3(signature = (input, out, judged, sources, parts_per_set, by, doctors_in_several, stages, config=None, rulebase=None, feedback=None, baseline=None, null_values=Vec::new(), pseudonymize=None, keep_going=false))]
#[allow(clippy::too_many_arguments)]
fn finish_run(
    py: Python<'_>,
    input: PathBuf,
    out: PathBuf,
    judged: Vec<Vec<u8>>,
    sources: Vec<(PathBuf, String)>,
    parts_per_set: usize,
    by: String,
    doctors_in_several: usize,
    stages: Vec<(String, u64)>,
    config: Option<PathBuf>,
    rulebase: Option<PathBuf>,
    feedback: Option<PathBuf>,
    baseline: Option<PathBuf>,
    null_values: Vec<String>,
    pseudonymize: Option<PathBuf>,
    keep_going: bool,
) -> PyResult<String> {
    let stages = stages
        .into_iter()
        .map(|(name, ms)| match name.as_str() {
            "partition" => Ok(("partition", ms)),
            "collect" => Ok(("collect", ms)),
            "judge" => Ok(("judge", ms)),
            _ => Err(PyValueError::new_err(format!(
                "not a stage of a distributed run: {name:?} (partition, collect, judge)"
            ))),
        })
        .collect::<PyResult<Vec<_>>>()?;
    let options = fundguard_cli::run::RunOptions {
        input,
        out,
        config,
        rulebase,
        feedback,
        baseline,
        null_values,
        keep_going,
        pseudonymize,
        quiet: true,
        ..Default::default()
    };
    let ran = py.detach(|| {
        let mut parts = Vec::with_capacity(judged.len());
        for bytes in &judged {
            parts.push(parts::from_bytes(bytes, "a judged partition")?);
        }
        parts::finish_run(
            &options,
            parts,
            &sources,
            fundguard_cli::outofcore::PartitionAccount {
                dir: Path::new(&by).to_path_buf(),
                parts: parts_per_set,
                bytes: None,
                peak_bytes: None,
                largest_partition_rows: Default::default(),
                doctors_in_several,
            },
            stages,
        )
    });
    manifest(&options, ran)
}

/// The tables the first collecting pass over a provider partition needs.
#[pyfunction]
fn statistics_tables() -> Vec<&'static str> {
    parts::STATISTICS_TABLES.iter().map(|t| t.name()).collect()
}

/// The engine's version.
#[pyfunction]
fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

#[pymodule]
fn _fundguard(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(version, m)?)?;
    m.add_function(wrap_pyfunction!(collect_part, m)?)?;
    m.add_function(wrap_pyfunction!(judge_part, m)?)?;
    m.add_function(wrap_pyfunction!(finish_run, m)?)?;
    m.add_function(wrap_pyfunction!(statistics_tables, m)?)?;
    m.add_class::<Rounds>()?;
    m.add("FundguardError", m.py().get_type::<FundguardError>())?;
    Ok(())
}
