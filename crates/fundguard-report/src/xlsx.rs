//! `leads.xlsx`: a minimal Office Open XML workbook written by hand (stored zip entries, inline
//! strings). Every id is a text cell, so long digit ids never turn into numbers; headers are
//! Chinese.

use std::fmt::Write;

use fundguard_model::yuan;

use crate::html::esc;
use crate::{family_zh, Report};

/// One cell.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    /// A number as its exact decimal text (e.g. `1234.56`).
    Number(String),
}

fn column(i: usize) -> String {
    let mut n = i + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).expect("ascii")
}

fn sheet_xml(rows: &[Vec<Cell>]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>\
         <sheetData>",
    );
    for (r, row) in rows.iter().enumerate() {
        let _ = write!(s, "<row r=\"{}\">", r + 1);
        for (c, cell) in row.iter().enumerate() {
            let at = format!("{}{}", column(c), r + 1);
            match cell {
                Cell::Text(t) => {
                    let _ = write!(
                        s,
                        "<c r=\"{at}\" t=\"inlineStr\"{}><is><t xml:space=\"preserve\">{}</t></is></c>",
                        if r == 0 { " s=\"1\"" } else { "" },
                        esc(t)
                    );
                }
                Cell::Number(v) => {
                    let _ = write!(s, "<c r=\"{at}\"><v>{v}</v></c>");
                }
            }
        }
        s.push_str("</row>");
    }
    s.push_str("</sheetData></worksheet>");
    s
}

/// The workbook with one sheet per `(name, rows)`; the first row of each is its header.
pub fn workbook(sheets: &[(&str, Vec<Vec<Cell>>)]) -> Vec<u8> {
    let mut parts: Vec<(String, String)> = Vec::new();
    let mut types = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
         <Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>",
    );
    let mut book = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>",
    );
    let mut rels = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
    );
    for (i, (name, rows)) in sheets.iter().enumerate() {
        let n = i + 1;
        let _ = write!(
            types,
            "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        );
        let _ = write!(
            book,
            "<sheet name=\"{}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>",
            esc(name)
        );
        let _ = write!(
            rels,
            "<Relationship Id=\"rId{n}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet{n}.xml\"/>"
        );
        parts.push((format!("xl/worksheets/sheet{n}.xml"), sheet_xml(rows)));
    }
    let styles_id = sheets.len() + 1;
    let _ = write!(
        rels,
        "<Relationship Id=\"rId{styles_id}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>"
    );
    types.push_str("</Types>");
    book.push_str("</sheets></workbook>");
    let styles = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font><font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>\
         <fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>\
         <borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
         <cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
         <cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/><xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>\
         <cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
         </styleSheet>";
    let root_rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
    let mut all = vec![
        ("[Content_Types].xml".to_string(), types),
        ("_rels/.rels".to_string(), root_rels.to_string()),
        ("xl/workbook.xml".to_string(), book),
        ("xl/_rels/workbook.xml.rels".to_string(), rels),
        ("xl/styles.xml".to_string(), styles.to_string()),
    ];
    all.extend(parts);
    zip_stored(&all)
}

/// A zip archive of stored (uncompressed) entries, with a fixed timestamp so that the same
/// content gives the same bytes.
fn zip_stored(files: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    // 1980-01-01 00:00 in DOS format.
    let (time, date) = (0u16, (1u16 << 5) | 1);
    for (name, text) in files {
        let data = text.as_bytes();
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let crc = crc.sum();
        let offset = out.len() as u32;
        let size = data.len() as u32;
        let name_b = name.as_bytes();
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // needed
            h.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&time.to_le_bytes());
            h.extend_from_slice(&date.to_le_bytes());
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&size.to_le_bytes());
            h.extend_from_slice(&(name_b.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name_b);
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    let cd_size = central.len() as u32;
    out.extend(central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]); // disks
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn opt(s: &Option<String>) -> Cell {
    Cell::Text(s.clone().unwrap_or_default())
}

fn amount(fen: i64) -> Cell {
    Cell::Number(yuan(fen).to_string())
}

/// leads.xlsx: a sheet of leads (线索) and one of their hits (命中明细).
pub fn xlsx(r: &Report<'_>) -> Vec<u8> {
    let mut leads = vec![[
        "排名",
        "线索编号",
        "对象类型",
        "对象编号",
        "定点机构编号",
        "评分",
        "涉及金额（元）",
        "命中数",
        "违规类型",
        "规则",
        "摘要",
        "达到移送标准",
    ]
    .iter()
    .map(|h| text(h))
    .collect::<Vec<_>>()];
    let mut hits = vec![[
        "线索编号",
        "排名",
        "规则编号",
        "规则名称",
        "违规类型",
        "对象类型",
        "对象编号",
        "定点机构编号",
        "参保人编号",
        "就诊编号",
        "费用明细编号",
        "涉及金额（元）",
        "严重程度",
        "证据",
    ]
    .iter()
    .map(|h| text(h))
    .collect::<Vec<_>>()];
    for l in r.leads {
        let fams: Vec<&str> = l.families.iter().map(|f| family_zh(f)).collect();
        leads.push(vec![
            Cell::Number(l.rank.to_string()),
            text(&l.lead_id),
            text(&l.subject_type),
            text(&l.subject_id),
            opt(&l.provider_id),
            Cell::Number(format!("{:.6}", l.score)),
            amount(l.amount_fen),
            Cell::Number(l.hit_count.to_string()),
            text(&fams.join("、")),
            text(&l.rule_ids.join(", ")),
            text(&l.headlines[0]),
            text(if l.referral { "是" } else { "否" }),
        ]);
        for &i in &l.hits {
            let h = &r.hits_zh[i];
            hits.push(vec![
                text(&l.lead_id),
                Cell::Number(l.rank.to_string()),
                text(&h.rule_id),
                text(&r.names.get(&h.rule_id, fundguard_model::Language::Zh)),
                text(family_zh(&h.family)),
                text(&h.subject_type),
                text(&h.subject_id),
                opt(&h.provider_id),
                opt(&h.patient_id),
                opt(&h.visit_id),
                text(&h.line_ids.join(", ")),
                amount(h.amount_fen),
                Cell::Number(format!("{:.3}", h.severity)),
                text(&h.evidence),
            ]);
        }
    }
    workbook(&[("线索", leads), ("命中明细", hits)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_spreadsheet_letters() {
        assert_eq!(column(0), "A");
        assert_eq!(column(25), "Z");
        assert_eq!(column(26), "AA");
        assert_eq!(column(27), "AB");
    }

    /// The workbook reads back (with fundguard's own xlsx reader) with every id as written.
    #[test]
    fn long_digit_ids_stay_text() {
        let id = "33010005380000008457";
        let bytes = workbook(&[(
            "线索",
            vec![
                vec![text("对象编号"), text("金额")],
                vec![text(id), Cell::Number("12.50".into())],
                vec![text("0012<&>"), Cell::Number("3".into())],
            ],
        )]);
        let sheets = fundguard_rulebase::xlsx::read_workbook(&bytes).unwrap();
        assert_eq!(sheets[0].name, "线索");
        assert_eq!(
            sheets[0].rows[1].1,
            vec![id.to_string(), "12.50".to_string()]
        );
        assert_eq!(sheets[0].rows[2].1[0], "0012<&>");
        // Inline strings, not numbers.
        assert!(String::from_utf8_lossy(&bytes)
            .contains(&format!("<t xml:space=\"preserve\">{id}</t>")));
    }
}
