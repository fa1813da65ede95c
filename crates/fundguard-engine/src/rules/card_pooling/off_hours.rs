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
            close_time) or, where the hours are unknown, in the night window (by default \
            00:00-06:00). Hours that span the whole day (00:00-23:59, 00:00-24:00) are a 24-hour \
            pharmacy, never closed; a pharmacy with unknown hours that sells at night on many \
            nights of the dump is taken as open at night.",
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
            name: "night_open_share",
            doc: "Hours unknown: a pharmacy with night-window sales on at least this share of the \
                  dump's nights is open at night, and its night sales do not fire.",
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
    pub night_open_share: f64,
    pub min_settlements: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            night_from: "00:00".into(),
            night_to: "06:00".into(),
            grace_minutes: 15,
            night_open_share: 0.5,
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
        ensure((0.0..=1.0).contains(&self.night_open_share), || {
            "rules.card_pooling.off_hours.night_open_share: must be within 0..1".into()
        })
    }
}

/// Minutes of a day.
const DAY_MINUTES: i32 = 1440;

/// Opening hours as `[open, close)` minutes with the grace added, or `None` for a pharmacy that is
/// never closed: its hours (with the grace) span the whole day, as 00:00-23:59 does.
fn open_span(open: i32, close: i32, grace: i32) -> Option<(i32, i32)> {
    let span = (close - open).rem_euclid(DAY_MINUTES);
    let span = if span == 0 { DAY_MINUTES } else { span };
    (span + 2 * grace < DAY_MINUTES - 1).then(|| {
        (
            (open - grace).rem_euclid(DAY_MINUTES),
            (close + grace).rem_euclid(DAY_MINUTES),
        )
    })
}

/// What is known of a pharmacy's hours.
#[derive(Clone, Copy)]
enum Hours {
    /// Open within `[from, to)` (grace included), closed otherwise.
    Known(i32, i32),
    /// Open day and night.
    Always,
    Unknown,
}

pub struct OffHours(pub Params);

/// The minute of the day a visit was settled.
fn settle_minute(ctx: &Ctx<'_>, visit: u32) -> i32 {
    (second_of_day(ctx.dump.visits.settle[visit as usize]) / 60) as i32
}

/// Is `minute` (of the day) within `[from, to)`, a span that may wrap past midnight?
fn within(minute: i32, from: i32, to: i32) -> bool {
    if from <= to {
        minute >= from && minute < to
    } else {
        minute >= from || minute < to
    }
}

impl OffHours {
    /// Hours unknown: does the pharmacy sell in the night window on at least `night_open_share`
    /// of the nights the dump covers?
    fn open_at_night(&self, ctx: &Ctx<'_>, swipes: &[u32], from: i32, to: i32) -> bool {
        let v = &ctx.dump.visits;
        let mut nights: Vec<i32> = swipes
            .iter()
            .filter(|&&x| within(settle_minute(ctx, x), from, to))
            .map(|&x| fundguard_model::day_of(v.settle[x as usize]))
            .collect();
        nights.sort_unstable();
        nights.dedup();
        nights.len() as f64 >= self.0.night_open_share * f64::from(ctx.days_covered())
            && !nights.is_empty()
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
            let recorded = match (&ctx.dump.providers, ctx.institution(provider)) {
                (Some(p), Some(row)) => {
                    let (o, c) = (p.open_minute[row], p.close_minute[row]);
                    (o >= 0 && c >= 0).then_some((o, c))
                }
                _ => None,
            };
            let hours = match recorded {
                Some((o, c)) => open_span(o, c, grace).map_or(Hours::Always, |(f, t)| Hours::Known(f, t)),
                None => Hours::Unknown,
            };
            let all = swipes(ctx, visits);
            let hours = match hours {
                Hours::Unknown if self.open_at_night(ctx, &all, night_from, night_to) => Hours::Always,
                h => h,
            };
            let off: Vec<u32> = all
                .into_iter()
                .filter(|&x| match hours {
                    Hours::Known(from, to) => !within(settle_minute(ctx, x), from, to),
                    Hours::Always => false,
                    Hours::Unknown => within(settle_minute(ctx, x), night_from, night_to),
                })
                .collect();
            if off.len() < self.0.min_settlements.max(1) {
                return;
            }
            let amount: Fen = off.iter().map(|&x| ctx.insured_paid(x)).sum();
            let times: Vec<String> = off.iter().map(|&x| fmt::time(v.settle[x as usize])).collect();
            let hours = recorded;
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
    use super::{open_span, within};

    #[test]
    fn spans_may_wrap_midnight() {
        assert!(within(60, 0, 360));
        assert!(!within(360, 0, 360));
        assert!(within(23 * 60 + 30, 22 * 60, 2 * 60));
        assert!(within(30, 22 * 60, 2 * 60));
        assert!(!within(12 * 60, 22 * 60, 2 * 60));
    }

    #[test]
    fn whole_day_hours_are_never_closed() {
        assert_eq!(open_span(0, 23 * 60 + 59, 15), None);
        assert_eq!(open_span(0, 0, 0), None);
        assert_eq!(open_span(0, 23 * 60 + 59, 0), None);
        assert_eq!(open_span(8 * 60, 22 * 60, 15), Some((465, 1335)));
        assert_eq!(open_span(7 * 60, 2 * 60, 0), Some((420, 120)));
    }
}
