//! peer_outlier.doctor_items — a doctor who bills the same few items on most of his patients,
//! far above the other doctors of his department (模板化处方, 过度诊疗).

use fundguard_model::{Fen, NONE};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::fmt;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::order::by_id;
use crate::rule::{ensure, Rule, RuleParams};
use crate::stats::median;

pub static INFO: RuleInfo = RuleInfo {
    id: "peer_outlier.doctor_items",
    family: Family::PeerOutlier,
    baseline: "doctors (template prescribing)",
    name_zh: "医师模板化开单",
    name_en: "A doctor's same items on most patients",
    flags: "A doctor (the line's doctor_id, else the visit's) with at least `min_visits` visits \
            in the period (his peers at least `min_peer_visits`) on whose visits at least `min_items` items each appear on at least \
            `min_share` of them, each at least `min_difference` above the median share of the \
            other doctors of his department at the provider (all its doctors when the department \
            has fewer than `min_peers` with enough visits).",
    why: "Patients differ; a doctor whose every patient gets the same injection, the same test \
          panel and the same patent medicine is billing a template, not treating: induced or \
          invented services under his code. Items every doctor of the department bills \
          (registration, consultation) rise with the peers and never fire.",
    amount: "For each such item, its money on his visits beyond the peer median share: money × \
             (share − peer share) / share.",
    example: "An internist puts the same ginseng injection, vitamin panel and liver-protecting \
              tablets on 85% of his 120 patients; his department's other doctors on 0-5%: \
              fires for the three items. A diabetes doctor whose patients all get metformin, like \
              his department's other doctors, does not.",
    severity: 0.5,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "min_visits",
            doc: "Fewest visits of a doctor to be judged.",
        },
        ParamDoc {
            name: "min_peer_visits",
            doc: "Fewest visits of another doctor for his shares to count among the peers'.",
        },
        ParamDoc {
            name: "min_items",
            doc: "Fewest items that must each be on most of his visits.",
        },
        ParamDoc {
            name: "min_share",
            doc: "Least share of his visits an item must be on.",
        },
        ParamDoc {
            name: "min_difference",
            doc: "Least excess of that share over the peers' median share.",
        },
        ParamDoc {
            name: "min_peers",
            doc: "Fewest other doctors of the department to compare with (else the provider's).",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_visits: usize,
    pub min_peer_visits: usize,
    pub min_items: usize,
    pub min_share: f64,
    pub min_difference: f64,
    pub min_peers: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_visits: 30,
            min_peer_visits: 10,
            min_items: 3,
            min_share: 0.6,
            min_difference: 0.4,
            min_peers: 3,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(
            self.min_visits >= 1
                && self.min_peer_visits >= 1
                && self.min_items >= 1
                && (0.0..=1.0).contains(&self.min_share)
                && (0.0..=1.0).contains(&self.min_difference)
                && self.min_peers >= 1,
            || format!("{rule}: need min_visits, min_items, min_peers >= 1 and shares in 0-1"),
        )
    }
}

pub struct DoctorItems(pub Params);

/// One doctor's billing at a provider.
#[derive(Default)]
struct Doctor {
    visits: usize,
    /// Department code: the most frequent of his visits' (ties by code text).
    depts: FxHashMap<u32, usize>,
    /// Item -> (visits it is on, the money of its lines).
    items: FxHashMap<u32, (usize, Fen)>,
}

impl Rule for DoctorItems {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let p = &self.0;
        let (l, v) = (&ctx.dump.lines, &ctx.dump.visits);
        let dept_name = |d: u32| ctx.dump.dicts.depts.get_opt(d).unwrap_or("");
        // The doctor of a line of visit `x`: its own, else the visit's.
        let doctor_of = |x: u32, i: usize| {
            if l.doctor[i] == NONE {
                v.doctor[x as usize]
            } else {
                l.doctor[i]
            }
        };
        ctx.per_provider(|provider, visits, out| {
            let mut doctors: FxHashMap<u32, Doctor> = FxHashMap::default();
            let mut on_visit: Vec<(u32, u32)> = Vec::new();
            for &x in visits {
                if !ctx.visit_live[x as usize] {
                    continue;
                }
                on_visit.clear();
                for line in ctx.live_lines(x) {
                    let i = line as usize;
                    let d = doctor_of(x, i);
                    if d == NONE {
                        continue;
                    }
                    let doc = doctors.entry(d).or_default();
                    let e = doc.items.entry(l.item[i]).or_default();
                    e.1 += ctx.money(line);
                    if !on_visit.contains(&(d, l.item[i])) {
                        on_visit.push((d, l.item[i]));
                        e.0 += 1;
                    }
                    if !on_visit.contains(&(d, NONE)) {
                        on_visit.push((d, NONE));
                        doc.visits += 1;
                        let dept = if l.dept[i] == NONE { v.dept[x as usize] } else { l.dept[i] };
                        *doc.depts.entry(dept).or_default() += 1;
                    }
                }
            }
            doctors.retain(|_, d| d.visits >= p.min_peer_visits.min(p.min_visits));
            if doctors.len() < 2 {
                return;
            }
            let dept_of = |d: &Doctor| {
                d.depts
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then(dept_name(*b.0).cmp(dept_name(*a.0))))
                    .map_or(NONE, |(k, _)| *k)
            };
            let depts: FxHashMap<u32, u32> = doctors.iter().map(|(k, d)| (*k, dept_of(d))).collect();
            let mut ids: Vec<u32> = doctors.keys().copied().collect();
            ids.sort_by(|a, b| ctx.doctor_id(*a).cmp(ctx.doctor_id(*b)));
            for &d in &ids {
                let doc = &doctors[&d];
                if doc.visits < p.min_visits {
                    continue;
                }
                let same: Vec<u32> = ids
                    .iter()
                    .copied()
                    .filter(|&o| o != d && depts[&o] == depts[&d])
                    .collect();
                let peers: Vec<u32> = if same.len() >= p.min_peers {
                    same
                } else {
                    ids.iter().copied().filter(|&o| o != d).collect()
                };
                if peers.len() < p.min_peers {
                    continue;
                }
                let mut flagged: Vec<(u32, f64, f64)> = Vec::new();
                for (&item, (n, _)) in &doc.items {
                    let share = *n as f64 / doc.visits as f64;
                    if share < p.min_share {
                        continue;
                    }
                    let shares: Vec<f64> = peers
                        .iter()
                        .map(|o| {
                            let od = &doctors[o];
                            od.items.get(&item).map_or(0.0, |e| e.0 as f64 / od.visits as f64)
                        })
                        .collect();
                    let peer = median(&shares);
                    if share - peer >= p.min_difference {
                        flagged.push((item, share, peer));
                    }
                }
                if flagged.len() < p.min_items {
                    continue;
                }
                flagged.sort_by(|a, b| {
                    by_id(std::cmp::Reverse(a.1.to_bits()), ctx.item_id(a.0))
                        .cmp(&by_id(std::cmp::Reverse(b.1.to_bits()), ctx.item_id(b.0)))
                });
                // His lines of the flagged items: a second look at the provider's visits, for the
                // few doctors who get this far.
                let lines: Vec<u32> = ctx
                    .live_lines_of(visits)
                    .filter(|&line| {
                        let i = line as usize;
                        doctor_of(l.visit[i], i) == d
                            && flagged.iter().any(|f| f.0 == l.item[i])
                    })
                    .collect();
                let mut amount = Fen::ZERO;
                for &(item, share, peer) in &flagged {
                    let (_, money) = &doc.items[&item];
                    let excess = ((share - peer) / share).clamp(0.0, 1.0);
                    amount += money.mul_share(excess);
                }
                let shown: Vec<String> = flagged
                    .iter()
                    .map(|&(item, share, peer)| {
                        format!("{} {:.0}%/{:.0}%", ctx.item_label(item), share * 100.0, peer * 100.0)
                    })
                    .collect();
                let dept = dept_name(depts[&d]);
                let ev = Evidence::new(
                    format!(
                        "医师 {} 的 {} 人次就诊中，{} 个项目各出现在六成以上（本人/同科室{}医师中位数）：{}；按同科室中位数计超出约 {} 元",
                        ctx.doctor_id(d),
                        doc.visits,
                        flagged.len(),
                        peers.len(),
                        fmt::list(&shown, 4, "、"),
                        fmt::money(amount)
                    ),
                    format!(
                        "doctor {} ({dept}): of his {} visits, {} items are each on most of them (his share / median of {} peers): {}; about {} yuan beyond the peers' shares",
                        ctx.doctor_id(d),
                        doc.visits,
                        flagged.len(),
                        peers.len(),
                        fmt::list(&shown, 4, ", "),
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Doctor(d), ev)
                        .provider(provider)
                        .lines(lines, amount)
                        .severity((INFO.severity + 0.05 * (flagged.len() - p.min_items) as f64).min(0.8)),
                );
            }
        })
    }
}
