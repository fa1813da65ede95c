//! Hostile workbooks: huge declared sizes, a part that inflates beyond its header, a cell reference
//! far beyond Excel's last column, typographic quotes. Each gives a clear error for its table
//! only: no panic, no unbounded allocation, and the other tables still load.

use std::io::Write;
use std::path::{Path, PathBuf};

use fundguard_rulebase::xlsx::read_workbook;
use fundguard_rulebase::RuleBase;

/// A zip archive of `(name, data, deflate?)` members, with the central directory's declared
/// uncompressed size of member `i` replaced by `sizes[i]` when given.
fn zip(members: &[(&str, &[u8], bool)], sizes: &[Option<u32>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (i, (name, data, deflate)) in members.iter().enumerate() {
        let stored: Vec<u8> = if *deflate {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        } else {
            data.to_vec()
        };
        let method: u16 = if *deflate { 8 } else { 0 };
        let size = sizes.get(i).copied().flatten().unwrap_or(data.len() as u32);
        let offset = out.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend(sig.to_le_bytes());
            if central {
                h.extend(20u16.to_le_bytes()); // made by
            }
            h.extend(20u16.to_le_bytes()); // needed
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(method.to_le_bytes());
            h.extend([0u8; 4]); // time, date
            h.extend(0u32.to_le_bytes()); // crc (not checked by the reader)
            h.extend((stored.len() as u32).to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend([0u8; 6]); // comment, disk, internal attributes
                h.extend(0u32.to_le_bytes()); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend(&stored);
        central.extend(header(0x0201_4b50, true));
    }
    let at = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(at.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

const WORKBOOK: &str =
    r#"<workbook><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const RELS: &str =
    r#"<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>"#;

fn sheet(rows: &str) -> String {
    format!("<worksheet><sheetData>{rows}</sheetData></worksheet>")
}

fn book(workbook: &str, sheet_xml: &str, deflate: bool, sizes: &[Option<u32>]) -> Vec<u8> {
    zip(
        &[
            ("xl/workbook.xml", workbook.as_bytes(), false),
            ("xl/_rels/workbook.xml.rels", RELS.as_bytes(), false),
            ("xl/worksheets/sheet1.xml", sheet_xml.as_bytes(), deflate),
        ],
        sizes,
    )
}

const GOOD_ROWS: &str = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>代码</t></is></c></row><row r="2"><c r="A2"><v>1.0</v></c></row>"#;

#[test]
fn an_honest_hand_made_workbook_reads() {
    let sheets = read_workbook(&book(WORKBOOK, &sheet(GOOD_ROWS), true, &[])).unwrap();
    assert_eq!(sheets[0].name, "S");
    assert_eq!(
        sheets[0].rows,
        vec![(1, vec!["代码".to_string()]), (2, vec!["1".to_string()])]
    );
}

#[test]
fn a_huge_declared_size_is_refused_before_inflating() {
    let bytes = book(
        WORKBOOK,
        &sheet(GOOD_ROWS),
        true,
        &[None, None, Some(0xFFFF_FFF0)],
    );
    let e = read_workbook(&bytes).unwrap_err();
    assert!(
        e.contains("xl/worksheets/sheet1.xml: declares 4294967280 bytes"),
        "{e}"
    );
}

#[test]
fn a_part_inflating_beyond_its_header_is_refused() {
    // 64 MiB of one repeated row compresses to a few hundred kilobytes; the header says 1 KiB.
    let rows = GOOD_ROWS.repeat((64 << 20) / GOOD_ROWS.len());
    let bytes = book(WORKBOOK, &sheet(&rows), true, &[None, None, Some(1024)]);
    assert!(bytes.len() < 4 << 20);
    let e = read_workbook(&bytes).unwrap_err();
    assert!(e.contains("inflates to more than the 1024 bytes"), "{e}");
}

#[test]
fn a_cell_reference_beyond_the_last_column_is_an_error() {
    let rows = r#"<row r="1"><c r="ZZZZZZZ1"><v>1</v></c></row>"#;
    let e = read_workbook(&book(WORKBOOK, &sheet(rows), false, &[])).unwrap_err();
    assert!(
        e.contains("`ZZZZZZZ1` is beyond Excel's last column XFD"),
        "{e}"
    );
    let rows = r#"<row r="1"><c r="ZZZZZZZZZZZZZZZZ1"><v>1</v></c></row>"#;
    assert!(read_workbook(&book(WORKBOOK, &sheet(rows), false, &[])).is_err());
}

#[test]
fn a_typographic_quote_is_an_error_not_a_panic() {
    let workbook = "<workbook><sheets><sheet name=“規則” r:id=“rId1”/></sheets></workbook>";
    let e = read_workbook(&book(workbook, &sheet(GOOD_ROWS), false, &[])).unwrap_err();
    assert!(e.contains("has no r:id"), "{e}");
    let rows = "<row r=“1”><c r=“A1” t=“s”><v>0</v></c></row>";
    // Cells whose attributes cannot be read fall back to their position; no panic.
    let _ = read_workbook(&book(WORKBOOK, &sheet(rows), false, &[]));
}

#[test]
fn truncated_and_garbage_archives_are_errors() {
    let good = book(WORKBOOK, &sheet(GOOD_ROWS), true, &[]);
    for cut in [0, 10, good.len() / 2, good.len() - 23, good.len() - 1] {
        let _ = read_workbook(&good[..cut]);
    }
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 6..n - 2].copy_from_slice(&u32::MAX.to_le_bytes()); // directory offset
    assert!(read_workbook(&bad).is_err());
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fg-rb-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// In a rule base, the hostile workbook is a problem of its own table; the others load.
#[test]
fn a_hostile_workbook_is_a_problem_of_its_table_only() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/nhsa-rules");
    for (name, bytes) in [
        (
            "size",
            book(
                WORKBOOK,
                &sheet(GOOD_ROWS),
                true,
                &[None, None, Some(0xFFFF_FFF0)],
            ),
        ),
        (
            "column",
            book(
                WORKBOOK,
                &sheet(r#"<row r="1"><c r="ZZZZZZZ1"><v>1</v></c></row>"#),
                false,
                &[],
            ),
        ),
        (
            "quote",
            book(
                "<workbook><sheets><sheet name=“x” r:id=“rId1”/></sheets></workbook>",
                &sheet(GOOD_ROWS),
                false,
                &[],
            ),
        ),
    ] {
        let dir = scratch(name);
        std::fs::write(dir.join("【第七批】项目规则库（重复收费）.xlsx"), bytes).unwrap();
        std::fs::copy(
            shared.join("b8_item_period.csv"),
            dir.join("b8_item_period.csv"),
        )
        .unwrap();
        let rb = RuleBase::load(&dir).unwrap();
        assert!(rb.has("b8_item_period"), "{name}");
        assert!(!rb.has("b7_item_duplicate_pairs"), "{name}");
        assert_eq!(rb.problems.len(), 1, "{name}: {:?}", rb.problems);
        let p = &rb.problems[0];
        assert_eq!(
            p.table.as_deref(),
            Some("b7_item_duplicate_pairs"),
            "{name}"
        );
        assert!(p.to_string().contains("重复收费"), "{name}: {p}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
