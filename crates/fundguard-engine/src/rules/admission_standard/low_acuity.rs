//! admission_standard.low_acuity — a hospital admitting, far more often than its peers, patients
//! whose illness is treated at the outpatient desk elsewhere: short, cheap stays with an
//! outpatient-treatable main diagnosis (诱导住院 / 降低住院标准).

use fundguard_model::{category, day_of, Fen, NONE, NULL_TIME};
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::rule::{ensure, Rule, RuleParams};
use crate::rules::peer_outlier::peers::{hit, outliers, stay_shares, Peers};
use crate::stats::median;

pub static INFO: RuleInfo = RuleInfo {
    id: "admission_standard.low_acuity",
    family: Family::AdmissionStandard,
    baseline: "admission_standard (short cheap stays of outpatient diagnoses)",
    name_zh: "低标准入院占比离群",
    name_en: "Admissions below the standard above peers",
    flags: "A hospital whose share of low-acuity stays is far above the share at hospitals of the \
            same type and level. A stay is low-acuity when it is whole in the dump (finished, \
            billed from its admission day), lasts at most `max_nights` nights, bills no operation \
            (category 06), costs at most `max_cost_ratio` of the median whole stay, and its main \
            diagnosis starts with one of `diagnoses` \
            (conditions treated as outpatients: colds, gastritis, uncomplicated hypertension or \
            diabetes, back pain, check-ups …). The hit names the densest run of such admissions \
            (most admitted within `burst_days` days).",
    why: "Admitting patients the standard says to treat as outpatients — often lured by waived \
          co-payments, free meals or gifts — bills a stay's bed, nursing and tests to the fund \
          (诱导住院、降低入院标准, the campaign's \"不准以减免自付费用等方式诱导住院\").",
    amount: "What the fund paid for the hospital's low-acuity stays beyond the peer median share.",
    example: "A 一级 hospital where 46% of the stays are two-night stays for colds and gastritis \
              (peers' median 3%), 31 of them admitted within three days: fires. A hospital with \
              the same diagnoses kept five nights with imaging and infusions: quiet.",
    severity: 0.5,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "max_nights",
            doc: "Longest stay (nights between the admission and discharge days) that counts as \
                  short.",
        },
        ParamDoc {
            name: "max_cost_ratio",
            doc: "Most a short stay may cost, as a share of the median cost of the dump's whole \
                  stays (finished, billed from the admission day), to count as cheap.",
        },
        ParamDoc {
            name: "diagnoses",
            doc: "Main-diagnosis prefixes (ICD-10 医保版; `E11.9` matches `E11.900`) of conditions \
                  treatable as outpatients.",
        },
        ParamDoc {
            name: "burst_days",
            doc: "Window, in days, of the densest run of low-acuity admissions the evidence \
                  reports.",
        },
        ParamDoc {
            name: "peers",
            doc: "The peer comparison (`min_peers`, `min_volume` stays, `min_z`, `max_p`, \
                  `min_spread`, `min_difference` in share points), as for the peer_outlier rules.",
        },
    ],
};

/// Conditions the campaigns name as treatable as outpatients: acute upper respiratory infections,
/// pharyngitis, tonsillitis, acute bronchitis, gastritis and dyspepsia, gastroenteritis,
/// uncomplicated hypertension and type 2 diabetes, back and neck pain, headache, dizziness,
/// conjunctivitis, dermatitis, and admissions for a check-up (体检式住院).
const OUTPATIENT_TREATABLE: &[&str] = &[
    "J00", "J02", "J03", "J06", "J20", "J40", "K29", "K30", "K52", "A09", "I10", "E11.9", "M54",
    "M47", "R51", "R42", "G44", "H10", "L30", "Z00", "Z01",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub max_nights: i32,
    pub max_cost_ratio: f64,
    pub diagnoses: Vec<String>,
    pub burst_days: i32,
    pub peers: Peers,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            max_nights: 3,
            // docs/curves: at 0.6 stays of three nights with a CT fall out; 0.8 keeps them.
            max_cost_ratio: 0.8,
            diagnoses: OUTPATIENT_TREATABLE.iter().map(|d| (*d).to_string()).collect(),
            burst_days: 3,
            // docs/curves (tuning.rs): no honest hospital is flagged even at 3 points; 10 points
            // leave room for a real month's case-mix differences between peers.
            peers: Peers::share(0.1),
        }
    }
}

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(
            self.max_nights >= 0
                && self.max_cost_ratio > 0.0
                && self.burst_days >= 1
                && self.diagnoses.iter().all(|d| d.len() >= 3),
            || {
                format!(
                    "{rule}: need max_nights >= 0, max_cost_ratio > 0, burst_days >= 1 and \
                     diagnosis prefixes of at least 3 characters"
                )
            },
        )?;
        self.peers.check(rule)
    }
}

pub struct LowAcuity(pub Params);

/// The most of `days` (sorted) within any `window` consecutive days, and the first of those days.
pub(crate) fn densest(days: &[i32], window: i32) -> (usize, i32) {
    let (mut best, mut from, mut start) = (0, 0, 0);
    for (end, &d) in days.iter().enumerate() {
        while d - days[start] >= window {
            start += 1;
        }
        if end + 1 - start > best {
            best = end + 1 - start;
            from = days[start];
        }
    }
    (best, from)
}

impl Rule for LowAcuity {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let p = &self.0;
        let v = &ctx.dump.visits;
        let l = &ctx.dump.lines;
        // Per stay: its live money, whether it bills an operation, and whether it is whole in
        // the dump (finished, and billed from its admission day: a stay admitted before the
        // month keeps only the month's lines).
        let cost: Vec<(u32, Fen, bool, bool)> = ctx
            .all_stays()
            .map(|s| {
                let (mut money, mut surgery, mut first) = (Fen::ZERO, false, i32::MAX);
                for x in ctx.live_lines(s) {
                    money += ctx.money(x);
                    surgery |= l.category[x as usize] == category::SURGERY;
                    first = first.min(ctx.line_day(x));
                }
                let i = s as usize;
                let whole = v.discharge[i] != NULL_TIME && first <= day_of(v.admit[i]);
                (s, money, surgery, whole)
            })
            .collect();
        let costs: Vec<f64> = cost
            .iter()
            .filter(|c| c.3)
            .map(|c| c.1 .0 as f64)
            .collect();
        if costs.is_empty() {
            return Vec::new();
        }
        let costs = ctx.population(&format!("{}|stay_cost", INFO.id), costs);
        let cheap = p.max_cost_ratio * median(&costs);
        let treatable = ctx.diagnoses_matching(&p.diagnoses);
        let mut low = vec![false; v.patient.len()];
        for &(s, money, surgery, whole) in &cost {
            let i = s as usize;
            let nights = day_of(v.discharge[i]) - day_of(v.admit[i]);
            low[i] = whole
                && nights <= p.max_nights
                && !surgery
                && (money.0 as f64) <= cheap
                && v.main_diag[i] != NONE
                && treatable[v.main_diag[i] as usize];
        }
        let measures = stay_shares(ctx, |i| Some(low[i]));
        outliers(ctx, INFO.id, measures, &p.peers)
            .into_iter()
            .map(|o| {
                let provider = o.m.provider;
                let mut days: Vec<i32> = ctx
                    .stays(ctx.provider_visits.get(provider))
                    .filter(|&s| low[s as usize])
                    .map(|s| day_of(v.admit[s as usize]))
                    .collect();
                days.sort_unstable();
                let (most, from) = densest(&days, p.burst_days);
                let mut h = hit(
                    ctx,
                    &INFO,
                    o,
                    ("低标准住院占比", "Share of low-acuity stays"),
                    |x| format!("{:.1}%", x * 100.0),
                );
                h.evidence.zh.push_str(&format!(
                    "；共 {} 例，最密集时 {} 起 {} 天内入院 {} 例",
                    days.len(),
                    crate::fmt::day(from),
                    p.burst_days,
                    most
                ));
                h.evidence.en.push_str(&format!(
                    "; {} such stays, {most} of them admitted within {} days from {}",
                    days.len(),
                    p.burst_days,
                    crate::fmt::day(from)
                ));
                h
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::densest;

    #[test]
    fn densest_run_counts_days_inside_the_window() {
        assert_eq!(densest(&[], 3), (0, 0));
        assert_eq!(densest(&[1, 2, 3, 3, 9, 10], 3), (4, 1));
        assert_eq!(densest(&[1, 4, 7], 3), (1, 1));
        assert_eq!(densest(&[1, 4, 5, 6], 3), (3, 4));
    }
}
