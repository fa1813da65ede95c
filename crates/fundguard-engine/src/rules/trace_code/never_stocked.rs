//! trace_code.never_stocked — a provider selling trace codes it never took in.

use fundguard_model::Table;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::scans::{Scans, by_code};
use crate::ctx::Ctx;
use crate::fmt;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::rule::{ensure, Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "trace_code.never_stocked",
    family: Family::TraceCode,
    baseline: "trace_code (sold, never taken in)",
    name_zh: "追溯码无入库记录",
    name_en: "Trace codes sold but never taken in",
    flags: "A provider that reports its stock scans (drug_stock) and sells at least `min_codes` \
            trace codes that it never took in, making at least `min_share` of the codes it sold. \
            Providers with no stock scans at all are not judged.",
    why: "A box that never came in cannot go out: the sale is made up, with a code copied or \
          invented, or the box came through a channel the pharmacy hides (回流药 bought from \
          recyclers).",
    amount: "The sales of those codes (their share of their lines).",
    example: "A pharmacy whose stock scans hold 400 codes sells 300 codes, 60 of which it never \
              took in: fires for the 60. One whose stock feed missed 2 of 300 boxes does not.",
    severity: 0.7,
    needs: &[Table::DrugTraces, Table::DrugStock],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "min_codes",
            doc: "Fewest codes sold but never taken in.",
        },
        ParamDoc {
            name: "min_share",
            doc: "Least share of the provider's sold codes that were never taken in (stock feeds \
                  miss a box now and then).",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_codes: usize,
    pub min_share: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_codes: 3,
            min_share: 0.05,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(
            self.min_codes >= 1 && (0.0..=1.0).contains(&self.min_share),
            || format!("{rule}: need min_codes >= 1 and 0 <= min_share <= 1"),
        )
    }
}

pub struct NeverStocked(pub Params);

impl Rule for NeverStocked {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let (Some(t), Some(stock)) = (&ctx.dump.traces, &ctx.dump.stock) else {
            return Vec::new();
        };
        let sc = Scans::new(ctx, t);
        let taken: FxHashSet<(u32, u32)> = (0..stock.code.len())
            .map(|i| (stock.provider[i], stock.code[i]))
            .collect();
        let reporting: FxHashSet<u32> = stock.provider.iter().copied().collect();
        let codes = by_code(ctx, t);
        let money = &codes.money;
        // Per reporting provider: codes sold, and the sale scans of codes never taken in.
        let mut sold: FxHashMap<u32, (usize, Vec<u32>, usize)> = FxHashMap::default();
        for scans in codes.groups() {
            let mut seen: Vec<u32> = Vec::new();
            for &s in scans {
                let i = s as usize;
                let p = sc.provider(i);
                if t.quantity[i] <= 0 || !reporting.contains(&p) {
                    continue;
                }
                let e = sold.entry(p).or_default();
                let fresh = !seen.contains(&p);
                if fresh {
                    seen.push(p);
                    e.0 += 1;
                }
                if !taken.contains(&(p, t.code[i])) {
                    e.1.push(s);
                    e.2 += usize::from(fresh);
                }
            }
        }
        let mut hits = Vec::new();
        for (p, (n_sold, scans, n_unstocked)) in sold {
            let share = n_unstocked as f64 / n_sold as f64;
            if n_unstocked < self.0.min_codes || share < self.0.min_share {
                continue;
            }
            let (lines, amount) = money.of(ctx, t, &scans);
            let mut example: Vec<&str> = scans
                .iter()
                .map(|&s| ctx.dump.dicts.traces.get(t.code[s as usize]))
                .collect();
            example.sort_unstable();
            example.dedup();
            let ev = Evidence::new(
                format!(
                    "本机构售出的 {n_sold} 个追溯码中 {n_unstocked} 个（{:.0}%）没有入库记录，如 {}；金额 {} 元",
                    share * 100.0,
                    fmt::list(&example, 3, "、"),
                    fmt::money(amount)
                ),
                format!(
                    "{n_unstocked} of the {n_sold} trace codes sold here ({:.0}%) were never taken into stock, e.g. {}; {} yuan",
                    share * 100.0,
                    fmt::list(&example, 3, ", "),
                    fmt::money(amount)
                ),
            );
            hits.push(
                Hit::new(&INFO, Subject::Provider(p), ev)
                    .provider(p)
                    .lines(lines, amount)
                    .severity((INFO.severity + 0.2 * share).min(0.95)),
            );
        }
        hits
    }
}
