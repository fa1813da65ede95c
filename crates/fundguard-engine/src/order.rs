//! The one tie-break of every ordering that can reach an output: whatever a rule ranks by, equal
//! keys are ordered by the entities' text ids (`line_id`, `visit_id`, provider, patient, doctor
//! and item codes as text), never by row number or dictionary code. Rows and codes follow the
//! order of the input rows; text ids do not, so the same month in another row order, or split
//! into other files, gives the same hits.
//!
//! Sort and compare with [`by_id`] (the key, then the id); the ids come from `Ctx`'s accessors
//! (`line_id`, `visit_id`, `provider_id`, `item_id`, `doctor_id`).

/// The order of `key`, equal keys by text `id`.
pub fn by_id<K: Ord>(key: K, id: &str) -> (K, &str) {
    (key, id)
}
