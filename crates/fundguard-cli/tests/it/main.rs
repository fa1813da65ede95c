//! The real binary: exit codes and what it prints.

use std::path::{Path, PathBuf};
use std::process::Command;

mod outofcore;
mod ties;

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

/// A run directory's manifest.json.
fn read_manifest(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap()
}

/// `fundguard run --input INPUT --out OUT EXTRA…`, which must succeed; its stdout.
fn run_ok(input: &str, out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["run", "--input", input, "--out", out.to_str().unwrap()];
    args.extend(extra);
    let (code, stdout, stderr) = fundguard(&args);
    assert_eq!(code, 0, "{stderr}");
    stdout
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("fundguard-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `fundguard synth --out OUT --patients N --seed S EXTRA…`, which must succeed.
fn synth(out: &Path, patients: &str, seed: &str, extra: &[&str]) {
    let mut args = vec![
        "synth",
        "--out",
        out.to_str().unwrap(),
        "--patients",
        patients,
    ];
    args.extend(["--seed", seed]);
    args.extend(extra);
    let (code, _, stderr) = fundguard(&args);
    assert_eq!(code, 0, "{stderr}");
}

/// Generates a month of `patients` (seed 2026) into `dir/dump` and runs it into `dir/run` with
/// `extra` arguments; the run's stdout.
fn synth_and_run(dir: &Path, patients: &str, extra: &[&str]) -> String {
    let dump = dir.join("dump");
    synth(&dump, patients, "2026", &[]);
    run_ok(dump.to_str().unwrap(), &dir.join("run"), extra)
}

#[test]
fn run_writes_hits_manifest_and_effective_config() {
    let dir = scratch("run");
    let stdout = synth_and_run(&dir, "3000", &[]);
    let out = dir.join("run");
    // Without --rulebase the rules that need the national tables say so.
    assert!(
        stdout.contains("duplicate_charge.included_item     skipped: needs the national rule base"),
        "{stdout}"
    );
    assert!(stdout.contains("bed_hanging.elsewhere"), "{stdout}");
    for f in [
        "hits.parquet",
        "rejects.parquet",
        "config.toml",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let manifest: serde_json::Value = read_manifest(&out);
    assert_eq!(manifest["config_sha256"].as_str().unwrap().len(), 64);
    // --quiet prints nothing; progress goes to stderr only when it is a terminal (here a pipe).
    let quiet = dir.join("quiet");
    let (code, stdout, stderr) = fundguard(&[
        "run",
        "--input",
        dir.join("dump").to_str().unwrap(),
        "--out",
        quiet.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!((code, stdout.as_str(), stderr.as_str()), (0, "", ""));
    assert_eq!(
        std::fs::read(quiet.join("hits.parquet")).unwrap(),
        std::fs::read(out.join("hits.parquet")).unwrap()
    );
    let rules = manifest["rules"].as_array().unwrap();
    assert_eq!(rules.len(), fundguard_engine::infos().len());
    assert!(rules
        .iter()
        .any(|r| r["rule_id"] == "duplicate_charge.period_cap" && r["status"] == "skipped"));
    assert!(rules
        .iter()
        .any(|r| r["rule_id"] == "bed_hanging.elsewhere" && r["status"] == "ran"));
    for f in ["leads.parquet", "report.html", "leads.xlsx"] {
        assert!(out.join(f).is_file(), "{f}");
    }

    // Again, with a whitelist and the first run as the baseline: the same leads recur, the
    // whitelisted subject's lead is left out, and the same input gives byte-identical outputs.
    let top = manifest_top_lead(&out);
    let feedback = dir.join("feedback.csv");
    std::fs::write(
        &feedback,
        format!(
            "lead_id,subject_type,subject_id,rule_id,verdict,note\n{top},,,,whitelist,checked\n"
        ),
    )
    .unwrap();
    let again = dir.join("again");
    let stdout = run_ok(
        dir.join("dump").to_str().unwrap(),
        &again,
        &[
            "--feedback",
            feedback.to_str().unwrap(),
            "--baseline",
            out.to_str().unwrap(),
        ],
    );
    assert!(stdout.contains("1 leads left out"), "{stdout}");
    assert!(!stdout.contains(&top), "{stdout}");
    let m: serde_json::Value = read_manifest(&again);
    assert_eq!(m["feedback"]["suppressed_leads"], 1);
    assert!(
        m["baseline"]["leads"]["recurring"].as_u64().unwrap() > 0,
        "{m}"
    );
    // The report shows the month against the baseline and the feedback as cards, with the
    // manifest's counts, and a status filter.
    let html = std::fs::read_to_string(again.join("report.html")).unwrap();
    let cards = &html[html.find(r#"id="baseline-cards""#).expect("baseline cards")..];
    let recurring = m["baseline"]["leads"]["recurring"].to_string();
    assert!(
        cards.contains(&format!(
            r#"<div class="v">{recurring}</div><div class="k"><span class="zh">持续线索"#
        )),
        "{}",
        &cards[..cards.len().min(2000)]
    );
    assert!(html.contains(r#"id="feedback-cards""#) && html.contains("白名单屏蔽命中"));
    assert!(html.contains(r#"<select id="f-status""#));
    let first = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!first.contains(r#"id="baseline-cards""#) && !first.contains(r#"id="f-status""#));
    assert_eq!(
        std::fs::read(out.join("hits.parquet")).unwrap(),
        std::fs::read(again.join("hits.parquet")).unwrap(),
        "hits.parquet differs between two runs of the same input"
    );
    let third = dir.join("third");
    run_ok(dir.join("dump").to_str().unwrap(), &third, &[]);
    for f in ["leads.parquet", "leads.xlsx", "report.html"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(third.join(f)).unwrap(),
            "{f} differs between two runs of the same input"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A text column of a run's leads.parquet, in rank order.
fn lead_column(run: &Path, name: &str) -> Vec<String> {
    let file = std::fs::File::open(run.join("leads.parquet")).unwrap();
    let mut out = Vec::new();
    for batch in parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
    {
        let batch = batch.unwrap();
        let c = batch
            .column_by_name(name)
            .unwrap()
            .as_any()
            .downcast_ref::<arrow::array::StringArray>()
            .unwrap()
            .clone();
        out.extend((0..batch.num_rows()).map(|i| c.value(i).to_string()));
    }
    out
}

/// The lead ranked first in a run (leads.parquet, read back).
fn manifest_top_lead(run: &Path) -> String {
    lead_column(run, "lead_id").remove(0)
}

/// Debian's Chromium (`.ci/run` installs it with a CJK font).
fn chromium() -> std::path::PathBuf {
    let path = std::env::var_os("FUNDGUARD_CHROMIUM")
        .map_or_else(|| std::path::PathBuf::from("/usr/bin/chromium"), Into::into);
    assert!(
        path.exists(),
        "{} not found: install Debian's chromium (`apt-get install chromium fonts-wqy-microhei`, as .ci/run does) or set FUNDGUARD_CHROMIUM",
        path.display()
    );
    path
}

fn headless(args: &[&str], profile: &Path) -> std::process::Output {
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap()
}

/// Runs a Python script with the interpreter `.ci/run` provides (python-docx, openpyxl), returning
/// what it prints.
fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 (with python-docx and openpyxl, as .ci/run installs them)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The page's embedded data (the leads of the table and their pictures).
fn report_data(run: &Path) -> serde_json::Value {
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    let start = html
        .find(r#"<script type="application/json" id="data">"#)
        .unwrap();
    let body = &html[start..];
    let body = &body[body.find('>').unwrap() + 1..body.find("</script>").unwrap()];
    serde_json::from_str(body).unwrap()
}

/// The rows of the lead table in a rendered page.
fn shown_rows(dom: &str) -> Vec<&str> {
    let body = &dom[dom
        .find(r#"<tbody id="lead-rows">"#)
        .expect("the lead table")..];
    let body = &body[..body.find("</tbody>").unwrap()];
    body.split(r#"<tr class="lead""#).skip(1).collect()
}

/// report.html in headless Chromium: the table shows every lead once loaded, a search narrows it
/// to the rows that hold the query, a filter to the leads of one family, and each kind of picture
/// is drawn on a lead's page. Screenshots go to the test artefacts as `<name>-*.png`.
fn the_report_works_in_chromium(run: &Path, dir: &Path, name: &str) {
    let ids = lead_column(run, "lead_id");
    let subjects = lead_column(run, "subject_id");
    let data = report_data(run);
    let page = format!(
        "file://{}",
        std::fs::canonicalize(run.join("report.html"))
            .unwrap()
            .display()
    );
    let artefacts = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| dir.to_path_buf(), std::path::PathBuf::from)
        .join("test-artefacts");
    std::fs::create_dir_all(&artefacts).unwrap();
    let mut profiles = 0;
    let mut open = |fragment: &str, shot: Option<&str>| -> String {
        profiles += 1;
        let url = format!("{page}{fragment}");
        if let Some(shot) = shot {
            let png = artefacts.join(format!("{name}-{shot}.png"));
            let _ = std::fs::remove_file(&png);
            let out = headless(
                &[&format!("--screenshot={}", png.display()), &url],
                &dir.join(format!("profile-{profiles}s")),
            );
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let bytes = std::fs::read(&png).unwrap();
            assert!(
                bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
                "{} bytes",
                bytes.len()
            );
        }
        let out = headless(
            &["--dump-dom", &url],
            &dir.join(format!("profile-{profiles}")),
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    // Every lead, in rank order.
    let all = open("", Some("list"));
    let rows = shown_rows(&all);
    assert_eq!(rows.len(), ids.len(), "the table does not show every lead");
    assert!(rows[0].contains(&format!(r#"<code class="lead-id">{}</code>"#, ids[0])));
    assert!(rows[rows.len() - 1].contains(&ids[ids.len() - 1]));
    assert!(
        all.contains("监督检查情况统计表"),
        "the statistics table is missing"
    );

    // A search for the top lead's subject: fewer rows, each holding it, the top lead among them.
    let q = &subjects[0];
    let found = open(&format!("#q={q}"), Some("search"));
    let rows = shown_rows(&found);
    assert!(
        !rows.is_empty() && rows.len() < ids.len(),
        "{} rows for {q}",
        rows.len()
    );
    assert!(
        rows.iter().all(|r| r.contains(q.as_str())),
        "a row without {q}"
    );
    assert!(rows[0].contains(&ids[0]));

    // A family filter: exactly the leads of that family, by the page's own data.
    let leads = data["leads"].as_array().unwrap();
    let family = leads[0]["families"][0].as_str().unwrap();
    let of_family = leads
        .iter()
        .filter(|l| {
            l["families"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == family)
        })
        .count();
    let filtered = open(&format!("#family={family}&sort=fen&dir=desc"), None);
    let rows = shown_rows(&filtered);
    assert_eq!(rows.len(), of_family, "{family}");
    // Sorted by money, largest first.
    let fen = |id: &str| {
        leads.iter().find(|l| l["id"] == id).unwrap()["fen"]
            .as_i64()
            .unwrap()
    };
    let shown_ids: Vec<&str> = rows
        .iter()
        .map(|r| {
            let at = r.find(r#"<code class="lead-id">"#).unwrap() + 22;
            &r[at..at + r[at..].find('<').unwrap()]
        })
        .collect();
    assert!(shown_ids.windows(2).all(|w| fen(w[0]) >= fen(w[1])));

    // Each kind of picture on the page of the highest-ranked lead that has it.
    let pictures = data["pictures"].as_object().unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for l in leads {
        let lead = l["id"].as_str().unwrap();
        let Some(p) = pictures.get(lead) else {
            continue;
        };
        let kind = p["type"].as_str().unwrap().to_string();
        if !kinds.insert(kind.clone()) {
            continue;
        }
        let dom = open(&format!("#lead={lead}"), Some(&format!("lead-{kind}")));
        assert!(
            dom.contains(r#"<body class="on-lead">"#),
            "{lead}: not on its page"
        );
        let mark = match kind.as_str() {
            "timeline" => r#"<svg class="picture timeline""#,
            "peers" => r#"<svg class="picture peers""#,
            _ => r#"<div class="chain-cards">"#,
        };
        assert!(dom.contains(mark), "{lead}: no {kind} picture");
        assert!(dom.contains(&format!(r#"<code class="lead-id">{lead}</code>"#)));
    }
    assert!(kinds.contains("timeline"), "{kinds:?}");
    eprintln!("{name}: {} leads, pictures {kinds:?}", ids.len());
}

#[test]
fn the_report_renders_offline_with_the_top_lead_visible_and_the_exports_hold() {
    let dir = scratch("report");
    std::fs::create_dir_all(&dir).unwrap();
    let stdout = synth_and_run(&dir, "20000", &["--rulebase", "../shared/data/nhsa-rules"]);
    let run = dir.join("run");
    // The top lead as leads.parquet ranks it, and as the run printed it.
    let top = manifest_top_lead(&run);
    assert!(stdout.contains(&format!("   1  {top}")), "{stdout}");

    // Offline: the page references nothing outside itself.
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    for outside in ["http://", "https://", "src=\"", "<link"] {
        let allowed = |s: &str| s.contains("http://www.w3.org/2000/svg");
        assert!(
            html.match_indices(outside)
                .all(|(i, _)| allowed(&html[i..(i + 40).min(html.len())])),
            "report.html refers to `{outside}`"
        );
    }
    the_report_works_in_chromium(&run, &dir, "report-20k");

    // The top lead's dossier, in the exposure-case format.
    let dossier = std::fs::read_to_string(run.join("cases").join(format!("{top}.md"))).unwrap();
    // The title line, then exactly the format's six sections, in order.
    assert!(
        dossier.starts_with("# ____省（自治区、直辖市）/兵团____市（地、州、盟）")
            && dossier.lines().next().unwrap().ends_with("骗取医保基金案"),
        "{dossier}"
    );
    let headings: Vec<&str> = dossier.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        headings,
        [
            "## （一）涉案基本情况",
            "## （二）案件查办的主要过程",
            "## （三）违法违规事实与涉嫌金额",
            "## （四）部门协作与移送情况",
            "## （五）作出处理的部门、处理依据与处理结果",
            "## （六）被处理单位（个人）意见",
        ]
    );
    assert!(
        dossier.contains("《医疗保障基金使用监督管理条例》"),
        "{dossier}"
    );
    // Its Word copy: a docx package whose document has the same title and sections as Word
    // headings, and the lead's amount.
    let docx = std::fs::File::open(run.join("cases").join(format!("{top}.docx"))).unwrap();
    let mut zip = zip::ZipArchive::new(docx).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml)
        .unwrap();
    assert!(zip.by_name("word/styles.xml").is_ok());
    let h2 = r#"<w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t xml:space="preserve">"#;
    for heading in &headings {
        assert!(
            xml.contains(&format!("{h2}{}", &heading[3..])),
            "{heading} missing from the docx"
        );
    }
    let amount = dossier
        .lines()
        .find(|l| l.starts_with("合计涉嫌金额"))
        .and_then(|l| l.split("**").nth(1))
        .unwrap()
        .to_string();
    assert!(xml.contains(&amount), "{amount}");

    // What inspectors open: python-docx reads the dossier's headings as Word headings and the
    // facts as a table holding the amount; LibreOffice converts it headless; openpyxl reads
    // leads.xlsx with its frozen header and autofilter. (`.ci/run` installs all three.)
    let docx_path = run.join("cases").join(format!("{top}.docx"));
    let out = python(
        r#"
import sys, docx
d = docx.Document(sys.argv[1])
for p in d.paragraphs:
    if p.style.name in ("Heading 1", "Heading 2"):
        print(p.style.name + "|" + p.text)
t = d.tables[0]
print("table|" + str(len(t.rows)) + "|" + "|".join(c.text for c in t.rows[0].cells))
print("cells|" + "|".join(c.text for r in t.rows for c in r.cells))
"#,
        &[docx_path.to_str().unwrap()],
    );
    let read: Vec<&str> = out.lines().collect();
    assert!(
        read[0].starts_with("Heading 1|____省（自治区、直辖市）/兵团"),
        "{out}"
    );
    let h2: Vec<&str> = read
        .iter()
        .filter_map(|l| l.strip_prefix("Heading 2|"))
        .collect();
    assert_eq!(
        h2,
        headings.iter().map(|h| &h[3..]).collect::<Vec<_>>(),
        "{out}"
    );
    assert!(
        read.iter()
            .any(|l| l.starts_with("table|") && l.contains("涉嫌金额（元）")),
        "{out}"
    );
    let first_hit_amount = dossier
        .lines()
        .find(|l| l.starts_with("| 1 |"))
        .and_then(|l| l.split(" | ").nth(3))
        .unwrap()
        .to_string();
    assert!(
        read.iter()
            .any(|l| l.starts_with("cells|") && l.contains(&first_hit_amount)),
        "{out}"
    );
    let converted = dir.join("converted");
    let soffice = std::env::var_os("FUNDGUARD_SOFFICE").unwrap_or_else(|| "soffice".into());
    let lo = Command::new(&soffice)
        .args(["--headless", "--norestore", "--convert-to", "txt:Text", "--outdir"])
        .arg(&converted)
        .arg(&docx_path)
        .env("HOME", dir.join("lo-home"))
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (install Debian's libreoffice-writer-nogui, as .ci/run does, or set FUNDGUARD_SOFFICE)", soffice.to_string_lossy()));
    assert!(
        lo.status.success(),
        "{}",
        String::from_utf8_lossy(&lo.stderr)
    );
    let text = std::fs::read_to_string(converted.join(format!("{top}.txt"))).unwrap();
    for h in &headings {
        assert!(text.contains(&h[3..]), "LibreOffice lost {h}:\n{text}");
    }
    assert!(text.contains(&amount), "{text}");
    let out = python(
        r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
for ws in wb.worksheets:
    print(ws.title + "|" + str(ws.freeze_panes) + "|" + str(ws.auto_filter.ref))
ws = wb["线索"]
print("id|" + str(ws["B2"].value) + "|" + str(ws["B2"].number_format) + "|" + str(type(ws["G2"].value).__name__) + "|" + ws["G2"].number_format)
"#,
        &[run.join("leads.xlsx").to_str().unwrap()],
    );
    let sheets: Vec<&str> = out.lines().collect();
    assert!(sheets[0].starts_with("线索|A2|A1:"), "{out}");
    assert!(sheets[1].starts_with("命中明细|A2|A1:"), "{out}");
    assert!(
        sheets.iter().any(|l| l.starts_with("监督检查情况统计表|")),
        "{out}"
    );
    assert!(
        sheets
            .iter()
            .any(|l| l == &format!("id|{top}|@|float|#,##0.00")),
        "{out}"
    );

    // leads.xlsx: every id is a text cell, exactly as in leads.parquet.
    let book =
        fundguard_rulebase::xlsx::read_workbook(&std::fs::read(run.join("leads.xlsx")).unwrap())
            .unwrap();
    assert_eq!(book[0].name, "线索");
    assert_eq!(book[1].name, "命中明细");
    // The bureau's monthly statistics: institutions in the dump and with leads filled, the
    // inspection's columns left empty.
    let stats = book
        .iter()
        .find(|s| s.name == "监督检查情况统计表")
        .expect("the statistics sheet");
    assert_eq!(stats.rows[0].1[0], "统计期间");
    assert_eq!(stats.rows[0].1[10], "追回医保基金（万元）");
    let institutions: i64 = stats.rows[1].1[1].parse().unwrap();
    let flagged: i64 = stats.rows[1].1[4].parse().unwrap();
    assert!(institutions > flagged && flagged > 0, "{:?}", stats.rows[1]);
    assert_eq!(book[0].rows[0].1[1], "线索编号");
    assert_eq!(book[0].rows[1].1[1], top);
    // A long digit id stored as a number would come back rounded (3.30100053800000e19).
    let subjects = lead_column(&run, "subject_id");
    for (r, subject) in subjects.iter().enumerate() {
        assert_eq!(&book[0].rows[r + 1].1[3], subject);
    }
    let sheet = fundguard_rulebase::xlsx::read_part(
        &std::fs::read(run.join("leads.xlsx")).unwrap(),
        "xl/worksheets/sheet1.xml",
    )
    .unwrap();
    assert!(sheet.contains("state=\"frozen\"") && sheet.contains("<autoFilter "));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The quality bar of docs/quality.md, on the generator's realistic 200,000-person month at the seed
/// the defaults were tuned on (2026) and at one they were not (7): every family finds at least 98%
/// of its cases by the rule each was injected for, at most 1% of the look-alikes are flagged, the
/// top 100 leads are at least 95% true and at least 95% of the found amounts are within 10%.
#[test]
fn eval_on_realistic_200k_months_meets_the_quality_bar_at_two_seeds() {
    for seed in ["2026", "7"] {
        let dir = scratch(&format!("eval-{seed}"));
        std::fs::create_dir_all(&dir).unwrap();
        let dump = dir.join("dump");
        synth(&dump, "200000", seed, &[]);
        run_ok(
            dump.to_str().unwrap(),
            &dir.join("run"),
            &["--rulebase", "../shared/data/nhsa-rules"],
        );
        let (code, stdout, stderr) = fundguard(&[
            "eval",
            "--run",
            dir.join("run").to_str().unwrap(),
            "--truth",
            dump.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("precision@100"), "{stdout}");
        let e: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("run/eval.json")).unwrap())
                .unwrap();
        let p100 = e["precision_at"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p[0] == 100)
            .unwrap()[1]
            .as_f64()
            .unwrap();
        assert!(
            p100 >= 0.95,
            "seed {seed}: precision@100 = {p100}\n{stdout}"
        );
        let families = e["families"].as_object().unwrap();
        assert_eq!(families.len(), 15, "{stdout}");
        let (mut decoys, mut flagged) = (0, 0);
        for (f, q) in families {
            let (mut cases, mut found) =
                (q["cases"].as_u64().unwrap(), q["found"].as_u64().unwrap());
            // A doctor's template is drawn on 40-95% of his patients around the rule's 60%, two
            // a month: half of them are meant to be missed. What it must hold is that every hit
            // of it is about an injected case and no look-alike is flagged (the sum below).
            // So are the other provider-level cases drawn across their rules' margins: split
            // outpatient visits (0.3-2 extra visits per patient around half a visit), cloned
            // claims (2-22% of visits around 5 points), upselling, readmissions (6-40% around
            // 5 points over the honest 4%) and account-paid goods (1-8 cards around 3).
            for rule in [
                "peer_outlier.doctor_items",
                "peer_outlier.visits_per_patient",
                "peer_outlier.money_per_patient",
                "phantom_service.cloned_claims",
                "split_admission.readmission_share",
                "item_swap.account_misuse",
            ] {
                if rule.starts_with(&format!("{f}.")) {
                    let d = &e["rules"][rule];
                    if d.is_null() {
                        continue;
                    }
                    assert_eq!(d["hits"], d["hits_true"], "seed {seed}: {rule}: {d}");
                    cases -= d["cases"].as_u64().unwrap();
                    found -= d["found"].as_u64().unwrap();
                }
            }
            // Trace-code cases are few a month and straddle count thresholds (two resold boxes,
            // unstocked boxes under 5%): misses there are where the rules stop (docs/quality.md).
            // Admission and upcoding cases after the first round are drawn at 4-40% of a
            // hospital's stays, across the 10-point margin: about a third are meant to be missed,
            // and every hit of theirs must be about an injected case.
            let bar = match f.as_str() {
                "trace_code" => 0.75,
                "admission_standard" | "upcoding" => {
                    for (rule, q) in e["rules"].as_object().unwrap() {
                        if rule.starts_with(&format!("{f}.")) {
                            assert_eq!(q["hits"], q["hits_true"], "seed {seed}: {rule}: {q}");
                        }
                    }
                    0.5
                }
                _ => 0.98,
            };
            assert!(
                found as f64 >= bar * cases as f64,
                "seed {seed}: {f} found {found} of {cases}\n{stdout}"
            );
            assert_eq!(q["in_leads"], q["found"], "seed {seed}: {f}: {q}");
            decoys += q["decoys"].as_u64().unwrap();
            flagged += q["decoys_flagged"].as_u64().unwrap();
        }
        assert!(
            flagged * 100 <= decoys,
            "seed {seed}: {flagged} of {decoys} look-alikes flagged\n{stdout}"
        );
        let (mut checked, mut ok) = (0, 0);
        for q in e["rules"].as_object().unwrap().values() {
            checked += q["amount_checked"].as_u64().unwrap();
            ok += q["amount_ok"].as_u64().unwrap();
        }
        assert!(
            ok * 100 >= 95 * checked,
            "seed {seed}: {ok} of {checked} amounts within 10%\n{stdout}"
        );
        // The report of the month the defaults were tuned on, in a browser: every lead, search,
        // filters and each kind of picture.
        if seed == "2026" {
            the_report_works_in_chromium(&dir.join("run"), &dir, "report-200k");
            // The realistic month out of core (4 partitions per set): the same bytes.
            run_ok(
                dump.to_str().unwrap(),
                &dir.join("outofcore"),
                &[
                    "--rulebase",
                    "../shared/data/nhsa-rules",
                    "--partitions",
                    "4",
                ],
            );
            for f in ["hits.parquet", "leads.parquet"] {
                assert!(
                    std::fs::read(dir.join("run").join(f)).unwrap()
                        == std::fs::read(dir.join("outofcore").join(f)).unwrap(),
                    "200k month: {f} out of core differs from the run in memory"
                );
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Issue 6's bar: a month written as canonical Parquet and as GBK national extracts gives
/// identical hits and leads.
#[test]
fn canonical_parquet_and_gbk_national_extracts_give_identical_hits_and_leads() {
    let dir = scratch("nhsa");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, format) in [
        ("pq", &["--format", "parquet"][..]),
        ("nhsa", &["--format", "nhsa", "--encoding", "gbk"][..]),
    ] {
        let out = dir.join(name).join("dump");
        synth(&out, "20000", "2026", format);
        run_ok(
            out.to_str().unwrap(),
            &dir.join(name).join("run"),
            &["--rulebase", "../shared/data/nhsa-rules"],
        );
    }
    assert!(dir.join("nhsa/dump/MDTRT_D.txt").is_file());
    let hits = |n: &str| {
        fundguard_ingest::records::read_hits(&dir.join(n).join("run/hits.parquet")).unwrap()
    };
    let leads = |n: &str| {
        fundguard_ingest::records::read_leads(&dir.join(n).join("run/leads.parquet")).unwrap()
    };
    let (a, b) = (hits("pq"), hits("nhsa"));
    assert!(!a.is_empty());
    assert_eq!(a, b);
    assert_eq!(leads("pq"), leads("nhsa"));
    assert_eq!(
        lead_column(&dir.join("pq/run"), "headline"),
        lead_column(&dir.join("nhsa/run"), "headline")
    );

    // Imported once into partitioned Parquet, the extracts give the same bytes of hits and
    // leads; the import refuses to write over a dump.
    let imported = dir.join("imported");
    let (code, stdout, stderr) = fundguard(&[
        "import",
        "--input",
        dir.join("nhsa/dump").to_str().unwrap(),
        "--out",
        imported.to_str().unwrap(),
        "--buckets",
        "4",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("imported "), "{stdout}");
    let parts: Vec<String> = std::fs::read_dir(imported.join("visits"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(parts.len(), 4, "{parts:?}");
    assert!(
        parts.iter().all(|p| p.starts_with("2026-03-p0")),
        "{parts:?}"
    );
    for t in [
        "patients",
        "providers",
        "drug_traces",
        "settlement_diagnoses",
    ] {
        assert!(imported.join(format!("{t}.parquet")).is_file(), "{t}");
    }
    let account: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(imported.join("import.json")).unwrap())
            .unwrap();
    assert_eq!(account["written"]["tables"]["visits"][0], 4, "{account}");
    run_ok(
        imported.to_str().unwrap(),
        &dir.join("imported-run"),
        &["--rulebase", "../shared/data/nhsa-rules"],
    );
    for f in ["hits.parquet", "leads.parquet"] {
        assert_eq!(
            std::fs::read(dir.join("nhsa/run").join(f)).unwrap(),
            std::fs::read(dir.join("imported-run").join(f)).unwrap(),
            "{f} differs between the extracts and their import"
        );
    }
    let (code, _, stderr) = fundguard(&[
        "import",
        "--input",
        dir.join("nhsa/dump").to_str().unwrap(),
        "--out",
        imported.to_str().unwrap(),
    ]);
    assert_eq!(code, 4, "{stderr}");
    assert!(stderr.contains("not empty"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The shipped DE-SynPUF mapping on both samples: nothing rejected, and what a person can check by
/// hand in those files. Counted with DuckDB over the raw CSVs: sample 1 has 5,775 inpatient claim
/// rows, 10,000 beneficiaries (29,566 yearly rows), 164 claims whose stay overlaps an earlier
/// stay of the same person by at least a day, 0 claims after a death date; sample 2 has 5,888,
/// 10,000, 148 and 0.
#[test]
fn the_desynpuf_mapping_reads_both_samples_without_rejects() {
    for (sample, claims, overlapping) in [(1, 5775u64, 164u64), (2, 5888, 148)] {
        let dir = scratch(&format!("desynpuf-{sample}"));
        let input = format!("../shared/data/external/desynpuf/sample-{sample}");
        let stdout = run_ok(&input, &dir, &["--mapping", "mappings/desynpuf.toml"]);
        assert!(stdout.contains("(0 rejected)"), "{stdout}");
        let m: serde_json::Value = read_manifest(&dir);
        let table = |t: &str| {
            m["ingest"]["tables"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["table"] == t)
                .unwrap()
                .clone()
        };
        assert_eq!(table("visits")["accepted"], claims);
        assert_eq!(table("line_items")["accepted"], claims);
        assert_eq!(table("patients")["accepted"], 10_000);
        let outcome = |id: &str| {
            m["rules"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["rule_id"] == id)
                .unwrap()["hits"]
                .as_u64()
                .unwrap()
        };
        assert_eq!(outcome("bed_hanging.overlap"), overlapping);
        assert_eq!(outcome("impersonation.after_death"), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Copies a generated dump with every table's rows in another order.
fn shuffled_copy(from: &Path, to: &Path) {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowWriter;
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        let file = std::fs::File::open(&path).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
        let schema = reader.schema().clone();
        let batches: Vec<_> = reader.build().unwrap().map(Result::unwrap).collect();
        let all = arrow::compute::concat_batches(&schema, &batches).unwrap();
        // Reverse, then rotate by a third: every row moves.
        let n = all.num_rows() as u32;
        let order: Vec<u32> = (0..n).rev().map(|i| (i + n / 3) % n.max(1)).collect();
        let idx = arrow::array::UInt32Array::from(order);
        let cols = all
            .columns()
            .iter()
            .map(|c| arrow::compute::take(c.as_ref(), &idx, None).unwrap())
            .collect();
        let out = arrow::record_batch::RecordBatch::try_new(schema.clone(), cols).unwrap();
        let mut w =
            ArrowWriter::try_new(std::fs::File::create(to.join(name)).unwrap(), schema, None)
                .unwrap();
        w.write(&out).unwrap();
        w.close().unwrap();
    }
}

/// Runs `a` and `b` (the same rows in two orders) with 1 and 2 threads each into `dir/run-…` and
/// asserts that hits.parquet and leads.parquet are byte-identical across the four runs; the first
/// run's directory.
fn same_bytes_in_both_orders(dir: &Path, a: &Path, b: &Path, extra: &[&str]) -> std::path::PathBuf {
    let mut outputs = Vec::new();
    for (input, threads) in [(a, "1"), (a, "2"), (b, "1"), (b, "2")] {
        let run = dir.join(format!(
            "run-{}-{threads}",
            input.file_name().unwrap().to_string_lossy()
        ));
        let mut args = vec![
            "run",
            "--threads",
            threads,
            "--input",
            input.to_str().unwrap(),
            "--out",
            run.to_str().unwrap(),
        ];
        args.extend(extra);
        let (code, _, stderr) = fundguard(&args);
        assert_eq!(code, 0, "{stderr}");
        outputs.push((
            run.clone(),
            std::fs::read(run.join("hits.parquet")).unwrap(),
            std::fs::read(run.join("leads.parquet")).unwrap(),
        ));
    }
    for o in &outputs[1..] {
        assert!(
            o.1 == outputs[0].1,
            "hits.parquet of {} differs",
            o.0.display()
        );
        assert!(
            o.2 == outputs[0].2,
            "leads.parquet of {} differs",
            o.0.display()
        );
    }
    outputs.swap_remove(0).0
}

/// Issue 8: the same rows in another order, and 1 or 2 threads, give byte-identical hits and
/// leads.
#[test]
fn shuffled_input_and_thread_counts_give_identical_bytes() {
    let dir = scratch("shuffle");
    std::fs::create_dir_all(&dir).unwrap();
    let dump = dir.join("dump");
    synth(&dump, "5000", "9", &[]);
    let shuffled = dir.join("shuffled");
    shuffled_copy(&dump, &shuffled);
    let first = same_bytes_in_both_orders(
        &dir,
        &dump,
        &shuffled,
        &["--rulebase", "../shared/data/nhsa-rules"],
    );
    assert!(!lead_column(&first, "lead_id").is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 8: a run killed at any moment leaves the previous outputs whole, never a partial set.
#[test]
fn a_run_killed_at_random_moments_never_leaves_partial_output() {
    let dir = scratch("kill");
    std::fs::create_dir_all(&dir).unwrap();
    let stdout = synth_and_run(&dir, "20000", &[]);
    assert!(stdout.contains("hits:"), "{stdout}");
    let out = dir.join("run");
    let before = std::fs::read(out.join("hits.parquet")).unwrap();
    let files = [
        "hits.parquet",
        "leads.parquet",
        "report.html",
        "leads.xlsx",
        "rejects.parquet",
        "config.toml",
        "manifest.json",
    ];
    // Delays spread over the run (about a second on 2 cores), from a fixed sequence.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..12 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let delay = std::time::Duration::from_millis(x % 1200);
        let mut child = Command::new(env!("CARGO_BIN_EXE_fundguard"))
            .args([
                "run",
                "--input",
                dir.join("dump").to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ])
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        for f in files {
            assert!(
                out.join(f).is_file(),
                "{f} missing after a kill at {delay:?}"
            );
        }
        let m: serde_json::Value = read_manifest(&out);
        assert!(m["hits"].as_u64().unwrap() > 0);
        assert_eq!(std::fs::read(out.join("hits.parquet")).unwrap(), before);
    }
    // The next run clears what killed runs left behind.
    run_ok(dir.join("dump").to_str().unwrap(), &out, &[]);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".run."))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 8: a failing rule keeps the previous outputs unless --keep-going.
#[test]
fn a_failing_rule_keeps_the_previous_outputs_unless_keep_going() {
    let dir = scratch("failing");
    std::fs::create_dir_all(&dir).unwrap();
    synth_and_run(&dir, "3000", &[]);
    let out = dir.join("run");
    let before = std::fs::read(out.join("manifest.json")).unwrap();
    // Compiles against the empty tables, fails on the data (provider ids are not numbers).
    let cfg = dir.join("failing.toml");
    std::fs::write(
        &cfg,
        "[[custom]]\nid = \"custom.breaks\"\nseverity = 0.5\nsubject = \"provider\"\nevidence = \"x\"\nsql = \"SELECT provider_id AS subject_id, CAST(provider_id AS INTEGER) AS n FROM visits\"\n",
    )
    .unwrap();
    let args = |keep: bool| {
        let mut a = vec![
            "run".to_string(),
            "--input".into(),
            dir.join("dump").to_string_lossy().into_owned(),
            "--out".into(),
            out.to_string_lossy().into_owned(),
            "--config".into(),
            cfg.to_string_lossy().into_owned(),
        ];
        if keep {
            a.push("--keep-going".into());
        }
        a
    };
    let a: Vec<String> = args(false);
    let (code, _, stderr) = fundguard(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 6, "{stderr}");
    assert!(stderr.contains("custom.breaks"), "{stderr}");
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), before);
    let failed = dir.join("run.failed");
    let m: serde_json::Value = read_manifest(&failed);
    assert!(m["rules"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["rule_id"] == "custom.breaks" && r["status"] == "failed"));
    let a: Vec<String> = args(true);
    let (code, _, stderr) = fundguard(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{stderr}");
    assert_ne!(std::fs::read(out.join("manifest.json")).unwrap(), before);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every string a Parquet file holds (text columns and lists of text).
fn parquet_strings(path: &Path) -> Vec<String> {
    use arrow::array::{Array, ListArray, StringArray};
    let file = std::fs::File::open(path).unwrap();
    let mut out = Vec::new();
    for batch in parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap()
    {
        for col in batch.unwrap().columns() {
            let strings = |a: &dyn Array, out: &mut Vec<String>| {
                if let Some(s) = a.as_any().downcast_ref::<StringArray>() {
                    out.extend(s.iter().flatten().map(str::to_string));
                }
            };
            if let Some(l) = col.as_any().downcast_ref::<ListArray>() {
                strings(l.values().as_ref(), &mut out);
            } else {
                strings(col.as_ref(), &mut out);
            }
        }
    }
    out
}

/// Issue 8: a pseudonymised run holds no raw patient id in any file of its output.
#[test]
fn a_pseudonymised_run_contains_no_raw_patient_id() {
    let dir = scratch("pseudo");
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("key");
    std::fs::write(&key, "a bureau's secret key, kept offline").unwrap();
    let stdout = synth_and_run(
        &dir,
        "20000",
        &[
            "--rulebase",
            "../shared/data/nhsa-rules",
            "--pseudonymize",
            key.to_str().unwrap(),
        ],
    );
    let ids: std::collections::HashSet<String> =
        parquet_strings(&dir.join("dump/patients.parquet"))
            .into_iter()
            .filter(|s| s.len() >= 16)
            .collect();
    assert!(ids.len() > 19_000);
    let tokens = |text: &str| -> Vec<String> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .filter(|t| ids.contains(*t))
            .map(str::to_string)
            .collect()
    };
    assert!(tokens(&stdout).is_empty(), "printed: {:?}", tokens(&stdout));
    // The same out of core (each partition pseudonymises its own rows): the same bytes, and no
    // raw id in any file either.
    let ooc = run_ok(
        dir.join("dump").to_str().unwrap(),
        &dir.join("run-ooc"),
        &[
            "--rulebase",
            "../shared/data/nhsa-rules",
            "--pseudonymize",
            key.to_str().unwrap(),
            "--partitions",
            "2",
        ],
    );
    assert!(tokens(&ooc).is_empty(), "printed: {:?}", tokens(&ooc));
    for f in ["hits.parquet", "leads.parquet"] {
        assert!(
            std::fs::read(dir.join("run").join(f)).unwrap()
                == std::fs::read(dir.join("run-ooc").join(f)).unwrap(),
            "{f}: out of core differs"
        );
    }
    for run in [dir.join("run"), dir.join("run-ooc")] {
        let mut files = Vec::new();
        let mut stack = vec![run.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        assert!(files.len() > 10);
        let mut pseudonyms = 0;
        for f in &files {
            let text = if f.extension().is_some_and(|e| e == "parquet") {
                parquet_strings(f).join("\n")
            } else {
                String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned()
            };
            let found = tokens(&text);
            assert!(
                found.is_empty(),
                "{} holds patient ids: {:?}",
                f.display(),
                &found[..found.len().min(3)]
            );
            pseudonyms += text.matches("PSN-").count();
        }
        assert!(pseudonyms > 0, "no pseudonyms written");
        let m = std::fs::read_to_string(run.join("manifest.json")).unwrap();
        assert!(m.contains("\"pseudonymized\": true"));
        assert!(!m.contains("secret"));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Issue 8: a dump that will not fit even out of core fails early with the numbers (exit 3),
/// before reading it — here with the machine's memory set low; a text dump too large for memory
/// is told to be imported (out-of-core runs read Parquet).
#[test]
fn a_dump_larger_than_memory_fails_early() {
    let dir = scratch("memory");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, format) in [("dump", "parquet"), ("csv", "csv")] {
        let (code, _, stderr) = fundguard(&[
            "synth",
            "--out",
            dir.join(name).to_str().unwrap(),
            "--patients",
            "3000",
            "--format",
            format,
        ]);
        assert_eq!(code, 0, "{stderr}");
        let out = Command::new(env!("CARGO_BIN_EXE_fundguard"))
            .args([
                "run",
                "--input",
                dir.join(name).to_str().unwrap(),
                "--out",
                dir.join("run").to_str().unwrap(),
            ])
            .env("FUNDGUARD_MEMORY_LIMIT", "100000")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{stderr}");
        assert!(
            stderr.contains("GiB of memory") && stderr.contains("available"),
            "{stderr}"
        );
        let advice = if format == "csv" {
            "fundguard import"
        } else {
            "partitions a part would not fit"
        };
        assert!(stderr.contains(advice), "{stderr}");
        assert!(!dir.join("run").exists());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `fundguard sweep` prints one row per value with the rule's cases, look-alikes and honest
/// subjects, and refuses a parameter the rule does not have.
#[test]
fn sweep_prints_a_curve_and_refuses_an_unknown_parameter() {
    let dir = scratch("sweep");
    let dump = dir.join("dump");
    synth(&dump, "3000", "5", &[]);
    let sweep_rule = |rule: &str, param: &str, values: &str| {
        fundguard(&[
            "sweep",
            "--input",
            dump.to_str().unwrap(),
            "--rule",
            rule,
            "--param",
            param,
            "--values",
            values,
        ])
    };
    let sweep = |param: &str, values: &str| sweep_rule("card_pooling.ring", param, values);
    let (code, stdout, stderr) = sweep("min_days", "2,4,30");
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 4, "header and three values:\n{stdout}");
    // The ring injected for the rule is found at the default and lost when 30 shared days are
    // required; the family of the look-alike is flagged at 2 shared days, not at 4.
    assert!(
        rows[2].starts_with("| 4 | 1/1 | 1.000 | 1/1 | 0/1 |"),
        "{stdout}"
    );
    assert!(rows[3].starts_with("| 30 | 0/1 | 0.000 |"), "{stdout}");
    let cells =
        |row: &str| -> Vec<String> { row.split('|').map(|c| c.trim().to_string()).collect() };
    let two = cells(rows[1]);
    assert_eq!(
        (two[1].as_str(), two[2].as_str(), two[5].as_str()),
        ("2", "1/1", "1/1"),
        "{stdout}"
    );
    // Honest pharmacies are counted among pharmacies at every value.
    let of = |row: &str| row.rsplit(" of ").next().unwrap().to_string();
    assert_eq!(of(rows[1]), of(rows[3]), "{stdout}");
    let (code, _, stderr) = sweep("min_dayz", "2");
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("no such parameter (it has: "), "{stderr}");
    // A parameter of a nested table is named by its path.
    let nested =
        |param: &str, values: &str| sweep_rule("admission_standard.waived_copay", param, values);
    let (code, stdout, stderr) = nested("peers.min_difference", "0.15,1.0");
    assert_eq!(code, 0, "{stderr}");
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("| ")).collect();
    assert_eq!(rows.len(), 3, "header and two values:\n{stdout}");
    // No hospital's share exceeds its peers' by 100 points.
    assert!(
        rows[2].contains("| 1.0 | 0/") && rows[2].contains("| 0 | - |"),
        "{stdout}"
    );
    let (code, _, stderr) = nested("peers.min_diff", "0.1");
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("no such parameter (it has: "), "{stderr}");
    let (code, _, stderr) = nested("peer.min_difference", "0.1");
    assert_eq!(code, 5, "{stderr}");
    assert!(stderr.contains("no table `peer`"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs `what` and returns its stdout; panics with its output when it fails.
fn checked(c: &mut Command, what: &str) -> String {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what}:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The Python package (crates/fundguard-py) as a user installs it: `pip install` of the checkout
/// into a fresh virtual environment in `dir` (with the machine's pyarrow, maturin and pyspark,
/// which `.ci/run` installs, and this build's directory, so the engine is not compiled again).
/// Returns the environment's python.
fn python_package(dir: &Path) -> PathBuf {
    let venv = dir.join("venv");
    checked(
        Command::new("python3")
            .args(["-m", "venv", "--system-site-packages"])
            .arg(&venv),
        "python3 -m venv",
    );
    // This test binary lives in <target>/release/deps.
    let target = std::env::current_exe()
        .unwrap()
        .ancestors()
        .nth(3)
        .unwrap()
        .to_path_buf();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // pip builds with cargo: in the environment of a shell, not of this test (cargo's variables
    // for the test, CARGO_MANIFEST_DIR among them, would reach build scripts that watch them, and
    // the next build of the workspace would compile polars again).
    let mut pip = Command::new(venv.join("bin/pip"));
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if (k.starts_with("CARGO_") && k != "CARGO_HOME")
            || matches!(&*k, "OUT_DIR" | "LD_LIBRARY_PATH" | "RUSTC" | "RUSTDOC")
        {
            pip.env_remove(&*k);
        }
    }
    checked(
        pip.args(["install", "--quiet", "--no-build-isolation", "--no-deps"])
            .arg(root.join("crates/fundguard-py"))
            .env("CARGO_TARGET_DIR", &target),
        "pip install crates/fundguard-py (needs maturin and pyarrow, as .ci/run installs them)",
    );
    venv.join("bin/python")
}

/// A test script of crates/fundguard-py/tests, run with this binary and the rule base.
fn python_test(python: &Path, script: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    checked(
        Command::new(python)
            .arg(root.join("crates/fundguard-py/tests").join(script))
            .arg(env!("CARGO_BIN_EXE_fundguard"))
            .arg(root.join("../shared/data/nhsa-rules")),
        script,
    )
}

/// The Python package, installed as a user installs it, then its test: the same dump from
/// Python, as a directory and as Arrow tables in memory, gives the same bytes of hits and leads
/// as this binary; failures carry the exit codes.
#[test]
fn the_python_package_installs_and_matches_the_command_line() {
    let dir = scratch("python");
    std::fs::create_dir_all(&dir).unwrap();
    let out = python_test(&python_package(&dir), "test_run.py");
    assert!(out.contains("Python runs match the command line"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The Spark job (`fundguard.spark`) in Spark's local mode on a 200,000-person month with bad
/// rows: the bytes of hits and leads of the run in memory, the same account, run id and
/// rejects (crates/fundguard-py/tests/test_spark.py; Java and pyspark from `.ci/run`).
#[test]
fn the_spark_job_matches_the_command_line_on_a_200k_month() {
    let dir = scratch("spark");
    std::fs::create_dir_all(&dir).unwrap();
    let out = python_test(&python_package(&dir), "test_spark.py");
    assert!(out.contains("Spark run matches the command line"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
