//! A month too large for memory: cut into partitions on disk (`fundguard_ingest::partition`),
//! each read and run on its own within the budget, the hits merged.
//!
//! 1. **Partition** the dump by provider and by trace code, `parts` each.
//! 2. **Collect**: every provider partition is read and its rules run in the collecting phase
//!    (`fundguard_engine::scope`): the period each partition covers and the values the rules
//!    compare with the month (peer groups, stay costs, item prices) are gathered and merged.
//! 3. **Judge**: every partition of those sets is read and the rules of its key run with the
//!    month's values; their hits are decoded to text rows there (so codes never cross
//!    partitions) and kept, and the partition is removed. Then the patient set is cut and judged
//!    the same way, so that the disk never holds the three sets at once. The account and the
//!    rejects come from each table's home set, rejects mapped back to their source file and row.
//! 4. The rows of all partitions are sorted as a run in memory sorts them; scoring and the
//!    outputs follow as usual. Hits and leads are byte-identical to the run in memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use fundguard_ingest::partition::{self, Set};
use fundguard_ingest::IngestOptions;
use fundguard_rulebase::RuleBase;
use serde::Serialize;

use crate::run::{Analysed, RunArgs, Stage};
use crate::{Config, Failure};

/// How an out-of-core run cut the month (in the manifest).
#[derive(Debug, Clone, Serialize)]
pub struct PartitionAccount {
    pub dir: PathBuf,
    /// Partitions per set.
    pub parts: usize,
    /// Bytes of Parquet written (when the partitions are files of this run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// The most bytes of partitions on disk at once: the provider and trace-code sets, or the
    /// patient set, whichever is larger (when the partitions are files of this run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_bytes: Option<u64>,
    /// Rows read by the largest partition of each set.
    pub largest_partition_rows: BTreeMap<&'static str, usize>,
    /// Doctors whose visits are in several provider partitions (judged per partition by
    /// `phantom_service.doctor_volume`; 0 means the run is exact).
    pub doctors_in_several: usize,
}

/// Removes the partitions when the run ends, however it ends.
struct Spill(PathBuf);

impl Drop for Spill {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the month in `a.input` out of core with `parts` partitions per set.
pub(crate) fn analyse(
    a: &RunArgs<'_>,
    cfg: &Config,
    rulebase: Option<&RuleBase>,
    options: &IngestOptions,
    key: Option<&[u8]>,
    parts: usize,
    say: &(dyn Fn(String) + Sync),
) -> Result<Analysed, Failure> {
    if options.mapping.is_some() {
        return Err(Failure::Config(anyhow::anyhow!(
            "an out-of-core run reads the contract's tables as Parquet, not a mapped layout: convert the files with `fundguard import --mapping` first, or run in memory (--partitions 0)"
        )));
    }
    let parts = parts.clamp(1, partition::MAX_PARTS);
    let dir = match a.spill_dir {
        Some(d) => d.join(format!("fundguard-partitions-{}", std::process::id())),
        None => {
            let name = a
                .out
                .file_name()
                .map_or("run".into(), |n| n.to_string_lossy().into_owned());
            a.out.with_file_name(format!(".{name}.partitions"))
        }
    };
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| Failure::Output(anyhow::anyhow!("{}: {e}", dir.display())))?;
    }
    check_disk(a.input, &dir)?;
    let _spill = Spill(dir.clone());
    let mut stages = Vec::new();
    let t = Instant::now();
    // The provider and trace-code sets first: the month's values come from them. The patient
    // set is cut when they have been judged and removed, so that the disk holds two sets at most.
    say(format!(
        "cutting {} into {parts} provider and trace-code partitions …",
        a.input.display()
    ));
    let cut = partition::partition(a.input, parts, &dir, &[Set::Provider, Set::TraceCode])
        .map_err(|e| Failure::Input(e.into()))?;
    let mut cut_ms = t.elapsed().as_millis() as u64;
    let (mut bytes, mut peak) = (cut.bytes, cut.bytes);
    let job = crate::parts::Job {
        cfg,
        rulebase,
        options,
        key,
    };

    // The month's values, from the partitions of the sets whose rules compare with the month
    // (patient rules do not: a judging pass that asks for a value nobody gave fails).
    let t = Instant::now();
    let mut rounds = crate::parts::Rounds::new(cut.period);
    let month = loop {
        let pass = rounds.pass();
        let mut values = Vec::new();
        for &set in &pass.sets {
            for k in 0..parts {
                say(format!(
                    "collecting the month's values ({}/2): {} partition {}/{parts} …",
                    pass.round,
                    set.name(),
                    k + 1
                ));
                // The first pass over the provider partitions reads a view of each with only
                // the tables it needs.
                let dir = if pass.statistics_only(set) {
                    statistics_view(&cut, set, k)?
                } else {
                    cut.part(set, k)
                };
                values.push((set, job.collect(&dir, set, &pass)?));
            }
        }
        if let Some(month) = rounds.done(values) {
            break month;
        }
    };
    let month = std::sync::Arc::new(month);
    stages.push(Stage {
        stage: "collect",
        millis: t.elapsed().as_millis() as u64,
    });

    // Every partition judged with the month's values, and removed once judged.
    let mut judged = Vec::new();
    let mut judge = |cut: &partition::Partitioned, set: Set| -> Result<(), Failure> {
        for k in 0..parts {
            say(format!("{} partition {}/{parts} …", set.name(), k + 1));
            let part = cut.part(set, k);
            judged.push(job.judge(&part, set, k, &month, &cut.sources)?);
            remove(&part)?;
            remove(&view_of(&part))?;
        }
        Ok(())
    };
    judge(&cut, Set::Provider)?;
    judge(&cut, Set::TraceCode)?;
    let t = Instant::now();
    say(format!(
        "cutting {} into {parts} patient partitions …",
        a.input.display()
    ));
    let patients = partition::partition(a.input, parts, &dir, &[Set::Patient])
        .map_err(|e| Failure::Input(e.into()))?;
    cut_ms += t.elapsed().as_millis() as u64;
    bytes += patients.bytes;
    peak = peak.max(patients.bytes);
    judge(&patients, Set::Patient)?;
    stages.insert(
        0,
        Stage {
            stage: "partition",
            millis: cut_ms,
        },
    );
    let mut sources = Vec::with_capacity(cut.sources.len());
    for s in &cut.sources {
        sources.push((s.clone(), sha256_file(s)?));
    }
    crate::parts::assemble(
        a.input,
        cfg,
        judged,
        &sources,
        PartitionAccount {
            dir: cut.dir.clone(),
            parts,
            bytes: Some(bytes),
            peak_bytes: Some(peak),
            largest_partition_rows: BTreeMap::new(),
            doctors_in_several: cut.doctors_in_several,
        },
        stages,
    )
}

/// Bytes of partitions on disk at once per byte of the dump's Parquet: the provider and
/// trace-code sets together (the patient set is cut after they are removed), zstd 1 against the
/// sources' zstd: measured 3.3x on the realistic 1,000,000-person month (it was 6.6x with the
/// three sets at once in snappy, 7.1x at 10M); with a margin.
const SPILL_PER_INPUT: u64 = 5;

/// Fails (exit 3, with the numbers) when the partitions of the month in `input` would not fit on
/// the disk of `dir`: its free space, or `FUNDGUARD_DISK_LIMIT` (bytes) when that is less.
fn check_disk(input: &Path, dir: &Path) -> Result<(), Failure> {
    let mut bytes = 0u64;
    for t in fundguard_model::Table::ALL {
        for f in fundguard_ingest::locate(input, t).map_err(|e| Failure::Input(e.into()))? {
            bytes += std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        }
    }
    let need = bytes.saturating_mul(SPILL_PER_INPUT);
    // The nearest directory that exists: the spill directory is made later.
    let existing = dir
        .ancestors()
        .find(|d| d.is_dir())
        .unwrap_or_else(|| Path::new("."));
    let free = fs4::available_space(existing).ok();
    let limit = std::env::var("FUNDGUARD_DISK_LIMIT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok());
    let Some(room) = [free, limit].into_iter().flatten().min() else {
        return Ok(()); // nothing says how much room there is
    };
    if need > room {
        let gb = |b: u64| b as f64 / 1e9;
        return Err(Failure::Input(anyhow::anyhow!(
            "{} needs about {:.1} GB of disk for its out-of-core partitions ({}x its {:.2} GB of Parquet) and {} has {:.1} GB{}; give --spill-dir on a larger disk",
            input.display(),
            gb(need),
            SPILL_PER_INPUT,
            gb(bytes),
            existing.display(),
            gb(room),
            if limit == Some(room) {
                " (FUNDGUARD_DISK_LIMIT)"
            } else {
                " free"
            }
        )));
    }
    Ok(())
}

/// A directory beside partition `k` of `set` whose tables are links to the partition's visits,
/// lines, diagnoses, providers and catalogue only.
fn statistics_view(cut: &partition::Partitioned, set: Set, k: usize) -> Result<PathBuf, Failure> {
    let from = cut.part(set, k);
    let view = view_of(&from);
    let fail = |e: std::io::Error| Failure::Output(anyhow::anyhow!("{}: {e}", view.display()));
    if !view.exists() {
        std::fs::create_dir_all(&view).map_err(fail)?;
        for t in crate::parts::STATISTICS_TABLES {
            let target = from.join(t.name());
            if target.exists() {
                #[cfg(unix)]
                std::os::unix::fs::symlink(&target, view.join(t.name())).map_err(fail)?;
                #[cfg(not(unix))]
                return Ok(from); // no links: the whole partition
            }
        }
    }
    Ok(view)
}

/// Where [`statistics_view`] puts the view of the partition in `part`.
fn view_of(part: &Path) -> PathBuf {
    part.with_file_name(format!(
        "{}.statistics",
        part.file_name().and_then(|n| n.to_str()).unwrap_or("part")
    ))
}

/// Removes a judged partition (nothing when it is not there).
fn remove(dir: &Path) -> Result<(), Failure> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Failure::Output(
            anyhow::anyhow!("removing the judged partition {}: {e}", dir.display()),
        )),
        _ => Ok(()),
    }
}

fn sha256_file(path: &Path) -> Result<String, Failure> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path)
        .map_err(|e| Failure::Input(anyhow::anyhow!("{}: {e}", path.display())))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| Failure::Input(anyhow::anyhow!("{}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}
