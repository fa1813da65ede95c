//! The one tie-break of every ordering that can reach an output: whatever a rule ranks by, equal
//! keys are ordered by the entities' text ids (`line_id`, `visit_id`, provider, patient, doctor
//! and item codes as text), never by row number or dictionary code. Rows and codes follow the
//! order of the input rows; text ids do not, so the same month in another row order, or split
//! into other files, gives the same hits.
//!
//! Sort and compare with [`by_id`] (the key, then the id); the ids come from [`Ctx`]'s accessors.

use crate::ctx::Ctx;

/// The order of `key`, equal keys by text `id`.
pub fn by_id<K: Ord>(key: K, id: &str) -> (K, &str) {
    (key, id)
}

impl Ctx<'_> {
    /// A line's `line_id`.
    pub fn line_id(&self, line: u32) -> &str {
        self.dump.lines.line_id.get(line as usize)
    }

    /// A visit's `visit_id`.
    pub fn visit_id(&self, visit: u32) -> &str {
        self.dump.visits.visit_id.get(visit as usize)
    }

    /// An item code as text.
    pub fn item_id(&self, item: u32) -> &str {
        self.dump.dicts.items.get(item)
    }

    /// A doctor code as text.
    pub fn doctor_id(&self, doctor: u32) -> &str {
        self.dump.dicts.doctors.get(doctor)
    }
}
