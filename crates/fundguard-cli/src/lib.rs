//! The `fundguard` command line's library half: the whole configuration file ([`Config`]), put
//! together from the parts each stage owns, and the pipeline a run goes through ([`run::run`]),
//! shared by the binary (`main.rs`, which parses arguments and maps failures to exit codes) and
//! the Python package (`crates/fundguard-py`).

pub mod config;
pub mod evidence;
pub mod import;
pub mod outofcore;
pub mod parts;
pub mod pseudo;
pub mod run;
pub mod sweep;

pub use config::{Config, ConfigError};

/// Failure kinds with their documented exit codes.
pub enum Failure {
    Input(anyhow::Error),
    Output(anyhow::Error),
    Config(anyhow::Error),
    Rule(anyhow::Error),
}

impl Failure {
    /// What went wrong.
    pub fn error(&self) -> &anyhow::Error {
        let (Failure::Input(e) | Failure::Output(e) | Failure::Config(e) | Failure::Rule(e)) = self;
        e
    }

    /// The exit code the command line gives (README, "Exit codes").
    pub fn code(&self) -> u8 {
        match self {
            Failure::Input(_) => 3,
            Failure::Output(_) => 4,
            Failure::Config(_) => 5,
            Failure::Rule(_) => 6,
        }
    }
}
