//! `leads.xlsx`, written with `rust_xlsxwriter`: a sheet of leads (线索) and one of their hits
//! (命中明细), each with a styled, frozen header row, an autofilter and column widths. Every id is
//! a text cell, so long digit ids never turn into numbers; money is a number with two decimals.
//!
//! Excel's limits are kept: a cell holds at most 32,767 characters (longer text, such as the line
//! ids of a large hit, is cut and says how many it left out) and a sheet at most 1,048,576 rows
//! (further hits continue on `命中明细 2`, `命中明细 3` …); a workbook of more than
//! [`LARGE_ROWS`] rows is written as ZIP64. The creation time is fixed, so the same run gives the
//! same bytes.

use rust_xlsxwriter::{
    Color, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};

use crate::{family_zh, Report};

/// Most characters Excel keeps in one cell.
pub const MAX_CELL_CHARS: usize = 32_767;
/// Most rows of one Excel sheet, its header included.
pub const MAX_ROWS: usize = 1_048_576;

/// Above this many rows in all, the workbook is written as ZIP64.
pub const LARGE_ROWS: usize = 200_000;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A whole number (ranks, counts).
    Int(i64),
    /// Money in fen, shown as yuan with two decimals.
    Yuan(i64),
    /// A score or severity, shown with `places` decimals.
    Float(f64, usize),
}

/// One sheet: its name, header, column widths (in characters) and rows.
pub struct Sheet<'a> {
    pub name: String,
    pub header: &'a [(&'a str, f64)],
    pub rows: Vec<Vec<Cell>>,
}

/// Text cut to Excel's cell limit, saying how much was left out.
fn fit(text: &str) -> String {
    // Text of no more bytes than the limit has no more characters either: no count needed.
    if text.len() <= MAX_CELL_CHARS {
        return text.to_string();
    }
    let total = text.chars().count();
    if total <= MAX_CELL_CHARS {
        return text.to_string();
    }
    let note_room = 40;
    let kept: String = text.chars().take(MAX_CELL_CHARS - note_room).collect();
    format!(
        "{kept} …（另有 {} 字符未列出）",
        total - (MAX_CELL_CHARS - note_room)
    )
}

/// The workbook with every sheet; a sheet with more rows than Excel allows continues on further
/// sheets named `<name> 2`, `<name> 3` …
pub fn workbook(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, XlsxError> {
    workbook_with(sheets, MAX_ROWS)
}

/// [`workbook`] with at most `max_rows` rows a sheet, header included.
fn workbook_with(sheets: &[Sheet<'_>], max_rows: usize) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    // A fixed creation time: the same content gives the same bytes.
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    book.set_properties(
        &DocProperties::new()
            .set_title("fundguard leads")
            .set_creation_datetime(&created),
    );
    // A sheet's XML passes 4 GiB (the plain zip limit) only with hundreds of thousands of long
    // rows; such workbooks are written as ZIP64, which Excel and WPS read.
    let rows: usize = sheets.iter().map(|s| s.rows.len()).sum();
    book.use_zip_large_file(rows > LARGE_ROWS);
    let header = Format::new()
        .set_bold()
        .set_font_color(Color::White)
        .set_background_color(Color::RGB(0x1F4E79))
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_text_wrap()
        .set_border(FormatBorder::Thin);
    let text = Format::new().set_num_format("@");
    let yuan = Format::new().set_num_format("#,##0.00");
    // One format per number of decimals, not one per cell.
    let mut decimals = std::collections::BTreeMap::<usize, Format>::new();
    for sheet in sheets {
        let per_sheet = max_rows - 1;
        let chunks: Vec<&[Vec<Cell>]> = if sheet.rows.is_empty() {
            vec![&[]]
        } else {
            sheet.rows.chunks(per_sheet).collect()
        };
        for (k, rows) in chunks.iter().enumerate() {
            let ws = book.add_worksheet();
            let name = if k == 0 {
                sheet.name.clone()
            } else {
                format!("{} {}", sheet.name, k + 1)
            };
            ws.set_name(name)?;
            for (c, (title, width)) in sheet.header.iter().enumerate() {
                let c = c as u16;
                ws.write_string_with_format(0, c, *title, &header)?;
                ws.set_column_width(c, *width)?;
            }
            ws.set_row_height(0, 30)?;
            for (r, row) in rows.iter().enumerate() {
                let r = r as u32 + 1;
                for (c, cell) in row.iter().enumerate() {
                    let c = c as u16;
                    match cell {
                        Cell::Text(s) => {
                            ws.write_string_with_format(r, c, fit(s), &text)?;
                        }
                        Cell::Int(n) => {
                            ws.write_number(r, c, *n as f64)?;
                        }
                        // Display only: the exact amount is in leads.parquet.
                        Cell::Yuan(fen) => {
                            ws.write_number_with_format(r, c, *fen as f64 / 100.0, &yuan)?;
                        }
                        Cell::Float(x, places) => {
                            let f = decimals.entry(*places).or_insert_with(|| {
                                Format::new().set_num_format(format!("0.{}", "0".repeat(*places)))
                            });
                            ws.write_number_with_format(r, c, *x, f)?;
                        }
                    }
                }
            }
            ws.set_freeze_panes(1, 0)?;
            let last_col = sheet.header.len().saturating_sub(1) as u16;
            ws.autofilter(0, 0, rows.len() as u32, last_col)?;
        }
    }
    book.save_to_buffer()
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn opt(s: &Option<String>) -> Cell {
    Cell::Text(s.clone().unwrap_or_default())
}

const LEADS: [(&str, f64); 12] = [
    ("排名", 6.0),
    ("线索编号", 16.0),
    ("对象类型", 10.0),
    ("对象编号", 24.0),
    ("定点机构编号", 16.0),
    ("评分", 9.0),
    ("涉及金额（元）", 16.0),
    ("命中数", 8.0),
    ("违规类型", 24.0),
    ("规则", 36.0),
    ("摘要", 60.0),
    ("达到移送标准", 12.0),
];

const HITS: [(&str, f64); 14] = [
    ("线索编号", 16.0),
    ("排名", 6.0),
    ("规则编号", 30.0),
    ("规则名称", 20.0),
    ("违规类型", 14.0),
    ("对象类型", 10.0),
    ("对象编号", 24.0),
    ("定点机构编号", 16.0),
    ("参保人编号", 24.0),
    ("就诊编号", 20.0),
    ("费用明细编号", 30.0),
    ("涉及金额（元）", 16.0),
    ("严重程度", 10.0),
    ("证据", 80.0),
];

/// The bureau's monthly 监督检查情况统计表: what the run knows filled (institutions in the dump, with
/// leads, the money at risk), the inspection outcome columns left for the inspectors.
const SUPERVISION: [(&str, f64); 14] = [
    ("统计期间", 26.0),
    ("定点医药机构数：总数", 12.0),
    ("其中：医疗机构", 12.0),
    ("其中：零售药店", 12.0),
    ("筛查出线索的机构数", 12.0),
    ("其中：医疗机构", 12.0),
    ("其中：零售药店", 12.0),
    ("线索涉及金额（元）", 16.0),
    ("已检查机构数", 12.0),
    ("存在问题机构数", 12.0),
    ("追回医保基金（万元）", 14.0),
    ("行政处罚金额（万元）", 14.0),
    ("暂停或解除服务协议机构数", 14.0),
    ("移送司法机关机构数", 14.0),
];

fn supervision_row(r: &Report<'_>) -> Vec<Cell> {
    let kinds = r.institutions();
    let of = |k: &str| kinds.get(k).cloned().unwrap_or_default();
    let (hospital, clinic, pharmacy) = (of("hospital"), of("clinic"), of("pharmacy"));
    let total: usize = kinds.values().map(|k| k.total).sum();
    let flagged: usize = kinds.values().map(|k| k.flagged).sum();
    let amount: i64 = kinds.values().map(|k| k.amount_fen).sum();
    let mut row = vec![
        text(r.period),
        Cell::Int(total as i64),
        Cell::Int((hospital.total + clinic.total) as i64),
        Cell::Int(pharmacy.total as i64),
        Cell::Int(flagged as i64),
        Cell::Int((hospital.flagged + clinic.flagged) as i64),
        Cell::Int(pharmacy.flagged as i64),
        Cell::Yuan(amount),
    ];
    // What only the inspection knows.
    row.extend((0..6).map(|_| text("")));
    row
}

/// leads.xlsx: a sheet of leads (线索), one of their hits (命中明细) and the month's
/// 监督检查情况统计表.
pub fn xlsx(r: &Report<'_>) -> Result<Vec<u8>, XlsxError> {
    let mut leads = Vec::with_capacity(r.leads.len());
    let mut hits = Vec::new();
    for l in r.leads {
        let fams: Vec<&str> = l.families.iter().map(|f| family_zh(f)).collect();
        leads.push(vec![
            Cell::Int(i64::from(l.rank)),
            text(&l.lead_id),
            text(&l.subject_type),
            text(&l.subject_id),
            opt(&l.provider_id),
            Cell::Float(l.score, 3),
            Cell::Yuan(l.amount_fen),
            Cell::Int(l.hit_count as i64),
            text(&fams.join("、")),
            text(&l.rule_ids.join(", ")),
            text(&l.headlines[0]),
            text(if l.referral { "是" } else { "否" }),
        ]);
        for &i in &l.hits {
            let h = &r.hits_zh[i];
            hits.push(vec![
                text(&l.lead_id),
                Cell::Int(i64::from(l.rank)),
                text(&h.rule_id),
                text(&r.names.get(&h.rule_id, fundguard_model::Language::Zh)),
                text(family_zh(&h.family)),
                text(&h.subject_type),
                text(&h.subject_id),
                opt(&h.provider_id),
                opt(&h.patient_id),
                opt(&h.visit_id),
                text(&h.line_ids.join(", ")),
                Cell::Yuan(h.amount_fen),
                Cell::Float(h.severity, 3),
                text(&h.evidence),
            ]);
        }
    }
    workbook(&[
        Sheet {
            name: "线索".into(),
            header: &LEADS,
            rows: leads,
        },
        Sheet {
            name: "命中明细".into(),
            header: &HITS,
            rows: hits,
        },
        Sheet {
            name: "监督检查情况统计表".into(),
            header: &SUPERVISION,
            rows: vec![supervision_row(r)],
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The workbook reads back with every id as written, a frozen, filtered header, and money
    /// as a number with two decimals.
    #[test]
    fn ids_stay_text_and_the_header_is_frozen_and_filtered() {
        let id = "33010005380000008457";
        let header = [("对象编号", 24.0), ("金额", 12.0)];
        let book = || {
            workbook(&[Sheet {
                name: "线索".into(),
                header: &header,
                rows: vec![
                    vec![text(id), Cell::Yuan(1250)],
                    vec![text("0012<&>\u{1}"), Cell::Yuan(300)],
                ],
            }])
            .unwrap()
        };
        let bytes = book();
        let sheets = fundguard_rulebase::xlsx::read_workbook(&bytes).unwrap();
        assert_eq!(sheets[0].name, "线索");
        assert_eq!(
            sheets[0].rows[1].1,
            vec![id.to_string(), "12.5".to_string()]
        );
        assert!(sheets[0].rows[2].1[0].starts_with("0012<&>"));
        let xml = fundguard_rulebase::xlsx::read_part(&bytes, "xl/worksheets/sheet1.xml").unwrap();
        assert!(xml.contains("state=\"frozen\""), "{xml}");
        assert!(xml.contains("<autoFilter ref=\"A1:B3\""), "{xml}");
        assert!(xml.contains("t=\"s\""), "ids are strings: {xml}");
        let styles = fundguard_rulebase::xlsx::read_part(&bytes, "xl/styles.xml").unwrap();
        assert!(styles.contains("#,##0.00"), "{styles}");
        // The same content gives the same bytes (no clock in the file).
        assert_eq!(bytes, book());
    }

    #[test]
    fn rows_beyond_a_sheet_continue_on_the_next() {
        let header = [("n", 6.0)];
        let rows = (0..7).map(|i| vec![Cell::Int(i)]).collect();
        let bytes = workbook_with(
            &[Sheet {
                name: "命中明细".into(),
                header: &header,
                rows,
            }],
            4,
        )
        .unwrap();
        let sheets = fundguard_rulebase::xlsx::read_workbook(&bytes).unwrap();
        let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["命中明细", "命中明细 2", "命中明细 3"]);
        let counts: Vec<usize> = sheets.iter().map(|s| s.rows.len()).collect();
        assert_eq!(counts, [4, 4, 2], "each sheet has its header");
    }

    #[test]
    fn long_text_is_cut_to_the_cell_limit_and_says_so() {
        let long = "L".repeat(MAX_CELL_CHARS + 5_000);
        let cut = fit(&long);
        assert!(cut.chars().count() <= MAX_CELL_CHARS);
        assert!(cut.ends_with("字符未列出）"), "{}", &cut[cut.len() - 60..]);
        assert_eq!(fit("short"), "short");
    }
}
