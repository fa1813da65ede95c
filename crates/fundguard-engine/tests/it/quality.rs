//! Detection quality on a generated month with a real month's honest messiness (see the synth
//! crate): every family finds at least 95% of its cases by the rule each was injected for, at most
//! 1% of the look-alikes are flagged, the found amounts are within 10% of the injected ones, and
//! the top leads are true. (The 200,000-person bar of docs/rules.md is the CLI's eval test.)

use fundguard_engine::{hit_rows, RulesConfig, RunConfig};
use fundguard_ingest::records::read_cases;
use fundguard_model::Language;
use fundguard_scoring::eval::{evaluate, EvalConfig};
use fundguard_synth::{Rates, SynthConfig};

use crate::{ingest_clean, scratch, shared_rulebase};

/// The messy generated month of `patients` people at the tuning seed, 10 cases per 10,000.
fn messy_month(dir: &std::path::Path, patients: u32) {
    let cfg = SynthConfig {
        patients,
        seed: 2026,
        rates: Rates {
            per_10k: 10.0,
            min: 3,
        },
        ..Default::default()
    };
    fundguard_synth::generate(&cfg, dir).unwrap();
}

/// `rows` measured against the month's truth, every rule of the engine known.
fn evaluate_month(
    dir: &std::path::Path,
    rows: &[fundguard_model::HitRow],
) -> (EvalConfig, fundguard_scoring::eval::Evaluation) {
    let labels = read_cases(&dir.join("labels.parquet")).unwrap();
    let decoys = read_cases(&dir.join("decoys.parquet")).unwrap();
    let eval_cfg = EvalConfig {
        rules: fundguard_engine::infos()
            .iter()
            .map(|i| i.id.to_string())
            .collect(),
        ..EvalConfig::default()
    };
    let e = evaluate(rows, &[], &labels, &decoys, &eval_cfg);
    (eval_cfg, e)
}

#[test]
fn a_messy_month_keeps_recall_and_flags_almost_no_look_alike() {
    let dir = scratch("quality");
    messy_month(&dir, 30_000);
    let dump = ingest_clean(&dir);
    let rb = shared_rulebase();
    let run = fundguard_engine::run(
        &dump,
        &RunConfig::default(),
        &RulesConfig::default(),
        Some(&rb),
    );
    let rows = hit_rows(&dump, &run.hits, Language::En);
    let (eval_cfg, e) = evaluate_month(&dir, &rows);
    assert_eq!(e.families.len(), 15, "{:#?}", e.families);
    for (f, q) in &e.families {
        // Few trace-code, doctor and admission cases, straddling count and share thresholds
        // (docs/quality.md). Upcoding's one case here sits in a peer group of six hospitals, where
        // a robust z tops out near 4 even at 17% against 3.5% (found on the 200,000- and
        // 1,000,000-person months): what must hold is that its hits are true.
        let bar = match f.as_str() {
            "trace_code" | "peer_outlier" | "admission_standard" => 0.5,
            "upcoding" => {
                let r = &e.rules["upcoding.complication_share"];
                assert_eq!(r.hits, r.hits_true, "{r:#?}");
                0.0
            }
            _ => 0.95,
        };
        assert!(
            q.found as f64 >= bar * q.cases as f64,
            "{f}: {} of {} found",
            q.found,
            q.cases
        );
    }
    // Every labelled case names a rule the engine has, and is found by that rule.
    for (rule, q) in &e.rules {
        if q.cases > 0 {
            assert!(eval_cfg.rules.contains(rule), "{rule} is no rule");
        }
    }
    assert!(
        e.decoys_flagged_share() <= 0.01,
        "look-alikes flagged: {:.4} {:#?}",
        e.decoys_flagged_share(),
        e.rules
            .iter()
            .filter(|(_, q)| q.decoys_flagged > 0)
            .collect::<Vec<_>>()
    );
    assert!(
        e.amounts_ok_share() >= 0.95,
        "amounts within 10%: {:.3} {:#?}",
        e.amounts_ok_share(),
        e.rules
            .iter()
            .filter(|(_, q)| q.amount_ok < q.amount_checked)
            .collect::<Vec<_>>()
    );
    // Hits about no injected case's subject: at most 1% of the hits.
    let honest: usize = e.unlabelled_hits.values().sum();
    assert!(
        honest * 100 <= e.hits,
        "{honest} of {} hits about honest subjects: {:?}",
        e.hits,
        e.unlabelled_hits
    );
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

/// A claims-only copy of the messy month (visits, lines and people: no providers table, catalogue,
/// purchases, trace scans, settlement lists or rule base) still runs the peer rules, on peer groups derived from the
/// claims, finds their provider-level cases and flags no look-alike and no honest provider.
#[test]
fn a_claims_only_month_compares_providers_with_derived_peers() {
    let dir = scratch("claims-only");
    messy_month(&dir, 60_000);
    let mut dump = ingest_clean(&dir);
    dump.providers = None;
    dump.catalog = None;
    dump.purchases = None;
    dump.traces = None;
    dump.stock = None;
    dump.diagnoses = None;
    let run = fundguard_engine::run(&dump, &RunConfig::default(), &RulesConfig::default(), None);
    let rows = hit_rows(&dump, &run.hits, Language::En);
    let (_, e) = evaluate_month(&dir, &rows);
    for rule in [
        "admission_standard.low_acuity",
        "admission_standard.waived_copay",
        "peer_outlier.drug_cost_per_day",
        "peer_outlier.visits_per_patient",
        "item_swap.peer_share",
        "phantom_service.cloned_claims",
    ] {
        let q = &e.rules[rule];
        assert!(q.cases > 0 && q.found == q.cases, "{rule}: {q:#?}");
    }
    let peer_hits: Vec<_> = rows
        .iter()
        .filter(|h| h.rule_id.starts_with("peer_outlier.") || h.family == "admission_standard")
        .collect();
    assert!(
        peer_hits
            .iter()
            .filter(|h| h.subject_type == "provider")
            .all(|h| h.evidence.contains("derived from the claims")),
        "{peer_hits:#?}"
    );
    assert_eq!(e.decoys_flagged_share(), 0.0, "{:#?}", e.rules);
    let honest: Vec<_> = e
        .unlabelled_hits
        .iter()
        .filter(|(r, _)| r.starts_with("peer_outlier.") || r.starts_with("admission_standard."))
        .collect();
    assert!(
        honest.is_empty(),
        "peer hits about honest providers: {honest:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
