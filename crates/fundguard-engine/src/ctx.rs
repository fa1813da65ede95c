//! The indexes every rule shares, built once per run: reversal netting, each visit's lines in time
//! order, each patient's and each provider's visits in time order.
//!
//! Rules read the dump through this and never re-sort an entity themselves.

use std::collections::BTreeMap;

use fundguard_model::{
    day_of, Days, Dump, Fen, ProviderType, Seconds, VisitType, NONE, NULL_I64, NULL_TIME,
};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use fundguard_rulebase::RuleBase;

use crate::hit::Hit;
use crate::order::by_id;
use crate::scope::{Phase, Scope};

/// Rows grouped by a key (compressed sparse rows): the rows of key `k` are `get(k)`, in the order
/// given at construction.
#[derive(Debug, Clone, Default)]
pub struct Csr {
    offsets: Vec<u32>,
    rows: Vec<u32>,
}

impl Csr {
    /// Groups rows `0..keys.len()` by `keys[row]` (rows keyed [`NONE`] are left out) and orders
    /// each group by `order(row)`, then by row (give `order` a unique id to make the order
    /// independent of the rows' positions).
    pub fn build<K: Ord + Send>(
        keys: &[u32],
        n_keys: usize,
        order: impl Fn(u32) -> K + Sync,
    ) -> Csr {
        let mut offsets = vec![0u32; n_keys + 1];
        for &k in keys {
            if k != NONE {
                offsets[k as usize + 1] += 1;
            }
        }
        for i in 0..n_keys {
            offsets[i + 1] += offsets[i];
        }
        let mut next = offsets.clone();
        let mut rows = vec![0u32; offsets[n_keys] as usize];
        for (row, &k) in keys.iter().enumerate() {
            if k != NONE {
                let slot = &mut next[k as usize];
                rows[*slot as usize] = row as u32;
                *slot += 1;
            }
        }
        rows.par_chunk_by_mut(|a, b| keys[*a as usize] == keys[*b as usize])
            .for_each(|group| {
                if group.len() > 1 {
                    group.sort_by_cached_key(|&r| (order(r), r));
                }
            });
        Csr { offsets, rows }
    }

    /// The rows of key `k`.
    pub fn get(&self, k: u32) -> &[u32] {
        let k = k as usize;
        &self.rows[self.offsets[k] as usize..self.offsets[k + 1] as usize]
    }

    /// Number of keys.
    pub fn keys(&self) -> usize {
        self.offsets.len() - 1
    }
}

/// What reversal netting did.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, serde::Deserialize)]
pub struct NettingStats {
    /// Lines with a negative quantity.
    pub reversal_lines: usize,
    /// Reversal lines that cancelled (part of) an earlier line.
    pub matched: usize,
    /// Reversal lines with nothing left to cancel (reported, otherwise ignored).
    pub unmatched: usize,
    /// Refund settlements.
    pub refund_visits: usize,
    /// Visits whose every line was reversed.
    pub cancelled_visits: usize,
}

/// A dump with the shared indexes.
pub struct Ctx<'a> {
    pub dump: &'a Dump,
    pub rulebase: Option<&'a RuleBase>,
    /// Quantity of each line after reversals (scale 4); 0 for reversal lines and what they cancelled.
    pub net_qty: Vec<i64>,
    /// Lines of each visit row by charge time.
    pub visit_lines: Csr,
    /// Visits of each patient by admission time.
    pub patient_visits: Csr,
    /// Visits of each provider by settlement time.
    pub provider_visits: Csr,
    /// A visit that stands as care received: not a refund settlement and not wholly reversed.
    pub visit_live: Vec<bool>,
    /// Per provider code.
    pub provider_type: Vec<ProviderType>,
    pub patient_row: Vec<u32>,
    pub provider_row: Vec<u32>,
    pub catalog_row: Vec<u32>,
    /// Name code (in `item_names`) of each item code, or [`NONE`].
    pub item_name: Vec<u32>,
    /// The start of the period the dump covers: its earliest settlement or charge. Stays admitted
    /// before the period (whose earlier lines are in earlier dumps) start before it.
    pub dump_start: Seconds,
    /// The latest time in the dump: the end of stays still open.
    pub dump_end: Seconds,
    pub netting: NettingStats,
    /// The drug_traces scans grouped by code, built by the first trace_code rule that asks and
    /// shared by the others (`rules::trace_code::scans::by_code`).
    pub trace_groups: std::sync::OnceLock<crate::rules::trace_code::scans::ByCode>,
    /// Peer groups derived from the claims when the dump has no providers table, built by the
    /// first peer rule that asks (`rules::peer_outlier::peers::derive_groups`).
    pub derived_groups: std::sync::OnceLock<Vec<Option<crate::rules::peer_outlier::peers::Group>>>,
    /// The still-billed money of each visit ([`Ctx::visit_money`]), summed once in one pass over
    /// the lines for the rules that ask.
    visit_money: std::sync::OnceLock<Vec<Fen>>,
    /// The partition this dump is, in an out-of-core run ([`crate::scope`]); `None`: the month.
    pub scope: Option<&'a Scope>,
}

impl<'a> Ctx<'a> {
    pub fn new(dump: &'a Dump, rulebase: Option<&'a RuleBase>) -> Ctx<'a> {
        Ctx::scoped(dump, rulebase, None)
    }

    /// [`Ctx::new`] for one partition of a month: the period is the month's (when judging), and
    /// [`Ctx::population`] answers with the month's values.
    pub fn scoped(
        dump: &'a Dump,
        rulebase: Option<&'a RuleBase>,
        scope: Option<&'a Scope>,
    ) -> Ctx<'a> {
        let v = &dump.visits;
        let l = &dump.lines;
        let n_visits = v.patient.len();
        // Ties in time are ordered by id, never by row: every timeline, and so every rule that
        // walks one, is the same whatever the order of the input rows.
        let visit_lines = Csr::build(&l.visit, n_visits, |r| {
            (l.charge_time[r as usize], l.line_id.get(r as usize))
        });
        let patient_visits = Csr::build(&v.patient, dump.dicts.patients.len(), |r| {
            let i = r as usize;
            (v.admit[i], v.settle[i], v.visit_id.get(i))
        });
        let provider_visits = Csr::build(&v.provider, dump.dicts.providers.len(), |r| {
            (v.settle[r as usize], v.visit_id.get(r as usize))
        });
        let (net_qty, mut netting) = net_reversals(dump, &visit_lines, &patient_visits);
        let visit_live: Vec<bool> = (0..n_visits)
            .into_par_iter()
            .map(|r| {
                let lines = visit_lines.get(r as u32);
                !v.is_refund[r]
                    && (lines.is_empty() || lines.iter().any(|&x| net_qty[x as usize] > 0))
            })
            .collect();
        netting.refund_visits = v.is_refund.iter().filter(|r| **r).count();
        netting.cancelled_visits = (0..n_visits)
            .filter(|&r| !v.is_refund[r] && !visit_live[r])
            .count();
        let provider_row = dump.provider_rows();
        let provider_type = (0..dump.dicts.providers.len())
            .map(|p| match (provider_row[p], &dump.providers) {
                (row, Some(t)) if row != NONE => t.provider_type[row as usize],
                _ => ProviderType::Unknown,
            })
            .collect();
        let mut item_name = vec![NONE; dump.dicts.items.len()];
        if let Some(c) = &dump.catalog {
            for (i, &item) in c.item.iter().enumerate() {
                item_name[item as usize] = c.name[i];
            }
        }
        for (i, &item) in l.item.iter().enumerate() {
            if item_name[item as usize] == NONE {
                item_name[item as usize] = l.item_name[i];
            }
        }
        let dump_end = v
            .admit
            .par_iter()
            .chain(v.discharge.par_iter())
            .chain(l.charge_time.par_iter())
            .copied()
            .filter(|t| *t != NULL_TIME)
            .max()
            .unwrap_or(0);
        let dump_start = v
            .settle
            .par_iter()
            .chain(l.charge_time.par_iter())
            .copied()
            .filter(|t| *t != NULL_TIME)
            .min()
            .or_else(|| {
                v.admit
                    .par_iter()
                    .copied()
                    .filter(|t| *t != NULL_TIME)
                    .min()
            })
            .unwrap_or(0);
        if let Some(s) = scope {
            if s.phase == Phase::Collect && !(n_visits == 0 && l.visit.is_empty()) {
                s.record(|p| {
                    p.merge(crate::scope::Populations {
                        period: Some((dump_start, dump_end)),
                        ..Default::default()
                    })
                });
            }
        }
        let (dump_start, dump_end) = scope
            .and_then(|s| s.period)
            .unwrap_or((dump_start, dump_end));
        Ctx {
            dump,
            rulebase,
            scope,
            dump_start,
            net_qty,
            visit_lines,
            patient_visits,
            provider_visits,
            visit_live,
            provider_type,
            patient_row: dump.patient_rows(),
            provider_row,
            catalog_row: dump.catalog_rows(),
            item_name,
            dump_end,
            netting,
            trace_groups: std::sync::OnceLock::new(),
            derived_groups: std::sync::OnceLock::new(),
            visit_money: std::sync::OnceLock::new(),
        }
    }

    /// The month's values of `key` where this partition's are `local`: `local` itself in a run of
    /// the whole month; while collecting, `local` is recorded and the earlier collecting pass's
    /// values are returned when there are some; every partition's (sorted) when judging. Rules take statistics over other entities than the ones they judge (peer
    /// groups, all stays) through here, so that a partition sees the month.
    pub fn population<'s>(&'s self, key: &str, local: Vec<f64>) -> std::borrow::Cow<'s, [f64]> {
        self.asked(key, local, |p| &p.values, |p| &mut p.values, true)
    }

    /// [`Ctx::population`] of ranked members (size, text id), sorted when judging.
    pub fn ranked<'s>(
        &'s self,
        key: &str,
        local: Vec<(u64, String)>,
    ) -> std::borrow::Cow<'s, [(u64, String)]> {
        self.asked(key, local, |p| &p.members, |p| &mut p.members, true)
    }

    /// [`Ctx::population`] of records (a text key and two numbers); none when no partition gave
    /// any (an item no provider billed).
    pub fn records<'s>(
        &'s self,
        key: &str,
        local: Vec<(String, i64, i64)>,
    ) -> std::borrow::Cow<'s, [(String, i64, i64)]> {
        self.asked(key, local, |p| &p.records, |p| &mut p.records, false)
    }

    /// The one mechanism behind [`Ctx::population`], [`Ctx::ranked`] and [`Ctx::records`], over
    /// the list of [`crate::scope::Populations`] that `lists` picks; `missing` notes a value
    /// asked for while judging that no partition gave.
    fn asked<'s, T: Clone>(
        &'s self,
        key: &str,
        local: Vec<T>,
        lists: fn(&crate::scope::Populations) -> &BTreeMap<String, Vec<T>>,
        lists_mut: fn(&mut crate::scope::Populations) -> &mut BTreeMap<String, Vec<T>>,
        missing: bool,
    ) -> std::borrow::Cow<'s, [T]> {
        let Some(s) = self.scope else {
            return local.into();
        };
        let month = lists(&s.global).get(key);
        if s.phase == Phase::Collect {
            s.record(|p| {
                lists_mut(p)
                    .entry(key.to_string())
                    .or_default()
                    .extend_from_slice(&local)
            });
            return month.map_or(local.into(), |v| v[..].into());
        }
        match month {
            Some(v) => v[..].into(),
            None => {
                if missing {
                    s.miss(key);
                }
                (&[][..]).into()
            }
        }
    }

    /// Is this the collecting pass of an out-of-core run (whose hits are thrown away)?
    pub fn collecting(&self) -> bool {
        self.scope.is_some_and(|s| s.phase == Phase::Collect)
    }

    /// [`Ctx::population`] of an exact count or sum.
    pub fn total(&self, key: &str, local: i128) -> i128 {
        match self.scope {
            None => local,
            Some(s) if s.phase == Phase::Collect => {
                s.record(|p| *p.sums.entry(key.to_string()).or_default() += local);
                s.global.sums.get(key).copied().unwrap_or(local)
            }
            Some(s) => s.global.sums.get(key).copied().unwrap_or_else(|| {
                s.miss(key);
                0
            }),
        }
    }

    /// Is the line still billed after reversals?
    pub fn live(&self, line: u32) -> bool {
        self.net_qty[line as usize] > 0
    }

    /// The money of a line after reversals: its in-scope amount when given, else its amount, scaled
    /// by the share of its quantity that was not reversed.
    pub fn money(&self, line: u32) -> Fen {
        let l = &self.dump.lines;
        let i = line as usize;
        let base = Fen(if l.in_scope[i] != NULL_I64 {
            l.in_scope[i]
        } else {
            l.amount[i]
        });
        let (net, qty) = (self.net_qty[i], l.quantity[i]);
        if net <= 0 {
            Fen::ZERO
        } else if net == qty {
            base
        } else {
            base.mul_div(net, qty)
        }
    }

    /// Money of a line for `units` (scale 4) of it at its unit price, capped at the line's money.
    pub fn money_of_units(&self, line: u32, units: i64) -> Fen {
        let net = self.net_qty[line as usize];
        if units >= net {
            return self.money(line);
        }
        self.money(line).mul_div(units, net)
    }

    /// Sum of [`Ctx::money`] over lines; an overflow fails the rule naming the line.
    pub fn money_sum(&self, lines: &[u32]) -> Fen {
        lines.iter().fold(Fen::ZERO, |sum, &x| {
            sum.checked_add(self.money(x)).unwrap_or_else(|| {
                panic!("money overflow adding line {} to {sum:?}", self.line_id(x))
            })
        })
    }

    /// The money of a visit's still-billed lines ([`Ctx::money`] summed), whether or not the
    /// visit is live.
    pub fn visit_money(&self, visit: u32) -> Fen {
        self.visit_money.get_or_init(|| {
            let l = &self.dump.lines;
            let mut out = vec![Fen::ZERO; self.visit_live.len()];
            for (i, &v) in l.visit.iter().enumerate() {
                if self.net_qty[i] > 0 {
                    out[v as usize] += self.money(i as u32);
                }
            }
            out
        })[visit as usize]
    }

    /// The still-billed lines of a visit, by time.
    pub fn live_lines(&self, visit: u32) -> impl Iterator<Item = u32> + '_ {
        self.visit_lines
            .get(visit)
            .iter()
            .copied()
            .filter(|&x| self.live(x))
    }

    /// The still-billed lines of the live visits among `visits`.
    pub fn live_lines_of<'s>(&'s self, visits: &'s [u32]) -> impl Iterator<Item = u32> + 's {
        visits
            .iter()
            .filter(|&&x| self.visit_live[x as usize])
            .flat_map(|&x| self.live_lines(x))
    }

    /// Calendar day of a line's charge time.
    pub fn line_day(&self, line: u32) -> Days {
        day_of(self.dump.lines.charge_time[line as usize])
    }

    /// Discharge time, or the end of the dump for a stay still open.
    pub fn visit_end(&self, visit: u32) -> Seconds {
        let d = self.dump.visits.discharge[visit as usize];
        if d == NULL_TIME {
            self.dump_end.max(self.dump.visits.admit[visit as usize])
        } else {
            d
        }
    }

    /// Calendar days the dump covers (at least 1).
    pub fn days_covered(&self) -> i32 {
        (day_of(self.dump_end) - day_of(self.dump_start) + 1).max(1)
    }

    pub fn visit_type(&self, visit: u32) -> VisitType {
        self.dump.visits.visit_type[visit as usize]
    }

    /// A pharmacy purchase: a pharmacy visit, or any visit at a provider typed `pharmacy`.
    pub fn is_pharmacy_visit(&self, visit: u32) -> bool {
        let v = visit as usize;
        self.dump.visits.visit_type[v] == VisitType::Pharmacy
            || self.provider_type[self.dump.visits.provider[v] as usize] == ProviderType::Pharmacy
    }

    /// Fund plus personal-account payment of a visit: what a pooled card takes from the insurance.
    pub fn insured_paid(&self, visit: u32) -> Fen {
        let v = &self.dump.visits;
        let i = visit as usize;
        Fen(v.fund_paid[i])
            .checked_add(Fen(v.account_paid[i]))
            .unwrap_or_else(|| {
                panic!(
                    "money overflow in the payments of visit {}",
                    self.visit_id(visit)
                )
            })
    }

    /// Item name for evidence, falling back to the code.
    pub fn item_label(&self, item: u32) -> &str {
        match self.item_name[item as usize] {
            NONE => self.dump.dicts.items.get(item),
            n => self.dump.dicts.item_names.get(n),
        }
    }

    /// `2026-03-05 H001` for a visit, dated by `time` (its admission or settlement).
    pub fn visit_label(&self, visit: u32, time: Seconds) -> String {
        let provider = self.dump.visits.provider[visit as usize];
        format!(
            "{} {}",
            crate::fmt::date_of(time),
            self.provider_id(provider)
        )
    }

    /// `2026-03-05 普通B超检查` for a line, dated by its charge time.
    pub fn line_label(&self, line: u32) -> String {
        let l = &self.dump.lines;
        format!(
            "{} {}",
            crate::fmt::date_of(l.charge_time[line as usize]),
            self.item_label(l.item[line as usize])
        )
    }

    pub fn provider_id(&self, p: u32) -> &str {
        self.dump.dicts.providers.get(p)
    }

    /// The patients-table row of a patient code.
    pub fn person(&self, patient: u32) -> Option<usize> {
        match (
            self.dump.patients.as_ref(),
            self.patient_row[patient as usize],
        ) {
            (Some(_), row) if row != NONE => Some(row as usize),
            _ => None,
        }
    }

    /// The providers-table row of a provider code.
    pub fn institution(&self, provider: u32) -> Option<usize> {
        match (
            self.dump.providers.as_ref(),
            self.provider_row[provider as usize],
        ) {
            (Some(_), row) if row != NONE => Some(row as usize),
            _ => None,
        }
    }

    /// The `hosp_lv` code of a provider, when known.
    pub fn provider_level(&self, provider: u32) -> Option<&str> {
        let t = self.dump.providers.as_ref()?;
        let code = t.level[self.institution(provider)?];
        self.dump.dicts.codes.get_opt(code)
    }

    /// The catalog row of an item code.
    pub fn catalog_entry(&self, item: u32) -> Option<usize> {
        match (self.dump.catalog.as_ref(), self.catalog_row[item as usize]) {
            (Some(_), row) if row != NONE => Some(row as usize),
            _ => None,
        }
    }

    /// Item code in this dump's dictionary, if the dump has the item at all.
    pub fn item_code(&self, code: &str) -> Option<u32> {
        self.dump.dicts.items.code(code)
    }
}

/// Text ids, for evidence and for breaking ties ([`crate::order`]).
impl Ctx<'_> {
    /// A line's `line_id`.
    pub fn line_id(&self, line: u32) -> &str {
        self.dump.lines.line_id.get(line as usize)
    }

    /// A visit's `visit_id`.
    pub fn visit_id(&self, visit: u32) -> &str {
        self.dump.visits.visit_id.get(visit as usize)
    }

    /// An item code as text.
    pub fn item_id(&self, item: u32) -> &str {
        self.dump.dicts.items.get(item)
    }

    /// A doctor code as text.
    pub fn doctor_id(&self, doctor: u32) -> &str {
        self.dump.dicts.doctors.get(doctor)
    }
}

/// Cancels reversal lines against what they reverse. A reversal (negative quantity) cancels, in
/// order of preference, a line of the same visit, then of another visit of the same patient at the
/// same provider (a refund settlement), with the same item and unit price, billed no later than the
/// reversal; among those, one of exactly the reversed quantity, then the latest (equal times by
/// `line_id`, so which of two identical lines a reversal cancels never depends on row order).
fn net_reversals(dump: &Dump, visit_lines: &Csr, patient_visits: &Csr) -> (Vec<i64>, NettingStats) {
    let l = &dump.lines;
    let v = &dump.visits;
    let mut net = l.quantity.clone();
    let mut by_patient: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    for (i, &q) in l.quantity.iter().enumerate() {
        if q < 0 {
            by_patient
                .entry(v.patient[l.visit[i] as usize])
                .or_default()
                .push(i as u32);
        }
    }
    let mut patients: Vec<(u32, Vec<u32>)> = by_patient.into_iter().collect();
    patients.sort_unstable_by_key(|(p, _)| *p);
    let outcomes: Vec<(Vec<(u32, i64)>, usize, usize)> = patients
        .par_iter()
        .map(|(patient, reversals)| {
            let mut reversals = reversals.clone();
            reversals.sort_by_key(|&r| by_id(l.charge_time[r as usize], l.line_id.get(r as usize)));
            let mut left: FxHashMap<u32, i64> = FxHashMap::default();
            let (mut matched, mut unmatched) = (0, 0);
            for r in reversals {
                let ri = r as usize;
                let visit = l.visit[ri];
                let provider = v.provider[visit as usize];
                let mut remaining = -l.quantity[ri];
                let same_visit = visit_lines.get(visit).iter().copied();
                let other_visits = patient_visits
                    .get(*patient)
                    .iter()
                    .filter(|&&o| o != visit && v.provider[o as usize] == provider)
                    .flat_map(|&o| visit_lines.get(o).iter().copied());
                let before = |c: u32, left: &FxHashMap<u32, i64>| {
                    let ci = c as usize;
                    l.item[ci] == l.item[ri]
                        && l.unit_price[ci] == l.unit_price[ri]
                        && l.quantity[ci] > 0
                        && l.charge_time[ci] <= l.charge_time[ri]
                        && left.get(&c).copied().unwrap_or(l.quantity[ci]) > 0
                };
                let mut took = false;
                for pool in [
                    same_visit.filter(|&c| before(c, &left)).collect::<Vec<_>>(),
                    other_visits.filter(|&c| before(c, &left)).collect(),
                ] {
                    let mut pool = pool;
                    // Exact quantity first, then latest first.
                    pool.sort_by_key(|&c| {
                        let ci = c as usize;
                        let q = left.get(&c).copied().unwrap_or(l.quantity[ci]);
                        let latest = by_id(l.charge_time[ci], l.line_id.get(ci));
                        (q != remaining, std::cmp::Reverse(latest))
                    });
                    for c in pool {
                        if remaining == 0 {
                            break;
                        }
                        let q = left.entry(c).or_insert(l.quantity[c as usize]);
                        let take = remaining.min(*q);
                        *q -= take;
                        remaining -= take;
                        took = true;
                    }
                    if remaining == 0 {
                        break;
                    }
                }
                if took {
                    matched += 1;
                } else {
                    unmatched += 1;
                }
            }
            (left.into_iter().collect(), matched, unmatched)
        })
        .collect();
    let mut stats = NettingStats::default();
    for (left, matched, unmatched) in outcomes {
        stats.matched += matched;
        stats.unmatched += unmatched;
        for (line, q) in left {
            net[line as usize] = q;
        }
    }
    for q in &mut net {
        if *q < 0 {
            *q = 0;
            stats.reversal_lines += 1;
        }
    }
    (net, stats)
}

/// Parallel sweeps over one entity's timeline, collecting hits.
impl Ctx<'_> {
    fn sweep(&self, csr: &Csr, f: impl Fn(u32, &[u32], &mut Vec<Hit>) + Sync) -> Vec<Hit> {
        (0..csr.keys() as u32)
            .into_par_iter()
            .fold(Vec::new, |mut acc, k| {
                let rows = csr.get(k);
                if !rows.is_empty() {
                    f(k, rows, &mut acc);
                }
                acc
            })
            .reduce(Vec::new, |mut a, mut b| {
                a.append(&mut b);
                a
            })
    }

    /// `f(patient, visits by admission time, out)` for every patient, in parallel.
    pub fn per_patient(&self, f: impl Fn(u32, &[u32], &mut Vec<Hit>) + Sync) -> Vec<Hit> {
        self.sweep(&self.patient_visits, f)
    }

    /// `f(provider, visits by settlement time, out)` for every provider, in parallel.
    pub fn per_provider(&self, f: impl Fn(u32, &[u32], &mut Vec<Hit>) + Sync) -> Vec<Hit> {
        self.sweep(&self.provider_visits, f)
    }

    /// `f(visit, lines by charge time, out)` for every live visit, in parallel.
    pub fn per_visit(&self, f: impl Fn(u32, &[u32], &mut Vec<Hit>) + Sync) -> Vec<Hit> {
        self.sweep(&self.visit_lines, |v, lines, out| {
            if self.visit_live[v as usize] {
                f(v, lines, out);
            }
        })
    }

    /// Folds every still-billed line of a live visit as `f(acc, line, visit)`, in line order over
    /// parallel chunks of the line table, merging the chunks' accumulators with `merge`. Memory is
    /// read in order, unlike a sweep through each provider's visits, so a rule that only sums or
    /// filters lines should use this. `merge` must not depend on the order of chunks.
    pub fn fold_live_lines<T: Send>(
        &self,
        init: impl Fn() -> T + Sync + Send,
        f: impl Fn(&mut T, u32, u32) + Sync + Send,
        merge: impl Fn(T, T) -> T + Sync + Send,
    ) -> T {
        let l = &self.dump.lines;
        (0..l.visit.len())
            .into_par_iter()
            .with_min_len(1 << 16)
            .fold(&init, |mut acc, i| {
                let v = l.visit[i];
                if self.net_qty[i] > 0 && self.visit_live[v as usize] {
                    f(&mut acc, i as u32, v);
                }
                acc
            })
            .reduce(&init, merge)
    }

    /// Live inpatient stays among `visits`.
    /// The live outpatient and pharmacy settlements among `visits`.
    pub fn desk_visits(&self, visits: &[u32]) -> Vec<u32> {
        visits
            .iter()
            .copied()
            .filter(|&o| {
                self.visit_live[o as usize]
                    && matches!(
                        self.visit_type(o),
                        VisitType::Outpatient | VisitType::Pharmacy
                    )
            })
            .collect()
    }

    /// The settlements among `desk` on days strictly inside `stay`: after its admission day and
    /// before the day it ends.
    pub fn settled_inside<'s>(
        &'s self,
        stay: u32,
        desk: &'s [u32],
    ) -> impl Iterator<Item = u32> + 's {
        let v = &self.dump.visits;
        let (a, d) = (day_of(v.admit[stay as usize]), day_of(self.visit_end(stay)));
        desk.iter().copied().filter(move |&o| {
            let day = day_of(v.settle[o as usize]);
            a < day && day < d
        })
    }

    /// Per diagnosis code (dictionary key): does it start with one of `prefixes`?
    pub fn diagnoses_matching(&self, prefixes: &[String]) -> Vec<bool> {
        let dict = &self.dump.dicts.diagnoses;
        (0..dict.len() as u32)
            .map(|d| {
                let code = dict.get(d);
                prefixes.iter().any(|x| code.starts_with(x.as_str()))
            })
            .collect()
    }

    /// Every live stay of the dump, in row order.
    pub fn all_stays(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.visit_live.len() as u32)
            .filter(|&v| self.visit_live[v as usize] && self.visit_type(v) == VisitType::Inpatient)
    }

    pub fn stays<'s>(&'s self, visits: &'s [u32]) -> impl Iterator<Item = u32> + 's {
        visits
            .iter()
            .copied()
            .filter(|&v| self.visit_live[v as usize] && self.visit_type(v) == VisitType::Inpatient)
    }
}
