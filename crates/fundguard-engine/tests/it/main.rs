//! Integration tests of the rule engine: every rule's data-driven cases (`src/rules/**/*.case`),
//! detection quality on a generated month, the generated reference, and a reversal property.

mod cases;
mod overflow;
mod period_rows;
mod props;
mod quality;
mod reference;

use std::path::{Path, PathBuf};

use fundguard_engine::RunConfig;
use fundguard_ingest::{ingest, IngestOptions};
use fundguard_rulebase::RuleBase;

/// The national rule base shipped beside the repository (`../shared/data/nhsa-rules`).
pub fn shared_rulebase() -> RuleBase {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/nhsa-rules");
    RuleBase::load(&dir).expect("the shared rule base is readable")
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fg-rules-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Ingests `dir`, requiring every row to be accepted.
pub fn ingest_clean(dir: &Path) -> fundguard_model::Dump {
    let ing = ingest(dir, &IngestOptions::default()).expect("ingest");
    assert!(
        ing.rejects.is_empty(),
        "{}: rejects {:#?}",
        dir.display(),
        ing.rejects
    );
    ing.dump
}

/// Engine settings running only `rule`.
pub fn only(rule: &str) -> RunConfig {
    RunConfig {
        disable: fundguard_engine::infos()
            .iter()
            .map(|i| i.id.to_string())
            .filter(|id| id != rule)
            .collect(),
        ..RunConfig::default()
    }
}
