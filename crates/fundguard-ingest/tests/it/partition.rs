//! The out-of-core partitioner: which rows go where, and that the sets cut one call at a time are
//! the sets cut together.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use arrow::array::{Array, StringArray};
use fundguard_ingest::partition::{partition, Set};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::scratch;

fn month(tag: &str) -> PathBuf {
    let dir = scratch(tag);
    let cfg = fundguard_synth::SynthConfig {
        patients: 3_000,
        seed: 5,
        ..Default::default()
    };
    fundguard_synth::generate(&cfg, &dir).unwrap();
    dir
}

/// Every file under `dir`, by its path below it, with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

/// The values of text column `name` in every file of `dir`.
fn column(dir: &Path, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (path, _) in tree(dir) {
        let file = std::fs::File::open(dir.join(path)).unwrap();
        for b in ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
        {
            let b = b.unwrap();
            let c = b.column_by_name(name).unwrap();
            let c = arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8).unwrap();
            let c = c.as_any().downcast_ref::<StringArray>().unwrap();
            out.extend((0..c.len()).map(|i| c.value(i).to_string()));
        }
    }
    out
}

#[test]
fn the_sets_cut_one_call_at_a_time_are_the_sets_cut_together() {
    let input = month("cut-month");
    let together = scratch("cut-together");
    let a = partition(&input, 3, &together, &Set::ALL).unwrap();
    let apart = scratch("cut-apart");
    let b = partition(&input, 3, &apart, &[Set::Provider, Set::TraceCode]).unwrap();
    let c = partition(&input, 3, &apart, &[Set::Patient]).unwrap();
    assert_eq!(a.sources, b.sources);
    assert_eq!(a.sources, c.sources);
    assert_eq!(a.rows, b.rows);
    assert_eq!(a.rows, c.rows);
    assert_eq!(a.period, b.period);
    assert_eq!(a.doctors_in_several, b.doctors_in_several);
    assert_eq!(a.bytes, b.bytes + c.bytes);
    let (x, y) = (tree(&together), tree(&apart));
    assert_eq!(
        x.keys().collect::<Vec<_>>(),
        y.keys().collect::<Vec<_>>(),
        "the same files"
    );
    assert!(x == y, "the same bytes");
    // The patient set alone holds each visit once.
    let visits: usize = (0..3)
        .map(|k| column(&c.part(Set::Patient, k).join("visits"), "visit_id").len())
        .sum();
    assert_eq!(visits as u64, a.rows[&fundguard_model::Table::Visits]);
}

#[test]
fn a_code_and_a_visit_are_each_in_one_trace_code_partition_with_all_their_scans_and_lines() {
    let input = month("trace-month");
    let dir = scratch("trace-cut");
    let cut = partition(&input, 4, &dir, &[Set::TraceCode]).unwrap();
    let mut code_part: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut visit_part: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut lines_in = 0usize;
    let mut scanned: BTreeSet<String> = BTreeSet::new();
    for k in 0..4 {
        let part = cut.part(Set::TraceCode, k);
        let codes = column(&part.join("drug_traces"), "trace_code");
        let visits = column(&part.join("drug_traces"), "visit_id");
        for (c, v) in codes.iter().zip(&visits) {
            code_part.entry(c.clone()).or_default().insert(k);
            visit_part.entry(v.clone()).or_default().insert(k);
        }
        let here: BTreeSet<String> = visits.into_iter().collect();
        // The partition's visits are those of its scans, with every line of each.
        let held: BTreeSet<String> = column(&part.join("visits"), "visit_id")
            .into_iter()
            .collect();
        assert_eq!(held, here);
        let lines = column(&part.join("line_items"), "visit_id");
        assert!(lines.iter().all(|v| here.contains(v)));
        lines_in += lines.len();
        scanned.extend(here);
    }
    assert!(code_part.values().all(|p| p.len() == 1));
    assert!(visit_part.values().all(|p| p.len() == 1));
    let all_lines = column_of(&input.join("line_items.parquet"), "visit_id");
    assert_eq!(
        lines_in,
        all_lines.iter().filter(|v| scanned.contains(*v)).count(),
        "every line of a scanned visit, once"
    );
    // The month has codes scanned in more than one visit (resold), which hold them together.
    let scans = column_of(&input.join("drug_traces.parquet"), "trace_code");
    let visits = column_of(&input.join("drug_traces.parquet"), "visit_id");
    let mut visits_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (c, v) in scans.iter().zip(&visits) {
        visits_of.entry(c).or_default().insert(v);
    }
    assert!(visits_of.values().any(|v| v.len() > 1));
}

fn column_of(file: &Path, name: &str) -> Vec<String> {
    let dir = scratch("one-file");
    std::fs::copy(file, dir.join("f.parquet")).unwrap();
    column(&dir, name)
}
