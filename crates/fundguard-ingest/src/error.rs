use std::path::{Path, PathBuf};

/// Why a dump cannot be used at all. A bad row is never one of these: it becomes a reject.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{dir}: not a directory")]
    NotADirectory { dir: PathBuf },
    #[error("{dir}: required table `{table}` not found (expected {table}.parquet, {table}.csv or a folder {table}/ of such files)")]
    MissingTable { table: &'static str, dir: PathBuf },
    #[error("table `{table}` is given more than once: {}", files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", "))]
    Ambiguous {
        table: &'static str,
        files: Vec<PathBuf>,
    },
    #[error("{}: table `{table}` lacks required column(s): {}", file.display(), missing.join(", "))]
    MissingColumns {
        table: &'static str,
        file: PathBuf,
        missing: Vec<String>,
    },
    #[error("{}: cannot be read: {message}", file.display())]
    Unreadable { file: PathBuf, message: String },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot write: {message}", path.display())]
    Write { path: PathBuf, message: String },
}

impl IngestError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        IngestError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
