//! Ingest end to end: committed fixtures with planted bad rows (CSV UTF-8, CSV GBK, Parquet written
//! here with arrow-rs), generated dumps, and the invariant `read = accepted + rejected`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use fundguard_ingest::{ingest, IngestError, IngestOptions, Ingested, Reject};
use fundguard_model::Table;

mod fuzz;
mod parquet_fixture;
mod partition;
mod props;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// A fresh, empty directory under the system temp dir.
pub(crate) fn scratch(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "fundguard-it-{}-{tag}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Rejects as `table row line column=value | reason` lines, without the directory part of paths.
fn render(rejects: &[Reject]) -> String {
    rejects
        .iter()
        .map(|r| {
            format!(
                "{} {} row {} line {} {}={} | {}",
                r.table.name(),
                r.file.file_name().unwrap().to_string_lossy(),
                r.row,
                r.line.map_or("-".into(), |l| l.to_string()),
                r.column.as_deref().unwrap_or("-"),
                r.value.as_deref().unwrap_or("-"),
                r.reason
                    .replace(&*r.file.parent().unwrap().to_string_lossy(), "<dir>")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn counts(i: &Ingested) -> String {
    i.report
        .tables
        .iter()
        .map(|t| {
            format!(
                "{} present={} read={} accepted={} rejected={}",
                t.table.name(),
                t.present,
                t.read,
                t.accepted,
                t.rejected
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn check_balance(i: &Ingested) {
    for t in &i.report.tables {
        assert_eq!(t.read, t.accepted + t.rejected, "{}", t.table.name());
        let listed = i.rejects.iter().filter(|r| r.table == t.table).count();
        assert_eq!(listed, t.rejected, "{}", t.table.name());
    }
}

#[test]
fn csv_utf8_fixture_rejects_exactly_the_planted_rows() {
    let i = ingest(&fixture("dump-bad-csv"), &IngestOptions::default()).unwrap();
    check_balance(&i);
    insta::assert_snapshot!("csv_counts", counts(&i));
    insta::assert_snapshot!("csv_rejects", render(&i.rejects));
    // Accepted values are normalised: leading zeros kept, levels padded, money exact.
    let d = &i.dump;
    assert_eq!(d.dicts.patients.get(d.visits.patient[2]), "000123");
    assert_eq!(d.visits.total[3], -3050);
    assert!(d.visits.is_refund[3]);
    let providers = d.providers.as_ref().unwrap();
    assert_eq!(d.dicts.codes.get(providers.level[0]), "02");
    assert_eq!(d.lines.quantity[4], -240_000);
}

#[test]
fn gbk_fixture_reads_like_the_utf8_one() {
    let utf8 = ingest(&fixture("dump-bad-csv"), &IngestOptions::default()).unwrap();
    let gbk = ingest(&fixture("dump-bad-gbk"), &IngestOptions::default()).unwrap();
    check_balance(&gbk);
    assert_eq!(counts(&utf8), counts(&gbk));
    assert_eq!(render(&utf8.rejects), render(&gbk.rejects));
    let lines = gbk.report.table(Table::LineItems);
    assert_eq!(lines.files[0].encoding, Some("gb18030"));
    let names: Vec<&str> = gbk.dump.dicts.item_names.iter().collect();
    assert!(names.contains(&"普通病房床位费"), "{names:?}");
}

#[test]
fn parquet_fixture_rejects_exactly_the_planted_rows() {
    let dir = scratch("parquet");
    parquet_fixture::write(&dir);
    let i = ingest(&dir, &IngestOptions::default()).unwrap();
    check_balance(&i);
    insta::assert_snapshot!("parquet_counts", counts(&i));
    insta::assert_snapshot!("parquet_rejects", render(&i.rejects));
    assert_eq!(
        i.dump.visits.admit[0],
        fundguard_model::parse_timestamp("2026-03-02 08:00:00").unwrap()
    );
    assert_eq!(i.dump.lines.unit_price[0], 50_000_000);
}

/// The accepted rows as text (codes decoded), for comparing two ingests of the same rows.
fn accepted(i: &Ingested) -> String {
    let d = &i.dump;
    let (v, l, dict) = (&d.visits, &d.lines, &d.dicts);
    let mut out = String::new();
    for r in 0..v.visit_id.len() {
        out += &format!(
            "{} {} {} {:?} {:?} {} {} {} {}\n",
            v.visit_id.get(r),
            dict.patients.get(v.patient[r]),
            dict.providers.get(v.provider[r]),
            dict.codes.get_opt(v.med_type[r]),
            dict.codes.get_opt(v.insurance_type[r]),
            v.admit[r],
            v.settle[r],
            v.total[r],
            v.fund_paid[r]
        );
    }
    for r in 0..l.line_id.len() {
        out += &format!(
            "{} {} {} {:?} {} {} {} {}\n",
            l.line_id.get(r),
            v.visit_id.get(l.visit[r] as usize),
            dict.items.get(l.item[r]),
            dict.item_names.get_opt(l.item_name[r]),
            l.category[r],
            l.charge_time[r],
            l.amount[r],
            l.days_supply[r]
        );
    }
    out
}

#[test]
fn reading_in_pieces_changes_nothing() {
    // Row groups of 2 rows read in pieces of at least 3: duplicates, unknown visits and bad
    // values fall in different pieces than the rows they refer to.
    let whole = scratch("whole");
    parquet_fixture::write(&whole);
    let pieces = scratch("pieces");
    parquet_fixture::write_groups(&pieces, 2);
    let a = ingest(&whole, &IngestOptions::default()).unwrap();
    let opts = IngestOptions {
        piece_rows: 3,
        ..IngestOptions::default()
    };
    let b = ingest(&pieces, &opts).unwrap();
    check_balance(&b);
    assert_eq!(counts(&a), counts(&b));
    assert_eq!(
        render(&a.rejects).replace("whole", "dir"),
        render(&b.rejects).replace("pieces", "dir")
    );
    assert_eq!(accepted(&a), accepted(&b));
    assert!(!accepted(&a).is_empty());
}

/// Copies fixture `name` into a scratch directory and appends `extra` to its line items.
fn fixture_with_lines(name: &str, tag: &str, extra: &[u8]) -> PathBuf {
    let dir = scratch(tag);
    for e in std::fs::read_dir(fixture(name)).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    let lines = dir.join("line_items.csv");
    let mut bytes = std::fs::read(&lines).unwrap();
    if !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(extra);
    std::fs::write(&lines, bytes).unwrap();
    dir
}

#[test]
fn csv_read_in_blocks_gives_the_rows_and_rejects_of_reading_it_whole() {
    // The planted bad rows, plus records whose quoted fields hold line breaks, commas and
    // doubled quotes, a stray quote inside an unquoted field, a blank line and a CRLF, cut at
    // every place a block can end.
    let header = std::fs::read_to_string(fixture("dump-bad-csv").join("line_items.csv")).unwrap();
    let columns = header.lines().next().unwrap().split(',').count();
    let row = |id: &str, note: &str| {
        let mut f: Vec<String> = header
            .lines()
            .nth(1)
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        assert_eq!(f.len(), columns);
        f[0] = id.to_string();
        f[3] = note.to_string(); // item_name
        f.join(",")
    };
    let extra = format!(
        "{}\n\n{}\r\n{}\n",
        row(
            "Q1",
            "\"a note, with a comma\nand a line break \"\"quoted\"\"\""
        ),
        row("Q2", "12\" monitor"),
        row("Q3", "\"\"")
    );
    for (name, encode) in [("dump-bad-csv", false), ("dump-bad-gbk", true)] {
        let extra = if encode {
            encoding_rs::GB18030.encode(&extra).0.into_owned()
        } else {
            extra.clone().into_bytes()
        };
        let dir = fixture_with_lines(name, "csv-blocks", &extra);
        let whole = ingest(&dir, &IngestOptions::default()).unwrap();
        check_balance(&whole);
        assert!(!whole.rejects.is_empty());
        let rows = accepted(&whole);
        for id in ["Q1", "Q2", "Q3"] {
            assert!(
                rows.contains(&format!("\n{id} ")),
                "{name}: {id} accepted\n{rows}"
            );
        }
        assert!(rows.contains("a note, with a comma\\nand a line break \\\"quoted\\\""));
        assert!(rows.contains("12\\\" monitor"));
        let lines = whole.report.table(Table::LineItems);
        for block in [1, 2, 7, 37, 200, 1000] {
            let opts = IngestOptions {
                stream_bytes: block,
                ..IngestOptions::default()
            };
            let streamed = ingest(&dir, &opts).unwrap();
            check_balance(&streamed);
            assert_eq!(counts(&whole), counts(&streamed), "{name}, block {block}");
            assert_eq!(
                render(&whole.rejects),
                render(&streamed.rejects),
                "{name}, block {block}"
            );
            assert_eq!(
                accepted(&whole),
                accepted(&streamed),
                "{name}, block {block}"
            );
            let f = &streamed.report.table(Table::LineItems).files[0];
            assert_eq!(f.sha256, lines.files[0].sha256, "{name}, block {block}");
            assert_eq!(f.encoding, lines.files[0].encoding, "{name}, block {block}");
            assert_eq!(
                f.ignored_columns, lines.files[0].ignored_columns,
                "{name}, block {block}"
            );
        }
    }
}

#[test]
fn a_csv_record_left_open_reads_to_the_end_of_the_file_as_when_read_whole() {
    let dir = fixture_with_lines("dump-bad-csv", "csv-open", b"X1,\"never closed\n");
    let opts = IngestOptions {
        stream_bytes: 16,
        ..IngestOptions::default()
    };
    // An unclosed quote runs to the end of the file: read as the last record, as whole.
    let a = ingest(&dir, &opts).unwrap();
    let b = ingest(&dir, &IngestOptions::default()).unwrap();
    assert_eq!(render(&a.rejects), render(&b.rejects));
    assert_eq!(counts(&a), counts(&b));
}

#[test]
fn a_missing_required_column_makes_the_dump_unusable() {
    let dir = scratch("missing-col");
    std::fs::write(dir.join("visits.csv"), "visit_id,patient_id\nV1,P1\n").unwrap();
    std::fs::write(dir.join("line_items.csv"), "line_id\n").unwrap();
    let err = ingest(&dir, &IngestOptions::default()).err().unwrap();
    let msg = err.to_string();
    assert!(matches!(err, IngestError::MissingColumns { .. }), "{msg}");
    assert!(
        msg.contains("visits.csv") && msg.contains("provider_id, visit_type, admit_time"),
        "{msg}"
    );
}

#[test]
fn a_missing_required_table_makes_the_dump_unusable() {
    let dir = scratch("missing-table");
    std::fs::copy(fixture("dump-bad-csv/visits.csv"), dir.join("visits.csv")).unwrap();
    let err = ingest(&dir, &IngestOptions::default()).err().unwrap();
    assert!(
        matches!(
            err,
            IngestError::MissingTable {
                table: "line_items",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_table_may_be_a_folder_of_files() {
    let dir = scratch("folder");
    for t in ["patients", "providers", "catalog"] {
        std::fs::copy(
            fixture(&format!("dump-bad-csv/{t}.csv")),
            dir.join(format!("{t}.csv")),
        )
        .unwrap();
    }
    std::fs::copy(
        fixture("dump-bad-csv/line_items.csv"),
        dir.join("line_items.csv"),
    )
    .unwrap();
    let visits = std::fs::read_to_string(fixture("dump-bad-csv/visits.csv")).unwrap();
    let mut lines = visits.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    std::fs::create_dir(dir.join("visits")).unwrap();
    std::fs::write(
        dir.join("visits/part-1.csv"),
        format!("{header}\n{}\n", rows[..5].join("\n")),
    )
    .unwrap();
    std::fs::write(
        dir.join("visits/part-2.csv"),
        format!("{header}\n{}\n", rows[5..].join("\n")),
    )
    .unwrap();
    let one = ingest(&fixture("dump-bad-csv"), &IngestOptions::default()).unwrap();
    let split = ingest(&dir, &IngestOptions::default()).unwrap();
    check_balance(&split);
    assert_eq!(counts(&one), counts(&split));
    let dup = split
        .rejects
        .iter()
        .find(|r| r.reason.contains("duplicate visit_id"))
        .unwrap();
    assert_eq!(
        (dup.file.file_name().unwrap().to_str().unwrap(), dup.row),
        ("part-2.csv", 3)
    );
}

#[test]
fn a_generated_dump_validates_without_rejects_in_parquet_and_gbk_csv() {
    let mut cfg = fundguard_synth::SynthConfig {
        patients: 4_000,
        seed: 11,
        ..Default::default()
    };
    let pq = scratch("synth-pq");
    let s = fundguard_synth::generate(&cfg, &pq).unwrap();
    let a = ingest(&pq, &IngestOptions::default()).unwrap();
    assert_eq!(a.report.total_rejected(), 0, "{}", render(&a.rejects));
    assert_eq!(a.report.table(Table::Visits).accepted, s.visits);
    assert_eq!(a.report.table(Table::LineItems).accepted, s.line_items);
    assert_eq!(a.report.table(Table::Patients).accepted, s.patients);
    assert_eq!(a.report.table(Table::Purchases).accepted, s.purchases);
    assert_eq!(a.report.table(Table::DrugTraces).accepted, s.traces);
    assert_eq!(a.report.table(Table::DrugStock).accepted, s.stock_scans);
    assert!(
        s.traces > 1_000 && s.stock_scans > 100,
        "{} scans, {} stock scans",
        s.traces,
        s.stock_scans
    );

    cfg.format = fundguard_synth::Format::Csv(fundguard_synth::Encoding::Gbk);
    let csv = scratch("synth-gbk");
    fundguard_synth::generate(&cfg, &csv).unwrap();
    let b = ingest(&csv, &IngestOptions::default()).unwrap();
    assert_eq!(b.report.total_rejected(), 0, "{}", render(&b.rejects));
    assert_eq!(counts(&a), counts(&b));
    assert_eq!(
        b.report.table(Table::LineItems).files[0].encoding,
        Some("gb18030")
    );
    // The same month either way, down to the fen.
    assert_eq!(a.dump.lines.amount, b.dump.lines.amount);
    assert_eq!(a.dump.visits.admit, b.dump.visits.admit);
}

mod extracts {
    //! National-platform extracts: the format as exported, and what a malformed one gives.

    use super::*;

    const MDTRT: &str = "mdtrt_id|psn_no|fixmedins_code|med_type|begntime|endtime|dscg_maindiag_code|vali_flag|\r\n\
        @|M1|@|@|P1|@|@|H1|@|@|21|@|2026-03-01 09:00:00|2026-03-05 10:00:00|@|J18.900|@|1|\r\n\
        @|M2|@|@|P2|@|@|H1|@|@|1101|@|2026-03-02 09:00:00|2026-03-02 09:30:00||1|\r\n\
        @|M3|@|@|P3|@|@|D1|@|@|41|@|2026-03-02 10:00:00|2026-03-02 10:00:00||0|\r\n\
        @|M4|@|@|P4|@|@|D1|@|@|41|@|2026-03-03 10:00:00|2026-03-03 10:00:00||1|\r\n";
    const SETL: &str = "setl_id|mdtrt_id|setl_time|medfee_sumamt|hifp_pay|acct_pay|cash_payamt|refd_setl_flag|vali_flag\r\n\
        S1|M1|2026-03-05 10:00:00|500.00|400.00|0|100.00|0|1\r\n\
        S2|M2|2026-03-02 09:30:00|40.00|30.00|0|10.00|0|1\r\n\
        S2R|M2|2026-03-02 11:00:00|-40.00|-30.00|0|-10.00|1|1\r\n\
        S4|M4|2026-03-03 10:00:00|30.00|0|30.00|0|0|1\r\n\
        S9|M9|2026-03-03 10:00:00|30.00|0|30.00|0|0|1\r\n";
    const FEE: &str = "bkkp_sn|mdtrt_id|hilist_code|hilist_name|med_chrgitm_type|fee_ocur_time|cnt|pric|det_item_fee_sumamt|inscp_amt|bilg_dr_code|vali_flag\r\n\
        L1|M1|001109000010000|普通病房床位费|1|2026-03-01 12:00:00|4|50|200.00|200.00|D1|1\r\n\
        L2|M1|XJ01DDA042B001010100123|注射用头孢曲松钠|9|2026-03-02 12:00:00|25|12|300.00||D1|1\r\n\
        L3|M2|001102000010000|普通门诊诊查费|2|2026-03-02 09:05:00|1|40|40.00||D2|1\r\n\
        L4|M2|001102000010000|普通门诊诊查费|2|2026-03-02 11:00:00|-1|40|-40.00||D2|1\r\n\
        L5|M4|XA02BCA211A001010100483|奥美拉唑肠溶胶囊|09|2026-03-03 10:00:00|20|1.5|30.00||D3|1\r\n";

    fn write(dir: &Path, files: &[(&str, &str)], gbk: bool) {
        for (name, text) in files {
            let bytes = if gbk {
                encoding_rs::GBK.encode(text).0.into_owned()
            } else {
                text.as_bytes().to_vec()
            };
            std::fs::write(dir.join(name), bytes).unwrap();
        }
    }

    /// The settlement list's operations feed no table of the contract: read, counted and linked
    /// to the month's visits in the account, their rows in no table's account, the operating
    /// doctors' names nowhere.
    #[test]
    fn settlement_list_operations_are_read_and_accounted_for_not_lost() {
        let dir = scratch("extract-oprn");
        // Keyed by settlement, as the settlement list is: S1 is M1's, S9 names no visit of the
        // month, and the last row cannot be split (an enclosure left open).
        let oprn = "setl_id|oprn_oprt_code|oprn_oprt_name|oprn_oprt_date|main_oprn_flag|oper_dr_name|vali_flag\r\n\
            S1|47.0901|腹腔镜下阑尾切除术|2026-03-02|1|张医生|1\r\n\
            S1|54.5101|腹腔镜下腹膜粘连松解术|2026-03-02|0|张医生|1\r\n\
            S9|86.0401|皮肤切开引流术|2026-03-03|1|李医生|1\r\n\
            S4|@|unclosed|2026-03-03|1|王医生|1\r\n";
        write(
            &dir,
            &[
                ("MDTRT_D.txt", MDTRT),
                ("SETL_D.txt", SETL),
                ("FEE_LIST_D.txt", FEE),
                ("SETL_LIST_OPRN_D.txt", oprn),
            ],
            true,
        );
        let i = ingest(&dir, &IngestOptions::default()).unwrap();
        check_balance(&i);
        let u = &i.report.unused_extracts;
        assert_eq!(u.len(), 1, "{u:?}");
        assert_eq!(u[0].extract, "SETL_LIST_OPRN_D");
        assert_eq!(u[0].encoding, Some("gb18030"));
        assert_eq!(
            (u[0].rows, u[0].linked, u[0].unreadable),
            (4, 2, 1),
            "{u:?}"
        );
        assert!(u[0].why.contains("no table of operations"));
        let account = format!("{:?}", i.report);
        assert!(account.contains("unused_extracts"));
        assert!(!account.contains("张医生"));
        // The same month without the operations reads the same tables.
        std::fs::remove_file(dir.join("SETL_LIST_OPRN_D.txt")).unwrap();
        let without = ingest(&dir, &IngestOptions::default()).unwrap();
        assert_eq!(counts(&i), counts(&without));
        assert!(without.report.unused_extracts.is_empty());
    }

    /// Fee lines keyed by settlement (`setl_id` beside `smdtrt_id`, no `mdtrt_id`), as some
    /// provinces' loaders define FEE_LIST_D: linked to their visits through SETL_D, the same
    /// lines as the `mdtrt_id` layout gives; a line of an unknown settlement is rejected.
    #[test]
    fn fee_lines_keyed_by_settlement_link_through_setl_d() {
        let by_visit = scratch("fee-by-visit");
        write(
            &by_visit,
            &[
                ("MDTRT_D.txt", MDTRT),
                ("SETL_D.txt", SETL),
                ("FEE_LIST_D.txt", FEE),
            ],
            false,
        );
        let by_setl = scratch("fee-by-setl");
        let fee = FEE
            .replace("bkkp_sn|mdtrt_id|", "bkkp_sn|setl_id|smdtrt_id|")
            .replace("|M1|", "|S1|SM1|")
            .replace("L3|M2|", "L3|S2|SM2|")
            .replace("L4|M2|", "L4|S2R|SM2|")
            .replace("|M4|", "|S4|SM4|");
        let fee = format!(
            "{fee}L6|S7|SM7|001102000010000|普通门诊诊查费|2|2026-03-03 09:05:00|1|40|40.00||D2|1\r\n"
        );
        write(
            &by_setl,
            &[
                ("MDTRT_D.txt", MDTRT),
                ("SETL_D.txt", SETL),
                ("FEE_LIST_D.txt", &fee),
            ],
            false,
        );
        let a = ingest(&by_visit, &IngestOptions::default()).unwrap();
        let b = ingest(&by_setl, &IngestOptions::default()).unwrap();
        check_balance(&b);
        assert_eq!(a.dump.lines.visit, b.dump.lines.visit);
        assert_eq!(a.dump.lines.amount, b.dump.lines.amount);
        let orphan: Vec<&Reject> = b
            .rejects
            .iter()
            .filter(|r| r.table == Table::LineItems)
            .collect();
        assert_eq!(orphan.len(), 1, "{:#?}", b.rejects);
        assert!(orphan[0].reason.contains("S7"), "{}", orphan[0].reason);
        // Neither key: the file is named.
        let neither = scratch("fee-no-key");
        let fee = FEE.replace("bkkp_sn|mdtrt_id|", "bkkp_sn|smdtrt_id|");
        write(
            &neither,
            &[
                ("MDTRT_D.txt", MDTRT),
                ("SETL_D.txt", SETL),
                ("FEE_LIST_D.txt", &fee),
            ],
            false,
        );
        let e = ingest(&neither, &IngestOptions::default())
            .err()
            .expect("an error");
        assert!(
            e.to_string()
                .contains("FEE_LIST_D has neither mdtrt_id nor setl_id"),
            "{e}"
        );
        for d in [by_visit, by_setl, neither] {
            std::fs::remove_dir_all(&d).unwrap();
        }
    }

    /// Without PSN_INFO_B and FIXMEDINS_B, the person's and the institution's fields MDTRT_D
    /// carries make the patients and providers tables: one row per person or institution, each
    /// field the first value its visits give; the account lists MDTRT_D under them, marked
    /// derived. Without such fields, no such table (the rules that need one say so).
    /// MDTRT_D with the person's `age` and no `brdy` (some provinces' loaders): each person's
    /// birth date is their first visit's date that many years earlier, so the age at every
    /// visit of the month is the one given; no age, no birth date.
    #[test]
    fn an_age_without_a_birth_date_gives_the_birth_date_of_that_age() {
        let dir = scratch("age-from-visits");
        let mdtrt = "mdtrt_id|psn_no|fixmedins_code|med_type|begntime|endtime|age|vali_flag\r\n\
            M1|P1|H1|21|2024-02-29 09:00:00|2024-03-05 10:00:00|76|1\r\n\
            M2|P2|H1|11|2024-03-02 09:00:00|2024-03-02 09:30:00||1\r\n\
            M4|P1|D1|41|2024-03-03 10:00:00|2024-03-03 10:00:00|76|1\r\n\
            M5|P3|D1|41|2024-03-04 10:00:00|2024-03-04 10:00:00|7.0|1\r\n";
        let setl = "setl_id|mdtrt_id|setl_time|medfee_sumamt|hifp_pay|acct_pay|cash_payamt|refd_setl_flag|vali_flag\r\n\
            S1|M1|2024-03-05 10:00:00|500.00|400.00|0|100.00|0|1\r\n\
            S2|M2|2024-03-02 09:30:00|40.00|30.00|0|10.00|0|1\r\n\
            S4|M4|2024-03-03 10:00:00|30.00|0|30.00|0|0|1\r\n\
            S5|M5|2024-03-04 10:00:00|30.00|0|30.00|0|0|1\r\n";
        let fee = "bkkp_sn|mdtrt_id|hilist_code|hilist_name|med_chrgitm_type|fee_ocur_time|cnt|pric|det_item_fee_sumamt|vali_flag\r\n\
            L1|M1|001109000010000|普通病房床位费|1|2024-03-01 12:00:00|10|50|500.00|1\r\n";
        write(
            &dir,
            &[
                ("MDTRT_D.txt", mdtrt),
                ("SETL_D.txt", setl),
                ("FEE_LIST_D.txt", fee),
            ],
            false,
        );
        let i = ingest(&dir, &IngestOptions::default()).unwrap();
        check_balance(&i);
        let p = i
            .dump
            .patients
            .as_ref()
            .expect("patients made from MDTRT_D");
        let birth = |id: &str| {
            let r = p
                .patient
                .iter()
                .position(|&x| i.dump.dicts.patients.get(x) == id)
                .unwrap();
            (p.birth[r] != fundguard_model::NULL_DATE)
                .then(|| fundguard_model::Date(p.birth[r]).to_string())
        };
        assert_eq!(birth("P1").as_deref(), Some("1948-02-28"));
        assert_eq!(birth("P2"), None);
        assert_eq!(birth("P3").as_deref(), Some("2017-03-04"));
        assert!(i.report.table(Table::Patients).files[0].derived);
    }

    #[test]
    fn visits_fields_make_patients_and_providers_when_their_tables_are_missing() {
        let dir = scratch("patients-from-visits");
        let mdtrt = "mdtrt_id|psn_no|fixmedins_code|med_type|begntime|endtime|gend|brdy|die_date|insu_admdvs|psn_name|fixmedins_name|hosp_lv|vali_flag\r\n\
            M1|P1|H1|21|2026-03-01 09:00:00|2026-03-05 10:00:00|1|1950-01-01||330102|张三|某医院|5|1\r\n\
            M2|P2|H1|11|2026-03-02 09:00:00|2026-03-02 09:30:00|2|1960-05-05||330103|李四|某医院|5|1\r\n\
            M4|P1|D1|41|2026-03-03 10:00:00|2026-03-03 10:00:00|1|1950-01-01|2026-03-20|330102|张三|某药店||1\r\n";
        let setl = "setl_id|mdtrt_id|setl_time|medfee_sumamt|hifp_pay|acct_pay|cash_payamt|refd_setl_flag|vali_flag\r\n\
            S1|M1|2026-03-05 10:00:00|500.00|400.00|0|100.00|0|1\r\n\
            S2|M2|2026-03-02 09:30:00|40.00|30.00|0|10.00|0|1\r\n\
            S4|M4|2026-03-03 10:00:00|30.00|0|30.00|0|0|1\r\n";
        let fee = "bkkp_sn|mdtrt_id|hilist_code|hilist_name|med_chrgitm_type|fee_ocur_time|cnt|pric|det_item_fee_sumamt|vali_flag\r\n\
            L1|M1|001109000010000|普通病房床位费|1|2026-03-01 12:00:00|10|50|500.00|1\r\n\
            L3|M2|001102000010000|普通门诊诊查费|2|2026-03-02 09:05:00|1|40|40.00|1\r\n\
            L5|M4|XA02BCA211A001010100483|奥美拉唑肠溶胶囊|09|2026-03-03 10:00:00|20|1.5|30.00|1\r\n";
        write(
            &dir,
            &[
                ("MDTRT_D.txt", mdtrt),
                ("SETL_D.txt", setl),
                ("FEE_LIST_D.txt", fee),
            ],
            false,
        );
        let i = ingest(&dir, &IngestOptions::default()).unwrap();
        check_balance(&i);
        assert_eq!(i.report.total_rejected(), 0, "{:#?}", i.rejects);
        let t = i.report.table(Table::Patients);
        assert!(t.present && t.files[0].derived, "{t:#?}");
        assert_eq!((t.read, t.accepted), (2, 2));
        let p = i.dump.patients.as_ref().unwrap();
        let row = |id: &str| {
            p.patient
                .iter()
                .position(|&x| i.dump.dicts.patients.get(x) == id)
                .unwrap()
        };
        // P1's death date is on his second visit only.
        assert_ne!(p.death[row("P1")], fundguard_model::NULL_DATE);
        assert_eq!(p.death[row("P2")], fundguard_model::NULL_DATE);
        assert_eq!(p.sex[row("P2")], fundguard_model::Sex::Female);
        // The name is read nowhere.
        assert!(!format!("{:?}", i.report).contains("张三"));
        // The institution's fields make the providers table; its type from the visit mix (one
        // stay is no hospital's case mix: a clinic; purchases: a pharmacy), its level padded.
        let t = i.report.table(Table::Providers);
        assert!(t.present && t.files[0].derived, "{t:#?}");
        let pr = i.dump.providers.as_ref().unwrap();
        let row = |id: &str| {
            pr.provider
                .iter()
                .position(|&x| i.dump.dicts.providers.get(x) == id)
                .unwrap()
        };
        assert_eq!(
            pr.provider_type[row("D1")],
            fundguard_model::ProviderType::Pharmacy
        );
        assert_eq!(
            pr.provider_type[row("H1")],
            fundguard_model::ProviderType::Clinic
        );
        assert_eq!(i.dump.dicts.codes.get(pr.level[row("H1")]), "05");

        // Visits without the person's fields: no patients table.
        let bare = scratch("no-person-fields");
        write(
            &bare,
            &[
                ("MDTRT_D.txt", MDTRT),
                ("SETL_D.txt", SETL),
                ("FEE_LIST_D.txt", FEE),
            ],
            false,
        );
        let i = ingest(&bare, &IngestOptions::default()).unwrap();
        assert!(!i.report.table(Table::Patients).present);
        assert!(!i.report.table(Table::Providers).present);
        for d in [dir, bare] {
            std::fs::remove_dir_all(&d).unwrap();
        }
    }

    /// The memory estimate counts the streamed fee lines at a fraction of their size, the
    /// extracts read whole at three times theirs.
    #[test]
    fn the_memory_estimate_counts_streamed_fee_lines_lightly() {
        let dir = scratch("extract-estimate");
        std::fs::write(dir.join("MDTRT_D.txt"), vec![b'a'; 1000]).unwrap();
        std::fs::write(dir.join("fee_list_d.TXT"), vec![b'a'; 10_000]).unwrap();
        std::fs::write(dir.join("notes.md"), vec![b'a'; 5000]).unwrap();
        assert_eq!(
            fundguard_ingest::estimate_memory(&dir).unwrap(),
            3000 + 8000
        );
    }

    /// FEE_LIST_D is streamed in blocks split among the threads: blocks smaller than a line,
    /// a few lines, or the whole file give the same rows, rejects (file, row, line, reason) and
    /// account, for GBK text with a broken enclosure, an invalid row and blank lines.
    #[test]
    fn streaming_fee_lines_in_any_block_size_changes_nothing() {
        let dir = scratch("extract-stream");
        let fee = format!(
            "{FEE}\r\n\
             L6|M1|001109000010000|普通病房床位费|1|2026-03-03 12:00:00|1|50|50.00|50.00|D1|0\r\n\
             L7|M1|@|broken|1|2026-03-03 12:00:00|1|50|50.00|50.00|D1|1\r\n\
             L8|M9|001109000010000|普通病房床位费|1|2026-03-03 12:00:00|1|50|50.00|50.00|D1|1\r\n\
             L9|M4|XA02BCA211A001010100483|奥美拉唑肠溶胶囊|09|2026-03-03 10:00:00|20|1.5|30.00||D3|1"
        );
        write(
            &dir,
            &[
                ("MDTRT_D.txt", MDTRT),
                ("SETL_D.txt", SETL),
                ("FEE_LIST_D.txt", &fee),
            ],
            true,
        );
        let whole = ingest(&dir, &IngestOptions::default()).unwrap();
        check_balance(&whole);
        let lines = whole.report.table(Table::LineItems);
        assert_eq!(lines.files[0].skipped_invalid, 1);
        assert_eq!(lines.files[0].encoding, Some("gb18030"));
        assert_eq!(lines.read, 8, "{:#?}", whole.rejects);
        assert!(
            render(&whole.rejects).contains("row 6 line 9"),
            "{}",
            render(&whole.rejects)
        );
        for block in [1, 37, 200, 1000] {
            let opts = IngestOptions {
                stream_bytes: block,
                ..IngestOptions::default()
            };
            let streamed = ingest(&dir, &opts).unwrap();
            check_balance(&streamed);
            assert_eq!(counts(&whole), counts(&streamed), "block {block}");
            assert_eq!(
                render(&whole.rejects),
                render(&streamed.rejects),
                "block {block}"
            );
            assert_eq!(accepted(&whole), accepted(&streamed), "block {block}");
            let f = &streamed.report.table(Table::LineItems).files[0];
            assert_eq!(f.sha256, lines.files[0].sha256, "block {block}");
            assert_eq!(f.skipped_invalid, 1, "block {block}");
        }
    }

    #[test]
    fn extracts_translate_join_settlements_and_skip_invalid_rows() {
        let dir = scratch("extract");
        write(
            &dir,
            &[
                ("mdtrt_d.txt", MDTRT),
                ("SETL_D.dat", SETL),
                ("FEE_LIST_D.csv", FEE),
            ],
            true,
        );
        let i = ingest(&dir, &IngestOptions::default()).unwrap();
        check_balance(&i);
        let v = &i.dump.visits;
        // M3 is invalid (vali_flag 0): skipped and counted, not read.
        let visits = i.report.table(Table::Visits);
        assert_eq!(visits.files[0].skipped_invalid, 1);
        assert_eq!(v.visit_id.len(), 3, "{:#?}", i.rejects);
        let row = |id: &str| v.visit_id.iter().position(|x| x == id).unwrap();
        assert_eq!(
            v.visit_type[row("M1")],
            fundguard_model::VisitType::Inpatient
        );
        assert_eq!(
            v.visit_type[row("M2")],
            fundguard_model::VisitType::Outpatient
        );
        assert_eq!(v.total[row("M1")], 50_000);
        // M2's settlement and its refund net to nothing: a refund visit.
        assert_eq!(v.total[row("M2")], 0);
        assert!(v.is_refund[row("M2")]);
        assert!(!v.is_refund[row("M1")]);
        assert_eq!(v.cash_paid[row("M1")], 10_000);
        // Categories zero-padded, variant field names read.
        assert_eq!(i.dump.lines.category[0], 1);
        assert_eq!(i.dump.lines.line_id.get(0), "L1");
        // The settlement of an unknown visit is a reject naming SETL_D and its line.
        let orphan = i
            .rejects
            .iter()
            .find(|r| r.file.ends_with("SETL_D.dat"))
            .expect("the orphan settlement is rejected");
        assert_eq!(orphan.line, Some(6));
        assert!(orphan.reason.contains("M9"), "{}", orphan.reason);
        assert_eq!(i.rejects.len(), 1, "{:#?}", i.rejects);
        assert_eq!(i.dump.lines.visit.len(), 5);
    }

    /// The sale feed keyed by settlement: scans link through SETL_D to their visit and line; a
    /// scan of an item its settlement does not bill, and one of an unknown settlement, are
    /// rejected naming DRUG_TRAC_D and their line.
    #[test]
    fn trace_scans_link_through_settlements_and_unlinked_scans_are_rejected() {
        let dir = scratch("extract-trace");
        let trac = "setl_id|med_list_codg|fixmedins_code|psn_no|drug_trac_codg|trdn_flag|sel_retn_cnt|sel_retn_time\r\n\
            S4|XA02BCA211A001010100483|D1|P4|81234560012345678901|0|1|2026-03-03 10:00:00\r\n\
            S4|XA02BCA211A001010100483|D1|P4|81234560012345678901|0|-1|2026-03-04 10:00:00\r\n\
            S4|XC08CAA034A001010101234|D1|P4|81234560012345678902|0|1|2026-03-03 10:00:00\r\n\
            S8|XA02BCA211A001010100483|D1|P4|81234560012345678903|0|1|2026-03-03 10:00:00\r\n\
            S4|XA02BCA211A001010100483|H1|P4|81234560012345678904|1|0.5|2026-03-03 10:00:00\r\n";
        let stock = "drug_trac_codg|med_list_codg|fixmedins_code|inv_chg_time\r\n\
            81234560012345678901|XA02BCA211A001010100483|D1|2026-02-28 08:00:00\r\n";
        write(
            &dir,
            &[
                ("MDTRT_D.txt", MDTRT),
                ("SETL_D.txt", SETL),
                ("FEE_LIST_D.txt", FEE),
                ("DRUG_TRAC_D.txt", trac),
                ("DRUG_STOCK_D.txt", stock),
            ],
            false,
        );
        let i = ingest(&dir, &IngestOptions::default()).unwrap();
        check_balance(&i);
        let t = i.dump.traces.as_ref().expect("the trace feed is read");
        assert_eq!(t.code.len(), 2, "{}", render(&i.rejects));
        let m4 = i
            .dump
            .visits
            .visit_id
            .iter()
            .position(|x| x == "M4")
            .unwrap() as u32;
        assert!(t.line.iter().all(|&l| i.dump.lines.visit[l as usize] == m4));
        assert_eq!(i.dump.lines.line_id.get(t.line[0] as usize), "L5");
        assert_eq!(t.quantity, vec![10_000, -10_000]);
        let text = render(&i.rejects);
        assert!(
            text.contains("drug_traces DRUG_TRAC_D.txt row 3 line 4 item_code=XC08CAA034A001010101234 | item_code: visit M4 bills no line"),
            "{text}"
        );
        assert!(
            text.contains("row 4 line 5 visit_id=S8 | visit_id: no visit S8"),
            "{text}"
        );
        assert!(
            text.contains("row 5 line 6 provider_id=H1 | provider_id: visit M4 was settled by D1"),
            "{text}"
        );
        assert_eq!(i.dump.stock.as_ref().unwrap().code.len(), 1);
        assert_eq!(i.report.table(Table::DrugStock).accepted, 1);
    }

    #[test]
    fn settlement_lists_link_through_settlements_and_bad_rows_are_rejected() {
        let dir = scratch("extract-diag");
        let diag = "setl_id|diag_type|maindiag_flag|diag_code|vali_flag\r\n\
            S1|1|1|J18.900|1\r\n\
            S1|1|0|J96.000|1\r\n\
            S1|1|0|J96.000|1\r\n\
            S9|1|1|J18.900|1\r\n\
            S2|1||I10.x00|1\r\n";
        write(
            &dir,
            &[
                ("MDTRT_D.txt", MDTRT),
                ("SETL_D.txt", SETL),
                ("FEE_LIST_D.txt", FEE),
                ("SETL_LIST_DIAG_D.txt", diag),
            ],
            false,
        );
        let i = ingest(&dir, &IngestOptions::default()).unwrap();
        check_balance(&i);
        let g = i
            .dump
            .diagnoses
            .as_ref()
            .expect("the settlement lists are read");
        let text = render(&i.rejects);
        assert_eq!(g.visit.len(), 3, "{text}");
        let id = |k: usize| i.dump.visits.visit_id.get(g.visit[k] as usize).to_string();
        let code = |k: usize| i.dump.dicts.diagnoses.get(g.diag[k]).to_string();
        assert_eq!(
            (id(0), code(0), g.is_main[0]),
            ("M1".into(), "J18.900".into(), true)
        );
        assert_eq!(
            (id(1), code(1), g.is_main[1]),
            ("M1".into(), "J96.000".into(), false)
        );
        // M2's list states no main diagnosis and M2 has none: nothing is main.
        assert_eq!((id(2), g.is_main[2]), ("M2".into(), false));
        assert!(
            text.contains("settlement_diagnoses SETL_LIST_DIAG_D.txt row 3")
                && text.contains("duplicate diag_code: first at row 2"),
            "{text}"
        );
        assert!(text.contains("visit_id: no visit M9 in visits"), "{text}");
        assert_eq!(i.report.table(Table::SettlementDiagnoses).rejected, 2);
    }

    #[test]
    fn a_broken_enclosure_or_a_truncated_last_line_rejects_only_that_row() {
        let dir = scratch("extract-bad");
        let broken = MDTRT.replace(
            "2026-03-03 10:00:00|2026-03-03 10:00:00||1|",
            "2026-03-03 10:00:00|2026-03-03 10:00:00|@|J18|1|",
        );
        let truncated = format!("{FEE}L6|M4|XA02BCA211A001010100483|奥美拉唑");
        write(
            &dir,
            &[
                ("MDTRT_D.txt", &broken),
                ("SETL_D.txt", SETL),
                ("FEE_LIST_D.txt", &truncated),
            ],
            false,
        );
        let i = ingest(&dir, &IngestOptions::default()).unwrap();
        check_balance(&i);
        let text = render(&i.rejects);
        assert!(
            text.contains("visits MDTRT_D.txt row 3 line 5")
                && text.contains("field 7 (dscg_maindiag_code): an `@|` enclosure is not closed"),
            "{text}"
        );
        assert!(
            text.contains("line_items FEE_LIST_D.txt row 6 line 7")
                && text.contains("expected 12 `|`-separated fields, found 4"),
            "{text}"
        );
        // Every valid row is kept: M1 and M2 and their lines (L5 belonged to the broken M4).
        assert_eq!(i.dump.visits.visit_id.len(), 2);
        assert_eq!(i.dump.lines.visit.len(), 4);
    }

    #[test]
    fn a_wrong_delimiter_or_a_missing_field_names_the_file() {
        let dir = scratch("extract-comma");
        write(
            &dir,
            &[
                ("MDTRT_D.txt", &MDTRT.replace('|', ",")),
                ("SETL_D.txt", SETL),
                ("FEE_LIST_D.txt", FEE),
            ],
            false,
        );
        let e = ingest(&dir, &IngestOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("MDTRT_D.txt") && e.contains("line 1") && e.contains("mdtrt_id"),
            "{e}"
        );
        let dir = scratch("extract-missing");
        write(
            &dir,
            &[
                ("MDTRT_D.txt", MDTRT),
                ("SETL_D.txt", SETL),
                ("FEE_LIST_D.txt", &FEE.replace("pric|", "price|")),
            ],
            false,
        );
        let e = ingest(&dir, &IngestOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("FEE_LIST_D.txt") && e.contains("pric"), "{e}");
    }
}

#[test]
fn one_bad_byte_in_a_utf8_file_rejects_its_row_and_leaves_the_rest_utf8() {
    let dir = scratch("bad-byte");
    std::fs::write(
        dir.join("visits.csv"),
        "visit_id,patient_id,provider_id,visit_type,admit_time,discharge_time,total_amount\n\
         V1,P1,H1,outpatient,2026-03-02 09:00:00,2026-03-02 09:30:00,65.00\n",
    )
    .unwrap();
    let mut lines = "line_id,visit_id,item_code,item_name,charge_category,charge_time,quantity,unit_price,amount\n\
                     L1,V1,001101000010000,一般诊疗费,12,2026-03-02 09:05:00,1,10,10.00\n"
        .as_bytes()
        .to_vec();
    // A truncated character: the second and third bytes of 挂 lost.
    lines.extend_from_slice(b"L2,V1,001101000020000,\xe6\x8c,13,2026-03-02 09:05:00,1,1,1.00\n");
    lines.extend_from_slice(
        "L3,V1,002501010010000,血细胞分析(血常规),04,2026-03-02 09:10:00,1,25,25.00\n\
         L4,V1,002503010010000,肝功能检查,04,2026-03-02 09:10:00,1,29,29.00\n"
            .as_bytes(),
    );
    std::fs::write(dir.join("line_items.csv"), lines).unwrap();
    let i = ingest(&dir, &IngestOptions::default()).unwrap();
    check_balance(&i);
    let report = i.report.table(Table::LineItems);
    assert_eq!(report.files[0].encoding, Some("utf-8"));
    assert_eq!((report.read, report.accepted, report.rejected), (4, 3, 1));
    assert_eq!(i.rejects[0].row, 2);
    assert!(
        i.rejects[0].reason.contains("not valid utf-8"),
        "{}",
        i.rejects[0].reason
    );
    let names: Vec<&str> = i.dump.dicts.item_names.iter().collect();
    for name in ["一般诊疗费", "血细胞分析(血常规)", "肝功能检查"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
}

/// Exports from databases and statistics tools write missing values as `NA`, `NULL`, `\N` or `-`:
/// in columns that cannot hold them (times, money, dates) they are read as empty, identifiers keep
/// them as text unless declared, and the account counts the cells.
#[test]
fn null_markers_are_read_as_empty_where_a_column_cannot_hold_them() {
    let dir = scratch("nulls");
    std::fs::write(
        dir.join("visits.csv"),
        "visit_id,patient_id,provider_id,visit_type,admit_time,discharge_time,total_amount,fund_paid,doctor_id\n\
         V1,P1,H1,outpatient,2026-03-01 09:00:00,NULL,10.00,NA,D1\n\
         V2,P2,H1,outpatient,2026-03-02 09:00:00,\\N,10.00,-,NA\n\
         V3,P3,H1,outpatient,2026-03-03 09:00:00,2026-03-03 09:30:00,10.00,10.00,-\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("line_items.csv"),
        "line_id,visit_id,item_code,item_name,charge_category,charge_time,quantity,unit_price,amount\n\
         L1,V1,A,挂号费,13,2026-03-01 09:00:00,1,10,10.00\n\
         L2,V2,A,挂号费,13,2026-03-02 09:00:00,1,10,10.00\n\
         L3,V3,A,挂号费,13,2026-03-03 09:00:00,1,10,10.00\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("patients.csv"),
        "patient_id,sex,birth_date,death_date\nP1,1,1950-01-01,NA\nP2,2,NULL,\\N\nP3,1,1960-05-05,-\n",
    )
    .unwrap();
    let i = ingest(&dir, &IngestOptions::default()).unwrap();
    check_balance(&i);
    assert_eq!(i.report.total_rejected(), 0, "{}", render(&i.rejects));
    // discharge NULL, \N; fund NA, -; birth NULL; deaths NA, \N, -: 8 cells. The doctor ids `NA`
    // and `-` are identifiers and stay text.
    assert_eq!(i.report.null_cells(), 8);
    assert_eq!(i.report.table(Table::Patients).files[0].null_cells, 4);
    let p = i.dump.patients.as_ref().unwrap();
    assert!(p.death.iter().all(|&d| d == fundguard_model::NULL_DATE));
    let v = &i.dump.visits;
    assert_eq!(v.discharge[0], fundguard_model::NULL_TIME);
    // A missing fund payment defaults to the total, as an absent one does.
    assert_eq!(v.fund_paid[1], 1000);
    assert_eq!(i.dump.dicts.doctors.get(v.doctor[1]), "NA");

    // Declared, the doctor ids' `-` and `NA` are missing too.
    let declared = IngestOptions {
        nulls: fundguard_ingest::NullMarkers {
            declared: vec!["NA".into(), "-".into()],
        },
        ..IngestOptions::default()
    };
    let i = ingest(&dir, &declared).unwrap();
    assert_eq!(i.report.null_cells(), 10);
    assert_eq!(i.dump.visits.doctor[1], fundguard_model::NONE);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A mapping reads the markers in its source cells before it makes the column: an `NA` death
/// date is no date (the claims file of the issue had 137,135 of 138,556 people rejected for it).
#[test]
fn a_mapping_reads_null_markers_in_its_source_cells() {
    let dir = scratch("mapping-nulls");
    std::fs::write(
        dir.join("claims.csv"),
        "CLM,PERSON,PRV,FROM,THRU,PAID\nC1,B1,P1,20260301,20260305,100.00\nC2,B2,P1,20260302,NA,50.00\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("people.csv"),
        "PERSON,SEX,BIRTH,DEATH\nB1,1,19500101,NA\nB2,2,19600505,n/a\n",
    )
    .unwrap();
    let toml = r#"
[visits]
files = ["claims.csv"]
[visits.columns]
visit_id = "CLM"
patient_id = "PERSON"
provider_id = "PRV"
visit_type = { value = "inpatient" }
admit_time = "FROM"
discharge_time = "THRU"
total_amount = "PAID"

[line_items]
files = ["claims.csv"]
[line_items.columns]
line_id = "CLM"
visit_id = "CLM"
item_code = { value = "DRG" }
charge_category = { value = "14" }
charge_time = "FROM"
quantity = { value = "1" }
unit_price = "PAID"
amount = "PAID"

[patients]
files = ["people.csv"]
null_values = ["n/a"]
[patients.columns]
patient_id = "PERSON"
sex = "SEX"
birth_date = { date = "BIRTH", format = "%Y%m%d" }
death_date = { date = "DEATH", format = "%Y%m%d" }
"#;
    let path = dir.join("map.toml");
    std::fs::write(&path, toml).unwrap();
    let opts = IngestOptions {
        mapping: Some(fundguard_ingest::mapping::Mapping::load(&path).unwrap()),
        ..IngestOptions::default()
    };
    let i = ingest(&dir, &opts).unwrap();
    check_balance(&i);
    assert_eq!(i.report.total_rejected(), 0, "{}", render(&i.rejects));
    let p = i.dump.patients.as_ref().unwrap();
    assert!(p.death.iter().all(|&d| d == fundguard_model::NULL_DATE));
    // `NA` twice (a date, a time) and the declared `n/a`.
    assert_eq!(i.report.null_cells(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}
