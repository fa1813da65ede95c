//! `--pseudonymize KEYFILE`: patient identifiers are personal information (PIPL). Every patient id
//! in the outputs — hits, leads, rejects, the report, dossiers, the Excel export, what is printed —
//! is replaced by a keyed hash, HMAC-SHA256 under the key file's bytes, so one key gives the same
//! pseudonym every month and months stay comparable. The key is never written anywhere.

use std::borrow::Cow;
use std::path::Path;

use fundguard_model::Dict;
use sha2::Sha256;

/// HMAC-SHA256 (RFC 2104), by the `hmac` crate over the build's `sha2`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::{Hmac, Mac};
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Replaces the patient ids of one dump.
pub struct Pseudonymizer<'a> {
    key: Vec<u8>,
    patients: &'a Dict,
}

impl<'a> Pseudonymizer<'a> {
    /// Reads a key file (at least 16 bytes, used as they are).
    pub fn read_key(path: &Path) -> Result<Vec<u8>, String> {
        let key = fundguard_ingest::records::read_bytes(path, 1 << 20)?;
        if key.len() < 16 {
            return Err(format!(
                "{}: a pseudonymisation key needs at least 16 bytes (it has {})",
                path.display(),
                key.len()
            ));
        }
        Ok(key)
    }

    pub fn new(key: Vec<u8>, patients: &'a Dict) -> Self {
        Pseudonymizer { key, patients }
    }

    /// The pseudonym of a patient id: `PSN-` and 16 hex digits of its HMAC.
    pub fn pseudonym(&self, id: &str) -> String {
        let mac = hmac_sha256(&self.key, id.as_bytes());
        let hex: String = mac.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("PSN-{hex}")
    }

    /// `text` with every patient id in it replaced (ids are whole runs of letters, digits, `-`
    /// and `_`).
    pub fn text<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let is_id = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        let mut out = String::new();
        let mut last = 0;
        let mut start = None;
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            match (is_id(c) && i < text.len(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    let token = &text[s..i];
                    if self.patients.code(token).is_some() {
                        out.push_str(&text[last..s]);
                        out.push_str(&self.pseudonym(token));
                        last = i;
                    }
                    start = None;
                }
                _ => {}
            }
        }
        if last == 0 {
            Cow::Borrowed(text)
        } else {
            out.push_str(&text[last..]);
            Cow::Owned(out)
        }
    }

    pub fn opt(&self, text: &mut Option<String>) {
        if let Some(t) = text {
            *t = self.text(t).into_owned();
        }
    }

    pub fn string(&self, text: &mut String) {
        if let Cow::Owned(t) = self.text(text) {
            *text = t;
        }
    }

    /// Every patient id in hit rows: subject, patient and evidence.
    pub fn rows(&self, rows: &mut [fundguard_model::HitRow]) {
        for h in rows {
            self.string(&mut h.subject_id);
            self.opt(&mut h.patient_id);
            self.string(&mut h.evidence);
        }
    }

    /// Every patient id in rejects: the value and the reason.
    pub fn rejects(&self, rejects: &mut [fundguard_ingest::Reject]) {
        for r in rejects {
            self.opt(&mut r.value);
            self.string(&mut r.reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn replaces_whole_ids_only() {
        let mut d = Dict::new();
        d.intern("33010000960000000096");
        d.intern("P1");
        let p = Pseudonymizer {
            key: b"0123456789abcdef".to_vec(),
            patients: &d,
        };
        let a = p.pseudonym("P1");
        assert!(a.starts_with("PSN-") && a.len() == 20);
        assert_eq!(p.pseudonym("P1"), a, "stable for one key");
        assert_eq!(
            p.text("参保人 P1 在 P10 就诊"),
            format!("参保人 {a} 在 P10 就诊")
        );
        let t = p.text("card 33010000960000000096, again 33010000960000000096.");
        assert!(!t.contains("33010000960000000096"), "{t}");
        assert!(matches!(p.text("nothing here"), Cow::Borrowed(_)));
    }
}
