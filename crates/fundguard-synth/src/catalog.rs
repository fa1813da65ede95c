//! The city's catalogue: the fixed items the injected cases and the national rule base name
//! ([`ITEMS`]), then a long tail of thousands of items in the national code structures — 23-character
//! X… western drugs and 20-character Z… patent medicines grouped into products with several
//! specifications, 15-digit service items, 27-character C… consumables — whose popularity is
//! long-tailed (a few items on most visits, thousands rare) and whose service prices depend on the
//! institution's level.
//!
//! The tail is the same for every seed (national codes are national), drawn from a stream of its
//! own.

use crate::rng::Rng;
use crate::world::ITEMS;

/// One catalogue item. Prices are in fen (the tertiary price for service items).
#[derive(Debug, Clone)]
pub(crate) struct CatItem {
    pub code: String,
    pub name: String,
    pub category: u8,
    pub price_fen: i64,
    pub max_per_day: Option<i64>,
    pub listed: bool,
    /// Service items are priced by level; drugs and consumables are not (zero mark-up).
    pub by_level: bool,
}

/// What a tail item is used for, to draw it where it belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Western drugs taken by mouth (outpatient, pharmacy, inpatient oral).
    Oral,
    /// Injections and infusions (inpatient, outpatient treatment rooms).
    Injection,
    /// Patent medicines (中成药).
    Patent,
    Lab,
    Exam,
    Treatment,
    Consumable,
}

/// Items of each kind in the tail, and how skewed their popularity is (Zipf exponent).
const TAIL: &[(Kind, usize, f64)] = &[
    (Kind::Oral, 2_400, 1.05),
    (Kind::Injection, 900, 1.05),
    (Kind::Patent, 1_100, 1.1),
    (Kind::Lab, 600, 1.2),
    (Kind::Exam, 300, 1.2),
    (Kind::Treatment, 500, 1.15),
    (Kind::Consumable, 700, 1.1),
];

const DRUG_STEMS: &[&str] = &[
    "阿莫西林",
    "头孢呋辛",
    "左氧氟沙星",
    "阿奇霉素",
    "氨溴索",
    "布洛芬",
    "对乙酰氨基酚",
    "硝苯地平",
    "厄贝沙坦",
    "缬沙坦",
    "美托洛尔",
    "瑞舒伐他汀",
    "格列美脲",
    "阿卡波糖",
    "西格列汀",
    "兰索拉唑",
    "雷贝拉唑",
    "铝碳酸镁",
    "莫沙必利",
    "氯雷他定",
    "孟鲁司特",
    "坦索罗辛",
    "非那雄胺",
    "阿仑膦酸钠",
    "碳酸钙",
    "甲钴胺",
    "叶酸",
    "氯吡格雷",
    "阿司匹林",
    "华法林",
    "利伐沙班",
    "左甲状腺素",
    "舍曲林",
    "奥氮平",
    "喹硫平",
    "丙戊酸钠",
    "卡马西平",
    "多奈哌齐",
    "加巴喷丁",
    "塞来昔布",
];
const ORAL_FORMS: &[&str] = &[
    "片",
    "胶囊",
    "缓释片",
    "颗粒",
    "分散片",
    "肠溶片",
    "口服溶液",
];
const INJECTION_FORMS: &[&str] = &["注射液", "注射用冻干粉", "注射用粉针"];
const PATENT_STEMS: &[&str] = &[
    "复方丹参",
    "银杏叶",
    "血塞通",
    "脑心通",
    "通心络",
    "藿香正气",
    "板蓝根",
    "双黄连",
    "蒲地蓝",
    "金水宝",
    "百令",
    "逍遥",
    "归脾",
    "参苓白术",
    "补中益气",
    "知柏地黄",
    "杞菊地黄",
    "桂枝茯苓",
];
const PATENT_FORMS: &[&str] = &["胶囊", "片", "颗粒", "丸", "口服液", "滴丸"];
const LABS: &[&str] = &[
    "电解质测定",
    "肾功能",
    "血脂测定",
    "C反应蛋白",
    "降钙素原",
    "凝血功能",
    "尿常规",
    "粪便常规",
    "甲状腺功能",
    "乙肝五项",
    "肿瘤标志物",
    "心肌酶谱",
    "血气分析",
    "同型半胱氨酸",
    "血淀粉酶",
];
const EXAMS: &[&str] = &[
    "心电图",
    "动态心电图",
    "腹部彩超",
    "甲状腺彩超",
    "颈部血管彩超",
    "头颅CT平扫",
    "胸部CT平扫",
    "腰椎MRI",
    "膝关节MRI",
    "胃镜检查",
    "肠镜检查",
    "骨密度测定",
    "肺功能检查",
];
const TREATMENTS: &[&str] = &[
    "雾化吸入",
    "换药",
    "针灸",
    "推拿",
    "中频脉冲电治疗",
    "牵引",
    "红外线治疗",
    "关节松动训练",
    "运动疗法",
    "吸氧",
    "导尿",
    "灌肠",
    "清创缝合",
    "拔罐",
];
const CONSUMABLES: &[&str] = &[
    "一次性注射器",
    "留置针",
    "医用敷料",
    "一次性导尿包",
    "吸氧管",
    "医用胶带",
    "无菌手套",
    "一次性输液贴",
    "雾化面罩",
    "引流袋",
];

/// Letters of ATC anatomical groups, for drug codes.
const ATC: &[&str] = &[
    "A02BC", "A10BA", "A10BB", "B01AC", "C03CA", "C07AB", "C08CA", "C09CA", "C10AA", "J01CA",
    "J01DC", "J01FA", "J01MA", "M01AE", "N02BE", "N05AH", "N06AB", "R03DC", "R05CB", "R06AX",
];

/// The whole catalogue: [`ITEMS`], then the tail; and, per kind, the tail's indices by popularity
/// with their cumulative weights.
pub(crate) struct Catalog {
    pub items: Vec<CatItem>,
    by_kind: Vec<(Kind, Vec<usize>, Vec<f64>)>,
}

impl Catalog {
    pub(crate) fn new() -> Self {
        let mut items: Vec<CatItem> = ITEMS
            .iter()
            .map(|i| CatItem {
                code: i.code.to_string(),
                name: i.name.to_string(),
                category: i.category,
                price_fen: i.price_fen,
                max_per_day: i.max_per_day,
                listed: i.listed,
                // The fixed items keep their list prices everywhere (the cases rely on them).
                by_level: false,
            })
            .collect();
        let mut seen: rustc_hash::FxHashSet<String> =
            items.iter().map(|i| i.code.clone()).collect();
        let mut r = Rng::new(0xCA7A_1060, 0);
        let mut by_kind = Vec::new();
        for &(kind, n, s) in TAIL {
            let mut idx = Vec::with_capacity(n);
            while idx.len() < n {
                // A product with 1-4 specifications (strength, pack): prices rise with the spec.
                let specs = match kind {
                    Kind::Oral | Kind::Injection | Kind::Patent => r.range(1, 4) as usize,
                    _ => 1,
                };
                let product = tail_product(&mut r, kind);
                for k in 0..specs.min(n - idx.len()) {
                    let item = product.spec(&mut r, k);
                    if seen.insert(item.code.clone()) {
                        idx.push(items.len());
                        items.push(item);
                    }
                }
            }
            // A random popularity order, then Zipf weights along it.
            for i in (1..idx.len()).rev() {
                let j = r.below(i as u64 + 1) as usize;
                idx.swap(i, j);
            }
            let mut cum = Vec::with_capacity(n);
            let mut total = 0.0;
            for k in 0..n {
                total += 1.0 / ((k + 1) as f64).powf(s);
                cum.push(total);
            }
            by_kind.push((kind, idx, cum));
        }
        Catalog { items, by_kind }
    }

    /// A tail item of `kind`, by popularity.
    pub(crate) fn draw(&self, r: &mut Rng, kind: Kind) -> usize {
        let (_, idx, cum) = self
            .by_kind
            .iter()
            .find(|(k, _, _)| *k == kind)
            .expect("every kind has a tail");
        let u = r.unit() * cum[cum.len() - 1];
        let k = cum.partition_point(|&c| c < u).min(idx.len() - 1);
        idx[k]
    }

    /// The price of `item` at an institution of `level` (`hosp_lv`), in fen.
    pub(crate) fn price_at(&self, item: usize, level: Option<&str>) -> i64 {
        let i = &self.items[item];
        if !i.by_level {
            return i.price_fen;
        }
        match level {
            Some(crate::world::LEVEL_SECONDARY) => i.price_fen * 9 / 10,
            Some(crate::world::LEVEL_PRIMARY) | Some("10") => i.price_fen * 8 / 10,
            _ => i.price_fen,
        }
    }
}

/// A product of the tail, whose specifications become items.
struct Product {
    kind: Kind,
    stem: String,
    code: String,
    price: i64,
}

fn digits(r: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + r.below(10) as u8))
        .collect()
}

fn tail_product(r: &mut Rng, kind: Kind) -> Product {
    let (stem, code, price) = match kind {
        Kind::Oral | Kind::Injection => {
            let forms = if kind == Kind::Oral {
                ORAL_FORMS
            } else {
                INJECTION_FORMS
            };
            let stem = format!("{}{}", r.pick(DRUG_STEMS), r.pick(forms));
            // X + ATC (5) + route letter + product (3): the 10 characters of one generic.
            let route = if kind == Kind::Oral { 'A' } else { 'B' };
            let code = format!("X{}{route}{}", r.pick(ATC), digits(r, 3));
            let price = if kind == Kind::Oral {
                r.range(20, 800)
            } else {
                r.range(300, 8_000)
            };
            (stem, code, price)
        }
        Kind::Patent => {
            let stem = format!("{}{}", r.pick(PATENT_STEMS), r.pick(PATENT_FORMS));
            // Z + class (5) + product (4): the 10 characters of one medicine.
            let class = format!(
                "A{}{}{}",
                digits(r, 2),
                char::from(b'A' + r.below(8) as u8),
                char::from(b'A' + r.below(8) as u8)
            );
            let code = format!("Z{class}{}", digits(r, 4));
            (stem, code, r.range(30, 600))
        }
        Kind::Lab => (
            format!("{}({})", r.pick(LABS), digits(r, 2)),
            format!("0025{}", digits(r, 11)),
            r.range(500, 9_000),
        ),
        Kind::Exam => (
            format!("{}({})", r.pick(EXAMS), digits(r, 2)),
            format!("002{}", digits(r, 12)),
            r.range(2_000, 60_000),
        ),
        Kind::Treatment => (
            format!("{}({})", r.pick(TREATMENTS), digits(r, 2)),
            format!("003{}", digits(r, 12)),
            r.range(500, 12_000),
        ),
        Kind::Consumable => (
            format!("{}({})", r.pick(CONSUMABLES), digits(r, 2)),
            format!("C{}", digits(r, 26)),
            r.range(100, 20_000),
        ),
    };
    Product {
        kind,
        stem,
        code,
        price,
    }
}

impl Product {
    fn spec(&self, r: &mut Rng, k: usize) -> CatItem {
        let (code, name, category) = match self.kind {
            Kind::Oral | Kind::Injection => (
                // Form letter, spec (2), pack (5), manufacturer (5): 23 characters in all.
                format!(
                    "{}{}{:02}{}{}",
                    self.code,
                    char::from(b'A' + r.below(3) as u8),
                    k + 1,
                    digits(r, 5),
                    digits(r, 5)
                ),
                format!("{}（规格{}）", self.stem, k + 1),
                fundguard_model::category::WESTERN_DRUG,
            ),
            Kind::Patent => (
                format!("{}{:02}{}", self.code, k + 1, digits(r, 8)),
                format!("{}（规格{}）", self.stem, k + 1),
                fundguard_model::category::PATENT_DRUG,
            ),
            Kind::Lab => (self.code.clone(), self.stem.clone(), 4),
            Kind::Exam => (self.code.clone(), self.stem.clone(), 3),
            Kind::Treatment => (self.code.clone(), self.stem.clone(), 5),
            Kind::Consumable => (
                self.code.clone(),
                self.stem.clone(),
                fundguard_model::category::MATERIAL,
            ),
        };
        CatItem {
            code,
            name,
            category,
            price_fen: self.price * (2 + k as i64) / 2,
            max_per_day: None,
            listed: true,
            by_level: matches!(self.kind, Kind::Lab | Kind::Exam | Kind::Treatment),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_the_national_structures_and_are_unique() {
        let c = Catalog::new();
        assert!(c.items.len() > 6_000, "{}", c.items.len());
        let mut codes: Vec<&str> = c.items.iter().map(|i| i.code.as_str()).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n);
        for i in &c.items[ITEMS.len()..] {
            let ok = match i.code.as_bytes()[0] {
                b'X' => i.code.len() == 23,
                b'Z' => i.code.len() == 20,
                b'C' => i.code.len() == 27,
                _ => i.code.len() == 15 && i.code.bytes().all(|b| b.is_ascii_digit()),
            };
            assert!(ok, "{} ({})", i.code, i.name);
        }
    }

    #[test]
    fn popularity_is_long_tailed() {
        let c = Catalog::new();
        let mut r = Rng::new(1, 2);
        let mut counts = rustc_hash::FxHashMap::default();
        for _ in 0..100_000 {
            *counts.entry(c.draw(&mut r, Kind::Oral)).or_insert(0usize) += 1;
        }
        let mut v: Vec<usize> = counts.values().copied().collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        let top10: usize = v.iter().take(10).sum();
        // A few items take a large share; most are rare, and many are drawn at all.
        assert!(top10 > 20_000, "{top10}");
        assert!(v.len() > 1_500, "{}", v.len());
        assert!(v.iter().filter(|&&n| n < 20).count() > 1_000);
    }
}
