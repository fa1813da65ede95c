//! Reading back the account's fixed texts (encodings, rule ids), which it holds as
//! `&'static str`: a partition's account crosses processes in a distributed run
//! (`fundguard_cli::parts`).

use serde::de::{Deserialize, Deserializer, Error};

use fundguard_model::Table;

/// A fixed text. (An alias: serde's derive takes a field typed `Option<&str>` as borrowed from
/// the input, which a value read back from another process cannot be.)
pub type Name = &'static str;

/// The encodings a text file is read in.
const ENCODINGS: [&str; 2] = ["utf-8", "gb18030"];

pub(crate) fn encoding<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|e| {
            ENCODINGS
                .into_iter()
                .find(|k| *k == e)
                .ok_or_else(|| D::Error::custom(format!("not an encoding fundguard reads: {e}")))
        })
        .transpose()
}

/// Rule ids a missing table disables ([`Table::needed_by`]).
pub(crate) fn rule_ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<&'static str>, D::Error> {
    Vec::<String>::deserialize(d)?
        .into_iter()
        .map(|id| {
            Table::ALL
                .iter()
                .flat_map(|t| t.needed_by().iter().copied())
                .find(|k| *k == id)
                .ok_or_else(|| D::Error::custom(format!("not a rule a table is needed by: {id}")))
        })
        .collect()
}
