//! A small reader of xlsx workbooks: the worksheets' cells as text, in sheet order.
//!
//! The national rule base is published as xlsx. An xlsx file is a zip archive of XML parts; this
//! reads the zip's central directory, inflates the parts it needs (`flate2`, already in the build
//! through polars), and scans the spreadsheet XML (workbook, relationships, shared strings,
//! worksheets) with a minimal tag scanner: enough for machine-written workbooks, no formulas, no
//! styles. Numbers are returned as written in the XML (`1`, `0.5`); whole numbers stored as
//! floats (`1.0`) are written without the fraction, like a CSV export.
//!
//! A workbook is input from outside, so nothing in it is trusted: a part is inflated only up to
//! [`MAX_PART`] bytes whatever its header declares (and one that inflates beyond its declared size
//! is refused), offsets and sizes are checked before use, cell references beyond Excel's last
//! column (XFD) are errors, and attribute quotes other than `"` and `'` end the attribute. Every
//! failure is an `Err` naming the part or row, never a panic or an unbounded allocation.

use std::collections::BTreeMap;
use std::io::Read;

/// Most bytes one part of a workbook (a worksheet's XML, the shared strings) may inflate to. The
/// national tables' largest sheet is about 1 MB.
pub const MAX_PART: usize = 256 << 20;

/// Columns of an Excel sheet (`A` … `XFD`).
pub const MAX_COLUMNS: usize = 16_384;

/// One worksheet: its name and its rows as `(1-based row number, cells by column)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Worksheet {
    pub name: String,
    pub rows: Vec<(u64, Vec<String>)>,
}

/// Reads every worksheet of the workbook in `bytes`, in the workbook's sheet order.
pub fn read_workbook(bytes: &[u8]) -> Result<Vec<Worksheet>, String> {
    let zip = Zip::parse(bytes)?;
    let workbook = zip.text("xl/workbook.xml")?;
    let rels = zip.text("xl/_rels/workbook.xml.rels")?;
    let targets: BTreeMap<String, String> = tags(&rels, "Relationship")
        .into_iter()
        .filter_map(|t| Some((attr(&t, "Id")?, attr(&t, "Target")?)))
        .collect();
    let shared = match zip.text("xl/sharedStrings.xml") {
        Ok(x) => shared_strings(&x),
        Err(_) => Vec::new(),
    };
    let mut out = Vec::new();
    for sheet in tags(&workbook, "sheet") {
        let name = attr(&sheet, "name").unwrap_or_default();
        let id = attr(&sheet, "r:id").ok_or_else(|| format!("sheet `{name}` has no r:id"))?;
        let target = targets
            .get(&id)
            .ok_or_else(|| format!("sheet `{name}`: no relationship {id}"))?;
        let path = match target.strip_prefix('/') {
            Some(abs) => abs.to_string(),
            None => format!("xl/{target}"),
        };
        let xml = zip.text(&path)?;
        out.push(Worksheet {
            name,
            rows: sheet_rows(&xml, &shared)?,
        });
    }
    Ok(out)
}

/// One part of a workbook (or any zip archive) as UTF-8 text, by its name (`xl/styles.xml`).
pub fn read_part(bytes: &[u8], name: &str) -> Result<String, String> {
    Zip::parse(bytes)?.text(name)
}

/// The central directory of a zip archive held in memory.
struct Zip<'a> {
    bytes: &'a [u8],
    /// name → (method, compressed size, uncompressed size, local header offset)
    entries: BTreeMap<String, (u16, usize, usize, usize)>,
}

fn u16_at(b: &[u8], i: usize) -> Result<u16, String> {
    b.get(i..i + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| "truncated zip archive".to_string())
}

fn u32_at(b: &[u8], i: usize) -> Result<usize, String> {
    b.get(i..i + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize)
        .ok_or_else(|| "truncated zip archive".to_string())
}

impl<'a> Zip<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Zip<'a>, String> {
        const EOCD: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
        let from = bytes.len().saturating_sub(22 + 65_535);
        let eocd = (from..bytes.len().saturating_sub(21))
            .rev()
            .find(|&i| bytes.get(i..i + 4) == Some(&EOCD[..]))
            .ok_or("not an xlsx workbook (no zip directory)")?;
        let count = u16_at(bytes, eocd + 10)? as usize;
        let mut at = u32_at(bytes, eocd + 16)?;
        let mut entries = BTreeMap::new();
        for _ in 0..count {
            if u32_at(bytes, at)? != 0x0201_4b50 {
                return Err("corrupt zip directory".into());
            }
            let method = u16_at(bytes, at + 10)?;
            let compressed = u32_at(bytes, at + 20)?;
            let size = u32_at(bytes, at + 24)?;
            let name_len = u16_at(bytes, at + 28)? as usize;
            let extra = u16_at(bytes, at + 30)? as usize;
            let comment = u16_at(bytes, at + 32)? as usize;
            let offset = u32_at(bytes, at + 42)?;
            let name = bytes
                .get(at + 46..at + 46 + name_len)
                .ok_or("truncated zip directory")?;
            entries.insert(
                String::from_utf8_lossy(name).into_owned(),
                (method, compressed, size, offset),
            );
            at = at
                .checked_add(46 + name_len + extra + comment)
                .ok_or("corrupt zip directory")?;
        }
        Ok(Zip { bytes, entries })
    }

    /// A member as UTF-8 text.
    fn text(&self, name: &str) -> Result<String, String> {
        let &(method, compressed, size, offset) = self
            .entries
            .get(name)
            .ok_or_else(|| format!("the workbook has no part {name}"))?;
        let b = self.bytes;
        if u32_at(b, offset)? != 0x0403_4b50 {
            return Err(format!("{name}: corrupt zip entry"));
        }
        if size > MAX_PART {
            return Err(format!(
                "{name}: declares {size} bytes, more than the {MAX_PART} a workbook part may hold"
            ));
        }
        let start = offset
            .checked_add(30 + u16_at(b, offset + 26)? as usize + u16_at(b, offset + 28)? as usize)
            .ok_or_else(|| format!("{name}: corrupt zip entry"))?;
        let data = start
            .checked_add(compressed)
            .and_then(|end| b.get(start..end))
            .ok_or_else(|| format!("{name}: truncated zip entry"))?;
        let raw = match method {
            0 if data.len() == size => data.to_vec(),
            0 => {
                return Err(format!(
                    "{name}: stored entry of {} bytes declares {size}",
                    data.len()
                ))
            }
            8 => {
                // Never more than declared (which is at most MAX_PART): a part that inflates
                // further is corrupt or hostile, and is not read to its end.
                let mut out = Vec::with_capacity(size.min(data.len().saturating_mul(16)));
                flate2::read::DeflateDecoder::new(data)
                    .take(size as u64 + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| format!("{name}: {e}"))?;
                if out.len() > size {
                    return Err(format!(
                        "{name}: inflates to more than the {size} bytes its header declares"
                    ));
                }
                out
            }
            m => return Err(format!("{name}: unsupported zip compression method {m}")),
        };
        String::from_utf8(raw).map_err(|_| format!("{name} is not UTF-8 XML"))
    }
}

/// One XML tag: its name, its attribute text, whether it closes (`</x>`) or is empty (`<x/>`), and
/// the byte range after it.
struct Tag<'a> {
    name: &'a str,
    attrs: &'a str,
    closing: bool,
    empty: bool,
    end: usize,
}

/// The next tag at or after `from` (declarations and comments skipped).
fn next_tag(xml: &str, mut from: usize) -> Option<(usize, Tag<'_>)> {
    loop {
        let start = from + xml[from..].find('<')?;
        let end = start + xml[start..].find('>')?;
        let inner = &xml[start + 1..end];
        if inner.starts_with('?') || inner.starts_with('!') {
            from = end + 1;
            continue;
        }
        let closing = inner.starts_with('/');
        let inner = inner.trim_start_matches('/');
        let empty = inner.ends_with('/');
        let inner = inner.trim_end_matches('/');
        let split = inner.find(char::is_whitespace).unwrap_or(inner.len());
        return Some((
            start,
            Tag {
                name: &inner[..split],
                attrs: &inner[split..],
                closing,
                empty,
                end: end + 1,
            },
        ));
    }
}

/// Local name (without a namespace prefix).
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// The attribute texts of every `<name …>` tag.
fn tags(xml: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((_, t)) = next_tag(xml, at) {
        if !t.closing && local(t.name) == name {
            out.push(t.attrs.to_string());
        }
        at = t.end;
    }
    out
}

/// An attribute's unescaped value.
fn attr(attrs: &str, key: &str) -> Option<String> {
    let mut rest = attrs;
    while let Some(eq) = rest.find('=') {
        let k = rest[..eq].trim();
        let after = rest[eq + 1..].trim_start();
        // XML quotes attributes with `"` or `'`; anything else (a typographic quote, say) ends
        // the attributes rather than being sliced through.
        let quote = after.chars().next().filter(|q| *q == '"' || *q == '\'')?;
        let close = after[1..].find(quote)? + 1;
        if k == key {
            return Some(unescape(&after[1..close]));
        }
        rest = &after[close + 1..];
    }
    None
}

/// XML entities and character references to text.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(semi) = after.find(';') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let entity = &after[..semi];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&rest[i..=i + semi + 1]),
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    out
}

/// The text inside `<t>` elements between `from` and the closing tag named `until`, concatenated
/// (rich-text runs are several `<t>`), and the position after that closing tag.
fn texts_until(xml: &str, mut at: usize, until: &str) -> (String, usize) {
    let mut text = String::new();
    while let Some((_, t)) = next_tag(xml, at) {
        at = t.end;
        match (local(t.name), t.closing) {
            (n, true) if n == until => break,
            // Phonetic guides repeat the text's reading; they are not part of it.
            ("rPh", false) if !t.empty => {
                at = xml[at..].find("</rPh>").map_or(xml.len(), |i| at + i + 6);
            }
            ("t" | "v", false) if !t.empty => {
                let close = xml[at..].find('<').map_or(xml.len(), |i| at + i);
                text.push_str(&unescape(&xml[at..close]));
                at = close;
            }
            _ => {}
        }
    }
    (text, at)
}

fn shared_strings(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((_, t)) = next_tag(xml, at) {
        at = t.end;
        if local(t.name) == "si" && !t.closing {
            if t.empty {
                out.push(String::new());
                continue;
            }
            let (text, next) = texts_until(xml, at, "si");
            out.push(text);
            at = next;
        }
    }
    out
}

/// Column index of a cell reference (`C7` → 2); `None` without letters, an error beyond
/// Excel's last column (XFD).
fn column_of(reference: &str) -> Result<Option<usize>, String> {
    let letters: Vec<u8> = reference
        .bytes()
        .take_while(u8::is_ascii_alphabetic)
        .collect();
    if letters.is_empty() {
        return Ok(None);
    }
    let beyond = || format!("cell reference `{reference}` is beyond Excel's last column XFD");
    if letters.len() > 3 {
        return Err(beyond());
    }
    let n = letters.iter().fold(0usize, |n, b| {
        n * 26 + (b.to_ascii_uppercase() - b'A' + 1) as usize
    });
    if n > MAX_COLUMNS {
        return Err(beyond());
    }
    Ok(Some(n - 1))
}

fn sheet_rows(xml: &str, shared: &[String]) -> Result<Vec<(u64, Vec<String>)>, String> {
    let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
    let mut at = 0;
    while let Some((_, t)) = next_tag(xml, at) {
        at = t.end;
        match local(t.name) {
            "row" if !t.closing => {
                let n = attr(t.attrs, "r")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or_else(|| rows.last().map_or(1, |r| r.0 + 1));
                rows.push((n, Vec::new()));
            }
            "c" if !t.closing => {
                let kind = attr(t.attrs, "t").unwrap_or_default();
                let row = rows.last_mut().ok_or("a cell outside any row")?;
                let col = match attr(t.attrs, "r") {
                    Some(r) => column_of(&r).map_err(|e| format!("row {}: {e}", row.0))?,
                    None => None,
                }
                .unwrap_or(row.1.len());
                if col >= MAX_COLUMNS {
                    return Err(format!("row {}: more than {MAX_COLUMNS} cells", row.0));
                }
                let raw = if t.empty {
                    String::new()
                } else {
                    let (text, next) = texts_until(xml, at, "c");
                    at = next;
                    text
                };
                let value = match kind.as_str() {
                    "s" => {
                        let i: usize = raw
                            .trim()
                            .parse()
                            .map_err(|_| format!("row {}: bad shared-string index", row.0))?;
                        shared
                            .get(i)
                            .cloned()
                            .ok_or_else(|| format!("row {}: shared string {i} missing", row.0))?
                    }
                    "" | "n" => whole_number(raw.trim()),
                    _ => raw,
                };
                if row.1.len() <= col {
                    row.1.resize(col + 1, String::new());
                }
                row.1[col] = value.trim().to_string();
            }
            _ => {}
        }
    }
    Ok(rows)
}

/// `1.0` → `1`, `14.000` → `14`; other numbers unchanged.
fn whole_number(s: &str) -> String {
    match s.split_once('.') {
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => int.into(),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_entities_and_character_references() {
        assert_eq!(
            unescape("a &amp; b &lt;c&gt; &#20013;&#x6587;"),
            "a & b <c> 中文"
        );
        assert_eq!(unescape("no entities"), "no entities");
    }

    #[test]
    fn reads_cells_by_reference() {
        let xml = r#"<?xml version="1.0"?><worksheet><sheetData>
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="inlineStr"><is><t>x&amp;y</t></is></c></row>
            <row r="3"><c r="B3"><v>14.0</v></c><c r="C3" t="s"><v>1</v></c></row>
            </sheetData></worksheet>"#;
        let shared = vec!["代码".to_string(), "儿童".to_string()];
        let rows = sheet_rows(xml, &shared).unwrap();
        assert_eq!(
            rows,
            vec![
                (1, vec!["代码".into(), String::new(), "x&y".into()]),
                (3, vec![String::new(), "14".into(), "儿童".into()]),
            ]
        );
        assert_eq!(column_of("AB12"), Ok(Some(27)));
        assert_eq!(column_of("XFD1"), Ok(Some(16_383)));
        assert!(column_of("XFE1").is_err());
    }

    #[test]
    fn rich_text_runs_are_joined() {
        let xml = "<sst><si><r><t>限</t></r><r><rPr/><t xml:space=\"preserve\">女性</t></r></si><si/><si><t>男</t></si></sst>";
        assert_eq!(shared_strings(xml), vec!["限女性", "", "男"]);
    }

    #[test]
    fn not_a_workbook_is_an_error() {
        assert!(read_workbook(b"plain text").is_err());
    }
}
