//! card_pooling.two_places — one card at two providers with no time to travel between them.

use fundguard_model::{VisitType, NONE};
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::order::by_id;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "card_pooling.two_places",
    family: Family::CardPooling,
    baseline: "card_pooling.5",
    name_zh: "一卡异地短时结算",
    name_en: "One card, two places",
    flags: "One card used at two different pharmacies with less time between settling at the \
            first and at the second than travel takes: \
            `same_region_minutes` within one region, `other_region_minutes` across regions \
            (provider regions from the providers table; unknown counts as the same region). Pairs \
            involving a hospital or clinic visit are reported once, by \
            impersonation.simultaneous.",
    why: "A card cannot travel across the city in minutes; someone other than the holder is \
          using it, or it was swiped without the holder (pooled).",
    amount: "Fund and personal-account payments of the second settlement.",
    example: "Pharmacy A in district 110101 at 10:05 and pharmacy B in district 110108 at 10:17: \
              fires. The same two pharmacies five hours apart do not.",
    severity: 0.7,
    needs: &[],
    rulebase: &[],
    params: &PARAMS,
};

/// The parameters of this rule and of impersonation.simultaneous, which shares them.
pub(crate) const PARAMS: [ParamDoc; 2] = [
    ParamDoc {
        name: "same_region_minutes",
        doc: "Least plausible time between two providers of one region.",
    },
    ParamDoc {
        name: "other_region_minutes",
        doc: "Least plausible time between providers of different regions.",
    },
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub same_region_minutes: u32,
    pub other_region_minutes: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            same_region_minutes: 10,
            other_region_minutes: 45,
        }
    }
}

pub struct TwoPlaces(pub Params);

impl RuleParams for Params {}

impl Rule for TwoPlaces {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        too_close(ctx, &self.0, &INFO, |a, b| {
            ctx.is_pharmacy_visit(a) && ctx.is_pharmacy_visit(b)
        })
    }
}

/// Hits of `info` for consecutive settlements of one card (outpatient, pharmacy or other visits,
/// by settlement time) at two providers with too little time between them, among the pairs
/// `keep(earlier, later)` accepts. card_pooling.two_places keeps pairs of pharmacy purchases and
/// impersonation.simultaneous the others, so every pair is reported once.
pub(crate) fn too_close(
    ctx: &Ctx<'_>,
    params: &Params,
    info: &'static RuleInfo,
    keep: impl Fn(u32, u32) -> bool + Sync,
) -> Vec<Hit> {
    let v = &ctx.dump.visits;
    let region = |p: u32| match (&ctx.dump.providers, ctx.institution(p)) {
        (Some(t), Some(row)) => t.region[row],
        _ => NONE,
    };
    ctx.per_patient(|patient, visits, out| {
        let mut used: Vec<u32> = visits
            .iter()
            .copied()
            .filter(|&x| ctx.visit_live[x as usize] && ctx.visit_type(x) != VisitType::Inpatient)
            .collect();
        if used.len() < 2 {
            return;
        }
        used.sort_by_key(|&x| by_id(v.settle[x as usize], ctx.visit_id(x)));
        for w in used.windows(2) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            if v.provider[a] == v.provider[b] || !keep(w[0], w[1]) {
                continue;
            }
            let (ra, rb) = (region(v.provider[a]), region(v.provider[b]));
            let same = ra == NONE || rb == NONE || ra == rb;
            let need = i64::from(if same {
                params.same_region_minutes
            } else {
                params.other_region_minutes
            }) * 60;
            let gap = v.admit[b].min(v.settle[b]) - v.settle[a];
            if gap >= need {
                continue;
            }
            let amount = ctx.insured_paid(w[1]);
            let minutes = gap.max(0) / 60;
            let (pa, pb) = (ctx.provider_id(v.provider[a]), ctx.provider_id(v.provider[b]));
            let ev = Evidence::new(
                format!(
                    "同一社保卡 {} 在 {pa} 结算后 {minutes} 分钟于 {} 在 {pb} 结算{}，统筹及个人账户支付 {} 元",
                    fmt::time(v.settle[a]),
                    fmt::clock(v.settle[b]),
                    if same { "" } else { "（跨区）" },
                    fmt::money(amount)
                ),
                format!(
                    "The card settled at {pa} at {} and {minutes} minutes later at {pb}{} at {}; fund and account paid {} yuan",
                    fmt::time(v.settle[a]),
                    if same { "" } else { " in another district" },
                    fmt::clock(v.settle[b]),
                    fmt::money(amount)
                ),
            );
            let lines: Vec<u32> = ctx.live_lines(w[1]).collect();
            out.push(
                Hit::new(info, Subject::Patient(patient), ev)
                    .in_visit(v, w[1])
                    .lines(lines, amount),
            );
        }
    })
}
