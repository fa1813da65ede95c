//! trace_code.two_drugs — one trace code sold under two different drugs (串换药品).

use fundguard_model::Table;
use rustc_hash::FxHashMap;

use super::scans::{Scans, by_code, more, per_visit_hits};
use crate::ctx::Ctx;
use crate::fmt;
use crate::hit::{Evidence, Hit};
use crate::info::{Family, RuleInfo};
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "trace_code.two_drugs",
    family: Family::TraceCode,
    baseline: "trace_code (one code, two drugs)",
    name_zh: "追溯码药品不符",
    name_en: "Trace code under two drugs",
    flags: "Sales of a trace code under a drug (item code) other than the code's own: the drug it \
            was taken into stock as (drug_stock, when the code is there), else the drug of its \
            first sale.",
    why: "A trace code belongs to one box of one drug. Billed under another drug's code, the \
          sale bills what was not dispensed — usually a dearer drug on a cheaper box (串换药品) — \
          or a code copied from a real box onto a sale that never happened.",
    amount: "Those sales' share of their lines.",
    example: "Code 81234560012345678901 taken in as amlodipine and sold as amlodipine on 03-02, \
              then scanned on 03-09 on a sale of atorvastatin: fires for the 03-09 sale.",
    severity: 0.75,
    needs: &[Table::DrugTraces],
    rulebase: &[],
    params: &[],
};

/// The rule has no parameters.
pub type Params = crate::rule::NoParams;


pub struct TwoDrugs(pub Params);

impl Rule for TwoDrugs {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let Some(t) = &ctx.dump.traces else {
            return Vec::new();
        };
        let sc = Scans::new(ctx, t);
        // The drug each code was taken in as: its earliest stock scan (ties by item code text).
        let mut stocked: FxHashMap<u32, (i64, &str, u32)> = FxHashMap::default();
        if let Some(s) = &ctx.dump.stock {
            for i in 0..s.code.len() {
                let key = (s.time[i], ctx.item_id(s.item[i]), s.item[i]);
                let e = stocked.entry(s.code[i]).or_insert(key);
                if key < *e {
                    *e = key;
                }
            }
        }
        let codes = by_code(ctx, t);
        let money = &codes.money;
        let mut found = Vec::new();
        let mut own_drug: FxHashMap<u32, u32> = FxHashMap::default();
        for scans in codes.groups() {
            let code = t.code[scans[0] as usize];
            let Some(first_sale) = scans.iter().find(|&&s| t.quantity[s as usize] > 0) else {
                continue;
            };
            let drug = stocked
                .get(&code)
                .map_or(sc.item(*first_sale as usize), |e| e.2);
            own_drug.insert(code, drug);
            found.extend(
                scans
                    .iter()
                    .copied()
                    .filter(|&s| t.quantity[s as usize] > 0 && sc.item(s as usize) != drug),
            );
        }
        per_visit_hits(ctx, t, money, &INFO, &found, |s, n, amount| {
            let s = s as usize;
            let code = ctx.dump.dicts.traces.get(t.code[s]);
            let own = ctx.item_label(own_drug[&t.code[s]]);
            let (more_zh, more_en) = more(n);
            Evidence::new(
                format!(
                    "追溯码 {code} 属于 {own}，{} 却作为 {} 结算{more_zh}；金额 {} 元",
                    fmt::time(t.time[s]),
                    ctx.item_label(sc.item(s)),
                    fmt::money(amount)
                ),
                format!(
                    "trace code {code} belongs to {own} but was settled as {} at {}{more_en}; {} yuan",
                    ctx.item_label(sc.item(s)),
                    fmt::time(t.time[s]),
                    fmt::money(amount)
                ),
            )
        })
    }
}
