//! Out-of-core runs: the same bytes as the run in memory, the same account and rejects.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

use super::{fundguard, run_ok, scratch, synth};

/// The first `n` rows of a Parquet file.
fn head(path: &Path, n: usize) -> RecordBatch {
    let f = std::fs::File::open(path).unwrap();
    let batch = ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .with_batch_size(n)
        .build()
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    batch.slice(0, n)
}

/// `batch` with column `name` replaced by `values`.
fn with(batch: &RecordBatch, name: &str, values: &[&str]) -> RecordBatch {
    let i = batch.schema().index_of(name).unwrap();
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    let dt = columns[i].data_type().clone();
    let text: ArrayRef = Arc::new(StringArray::from(values.to_vec()));
    columns[i] = arrow::compute::cast(&text, &dt).unwrap();
    RecordBatch::try_new(batch.schema(), columns).unwrap()
}

fn write(path: &Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = std::fs::File::create(path).unwrap();
    let mut w = ArrowWriter::try_new(f, batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

/// Moves `<table>.parquet` into a folder `<table>/` as its first file and adds `extra` as a
/// second file: a table of two files, the second with bad rows.
fn add_rows(dump: &Path, table: &str, extra: &RecordBatch) {
    let file = dump.join(format!("{table}.parquet"));
    let dir = dump.join(table);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::rename(&file, dir.join("2026-03-a.parquet")).unwrap();
    write(&dir.join("2026-03-b.parquet"), extra);
}

fn rejects(run: &Path) -> Vec<String> {
    let f = std::fs::File::open(run.join("rejects.parquet")).unwrap();
    let mut out = Vec::new();
    for b in ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap()
    {
        let b = b.unwrap();
        for r in 0..b.num_rows() {
            let cells: Vec<String> = (0..b.num_columns())
                .map(|c| {
                    let col = arrow::compute::cast(b.column(c), &arrow::datatypes::DataType::Utf8)
                        .unwrap();
                    let col = col.as_any().downcast_ref::<StringArray>().unwrap().clone();
                    if col.is_null(r) {
                        "∅".to_string()
                    } else {
                        col.value(r).to_string()
                    }
                })
                .collect();
            out.push(cells.join(" | "));
        }
    }
    out.sort();
    out
}

fn manifest(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap()
}

/// A 20,000-person month with a visit id given twice (to another person) and a line of a visit
/// that does not exist, in second files of their tables: run in memory, cut into 3 partitions
/// per set, and out of core because the memory budget says so. Hits and leads are the same
/// bytes; the account and every reject (file, row, reason) are the same.
#[test]
fn an_out_of_core_run_gives_the_bytes_of_the_run_in_memory() {
    let dir = scratch("outofcore");
    let dump = dir.join("dump");
    synth(&dump, "20000", "2026", &[]);
    let visit = head(&dump.join("visits.parquet"), 1);
    add_rows(
        &dump,
        "visits",
        &with(&visit, "patient_id", &["33010000000000000000"]),
    );
    let line = head(&dump.join("line_items.parquet"), 2);
    let line = with(&line, "visit_id", &["NO-SUCH-VISIT", "NO-SUCH-VISIT-2"]);
    add_rows(
        &dump,
        "line_items",
        &with(&line, "line_id", &["L-ORPHAN-1", "L-ORPHAN-2"]),
    );
    let input = dump.to_str().unwrap();
    let rb = ["--rulebase", "../shared/data/nhsa-rules"];
    run_ok(
        input,
        &dir.join("memory"),
        &[&rb[..], &["--partitions", "0"]].concat(),
    );
    run_ok(
        input,
        &dir.join("three"),
        &[&rb[..], &["--partitions", "3"]].concat(),
    );
    run_ok(
        input,
        &dir.join("budget"),
        &[&rb[..], &["--memory-limit", "64M"]].concat(),
    );
    let memory = manifest(&dir.join("memory"));
    assert!(memory.get("partitions").is_none());
    assert!(memory["hits"].as_u64().unwrap() > 100, "{memory}");
    for run in ["three", "budget"] {
        let out = dir.join(run);
        for file in ["hits.parquet", "leads.parquet"] {
            assert!(
                std::fs::read(out.join(file)).unwrap()
                    == std::fs::read(dir.join("memory").join(file)).unwrap(),
                "{run}: {file} differs from the run in memory"
            );
        }
        let m = manifest(&out);
        assert!(m["partitions"]["parts"].as_u64().unwrap() >= 1, "{m}");
        // The three sets are never on disk together: at most the larger of the two cuts.
        let (all, peak) = (
            m["partitions"]["bytes"].as_u64().unwrap(),
            m["partitions"]["peak_bytes"].as_u64().unwrap(),
        );
        assert!(peak > 0 && peak < all, "{m}");
        assert!(
            !out.with_file_name(format!(".{run}.partitions")).exists(),
            "partitions are removed"
        );
        for (a, b) in memory["ingest"]["tables"]
            .as_array()
            .unwrap()
            .iter()
            .zip(m["ingest"]["tables"].as_array().unwrap())
        {
            for k in ["table", "read", "accepted", "rejected", "present"] {
                assert_eq!(a[k], b[k], "{run}: {k} of {}", a["table"]);
            }
            let files = |t: &serde_json::Value| -> Vec<(String, u64, String)> {
                t["files"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        (
                            f["path"].as_str().unwrap().to_string(),
                            f["rows"].as_u64().unwrap(),
                            f["sha256"].as_str().unwrap().to_string(),
                        )
                    })
                    .collect()
            };
            assert_eq!(files(a), files(b), "{run}: the files of {}", a["table"]);
        }
        assert_eq!(
            memory["run_id"], m["run_id"],
            "{run}: same input, same run id"
        );
        assert_eq!(memory["leads"], m["leads"], "{run}");
        let r = rejects(&out);
        assert_eq!(r, rejects(&dir.join("memory")), "{run}: rejects");
        assert_eq!(r.len(), 3, "{r:?}");
        assert!(
            r.iter()
                .any(|x| x.contains("visits/2026-03-b.parquet | 1 |")),
            "{r:?}"
        );
        assert!(
            r.iter()
                .any(|x| x.contains("line_items/2026-03-b.parquet | 2 |")
                    && x.contains("NO-SUCH-VISIT-2")),
            "{r:?}"
        );
    }
}

/// An out-of-core run reads Parquet; a CSV dump is refused with what to do (exit 3).
#[test]
fn an_out_of_core_run_of_csv_says_to_import_first() {
    let dir = scratch("outofcore-csv");
    let (code, _, stderr) = fundguard(&[
        "run",
        "--input",
        "fixtures/dump-bad-csv",
        "--out",
        dir.join("run").to_str().unwrap(),
        "--partitions",
        "2",
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("fundguard import"), "{stderr}");
    assert!(!dir.join("run").exists());
}

/// A month whose partitions would not fit on the spill disk stops before cutting, with the
/// numbers (exit 3); `FUNDGUARD_DISK_LIMIT` stands for a small disk.
#[test]
fn an_out_of_core_run_too_large_for_the_disk_says_so() {
    let dir = scratch("outofcore-disk");
    let dump = dir.join("dump");
    synth(&dump, "2000", "7", &[]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fundguard"))
        .args(["run", "--partitions", "2", "--input"])
        .arg(&dump)
        .arg("--out")
        .arg(dir.join("run"))
        .arg("--spill-dir")
        .arg(&dir)
        .env("FUNDGUARD_DISK_LIMIT", "1000")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("GB of disk for its out-of-core partitions")
            && stderr.contains("(FUNDGUARD_DISK_LIMIT)")
            && stderr.contains("--spill-dir"),
        "{stderr}"
    );
    assert!(!dir.join("run").exists());
    // With room, the same month runs.
    run_ok(
        dump.to_str().unwrap(),
        &dir.join("run"),
        &["--partitions", "2", "--spill-dir", dir.to_str().unwrap()],
    );
}
