//! fundguard's stages on a generated month, each reported as line items per second: ingest
//! (read + validate every row), the shared indexes, each rule family, scoring (leads from hits),
//! writing hits and leads, and the whole run end to end. See `fundguard_benches` for the tiers.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use fundguard_engine::{catalogue, hit_rows, Ctx, RulesConfig, RunConfig};
use fundguard_ingest::{ingest, IngestOptions};
use fundguard_model::{Family, Language};
use fundguard_scoring::{LeadsConfig, RuleNames};
use rayon::prelude::*;

fn stages(c: &mut Criterion) {
    let tier = fundguard_benches::tier();
    let dir = fundguard_benches::dump_dir(tier);
    let rulebase = fundguard_benches::rulebase();
    let opts = IngestOptions::default();
    let (run_cfg, rules_cfg, leads_cfg) = (
        RunConfig::default(),
        RulesConfig::default(),
        LeadsConfig::default(),
    );
    let dump = ingest(&dir, &opts)
        .expect("the generated dump ingests")
        .dump;
    let lines = dump.lines.line_id.len() as u64;
    let big = tier.patients > 100_000;

    let mut g = c.benchmark_group(format!("stages/{}", tier.name));
    g.throughput(Throughput::Elements(lines));
    if big {
        g.sample_size(10).warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(30));
    }
    g.bench_function("ingest", |b| {
        b.iter(|| black_box(ingest(&dir, &opts).expect("ingests")))
    });
    g.bench_function("index", |b| {
        b.iter(|| black_box(Ctx::new(&dump, rulebase.as_ref())))
    });
    let ctx = Ctx::new(&dump, rulebase.as_ref());
    let rules = catalogue(&rules_cfg);
    for family in Family::ALL {
        let of_family: Vec<_> = rules.iter().filter(|r| r.info().family == family).collect();
        if of_family.is_empty() {
            continue;
        }
        g.bench_function(BenchmarkId::new("rules", family.as_str()), |b| {
            b.iter(|| {
                of_family
                    .par_iter()
                    .map(|r| r.run(&ctx).len())
                    .sum::<usize>()
            })
        });
    }
    let run = fundguard_engine::run(&dump, &run_cfg, &rules_cfg, rulebase.as_ref());
    let rows = hit_rows(&dump, &run.hits, Language::Zh);
    let infos = fundguard_engine::infos();
    let names = RuleNames::new(infos.iter().map(|i| (i.id, i.name_zh, i.name_en)));
    g.bench_function("scoring", |b| {
        b.iter(|| {
            black_box(fundguard_scoring::leads::build(
                &rows,
                &leads_cfg,
                &names,
                Language::Zh,
            ))
        })
    });
    let leads = fundguard_scoring::leads::build(&rows, &leads_cfg, &names, Language::Zh);
    let out = std::env::temp_dir().join(format!("fundguard-bench-{}", std::process::id()));
    std::fs::create_dir_all(&out).expect("temp dir");
    g.bench_function("output", |b| {
        b.iter(|| {
            fundguard_report::write_hits(&out.join("hits.parquet"), &rows, &[])
                .expect("writes hits");
            fundguard_report::write_leads(&out.join("leads.parquet"), &leads, &[])
                .expect("writes leads");
        })
    });
    g.bench_function("end_to_end", |b| {
        b.iter(|| {
            let dump = ingest(&dir, &opts).expect("ingests").dump;
            let run = fundguard_engine::run(&dump, &run_cfg, &rules_cfg, rulebase.as_ref());
            let rows = hit_rows(&dump, &run.hits, Language::Zh);
            let leads = fundguard_scoring::leads::build(&rows, &leads_cfg, &names, Language::Zh);
            fundguard_report::write_hits(&out.join("hits.parquet"), &rows, &[])
                .expect("writes hits");
            fundguard_report::write_leads(&out.join("leads.parquet"), &leads, &[])
                .expect("writes leads");
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&out);
}

criterion_group!(benches, stages);
criterion_main!(benches);
