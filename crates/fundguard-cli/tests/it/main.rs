//! The real binary: exit codes and what it prints.

use std::path::Path;
use std::process::Command;

fn fundguard(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fundguard"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn validate_reports_counts_and_reasons_and_writes_rejects() {
    let out = std::env::temp_dir().join(format!("fundguard-cli-{}", std::process::id()));
    let (code, stdout, stderr) = fundguard(&[
        "validate",
        "--input",
        "fixtures/dump-bad-gbk",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("line_items       1           13            6          7  (gb18030)"),
        "{stdout}"
    );
    assert!(stdout.contains("absent: purchases"), "{stdout}");
    assert!(
        stdout.contains("visit_id: no visit V099 in visits"),
        "{stdout}"
    );
    assert!(stdout.contains("rejected 19"), "{stdout}");
    assert!(out.join("rejects.parquet").is_file());
    let account = std::fs::read_to_string(out.join("ingest.json")).unwrap();
    assert!(account.contains("\"rejected\": 7"), "{account}");
}

#[test]
fn unusable_input_exits_3_naming_the_problem() {
    let (code, _, stderr) = fundguard(&["validate", "--input", "fixtures/no-such-dump"]);
    assert_eq!(code, 3);
    assert!(stderr.contains("not a directory"), "{stderr}");
    let (code, _, stderr) = fundguard(&["validate", "--input", "crates"]);
    assert_eq!(code, 3);
    assert!(
        stderr.contains("required table `visits` not found"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, stderr) = fundguard(&["synth", "--out", "x", "--month", "2026-13"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("month must be 01-12"), "{stderr}");
}
