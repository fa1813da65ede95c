//! What the card_pooling rules share.


use crate::ctx::Ctx;





/// The live pharmacy settlements among a provider's visits (which come by settlement time).
pub(crate) fn swipes(ctx: &Ctx<'_>, visits: &[u32]) -> Vec<u32> {
    visits
        .iter()
        .copied()
        .filter(|&x| ctx.visit_live[x as usize] && ctx.is_pharmacy_visit(x))
        .collect()
}

/// All live lines of some visits.
pub(crate) fn lines_of(ctx: &Ctx<'_>, visits: &[u32]) -> Vec<u32> {
    visits.iter().flat_map(|&x| ctx.live_lines(x)).collect()
}
