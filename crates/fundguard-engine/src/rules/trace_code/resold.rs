//! trace_code.resold — one box's trace code sold more than once (回流药, fake sales).

use fundguard_model::Table;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::scans::{Scans, by_code, more, per_visit_hits};
use crate::ctx::Ctx;
use crate::fmt;
use crate::hit::{Evidence, Hit};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::rule::{ensure, Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "trace_code.resold",
    family: Family::TraceCode,
    baseline: "trace_code (one code sold twice)",
    name_zh: "追溯码重复销售",
    name_en: "Trace code sold twice",
    flags: "A drug box's trace code (追溯码) sold again while its earlier sale stands: at another \
            provider, or twice in one settlement, or — at the same provider — for at least \
            `min_same_provider_codes` codes in the period. A return of the code (negative \
            quantity) ends the earlier sale, so the next sale is honest; the sales of a split \
            pack (拆零, `split_pack`) at one provider are one box. A row repeating a scan exactly \
            (an upload sent twice) counts once.",
    why: "One box can be sold once. A code that comes back is a box bought on a card, sold on to \
          a recycler and sold again (回流药) — the fund pays for it twice — or a sale that never \
          happened, billed with a code copied from a real one.",
    amount: "The sales beyond the first: each resale scan's share of its line (the line's money \
             split among the line's scans by quantity).",
    example: "Code 81234560012345678901 sold by pharmacy Y1 on 03-02 to P1, and by pharmacy Y2 on \
              03-05 to P2: fires at Y2 for the second sale. Sold on 03-02, returned on 03-03 and \
              sold again on 03-04 by the same pharmacy: quiet.",
    severity: 0.8,
    needs: &[Table::DrugTraces],
    rulebase: &[],
    params: &[ParamDoc {
        name: "min_same_provider_codes",
        doc: "Resold codes a provider must have sold twice itself (no return in between) before \
              those count: one or two are an unscanned return, not a habit.",
    }],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_same_provider_codes: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_same_provider_codes: 3,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(self.min_same_provider_codes >= 1, || {
            format!("{rule}: min_same_provider_codes must be at least 1")
        })
    }
}

pub struct Resold(pub Params);

/// One resale: the scan, and the standing sale it repeats.
struct Resale {
    scan: u32,
    earlier: u32,
    same_provider: bool,
}

impl Rule for Resold {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let Some(t) = &ctx.dump.traces else {
            return Vec::new();
        };
        let sc = Scans::new(ctx, t);
        let codes = by_code(ctx, t);
        let money = &codes.money;
        let mut resales: Vec<Resale> = Vec::new();
        for scans in codes.groups() {
            // The sale standing for this box, if any.
            let mut standing: Option<u32> = None;
            for &s in scans {
                let i = s as usize;
                if t.quantity[i] < 0 {
                    standing = None;
                    continue;
                }
                if let Some(e) = standing {
                    let j = e as usize;
                    let same_provider = sc.provider(i) == sc.provider(j);
                    let same_pack = t.split_pack[i] && t.split_pack[j] && same_provider;
                    if !same_pack {
                        resales.push(Resale {
                            scan: s,
                            earlier: e,
                            same_provider: same_provider && sc.visit(i) != sc.visit(j),
                        });
                    }
                }
                standing = Some(s);
            }
        }
        // Same-provider repeats count for providers with enough of them.
        let mut own: FxHashMap<u32, usize> = FxHashMap::default();
        for r in resales.iter().filter(|r| r.same_provider) {
            *own.entry(sc.provider(r.scan as usize)).or_default() += 1;
        }
        // The month's count (an out-of-core partition holds some of a provider's codes).
        let own: FxHashMap<u32, usize> = own
            .into_iter()
            .map(|(p, n)| {
                let key = format!("{}|own|{}", INFO.id, ctx.provider_id(p));
                (p, ctx.total(&key, n as i128) as usize)
            })
            .collect();
        resales.retain(|r| {
            !r.same_provider || own[&sc.provider(r.scan as usize)] >= self.0.min_same_provider_codes
        });
        let earlier: FxHashMap<u32, u32> = resales.iter().map(|r| (r.scan, r.earlier)).collect();
        let found: Vec<u32> = resales.iter().map(|r| r.scan).collect();
        per_visit_hits(ctx, t, money, &INFO, &found, |s, n, amount| {
            let e = earlier[&s] as usize;
            let s = s as usize;
            let code = ctx.dump.dicts.traces.get(t.code[s]);
            let (p_then, who_then) = (
                ctx.provider_id(sc.provider(e)),
                ctx.dump.dicts.patients.get_opt(sc.patient(e)).unwrap_or("-"),
            );
            let (more_zh, more_en) = more(n);
            Evidence::new(
                format!(
                    "追溯码 {code}（{}）已于 {} 在 {p_then} 售出（参保人 {who_then}），{} 又在本机构结算{more_zh}；重复销售金额 {} 元",
                    ctx.item_label(sc.item(s)),
                    fmt::time(t.time[e]),
                    fmt::time(t.time[s]),
                    fmt::money(amount)
                ),
                format!(
                    "trace code {code} ({}) was sold by {p_then} at {} (insured {who_then}) and settled again here at {}{more_en}; {} yuan resold",
                    ctx.item_label(sc.item(s)),
                    fmt::time(t.time[e]),
                    fmt::time(t.time[s]),
                    fmt::money(amount)
                ),
            )
        })
    }
}