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
use crate::rules::peer_outlier::peers::{group, group_name as peer_name, Group};
use std::collections::BTreeMap;

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

    /// The month's items with their money, units and whether they are drugs, sorted by code:
    /// this dump's in a run of the whole month, every partition's in an out-of-core one
    /// ([`Ctx::population`]). `wanted` adds items without lines (configured pairs).
    fn month_items(
        &self,
        ctx: &Ctx<'_>,
        sums: &[(Fen, i64, bool)],
        wanted: &[u32],
    ) -> Vec<MonthItem> {
        let items = &ctx.dump.dicts.items;
        let local = (0..items.len())
            .filter(|&i| sums[i] != (Fen::ZERO, 0, false) || wanted.contains(&(i as u32)))
            .map(|i| (0, items.get(i as u32).to_string()))
            .collect();
        let mut all = ctx.ranked(&format!("{}|items", INFO.id), local).into_owned();
        all.sort_unstable();
        all.dedup();
        all.into_iter()
            .map(|(_, code)| {
                let (m, u, d) = items.code(&code).map_or((Fen::ZERO, 0, false), |c| sums[c as usize]);
                let key = |what: &str| format!("{}|{what}|{code}", INFO.id);
                let money = Fen(ctx.total(&key("money"), i128::from(m.0)) as i64);
                let units = ctx.total(&key("units"), i128::from(u)) as i64;
                let drug = ctx.total(&key("drug"), i128::from(d)) > 0;
                MonthItem { code, money, units, drug }
            })
            .collect()
    }

    /// (cheap, expensive) pairs of the month's items, as indexes into `month`. The price of an
    /// item is its money / units, compared as a fraction, exactly.
    fn pairs(&self, month: &[MonthItem]) -> Vec<(usize, usize)> {
        let priced = |i: usize| month[i].money > Fen::ZERO && month[i].units > 0;
        // (money_a × units_b, money_b × units_a): a's price against b's.
        let cross = |a: usize, b: usize| {
            (
                i128::from(month[a].money.0) * i128::from(month[b].units),
                i128::from(month[b].money.0) * i128::from(month[a].units),
            )
        };
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, m) in month.iter().enumerate() {
            if priced(i) {
                if let Some(g) = self.group(&m.code, m.drug) {
                    groups.entry(g).or_default().push(i);
                }
            }
        }
        let mut pairs = Vec::new();
        for members in groups.values() {
            // Equal prices: the first by code (`month` is sorted by code).
            let &cheap = members
                .iter()
                .min_by(|&&a, &&b| {
                    let (x, y) = cross(a, b);
                    x.cmp(&y).then(a.cmp(&b))
                })
                .expect("groups are not empty");
            for &e in members {
                let (dear, cheap_price) = cross(e, cheap);
                if e != cheap && cmp_times(dear, cheap_price, self.0.min_price_ratio).is_ge() {
                    pairs.push((cheap, e));
                }
            }
        }
        let find = |code: &str| month.binary_search_by(|m| m.code.as_str().cmp(code)).ok();
        for [c, e] in &self.0.pairs {
            if let (Some(c), Some(e)) = (find(c), find(e)) {
                pairs.push((c, e));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }
}

/// One item of the month ([`PeerShare::month_items`]).
struct MonthItem {
    code: String,
    money: Fen,
    units: i64,
    drug: bool,
}

impl Rule for PeerShare {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let l = &ctx.dump.lines;
        let v = &ctx.dump.visits;
        let n_items = ctx.dump.dicts.items.len();
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
        // Money, units and drug flag per item (integer sums: the order of the map does not
        // matter), then the month's.
        let mut sums = vec![(Fen::ZERO, 0i64, false); n_items];
        for (&(_, item), &(q, m, _)) in &units {
            let e = &mut sums[item as usize];
            e.0 += m;
            e.1 += q;
        }
        for (i, &c) in l.category.iter().enumerate() {
            sums[l.item[i] as usize].2 |= category::is_drug(c);
        }
        let items = &ctx.dump.dicts.items;
        let wanted: Vec<u32> = self
            .0
            .pairs
            .iter()
            .flatten()
            .filter_map(|c| items.code(c))
            .collect();
        let month = self.month_items(ctx, &sums, &wanted);
        let scale = 10f64.powi(fundguard_model::QTY_SCALE as i32);
        // The peer group (derived from the claims without a providers table); a provider the
        // table does not list is compared with the others of its type.
        let peer_key = |p: u32| {
            group(ctx, p).unwrap_or(Group::Declared(ctx.provider_type[p as usize], NONE))
        };
        // Per item of a pair: (peer group, provider id) → (lines, units) of every provider
        // that billed it in the month, gathered once per item.
        let mut by_item: FxHashMap<u32, Vec<(u32, u32, i64)>> = FxHashMap::default();
        for (&(p, item), &(q, _, n)) in &units {
            by_item.entry(item).or_default().push((p, n, q));
        }
        // In the collecting pass of an out-of-core run every item's billing is gathered, not only
        // this partition's pairs' (the month's pairs may differ).
        // An item's billing as records: (peer group, provider id), lines, units.
        let billing = |v: &[(u32, u32, i64)]| -> Vec<(String, i64, i64)> {
            v.iter()
                .map(|&(p, n, q)| {
                    let g = peer_name(ctx, peer_key(p));
                    (format!("{g}\u{1f}{}", ctx.provider_id(p)), i64::from(n), q)
                })
                .collect()
        };
        if ctx.collecting() {
            for (&item, v) in &by_item {
                let code = items.get(item);
                ctx.records(&format!("{}|billed|{code}", INFO.id), billing(v));
            }
            return Vec::new();
        }
        let pairs = self.pairs(&month);
        let mut billed: BTreeMap<usize, FxHashMap<String, (i64, i64)>> = BTreeMap::new();
        for &(c, e) in &pairs {
            for i in [c, e] {
                billed.entry(i).or_insert_with(|| {
                    let local = items
                        .code(&month[i].code)
                        .and_then(|code| by_item.get(&code))
                        .map(|v| billing(v))
                        .unwrap_or_default();
                    let key = format!("{}|billed|{}", INFO.id, month[i].code);
                    ctx.records(&key, local)
                        .iter()
                        .map(|(k, n, q)| (k.clone(), (*n, *q)))
                        .collect()
                });
            }
        }
        let mut hits = Vec::new();
        for &(ci, di) in &pairs {
            let (cheap_rows, dear_rows) = (&billed[&ci], &billed[&di]);
            // Every provider of the month billing either item with enough of both: its peer
            // group's shares (dear lines / all lines).
            let mut shares: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
            let keys: std::collections::BTreeSet<&String> =
                cheap_rows.keys().chain(dear_rows.keys()).collect();
            for k in keys {
                let (dl, du) = dear_rows.get(k).copied().unwrap_or_default();
                let (cl, cu) = cheap_rows.get(k).copied().unwrap_or_default();
                let n = (du + cu) as f64 / scale;
                let lines = (dl + cl) as f64;
                if n >= self.0.min_units && lines >= self.0.min_lines {
                    let g = k.split('\u{1f}').next().unwrap_or_default();
                    shares.entry(g).or_default().push(dl as f64 / lines);
                }
            }
            let stats: BTreeMap<&str, (f64, f64)> = shares
                .into_iter()
                .filter(|(_, v)| v.len() > self.0.min_peers)
                .map(|(g, v)| (g, stats::median_mad(&v)))
                .collect();
            let (cheap_code, dear_code) = (items.code(&month[ci].code), items.code(&month[di].code));
            let Some(dear) = dear_code else { continue };
            // This dump's providers billing the expensive item, in id order.
            let mut local: Vec<u32> = by_item
                .get(&dear)
                .map(|v| v.iter().map(|t| t.0).collect())
                .unwrap_or_default();
            local.sort_unstable_by(|&a, &b| ctx.provider_id(a).cmp(ctx.provider_id(b)));
            for p in local {
                let g = peer_name(ctx, peer_key(p));
                let Some(&(median, mad)) = stats.get(g.as_str()) else { continue };
                let (d, _, dl) = units.get(&(p, dear)).copied().unwrap_or_default();
                let (c, _, cl) = cheap_code
                    .and_then(|c| units.get(&(p, c)).copied())
                    .unwrap_or_default();
                let (du, nu) = (d as f64 / scale, (d + c) as f64 / scale);
                let (d, n) = (f64::from(dl), f64::from(dl + cl));
                if nu < self.0.min_units || n < self.0.min_lines {
                    continue;
                }
                let share = d / n;
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
                let at_price = |i: usize| match month[i].units {
                    0 => Fen::ZERO,
                    u => month[i].money.mul_div(excess, u),
                };
                    let amount = at_price(di) - at_price(ci);
                    let dn = ctx.item_label(dear);
                    let cn = cheap_code.map_or(month[ci].code.as_str(), |c| ctx.item_label(c));
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
        hits
    }
}
