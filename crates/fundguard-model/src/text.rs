//! Bytes of a text file as a string, the way bureaus' tools save them: UTF-8 (with or without a
//! BOM), or GB18030 (a superset of GBK) as Excel and WPS save CSV on Chinese Windows.

use std::borrow::Cow;

/// Text decoded from bytes.
#[derive(Debug)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    /// `utf-8` or `gb18030`.
    pub encoding: &'static str,
    /// Some bytes could not be decoded and were replaced by U+FFFD: the rows holding them must be
    /// rejected, not read as other text.
    pub replaced: bool,
}

/// Decodes a file's bytes, choosing the encoding by the evidence of the whole file: valid UTF-8 is
/// UTF-8; otherwise a file whose valid multi-byte UTF-8 characters outnumber its invalid sequences
/// is UTF-8 with a few bad bytes (they become U+FFFD and their rows are rejected), not a GB18030
/// file; the rest is GB18030. One corrupt byte never turns a UTF-8 file into garbled Chinese.
pub fn decode_bytes(bytes: &[u8]) -> Decoded<'_> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Decoded {
            text: Cow::Borrowed(s),
            encoding: "utf-8",
            replaced: false,
        };
    }
    let (mut valid, mut invalid) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        valid += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += usize::from(!chunk.invalid().is_empty());
    }
    if valid > invalid {
        return Decoded {
            text: String::from_utf8_lossy(bytes),
            encoding: "utf-8",
            replaced: true,
        };
    }
    let (text, replaced) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    Decoded {
        text,
        encoding: "gb18030",
        replaced,
    }
}

/// A small text file (configuration, feedback, rule-base CSV) as a string, see [`decode_bytes`].
pub fn decode_text(bytes: &[u8]) -> String {
    decode_bytes(bytes).text.into_owned()
}

#[cfg(test)]
mod tests {
    use super::decode_bytes as decode;

    #[test]
    fn utf8_gbk_and_bom() {
        let d = decode("\u{FEFF}普通病房床位费".as_bytes());
        assert_eq!(
            (&*d.text, d.encoding, d.replaced),
            ("普通病房床位费", "utf-8", false)
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("普通病房床位费,挂号费\n一般诊疗费");
        let d = decode(&gbk);
        assert_eq!(
            (&*d.text, d.encoding, d.replaced),
            ("普通病房床位费,挂号费\n一般诊疗费", "gb18030", false)
        );
    }

    #[test]
    fn one_bad_byte_in_utf8_spoils_its_row_not_the_file() {
        let mut bytes = "名称,金额\n普通病房床位费,50\n".as_bytes().to_vec();
        bytes.extend_from_slice(b"\xff\xfe,1\n");
        bytes.extend_from_slice("一般诊疗费,10\n".as_bytes());
        let d = decode(&bytes);
        assert_eq!(d.encoding, "utf-8");
        assert!(d.replaced);
        let lines: Vec<&str> = d.text.lines().collect();
        assert_eq!(lines[1], "普通病房床位费,50");
        assert!(lines[2].contains('\u{FFFD}'));
        assert_eq!(lines[3], "一般诊疗费,10");
    }
}
