//! A month too large for memory: cut into partitions on disk (`fundguard_ingest::partition`),
//! each read and run on its own within the budget, the hits merged.
//!
//! 1. **Partition** the dump three ways (patient, provider, trace code), `parts` each.
//! 2. **Collect**: every provider partition is read and its rules run in the collecting phase
//!    (`fundguard_engine::scope`): the period each partition covers and the values the rules
//!    compare with the month (peer groups, stay costs, item prices) are gathered and merged.
//! 3. **Judge**: every partition of every set is read and the rules of its key run with the
//!    month's values; their hits are decoded to text rows there (so codes never cross
//!    partitions) and kept. The account and the rejects come from each table's home set, rejects
//!    mapped back to their source file and row.
//! 4. The rows of all partitions are sorted as a run in memory sorts them; scoring and the
//!    outputs follow as usual. Hits and leads are byte-identical to the run in memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use fundguard_engine::scope::{Key, Populations, Scope};
use fundguard_ingest::partition::{self, Set};
use fundguard_ingest::{ingest, IngestOptions, IngestReport, Reject, TableReport};
use fundguard_model::{HitRow, Language, Outcome, RuleOutcome, Table};
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
    /// Bytes of Parquet written.
    pub bytes: u64,
    /// Rows read by the largest partition of each set.
    pub largest_partition_rows: BTreeMap<&'static str, usize>,
    /// Doctors whose visits are in several provider partitions (judged per partition by
    /// `phantom_service.doctor_volume`; 0 means the run is exact).
    pub doctors_in_several: usize,
}

fn key_of(set: Set) -> Key {
    match set {
        Set::Patient => Key::Patient,
        Set::Provider => Key::Provider,
        Set::TraceCode => Key::TraceCode,
    }
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
    let _spill = Spill(dir.clone());
    let mut stages = Vec::new();
    let t = Instant::now();
    say(format!(
        "cutting {} into {parts} partitions per set …",
        a.input.display()
    ));
    let cut = partition::partition(a.input, parts, &dir).map_err(|e| Failure::Input(e.into()))?;
    stages.push(Stage {
        stage: "partition",
        millis: t.elapsed().as_millis() as u64,
    });
    let run_part = |dump: &fundguard_model::Dump, scope: &Scope| {
        fundguard_engine::run_scoped(
            dump,
            &cfg.run,
            &cfg.rules,
            rulebase,
            Some(scope),
            &|_, _, _| {},
        )
    };
    let read = |set: Set, k: usize| {
        ingest(&cut.part(set, k), options).map_err(|e| Failure::Input(e.into()))
    };

    // The month's values, from the partitions of the sets whose rules compare with the month
    // (patient rules do not: a judging pass that asks for a value nobody gave fails). The
    // period is the partitioner's when every row that names a time is accepted; when the
    // partitions accept less, the values are collected again with the period they give.
    let t = Instant::now();
    let mut period = cut.period;
    let mut previous = std::sync::Arc::new(Populations::default());
    let mut round = 1;
    // The trace-code rules' values depend on no other month value: collected on the first
    // pass only and kept for the second.
    let mut trace = Populations::default();
    let month = loop {
        let mut month = Populations::default();
        let sets: &[Set] = if round == 1 {
            &[Set::Provider, Set::TraceCode]
        } else {
            month.merge(trace.clone());
            &[Set::Provider]
        };
        for &set in sets {
            for k in 0..parts {
                say(format!(
                    "collecting the month's values ({round}/2): {} partition {}/{parts} …",
                    set.name(),
                    k + 1
                ));
                // The first pass over the provider partitions gathers the month statistics the
                // second works its values out from (stay costs, nights, markers, derived peer
                // groups): visits, lines, diagnoses, providers and catalogue are enough, so it
                // reads a view of the partition with only those.
                let part = if round == 1 && set == Set::Provider {
                    let view = statistics_view(&cut, set, k)?;
                    ingest(&view, options).map_err(|e| Failure::Input(e.into()))?
                } else {
                    read(set, k)?
                };
                let scope = Scope::collect(key_of(set), period, previous.clone());
                run_part(&part.dump, &scope);
                let values = scope.take();
                if set == Set::TraceCode {
                    trace.merge(values.clone());
                }
                month.merge(values);
            }
        }
        if month.period != period && month.period.is_some() {
            // Some rows naming the extreme times were rejected: again with the period the
            // partitions accept.
            period = month.period;
            previous = std::sync::Arc::default();
            trace = Populations::default();
            round = 1;
            continue;
        }
        month.finish();
        if round == 2 {
            break month;
        }
        previous = std::sync::Arc::new(month);
        round += 1;
    };
    let period = month.period.unwrap_or((0, 0));
    let month = std::sync::Arc::new(month);
    stages.push(Stage {
        stage: "collect",
        millis: t.elapsed().as_millis() as u64,
    });

    // Every partition judged with the month's values.
    let (mut ingest_ms, mut rules_ms) = (0u64, 0u64);
    // Each hit's place in the output (its text before pseudonymisation, as a run in memory
    // sorts), with its Chinese and English rows.
    type Place = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
    );
    let mut rows: Vec<(Place, HitRow, HitRow)> = Vec::new();
    let mut outcomes: BTreeMap<String, RuleOutcome> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut reports: BTreeMap<Table, Vec<TableReport>> = BTreeMap::new();
    let mut rejects: Vec<Reject> = Vec::new();
    let mut netting = fundguard_engine::NettingStats::default();
    let mut provider_types = BTreeMap::new();
    let mut providers = BTreeMap::new();
    let mut largest: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut origins: BTreeMap<PathBuf, Vec<(u32, u64)>> = BTreeMap::new();
    for set in Set::ALL {
        for k in 0..parts {
            say(format!("{} partition {}/{parts} …", set.name(), k + 1));
            let t = Instant::now();
            let mut part = read(set, k)?;
            ingest_ms += t.elapsed().as_millis() as u64;
            let n: usize = part.report.tables.iter().map(|t| t.read).sum();
            let l = largest.entry(set.name()).or_default();
            *l = (*l).max(n);
            let t = Instant::now();
            let scope = Scope::judge(key_of(set), month.clone());
            let result = run_part(&part.dump, &scope);
            if let Some(missing) = scope.missing() {
                return Err(Failure::Rule(anyhow::anyhow!(
                    "out of core: the month's values of {missing} were not collected (a rule compares with the month in a partition set that is not collected); run in memory (--partitions 0)"
                )));
            }
            rules_ms += t.elapsed().as_millis() as u64;
            let mut zh = fundguard_engine::hit_rows(&part.dump, &result.hits, Language::Zh);
            let mut en = fundguard_engine::hit_rows(&part.dump, &result.hits, Language::En);
            let pseudo = key.map(|key| {
                crate::pseudo::Pseudonymizer::new(key.to_vec(), &part.dump.dicts.patients)
            });
            let places: Vec<Place> = zh
                .iter()
                .map(|h| {
                    (
                        h.rule_id.clone(),
                        h.subject_type.clone(),
                        h.subject_id.clone(),
                        h.visit_id.clone(),
                        h.line_ids.first().cloned(),
                        h.evidence.clone(),
                    )
                })
                .collect();
            if let Some(p) = &pseudo {
                p.rows(&mut zh);
                p.rows(&mut en);
            }
            rows.extend(
                places
                    .into_iter()
                    .zip(zh)
                    .zip(en)
                    .map(|((k, z), e)| (k, z, e)),
            );
            for o in result.outcomes {
                merge_outcome(&mut outcomes, &mut order, o, set);
            }
            if set == Set::Patient {
                let n = result.netting;
                netting.reversal_lines += n.reversal_lines;
                netting.matched += n.matched;
                netting.unmatched += n.unmatched;
                netting.refund_visits += n.refund_visits;
                netting.cancelled_visits += n.cancelled_visits;
                crate::evidence::admissions(&part.dump, period, &mut providers);
            }
            for (id, kind) in crate::run::provider_types(&part.dump) {
                let e = provider_types.entry(id).or_insert_with(|| kind.clone());
                if e == "unknown" {
                    *e = kind;
                }
            }
            if set == Set::Patient && k == 0 {
                for (id, f) in crate::run::provider_facts(&part.dump) {
                    providers.entry(id).or_insert(f);
                }
            }
            // The account and the rejects of the tables whose home this set is.
            for report in part.report.tables {
                let home = partition::home(report.table);
                if home == Some(set) || (home.is_none() && set == Set::Patient && k == 0) {
                    reports.entry(report.table).or_default().push(report);
                }
            }
            let mut mine: Vec<Reject> = part
                .rejects
                .drain(..)
                .filter(|r| {
                    let home = partition::home(r.table);
                    home == Some(set) || (home.is_none() && set == Set::Patient && k == 0)
                })
                .collect();
            for r in &mut mine {
                if !origins.contains_key(&r.file) {
                    let o = partition::origins(&r.file).map_err(|e| Failure::Input(e.into()))?;
                    origins.insert(r.file.clone(), o);
                }
                if let Some(&(src, row)) = origins[&r.file].get(r.row.saturating_sub(1) as usize) {
                    r.file = cut.sources[src as usize].clone();
                    r.row = row;
                }
                r.reason = sources_in(&r.reason, &cut, &mut origins)?;
            }
            if let Some(p) = &pseudo {
                p.rejects(&mut mine);
            }
            rejects.extend(mine);
        }
    }
    stages.push(Stage {
        stage: "ingest",
        millis: ingest_ms,
    });
    stages.push(Stage {
        stage: "rules",
        millis: rules_ms,
    });
    // Rows as a run in memory orders them: by text (rule, subject, visit, first line, then the
    // Chinese evidence), the English rows in the same order.
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let (rows_zh, rows_en): (Vec<HitRow>, Vec<HitRow>) =
        rows.into_iter().map(|(_, z, e)| (z, e)).unzip();
    // Rejects in table, file and row order (as a run in memory lists them).
    let table_order = |t: Table| {
        Table::ALL
            .iter()
            .position(|&x| x == t)
            .unwrap_or(usize::MAX)
    };
    rejects.sort_by(|a, b| {
        (table_order(a.table), &a.file, a.row).cmp(&(table_order(b.table), &b.file, b.row))
    });
    let mut outcomes: Vec<RuleOutcome> = order
        .iter()
        .map(|id| outcomes.remove(id).expect("each rule once"))
        .collect();
    // Custom SQL rules see the whole month; they are not run out of core.
    for c in &cfg.custom {
        outcomes.push(RuleOutcome {
            rule_id: c.id.clone(),
            family: fundguard_model::Family::parse(&c.family)
                .unwrap_or(fundguard_model::Family::Custom),
            outcome: Outcome::Skipped {
                reason: "custom SQL rules need the whole month in memory; not run out of core"
                    .into(),
            },
        });
    }
    let report = account(a.input, &cut, reports)?;
    Ok(Analysed {
        report,
        rejects,
        rows_zh,
        rows_en,
        outcomes,
        period,
        netting,
        provider_types,
        providers,
        stages,
        dump: None,
        partitions: Some(PartitionAccount {
            dir: cut.dir.clone(),
            parts,
            bytes: cut.bytes,
            largest_partition_rows: largest,
            doctors_in_several: cut.doctors_in_several,
        }),
    })
}

/// `text` with each `row N of <partition file>` (a reason naming another row, such as the
/// first of a duplicate) written as the source file and row.
fn sources_in(
    text: &str,
    cut: &partition::Partitioned,
    origins: &mut BTreeMap<PathBuf, Vec<(u32, u64)>>,
) -> Result<String, Failure> {
    let dir = cut.dir.display().to_string();
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(&dir) {
        let end = rest[at..]
            .find(|c: char| c.is_whitespace() || c == ';' || c == ',' || c == ')')
            .map_or(rest.len(), |e| at + e);
        let path = PathBuf::from(&rest[at..end]);
        let before = &rest[..at];
        // "… row 12 of " just before the path.
        let row = before
            .strip_suffix(" of ")
            .and_then(|b| b.rsplit_once("row "))
            .and_then(|(head, n)| n.parse::<u64>().ok().map(|n| (head, n)));
        if !origins.contains_key(&path) {
            let o = partition::origins(&path).map_err(|e| Failure::Input(e.into()))?;
            origins.insert(path.clone(), o);
        }
        match row.and_then(|(head, n)| {
            origins[&path]
                .get(n.saturating_sub(1) as usize)
                .map(|&(src, r)| (head, src, r))
        }) {
            Some((head, src, r)) => {
                out.push_str(head);
                out.push_str(&format!(
                    "row {r} of {}",
                    cut.sources[src as usize].display()
                ));
            }
            None => {
                out.push_str(before);
                out.push_str(&rest[at..end]);
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A directory beside partition `k` of `set` whose tables are links to the partition's visits,
/// lines, diagnoses, providers and catalogue only.
fn statistics_view(cut: &partition::Partitioned, set: Set, k: usize) -> Result<PathBuf, Failure> {
    let from = cut.part(set, k);
    let view = from.with_file_name(format!(
        "{}.statistics",
        from.file_name().and_then(|n| n.to_str()).unwrap_or("part")
    ));
    let fail = |e: std::io::Error| Failure::Output(anyhow::anyhow!("{}: {e}", view.display()));
    if !view.exists() {
        std::fs::create_dir_all(&view).map_err(fail)?;
        for t in [
            Table::Visits,
            Table::LineItems,
            Table::SettlementDiagnoses,
            Table::Providers,
            Table::Catalog,
        ] {
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

/// Adds one partition's outcome of a rule: hits, money and time summed where it ran (on its
/// key's partitions); skipped only when it was skipped on them all.
fn merge_outcome(
    all: &mut BTreeMap<String, RuleOutcome>,
    order: &mut Vec<String>,
    o: RuleOutcome,
    set: Set,
) {
    let on_key = fundguard_engine::scope::key_of(&o.rule_id) == Some(key_of(set));
    match all.get_mut(&o.rule_id) {
        None => {
            order.push(o.rule_id.clone());
            all.insert(o.rule_id.clone(), o);
        }
        Some(have) => match (&mut have.outcome, o.outcome) {
            (Outcome::Failed { .. }, _) => {}
            (_, failed @ Outcome::Failed { .. }) => have.outcome = failed,
            (
                Outcome::Ran {
                    hits,
                    amount_fen,
                    millis,
                },
                Outcome::Ran {
                    hits: h,
                    amount_fen: f,
                    millis: m,
                },
            ) => {
                *hits += h;
                *amount_fen += f;
                *millis += m;
            }
            (Outcome::Skipped { .. }, ran @ Outcome::Ran { .. }) => have.outcome = ran,
            (Outcome::Skipped { reason }, Outcome::Skipped { reason: r }) if on_key => *reason = r,
            _ => {}
        },
    }
}

/// The account of the month from the tables' home partitions: rows read, accepted and rejected
/// summed; the files are the source files (rows, checksum, ignored columns), not the partitions'.
fn account(
    input: &Path,
    cut: &partition::Partitioned,
    reports: BTreeMap<Table, Vec<TableReport>>,
) -> Result<IngestReport, Failure> {
    let mut tables = Vec::new();
    for t in Table::ALL {
        let Some(parts) = reports.get(&t) else {
            continue;
        };
        let mut merged = parts[0].clone();
        merged.read = parts.iter().map(|p| p.read).sum();
        merged.accepted = parts.iter().map(|p| p.accepted).sum();
        merged.rejected = parts.iter().map(|p| p.rejected).sum();
        merged.present = parts.iter().any(|p| p.present);
        let mut files: BTreeMap<usize, fundguard_ingest::FileReport> = BTreeMap::new();
        for f in parts.iter().flat_map(|p| &p.files) {
            let Some(src) = f
                .path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<usize>().ok())
                .filter(|&i| i < cut.sources.len())
            else {
                continue; // an empty partition file
            };
            let e = files.entry(src).or_insert_with(|| {
                let mut r = f.clone();
                r.path = cut.sources[src].clone();
                r.rows = 0;
                r.null_cells = 0;
                r.ignored_columns.retain(|c| !c.starts_with("_fg_"));
                r
            });
            e.rows += f.rows;
            e.null_cells += f.null_cells;
        }
        for (src, f) in &mut files {
            f.sha256 = sha256_file(&cut.sources[*src])?;
        }
        merged.files = files.into_values().collect();
        tables.push(merged);
    }
    Ok(IngestReport {
        input: input.to_path_buf(),
        tables,
    })
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
