//! peer_outlier.visits_per_patient — a provider whose outpatients come back far more often than
//! its peers' (分解门诊、诱导重复就诊、虚记就诊人次).

use fundguard_model::{Fen, VisitType};

use super::peers::{hit_with_amount, outliers, Measure, Peers, PEER_PARAMS};
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, RuleInfo};
use crate::rule::Rule;

pub static INFO: RuleInfo = RuleInfo {
    id: "peer_outlier.visits_per_patient",
    family: Family::PeerOutlier,
    baseline: "peer_outlier (outpatient visits per patient)",
    name_zh: "门诊人次人头比离群",
    name_en: "Outpatient visits per patient above peers",
    flags: "A hospital or clinic whose live outpatient visits per distinct outpatient of the \
            month are far above its peers' (same type and level, or derived from the claims). \
            Volume is the number of distinct outpatients. It needs no table beyond visits and \
            lines, so it runs on claims-only files.",
    why: "One illness split into several visits bills a registration and consultation each time \
          (分解门诊); patients called back without need, or visits that never happened, raise the \
          visits per patient without raising the patients.",
    amount: "The money of its patients' return visits (every visit after a patient's first \
             there) beyond the peer median: returns × (value − median) / (value − 1).",
    example: "A community clinic whose 180 outpatients made 720 visits (4.0 each) where its peers' \
              patients come 1.3 times: fires.",
    severity: 0.4,
    needs: &[],
    rulebase: &[],
    params: &PEER_PARAMS,
};

/// The peer comparison's thresholds.
pub type Params = Peers;

/// Defaults (docs/curves, tuning.rs): the generator's honest providers sit within 0.05 visits per
/// patient of their peers and its follow-up look-alike 0.25 above; a provider must exceed its
/// peers by half a visit per patient.
pub(crate) fn default_params() -> Peers {
    Peers {
        min_difference: 0.5,
        ..Peers::default()
    }
}

pub struct VisitsPerPatient(pub Peers);

impl Rule for VisitsPerPatient {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        use rayon::prelude::*;
        let v = &ctx.dump.visits;
        // Per provider: visits per patient, and the money of every patient's visits after his
        // first there (the return visits the excess is made of).
        let measured: Vec<(Measure, Fen)> = (0..ctx.provider_visits.keys() as u32)
            .into_par_iter()
            .filter_map(|provider| {
                // (patient, settlement order) of the live outpatient visits.
                let mut seen: Vec<(u32, usize, u32)> = ctx
                    .provider_visits
                    .get(provider)
                    .iter()
                    .enumerate()
                    .filter(|&(_, &x)| {
                        ctx.visit_live[x as usize] && ctx.visit_type(x) == VisitType::Outpatient
                    })
                    .map(|(k, &x)| (v.patient[x as usize], k, x))
                    .collect();
                if seen.is_empty() {
                    return None;
                }
                seen.sort_unstable();
                let (mut patients, mut money, mut returns) = (0usize, Fen::ZERO, Fen::ZERO);
                for (k, &(patient, _, x)) in seen.iter().enumerate() {
                    let m = ctx.visit_money(x);
                    money += m;
                    if k == 0 || seen[k - 1].0 != patient {
                        patients += 1;
                    } else {
                        returns += m;
                    }
                }
                Some((
                    Measure {
                        provider,
                        value: seen.len() as f64 / patients as f64,
                        volume: patients,
                        money,
                    },
                    returns,
                ))
            })
            .collect();
        let returns: std::collections::BTreeMap<u32, Fen> =
            measured.iter().map(|(m, r)| (m.provider, *r)).collect();
        let measures = measured.into_iter().map(|(m, _)| m).collect();
        outliers(ctx, INFO.id, measures, &self.0)
            .into_iter()
            .map(|o| {
                // Return visits beyond the peer median's: (value − median) of the (value − 1)
                // returns per patient.
                let share = ((o.m.value - o.median) / (o.m.value - 1.0).max(1e-9)).clamp(0.0, 1.0);
                let amount = returns[&o.m.provider].mul_share(share);
                hit_with_amount(
                    ctx,
                    &INFO,
                    o,
                    ("门诊人次人头比", "Outpatient visits per patient"),
                    |x| format!("{x:.2}"),
                    amount,
                )
            })
            .collect()
    }
}
