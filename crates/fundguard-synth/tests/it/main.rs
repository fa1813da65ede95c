//! The generator is deterministic for a seed and labels what it injects.

use std::path::{Path, PathBuf};

use fundguard_synth::{generate, SynthConfig};

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fundguard-synth-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let cfg = SynthConfig {
        patients: 3_000,
        seed: 5,
        ..Default::default()
    };
    let (a, b, c) = (scratch("a"), scratch("b"), scratch("c"));
    let sa = generate(&cfg, &a).unwrap();
    generate(&cfg, &b).unwrap();
    generate(
        &SynthConfig {
            seed: 6,
            ..cfg.clone()
        },
        &c,
    )
    .unwrap();
    let (fa, fb, fc) = (files(&a), files(&b), files(&c));
    let names: Vec<&str> = fa.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "catalog.parquet",
            "decoys.parquet",
            "drug_stock.parquet",
            "drug_traces.parquet",
            "labels.parquet",
            "line_items.parquet",
            "patients.parquet",
            "providers.parquet",
            "purchases.parquet",
            "settlement_diagnoses.parquet",
            "visits.parquet"
        ]
    );
    assert!(fa == fb, "same seed must give byte-identical files");
    assert!(
        fa.iter().zip(&fc).any(|(x, y)| x.1 != y.1),
        "another seed must differ"
    );
    assert!(sa.labels >= 60 && sa.decoys >= 50, "{sa:?}");
    assert!(sa.line_items > sa.patients * 8, "{sa:?}");
}

#[test]
fn refuses_impossible_settings() {
    let err = generate(
        &SynthConfig {
            patients: 10,
            ..Default::default()
        },
        &scratch("small"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("at least 1000 patients"), "{err}");
}

#[test]
fn too_many_cases_for_the_people_is_an_error_not_a_hang() {
    let out = scratch("crowded");
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let cfg = SynthConfig {
            patients: 1_000,
            rates: fundguard_synth::Rates {
                per_10k: 10_000.0,
                min: 3,
            },
            ..Default::default()
        };
        let _ = tx.send(generate(&cfg, &out).map(|_| ()).map_err(|e| e.to_string()));
    });
    let result = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the planner gives up instead of looping");
    let message = result.expect_err("1,000 people cannot hold 1,000 cases of each kind");
    assert!(message.contains("too few"), "{message}");
    worker.join().unwrap();
}
