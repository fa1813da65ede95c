//! What the peer_outlier rules share.

use std::collections::BTreeMap;

use fundguard_model::{Fen, ProviderType, VisitType, NONE};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::ctx::Ctx;
use crate::rule::{ensure, RuleParams};
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{ParamDoc, RuleInfo};
use crate::stats::median_mad;

/// Parameters every peer comparison shares.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Peers {
    /// Fewest providers in a peer group (including the one judged).
    pub min_peers: usize,
    /// Least volume (stays, settlements …) for a provider's metric to count.
    pub min_volume: usize,
    /// Least robust z-score.
    pub min_z: f64,
    /// Largest upper-tail probability of the z-score.
    pub max_p: f64,
    /// Floor of the spread, as a share of the peer median (identical peers would otherwise make
    /// any difference infinitely improbable).
    pub min_spread: f64,
    /// Least difference from the peer median, in the metric's units (for shares, where peers
    /// mostly at zero leave no spread to measure).
    pub min_difference: f64,
}

impl Default for Peers {
    fn default() -> Self {
        Peers {
            min_peers: 5,
            min_volume: 20,
            min_z: 4.0,
            max_p: 1e-4,
            min_spread: 0.05,
            min_difference: 0.0,
        }
    }
}

impl Peers {
    /// Defaults for a metric that is a share (0-1): it must exceed the peers by `points`.
    pub(crate) fn share(points: f64) -> Self {
        Peers {
            min_difference: points,
            ..Peers::default()
        }
    }
}

impl RuleParams for Peers {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(
            self.min_peers >= 3
                && self.min_z > 0.0
                && (0.0..=1.0).contains(&self.max_p)
                && self.min_spread > 0.0
                && self.min_difference >= 0.0,
            || {
                format!("{rule}: need min_peers >= 3, min_z > 0, 0 <= max_p <= 1, min_spread > 0, min_difference >= 0")
            },
        )
    }
}

/// The documentation of [`Peers`], for every rule's `params`.
pub(crate) const PEER_PARAMS: [ParamDoc; 6] = [
    ParamDoc {
        name: "min_peers",
        doc: "Fewest providers of the same type and level for a comparison.",
    },
    ParamDoc {
        name: "min_volume",
        doc: "Least volume (stays, settlements) behind a provider's metric.",
    },
    ParamDoc {
        name: "min_z",
        doc: "Least robust z-score ((value − peer median) / 1.4826·MAD).",
    },
    ParamDoc {
        name: "max_p",
        doc: "Largest upper-tail normal probability of that z-score.",
    },
    ParamDoc {
        name: "min_spread",
        doc: "Floor of the peers' spread as a share of their median (or mean, when larger).",
    },
    ParamDoc {
        name: "min_difference",
        doc: "Least difference from the peer median in the metric's units (shares: 0.1 = 10 \
              percentage points), so that tiny absolute gaps among near-zero peers never fire.",
    },
];

/// One provider's metric.
pub(crate) struct Measure {
    pub provider: u32,
    pub value: f64,
    pub volume: usize,
    /// The money the metric is about (its excess share is the amount at risk).
    pub money: Fen,
}

/// The part of `money` beyond what the peer median would give: `money × (value − median) / value`.
pub(crate) fn excess(money: Fen, value: f64, median: f64) -> Fen {
    if value <= 0.0 {
        return Fen::ZERO;
    }
    money.mul_share(((value - median) / value).clamp(0.0, 1.0))
}

/// Per provider with stays: the share of its stays that `flag` marks (`None`: the stay does not
/// count, `Some(true)`: flagged) and, as the money, what the fund paid for the flagged ones.
pub(crate) fn stay_shares(
    ctx: &Ctx<'_>,
    flag: impl Fn(usize) -> Option<bool> + Sync,
) -> Vec<Measure> {
    use rayon::prelude::*;
    let fund = &ctx.dump.visits.fund_paid;
    (0..ctx.provider_visits.keys() as u32)
        .into_par_iter()
        .filter_map(|provider| {
            let (mut stays, mut n, mut money) = (0usize, 0usize, Fen::ZERO);
            for s in ctx.stays(ctx.provider_visits.get(provider)) {
                match flag(s as usize) {
                    Some(true) => {
                        stays += 1;
                        n += 1;
                        money += Fen(fund[s as usize]);
                    }
                    Some(false) => stays += 1,
                    None => {}
                }
            }
            (stays > 0).then(|| Measure {
                provider,
                value: n as f64 / stays as f64,
                volume: stays,
                money,
            })
        })
        .collect()
}

/// The upper tail `P(X >= k)` of a binomial count of `n` trials at share `p` (clamped into
/// (0, 1)): how improbable `k` flagged of `n` are for a provider at the expected share. Shares of a
/// few dozen stays jump with one or two of them; a robust z against peers at 0% cannot tell.
pub(crate) fn binomial_tail(k: usize, n: usize, p: f64) -> f64 {
    use statrs::distribution::{Binomial, DiscreteCDF};
    if k == 0 {
        return 1.0;
    }
    Binomial::new(p.clamp(1e-9, 1.0 - 1e-9), n as u64)
        .map(|b| b.sf(k as u64 - 1))
        .unwrap_or(1.0)
}

/// A provider far above its peers.
pub(crate) struct Outlier {
    pub m: Measure,
    pub median: f64,
    pub z: f64,
    pub p: f64,
    pub peers: usize,
}

impl Outlier {
    /// The money beyond what the peer median would give ([`excess`]).
    pub fn excess(&self) -> Fen {
        excess(self.m.money, self.m.value, self.median)
    }

    /// Severity from the base and how extreme the z-score is.
    pub fn severity(&self, base: f64) -> f64 {
        (base + 0.05 * (self.z - 4.0).max(0.0)).min(0.95)
    }
}

/// A provider's peer group: its type and `hosp_lv` level code from the providers table, or, in a
/// dump without one, a group derived from its claims ([`derive_groups`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Declared(ProviderType, u32),
    /// Derived type, size tier (1 = smallest) and number of tiers of that type.
    Derived(ProviderType, u8, u8),
}

impl Group {
    /// How the group reads in evidence: `hospital 05`, `hospital, size tier 2 of 3`.
    pub fn describe(&self, ctx: &Ctx<'_>) -> String {
        match *self {
            Group::Declared(t, l) if l == NONE => t.as_str().to_string(),
            Group::Declared(t, l) => {
                format!("{} {}", t.as_str(), ctx.dump.dicts.codes.get_opt(l).unwrap_or("-"))
            }
            Group::Derived(t, tier, tiers) => format!("{}, size tier {tier} of {tiers}", t.as_str()),
        }
    }
}

/// Peer group of a provider: declared in the providers table when the dump has one (a provider
/// the table does not list has none), derived from the claims when it has none.
pub(crate) fn group(ctx: &Ctx<'_>, provider: u32) -> Option<Group> {
    match ctx.dump.providers.as_ref() {
        Some(t) => {
            let row = ctx.institution(provider)?;
            Some(Group::Declared(t.provider_type[row], t.level[row]))
        }
        None => ctx.derived_groups.get_or_init(|| derive_groups(ctx))[provider as usize],
    }
}

/// Peer groups from the claims alone, for a dump without a providers table. A provider's type is
/// what most of its live visits are: pharmacy when at least half are pharmacy purchases, hospital
/// when it has at least [`MIN_STAYS`] stays making at least 1% of its visits, clinic otherwise.
/// Its size is the number of doctors its visits and lines name when at least half of the dump's
/// visits name one (a hospital's staff follows its level), its visit count otherwise. Within a
/// type, providers sorted by size (ties by id) are cut into equal tiers: three when the type has
/// at least 30 providers, two from 20, one below, so that every tier keeps enough peers.
pub fn derive_groups(ctx: &Ctx<'_>) -> Vec<Option<Group>> {
    const MIN_STAYS: usize = 5;
    let v = &ctx.dump.visits;
    let l = &ctx.dump.lines;
    let n = ctx.provider_visits.keys();
    let named = v.doctor.iter().filter(|&&d| d != NONE).count();
    // The month's counts (a partition of it asks for every partition's).
    let named = ctx.total("derived_groups|named", named as i128);
    let visits = ctx.total("derived_groups|visits", v.doctor.len() as i128);
    let by_doctors = named * 2 >= visits.max(1);
    let mut kinds: BTreeMap<ProviderType, Vec<(usize, &str, u32)>> = BTreeMap::new();
    for p in 0..n as u32 {
        let (mut visits, mut stays, mut pharmacy) = (0usize, 0usize, 0usize);
        let mut doctors: Vec<u32> = Vec::new();
        for &x in ctx.provider_visits.get(p) {
            if !ctx.visit_live[x as usize] {
                continue;
            }
            visits += 1;
            match ctx.visit_type(x) {
                VisitType::Inpatient => stays += 1,
                VisitType::Pharmacy => pharmacy += 1,
                _ => {}
            }
            if by_doctors {
                doctors.push(v.doctor[x as usize]);
                doctors.extend(ctx.visit_lines.get(x).iter().map(|&y| l.doctor[y as usize]));
            }
        }
        if visits == 0 {
            continue;
        }
        let kind = if pharmacy * 2 >= visits {
            ProviderType::Pharmacy
        } else if stays >= MIN_STAYS && stays * 100 >= visits {
            ProviderType::Hospital
        } else {
            ProviderType::Clinic
        };
        let size = if by_doctors {
            doctors.retain(|&d| d != NONE);
            doctors.sort_unstable();
            doctors.dedup();
            doctors.len()
        } else {
            visits
        };
        kinds
            .entry(kind)
            .or_default()
            .push((size, ctx.dump.dicts.providers.get(p), p));
    }
    let mut out = vec![None; n];
    for (kind, members) in kinds {
        // Every provider of the kind in the month, by size and id.
        let local = members.iter().map(|&(size, id, _)| (size as u64, id.to_string())).collect();
        let mut all = ctx
            .ranked(&format!("derived_groups|{}", kind.as_str()), local)
            .into_owned();
        all.sort_unstable();
        let tiers = match all.len() {
            m if m >= 30 => 3,
            m if m >= 20 => 2,
            _ => 1,
        };
        let len = all.len();
        for &(size, id, p) in &members {
            let k = all
                .binary_search_by(|(s, i)| (*s, i.as_str()).cmp(&(size as u64, id)))
                .expect("a provider is among the month's");
            let tier = (k * tiers / len) as u8 + 1;
            out[p as usize] = Some(Group::Derived(kind, tier, tiers as u8));
        }
    }
    out
}

/// The name of a peer group that is the same in every partition of a month (level codes are
/// dictionary codes, which are not).
pub(crate) fn group_name(ctx: &Ctx<'_>, g: Group) -> String {
    match g {
        Group::Declared(t, l) => {
            format!("{}|{}", t.as_str(), ctx.dump.dicts.codes.get_opt(l).unwrap_or(""))
        }
        Group::Derived(t, tier, tiers) => format!("{}|{tier}/{tiers}", t.as_str()),
    }
}

/// The measures that count (enough volume, a finite value), by peer group, and each group's
/// values in the month (`month(group name, this dump's values)`), sorted.
fn peer_groups(
    ctx: &Ctx<'_>,
    measures: Vec<Measure>,
    p: &Peers,
    month: &dyn Fn(&str, Vec<f64>) -> Vec<f64>,
) -> BTreeMap<Group, (Vec<Measure>, Vec<f64>)> {
    let mut groups: BTreeMap<Group, Vec<Measure>> = BTreeMap::new();
    for m in measures {
        if m.volume < p.min_volume || !m.value.is_finite() {
            continue;
        }
        if let Some(g) = group(ctx, m.provider) {
            groups.entry(g).or_default().push(m);
        }
    }
    groups
        .into_iter()
        .map(|(g, members)| {
            let local = members.iter().map(|m| m.value).collect();
            let mut values = month(&group_name(ctx, g), local);
            values.sort_by(f64::total_cmp);
            (g, (members, values))
        })
        .collect()
}

/// The measures in the upper tail of their peer groups; `key` names the comparison (the rule's
/// id, and what it compares when a rule makes several) among the month's values
/// ([`Ctx::population`]).
pub(crate) fn outliers(ctx: &Ctx<'_>, key: &str, measures: Vec<Measure>, p: &Peers) -> Vec<Outlier> {
    outliers_among(ctx, measures, p, &|g, local| {
        ctx.population(&format!("{key}|{g}"), local).into_owned()
    })
}

/// [`outliers`] against the values `month(group name, this dump's values)` gives: for a rule
/// whose peers' values can only be worked out once the month's other values are known.
pub(crate) fn outliers_among(
    ctx: &Ctx<'_>,
    measures: Vec<Measure>,
    p: &Peers,
    month: &dyn Fn(&str, Vec<f64>) -> Vec<f64>,
) -> Vec<Outlier> {
    let normal = Normal::standard();
    let mut out = Vec::new();
    for (_, (members, values)) in peer_groups(ctx, measures, p, month) {
        if values.len() < p.min_peers {
            continue;
        }
        let (median, mad) = median_mad(&values);
        // Spread floor: a share of the median, or of the mean when most peers sit at zero.
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let floor = (p.min_spread * median.abs().max(mean.abs())).max(1e-12);
        let peers = values.len();
        for m in members {
            let z = crate::stats::robust_z(m.value, median, mad, floor);
            let tail = 1.0 - normal.cdf(z);
            if z >= p.min_z && tail <= p.max_p && m.value - median >= p.min_difference {
                out.push(Outlier {
                    m,
                    median,
                    z,
                    p: tail,
                    peers,
                });
            }
        }
    }
    out.sort_unstable_by_key(|o| o.m.provider);
    out
}

/// The median of each peer group's values, over the measures that count (as [`outliers`] takes
/// them: enough volume, a finite value, groups of at least `min_peers`).
pub(crate) fn group_medians(
    ctx: &Ctx<'_>,
    key: &str,
    measures: &[Measure],
    p: &Peers,
) -> BTreeMap<Group, f64> {
    let mut groups: BTreeMap<Group, Vec<f64>> = BTreeMap::new();
    for m in measures {
        if m.volume >= p.min_volume && m.value.is_finite() {
            if let Some(g) = group(ctx, m.provider) {
                groups.entry(g).or_default().push(m.value);
            }
        }
    }
    groups
        .into_iter()
        .map(|(g, local)| (g, ctx.population(&format!("{key}|{}", group_name(ctx, g)), local)))
        .filter(|(_, v)| v.len() >= p.min_peers)
        .map(|(g, v)| (g, crate::stats::median(&v)))
        .collect()
}

/// Measures every provider (`measure(provider, its visits by settlement time)`, in parallel) and
/// reports those far above their peers as hits of `info`; `metric` names the measure (zh, en) and
/// `show` formats its values.
pub(crate) fn compare(
    ctx: &Ctx<'_>,
    info: &'static RuleInfo,
    peers: &Peers,
    metric: (&str, &str),
    show: impl Fn(f64) -> String,
    measure: impl Fn(u32, &[u32]) -> Option<Measure> + Sync,
) -> Vec<Hit> {
    use rayon::prelude::*;
    let measures: Vec<Measure> = (0..ctx.provider_visits.keys() as u32)
        .into_par_iter()
        .filter_map(|p| measure(p, ctx.provider_visits.get(p)))
        .collect();
    outliers(ctx, info.id, measures, peers)
        .into_iter()
        .map(|o| hit(ctx, info, o, metric, &show))
        .collect()
}

/// `= 3.2e-7`, or `< 1e-15` below what a double resolves in the tail.
fn probability(p: f64) -> String {
    if p < 1e-15 {
        "< 1e-15".into()
    } else {
        format!("= {p:.1e}")
    }
}

/// The hit of one outlier: `metric` names it (zh, en) and `show` formats its values; its amount
/// is the money beyond the peer median share ([`Outlier::excess`]).
pub(crate) fn hit(
    ctx: &Ctx<'_>,
    info: &'static RuleInfo,
    o: Outlier,
    metric: (&str, &str),
    show: impl Fn(f64) -> String,
) -> Hit {
    let amount = o.excess();
    hit_with_amount(ctx, info, o, metric, show, amount)
}

/// [`hit`] with an amount the rule computed otherwise.
pub(crate) fn hit_with_amount(
    ctx: &Ctx<'_>,
    info: &'static RuleInfo,
    o: Outlier,
    metric: (&str, &str),
    show: impl Fn(f64) -> String,
    amount: Fen,
) -> Hit {
    let g = group(ctx, o.m.provider);
    let (peers_zh, peers_en) = match g {
        Some(Group::Derived(..)) => (
            "同类同规模机构（无机构表，按理赔推断）",
            "peers of the same type and size (derived from the claims: no providers table)",
        ),
        _ => ("同类同级机构", "peers of the same type and level"),
    };
    let group = g.map(|g| g.describe(ctx)).unwrap_or_default();
    let ev = Evidence::new(
        format!(
            "{}：本机构 {}，{peers_zh}（{group}，{} 家）中位数 {}，稳健 z = {:.1}，尾概率 p {}；按中位数计超出约 {} 元",
            metric.0,
            show(o.m.value),
            o.peers,
            show(o.median),
            o.z,
            probability(o.p),
            crate::fmt::money(amount)
        ),
        format!(
            "{}: {} here against a median of {} among {} {peers_en} ({group}); robust z = {:.1}, tail p {}; about {} yuan above the median's",
            metric.1,
            show(o.m.value),
            show(o.median),
            o.peers,
            o.z,
            probability(o.p),
            crate::fmt::money(amount)
        ),
    );
    let severity = o.severity(info.severity);
    let provider = o.m.provider;
    Hit::new(info, Subject::Provider(provider), ev)
        .provider(provider)
        .amount(amount)
        .severity(severity)
        .p(o.p)
}
