//! The run configuration: every rule parameter with its default, overridable in a TOML file.
//!
//! Layout: `[run]` for engine-wide settings, then one table per rule named by its id,
//! `[rules.<family>.<name>]`. Unknown keys are errors (a typo must not silently leave a default in
//! force). `fundguard rules --config-template` prints the full effective file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::custom::CustomRule;
use crate::rules::RulesConfig;

/// Language of the evidence written to hits.parquet (the report offers both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Zh,
    En,
}

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

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub run: RunConfig,
    pub rules: RulesConfig,
    /// Scoring and reporting of leads.
    pub leads: crate::leads::LeadsConfig,
    /// Analysts' SQL rules (`[[custom]]`), see [`crate::custom`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<CustomRule>,
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("configuration {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Reads a TOML configuration; what it leaves out keeps its default.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Config::parse(&text).map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parses and checks a configuration text.
    pub fn parse(text: &str) -> Result<Config, String> {
        let cfg: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        cfg.check()?;
        Ok(cfg)
    }

    fn check(&self) -> Result<(), String> {
        let builtin: Vec<&str> = crate::rules::infos().iter().map(|i| i.id).collect();
        let mut known = builtin.clone();
        for (i, c) in self.custom.iter().enumerate() {
            c.check(&builtin)?;
            if self.custom[..i].iter().any(|o| o.id == c.id) {
                return Err(format!("custom rule `{}` is declared twice", c.id));
            }
            known.push(&c.id);
        }
        let unknown = |id: &String| !known.contains(&id.as_str());
        if let Some(id) = self.run.disable.iter().find(|id| unknown(id)) {
            return Err(format!(
                "run.disable: no rule `{id}` (rules: {})",
                known.join(", ")
            ));
        }
        for (id, s) in &self.run.severity {
            if unknown(id) {
                return Err(format!("run.severity: no rule `{id}`"));
            }
            if !(0.0..=1.0).contains(s) {
                return Err(format!("run.severity.{id}: {s} is outside 0-1"));
            }
        }
        self.rules.check()
    }

    /// The effective configuration as TOML, every default spelled out.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("the configuration serialises")
    }

    /// SHA-256 of [`Config::to_toml`]: two runs with equal hashes used equal settings.
    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.to_toml().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The parameters of one rule as a TOML table (for listings and docs).
    pub fn params_of(&self, rule_id: &str) -> Option<toml::Table> {
        let value = toml::Table::try_from(&self.rules).ok()?;
        let (family, name) = rule_id.split_once('.')?;
        value
            .get(family)?
            .as_table()?
            .get(name)?
            .as_table()
            .cloned()
    }
}

/// Checks of parameter values that serde's types do not express.
pub(crate) fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}
