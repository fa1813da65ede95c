//! trace_code.missing_share — a provider selling drugs without (valid) trace codes far more
//! often than its peers.

use fundguard_model::{category, Fen, Table, VisitType};

use super::scans::well_formed;
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, RuleInfo};
use crate::rule::Rule;
use crate::rules::peer_outlier::peers::{compare, Measure, Peers, PEER_PARAMS};

pub static INFO: RuleInfo = RuleInfo {
    id: "trace_code.missing_share",
    family: Family::TraceCode,
    baseline: "trace_code (missing or malformed codes)",
    name_zh: "追溯码缺失率离群",
    name_en: "Missing trace codes above peers",
    flags: "A provider whose share of western and patent drug lines (categories 09, 11) of its \
            pharmacy and outpatient settlements (inpatient dispensing is scanned on the ward and \
            rarely in the feed) sold without a well-formed trace code — no scan, or only codes that are not 20 digits (or \
            a GS1 code), or one digit repeated — is far above the share of providers of its type \
            and level. Runs when the dump has drug_traces.",
    why: "Since 2025-07-01 settlement requires the scan. A pharmacy that leaves codes out or types \
          placeholders hides which boxes it sold: the resales, swaps and invented sales the other \
          trace_code rules would find.",
    amount: "The money of the uncovered lines beyond the peer median share.",
    example: "A pharmacy with 60% of its drug lines unscanned where its peers leave 3% out: fires. \
              Herbal pieces (category 10), which carry no codes, are not counted.",
    severity: 0.4,
    needs: &[Table::DrugTraces, Table::Providers],
    rulebase: &[],
    params: &PEER_PARAMS,
};

pub type Params = Peers;

pub fn default_params() -> Peers {
    Peers {
        min_volume: 50,
        ..Peers::share(0.2)
    }
}

pub struct MissingShare(pub Peers);

impl Rule for MissingShare {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let Some(t) = &ctx.dump.traces else {
            return Vec::new();
        };
        // Per line: covered by a sale scan of a well-formed code?
        let mut covered = vec![false; ctx.dump.lines.line_id.len()];
        for i in 0..t.code.len() {
            if t.quantity[i] > 0 && well_formed(ctx.dump.dicts.traces.get(t.code[i])) {
                covered[t.line[i] as usize] = true;
            }
        }
        let l = &ctx.dump.lines;
        compare(
            ctx,
            &INFO,
            &self.0,
            ("无有效追溯码的药品明细占比", "Drug lines without a valid trace code"),
            |x| format!("{:.1}%", x * 100.0),
            |provider, visits| {
                let (mut n, mut missing, mut money) = (0usize, 0usize, Fen::ZERO);
                let counter = visits.iter().copied().filter(|&x| {
                    matches!(ctx.visit_type(x), VisitType::Pharmacy | VisitType::Outpatient)
                });
                let counter: Vec<u32> = counter.collect();
                for line in ctx.live_lines_of(&counter) {
                    let i = line as usize;
                    if !matches!(l.category[i], category::WESTERN_DRUG | category::PATENT_DRUG) {
                        continue;
                    }
                    n += 1;
                    if !covered[i] {
                        missing += 1;
                        money += ctx.money(line);
                    }
                }
                (n > 0).then(|| Measure {
                    provider,
                    value: missing as f64 / n as f64,
                    volume: n,
                    money,
                })
            },
        )
    }
}
