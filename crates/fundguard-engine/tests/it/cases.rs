//! Each rule's cases: a `<rule>.case` file beside the rule's source holds tiny dumps, in sections
//! `== fires: …` (must produce at least one hit) and `== quiet: …` (the look-alike: no hit). Each
//! table is `name:` followed by CSV lines. The hits are snapshot-tested.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use fundguard_engine::{hit_rows, RulesConfig};
use fundguard_model::Language;

use crate::{ingest_clean, only, scratch, shared_rulebase};

fn case_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            case_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "case") {
            out.push(p);
        }
    }
}

struct Section {
    title: String,
    tables: Vec<(String, String)>,
}

fn parse(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(title) = line.strip_prefix("== ") {
            sections.push(Section {
                title: title.to_string(),
                tables: Vec::new(),
            });
            continue;
        }
        let s = sections.last_mut().expect("a section before any table");
        match line.strip_suffix(':') {
            Some(t) if !t.contains(',') => s.tables.push((t.to_string(), String::new())),
            _ => {
                let table = s.tables.last_mut().expect("a table header before rows");
                table.1.push_str(line);
                table.1.push('\n');
            }
        }
    }
    sections
}

/// `src/rules/bed_hanging/elsewhere.case` → `bed_hanging.elsewhere`.
fn rule_id(path: &Path) -> String {
    let family = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    let name = path.file_stem().unwrap().to_str().unwrap();
    format!("{family}.{name}")
}

#[test]
fn every_rule_has_cases_and_they_hold() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let mut files = Vec::new();
    case_files(&root, &mut files);
    let ids: Vec<String> = files.iter().map(|f| rule_id(f)).collect();
    for info in fundguard_engine::infos() {
        assert!(
            ids.iter().any(|i| i == info.id),
            "{} has no .case file",
            info.id
        );
    }
    let rulebase = shared_rulebase();
    let mut failures = Vec::new();
    for (file, id) in files.iter().zip(&ids) {
        let sections = parse(&std::fs::read_to_string(file).unwrap());
        assert!(
            sections.iter().any(|s| s.title.starts_with("fires"))
                && sections.iter().any(|s| s.title.starts_with("quiet")),
            "{}: needs a fires and a quiet section",
            file.display()
        );
        let mut snapshot = String::new();
        for (k, section) in sections.iter().enumerate() {
            let dir = scratch(&format!("{id}-{k}"));
            for (table, csv) in &section.tables {
                std::fs::write(dir.join(format!("{table}.csv")), csv).unwrap();
            }
            let dump = ingest_clean(&dir);
            let run =
                fundguard_engine::run(&dump, &only(id), &RulesConfig::default(), Some(&rulebase));
            let rows = hit_rows(&dump, &run.hits, Language::En);
            let fires = section.title.starts_with("fires");
            if fires == rows.is_empty() {
                failures.push(format!("{id} `{}`: {} hits", section.title, rows.len()));
            }
            let _ = writeln!(snapshot, "== {}", section.title);
            for r in &rows {
                let _ = writeln!(
                    snapshot,
                    "{} {}={} provider={:?} patient={:?} visit={:?} amount={} severity={:.3}\n  lines={:?}\n  {}",
                    r.rule_id,
                    r.subject_type,
                    r.subject_id,
                    r.provider_id,
                    r.patient_id,
                    r.visit_id,
                    fundguard_model::yuan(r.amount_fen),
                    r.severity,
                    r.line_ids,
                    r.evidence
                );
            }
            let zh = hit_rows(&dump, &run.hits, Language::Zh);
            for r in &zh {
                let _ = writeln!(snapshot, "  {}", r.evidence);
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
        insta::assert_snapshot!(id.as_str(), snapshot);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
