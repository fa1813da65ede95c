//! impersonation.simultaneous — one card at two providers at once, at least one of them a
//! hospital or clinic.

use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, RuleInfo};
pub use crate::rules::card_pooling::two_places::Params;
use crate::rules::card_pooling::two_places::{too_close, PARAMS};
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "impersonation.simultaneous",
    family: Family::Impersonation,
    baseline: "impersonation.3",
    name_zh: "同一卡同时多处就医",
    name_en: "One card, two providers at once",
    flags: "Consecutive outpatient (or other non-inpatient) settlements of one card at two \
            providers with less time between them than travel takes, where at least one is a \
            hospital or clinic visit. Pairs of pharmacy purchases are card_pooling.two_places; \
            each pair is reported once, by one of the two rules.",
    why: "A person cannot see two doctors in two places at once: the card is lent or borrowed \
          (冒名就医).",
    amount: "Fund and personal-account payments of the second settlement.",
    example: "Outpatient visit at hospital A settled 09:40, outpatient visit at hospital B in \
              another district begins 09:50: fires. The same visits four hours apart do not.",
    severity: 0.7,
    needs: &[],
    rulebase: &[],
    params: &PARAMS,
};

pub struct Simultaneous(pub Params);

impl Rule for Simultaneous {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        too_close(ctx, &self.0, &INFO, |a, b| {
            !(ctx.is_pharmacy_visit(a) && ctx.is_pharmacy_visit(b))
        })
    }
}
