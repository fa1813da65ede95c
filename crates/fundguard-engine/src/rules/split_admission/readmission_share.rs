//! split_admission.readmission_share — a hospital readmitting, far more often than its peers, the
//! patients it has just discharged, whatever the diagnosis (分解住院 disguised by a new diagnosis).

use fundguard_model::{day_of, Fen, NONE, NULL_TIME};
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::icd;
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::rule::{ensure, Rule, RuleParams};
use crate::rules::peer_outlier::peers::{binomial_tail, hit, outliers, Measure, Peers};

pub static INFO: RuleInfo = RuleInfo {
    id: "split_admission.readmission_share",
    family: Family::SplitAdmission,
    baseline: "split_admission (share of discharges readmitted)",
    name_zh: "再入院率离群",
    name_en: "Readmission share above peers",
    flags: "A hospital whose share of discharges followed by a readmission of the same patient \
            there within `max_gap_days` days — with any main diagnosis — is far above its peers' \
            (same type and level, or derived from the claims). Planned repeat admissions \
            (`planned` prefixes on either stay: chemotherapy cycles Z51, dialysis Z49) do not \
            count. Volume is the hospital's discharges in the dump. Readmissions are counts, \
            and a small hospital's few discharges make a share jump: the count must also be \
            improbable under the peers' median share (at least `min_rate`), its binomial upper \
            tail at most `peers.max_p`. It needs only visits, so it runs on claims-only files.",
    why: "`split_admission.readmission` catches one illness billed as two stays when both carry \
          its diagnosis; a hospital that splits stays as a habit changes the diagnosis of the \
          second one. What it cannot change is how often its patients come back: a readmission \
          share far above its peers' is the pattern inspectors check (再入院率).",
    amount: "What the fund paid for its readmissions beyond the peer median share.",
    example: "A 二级 hospital readmitting 60 of its 300 discharged patients within 15 days, most \
              with another diagnosis (peers: 3%): fires. An oncology ward readmitting a third of \
              its patients for the next chemotherapy cycle (Z51.1): quiet.",
    severity: 0.5,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "max_gap_days",
            doc: "Most calendar days from the discharge day to the readmission day.",
        },
        ParamDoc {
            name: "planned",
            doc: "Main-diagnosis prefixes of planned repeat admissions, on either stay.",
        },
        ParamDoc {
            name: "min_rate",
            doc: "Least readmission share the binomial test expects of any hospital (peers whose \
                  median is 0 do not make every readmission improbable).",
        },
        ParamDoc {
            name: "peers",
            doc: "The peer comparison (`min_peers`, `min_volume` discharges, `min_z`, `max_p`, \
                  `min_spread`, `min_difference` in share points), as for the peer_outlier rules.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub max_gap_days: i32,
    pub planned: Vec<String>,
    pub min_rate: f64,
    pub peers: Peers,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_gap_days: 15,
            planned: vec!["Z51".into(), "Z49".into()],
            min_rate: 0.03,
            // docs/curves (tuning.rs).
            peers: Peers::share(0.05),
        }
    }
}

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(
            self.max_gap_days >= 0
                && self.planned.iter().all(|p| !p.is_empty())
                && (0.0..1.0).contains(&self.min_rate),
            || {
                format!(
                    "{rule}: need max_gap_days >= 0, non-empty planned prefixes and 0 <= \
                     min_rate < 1"
                )
            },
        )?;
        self.peers.check(rule)
    }
}

pub struct ReadmissionShare(pub Params);

impl Rule for ReadmissionShare {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        use rayon::prelude::*;
        let p = &self.0;
        let v = &ctx.dump.visits;
        let planned = ctx.diagnoses_matching(&p.planned);
        let is_planned = |s: u32| {
            let d = v.main_diag[s as usize];
            d != NONE && planned[d as usize]
        };
        let category = |s: u32| {
            ctx.dump
                .dicts
                .diagnoses
                .get_opt(v.main_diag[s as usize])
                .map(icd::category)
        };
        // Per patient: (provider, was a discharge, was readmitted, readmission fund, same
        // diagnosis category) of each finished stay, by admission.
        let per_patient: Vec<Vec<(u32, bool, Fen, bool)>> = (0..ctx.patient_visits.keys() as u32)
            .into_par_iter()
            .map(|patient| {
                let stays: Vec<u32> = ctx.stays(ctx.patient_visits.get(patient)).collect();
                let mut out = Vec::new();
                for (k, &s) in stays.iter().enumerate() {
                    let i = s as usize;
                    if v.discharge[i] == NULL_TIME || is_planned(s) {
                        continue;
                    }
                    // The next stay there after this discharge.
                    let next = stays[k + 1..].iter().copied().find(|&n| {
                        v.provider[n as usize] == v.provider[i] && v.admit[n as usize] >= v.discharge[i]
                    });
                    let readmitted = next.filter(|&n| {
                        let gap = day_of(v.admit[n as usize]) - day_of(v.discharge[i]);
                        gap <= p.max_gap_days && !is_planned(n)
                    });
                    out.push(match readmitted {
                        Some(n) => (
                            v.provider[i],
                            true,
                            Fen(v.fund_paid[n as usize]),
                            category(n) == category(s),
                        ),
                        None => (v.provider[i], false, Fen::ZERO, false),
                    });
                }
                out
            })
            .collect();
        // Per provider: discharges, readmissions, their fund, those with the same diagnosis.
        let n = ctx.provider_visits.keys();
        let mut tally = vec![(0usize, 0usize, Fen::ZERO, 0usize); n];
        for (provider, readmitted, fund, same) in per_patient.into_iter().flatten() {
            let t = &mut tally[provider as usize];
            t.0 += 1;
            if readmitted {
                t.1 += 1;
                t.2 += fund;
                t.3 += usize::from(same);
            }
        }
        let measures: Vec<Measure> = tally
            .iter()
            .enumerate()
            .filter(|(_, t)| t.0 > 0)
            .map(|(provider, t)| Measure {
                provider: provider as u32,
                value: t.1 as f64 / t.0 as f64,
                volume: t.0,
                money: t.2,
            })
            .collect();
        outliers(ctx, INFO.id, measures, &p.peers)
            .into_iter()
            .filter_map(|o| {
                let (discharges, readmitted, _, same) = tally[o.m.provider as usize];
                // The count's upper tail under the expected share.
                let expected = o.median.max(p.min_rate);
                let tail = binomial_tail(readmitted, discharges, expected);
                if tail > p.peers.max_p {
                    return None;
                }
                let z_tail = o.p;
                let mut h = hit(
                    ctx,
                    &INFO,
                    o,
                    ("出院后再入院率", "Share of discharges readmitted"),
                    |x| format!("{:.1}%", x * 100.0),
                );
                h.evidence.zh.push_str(&format!(
                    "；{discharges} 次出院中 {readmitted} 次在 {} 天内再次入院（按 {:.1}% 计二项尾概率 {tail:.1e}），其中同一诊断 {same} 次",
                    p.max_gap_days,
                    expected * 100.0
                ));
                h.evidence.en.push_str(&format!(
                    "; {readmitted} of {discharges} discharges readmitted within {} days (binomial \
                     tail {tail:.1e} at {:.1}%), {same} of them with the same diagnosis",
                    p.max_gap_days,
                    expected * 100.0
                ));
                // The less improbable of the two tails: both must hold.
                Some(h.p(z_tail.max(tail)))
            })
            .collect()
    }
}
