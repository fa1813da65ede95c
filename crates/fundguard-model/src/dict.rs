//! Text without one allocation per value: an arena column for unique ids and a dictionary that codes
//! repeated ids (patients, providers, items, …) to dense `u32`.

use rustc_hash::FxHashMap;

/// Code meaning "no value" in dictionary-coded columns.
pub const NONE: u32 = u32::MAX;

/// Many strings in one buffer: the column type for per-row unique text such as `line_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrColumn {
    data: String,
    ends: Vec<usize>,
}

impl StrColumn {
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        Self {
            data: String::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
        }
    }

    /// Room for `rows` more values of `bytes` more text.
    pub fn reserve(&mut self, rows: usize, bytes: usize) {
        self.data.reserve(bytes);
        self.ends.reserve(rows);
    }

    /// Appends another column's values.
    pub fn append(&mut self, other: &StrColumn) {
        let base = self.data.len();
        self.data.push_str(&other.data);
        self.ends.extend(other.ends.iter().map(|e| base + e));
    }

    pub fn push(&mut self, s: &str) {
        self.data.push_str(s);
        self.ends.push(self.data.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Bytes held, for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.data.capacity() + self.ends.capacity() * std::mem::size_of::<usize>()
    }

    /// Keeps the rows whose `keep` flag is set, in order.
    /// The rows where `keep` is true; the column itself, uncopied, when it keeps every row.
    pub fn keep_rows(self, keep: &[bool]) -> Self {
        if keep.iter().all(|k| *k) {
            self
        } else {
            self.filter(keep)
        }
    }

    pub fn filter(&self, keep: &[bool]) -> Self {
        let mut out = Self::with_capacity(keep.iter().filter(|k| **k).count(), self.data.len());
        for (i, k) in keep.iter().enumerate() {
            if *k {
                out.push(self.get(i));
            }
        }
        out
    }
}

impl<'a> FromIterator<&'a str> for StrColumn {
    fn from_iter<T: IntoIterator<Item = &'a str>>(iter: T) -> Self {
        let mut c = Self::default();
        for s in iter {
            c.push(s);
        }
        c
    }
}

/// Codes each distinct string to a dense `u32`, in order of first appearance.
///
/// Codes depend on row order, so nothing that leaves the engine may be ordered by code: outputs
/// sort by the decoded text.
///
/// The index maps a 64-bit hash of each string to its code and checks the string itself in
/// `values`, so a dictionary holds each string once, in one buffer (no allocation per entry);
/// strings whose hash another string already has (a rare event) are kept in a small second map.
#[derive(Debug, Clone, Default)]
pub struct Dict {
    values: StrColumn,
    index: FxHashMap<u64, u32>,
    collided: FxHashMap<Box<str>, u32>,
}

fn hash_of(s: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write(s.as_bytes());
    h.write_usize(s.len());
    h.finish()
}

impl Dict {
    pub fn new() -> Self {
        Self::default()
    }

    /// The code of `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        self.intern_hashed(s, hash_of(s))
    }

    fn intern_hashed(&mut self, s: &str, h: u64) -> u32 {
        let next = self.values.len();
        match self.index.get(&h) {
            Some(&c) if self.values.get(c as usize) == s => return c,
            Some(_) => {
                if let Some(&c) = self.collided.get(s) {
                    return c;
                }
                let code = Self::next_code(next);
                self.values.push(s);
                self.collided.insert(s.into(), code);
                return code;
            }
            None => {}
        }
        let code = Self::next_code(next);
        self.values.push(s);
        self.index.insert(h, code);
        code
    }

    fn next_code(len: usize) -> u32 {
        u32::try_from(len)
            .ok()
            .filter(|c| *c != NONE)
            .expect("more than 4 billion distinct values in one dictionary")
    }

    /// The code of `s` when it has been seen.
    pub fn code(&self, s: &str) -> Option<u32> {
        self.code_hashed(s, hash_of(s))
    }

    fn code_hashed(&self, s: &str, h: u64) -> Option<u32> {
        match self.index.get(&h) {
            Some(&c) if self.values.get(c as usize) == s => Some(c),
            Some(_) => self.collided.get(s).copied(),
            None => None,
        }
    }

    /// The text of a code. Panics on [`NONE`] or a code this dictionary did not hand out.
    pub fn get(&self, code: u32) -> &str {
        self.values.get(code as usize)
    }

    /// The text of a code, or `None` for [`NONE`].
    pub fn get_opt(&self, code: u32) -> Option<&str> {
        (code != NONE).then(|| self.get(code))
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.values.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_codes_are_dense_and_stable() {
        let mut d = Dict::new();
        assert_eq!(d.intern("007"), 0);
        assert_eq!(d.intern("7"), 1);
        assert_eq!(d.intern("007"), 0);
        assert_eq!(d.get(0), "007");
        assert_eq!(d.code("7"), Some(1));
        assert_eq!(d.code("x"), None);
        assert_eq!(d.get_opt(NONE), None);
    }

    #[test]
    fn strings_with_the_same_hash_keep_their_own_codes() {
        let mut d = Dict::new();
        assert_eq!(d.intern_hashed("a", 7), 0);
        assert_eq!(d.intern_hashed("b", 7), 1);
        assert_eq!(d.intern_hashed("c", 7), 2);
        assert_eq!(d.intern_hashed("b", 7), 1);
        assert_eq!(d.intern_hashed("a", 7), 0);
        assert_eq!(d.code_hashed("c", 7), Some(2));
        assert_eq!(d.code_hashed("d", 7), None);
        assert_eq!((d.len(), d.get(1)), (3, "b"));
    }

    #[test]
    fn str_column_filters() {
        let c: StrColumn = ["a", "", "ccc"].into_iter().collect();
        assert_eq!(c.get(1), "");
        let f = c.filter(&[true, false, true]);
        assert_eq!(f.iter().collect::<Vec<_>>(), ["a", "ccc"]);
    }
}
