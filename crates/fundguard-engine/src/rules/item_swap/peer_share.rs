//! item_swap.peer_share — the expensive one of interchangeable items billed far more than peers do.

use fundguard_model::{category, cmp_times, Fen, NONE};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use statrs::distribution::{Binomial, DiscreteCDF};

use crate::rule::ensure;
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};
use crate::stats;
use crate::rules::peer_outlier::peers::{group, Group};

pub static INFO: RuleInfo = RuleInfo {
    id: "item_swap.peer_share",
    family: Family::ItemSwap,
    baseline: "item_swap.2",
    name_zh: "可替代项目高价串换",
    name_en: "Expensive variant far above peers",
    flags: "Within a group of interchangeable items (drugs sharing type, ATC class and generic \
            name: the first 10 characters of the national code; service items sharing the first 9 \
            digits; or pairs configured in `pairs`), a provider whose share of the expensive item \
            is far above that of its peers of the same type and level (robust z-score on the \
            shares, binomial tail probability at the peers' median share) while the cheap item is \
            nearly absent. Shares count lines, one prescribing choice each, not units: a drug \
            dispensed in boxes of 28 is one choice, not 28.",
    why: "Swapping is billing the dearer variant for what was supplied as the cheaper one \
          (colour Doppler for a plain ultrasound, dispersible for ordinary tablets); it shows as a \
          provider whose mix no longer looks like anyone else's.",
    amount: "Units of the expensive item beyond the peers' median share, times the price \
             difference.",
    example:
        "Peers bill the dispersible cefixime on 30% of cefixime lines; one tertiary hospital \
              on 95% of 400 lines (z = 12, p < 1e-100): fires for the units beyond the peers' \
              30% times (18.00 - 2.00). A hospital at 40% does not (share below min_share), nor \
              one whose two prescriptions of a rare drug both chose the larger pack.",
    severity: 0.6,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "drug_prefix",
            doc: "Leading characters of a national drug code that make drugs interchangeable.",
        },
        ParamDoc {
            name: "service_prefix",
            doc: "Leading digits of a 15-digit service item code that make items interchangeable.",
        },
        ParamDoc {
            name: "pairs",
            doc: "Extra interchangeable pairs, [cheap code, expensive code].",
        },
        ParamDoc {
            name: "min_price_ratio",
            doc:
                "How much dearer (average billed price) an item must be to count as the expensive \
                  variant.",
        },
        ParamDoc {
            name: "min_units",
            doc:
                "Fewest units of the pair a provider must bill to be judged or to serve as a peer.",
        },
        ParamDoc {
            name: "min_lines",
            doc: "Fewest lines of the pair a provider must bill to be judged or to serve as a peer \
                  (the share and its binomial tail count lines: each is one prescribing choice).",
        },
        ParamDoc {
            name: "min_peers",
            doc: "Fewest peers (same type and level) to judge against.",
        },
        ParamDoc {
            name: "min_share",
            doc: "Least share of the expensive item to fire (the cheap one nearly absent).",
        },
        ParamDoc {
            name: "min_z",
            doc: "Least robust z-score of the share against peers.",
        },
        ParamDoc {
            name: "max_p",
            doc: "Largest binomial tail probability of the count at the peers' median share.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub drug_prefix: usize,
    pub service_prefix: usize,
    pub pairs: Vec<[String; 2]>,
    pub min_price_ratio: f64,
    pub min_units: f64,
    pub min_lines: f64,
    pub min_peers: usize,
    pub min_share: f64,
    pub min_z: f64,
    pub max_p: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            drug_prefix: 10,
            service_prefix: 9,
            pairs: Vec::new(),
            min_price_ratio: 1.5,
            min_units: 20.0,
            min_lines: 20.0,
            min_peers: 3,
            min_share: 0.8,
            min_z: 3.5,
            max_p: 1e-6,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        ensure((0.0..=1.0).contains(&self.min_share), || {
            "rules.item_swap.peer_share.min_share must be within 0-1".into()
        })?;
        ensure(self.max_p > 0.0 && self.max_p <= 1.0, || {
            "rules.item_swap.peer_share.max_p must be within (0, 1]".into()
        })
    }
}

pub struct PeerShare(pub Params);

impl PeerShare {
    /// Group key of an item code, or `None` when it has no interchangeable siblings by code.
    fn group<'c>(&self, code: &'c str, drug: bool) -> Option<&'c str> {
        let b = code.as_bytes();
        if drug && b.len() >= 20 && matches!(b[0], b'X' | b'Z') {
            code.get(..self.0.drug_prefix)
        } else if !drug && b.len() == 15 && b.iter().all(u8::is_ascii_digit) {
            code.get(..self.0.service_prefix)
        } else {
            None
        }
    }

    /// (cheap, expensive) item code pairs present in the dump.
    /// `price` is each item's (money, units): its average price is money / units, compared as a
    /// fraction, exactly.
    fn pairs(&self, ctx: &Ctx<'_>, price: &[(Fen, i64)]) -> Vec<(u32, u32)> {
        let priced = |i: u32| price[i as usize].0 > Fen::ZERO && price[i as usize].1 > 0;
        // (money_a × units_b, money_b × units_a): a's price against b's.
        let cross = |a: u32, b: u32| {
            let ((ma, ua), (mb, ub)) = (price[a as usize], price[b as usize]);
            (
                i128::from(ma.0) * i128::from(ub),
                i128::from(mb.0) * i128::from(ua),
            )
        };
        let items = &ctx.dump.dicts.items;
        let mut drug = vec![false; items.len()];
        for (i, &c) in ctx.dump.lines.category.iter().enumerate() {
            drug[ctx.dump.lines.item[i] as usize] |= category::is_drug(c);
        }
        let mut groups: FxHashMap<&str, Vec<u32>> = FxHashMap::default();
        for (code, text) in items.iter().enumerate() {
            if priced(code as u32) {
                if let Some(g) = self.group(text, drug[code]) {
                    groups.entry(g).or_default().push(code as u32);
                }
            }
        }
        let mut pairs = Vec::new();
        for members in groups.values() {
            let &cheap = members
                .iter()
                .min_by(|&&a, &&b| {
                    let (x, y) = cross(a, b);
                    x.cmp(&y).then_with(|| ctx.item_id(a).cmp(ctx.item_id(b)))
                })
                .expect("groups are not empty");
            for &e in members {
                let (dear, cheap_price) = cross(e, cheap);
                if e != cheap && cmp_times(dear, cheap_price, self.0.min_price_ratio).is_ge() {
                    pairs.push((cheap, e));
                }
            }
        }
        for [c, e] in &self.0.pairs {
            if let (Some(c), Some(e)) = (items.code(c), items.code(e)) {
                pairs.push((c, e));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }
}

impl Rule for PeerShare {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        let n_items = ctx.dump.dicts.items.len();
        let n_prov = ctx.dump.dicts.providers.len();
        // Units (scale 4), money and lines per (provider, item): the shares and their tail are
        // counted in lines, each a prescriber's choice (units come in packs of 7, 14, 28 and would
        // overstate the evidence); the money in units.
        type Sums = FxHashMap<(u32, u32), (i64, Fen, u32)>;
        let units: Sums = ctx.fold_live_lines(
            Sums::default,
            |acc: &mut Sums, line, visit| {
                let i = line as usize;
                let e = acc.entry((v.provider[visit as usize], l.item[i])).or_default();
                e.0 += ctx.net_qty[i];
                e.1 += ctx.money(line);
                e.2 += 1;
            },
            |mut a: Sums, b: Sums| {
                for (k, (q, m, n)) in b {
                    let e = a.entry(k).or_default();
                    e.0 += q;
                    e.1 += m;
                    e.2 += n;
                }
                a
            },
        );
        // Average price per item (integer sums: the order of the map does not matter).
        let mut item_units = vec![0i64; n_items];
        let mut item_money = vec![Fen::ZERO; n_items];
        for (&(_, item), &(q, m, _)) in &units {
            item_units[item as usize] += q;
            item_money[item as usize] += m;
        }
        let price: Vec<(Fen, i64)> = item_money.iter().copied().zip(item_units.iter().copied()).collect();
        let pairs = self.pairs(ctx, &price);
        let scale = 10f64.powi(fundguard_model::QTY_SCALE as i32);
        // The peer group (derived from the claims without a providers table); a provider the
        // table does not list is compared with the others of its type.
        let peer_key = |p: u32| {
            group(ctx, p).unwrap_or(Group::Declared(ctx.provider_type[p as usize], NONE))
        };
        let mut hits = Vec::new();
        for &(cheap, dear) in &pairs {
            // Per peer group: (provider, dear lines, all lines, dear units, all units) with
            // enough of both.
            let mut by_peer: FxHashMap<Group, Vec<(u32, f64, f64, f64, f64)>> =
                FxHashMap::default();
            for p in 0..n_prov as u32 {
                let (d, _, dl) = units.get(&(p, dear)).copied().unwrap_or_default();
                let (c, _, cl) = units.get(&(p, cheap)).copied().unwrap_or_default();
                let n = (d + c) as f64 / scale;
                let lines = f64::from(dl + cl);
                if n >= self.0.min_units && lines >= self.0.min_lines {
                    by_peer.entry(peer_key(p)).or_default().push((
                        p,
                        f64::from(dl),
                        lines,
                        d as f64 / scale,
                        n,
                    ));
                }
            }
            let mut groups: Vec<_> = by_peer.into_values().collect();
            groups.sort_unstable_by_key(|g| g[0].0);
            for group in groups {
                if group.len() <= self.0.min_peers {
                    continue;
                }
                let shares: Vec<f64> = group.iter().map(|g| g.1 / g.2).collect();
                let (median, mad) = stats::median_mad(&shares);
                for (k, &(p, d, n, du, nu)) in group.iter().enumerate() {
                    let share = shares[k];
                    let z = stats::robust_z(share, median, mad, 0.02);
                    if share < self.0.min_share || z < self.0.min_z {
                        continue;
                    }
                    let p0 = median.clamp(1e-6, 1.0 - 1e-6);
                    let trials = n.round() as u64;
                    let count = d.round() as u64;
                    let tail = Binomial::new(p0, trials)
                        .map(|b| if count == 0 { 1.0 } else { b.sf(count - 1) })
                        .unwrap_or(1.0);
                    if tail > self.0.max_p {
                        continue;
                    }
                    // Units beyond the peer median share are a statistic; their money is exact:
                    // those units at each item's average price, the difference in fen.
                    let excess = ((du - median * nu).max(0.0) * scale).round() as i64;
                    let at_price = |item: u32| match item_units[item as usize] {
                        0 => Fen::ZERO,
                        u => item_money[item as usize].mul_div(excess, u),
                    };
                    let amount = at_price(dear) - at_price(cheap);
                    let (dn, cn) = (ctx.item_label(dear), ctx.item_label(cheap));
                    let ev = Evidence::new(
                        format!(
                            "{dn} 占 {dn}/{cn} 合计 {n:.0} 条明细的 {:.0}%，同类同级机构中位数 {:.0}%（稳健 z = {z:.1}，二项尾概率 {tail:.1e}），多收约 {} 元",
                            share * 100.0,
                            median * 100.0,
                            fmt::money(amount)
                        ),
                        format!(
                            "{dn} is {:.0}% of {n:.0} lines of {dn}/{cn}; peers of the same type and level: median {:.0}% (robust z = {z:.1}, binomial tail {tail:.1e}); about {} yuan above the cheaper item",
                            share * 100.0,
                            median * 100.0,
                            fmt::money(amount)
                        ),
                    );
                    hits.push(
                        Hit::new(&INFO, Subject::Provider(p), ev)
                            .provider(p)
                            .amount(amount)
                            .severity(INFO.severity + 0.1 * (share - median))
                            .p(tail),
                    );
                }
            }
        }
        hits
    }
}
