//! excessive_supply.days_supply — one patient supplied with more days of a drug than the days
//! that pass.

use fundguard_model::{NULL_I64, QTY_SCALE, Fen};
use serde::{Deserialize, Serialize};

use crate::rule::ensure;
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "excessive_supply.days_supply",
    family: Family::ExcessiveSupply,
    baseline: "excessive_supply",
    name_zh: "超量开药",
    name_en: "Excessive supply",
    flags: "For one patient and one drug (item code), purchases whose dates fall within \
            `window_days` of the first, at least two: the days supplied (days_supply) exceed \
            `factor` × `window_days`, and exceed `factor` × the days they cover (from the first \
            purchase to the end of the last one's supply). The first test is the baseline; the \
            second keeps an early refill (30 days bought again on day 28) quiet. Lines without \
            days_supply are not counted. Purchases at every provider count together; when they \
            were made at several (跨机构重复开药), the hit names the chain of providers in \
            purchase order and is a little more severe.",
    why: "Drugs bought faster than they can be taken are resold (回流药) or stockpiled on the \
          fund's money; it is the classic pattern of chronic-disease cards used by dealers.",
    amount: "The surplus days' share of the later purchases (the days supplied beyond the days \
             covered), at their prices.",
    example: "30 days of metformin on 03-01, 03-11 and 03-21: 90 days supplied (> 45) for 50 \
              covered (ratio 1.8): fires. Two 20-day supplies 18 days apart (40 days) do not, nor \
              two 30-day supplies 28 days apart (60 days for 58 covered).",
    severity: 0.6,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "window_days",
            doc: "Purchases within this many days of the first are weighed together; their \
                  supply must exceed `factor` times it.",
        },
        ParamDoc {
            name: "factor",
            doc: "Days supplied may be at most this multiple of the days covered.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub window_days: u32,
    pub factor: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            window_days: 30,
            factor: 1.5,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        ensure(self.window_days > 0 && self.factor >= 1.0, || {
            "excessive_supply.days_supply: window_days > 0 and factor >= 1 required".into()
        })
    }
}

pub struct DaysSupply(pub Params);

impl Rule for DaysSupply {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        let window = self.0.window_days as i32;
        let unit = 10i64.pow(QTY_SCALE);
        ctx.per_patient(|patient, visits, out| {
            // (item, day, supplied days scale 4, line)
            let mut buys: Vec<(u32, i32, i64, u32)> = ctx
                .live_lines_of(visits)
                .filter(|&x| l.days_supply[x as usize] != NULL_I64 && l.days_supply[x as usize] > 0)
                .map(|x| (l.item[x as usize], ctx.line_day(x), l.days_supply[x as usize], x))
                .collect();
            if buys.len() < 2 {
                return;
            }
            buys.sort_unstable();
            for run in buys.chunk_by(|a, b| a.0 == b.0) {
                if run.len() < 2 {
                    continue;
                }
                // The window (from each purchase) with the highest supplied/covered ratio.
                let mut best: Option<(f64, usize, usize)> = None;
                for i in 0..run.len() {
                    let mut j = i;
                    while j + 1 < run.len() && run[j + 1].1 - run[i].1 < window {
                        j += 1;
                    }
                    if j == i {
                        continue;
                    }
                    let supplied: i64 = run[i..=j].iter().map(|r| r.2).sum();
                    let covered = i64::from(run[j].1 - run[i].1) * unit + run[j].2;
                    let ratio = supplied as f64 / covered as f64;
                    let beyond_window = supplied as f64 > self.0.factor * f64::from(window) * unit as f64;
                    if beyond_window && ratio > self.0.factor && best.is_none_or(|b| ratio > b.0) {
                        best = Some((ratio, i, j));
                    }
                }
                let Some((ratio, i, j)) = best else {
                    continue;
                };
                let win = &run[i..=j];
                let supplied: i64 = win.iter().map(|r| r.2).sum();
                let covered = i64::from(run[j].1 - run[i].1) * unit + run[j].2;
                // Surplus days, taken from the latest purchases back.
                let mut surplus = supplied - covered;
                let mut amount = Fen::ZERO;
                for r in win[1..].iter().rev() {
                    if surplus <= 0 {
                        break;
                    }
                    let take = surplus.min(r.2);
                    let units = fundguard_model::div_round(
                        i128::from(ctx.net_qty[r.3 as usize]) * i128::from(take),
                        i128::from(r.2),
                    ) as i64;
                    amount += ctx.money_of_units(r.3, units);
                    surplus -= take;
                }
                let lines: Vec<u32> = win.iter().map(|r| r.3).collect();
                let name = ctx.item_label(run[0].0);
                let dates: Vec<String> = win.iter().map(|r| fmt::day(r.1)).collect();
                let last = win[win.len() - 1].3;
                // Across institutions (跨机构重复开药): the chain of providers, in purchase order.
                let mut chain: Vec<u32> = win
                    .iter()
                    .map(|r| v.provider[l.visit[r.3 as usize] as usize])
                    .collect();
                chain.dedup();
                let mut distinct = chain.clone();
                distinct.sort_unstable();
                distinct.dedup();
                let across = if distinct.len() >= 2 {
                    let names: Vec<&str> =
                        chain.iter().map(|&p| ctx.dump.dicts.providers.get(p)).collect();
                    Some((distinct.len(), names.join(" → ")))
                } else {
                    None
                };
                let mut ev = Evidence::new(
                    format!(
                        "{name} 在 {} 天内购药 {} 次（{}），供药 {} 天，仅覆盖 {} 天（{:.1} 倍），超量部分约 {} 元",
                        run[j].1 - run[i].1 + 1,
                        win.len(),
                        fmt::list(&dates, 5, "，"),
                        fmt::qty(supplied),
                        fmt::qty(covered),
                        ratio,
                        fmt::money(amount)
                    ),
                    format!(
                        "{name} bought {} times within {} days ({}): {} days supplied for {} days covered ({:.1}x); about {} yuan of surplus",
                        win.len(),
                        run[j].1 - run[i].1 + 1,
                        fmt::list(&dates, 5, ", "),
                        fmt::qty(supplied),
                        fmt::qty(covered),
                        ratio,
                        fmt::money(amount)
                    ),
                );
                if let Some((n, chain)) = &across {
                    ev.zh.push_str(&format!("；跨 {n} 家机构购药：{chain}"));
                    ev.en.push_str(&format!("; bought at {n} providers: {chain}"));
                }
                // Collecting from several institutions is the dealers' way around one pharmacy's
                // records: a little more severe.
                let across_bonus = if across.is_some() { 0.1 } else { 0.0 };
                let severity = (INFO.severity + across_bonus + 0.2 * (ratio / self.0.factor - 1.0))
                    .min(0.95);
                out.push(
                    Hit::new(&INFO, Subject::Patient(patient), ev)
                        .in_visit(v, l.visit[last as usize])
                        .lines(lines, amount)
                        .severity(severity),
                );
            }
        })
    }
}
