//! `fundguard._fundguard`: the native half of the `fundguard` Python package. It runs a dump
//! directory exactly as `fundguard run` does (the same configuration, rule base and output
//! files, byte for byte) with Python's lock released, and hands back the run's manifest; the
//! Python half (`python/fundguard/__init__.py`) turns the outputs into Arrow tables.

use std::path::PathBuf;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

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
    match py.detach(|| fundguard_cli::run::run(&options.args())) {
        Ok(_) => std::fs::read_to_string(options.out.join("manifest.json"))
            .map_err(|e| FundguardError::new_err((format!("reading the manifest: {e}"), 4))),
        Err(f) => Err(FundguardError::new_err((
            format!("{:#}", f.error()),
            f.code(),
        ))),
    }
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
    m.add("FundguardError", m.py().get_type::<FundguardError>())?;
    Ok(())
}
