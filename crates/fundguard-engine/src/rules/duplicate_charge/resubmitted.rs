//! duplicate_charge.resubmitted — one settlement submitted twice.

use fundguard_model::day_of;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::order::by_id;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "duplicate_charge.resubmitted",
    family: Family::DuplicateCharge,
    baseline: "duplicate_charge.5",
    name_zh: "重复结算",
    name_en: "Resubmitted settlement",
    flags: "Two visits of one patient at one provider on the same day with the same total and \
            the same items in the same quantities at the same prices.",
    why: "A settlement submitted twice (a copied bill) is paid twice by the fund; real second \
          visits on one day differ in what they bill.",
    amount: "The later visit's charges.",
    example: "An outpatient visit at 09:10 billing registration, consultation and a blood count, \
              and an identical one at 11:10: fires on the second. A consultation in the morning \
              and an X-ray in the afternoon do not.",
    severity: 0.75,
    needs: &[],
    rulebase: &[],
    params: &[ParamDoc {
        name: "min_lines",
        doc: "Fewest billed lines a visit needs for its copy to count (tiny visits such as a lone \
              registration fee repeat innocently).",
    }],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_lines: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params { min_lines: 2 }
    }
}

pub struct Resubmitted(pub Params);

impl RuleParams for Params {}

impl Rule for Resubmitted {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        ctx.per_patient(|_, visits, out| {
            if visits.len() < 2 {
                return;
            }
            // (provider, day, total, basket, visit) of live visits.
            let mut keyed: Vec<_> = visits
                .iter()
                .copied()
                .filter(|&x| ctx.visit_live[x as usize])
                .filter_map(|x| {
                    let lines: Vec<u32> = ctx.live_lines(x).collect();
                    if lines.len() < self.0.min_lines {
                        return None;
                    }
                    let mut basket: Vec<(u32, i64, i64)> = lines
                        .iter()
                        .map(|&y| {
                            let i = y as usize;
                            (l.item[i], ctx.net_qty[i], l.unit_price[i])
                        })
                        .collect();
                    basket.sort_unstable();
                    let xi = x as usize;
                    Some((
                        v.provider[xi],
                        day_of(v.settle[xi]),
                        ctx.money_sum(&lines),
                        basket,
                        by_id(v.settle[xi], ctx.visit_id(x)),
                        x,
                    ))
                })
                .collect();
            keyed.sort_unstable();
            for group in keyed.chunk_by(|a, b| (a.0, a.1, a.2, &a.3) == (b.0, b.1, b.2, &b.3)) {
                let first = group[0].5;
                for dup in &group[1..] {
                    let visit = dup.5;
                    let lines: Vec<u32> = ctx.live_lines(visit).collect();
                    let amount = dup.2;
                    let ev = Evidence::new(
                        format!(
                            "{} 与同日 {} 的结算（{}）项目、数量、金额完全相同，共 {} 项 {} 元",
                            fmt::time(dup.4 .0),
                            fmt::clock(v.settle[first as usize]),
                            v.visit_id.get(first as usize),
                            lines.len(),
                            fmt::money(amount)
                        ),
                        format!(
                            "The settlement at {} repeats the one at {} the same day ({}) item for item: {} lines, {} yuan",
                            fmt::time(dup.4 .0),
                            fmt::clock(v.settle[first as usize]),
                            v.visit_id.get(first as usize),
                            lines.len(),
                            fmt::money(amount)
                        ),
                    );
                    out.push(
                        Hit::new(&INFO, Subject::Visit(visit), ev)
                            .in_visit(v, visit)
                            .lines(lines, amount),
                    );
                }
            }
        })
    }
}
