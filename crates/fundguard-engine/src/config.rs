//! Engine-wide settings, `[run]` in the configuration (the rules' own are
//! [`RulesConfig`](crate::rules::RulesConfig)).

use std::collections::BTreeMap;

use fundguard_model::Language;
use serde::{Deserialize, Serialize};

/// Engine-wide settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// Language of `evidence` in hits.parquet.
    pub language: Language,
    /// Rule ids not to run.
    pub disable: Vec<String>,
    /// Base severity per rule id, replacing the built-in one (0-1).
    pub severity: BTreeMap<String, f64>,
}
