//! A dossier as a Word document (`.docx`, WordprocessingML): Word and WPS open it offline. Made
//! from the dossier's Markdown: `#` the title and `##` the sections as Word's Heading 1 and
//! Heading 2 styles (so they show in the navigation pane), `>` a quoted line, `-` and `1.` items
//! as indented paragraphs, `**bold**` bold, a `|` table (the facts) as a Word table with borders
//! and a repeated, shaded header row; code marks are dropped. Chinese fonts are declared
//! (宋体 for the body, 黑体 for headings, East Asian text), so WPS and Word on any locale show them.

use std::io::{Cursor, Write};

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="宋体" w:cs="Times New Roman"/><w:sz w:val="24"/><w:lang w:val="en-US" w:eastAsia="zh-CN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="360" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:jc w:val="center"/><w:spacing w:before="240" w:after="240"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:rFonts w:eastAsia="黑体"/><w:b/><w:sz w:val="32"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:spacing w:before="240" w:after="120"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:rFonts w:eastAsia="黑体"/><w:b/><w:sz w:val="28"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Quote"><w:name w:val="Quote"/><w:basedOn w:val="Normal"/><w:pPr><w:ind w:left="420"/></w:pPr><w:rPr><w:i/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="TableText"><w:name w:val="Table Text"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:before="40" w:after="40" w:line="260" w:lineRule="auto"/></w:pPr><w:rPr><w:sz w:val="20"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="ListItem"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/><w:pPr><w:ind w:left="420" w:hanging="420"/></w:pPr></w:style></w:styles>"#;

/// Escapes text for XML.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// The runs of one line: `**bold**` spans bold, code marks dropped.
fn runs(text: &str) -> String {
    let text = text.replace('`', "");
    let mut out = String::new();
    for (k, part) in text.split("**").enumerate() {
        if part.is_empty() {
            continue;
        }
        let bold = if k % 2 == 1 {
            "<w:rPr><w:b/></w:rPr>"
        } else {
            ""
        };
        out.push_str(&format!(
            r#"<w:r>{bold}<w:t xml:space="preserve">{}</w:t></w:r>"#,
            escape(part)
        ));
    }
    out
}

fn paragraph(style: Option<&str>, text: &str) -> String {
    let style = style.map_or(String::new(), |s| {
        format!(r#"<w:pPr><w:pStyle w:val="{s}"/></w:pPr>"#)
    });
    format!("<w:p>{style}{}</w:p>", runs(text))
}

/// The cells of a Markdown table row (`| a | b \| c |`), unescaped.
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut out = vec![String::new()];
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                out.last_mut().expect("one cell").push('|');
                chars.next();
            }
            '|' => out.push(String::new()),
            c => out.last_mut().expect("one cell").push(c),
        }
    }
    out.iter().map(|c| c.trim().to_string()).collect()
}

/// A Markdown table (header, `|---|---:|` separator, rows) as a Word table: full width, single
/// borders, columns as wide as their text asks (within limits), the header shaded and repeated
/// on every page, right-aligned columns kept right-aligned.
fn table(rows: &[&str]) -> String {
    let header = cells(rows[0]);
    let n = header.len();
    let right: Vec<bool> = rows
        .get(1)
        .map(|sep| cells(sep).iter().map(|c| c.ends_with(':')).collect())
        .unwrap_or_default();
    let body: Vec<Vec<String>> = rows.iter().skip(2).map(|r| cells(r)).collect();
    // Widths in twips over the A4 text width (11906 - 2 x 1800), by each column's longest text.
    let want: Vec<usize> = (0..n)
        .map(|c| {
            std::iter::once(&header)
                .chain(&body)
                .filter_map(|r| r.get(c))
                .map(|t| t.chars().count())
                .max()
                .unwrap_or(1)
                .clamp(3, 40)
        })
        .collect();
    let total: usize = want.iter().sum();
    let widths: Vec<usize> = want.iter().map(|w| 8306 * w / total.max(1)).collect();
    let border =
        |side: &str| format!(r#"<w:{side} w:val="single" w:sz="4" w:space="0" w:color="808080"/>"#);
    let mut out = format!(
        r#"<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/><w:tblBorders>{}{}{}{}{}{}</w:tblBorders><w:tblCellMar><w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>"#,
        border("top"),
        border("left"),
        border("bottom"),
        border("right"),
        border("insideH"),
        border("insideV")
    );
    for w in &widths {
        out.push_str(&format!(r#"<w:gridCol w:w="{w}"/>"#));
    }
    out.push_str("</w:tblGrid>");
    for (k, row) in std::iter::once(&header).chain(&body).enumerate() {
        out.push_str("<w:tr>");
        if k == 0 {
            out.push_str("<w:trPr><w:tblHeader/></w:trPr>");
        }
        for (c, width) in widths.iter().enumerate() {
            let text = row.get(c).map_or("", String::as_str);
            let shade = if k == 0 {
                r#"<w:shd w:val="clear" w:color="auto" w:fill="D9E2F3"/>"#
            } else {
                ""
            };
            let jc = if right.get(c).copied().unwrap_or(false) {
                r#"<w:jc w:val="right"/>"#
            } else {
                ""
            };
            let text = if k == 0 {
                format!("**{text}**")
            } else {
                text.to_string()
            };
            out.push_str(&format!(
                r#"<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shade}</w:tcPr><w:p><w:pPr><w:pStyle w:val="TableText"/>{jc}</w:pPr>{}</w:p></w:tc>"#,
                runs(&text)
            ));
        }
        out.push_str("</w:tr>");
    }
    // Word needs a paragraph between a table and what follows.
    out.push_str("</w:tbl><w:p/>");
    out
}

/// The body paragraphs and tables of a dossier's Markdown.
fn body(markdown: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = markdown.lines().map(str::trim_end).collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.is_empty() {
            continue;
        }
        if line.starts_with('|') {
            let start = i - 1;
            while i < lines.len() && lines[i].starts_with('|') {
                i += 1;
            }
            out.push_str(&table(&lines[start..i]));
            continue;
        }
        let p = if let Some(t) = line.strip_prefix("# ") {
            paragraph(Some("Heading1"), t)
        } else if let Some(t) = line.strip_prefix("## ") {
            paragraph(Some("Heading2"), t)
        } else if let Some(t) = line.strip_prefix("> ") {
            paragraph(Some("Quote"), t)
        } else if let Some(t) = line.strip_prefix("- ") {
            paragraph(Some("ListItem"), &format!("• {t}"))
        } else if line
            .split_once(". ")
            .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()))
        {
            paragraph(Some("ListItem"), line)
        } else {
            paragraph(None, line)
        };
        out.push_str(&p);
    }
    out
}

/// The dossier's Markdown (as [`crate::dossier`] writes it) as the bytes of a `.docx` file.
pub fn docx(markdown: &str) -> std::io::Result<Vec<u8>> {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1800" w:bottom="1440" w:left="1800" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr></w:body></w:document>"#,
        body(markdown)
    );
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    // A fixed timestamp: the same dossier gives the same bytes.
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, text) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS),
        ("word/styles.xml", STYLES),
        ("word/document.xml", document.as_str()),
    ] {
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        zip.write_all(text.as_bytes())?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_become_word_headings_and_text_is_escaped() {
        let md = "# 某市某医院骗取医保基金案\n\n> a < b & c\n\n## （一）涉案基本情况\n\n- 金额 **100.00 元** `L1`\n1. 第一条\n";
        let b = body(md);
        assert!(b.contains(r#"<w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t xml:space="preserve">某市某医院骗取医保基金案"#));
        assert!(b.contains(r#"<w:pStyle w:val="Heading2"/>"#));
        assert!(b.contains("a &lt; b &amp; c"));
        assert!(b.contains(
            r#"<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">100.00 元</w:t></w:r>"#
        ));
        assert!(!b.contains('`'));
        let t = body("| 序号 | 事实 | 金额（元） |\n|---:|---|---:|\n| 1 | a \\| b | 1,000.00 |\n");
        assert_eq!(t.matches("<w:tr>").count(), 2, "{t}");
        assert_eq!(t.matches("<w:tc>").count(), 6, "{t}");
        assert!(
            t.contains("<w:tblHeader/>")
                && t.contains("a | b")
                && t.contains(r#"<w:jc w:val="right"/>"#),
            "{t}"
        );
        let bytes = docx(md).unwrap();
        assert!(bytes.starts_with(b"PK"));
        // Deterministic: the same dossier, the same bytes.
        assert_eq!(bytes, docx(md).unwrap());
    }
}
