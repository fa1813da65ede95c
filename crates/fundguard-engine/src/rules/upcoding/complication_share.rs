//! upcoding.complication_share — a hospital whose settlement lists carry, far more often than
//! its peers', a major complication that changed nothing in the stay (DRG/DIP 高编高套).

use std::collections::BTreeMap;

use fundguard_model::{day_of, Table, NONE, NULL_TIME};
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::rule::{ensure, Rule, RuleParams};
use crate::rules::peer_outlier::peers::{
    excess, group, group_medians, hit_with_amount, outliers, stay_shares, Measure, Peers,
};
use crate::stats::median;

pub static INFO: RuleInfo = RuleInfo {
    id: "upcoding.complication_share",
    family: Family::Upcoding,
    baseline: "upcoding (group-raising complications without the care)",
    name_zh: "无支撑并发症编码占比离群",
    name_en: "Unsupported complications above peers",
    flags: "A hospital whose share of stays with an unsupported complication is far above the \
            share at its peers (same type and level, or derived from the claims). A stay has an \
            unsupported complication when its settlement list (table settlement_diagnoses) \
            names a secondary diagnosis starting with one of `complications` (major \
            complications that raise the DRG/DIP group) and the stay lasted no longer than the \
            median stay of its main diagnosis without one (over the dump's finished stays, \
            diagnoses with at least `min_reference` of them): the code raised the group, the \
            care did not change. The hit names the commonest such codes.",
    why: "Coding complications the patient did not have moves the stay into a heavier group that \
          the fund pays more for (高编高套, 虚增诊断); a real complication lengthens the stay.",
    amount: "What the fund paid for the hospital's stays with a major complication (supported or \
             not: an invented code need not be on a short stay) beyond the peer median share of \
             such stays (the group's uplift itself is not in the dump).",
    example: "A 二级 hospital where 31% of the stays list acute respiratory failure or hyponatraemia \
              and were discharged as fast as uncomplicated stays (peers' median 4%): fires. A \
              hospital whose complicated patients stay two weeks: quiet.",
    severity: 0.5,
    needs: &[Table::SettlementDiagnoses],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "complications",
            doc: "Secondary-diagnosis prefixes (ICD-10 医保版) of major complications that raise \
                  the group: respiratory failure, acute kidney failure, sepsis, shock, \
                  electrolyte disorders, heart failure, acute posthaemorrhagic anaemia, \
                  pulmonary oedema, severe malnutrition, cardiac arrest, hepatic failure.",
        },
        ParamDoc {
            name: "min_reference",
            doc: "Fewest uncomplicated finished stays of a main diagnosis for its median length \
                  to judge a complication by.",
        },
        ParamDoc {
            name: "peers",
            doc: "The peer comparison (`min_peers`, `min_volume` stays, `min_z`, `max_p`, \
                  `min_spread`, `min_difference` in share points), as for the peer_outlier rules.",
        },
    ],
};

/// Major complications and comorbidities (MCC) of the CHS-DRG grouping that coders are found to
/// add: J96 呼吸衰竭, N17 急性肾衰竭, A41 脓毒症, R65 全身炎症反应综合征, R57 休克, E87 水电解质紊乱,
/// I50 心力衰竭, D62 急性失血后贫血, J81 肺水肿, E43 重度蛋白质-能量营养不良, I46 心脏骤停,
/// K72 肝衰竭.
const COMPLICATIONS: &[&str] = &[
    "J96", "N17", "A41", "R65", "R57", "E87", "I50", "D62", "J81", "E43", "I46", "K72",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub complications: Vec<String>,
    pub min_reference: usize,
    pub peers: Peers,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            complications: COMPLICATIONS.iter().map(|d| (*d).to_string()).collect(),
            min_reference: 5,
            // docs/curves (tuning.rs): half of the invented codes land on stays longer than
            // the median by chance, so 5 points of unsupported share are about 10 of invented.
            peers: Peers::share(0.05),
        }
    }
}

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(
            self.min_reference >= 1 && self.complications.iter().all(|d| d.len() >= 3),
            || {
                format!(
                    "{rule}: need min_reference >= 1 and complication prefixes of at least 3 \
                     characters"
                )
            },
        )?;
        self.peers.check(rule)
    }
}

pub struct ComplicationShare(pub Params);

impl Rule for ComplicationShare {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let p = &self.0;
        let Some(g) = ctx.dump.diagnoses.as_ref() else {
            return Vec::new();
        };
        let v = &ctx.dump.visits;
        let dict = &ctx.dump.dicts.diagnoses;
        let major = ctx.diagnoses_matching(&p.complications);
        // Per visit: listed at all, and its first major complication (the smallest code).
        let n = v.patient.len();
        let (mut listed, mut complication) = (vec![false; n], vec![NONE; n]);
        for k in 0..g.visit.len() {
            let (i, d) = (g.visit[k] as usize, g.diag[k]);
            listed[i] = true;
            if !g.is_main[k]
                && major[d as usize]
                && (complication[i] == NONE || dict.get(d) < dict.get(complication[i]))
            {
                complication[i] = d;
            }
        }
        let nights = |i: usize| day_of(v.discharge[i]) - day_of(v.admit[i]);
        // Median nights of each main diagnosis' finished stays without a complication.
        let mut plain: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        for s in ctx.all_stays() {
            let i = s as usize;
            if listed[i] && v.discharge[i] != NULL_TIME {
                // Every main diagnosis of a finished listed stay has an entry, so that a
                // partition of the month looks up the month's stays of it.
                let e = plain.entry(v.main_diag[i]).or_default();
                if complication[i] == NONE {
                    e.push(f64::from(nights(i)));
                }
            }
        }
        let diagnoses = &ctx.dump.dicts.diagnoses;
        let reference: BTreeMap<u32, f64> = plain
            .into_iter()
            .filter(|(d, _)| *d != NONE)
            .map(|(d, x)| {
                let key = format!("{}|nights|{}", INFO.id, diagnoses.get(d));
                (d, ctx.population(&key, x))
            })
            .filter(|(_, x)| !x.is_empty() && x.len() >= p.min_reference)
            .map(|(d, x)| (d, median(&x)))
            .collect();
        let unsupported = |i: usize| {
            complication[i] != NONE
                && v.discharge[i] != NULL_TIME
                && reference
                    .get(&v.main_diag[i])
                    .is_some_and(|&m| f64::from(nights(i)) <= m)
        };
        // Per provider: the unsupported share (what is judged) and the share of stays with any
        // major complication (what the amount is taken from), over its listed stays.
        let measures = stay_shares(ctx, |i| listed[i].then(|| unsupported(i)));
        let complicated = stay_shares(ctx, |i| listed[i].then_some(complication[i] != NONE));
        let medians = group_medians(ctx, "upcoding.complication_share|complicated", &complicated, &p.peers);
        let complicated: BTreeMap<u32, Measure> =
            complicated.into_iter().map(|m| (m.provider, m)).collect();
        outliers(ctx, INFO.id, measures, &p.peers)
            .into_iter()
            .map(|o| {
                let provider = o.m.provider;
                let mut codes: BTreeMap<&str, usize> = BTreeMap::new();
                for s in ctx.stays(ctx.provider_visits.get(provider)) {
                    if unsupported(s as usize) {
                        *codes.entry(dict.get(complication[s as usize])).or_default() += 1;
                    }
                }
                let mut top: Vec<(&str, usize)> = codes.into_iter().collect();
                top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                let list = top
                    .iter()
                    .take(3)
                    .map(|(c, k)| format!("{c} ×{k}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let total: usize = top.iter().map(|t| t.1).sum();
                let c = &complicated[&provider];
                let median_c = group(ctx, provider)
                    .and_then(|g| medians.get(&g).copied())
                    .unwrap_or(0.0);
                let excess = excess(c.money, c.value, median_c);
                let mut h = hit_with_amount(
                    ctx,
                    &INFO,
                    o,
                    ("无支撑并发症占比", "Share of stays with an unsupported complication"),
                    |x| format!("{:.1}%", x * 100.0),
                    excess,
                );
                h.evidence.zh.push_str(&format!(
                    "（金额按列有严重并发症的住院占比计：本机构 {:.1}%，同组中位数 {:.1}%）；共 \
                     {total} 例住院天数不长于该主诊断无并发症住院的中位数；最常见：{list}",
                    c.value * 100.0,
                    median_c * 100.0,
                ));
                h.evidence.en.push_str(&format!(
                    " (the amount from the share of stays listing a major complication: {:.1}% \
                     here, peer median {:.1}%); {total} stays no longer than the median stay of \
                     their main diagnosis without a complication; commonest: {list}",
                    c.value * 100.0,
                    median_c * 100.0,
                ));
                h
            })
            .collect()
    }
}
