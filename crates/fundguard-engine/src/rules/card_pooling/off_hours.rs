//! card_pooling.off_hours — pharmacy settlements when the pharmacy is closed or in the small hours.

use fundguard_model::{second_of_day, Fen};
use serde::{Deserialize, Serialize};

use super::swipes::{lines_of, swipes};
use crate::rule::ensure;
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "card_pooling.off_hours",
    family: Family::CardPooling,
    baseline: "card_pooling.4",
    name_zh: "非营业时间结算",
    name_en: "Settlements off hours",
    flags: "Pharmacy settlements outside the pharmacy's opening hours (providers.open_time / \
            close_time, when known) or in the night window (by default 00:00-06:00).",
    why: "Nobody buys medicine at a closed pharmacy at 03:00; settlements then are cards being \
          run through the terminal in batches, away from customers' eyes.",
    amount: "Fund and personal-account payments of those settlements.",
    example: "Five settlements between 01:00 and 05:00 on five nights: fires. A purchase ten \
              minutes before closing does not.",
    severity: 0.75,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "night_from",
            doc: "Start of the night window, HH:MM.",
        },
        ParamDoc {
            name: "night_to",
            doc: "End of the night window, HH:MM.",
        },
        ParamDoc {
            name: "grace_minutes",
            doc: "Minutes after closing (and before opening) still counted as open.",
        },
        ParamDoc {
            name: "min_settlements",
            doc: "Off-hours settlements at one pharmacy in the dump to fire.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub night_from: String,
    pub night_to: String,
    pub grace_minutes: u32,
    pub min_settlements: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            night_from: "00:00".into(),
            night_to: "06:00".into(),
            grace_minutes: 15,
            min_settlements: 2,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        for (k, t) in [
            ("night_from", &self.night_from),
            ("night_to", &self.night_to),
        ] {
            ensure(fundguard_model::parse_hhmm(t).is_some(), || {
                format!("rules.card_pooling.off_hours.{k}: `{t}` is not HH:MM")
            })?;
        }
        Ok(())
    }
}

pub struct OffHours(pub Params);

/// Is `minute` (of the day) within `[from, to)`, a span that may wrap past midnight?
fn within(minute: i32, from: i32, to: i32) -> bool {
    if from <= to {
        minute >= from && minute < to
    } else {
        minute >= from || minute < to
    }
}

impl Rule for OffHours {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let v = &ctx.dump.visits;
        let minute_of = |t: &str| fundguard_model::parse_hhmm(t).unwrap_or(0);
        let (night_from, night_to) = (minute_of(&self.0.night_from), minute_of(&self.0.night_to));
        let grace = self.0.grace_minutes as i32;
        ctx.per_provider(|provider, visits, out| {
            let hours = match (&ctx.dump.providers, ctx.institution(provider)) {
                (Some(p), Some(row)) => {
                    let (o, c) = (p.open_minute[row], p.close_minute[row]);
                    (o >= 0 && c >= 0 && o != c).then_some((o, c))
                }
                _ => None,
            };
            let off: Vec<u32> = swipes(ctx, visits)
                .into_iter()
                .filter(|&x| {
                    let m = (second_of_day(v.settle[x as usize]) / 60) as i32;
                    let closed = hours.is_some_and(|(o, c)| {
                        !within(m, (o - grace).rem_euclid(1440), (c + grace).rem_euclid(1440))
                    });
                    closed || within(m, night_from, night_to)
                })
                .collect();
            if off.len() < self.0.min_settlements.max(1) {
                return;
            }
            let amount: Fen = off.iter().map(|&x| ctx.insured_paid(x)).sum();
            let times: Vec<String> = off.iter().map(|&x| fmt::time(v.settle[x as usize])).collect();
            let hours_zh = hours
                .map(|(o, c)| format!("（营业时间 {:02}:{:02}-{:02}:{:02}）", o / 60, o % 60, c / 60, c % 60))
                .unwrap_or_default();
            let hours_en = hours
                .map(|(o, c)| format!(" (open {:02}:{:02}-{:02}:{:02})", o / 60, o % 60, c / 60, c % 60))
                .unwrap_or_default();
            let ev = Evidence::new(
                format!(
                    "{} 笔结算发生在非营业或夜间时段{hours_zh}：{}，统筹及个人账户支付 {} 元",
                    off.len(),
                    fmt::list(&times, 4, "、"),
                    fmt::money(amount)
                ),
                format!(
                    "{} settlements while closed or at night{hours_en}: {}; fund and account paid {} yuan",
                    off.len(),
                    fmt::list(&times, 4, ", "),
                    fmt::money(amount)
                ),
            );
            out.push(
                Hit::new(&INFO, Subject::Provider(provider), ev)
                    .provider(provider)
                    .lines(lines_of(ctx, &off), amount)
                    .severity(INFO.severity + 0.02 * (off.len() as f64).min(10.0)),
            );
        })
    }
}

#[cfg(test)]
mod tests {
    use super::within;

    #[test]
    fn spans_may_wrap_midnight() {
        assert!(within(60, 0, 360));
        assert!(!within(360, 0, 360));
        assert!(within(23 * 60 + 30, 22 * 60, 2 * 60));
        assert!(within(30, 22 * 60, 2 * 60));
        assert!(!within(12 * 60, 22 * 60, 2 * 60));
    }
}
