//! Detection quality on a generated month: every injected case of the four core families is found
//! and none of their look-alikes is flagged; every other family finds at least 95% of its cases
//! and flags at most 2% of its look-alikes.

use fundguard_engine::{hit_rows, RulesConfig, RunConfig};
use fundguard_ingest::records::read_cases;
use fundguard_model::{Case, Language};
use fundguard_scoring::eval::tally;
use fundguard_synth::SynthConfig;

use crate::{ingest_clean, scratch, shared_rulebase};

const CORE: [&str; 4] = [
    "bed_hanging",
    "duplicate_charge",
    "item_swap",
    "card_pooling",
];

#[test]
fn finds_every_injected_core_case_and_no_look_alike() {
    let dir = scratch("quality");
    let cfg = SynthConfig {
        patients: 20_000,
        seed: 2026,
        ..Default::default()
    };
    fundguard_synth::generate(&cfg, &dir).unwrap();
    let dump = ingest_clean(&dir);
    let rb = shared_rulebase();
    let run = fundguard_engine::run(
        &dump,
        &RunConfig::default(),
        &RulesConfig::default(),
        Some(&rb),
    );
    let rows = hit_rows(&dump, &run.hits, Language::En);

    let core = |c: &Case| CORE.contains(&c.scheme.as_str());
    let labels: Vec<_> = read_cases(&dir.join("labels.parquet"))
        .unwrap()
        .into_iter()
        .filter(core)
        .collect();
    let decoys: Vec<_> = read_cases(&dir.join("decoys.parquet"))
        .unwrap()
        .into_iter()
        .filter(core)
        .collect();
    let by_rule = |c: &Case| c.rule.clone().unwrap_or(c.scheme.clone());
    let recall = tally(&labels, &rows, by_rule);
    let flagged = tally(&decoys, &rows, by_rule);
    // Every baseline rule of the four families has injected cases and look-alikes.
    for family in CORE {
        assert!(recall.keys().any(|k| k.starts_with(family)), "{family}");
    }
    assert_eq!(recall.len(), 17, "{recall:#?}");
    let missed: Vec<_> = recall.iter().filter(|(_, t)| t.matched < t.cases).collect();
    assert!(missed.is_empty(), "missed injected cases: {missed:#?}");
    let wrong: Vec<_> = flagged.iter().filter(|(_, t)| t.matched > 0).collect();
    assert!(wrong.is_empty(), "look-alikes flagged: {wrong:#?}");

    // Every other family: recall >= 0.95 of its injected cases, <= 2% of its look-alikes flagged.
    let rest = |c: &Case| !CORE.contains(&c.scheme.as_str());
    let labels: Vec<_> = read_cases(&dir.join("labels.parquet"))
        .unwrap()
        .into_iter()
        .filter(rest)
        .collect();
    let decoys: Vec<_> = read_cases(&dir.join("decoys.parquet"))
        .unwrap()
        .into_iter()
        .filter(rest)
        .collect();
    let family = |c: &Case| c.scheme.clone();
    let recall = tally(&labels, &rows, family);
    let flagged = tally(&decoys, &rows, family);
    let others = [
        "split_admission",
        "impersonation",
        "restricted_item",
        "over_standard_price",
        "phantom_service",
        "excessive_supply",
        "peer_outlier",
    ];
    // And nothing else: every hit of these families is about an injected case.
    let unlabelled: Vec<_> = rows
        .iter()
        .filter(|h| others.contains(&h.family.as_str()))
        .filter(|h| {
            !labels
                .iter()
                .any(|c| fundguard_scoring::eval::matches(c, h))
        })
        .map(|h| (&h.rule_id, &h.evidence))
        .collect();
    assert!(
        unlabelled.is_empty(),
        "hits on honest activity: {unlabelled:#?}"
    );
    for f in others {
        let r = &recall[f];
        assert!(r.cases > 0 && r.share() >= 0.95, "{f}: recall {r:?}");
        if let Some(d) = flagged.get(f) {
            assert!(
                d.matched as f64 <= 0.02 * d.cases as f64,
                "{f}: look-alikes flagged {d:?}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn results_do_not_depend_on_the_run() {
    let dir = scratch("twice");
    let cfg = SynthConfig {
        patients: 3_000,
        seed: 5,
        ..Default::default()
    };
    fundguard_synth::generate(&cfg, &dir).unwrap();
    let rb = shared_rulebase();
    let a = {
        let dump = ingest_clean(&dir);
        hit_rows(
            &dump,
            &fundguard_engine::run(
                &dump,
                &RunConfig::default(),
                &RulesConfig::default(),
                Some(&rb),
            )
            .hits,
            Language::Zh,
        )
    };
    let b = {
        let dump = ingest_clean(&dir);
        hit_rows(
            &dump,
            &fundguard_engine::run(
                &dump,
                &RunConfig::default(),
                &RulesConfig::default(),
                Some(&rb),
            )
            .hits,
            Language::Zh,
        )
    };
    assert!(!a.is_empty());
    assert_eq!(a, b);
    std::fs::remove_dir_all(&dir).unwrap();
}
