//! The run configuration: every rule parameter with its default, overridable in a TOML file.
//!
//! Layout: `[run]` for engine-wide settings, one table per rule named by its id,
//! `[rules.<family>.<name>]`, `[leads]` for scoring and reports, and `[[custom]]` for analysts'
//! SQL rules. Each crate owns its part (the engine `[run]` and `[rules]`, scoring `[leads]`, the
//! custom crate `[[custom]]`); this puts them together and checks the ids that cross them.
//! Unknown keys are errors (a typo must not silently leave a default in force).
//! `fundguard rules --config-template` prints the full effective file.

use std::path::{Path, PathBuf};

use fundguard_custom::CustomRule;
use fundguard_engine::{RulesConfig, RunConfig};
use fundguard_scoring::LeadsConfig;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The whole configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub run: RunConfig,
    pub rules: RulesConfig,
    /// Scoring and reporting of leads.
    pub leads: LeadsConfig,
    /// Who the reports are for.
    pub report: ReportConfig,
    /// Analysts' SQL rules (`[[custom]]`), see `fundguard_custom`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub custom: Vec<CustomRule>,
}

/// `[report]`: the bureau the case dossiers are written for (their title line in the national
/// exposure-case format); left empty, the title keeps the format's blanks.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// Province, autonomous region, municipality or 兵团, as written in the title: `浙江省`.
    pub province: String,
    /// City, prefecture or league: `杭州市`.
    pub city: String,
    /// Family -> the legal bases its dossiers cite (section （五）), replacing the shipped ones
    /// for that family: `bed_hanging = ["《…条例》第三十八条第（一）项", "本省服务协议第十二条"]`.
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub legal_bases: std::collections::BTreeMap<String, Vec<String>>,
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
        let text =
            fundguard_ingest::records::read_text(path).map_err(|message| ConfigError::Read {
                path: path.to_path_buf(),
                message,
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
        let builtin: Vec<&str> = fundguard_engine::infos().iter().map(|i| i.id).collect();
        let mut known = builtin.clone();
        for (i, c) in self.custom.iter().enumerate() {
            c.check(&builtin)?;
            if self.custom[..i].iter().any(|o| o.id == c.id) {
                return Err(format!("custom rule `{}` is declared twice", c.id));
            }
            known.push(&c.id);
        }
        for family in self.report.legal_bases.keys() {
            if fundguard_model::Family::parse(family).is_none() {
                return Err(format!("report.legal_bases: no family `{family}`"));
            }
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
        self.leads.check(&known)?;
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
        fundguard_engine::params_of(&self.rules, rule_id)
    }

    /// Names of every rule for headlines: the catalogue's, then the custom rules' (their name, or
    /// their id).
    pub fn rule_names(&self) -> fundguard_scoring::RuleNames {
        let infos = fundguard_engine::infos();
        let builtin = infos.iter().map(|i| (i.id, i.name_zh, i.name_en));
        let custom = self.custom.iter().map(|c| {
            let n = if c.name.is_empty() { &c.id } else { &c.name };
            (c.id.as_str(), n.as_str(), n.as_str())
        });
        fundguard_scoring::RuleNames::new(builtin.chain(custom))
    }
}

#[cfg(test)]
mod tests {
    //! The configuration parser answers every text with a configuration or an error, never a panic.
    use proptest::prelude::*;

    const VALID: &str = "[run]\nlanguage = \"en\"\ndisable = [\"card_pooling.ring\"]\n[rules.card_pooling.burst]\nmin_cards = 9\n[leads]\nreferral_yuan = 3000\n[report]\nprovince = \"浙江省\"\ncity = \"杭州市\"\n[[custom]]\nid = \"custom.x\"\nseverity = 0.5\nsubject = \"provider\"\nevidence = \"{provider_id}\"\nsql = \"SELECT provider_id AS subject_id, provider_id FROM visits\"\n";

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn mutated_configurations_never_crash(
            edits in proptest::collection::vec((any::<usize>(), any::<char>(), 0u8..3), 0..10)
        ) {
            let mut chars: Vec<char> = VALID.chars().collect();
            for (at, c, kind) in edits {
                if chars.is_empty() {
                    break;
                }
                let i = at % chars.len();
                match kind {
                    0 => chars[i] = c,
                    1 => chars.insert(i, c),
                    _ => {
                        chars.remove(i);
                    }
                }
            }
            let text: String = chars.into_iter().collect();
            let _ = crate::Config::parse(&text);
        }
    }

    #[test]
    fn the_unmutated_configuration_is_valid() {
        crate::Config::parse(VALID).unwrap();
    }

    #[test]
    fn legal_bases_are_keyed_by_family() {
        let ok = "[report.legal_bases]\nbed_hanging = [\"本省服务协议第十二条\"]\n";
        let cfg = crate::Config::parse(ok).unwrap();
        assert_eq!(
            cfg.report.legal_bases["bed_hanging"],
            ["本省服务协议第十二条"]
        );
        let bad = "[report.legal_bases]\nbed_hang = [\"x\"]\n";
        assert!(crate::Config::parse(bad)
            .unwrap_err()
            .contains("report.legal_bases: no family `bed_hang`"));
    }
}
