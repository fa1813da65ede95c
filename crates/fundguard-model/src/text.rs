//! Bytes of a small text file as a string, the way bureaus' tools save them.

/// UTF-8 (with or without a BOM), else GB18030 as Excel and WPS save CSV on Chinese Windows.
pub fn decode_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}
