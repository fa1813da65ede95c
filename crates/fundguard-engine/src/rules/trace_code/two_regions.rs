//! trace_code.two_regions — one trace code sold in two regions (跨地区回流).

use fundguard_model::{Table, NONE};
use rustc_hash::FxHashMap;

use super::scans::{Scans, by_code, more, per_visit_hits};
use crate::ctx::Ctx;
use crate::fmt;
use crate::hit::{Evidence, Hit};
use crate::info::{Family, RuleInfo};
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "trace_code.two_regions",
    family: Family::TraceCode,
    baseline: "trace_code (one code, two regions)",
    name_zh: "追溯码跨地区销售",
    name_en: "Trace code sold in two regions",
    flags: "Sales of a trace code by providers of a region (providers.region_code) other than the \
            region of its first sale. Returns do not excuse it: a box returned in one district is \
            back on that district's shelf.",
    why: "Bureaus publish cases of one code settled at pharmacies in several cities and provinces: \
          boxes bought on cards in one place, collected and sold again in another (回流药).",
    amount: "Those sales' share of their lines.",
    example: "Code sold in district 110105 on 03-02 and in district 110108 on 03-04: fires for the \
              03-04 sale. Sold twice within 110105 is trace_code.resold's, not this rule's.",
    severity: 0.8,
    needs: &[Table::DrugTraces, Table::Providers],
    rulebase: &[],
    params: &[],
};

/// The rule has no parameters.
pub type Params = crate::rule::NoParams;


pub struct TwoRegions(pub Params);

impl Rule for TwoRegions {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let (Some(t), Some(providers)) = (&ctx.dump.traces, &ctx.dump.providers) else {
            return Vec::new();
        };
        let sc = Scans::new(ctx, t);
        let region = |p: u32| ctx.institution(p).map_or(NONE, |r| providers.region[r]);
        let codes = by_code(ctx, t);
        let money = &codes.money;
        let mut found = Vec::new();
        let mut first_of: FxHashMap<u32, u32> = FxHashMap::default();
        for scans in codes.groups() {
            let mut home = None;
            for &s in scans {
                let i = s as usize;
                let r = region(sc.provider(i));
                if t.quantity[i] <= 0 || r == NONE {
                    continue;
                }
                match home {
                    None => home = Some((r, s)),
                    Some((h, first)) if h != r => {
                        found.push(s);
                        first_of.insert(s, first);
                    }
                    Some(_) => {}
                }
            }
        }
        let name = |p: u32| ctx.dump.dicts.regions.get_opt(region(p)).unwrap_or("-");
        per_visit_hits(ctx, t, money, &INFO, &found, |s, n, amount| {
            let e = first_of[&s] as usize;
            let s = s as usize;
            let code = ctx.dump.dicts.traces.get(t.code[s]);
            let (more_zh, more_en) = more(n);
            Evidence::new(
                format!(
                    "追溯码 {code}（{}）{} 首次在地区 {} 的 {} 售出，{} 又在地区 {} 结算{more_zh}；金额 {} 元",
                    ctx.item_label(sc.item(s)),
                    fmt::time(t.time[e]),
                    name(sc.provider(e)),
                    ctx.provider_id(sc.provider(e)),
                    fmt::time(t.time[s]),
                    name(sc.provider(s)),
                    fmt::money(amount)
                ),
                format!(
                    "trace code {code} ({}) was first sold in region {} by {} at {}, and settled again in region {} at {}{more_en}; {} yuan",
                    ctx.item_label(sc.item(s)),
                    name(sc.provider(e)),
                    ctx.provider_id(sc.provider(e)),
                    fmt::time(t.time[e]),
                    name(sc.provider(s)),
                    fmt::time(t.time[s]),
                    fmt::money(amount)
                ),
            )
        })
    }
}
