//! What the trace_code rules share: the live scans of each code in time order, the money each
//! scan sells, and what a well-formed code looks like.

use fundguard_model::{DrugTraces, Fen};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::RuleInfo;

/// What a scan's line says of it: its visit, item, provider and patient.
#[derive(Clone, Copy)]
pub(crate) struct Scans<'a> {
    pub t: &'a DrugTraces,
    ctx: &'a Ctx<'a>,
}

impl<'a> Scans<'a> {
    pub fn new(ctx: &'a Ctx<'a>, t: &'a DrugTraces) -> Self {
        Scans { t, ctx }
    }

    pub fn visit(&self, s: usize) -> u32 {
        self.ctx.dump.lines.visit[self.t.line[s] as usize]
    }

    pub fn item(&self, s: usize) -> u32 {
        self.ctx.dump.lines.item[self.t.line[s] as usize]
    }

    pub fn provider(&self, s: usize) -> u32 {
        self.ctx.dump.visits.provider[self.visit(s) as usize]
    }

    pub fn patient(&self, s: usize) -> u32 {
        self.ctx.dump.visits.patient[self.visit(s) as usize]
    }
}

/// The scans the rules judge, grouped by code: `order` holds scan rows, code by code, each code's
/// scans by time (ties by visit id, then line id: text, never row order); `starts` delimits them.
/// A scan counts when its code is well formed ([`well_formed`]: placeholders such as twenty
/// zeros are missing_share's, not one box), its visit is live and its line still billed; a row
/// repeating the previous scan exactly (same code, line, time and quantity: an upload sent twice)
/// is left out.
pub struct ByCode {
    pub order: Vec<u32>,
    pub starts: Vec<usize>,
    /// What each sale scan among them stands for.
    pub money: ScanMoney,
}

impl ByCode {
    pub fn groups(&self) -> impl Iterator<Item = &[u32]> + '_ {
        self.starts.windows(2).map(|w| &self.order[w[0]..w[1]])
    }
}

pub(crate) fn by_code<'c>(ctx: &'c Ctx<'_>, t: &DrugTraces) -> &'c ByCode {
    ctx.trace_groups.get_or_init(|| group(ctx, t))
}

fn group(ctx: &Ctx<'_>, t: &DrugTraces) -> ByCode {
    let codes = &ctx.dump.dicts.traces;
    let good: Vec<bool> = (0..codes.len() as u32)
        .into_par_iter()
        .map(|c| well_formed(codes.get(c)))
        .collect();
    let visit_of = |s: usize| ctx.dump.lines.visit[t.line[s] as usize];
    let mut order: Vec<u32> = (0..t.code.len() as u32)
        .into_par_iter()
        .filter(|&s| {
            let s = s as usize;
            good[t.code[s] as usize]
                && ctx.visit_live[visit_of(s) as usize]
                && ctx.live(t.line[s])
        })
        .collect();
    // By code and time first (integers); scans of one code at one moment, which are rare, then
    // by their text ids.
    order.par_sort_unstable_by_key(|&s| (t.code[s as usize], t.time[s as usize], s));
    let same_moment = |a: u32, b: u32| {
        let (a, b) = (a as usize, b as usize);
        t.code[a] == t.code[b] && t.time[a] == t.time[b]
    };
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && same_moment(order[i], order[j]) {
            j += 1;
        }
        if j - i > 1 {
            order[i..j].sort_by(|&a, &b| {
                let (a, b) = (a as usize, b as usize);
                ctx.visit_id(visit_of(a))
                    .cmp(ctx.visit_id(visit_of(b)))
                    .then_with(|| ctx.line_id(t.line[a]).cmp(ctx.line_id(t.line[b])))
                    .then_with(|| t.quantity[a].cmp(&t.quantity[b]))
            });
        }
        i = j;
    }
    order.dedup_by(|later, earlier| {
        let (x, y) = (*later as usize, *earlier as usize);
        t.code[x] == t.code[y]
            && t.line[x] == t.line[y]
            && t.time[x] == t.time[y]
            && t.quantity[x] == t.quantity[y]
    });
    let mut starts = vec![0];
    for i in 1..order.len() {
        if t.code[order[i] as usize] != t.code[order[i - 1] as usize] {
            starts.push(i);
        }
    }
    if !order.is_empty() {
        starts.push(order.len());
    }
    let money = ScanMoney::new(t, &order);
    ByCode {
        order,
        starts,
        money,
    }
}

/// The money each sale scan stands for: its line's money shared among the line's sale scans by
/// quantity, so that the scans of a line never add up to more than the line.
pub struct ScanMoney {
    /// Per line: total quantity of its sale scans.
    scanned: FxHashMap<u32, i64>,
}

impl ScanMoney {
    pub fn new(t: &DrugTraces, scans: &[u32]) -> Self {
        let mut scanned: FxHashMap<u32, i64> = FxHashMap::default();
        for &s in scans {
            let s = s as usize;
            if t.quantity[s] > 0 {
                *scanned.entry(t.line[s]).or_default() += t.quantity[s];
            }
        }
        ScanMoney { scanned }
    }

    /// The money of `scans` (sale scans), line by line, each line at most once in full.
    pub fn of(&self, ctx: &Ctx<'_>, t: &DrugTraces, scans: &[u32]) -> (Vec<u32>, Fen) {
        let mut per_line: FxHashMap<u32, i64> = FxHashMap::default();
        for &s in scans {
            let s = s as usize;
            *per_line.entry(t.line[s]).or_default() += t.quantity[s].max(0);
        }
        let mut lines: Vec<u32> = per_line.keys().copied().collect();
        lines.sort_unstable();
        let amount = lines
            .iter()
            .map(|&l| {
                let total = self.scanned.get(&l).copied().unwrap_or(0).max(1);
                let q = per_line[&l].min(total);
                ctx.money(l).mul_div(q, total)
            })
            .sum();
        (lines, amount)
    }
}

/// One hit per settlement among `found` (sale scans), about its provider, with the scans' lines
/// and money; `describe(first scan by code text, further scans, amount)` words it.
pub(crate) fn per_visit_hits(
    ctx: &Ctx<'_>,
    t: &DrugTraces,
    money: &ScanMoney,
    info: &'static RuleInfo,
    found: &[u32],
    describe: impl Fn(u32, usize, Fen) -> Evidence,
) -> Vec<Hit> {
    let mut by_visit: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
    for &s in found {
        let visit = ctx.dump.lines.visit[t.line[s as usize] as usize];
        by_visit.entry(visit).or_default().push(s);
    }
    let codes = &ctx.dump.dicts.traces;
    by_visit
        .into_iter()
        .map(|(visit, mut scans)| {
            scans.sort_by(|&a, &b| {
                codes
                    .get(t.code[a as usize])
                    .cmp(codes.get(t.code[b as usize]))
                    .then_with(|| ctx.line_id(t.line[a as usize]).cmp(ctx.line_id(t.line[b as usize])))
            });
            let (lines, amount) = money.of(ctx, t, &scans);
            let ev = describe(scans[0], scans.len() - 1, amount);
            let provider = ctx.dump.visits.provider[visit as usize];
            Hit::new(info, Subject::Provider(provider), ev)
                .in_visit(&ctx.dump.visits, visit)
                .lines(lines, amount)
        })
        .collect()
}

/// `，本次结算另有 2 个追溯码同样` / `; 2 more codes of this settlement likewise`, or nothing.
pub(crate) fn more(n: usize) -> (String, String) {
    if n == 0 {
        (String::new(), String::new())
    } else {
        (
            format!("；本次结算另有 {n} 个追溯码情形相同"),
            format!("; {n} more codes of this settlement likewise"),
        )
    }
}

/// A 20-digit 药品追溯码 (not one digit repeated), or a longer GS1-style code (21-100 characters
/// of letters, digits and brackets, at least 16 of them digits).
pub fn well_formed(code: &str) -> bool {
    let b = code.as_bytes();
    if b.len() == 20 && b.iter().all(u8::is_ascii_digit) {
        return b.iter().any(|&c| c != b[0]);
    }
    (21..=100).contains(&b.len())
        && b.iter().all(|c| c.is_ascii_alphanumeric() || b"()".contains(c))
        && b.iter().filter(|c| c.is_ascii_digit()).count() >= 16
}

#[cfg(test)]
mod tests {
    use super::well_formed;

    #[test]
    fn codes_are_twenty_digits_or_gs1() {
        assert!(well_formed("81234560012345678901"));
        assert!(!well_formed("00000000000000000000"));
        assert!(!well_formed("8123456001234567890"));
        assert!(!well_formed("8123456001234567890X"));
        assert!(well_formed("(01)06901234567892(21)ABC123456789"));
        assert!(!well_formed("无码"));
        assert!(!well_formed(""));
    }
}
