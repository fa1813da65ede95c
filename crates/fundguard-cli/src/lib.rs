//! The `fundguard` command line's library half: the whole configuration file ([`Config`]), put
//! together from the parts each stage owns. The binary (`main.rs`) parses arguments, runs the
//! pipeline and maps failures to exit codes.

pub mod config;

pub use config::{Config, ConfigError};
