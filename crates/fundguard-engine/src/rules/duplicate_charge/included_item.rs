//! duplicate_charge.included_item — a sub item billed within the window of a main item that
//! includes it (national batch 7).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleBaseNeed, RuleInfo};
use fundguard_rulebase::Window;
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "duplicate_charge.included_item",
    family: Family::DuplicateCharge,
    baseline: "duplicate_charge.3",
    name_zh: "打包项目重复收费",
    name_en: "Item already included in another",
    flags: "A sub item billed to a patient at the same provider within the window of a main item \
            whose price includes it, per the national duplicate-charge pairs (batch 7): 单日 the \
            same day, 单次就诊 the same visit, 6小时 within six hours, 同一小时 the same clock hour.",
    why: "The main item's price already pays for the sub item (emergency monitoring includes the \
          bed, consultation and nursing); billing both charges the fund twice for one service.",
    amount: "The sub item lines.",
    example: "急诊监护费 and 普通病房床位费 on 03-05 in one stay fire for the bed fee. Monitoring \
              in the emergency room on 03-04 and a bed fee from admission on 03-05 do not.",
    severity: 0.6,
    needs: &[],
    rulebase: &[RuleBaseNeed::Required("b7_item_duplicate_pairs")],
    params: &[ParamDoc {
        name: "same_provider",
        doc: "Only pair lines billed by the same provider.",
    }],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub same_provider: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            same_provider: true,
        }
    }
}

pub struct IncludedItem(pub Params);

impl RuleParams for Params {}

impl Rule for IncludedItem {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let Some(pairs) = ctx.rulebase.and_then(|rb| rb.duplicate_pairs.as_ref()) else {
            return Vec::new();
        };
        // sub item -> [(main item, window)], for pairs whose both items occur in the dump.
        let mut by_sub: FxHashMap<u32, Vec<(u32, Window)>> = FxHashMap::default();
        let mut involved = vec![false; ctx.dump.dicts.items.len()];
        for p in pairs {
            if let (Some(main), Some(sub)) = (ctx.item_code(&p.main), ctx.item_code(&p.sub)) {
                if main != sub {
                    by_sub.entry(sub).or_default().push((main, p.window));
                    involved[main as usize] = true;
                    involved[sub as usize] = true;
                }
            }
        }
        if by_sub.is_empty() {
            return Vec::new();
        }
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        ctx.per_patient(|_, visits, out| {
            let lines: Vec<u32> = ctx.live_lines_of(visits)
                .filter(|&x| involved[l.item[x as usize] as usize])
                .collect();
            if lines.len() < 2 {
                return;
            }
            let mut flagged: FxHashMap<u32, (Vec<u32>, Vec<(u32, u32, Window)>)> =
                FxHashMap::default();
            for &s in &lines {
                let si = s as usize;
                let Some(mains) = by_sub.get(&l.item[si]) else {
                    continue;
                };
                let hit = lines.iter().find_map(|&m| {
                    let mi = m as usize;
                    let (vs, vm) = (l.visit[si] as usize, l.visit[mi] as usize);
                    if m == s || (self.0.same_provider && v.provider[vs] != v.provider[vm]) {
                        return None;
                    }
                    let (ts, tm) = (l.charge_time[si], l.charge_time[mi]);
                    mains
                        .iter()
                        .find(|(main, w)| {
                            *main == l.item[mi]
                                && match w {
                                    Window::SameDay => ctx.line_day(s) == ctx.line_day(m),
                                    Window::SameVisit => vs == vm,
                                    Window::SixHours => (ts - tm).abs() <= 6 * 3600,
                                    Window::SameHour => ts.div_euclid(3600) == tm.div_euclid(3600),
                                }
                        })
                        .map(|&(main, w)| (main, w))
                });
                if let Some((main, w)) = hit {
                    let e = flagged.entry(l.visit[si]).or_default();
                    e.0.push(s);
                    if !e.1.iter().any(|p| p.0 == main && p.1 == l.item[si]) {
                        e.1.push((main, l.item[si], w));
                    }
                }
            }
            let mut found: Vec<_> = flagged.into_iter().collect();
            found.sort_unstable_by_key(|(visit, _)| *visit);
            for (visit, (subs, what)) in found {
                let amount = ctx.money_sum(&subs);
                let zh: Vec<String> = what
                    .iter()
                    .map(|(m, s, w)| {
                        format!("{} 已含 {}（{}）", ctx.item_label(*m), ctx.item_label(*s), w.zh())
                    })
                    .collect();
                let en: Vec<String> = what
                    .iter()
                    .map(|(m, s, w)| {
                        format!(
                            "{} includes {} (within {})",
                            ctx.item_label(*m),
                            ctx.item_label(*s),
                            w.en()
                        )
                    })
                    .collect();
                let day = fmt::date_of(l.charge_time[subs[0] as usize]);
                let ev = Evidence::new(
                    format!(
                        "{day} 起 {} 条被包含项目另行收费：{}，金额 {} 元",
                        subs.len(),
                        fmt::list(&zh, 3, "；"),
                        fmt::money(amount)
                    ),
                    format!(
                        "From {day}, {} lines billed although included in another item: {}; {} yuan",
                        subs.len(),
                        fmt::list(&en, 3, "; "),
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Visit(visit), ev)
                        .in_visit(v, visit)
                        .lines(subs, amount),
                );
            }
        })
    }
}
