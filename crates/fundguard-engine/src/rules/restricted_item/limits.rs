//! What the restricted_item rules share.

use rustc_hash::FxHashMap;

use crate::fmt;
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::RuleInfo;
use fundguard_rulebase::Limit;





/// The rule base's limits of one kind, by this dump's item code: every distinct limit of an item
/// (an item may be limited both by sex and by age); items the dump never bills are left out.
pub(crate) fn restrictions_in_dump<'a>(
    ctx: &'a Ctx<'_>,
    kind: impl Fn(&Limit) -> bool,
) -> FxHashMap<u32, Vec<&'a Limit>> {
    let mut out: FxHashMap<u32, Vec<&Limit>> = FxHashMap::default();
    if let Some(rb) = ctx.rulebase {
        for r in rb.restricted(kind) {
            if let Some(item) = ctx.item_code(&r.code) {
                let e = out.entry(item).or_default();
                if !e.contains(&&r.limit) {
                    e.push(&r.limit);
                }
            }
        }
    }
    out
}

/// The first limit of one kind per item, for kinds where an item has one (course, level …).
pub(crate) fn limits_in_dump<'a>(
    ctx: &'a Ctx<'_>,
    kind: impl Fn(&Limit) -> bool,
) -> FxHashMap<u32, &'a Limit> {
    restrictions_in_dump(ctx, kind)
        .into_iter()
        .map(|(item, limits)| (item, limits[0]))
        .collect()
}

/// One hit per visit whose lines bill restricted items where `broken(visit, limit)` says the
/// visit does not meet the limit (and why, in Chinese and English). Amount: those lines.
pub(crate) fn per_visit_violations(
    ctx: &Ctx<'_>,
    info: &'static RuleInfo,
    limits: &FxHashMap<u32, &Limit>,
    broken: impl Fn(u32, &Limit) -> Option<(String, String)> + Sync,
) -> Vec<Hit> {
    if limits.is_empty() {
        return Vec::new();
    }
    let v = &ctx.dump.visits;
    let l = &ctx.dump.lines;
    ctx.per_visit(|visit, lines, out| {
        let mut found = Vec::new();
        let mut why: Vec<(String, String)> = Vec::new();
        for &x in lines {
            let Some(limit) = limits.get(&l.item[x as usize]) else {
                continue;
            };
            if !ctx.live(x) {
                continue;
            }
            if let Some((zh, en)) = broken(visit, limit) {
                let name = ctx.item_label(l.item[x as usize]);
                let r = (format!("{name}（{zh}）"), format!("{name} ({en})"));
                if !why.contains(&r) {
                    why.push(r);
                }
                found.push(x);
            }
        }
        if found.is_empty() {
            return;
        }
        let amount = ctx.money_sum(&found);
        let zh: Vec<&str> = why.iter().map(|r| r.0.as_str()).collect();
        let en: Vec<&str> = why.iter().map(|r| r.1.as_str()).collect();
        let at = v.admit[visit as usize];
        let p = ctx.provider_id(v.provider[visit as usize]);
        let ev = Evidence::new(
            format!(
                "{} 在 {p} 的就诊中结算了限定支付项目：{}，费用 {} 元",
                fmt::date_of(at),
                fmt::list(&zh, 3, "；"),
                fmt::money(amount)
            ),
            format!(
                "The visit at {p} on {} billed restricted items outside their conditions: {}; {} yuan",
                fmt::date_of(at),
                fmt::list(&en, 3, "; "),
                fmt::money(amount)
            ),
        );
        out.push(
            Hit::new(info, Subject::Visit(visit), ev)
                .in_visit(v, visit)
                .lines(found, amount),
        );
    })
}
