//! Shared setup of the criterion benchmarks (`cargo bench -p fundguard-benches`): generated dumps
//! in size tiers, cached between runs.
//!
//! `FUNDGUARD_BENCH_TIER` picks the tier: `small` (20,000 people, ~320,000 line items; the
//! default, and what CI compiles), `1m` (1,000,000 people, ~16 million line items) or `5m`
//! (5,000,000 people, ~80 million line items). A tier's dump is generated once (seed 11) into
//! `$CARGO_TARGET_DIR/fundguard-bench/<tier>` (or `target/…`) and reused.
//! `FUNDGUARD_BENCH_RULEBASE` names the national rule base directory; by default
//! `../shared/data/nhsa-rules` beside the repository is used when present.

use std::path::{Path, PathBuf};

use fundguard_rulebase::RuleBase;

/// A dump size.
#[derive(Debug, Clone, Copy)]
pub struct Tier {
    pub name: &'static str,
    pub patients: u32,
}

pub const TIERS: [Tier; 3] = [
    Tier {
        name: "small",
        patients: 20_000,
    },
    Tier {
        name: "1m",
        patients: 1_000_000,
    },
    Tier {
        name: "5m",
        patients: 5_000_000,
    },
];

/// The tier named by `FUNDGUARD_BENCH_TIER` (default `small`).
pub fn tier() -> Tier {
    let name = std::env::var("FUNDGUARD_BENCH_TIER").unwrap_or_else(|_| "small".into());
    TIERS
        .into_iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("FUNDGUARD_BENCH_TIER={name}: expected small, 1m or 5m"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("benches/ is inside the repository")
        .to_path_buf()
}

/// The tier's generated dump (Parquet), generating it when absent.
pub fn dump_dir(tier: Tier) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"));
    let dir = target.join("fundguard-bench").join(tier.name);
    let done = dir.join(".complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let cfg = fundguard_synth::SynthConfig {
            patients: tier.patients,
            seed: 11,
            ..Default::default()
        };
        eprintln!(
            "generating the {} tier ({} people) into {}",
            tier.name,
            tier.patients,
            dir.display()
        );
        fundguard_synth::generate(&cfg, &dir).expect("generating the benchmark dump");
        std::fs::write(&done, b"").expect("marking the dump complete");
    }
    dir
}

/// The national rule base, when available.
pub fn rulebase() -> Option<RuleBase> {
    let dir = std::env::var_os("FUNDGUARD_BENCH_RULEBASE")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/data/nhsa-rules"));
    dir.is_dir()
        .then(|| RuleBase::load(&dir).expect("loading the rule base"))
}
