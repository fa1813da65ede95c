//! upcoding.main_diagnosis — a hospital whose stays carry, far more often than its peers', a main
//! diagnosis whose care is missing from the bill: a heavier diagnosis coded on a lighter stay
//! (DRG/DIP 高套诊断、主诊断选择错误).

use std::collections::BTreeMap;

use fundguard_model::{day_of, NONE, NULL_TIME};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::icd;
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::rule::{ensure, Rule, RuleParams};
use crate::rules::peer_outlier::peers::{
    binomial_tail, hit_with_amount, outliers, stay_shares, Peers,
};

pub static INFO: RuleInfo = RuleInfo {
    id: "upcoding.main_diagnosis",
    family: Family::Upcoding,
    baseline: "upcoding (main diagnosis without its care)",
    name_zh: "主诊断与诊疗项目不符占比离群",
    name_en: "Main diagnoses without their care above peers",
    flags: "A hospital whose share of stays whose main diagnosis lacks its marker items is far \
            above its peers' (same type and level, or derived from the claims). The markers of \
            a main diagnosis (3-character ICD-10 category) are learnt from the dump's whole \
            stays (finished, billed from their admission day): items billed on at least \
            `marker_share` of that diagnosis' stays and on at most `other_share` of all other \
            stays — a stroke's antiplatelet infusion, a fracture's fixation. Diagnoses with \
            fewer than `min_reference` whole stays, or without markers, are not judged. The main \
            diagnosis is the settlement list's (table settlement_diagnoses) when the stay has \
            one, else the visit's, so it also runs on claims-only files. The count must also be \
            improbable under the peers' median share (at least `min_rate`): its binomial upper \
            tail at most `peers.max_p`, so that one odd stay among twenty judged is no share.",
    why: "The DRG/DIP group follows the main diagnosis: coding a pneumonia or a gallstone stay as a \
          stroke moves it into a heavier group the fund pays more for (高套诊断), while the bill \
          still shows the lighter illness's care.",
    amount: "What the fund paid for its whole stays whose main diagnosis lacks its markers, \
             beyond the peer median share, scaled up to its finished stays of the judged \
             diagnoses (stays admitted before the dump's first day cannot be judged, but are \
             coded alike).",
    example: "A 二级 hospital where 22% of the stays are coded I63 cerebral infarction without any \
              of the antiplatelet infusions every other hospital's stroke stays carry (peers: 0%): \
              fires. A stroke centre where a third of the stays are strokes, each with its \
              infusions: quiet.",
    severity: 0.5,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "marker_share",
            doc: "Least share of a diagnosis' whole stays that bill an item for it to mark the \
                  diagnosis.",
        },
        ParamDoc {
            name: "other_share",
            doc: "Most share of the other diagnoses' whole stays that bill a marker item (items \
                  every stay bills — bed, nursing — mark nothing).",
        },
        ParamDoc {
            name: "min_reference",
            doc: "Fewest whole stays of a main diagnosis for its markers to be learnt.",
        },
        ParamDoc {
            name: "min_rate",
            doc: "Least share of stays without their markers the binomial test expects of any \
                  hospital (a stay may lack them for reasons the bill does not show).",
        },
        ParamDoc {
            name: "peers",
            doc: "The peer comparison (`min_peers`, `min_volume` judged stays, `min_z`, `max_p`, \
                  `min_spread`, `min_difference` in share points), as for the peer_outlier rules.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub marker_share: f64,
    pub other_share: f64,
    pub min_reference: usize,
    pub min_rate: f64,
    pub peers: Peers,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            marker_share: 0.8,
            other_share: 0.1,
            min_reference: 30,
            min_rate: 0.02,
            // docs/curves (tuning.rs): with the binomial test no honest hospital is flagged at
            // any margin from 1 point; 5 points, as complication_share.
            peers: Peers::share(0.05),
        }
    }
}

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(
            (0.0..=1.0).contains(&self.marker_share)
                && (0.0..=1.0).contains(&self.other_share)
                && self.other_share < self.marker_share
                && self.min_reference >= 1
                && (0.0..1.0).contains(&self.min_rate),
            || {
                format!(
                    "{rule}: need 0 <= other_share < marker_share <= 1, min_reference >= 1 and \
                     0 <= min_rate < 1"
                )
            },
        )?;
        self.peers.check(rule)
    }
}

pub struct MainDiagnosis(pub Params);

impl Rule for MainDiagnosis {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let p = &self.0;
        let v = &ctx.dump.visits;
        let l = &ctx.dump.lines;
        let dict = &ctx.dump.dicts.diagnoses;
        let n = v.patient.len();
        // The main diagnosis of each visit: the settlement list's, else the visit's.
        let mut main = v.main_diag.clone();
        if let Some(g) = ctx.dump.diagnoses.as_ref() {
            for k in 0..g.visit.len() {
                if g.is_main[k] {
                    main[g.visit[k] as usize] = g.diag[k];
                }
            }
        }
        // Categories (text) numbered in text order, so nothing depends on dictionary order.
        let mut names: BTreeMap<&str, u32> = BTreeMap::new();
        for s in ctx.all_stays() {
            if let Some(d) = dict.get_opt(main[s as usize]) {
                names.entry(icd::category(d)).or_insert(0);
            }
        }
        for (k, id) in names.values_mut().enumerate() {
            *id = k as u32;
        }
        let names_by_id: Vec<&str> = names.keys().copied().collect();
        // Each stay's category, looked up once (NONE for other visits and unknown diagnoses).
        let mut cat = vec![NONE; n];
        for s in ctx.all_stays() {
            if let Some(d) = dict.get_opt(main[s as usize]) {
                cat[s as usize] = names[icd::category(d)];
            }
        }
        let category = |i: usize| cat[i];
        // Whole stays: finished, billed from the admission day. Their distinct items.
        let mut items_of: Vec<Option<Vec<u32>>> = vec![None; n];
        for s in ctx.all_stays() {
            let i = s as usize;
            if v.discharge[i] == NULL_TIME || category(i) == NONE {
                continue;
            }
            let mut items: Vec<u32> = Vec::new();
            let mut first = i32::MAX;
            for y in ctx.live_lines(s) {
                items.push(l.item[y as usize]);
                first = first.min(ctx.line_day(y));
            }
            if first > day_of(v.admit[i]) {
                continue;
            }
            items.sort_unstable();
            items.dedup();
            items_of[i] = Some(items);
        }
        // Stays per category, per item, and per (category, item).
        let mut stays = vec![0usize; names.len()];
        let mut with_item: FxHashMap<u32, usize> = FxHashMap::default();
        let mut with_both: FxHashMap<(u32, u32), usize> = FxHashMap::default();
        for (i, items) in items_of.iter().enumerate() {
            let Some(items) = items else { continue };
            let c = category(i);
            stays[c as usize] += 1;
            for &item in items {
                *with_item.entry(item).or_default() += 1;
                *with_both.entry((c, item)).or_default() += 1;
            }
        }
        // The month's counts (this dump's in memory; every partition's out of core), by text:
        // stays per category, per item and per (category, item).
        let key = |what: &str| format!("{}|{what}", INFO.id);
        let summed = |what: &str, local: Vec<(String, i64, i64)>| -> BTreeMap<String, usize> {
            let mut out: BTreeMap<String, usize> = BTreeMap::new();
            for (k, n, _) in ctx.records(&key(what), local).iter() {
                *out.entry(k.clone()).or_default() += *n as usize;
            }
            out
        };
        let month_stays = summed(
            "stays",
            (0..names.len())
                .filter(|&c| stays[c] > 0)
                .map(|c| (names_by_id[c].to_string(), stays[c] as i64, 0))
                .collect(),
        );
        let month_item = summed(
            "item",
            with_item.iter().map(|(&i, &k)| (ctx.item_id(i).to_string(), k as i64, 0)).collect(),
        );
        let month_both = summed(
            "both",
            with_both
                .iter()
                .map(|(&(c, i), &k)| {
                    (format!("{}\u{1f}{}", names_by_id[c as usize], ctx.item_id(i)), k as i64, 0)
                })
                .collect(),
        );
        let total: usize = month_stays.values().sum();
        // Markers per category.
        let mut markers: Vec<Vec<u32>> = vec![Vec::new(); names.len()];
        for (pair, &k) in &month_both {
            let Some((c, item)) = pair.split_once('\u{1f}') else { continue };
            let own = month_stays.get(c).copied().unwrap_or(0);
            let others = total - own;
            if own < p.min_reference || others == 0 {
                continue;
            }
            let elsewhere = month_item.get(item).copied().unwrap_or(0) - k;
            if k as f64 >= p.marker_share * own as f64
                && elsewhere as f64 <= p.other_share * others as f64
            {
                if let (Some(&c), Some(item)) = (names.get(c), ctx.dump.dicts.items.code(item)) {
                    markers[c as usize].push(item);
                }
            }
        }
        for m in &mut markers {
            m.sort_unstable();
        }
        let unsupported = |i: usize| -> Option<bool> {
            let items = items_of[i].as_ref()?;
            let m = &markers[category(i) as usize];
            (!m.is_empty()).then(|| !m.iter().any(|x| items.binary_search(x).is_ok()))
        };
        let measures = stay_shares(ctx, unsupported);
        outliers(ctx, INFO.id, measures, &p.peers)
            .into_iter()
            .filter_map(|o| {
                let provider = o.m.provider;
                let flagged = (o.m.value * o.m.volume as f64).round() as usize;
                let tail = binomial_tail(flagged, o.m.volume, o.median.max(p.min_rate));
                if tail > p.peers.max_p {
                    return None;
                }
                let z_tail = o.p;
                // Its finished stays of judged diagnoses, of which the whole ones were judged.
                let finished = ctx
                    .stays(ctx.provider_visits.get(provider))
                    .filter(|&s| {
                        let i = s as usize;
                        v.discharge[i] != NULL_TIME
                            && category(i) != NONE
                            && !markers[category(i) as usize].is_empty()
                    })
                    .count();
                let amount = o
                    .excess()
                    .mul_div(finished.max(o.m.volume) as i64, o.m.volume.max(1) as i64);
                let mut found: BTreeMap<u32, usize> = BTreeMap::new();
                for s in ctx.stays(ctx.provider_visits.get(provider)) {
                    if unsupported(s as usize) == Some(true) {
                        *found.entry(category(s as usize)).or_default() += 1;
                    }
                }
                // The commonest diagnoses (ties by code), with the markers they lack.
                let mut found: Vec<(u32, usize)> = found.into_iter().collect();
                found.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                let shown = |sep: &str| -> String {
                    found
                        .iter()
                        .take(3)
                        .map(|&(c, k)| {
                            let mut lacks: Vec<&str> = markers[c as usize]
                                .iter()
                                .map(|&item| ctx.item_label(item))
                                .collect();
                            lacks.sort_unstable();
                            format!(
                                "{} ×{k} ({})",
                                names_by_id[c as usize],
                                crate::fmt::list(&lacks, 2, sep)
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let mut h = hit_with_amount(
                    ctx,
                    &INFO,
                    o,
                    ("主诊断缺少其诊疗项目的住院占比", "Share of stays whose main diagnosis lacks its care"),
                    |x| format!("{:.1}%", x * 100.0),
                    amount,
                );
                h.evidence.zh.push_str(&format!(
                    "；{flagged} 例（二项尾概率 {tail:.1e}），最常见（缺少的标志项目）：{}",
                    shown("、")
                ));
                h.evidence.en.push_str(&format!(
                    "; {flagged} stays (binomial tail {tail:.1e}), commonest (the marker items \
                     missing): {}",
                    shown(", ")
                ));
                Some(h.p(z_tail.max(tail)))
            })
            .collect()
    }
}
