//! phantom_service.cloned_claims — a provider billing the same claim, word for word, for many
//! different patients: one main diagnosis with one set of items in the same quantities, far more
//! often than its peers (虚构医疗服务、套用模板虚开).

use std::collections::BTreeMap;

use fundguard_model::{Fen, VisitType, NONE};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::rule::{ensure, Rule, RuleParams};
use crate::rules::peer_outlier::peers::{group, group_name, hit, outliers_among, Measure, Peers};

pub static INFO: RuleInfo = RuleInfo {
    id: "phantom_service.cloned_claims",
    family: Family::PhantomService,
    baseline: "phantom_service (the same claim repeated across patients)",
    name_zh: "克隆处方/雷同病历占比离群",
    name_en: "Cloned claims above peers",
    flags: "A hospital or clinic whose share of live outpatient visits and stays that are clones \
            is far above its peers' (same type and level, or derived from the claims). A claim's \
            signature is its main diagnosis and the set of its still-billed items with their net \
            quantities; it counts when it has at least `min_items` distinct items. A signature is \
            a clone at a provider when at least `min_patients` different patients carry it \
            there, unless it is a standard of care — billed at more than `standard_providers` \
            other providers — or its diagnosis is a check-up, vaccination or planned treatment \
            (`exempt` prefixes: packages are the same by design). Needs only visits and lines, so \
            it runs on claims-only files.",
    why: "Real patients differ: their complaints, tests and doses vary. The same diagnosis, the \
          same five or more items in the same quantities for many people is a template filled \
          in without the care (虚构医疗服务, 套用模板、批量虚开病历), or cards collected and billed \
          one after another.",
    amount: "The money of the provider's cloned claims beyond the peer median share.",
    example: "A community clinic where 120 of 600 visits are M54.5 back pain with a \
              registration, a consultation, a blood count, liver function, ceftriaxone 2 × and \
              saline 2 × with an infusion, for 120 different people: fires. A clinic giving 300 \
              elderly people the same free check-up package (Z00): quiet.",
    severity: 0.6,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "min_items",
            doc: "Fewest distinct still-billed items on a claim for its signature to count (short \
                  claims — a registration, a consultation and one drug — repeat honestly).",
        },
        ParamDoc {
            name: "min_patients",
            doc: "Fewest different patients carrying one signature at one provider for it to be a \
                  clone there.",
        },
        ParamDoc {
            name: "standard_providers",
            doc: "A signature billed at more than this many other providers is a standard of care \
                  (a guideline's regimen, a city-wide package), not a clone.",
        },
        ParamDoc {
            name: "exempt",
            doc: "Main-diagnosis prefixes of claims that are the same by design: check-ups \
                  (Z00-Z02), vaccinations (Z23-Z27), dialysis (Z49) and planned treatment cycles \
                  (Z51).",
        },
        ParamDoc {
            name: "peers",
            doc: "The peer comparison (`min_peers`, `min_volume` claims, `min_z`, `max_p`, \
                  `min_spread`, `min_difference` in share points), as for the peer_outlier rules.",
        },
    ],
};

const EXEMPT: &[&str] = &[
    "Z00", "Z01", "Z02", "Z23", "Z24", "Z25", "Z26", "Z27", "Z49", "Z51",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub min_items: usize,
    pub min_patients: usize,
    pub standard_providers: usize,
    pub exempt: Vec<String>,
    pub peers: Peers,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            min_items: 5,
            min_patients: 5,
            standard_providers: 2,
            exempt: EXEMPT.iter().map(|d| (*d).to_string()).collect(),
            // docs/curves (tuning.rs): honest providers have no clones at all; 5 points keep a
            // provider with a few coincidences quiet.
            peers: Peers::share(0.05),
        }
    }
}

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(
            self.min_items >= 2 && self.min_patients >= 2 && self.exempt.iter().all(|d| !d.is_empty()),
            || format!("{rule}: need min_items >= 2, min_patients >= 2 and non-empty exempt prefixes"),
        )?;
        self.peers.check(rule)
    }
}

pub struct ClonedClaims(pub Params);

/// A claim's signature: its main diagnosis and its (item, net quantity) pairs by item.
type Signature = (u32, Vec<(u32, i64)>);

/// Outpatient visits and stays: the claims a template is filled into (purchases repeat baskets
/// honestly, and card_pooling judges them).
fn is_claim(ctx: &Ctx<'_>, x: u32) -> bool {
    ctx.visit_live[x as usize]
        && matches!(ctx.visit_type(x), VisitType::Outpatient | VisitType::Inpatient)
}

impl Rule for ClonedClaims {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        use rayon::prelude::*;
        let p = &self.0;
        let v = &ctx.dump.visits;
        let l = &ctx.dump.lines;
        let exempt = ctx.diagnoses_matching(&p.exempt);
        // A claim's signature into `buf`: its diagnosis, then its (item, net quantity) pairs by
        // item, one item billed on several lines once with its quantities added.
        let signature = |x: u32, buf: &mut Vec<(u32, i64)>| -> Option<u32> {
            let d = v.main_diag[x as usize];
            if !is_claim(ctx, x) || (d != NONE && exempt[d as usize]) {
                return None;
            }
            buf.clear();
            buf.extend(
                ctx.live_lines(x)
                    .map(|y| (l.item[y as usize], ctx.net_qty[y as usize])),
            );
            if buf.len() < p.min_items {
                return None;
            }
            buf.sort_unstable();
            buf.dedup_by(|b, a| {
                let same = a.0 == b.0;
                if same {
                    a.1 += b.1;
                }
                same
            });
            (buf.len() >= p.min_items).then_some(d)
        };
        // One pass keeps a hash of each signature only (no allocation per claim); claims are
        // grouped by hash, and only groups large enough to be clones are rebuilt and compared
        // exactly (a collision splits there).
        let mut hashed: Vec<(u64, u32)> = (0..v.patient.len() as u32)
            .into_par_iter()
            .map_init(Vec::new, |buf, x| {
                signature(x, buf).map(|d| {
                    use std::hash::{Hash, Hasher};
                    let mut h = rustc_hash::FxHasher::default();
                    d.hash(&mut h);
                    buf.hash(&mut h);
                    (h.finish(), x)
                })
            })
            .flatten()
            .collect();
        hashed.par_sort_unstable();
        let mut by_sig: FxHashMap<Signature, Vec<(u32, u32, u32)>> = FxHashMap::default();
        let mut buf = Vec::new();
        for run in hashed.chunk_by(|a, b| a.0 == b.0) {
            if run.len() < p.min_patients {
                continue;
            }
            for &(_, x) in run {
                let d = signature(x, &mut buf).expect("hashed claims have a signature");
                by_sig
                    .entry((d, buf.clone()))
                    .or_default()
                    .push((v.provider[x as usize], v.patient[x as usize], x));
            }
        }
        // A signature's name in every partition of a month: its diagnosis and items as text.
        let name = |sig: &Signature| -> String {
            let mut items: Vec<(&str, i64)> =
                sig.1.iter().map(|&(i, q)| (ctx.item_id(i), q)).collect();
            items.sort_unstable();
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            let mut eat = |b: &[u8]| {
                for &x in b {
                    h ^= u64::from(x);
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
            };
            eat(ctx.dump.dicts.diagnoses.get_opt(sig.0).unwrap_or("").as_bytes());
            for (i, q) in items {
                eat(b"\x1f");
                eat(i.as_bytes());
                eat(&q.to_le_bytes());
            }
            format!("{:016x}", h)
        };
        let peer = |provider: u32| {
            group(ctx, provider).map(|g| format!("{}\u{1f}{}", group_name(ctx, g), ctx.provider_id(provider)))
        };
        if ctx.collecting() {
            // Out of core: how many providers bill each signature, every claim of this
            // partition's providers for each provider, and the clones each would have if the
            // signature is not a standard one — judged once the month's counts are known.
            let mut providers_of: FxHashMap<String, Vec<u32>> = FxHashMap::default();
            for run in hashed.chunk_by(|a, b| a.0 == b.0) {
                for &(_, x) in run {
                    let d = signature(x, &mut buf).expect("hashed claims have a signature");
                    providers_of
                        .entry(name(&(d, buf.clone())))
                        .or_default()
                        .push(v.provider[x as usize]);
                }
            }
            for (sig, mut ps) in providers_of {
                ps.sort_unstable();
                ps.dedup();
                ctx.total(&format!("{}|providers|{sig}", INFO.id), ps.len() as i128);
            }
            let mut candidates = Vec::new();
            for (sig, claims) in &by_sig {
                for run in claims.chunk_by(|a, b| a.0 == b.0) {
                    let mut people: Vec<u32> = run.iter().map(|c| c.1).collect();
                    people.dedup();
                    if let (true, Some(g)) = (people.len() >= p.min_patients, peer(run[0].0)) {
                        candidates.push((format!("{}\u{1f}{g}", name(sig)), run.len() as i64, 0));
                    }
                }
            }
            ctx.records(&format!("{}|candidates", INFO.id), candidates);
            let claims: Vec<(String, i64, i64)> = (0..ctx.provider_visits.keys() as u32)
                .filter_map(|provider| {
                    let n = ctx.provider_visits.get(provider).iter().filter(|&&x| is_claim(ctx, x)).count();
                    (n > 0).then(|| peer(provider).map(|g| (g, n as i64, 0))).flatten()
                })
                .collect();
            ctx.records(&format!("{}|claims", INFO.id), claims);
            return Vec::new();
        }
        // Per provider: its cloned claims, and its largest clone (patients, the text id of its
        // first claim, signature): ties never depend on hashing or dictionary order.
        type Largest<'s> = Option<(usize, &'s str, &'s Signature)>;
        let mut cloned: BTreeMap<u32, (Vec<u32>, Largest<'_>)> = BTreeMap::new();
        for claims in by_sig.values_mut() {
            claims.sort_unstable();
        }
        for (sig, claims) in &by_sig {
            if claims.len() < p.min_patients {
                continue;
            }
            let mut at: Vec<(u32, usize, &[(u32, u32, u32)])> = Vec::new();
            for run in claims.chunk_by(|a, b| a.0 == b.0) {
                let mut people: Vec<u32> = run.iter().map(|c| c.1).collect();
                people.dedup();
                at.push((run[0].0, people.len(), run));
            }
            // Providers billing it in the month (in memory: here).
            let providers = ctx.total(&format!("{}|providers|{}", INFO.id, name(sig)), at.len() as i128);
            if providers > p.standard_providers as i128 + 1 {
                continue;
            }
            for (provider, people, run) in at {
                if people < p.min_patients {
                    continue;
                }
                let e = cloned.entry(provider).or_default();
                e.0.extend(run.iter().map(|c| c.2));
                let first = run
                    .iter()
                    .map(|c| ctx.visit_id(c.2))
                    .min()
                    .expect("a clone has claims");
                let better = match e.1 {
                    None => true,
                    Some((n, id, _)) => people > n || (people == n && first < id),
                };
                if better {
                    e.1 = Some((people, first, sig));
                }
            }
        }
        let measures: Vec<Measure> = (0..ctx.provider_visits.keys() as u32)
            .into_par_iter()
            .filter_map(|provider| {
                let n = ctx
                    .provider_visits
                    .get(provider)
                    .iter()
                    .filter(|&&x| is_claim(ctx, x))
                    .count();
                let (k, money) = cloned.get(&provider).map_or((0, Fen::ZERO), |c| {
                    let money = c.0.iter().flat_map(|&x| ctx.live_lines(x)).map(|y| ctx.money(y));
                    (c.0.len(), money.sum())
                });
                (n > 0).then(|| Measure {
                    provider,
                    value: k as f64 / n as f64,
                    volume: n,
                    money,
                })
            })
            .collect();
        // The peers' values: this dump's, or out of core the month's, worked out from every
        // provider's claims and candidate clones now that the month's signature counts are known.
        let month: Option<BTreeMap<String, Vec<f64>>> = ctx.scope.map(|_| {
            let mut k: BTreeMap<&str, i64> = BTreeMap::new();
            let candidates = ctx.records(&format!("{}|candidates", INFO.id), Vec::new());
            for (text, claims, _) in candidates.iter() {
                let Some((sig, who)) = text.split_once('\u{1f}') else { continue };
                let providers = ctx.total(&format!("{}|providers|{sig}", INFO.id), 0);
                if providers <= p.standard_providers as i128 + 1 {
                    *k.entry(who).or_default() += claims;
                }
            }
            let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
            for (who, n, _) in ctx.records(&format!("{}|claims", INFO.id), Vec::new()).iter() {
                if (*n as usize) < p.peers.min_volume {
                    continue;
                }
                let g = who.split('\u{1f}').next().unwrap_or_default();
                let value = k.get(who.as_str()).copied().unwrap_or(0) as f64 / *n as f64;
                values.entry(g.to_string()).or_default().push(value);
            }
            values
        });
        let among = |g: &str, local: Vec<f64>| match &month {
            Some(m) => m.get(g).cloned().unwrap_or_default(),
            None => local,
        };
        outliers_among(ctx, measures, &p.peers, &among)
            .into_iter()
            .map(|o| {
                let provider = o.m.provider;
                let (claims, largest) = &cloned[&provider];
                let (people, _, (diag, items)) =
                    largest.expect("a provider with clones has a largest one");
                // Items by code (text), never by dictionary order.
                let mut items: Vec<&(u32, i64)> = items.iter().collect();
                items.sort_by_key(|&&(item, _)| ctx.item_id(item));
                let shown: Vec<String> = items
                    .iter()
                    .map(|&&(item, qty)| {
                        format!("{} × {}", ctx.item_label(item), crate::fmt::qty(qty))
                    })
                    .collect();
                let diag = match *diag {
                    NONE => "-",
                    d => ctx.dump.dicts.diagnoses.get(d),
                };
                let mut h = hit(
                    ctx,
                    &INFO,
                    o,
                    ("雷同病历占比", "Share of cloned claims"),
                    |x| format!("{:.1}%", x * 100.0),
                );
                h.evidence.zh.push_str(&format!(
                    "；雷同病历 {} 份，最大一组 {people} 名不同参保人：诊断 {diag}，{}",
                    claims.len(),
                    shown.join("、")
                ));
                h.evidence.en.push_str(&format!(
                    "; {} cloned claims, the largest set on {people} different patients: \
                     diagnosis {diag}, {}",
                    claims.len(),
                    shown.join(", ")
                ));
                h
            })
            .collect()
    }
}
