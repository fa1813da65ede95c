//! National-platform extracts: a dump directory holding `MDTRT_D`, `SETL_D`, `FEE_LIST_D` (and
//! `PSN_INFO_B`, `FIXMEDINS_B`) as exported — `|`-delimited, fields optionally enclosed in
//! `@|` … `|@`, CRLF or LF, a header row, trailing empty columns, UTF-8 or GBK — translated to the
//! contract's tables here, before the same validation every dump gets.
//!
//! Visits are `MDTRT_D` rows with their `SETL_D` settlements joined on `mdtrt_id`: several
//! settlements of a visit (a refund among them) are netted, and the visit is a refund when a refund
//! leaves nothing paid. `visit_type` comes from `med_type`. Rows with `vali_flag` = 0 are skipped
//! and counted. Settlements of no visit become visit rows of their own, which validation rejects
//! naming their `SETL_D` line, so nothing is lost silently.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fundguard_model::national::{self, Field, EXTRACTS};
use fundguard_model::{parse_decimal, Scaled, StrColumn, Table};
use sha2::{Digest, Sha256};

use crate::error::IngestError;
use crate::read::{hex, undecodable, FileReport, Format, RawTable, TextPart};

/// The extract files in `dir`, by table name (file stem in any case; `.csv`, `.txt` or `.dat`).
pub(crate) fn find(dir: &Path) -> Result<BTreeMap<&'static str, PathBuf>, IngestError> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir).map_err(|e| IngestError::io(dir, e))? {
        let path = e.map_err(|e| IngestError::io(dir, e))?.path();
        let (Some(stem), Some(ext)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        if !["csv", "txt", "dat"]
            .iter()
            .any(|x| ext.eq_ignore_ascii_case(x))
            || !path.is_file()
        {
            continue;
        }
        let name = EXTRACTS
            .iter()
            .map(|(n, _, _)| *n)
            .chain(national::UNUSED_EXTRACTS.iter().map(|(n, _, _)| *n))
            .find(|n| stem.eq_ignore_ascii_case(n));
        if let Some(name) = name {
            if let Some(other) = out.insert(name, path.clone()) {
                return Err(IngestError::Unreadable {
                    file: path,
                    message: format!("two files for extract table {name}: {}", other.display()),
                });
            }
        }
    }
    Ok(out)
}

/// One extract file, split into fields.
struct Extract {
    path: PathBuf,
    report: FileReport,
    /// Lower-cased field names.
    header: Vec<String>,
    /// Every row's fields, one after another (no allocation per field); row `r` holds
    /// `fields[starts[r]..starts[r + 1]]`, none for a broken row.
    fields: StrColumn,
    starts: Vec<usize>,
    lines: Vec<u64>,
    /// Rows unusable as a whole, by row index.
    broken: Vec<(usize, String)>,
}

impl Extract {
    /// Position of the first of `names` in the header.
    fn position(&self, names: &[&str]) -> Option<usize> {
        names
            .iter()
            .find_map(|n| self.header.iter().position(|h| h == n))
    }

    fn rows(&self) -> usize {
        self.starts.len() - 1
    }

    /// A row that could not be split (no fields).
    fn is_broken(&self, row: usize) -> bool {
        self.starts[row] == self.starts[row + 1]
    }

    fn get(&self, row: usize, pos: Option<usize>) -> &str {
        match pos {
            Some(p) if self.starts[row] + p < self.starts[row + 1] => {
                self.fields.get(self.starts[row] + p).trim()
            }
            _ => "",
        }
    }
}

/// Splits one line into fields. `Err((column, reason))` for a broken enclosure.
pub(crate) fn split_line(line: &str) -> Result<Vec<&str>, (usize, String)> {
    let mut fields = Vec::new();
    split_into(line, &mut fields)?;
    Ok(fields)
}

/// Splits one line into `fields` (cleared first), searching bytes: `|` and `@` are ASCII, so
/// every position found is a character boundary.
fn split_into<'a>(line: &'a str, fields: &mut Vec<&'a str>) -> Result<(), (usize, String)> {
    fields.clear();
    let bytes = line.as_bytes();
    let mut at = 0;
    loop {
        if bytes[at..].starts_with(b"@|") {
            // An enclosed field ends at `|@` followed by the delimiter or the end of the line.
            let body = at + 2;
            let mut from = body;
            let end = loop {
                match bytes[from..].iter().position(|&b| b == b'|') {
                    Some(i) if bytes.get(from + i + 1) == Some(&b'@') => {
                        let j = from + i;
                        match bytes.get(j + 2) {
                            None | Some(b'|') => break j,
                            _ => from = j + 1,
                        }
                    }
                    Some(i) => from += i + 1,
                    None => {
                        return Err((
                            fields.len() + 1,
                            "an `@|` enclosure is not closed by `|@`".into(),
                        ))
                    }
                }
            };
            fields.push(&line[body..end]);
            let after = end + 2;
            if after >= bytes.len() {
                break;
            }
            // bytes[after] is the delimiter.
            at = after + 1;
            if at == bytes.len() {
                fields.push("");
                break;
            }
        } else {
            match bytes[at..].iter().position(|&b| b == b'|') {
                Some(i) => {
                    fields.push(&line[at..at + i]);
                    at += i + 1;
                    if at == bytes.len() {
                        fields.push("");
                        break;
                    }
                }
                None => {
                    fields.push(&line[at..]);
                    break;
                }
            }
        }
    }
    Ok(())
}

/// The header of an extract (lower-cased, trailing empty names dropped), checked for the
/// required fields.
fn header_of(path: &Path, head: &str, required: &[Field]) -> Result<Vec<String>, IngestError> {
    let mut header: Vec<String> = split_line(head)
        .map_err(|(c, why)| IngestError::Unreadable {
            file: path.to_path_buf(),
            message: format!("header, field {c}: {why}"),
        })?
        .into_iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    while header.last().is_some_and(String::is_empty) {
        header.pop();
    }
    let missing: Vec<String> = required
        .iter()
        .filter(|f| !f.names.iter().any(|n| header.iter().any(|h| h == n)))
        .map(|f| f.names.join("/"))
        .collect();
    if !missing.is_empty() {
        return Err(IngestError::Unreadable {
            file: path.to_path_buf(),
            message: format!(
                "line 1: the header lacks required field(s) {} (is it `|`-delimited? header: {})",
                missing.join(", "),
                header.join("|")
            ),
        });
    }
    Ok(header)
}

/// The data rows of some lines of an extract, split into fields.
#[derive(Default)]
struct Rows {
    fields: StrColumn,
    starts: Vec<usize>,
    lines: Vec<u64>,
    broken: Vec<(usize, String)>,
    /// Rows left out for `vali_flag` = 0.
    skipped: usize,
}

impl Rows {
    fn new() -> Self {
        Rows {
            starts: vec![0],
            ..Default::default()
        }
    }
}

/// What one line of an extract is.
enum Line<'a, 'f> {
    /// A data row: its fields, exactly the header's width.
    Row(&'f [&'a str]),
    /// A row unusable as a whole, with the reason.
    Broken(String),
    /// `vali_flag` = 0: left out and counted.
    Invalid,
}

/// Calls `f` with the physical line number and [`Line`] of each non-blank line of `text` (its
/// first line being physical line `first_line`): a row of another width than the header, a
/// broken enclosure or undecodable bytes is broken, a row with `vali_flag` (at `vali`) = 0
/// invalid.
fn for_each_line<'a>(
    text: &'a str,
    first_line: u64,
    header: &[String],
    vali: Option<usize>,
    (encoding, replaced): (&str, bool),
    mut f: impl FnMut(u64, Line<'a, '_>),
) {
    let width = header.len();
    let mut fields: Vec<&'a str> = Vec::with_capacity(width + 2);
    for (i, line) in text.split('\n').enumerate() {
        let no = first_line + i as u64;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let outcome = match split_into(line, &mut fields) {
            Err((c, why)) => {
                let name = header
                    .get(c - 1)
                    .map_or(String::new(), |h| format!(" ({h})"));
                Line::Broken(format!("field {c}{name}: {why}"))
            }
            Ok(()) => {
                let extra = fields.iter().skip(width).any(|f| !f.trim().is_empty());
                if fields.len() < width || extra {
                    Line::Broken(format!(
                        "expected {width} `|`-separated fields, found {}",
                        fields.len()
                    ))
                } else if replaced && fields.iter().any(|f| f.contains('\u{FFFD}')) {
                    Line::Broken(undecodable(encoding))
                } else if vali.is_some_and(|v| fields[v].trim() == "0") {
                    Line::Invalid
                } else {
                    Line::Row(&fields[..width])
                }
            }
        };
        f(no, outcome);
    }
}

/// Splits the lines of `text` into `out` ([`for_each_line`]); broken rows have no fields.
fn split_rows(
    text: &str,
    first_line: u64,
    header: &[String],
    vali: Option<usize>,
    decoded: (&str, bool),
    out: &mut Rows,
) {
    for_each_line(
        text,
        first_line,
        header,
        vali,
        decoded,
        |no, line| match line {
            Line::Invalid => out.skipped += 1,
            Line::Row(fields) => {
                for f in fields {
                    out.fields.push(f);
                }
                out.starts.push(out.fields.len());
                out.lines.push(no);
            }
            Line::Broken(why) => {
                out.broken.push((out.starts.len() - 1, why));
                out.starts.push(out.fields.len());
                out.lines.push(no);
            }
        },
    );
}

/// The first non-empty line of `text`: its number (1-based), the line, and the offset of what
/// follows it. `None` when there is none.
fn first_line(text: &str) -> Option<(u64, &str, usize)> {
    let mut at = 0;
    for (i, line) in text.split('\n').enumerate() {
        let next = at + line.len() + 1;
        let l = line.strip_suffix('\r').unwrap_or(line);
        if !l.trim().is_empty() {
            return Some((i as u64 + 1, l, next.min(text.len())));
        }
        at = next;
    }
    None
}

fn empty_file(path: &Path) -> IngestError {
    IngestError::Unreadable {
        file: path.to_path_buf(),
        message: "the file is empty (no header line)".into(),
    }
}

fn parse(path: &Path, required: &[Field]) -> Result<Extract, IngestError> {
    let bytes = std::fs::read(path).map_err(|e| IngestError::io(path, e))?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let fundguard_model::Decoded {
        text,
        encoding,
        replaced,
    } = fundguard_model::decode_bytes(&bytes);
    let (head_no, head, rest) = first_line(&text).ok_or_else(|| empty_file(path))?;
    let header = header_of(path, head, required)?;
    let vali = header.iter().position(|h| h == "vali_flag");
    let mut rows = Rows::new();
    split_rows(
        &text[rest..],
        head_no + 1,
        &header,
        vali,
        (encoding, replaced),
        &mut rows,
    );
    let report = FileReport {
        path: path.to_path_buf(),
        format: Format::Extract,
        encoding: Some(encoding),
        rows: rows.starts.len() - 1,
        sha256,
        ignored_columns: Vec::new(),
        skipped_invalid: rows.skipped,
        superseded: 0,
        null_cells: 0,
        derived: false,
    };
    Ok(Extract {
        path: path.to_path_buf(),
        report,
        header,
        fields: rows.fields,
        starts: rows.starts,
        lines: rows.lines,
        broken: rows.broken,
    })
}

/// Bytes of an extract read per piece when it is streamed (split among the threads).
pub(crate) const STREAM_BYTES: usize = 64 << 20;
/// A line longer than this is not a claims record: the file is refused rather than buffered.
const MAX_LINE: usize = 64 << 20;

/// A big extract (FEE_LIST_D) read piece by piece: blocks of [`STREAM_BYTES`] cut at a line end
/// (a line break never falls inside a GBK or UTF-8 character, nor — in these files — inside an
/// `@|…|@` field, which the splitter takes within one line), each block cut again among the
/// threads, decoded, split and translated to the contract's columns in parallel, and dropped
/// once converted. The file's hash is computed on the way; the encoding is decided by the first
/// block with a byte above ASCII, as [`fundguard_model::decode_bytes`] decides for a whole file.
pub(crate) struct ExtractStream {
    path: PathBuf,
    file: std::fs::File,
    table: Table,
    fields: &'static [Field],
    header: Vec<String>,
    vali: Option<usize>,
    /// `setl_id` -> `mdtrt_id` from SETL_D, for lines keyed by settlement.
    visit_of: Option<rustc_hash::FxHashMap<Box<str>, Box<str>>>,
    setl: Option<usize>,
    hasher: Sha256,
    carry: Vec<u8>,
    /// Physical line number of the first line in `carry`.
    line: u64,
    encoding: Option<&'static str>,
    eof: bool,
    block_bytes: usize,
    pub report: FileReport,
}

/// One thread's share of a block, translated.
struct Translated {
    columns: Vec<(&'static str, StrColumn)>,
    /// The rows' lines, broken rows and invalid count (no fields: they are in `columns`).
    rows: Rows,
    count: usize,
}

impl ExtractStream {
    /// Opens `path` and reads its header (from the first block).
    fn open(
        path: &Path,
        table: Table,
        fields: &'static [Field],
        required: &[Field],
        stem: &str,
        settlements: Option<&Extract>,
        block_bytes: usize,
    ) -> Result<Self, IngestError> {
        let file = std::fs::File::open(path).map_err(|e| IngestError::io(path, e))?;
        let mut s = ExtractStream {
            path: path.to_path_buf(),
            file,
            table,
            fields,
            header: Vec::new(),
            vali: None,
            visit_of: None,
            setl: None,
            hasher: Sha256::new(),
            carry: Vec::new(),
            line: 1,
            encoding: None,
            eof: false,
            block_bytes: block_bytes.max(1),
            report: FileReport {
                path: path.to_path_buf(),
                format: Format::Extract,
                encoding: None,
                rows: 0,
                sha256: String::new(),
                ignored_columns: Vec::new(),
                skipped_invalid: 0,
                superseded: 0,
                null_cells: 0,
                derived: false,
            },
        };
        // The header: the first non-empty line (read until one ends, however long it is).
        loop {
            let block = s.block()?;
            let Some(block) = block else {
                return Err(empty_file(path));
            };
            s.decide(&block);
            s.carry = block;
            let end = match s.carry.iter().position(|&b| b == b'\n') {
                Some(i) => i + 1,
                None if s.eof => s.carry.len(),
                None if s.carry.len() < MAX_LINE => continue,
                None => return Err(s.too_long()),
            };
            let head = s.decode(&s.carry[..end]).0.into_owned();
            let head_trim = head.strip_suffix('\n').unwrap_or(&head);
            let head_trim = head_trim.strip_suffix('\r').unwrap_or(head_trim);
            s.carry.drain(..end);
            if head_trim.trim().is_empty() {
                s.line += 1;
                if s.eof && s.carry.is_empty() {
                    return Err(empty_file(path));
                }
                continue;
            }
            s.header = header_of(path, head_trim, required)?;
            s.line += 1;
            break;
        }
        s.vali = s.header.iter().position(|h| h == "vali_flag");
        if s.header.iter().all(|h| h != "mdtrt_id") {
            let Some(setl) = s.header.iter().position(|h| h == "setl_id") else {
                return Err(IngestError::Unreadable {
                    file: path.to_path_buf(),
                    message: format!("{stem} has neither mdtrt_id nor setl_id"),
                });
            };
            s.setl = Some(setl);
            let mut map = rustc_hash::FxHashMap::default();
            if let Some(st) = settlements {
                let (sid, vid) = (st.position(&["setl_id"]), st.position(&["mdtrt_id"]));
                for r in 0..st.rows() {
                    if !st.is_broken(r) {
                        map.insert(st.get(r, sid).into(), st.get(r, vid).into());
                    }
                }
            }
            s.visit_of = Some(map);
        }
        Ok(s)
    }

    /// The carried bytes and up to a block more, hashed; `None` at the end.
    fn block(&mut self) -> Result<Option<Vec<u8>>, IngestError> {
        use std::io::Read;
        let mut buf = std::mem::take(&mut self.carry);
        let want = buf.len() + self.block_bytes;
        let first = self.report.rows == 0 && self.line == 1 && buf.is_empty();
        while buf.len() < want && !self.eof {
            let at = buf.len();
            buf.resize(want, 0);
            let n = self
                .file
                .read(&mut buf[at..])
                .map_err(|e| IngestError::io(&self.path, e))?;
            buf.truncate(at + n);
            self.hasher.update(&buf[at..]);
            self.eof = n == 0;
        }
        if first && buf.starts_with(b"\xEF\xBB\xBF") {
            buf.drain(..3);
        }
        Ok((!buf.is_empty()).then_some(buf))
    }

    /// Decodes bytes in the file's encoding, deciding it on the first bytes above ASCII.
    fn decode<'b>(&self, bytes: &'b [u8]) -> (std::borrow::Cow<'b, str>, bool) {
        decode_as(self.encoding.unwrap_or("utf-8"), bytes)
    }

    fn decide(&mut self, bytes: &[u8]) {
        if self.encoding.is_none() && !bytes.is_ascii() {
            self.encoding = Some(fundguard_model::decode_bytes(bytes).encoding);
        }
    }

    /// The next piece: the rows of the next block, as the contract's columns.
    pub(crate) fn next_piece(&mut self) -> Result<Option<(RawTable, Vec<u64>)>, IngestError> {
        let block = loop {
            let Some(mut block) = self.block()? else {
                self.finish();
                return Ok(None);
            };
            if self.eof {
                break block;
            }
            // Cut after the last line end; the rest opens the next block.
            match block.iter().rposition(|&b| b == b'\n') {
                Some(i) => {
                    self.carry = block.split_off(i + 1);
                    break block;
                }
                None if block.len() < MAX_LINE => self.carry = block,
                None => return Err(self.too_long()),
            }
        };
        self.decide(&block);
        let encoding = self.encoding.unwrap_or("utf-8");
        // One share per thread, each cut at a line end, with its first line number.
        let threads = rayon::current_num_threads().max(1);
        let mut shares: Vec<(&[u8], u64)> = Vec::with_capacity(threads);
        let (mut rest, mut line) = (&block[..], self.line);
        for k in (1..=threads).rev() {
            let cut = if k == 1 {
                rest.len()
            } else {
                let target = rest.len() / k;
                rest[target..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(rest.len(), |i| target + i + 1)
            };
            let (share, tail) = rest.split_at(cut);
            shares.push((share, line));
            line += share.iter().filter(|&&b| b == b'\n').count() as u64;
            rest = tail;
        }
        self.line = line;
        let this = &*self;
        let parts: Vec<Translated> = {
            use rayon::prelude::*;
            shares
                .par_iter()
                .map(|&(bytes, first)| this.translate(bytes, first, encoding))
                .collect()
        };
        drop(block);
        let mut columns: Vec<(&'static str, StrColumn)> = Vec::new();
        let (mut lines, mut broken, mut rows) = (Vec::new(), Vec::new(), 0usize);
        for part in parts {
            let n = part.count;
            for (name, col) in part.columns {
                match columns.iter_mut().find(|(c, _)| *c == name) {
                    Some((_, all)) => all.append(&col),
                    None => columns.push((name, col)),
                }
            }
            broken.extend(part.rows.broken.into_iter().map(|(r, w)| (r + rows, w)));
            lines.extend(part.rows.lines);
            self.report.skipped_invalid += part.rows.skipped;
            rows += n;
        }
        self.report.rows += rows;
        let mut report = self.report.clone();
        report.encoding = Some(encoding);
        let piece = RawTable::from_text(
            self.table,
            vec![TextPart {
                report,
                columns,
                rows,
                lines: lines.clone(),
                broken,
            }],
        );
        Ok(Some((piece, lines)))
    }

    /// One share: decoded, split, and the mapped fields pushed straight into the contract's
    /// columns (a broken row gets empty cells, as a whole-file read gives it).
    fn translate(&self, bytes: &[u8], first: u64, encoding: &'static str) -> Translated {
        let (text, replaced) = decode_as(encoding, bytes);
        let mapped: Vec<(&'static str, usize)> = self
            .fields
            .iter()
            .filter_map(|f| {
                let pos = f
                    .names
                    .iter()
                    .find_map(|n| self.header.iter().position(|h| h == n))?;
                Some((f.column, pos))
            })
            .collect();
        // About 120 bytes a line; the columns grow when that guess is short.
        let guess = bytes.len() / 120 + 16;
        let mut cols: Vec<StrColumn> = mapped
            .iter()
            .map(|_| StrColumn::with_capacity(guess, guess * 8))
            .collect();
        let mut visit = self
            .setl
            .map(|_| StrColumn::with_capacity(guess, guess * 12));
        let mut rows = Rows::new();
        let mut n = 0usize;
        for_each_line(
            &text,
            first,
            &self.header,
            self.vali,
            (encoding, replaced),
            |no, line| match line {
                Line::Invalid => rows.skipped += 1,
                Line::Row(fields) => {
                    for (col, &(name, pos)) in cols.iter_mut().zip(&mapped) {
                        col.push(&field_value(name, fields[pos].trim()));
                    }
                    if let (Some(v), Some(setl), Some(map)) =
                        (&mut visit, self.setl, &self.visit_of)
                    {
                        let id = fields[setl].trim();
                        v.push(map.get(id).map_or(id, |x| x));
                    }
                    rows.lines.push(no);
                    n += 1;
                }
                Line::Broken(why) => {
                    for col in &mut cols {
                        col.push("");
                    }
                    if let Some(v) = &mut visit {
                        v.push("");
                    }
                    rows.broken.push((n, why));
                    rows.lines.push(no);
                    n += 1;
                }
            },
        );
        let mut columns: Vec<(&'static str, StrColumn)> =
            mapped.iter().map(|m| m.0).zip(cols).collect();
        if let Some(v) = visit {
            columns.push(("visit_id", v));
        }
        Translated {
            columns,
            rows,
            count: n,
        }
    }

    /// A line longer than a block: not a claims extract (and no memory is spent looking for
    /// its end).
    fn too_long(&self) -> IngestError {
        IngestError::Unreadable {
            file: self.path.clone(),
            message: format!(
                "line {}: longer than {} MiB without a line break; is this a `|`-delimited extract?",
                self.line,
                MAX_LINE >> 20
            ),
        }
    }

    fn finish(&mut self) {
        let hasher = std::mem::replace(&mut self.hasher, Sha256::new());
        self.report.sha256 = hex(&hasher.finalize());
        self.report.encoding = Some(self.encoding.unwrap_or("utf-8"));
    }
}

/// Bytes decoded as `encoding` (`utf-8` or `gb18030`); whether anything was replaced.
pub(crate) fn decode_as<'b>(encoding: &str, bytes: &'b [u8]) -> (std::borrow::Cow<'b, str>, bool) {
    if encoding == "gb18030" {
        let (text, replaced) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
        (text, replaced)
    } else {
        match std::str::from_utf8(bytes) {
            Ok(s) => (s.into(), false),
            Err(_) => (String::from_utf8_lossy(bytes), true),
        }
    }
}

/// Copies the mapped fields of `e` into contract columns (codes padded where the contract wants).
fn columns(e: &Extract, fields: &[Field], rows: &[usize]) -> Vec<(&'static str, StrColumn)> {
    fields
        .iter()
        .filter_map(|f| {
            let pos = e.position(f.names)?;
            let mut col = StrColumn::default();
            for &r in rows {
                col.push(&field_value(f.column, e.get(r, Some(pos))));
            }
            Some((f.column, col))
        })
        .collect()
}

/// A field's value as its contract column holds it: codes zero-padded to their width.
fn field_value<'a>(column: &str, v: &'a str) -> std::borrow::Cow<'a, str> {
    match column {
        "charge_category" | "level" => national::pad_code(v, 2).into(),
        _ => v.into(),
    }
}

/// `provider_type` from `fixmedins_type` (2 = retail pharmacy) and `medins_type` (D… = primary
/// care, a clinic; else a hospital); `None` when neither is given.
fn declared_type(fixmedins_type: &str, medins_type: &str) -> Option<&'static str> {
    match (fixmedins_type, medins_type) {
        ("2", _) => Some("pharmacy"),
        ("", "") => None,
        (_, m) if m.starts_with('D') => Some("clinic"),
        _ => Some("hospital"),
    }
}

fn required(fields: &[Field], names: &[&str]) -> Vec<Field> {
    fields
        .iter()
        .filter(|f| names.contains(&f.column))
        .copied()
        .collect()
}

/// The contract tables the extracts in `files` provide, indexed by [`Table`].
/// The line items (FEE_LIST_D), streamed ([`ExtractStream`]), are the second value.
/// What the extracts in `files` give: the contract's tables (the line items as a stream) and the
/// account of the extracts no table is made of.
pub(crate) struct Read {
    pub tables: Vec<Option<RawTable>>,
    pub lines: Option<ExtractStream>,
    pub unused: Vec<crate::UnusedExtract>,
}

pub(crate) fn read(
    files: &BTreeMap<&'static str, PathBuf>,
    stream_bytes: usize,
) -> Result<Read, IngestError> {
    let mut out: Vec<Option<RawTable>> = Table::ALL.iter().map(|_| None).collect();
    // MDTRT_D and its settlements, read side by side.
    let (m, settlements) = match files.get("MDTRT_D") {
        Some(p) => {
            let (m, s) = rayon::join(
                || {
                    parse(
                        p,
                        &required(
                            national::MDTRT_D,
                            &[
                                "visit_id",
                                "patient_id",
                                "provider_id",
                                "med_type",
                                "admit_time",
                            ],
                        ),
                    )
                },
                || {
                    files.get("SETL_D").map(|s| {
                        parse(
                            s,
                            &required(national::SETL_D, &["visit_id", "total_amount"]),
                        )
                    })
                },
            );
            let m = m?;
            let s = match s {
                Some(s) => s?,
                None => {
                    return Err(IngestError::MissingTable {
                        table: "SETL_D (settlements of MDTRT_D)",
                        dir: p.parent().unwrap_or(Path::new(".")).to_path_buf(),
                    })
                }
            };
            (Some(m), Some(s))
        }
        None => (None, None),
    };
    // The visits (the join with settlements) on one thread, the other extracts on another.
    let (from_visits, rest) = rayon::join(
        || {
            m.as_ref().zip(settlements.as_ref()).map(|(m, s)| {
                (
                    visits(m, s),
                    (!files.contains_key("PSN_INFO_B"))
                        .then(|| patients_from_visits(m))
                        .flatten(),
                    (!files.contains_key("FIXMEDINS_B"))
                        .then(|| providers_from_visits(m))
                        .flatten(),
                )
            })
        },
        || others(files, settlements.as_ref(), stream_bytes),
    );
    let unused = unused(files, m.as_ref(), settlements.as_ref())?;
    drop(m);
    if let Some((visits, patients, providers)) = from_visits {
        out[Table::Visits as usize] = Some(visits);
        out[Table::Patients as usize] = patients;
        out[Table::Providers as usize] = providers;
    }
    let (lines, tables) = rest?;
    for (t, raw) in tables {
        out[t as usize] = Some(raw);
    }
    Ok(Read {
        tables: out,
        lines,
        unused,
    })
}

/// The account of the extracts that feed no contract table ([`national::UNUSED_EXTRACTS`]):
/// their rows read, unreadable, and linked to a visit of `MDTRT_D` (directly or through the
/// settlement in `SETL_D`).
fn unused(
    files: &BTreeMap<&'static str, PathBuf>,
    visits: Option<&Extract>,
    settlements: Option<&Extract>,
) -> Result<Vec<crate::UnusedExtract>, IngestError> {
    let mut out = Vec::new();
    for (stem, fields, why) in national::UNUSED_EXTRACTS {
        let Some(p) = files.get(stem) else { continue };
        let e = parse(p, &required(fields, &[]))?;
        // Without a visit or settlement key nothing links (the rows are still counted).
        let keyed = e.position(&["mdtrt_id", "setl_id"]).is_some();
        let derived = if keyed {
            visit_by_settlement(&e, p, stem, settlements)?
        } else {
            Vec::new()
        };
        let ids: rustc_hash::FxHashSet<&str> = match visits {
            Some(m) => {
                let id = m.position(&["mdtrt_id"]);
                (0..m.rows())
                    .filter(|&r| !m.is_broken(r))
                    .map(|r| m.get(r, id))
                    .collect()
            }
            None => Default::default(),
        };
        let own = e.position(&["mdtrt_id"]);
        let mut linked = 0;
        for r in (0..e.rows()).filter(|&r| !e.is_broken(r)) {
            let visit = match (derived.first(), own) {
                (Some((_, col)), _) => col.get(r),
                (None, Some(_)) => e.get(r, own),
                (None, None) => continue,
            };
            linked += usize::from(ids.contains(visit.trim()));
        }
        out.push(crate::UnusedExtract {
            extract: stem,
            file: p.clone(),
            encoding: e.report.encoding,
            sha256: e.report.sha256.clone(),
            rows: e.rows(),
            unreadable: e.broken.len(),
            linked,
            why,
        });
    }
    Ok(out)
}

/// The extracts besides MDTRT_D and SETL_D: the line items' stream and the tables read whole.
#[allow(clippy::type_complexity)]
fn others(
    files: &BTreeMap<&'static str, PathBuf>,
    settlements: Option<&Extract>,
    stream_bytes: usize,
) -> Result<(Option<ExtractStream>, Vec<(Table, RawTable)>), IngestError> {
    let mut out: Vec<(Table, RawTable)> = Vec::new();
    // The line items, by far the largest extract, are streamed. Some platforms key the fee
    // lines by settlement (`setl_id`, beside a `smdtrt_id`) and leave `mdtrt_id` out: they are
    // linked to their visits through SETL_D.
    let lines = match files.get("FEE_LIST_D") {
        Some(p) => Some(ExtractStream::open(
            p,
            Table::LineItems,
            national::FEE_LIST_D,
            &required(
                national::FEE_LIST_D,
                &[
                    "line_id",
                    "item_code",
                    "charge_category",
                    "charge_time",
                    "quantity",
                    "unit_price",
                    "amount",
                ],
            ),
            "FEE_LIST_D",
            settlements,
            stream_bytes,
        )?),
        None => None,
    };
    if let Some(p) = files.get("PSN_INFO_B") {
        let e = parse(p, &required(national::PSN_INFO_B, &["patient_id"]))?;
        out.push((
            Table::Patients,
            whole(&e, Table::Patients, national::PSN_INFO_B, Vec::new()),
        ));
    }
    if let Some(p) = files.get("FIXMEDINS_B") {
        let e = parse(p, &required(national::FIXMEDINS_B, &["provider_id"]))?;
        // provider_type from fixmedins_type (2 = retail pharmacy) and medins_type (D… = primary care).
        let (ft, mt) = (
            e.position(&["fixmedins_type"]),
            e.position(&["medins_type"]),
        );
        let mut kind = StrColumn::default();
        for r in 0..e.rows() {
            kind.push(declared_type(e.get(r, ft), e.get(r, mt)).unwrap_or(""));
        }
        out.push((
            Table::Providers,
            whole(
                &e,
                Table::Providers,
                national::FIXMEDINS_B,
                vec![("provider_type", kind)],
            ),
        ));
    }
    if let Some(p) = files.get("DRUG_TRAC_D") {
        let e = parse(
            p,
            &required(
                national::DRUG_TRAC_D,
                &[
                    "trace_code",
                    "item_code",
                    "provider_id",
                    "scan_time",
                    "quantity",
                ],
            ),
        )?;
        let derived = visit_by_settlement(&e, p, "DRUG_TRAC_D", settlements)?;
        out.push((
            Table::DrugTraces,
            whole(&e, Table::DrugTraces, national::DRUG_TRAC_D, derived),
        ));
    }
    if let Some(p) = files.get("SETL_LIST_DIAG_D") {
        let e = parse(p, &required(national::SETL_LIST_DIAG_D, &["diag_code"]))?;
        let derived = visit_by_settlement(&e, p, "SETL_LIST_DIAG_D", settlements)?;
        out.push((
            Table::SettlementDiagnoses,
            whole(
                &e,
                Table::SettlementDiagnoses,
                national::SETL_LIST_DIAG_D,
                derived,
            ),
        ));
    }
    if let Some(p) = files.get("DRUG_STOCK_D") {
        let e = parse(
            p,
            &required(
                national::DRUG_STOCK_D,
                &["trace_code", "item_code", "provider_id"],
            ),
        )?;
        out.push((
            Table::DrugStock,
            whole(&e, Table::DrugStock, national::DRUG_STOCK_D, Vec::new()),
        ));
    }
    Ok((lines, out))
}

/// For an extract keyed by settlement (`setl_id`, no `mdtrt_id`): its `visit_id` column, each
/// row's visit being its settlement's in SETL_D. A settlement of no known visit keeps its id, which
/// validation rejects as naming no visit. Nothing for an extract that has `mdtrt_id`.
fn visit_by_settlement(
    e: &Extract,
    file: &Path,
    stem: &str,
    settlements: Option<&Extract>,
) -> Result<Vec<(&'static str, StrColumn)>, IngestError> {
    if e.position(&["mdtrt_id"]).is_some() {
        return Ok(Vec::new());
    }
    let Some(setl) = e.position(&["setl_id"]) else {
        return Err(IngestError::Unreadable {
            file: file.to_path_buf(),
            message: format!("{stem} has neither mdtrt_id nor setl_id"),
        });
    };
    let mut visit_of: rustc_hash::FxHashMap<&str, &str> = Default::default();
    if let Some(s) = settlements {
        let (sid, vid) = (s.position(&["setl_id"]), s.position(&["mdtrt_id"]));
        for r in 0..s.rows() {
            if !s.is_broken(r) {
                visit_of.insert(s.get(r, sid), s.get(r, vid));
            }
        }
    }
    let mut col = StrColumn::default();
    for r in 0..e.rows() {
        let id = e.get(r, Some(setl));
        col.push(visit_of.get(id).copied().unwrap_or(id));
    }
    Ok(vec![("visit_id", col)])
}

/// The rows `rows` of an extract as one part of a table, with `broken` (indexed by position in
/// `rows`).
fn part(
    e: &Extract,
    columns: Vec<(&'static str, StrColumn)>,
    rows: &[usize],
    broken: Vec<(usize, String)>,
) -> TextPart {
    TextPart {
        report: e.report.clone(),
        columns,
        rows: rows.len(),
        lines: rows.iter().map(|&r| e.lines[r]).collect(),
        broken,
    }
}

/// One row per distinct value of the field at `key` (in order of first appearance) and, per
/// `fields` position, the first non-empty value among that key's rows: a reference table made
/// from the rows that carry its fields.
fn first_values<'e>(
    m: &'e Extract,
    key: usize,
    fields: &[usize],
) -> (Vec<usize>, Vec<Vec<&'e str>>) {
    let mut index: rustc_hash::FxHashMap<&str, usize> = Default::default();
    let (mut rows, mut values): (Vec<usize>, Vec<Vec<&str>>) = (Vec::new(), Vec::new());
    for r in 0..m.rows() {
        if m.is_broken(r) {
            continue;
        }
        let k = *index.entry(m.get(r, Some(key))).or_insert_with(|| {
            rows.push(r);
            values.push(vec![""; fields.len()]);
            rows.len() - 1
        });
        for (slot, &p) in values[k].iter_mut().zip(fields) {
            if slot.is_empty() {
                *slot = m.get(r, Some(p));
            }
        }
    }
    (rows, values)
}

/// The rows of a reference table (`fields`, whose first field is its key) that MDTRT_D carries:
/// the key's position, the other fields MDTRT_D has (column, position), and [`first_values`] of
/// them. `None` when MDTRT_D lacks the key or every other field.
#[allow(clippy::type_complexity)]
fn reference_rows<'e>(
    m: &'e Extract,
    fields: &[Field],
) -> Option<(
    usize,
    Vec<(&'static str, usize)>,
    Vec<usize>,
    Vec<Vec<&'e str>>,
)> {
    let (key, rest) = fields.split_first()?;
    let id = m.position(key.names)?;
    let found: Vec<(&'static str, usize)> = rest
        .iter()
        .filter_map(|f| m.position(f.names).map(|p| (f.column, p)))
        .collect();
    if found.is_empty() {
        return None;
    }
    let pos: Vec<usize> = found.iter().map(|f| f.1).collect();
    let (rows, values) = first_values(m, id, &pos);
    Some((id, found, rows, values))
}

/// A table made from MDTRT_D: its key column and the given columns, marked derived.
fn derived_table(
    m: &Extract,
    table: Table,
    key: (&'static str, usize),
    rows: &[usize],
    columns: Vec<(&'static str, StrColumn)>,
) -> RawTable {
    let mut id = StrColumn::default();
    for &r in rows {
        id.push(m.get(r, Some(key.1)));
    }
    let mut cols = vec![(key.0, id)];
    cols.extend(columns);
    let mut p = part(m, cols, rows, Vec::new());
    p.report.derived = true;
    p.report.skipped_invalid = 0;
    RawTable::from_text(table, vec![p])
}

/// Patients made from MDTRT_D when PSN_INFO_B is not exported but the visits carry the person's
/// fields (`gend`, `brdy`, `die_date`, `insu_admdvs` …): one row per person (`psn_no`, in order of
/// first visit), each field the first non-empty value among his visits. `None` when the visits
/// carry none of them. The account lists MDTRT_D under patients, marked `derived`.
fn patients_from_visits(m: &Extract) -> Option<RawTable> {
    let ages = m
        .position(&["age"])
        .filter(|_| m.position(&["brdy"]).is_none());
    let (id, fields, rows, values) = match reference_rows(m, national::PSN_INFO_B) {
        Some(r) => r,
        // Only an age: the people's rows, with no other field.
        None if ages.is_some() => {
            let id = m.position(&["psn_no"])?;
            let (rows, values) = first_values(m, id, &[]);
            (id, Vec::new(), rows, values)
        }
        None => return None,
    };
    let mut columns: Vec<(&'static str, StrColumn)> = fields
        .iter()
        .enumerate()
        .map(|(k, &(column, _))| {
            let mut c = StrColumn::default();
            for v in &values {
                c.push(v[k]);
            }
            (column, c)
        })
        .collect();
    if let Some(age) = ages {
        columns.push(("birth_date", births_from_ages(m, id, age, &rows)));
    }
    Some(derived_table(
        m,
        Table::Patients,
        ("patient_id", id),
        &rows,
        columns,
    ))
}

/// A birth date for each person (`rows`: the first row of each `psn_no`) from MDTRT_D's `age`
/// (whole years) when it has no `brdy`: the date of the person's first visit with an age, that
/// many years earlier (29 February → 28 February), so the age at that visit is exactly the one
/// given and stays right through the year after it. Empty (unknown) when no visit of the person
/// gives a whole number of years and a visit date.
fn births_from_ages(m: &Extract, id: usize, age: usize, rows: &[usize]) -> StrColumn {
    let begin = m.position(&["begntime"]);
    let person: rustc_hash::FxHashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(k, &r)| (m.get(r, Some(id)), k))
        .collect();
    let mut birth: Vec<Option<String>> = vec![None; rows.len()];
    for r in 0..m.rows() {
        if m.is_broken(r) {
            continue;
        }
        let Some(&k) = person.get(m.get(r, Some(id))) else {
            continue;
        };
        if birth[k].is_some() {
            continue;
        }
        let years = m
            .get(r, Some(age))
            .trim_end_matches(".0")
            .parse::<i32>()
            .ok();
        let day = fundguard_model::parse_date(m.get(r, begin));
        if let (Some(years), Some(day)) = (years.filter(|y| (0..=150).contains(y)), day) {
            let (y, mo, d) = fundguard_model::civil_from_days(day);
            let d = if (mo, d) == (2, 29) { 28 } else { d };
            birth[k] = Some(format!("{:04}-{mo:02}-{d:02}", y - years));
        }
    }
    let mut out = StrColumn::default();
    for b in &birth {
        out.push(b.as_deref().unwrap_or(""));
    }
    out
}

/// Providers made from MDTRT_D when FIXMEDINS_B is not exported but the visits carry the
/// institution's fields (`fixmedins_name`, `hosp_lv`, `fixmedins_type`, `medins_type`): one row
/// per `fixmedins_code`. Its `provider_type` is read as from FIXMEDINS_B when the type fields are
/// there, else from its visits as derived peer groups do: a pharmacy when at least half are
/// pharmacy purchases (`med_type` 41), a hospital when it has at least 5 stays making at least 1%
/// of its visits, a clinic otherwise. `None` when the visits carry none of the fields.
fn providers_from_visits(m: &Extract) -> Option<RawTable> {
    let (id, fields, rows, values) = reference_rows(m, national::FIXMEDINS_B)?;
    let at = |name: &str| fields.iter().position(|f| f.0 == name);
    let (ft, mt) = (at("fixmedins_type"), at("medins_type"));
    // Visits, stays and purchases per provider, for the type when the table does not say it.
    let med = m.position(&["med_type"]);
    let mut mix: rustc_hash::FxHashMap<&str, (usize, usize, usize)> = Default::default();
    for r in 0..m.rows() {
        if m.is_broken(r) {
            continue;
        }
        let e = mix.entry(m.get(r, Some(id))).or_default();
        e.0 += 1;
        match national::visit_type_of(m.get(r, med)) {
            "inpatient" => e.1 += 1,
            "pharmacy" => e.2 += 1,
            _ => {}
        }
    }
    let mut columns: Vec<(&'static str, StrColumn)> = Vec::new();
    for (k, &(column, _)) in fields.iter().enumerate() {
        if matches!(column, "fixmedins_type" | "medins_type") {
            continue;
        }
        let mut c = StrColumn::default();
        for v in &values {
            c.push(&field_value(column, v[k]));
        }
        columns.push((column, c));
    }
    let mut kind = StrColumn::default();
    for (r, v) in rows.iter().zip(&values) {
        let get = |p: Option<usize>| p.map_or("", |k| v[k]);
        kind.push(declared_type(get(ft), get(mt)).unwrap_or_else(|| {
            let (visits, stays, purchases) = mix[m.get(*r, Some(id))];
            if purchases * 2 >= visits {
                "pharmacy"
            } else if stays >= 5 && stays * 100 >= visits {
                "hospital"
            } else {
                "clinic"
            }
        }));
    }
    columns.push(("provider_type", kind));
    Some(derived_table(
        m,
        Table::Providers,
        ("provider_id", id),
        &rows,
        columns,
    ))
}

/// Every row of an extract as a whole table: its mapped fields plus `derived` columns.
fn whole(
    e: &Extract,
    table: Table,
    fields: &[Field],
    derived: Vec<(&'static str, StrColumn)>,
) -> RawTable {
    let rows: Vec<usize> = (0..e.rows()).collect();
    let mut cols = columns(e, fields, &rows);
    cols.extend(derived);
    RawTable::from_text(table, vec![part(e, cols, &rows, e.broken.clone())])
}

/// Visits: MDTRT_D rows with their settlements netted; then settlements of no visit.
fn visits(m: &Extract, s: &Extract) -> RawTable {
    let s_visit = s.position(&["mdtrt_id"]);
    let pos = |f: &str| {
        national::SETL_D
            .iter()
            .find(|x| x.column == f)
            .and_then(|x| s.position(x.names))
    };
    let (p_time, p_total, p_fund, p_acct, p_cash, p_refund) = (
        pos("settle_time"),
        pos("total_amount"),
        pos("fund_paid"),
        pos("account_paid"),
        pos("cash_paid"),
        pos("is_refund"),
    );
    let broken_s: BTreeMap<usize, &String> = s.broken.iter().map(|(r, w)| (*r, w)).collect();
    let mut by_visit: rustc_hash::FxHashMap<&str, Vec<usize>> = Default::default();
    for r in 0..s.rows() {
        if !broken_s.contains_key(&r) {
            by_visit.entry(s.get(r, s_visit)).or_default().push(r);
        }
    }
    let m_rows: Vec<usize> = (0..m.rows()).collect();
    let mut cols = columns(m, national::MDTRT_D, &m_rows);
    let med = m.position(&["med_type"]);
    let refund_row = |x: usize| matches!(s.get(x, p_refund), "1" | "true");
    let [mut vt, mut time, mut total, mut fund, mut acct, mut cash, mut refund] =
        std::array::from_fn(|_| StrColumn::default());
    let mut broken = m.broken.clone();
    let mut used = vec![false; s.rows()];
    let id_pos = m.position(&["mdtrt_id"]);
    for &r in &m_rows {
        vt.push(if m.is_broken(r) {
            ""
        } else {
            national::visit_type_of(m.get(r, med))
        });
        let settlements = by_visit
            .get(m.get(r, id_pos))
            .map_or(&[][..], Vec::as_slice);
        for &x in settlements {
            used[x] = true;
        }
        let mut sums = [0i64; 4];
        let mut problem = None;
        for (k, p) in [p_total, p_fund, p_acct, p_cash].into_iter().enumerate() {
            for &x in settlements {
                let v = s.get(x, p);
                if v.is_empty() {
                    continue;
                }
                match parse_decimal(v, 2) {
                    Ok(fen) => sums[k] += fen,
                    Err(_) => {
                        problem.get_or_insert(format!(
                            "{} line {}: `{v}` is not an amount",
                            s.path.display(),
                            s.lines[x]
                        ));
                    }
                }
            }
        }
        let net_refund = settlements.iter().any(|&x| refund_row(x)) && sums[0] <= 0;
        // The settlement time: the first payment's (not a refund's), else the first.
        let first = settlements
            .iter()
            .map(|&x| (refund_row(x), s.get(x, p_time)))
            .filter(|(_, t)| !t.is_empty())
            .min();
        time.push(first.map_or("", |t| t.1));
        if settlements.is_empty() && !m.is_broken(r) {
            problem = Some(format!(
                "no settlement in {} for mdtrt_id {}",
                s.path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("SETL_D"),
                m.get(r, id_pos)
            ));
        }
        if let Some(p) = problem {
            broken.push((r, p));
        }
        let any = |p: Option<usize>| settlements.iter().any(|&x| !s.get(x, p).is_empty());
        for (col, k, p) in [
            (&mut total, 0, p_total),
            (&mut fund, 1, p_fund),
            (&mut acct, 2, p_acct),
            (&mut cash, 3, p_cash),
        ] {
            col.push(&if any(p) {
                Scaled(sums[k], 2).to_string()
            } else {
                String::new()
            });
        }
        refund.push(if settlements.is_empty() {
            ""
        } else if net_refund {
            "true"
        } else {
            "false"
        });
    }
    cols.extend([
        ("visit_type", vt),
        ("settle_time", time),
        ("total_amount", total),
        ("fund_paid", fund),
        ("account_paid", acct),
        ("cash_paid", cash),
        ("is_refund", refund),
    ]);
    let visits_part = part(m, cols, &m_rows, broken);
    // Settlements of no visit, and broken settlement rows: rows of their own, rejected by
    // validation (no patient, provider, …) or as broken, naming their SETL_D line.
    let orphans: Vec<usize> = (0..s.rows()).filter(|&r| !used[r]).collect();
    let mut s_cols = columns(s, national::SETL_D, &orphans);
    s_cols.retain(|(c, _)| *c != "settlement_id");
    let orphan_broken = orphans
        .iter()
        .enumerate()
        .map(|(i, &r)| {
            let why = match broken_s.get(&r) {
                Some(w) => (*w).clone(),
                None => format!(
                    "settlement of mdtrt_id {} which is not in MDTRT_D",
                    s.get(r, s_visit)
                ),
            };
            (i, why)
        })
        .collect();
    let settlements_part = part(s, s_cols, &orphans, orphan_broken);
    RawTable::from_text(Table::Visits, vec![visits_part, settlements_part])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_plain_enclosed_and_trailing_fields() {
        assert_eq!(split_line("a|b|").unwrap(), vec!["a", "b", ""]);
        assert_eq!(split_line("@|a|b|@|c").unwrap(), vec!["a|b", "c"]);
        assert_eq!(split_line("@|x|@|@|y|@").unwrap(), vec!["x", "y"]);
        assert_eq!(split_line("@|x|@|").unwrap(), vec!["x", ""]);
        assert_eq!(split_line("1||3").unwrap(), vec!["1", "", "3"]);
        // `|@` inside an enclosure ends it only before a delimiter or the line's end.
        assert_eq!(split_line("@|a|@b|@|c").unwrap(), vec!["a|@b", "c"]);
        assert_eq!(split_line("@|x|@").unwrap(), vec!["x"]);
        assert_eq!(split_line("中文|@|药|品|@").unwrap(), vec!["中文", "药|品"]);
        assert_eq!(split_line("").unwrap(), vec![""]);
        let e = split_line("1|@|open").unwrap_err();
        assert_eq!(e.0, 2);
    }
}
