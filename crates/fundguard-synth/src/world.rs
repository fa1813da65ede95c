//! The fixed world of a synthetic month: the item catalogue, the city's providers and doctors, and
//! each insured person's attributes (a pure function of the seed and the person's number).

use fundguard_model::{days_from_civil, days_in_month, Days, ProviderType, Sex};

use crate::catalog::{CatItem, Catalog};
use crate::rng::Rng;

/// A catalogue item. Prices are in fen.
pub(crate) struct Item {
    pub code: &'static str,
    pub name: &'static str,
    pub category: u8,
    pub price_fen: i64,
    /// Units per patient per day (catalog `max_per_day`).
    pub max_per_day: Option<i64>,
    /// Listed in the catalog table (goods disguised as drugs are not).
    pub listed: bool,
}

const fn item(code: &'static str, name: &'static str, category: u8, price_fen: i64) -> Item {
    Item {
        code,
        name,
        category,
        price_fen,
        max_per_day: None,
        listed: true,
    }
}

const fn daily(code: &'static str, name: &'static str, category: u8, price_fen: i64) -> Item {
    Item {
        code,
        name,
        category,
        price_fen,
        max_per_day: Some(1),
        listed: true,
    }
}

/// Indices into [`ITEMS`].
pub(crate) mod it {
    pub const BED: usize = 0;
    pub const INP_CONSULT: usize = 1;
    pub const OUT_CONSULT: usize = 2;
    pub const NURSING: usize = 3;
    pub const GENERAL: usize = 4;
    pub const REGISTRATION: usize = 5;
    pub const MONITOR: usize = 6;
    pub const BLOOD: usize = 7;
    pub const LIVER: usize = 8;
    pub const HBA1C: usize = 9;
    pub const XRAY: usize = 11;
    pub const US_PLAIN: usize = 12;
    pub const US_COLOR: usize = 13;
    pub const US_VAGINAL: usize = 14;
    pub const CT: usize = 15;
    pub const INFUSION: usize = 16;
    pub const INJECTION: usize = 17;
    pub const CHILD_DENTAL: usize = 18;
    pub const OP_ESOPHAGUS: usize = 19;
    pub const OP_STRICTURE: usize = 20;
    pub const INFUSION_SET: usize = 23;
    pub const OMEPRAZOLE: usize = 24;
    pub const AMLODIPINE: usize = 25;
    pub const METFORMIN: usize = 26;
    pub const CEFIXIME: usize = 27;
    pub const CEFIXIME_DISP: usize = 28;
    pub const ATORVASTATIN: usize = 29;
    pub const SALINE: usize = 30;
    pub const CEFTRIAXONE: usize = 31;
    pub const OZAGREL: usize = 32;
    pub const SHENMAI: usize = 33;
    pub const FAT_EMULSION: usize = 34;
    pub const SCAR_CREAM: usize = 35;
    pub const CHILD_LUNG: usize = 37;
    pub const LIANHUA: usize = 38;
    pub const LIUWEI: usize = 39;
    pub const FACE_CREAM: usize = 40;
    /// Goods pharmacies sell besides drugs, outside the catalogue: protein powder, shampoo, a
    /// goji gift box.
    pub const GOODS: [usize; 3] = [41, 42, 43];
}

/// The items of the synthetic catalogue. National codes and names are real where the national rule
/// base names them (batches 1-8), so the national tables apply to generated dumps.
pub(crate) const ITEMS: &[Item] = &[
    daily("001109000010000", "普通病房床位费", 1, 5000),
    daily("001102000050000", "住院诊查费", 2, 2000),
    item("001102000010000", "普通门诊诊查费", 2, 1500),
    daily("001201000040000", "Ⅱ级护理", 7, 2400),
    item("001101000010000", "一般诊疗费", 12, 1000),
    item("001101000020000", "挂号费", 13, 100),
    daily("001103000010000", "急诊监护费", 2, 8000),
    item("002501010010000", "血细胞分析(血常规)", 4, 2500),
    item("002503010010000", "肝功能检查", 4, 6000),
    item("002503020030000", "糖化血红蛋白测定", 4, 6000),
    item("002501020210000", "尿妊娠试验", 4, 1500),
    item("002101010010000", "胸部X线摄影", 3, 8000),
    item("002202010010000", "普通B超检查", 3, 6000),
    item("002202010020000", "彩色多普勒超声检查", 3, 15000),
    item("002202020010000", "经阴道B超检查", 3, 12000),
    item("002201000010000", "X线计算机体层(CT)平扫", 3, 20000),
    item("001204000020000", "静脉输液", 5, 1000),
    item("001204000010000", "肌肉注射", 5, 500),
    item("001302000010000", "儿童龋齿预防保健", 5, 3000),
    item("003310010140000", "食管癌根治+结肠代食管术", 6, 500_000),
    item("003310010160000", "食管胃吻合口狭窄切开成形术", 6, 200_000),
    item("003302010140000", "颅内多发血肿清除术", 6, 300_000),
    item("003302010040000", "颅内硬膜外血肿引流术", 6, 120_000),
    item("C01010101000100000001", "一次性使用输液器", 8, 500),
    item("XA02BCA211A001010100483", "奥美拉唑肠溶胶囊", 9, 150),
    item("XC08CAA034A001010101234", "苯磺酸氨氯地平片", 9, 80),
    item("XA10BAE017A001010100145", "盐酸二甲双胍片", 9, 30),
    item("XJ01DDA126A001010101234", "头孢克肟片", 9, 200),
    item("XJ01DDA126A001020105678", "头孢克肟分散片", 9, 1800),
    item("XC10AAA126A001010104567", "阿托伐他汀钙片", 9, 350),
    item("XB05BBA001B002010100000", "氯化钠注射液", 9, 400),
    item("XJ01DDA042B001010100123", "注射用头孢曲松钠", 9, 1200),
    item("XB01AXA223B002010100156", "奥扎格雷钠注射液", 9, 3000),
    item("ZA09HAC0101010102129", "参麦注射液", 11, 4500),
    item(
        "XB05BAU012B002010102180",
        "ω-3甘油三酯中/长链脂肪乳/氨基酸/葡萄糖注射液",
        9,
        25_000,
    ),
    item("ZH01AAB0066010100716", "疤痕止痒软化膏", 11, 3500),
    item("XL02BBA326A001010102180", "阿帕他胺片", 9, 20_000),
    item("ZA04CAE0023010100166", "儿童清肺口服液", 11, 2500),
    item("ZA01AAL0383010103456", "连花清瘟胶囊", 11, 60),
    item("ZA09FAL0118010101234", "六味地黄丸", 11, 40),
    Item {
        code: "XX99ZZZ000A000000000001",
        name: "保湿面霜",
        category: 9,
        price_fen: 5000,
        max_per_day: None,
        listed: false,
    },
    goods("XX99ZZZ000A000000000002", "蛋白粉", 12_800),
    goods("XX99ZZZ000A000000000003", "洗发水", 4_500),
    goods("XX99ZZZ000A000000000004", "枸杞礼盒", 9_800),
];

/// Goods a pharmacy sells besides drugs (category 14, other): outside the catalogue.
const fn goods(code: &'static str, name: &'static str, price_fen: i64) -> Item {
    Item {
        code,
        name,
        category: 14,
        price_fen,
        max_per_day: None,
        listed: false,
    }
}

/// Oral drugs a pharmacy or an outpatient visit dispenses, with typical units per day.
pub(crate) const ORAL_DRUGS: &[(usize, i64)] = &[
    (it::OMEPRAZOLE, 2),
    (it::AMLODIPINE, 1),
    (it::METFORMIN, 3),
    (it::CEFIXIME, 2),
    (it::ATORVASTATIN, 1),
    (it::LIANHUA, 4),
    (it::LIUWEI, 6),
];

/// hosp_lv codes by tier.
pub(crate) const LEVEL_TERTIARY: &str = "02"; // 三级甲等
pub(crate) const LEVEL_SECONDARY: &str = "05"; // 二级甲等

/// Secondary hospitals of one group (医联体) sharing a standard infusion order set.
pub(crate) const ORDER_SET_GROUP: usize = 6;
pub(crate) const LEVEL_PRIMARY: &str = "08"; // 一级甲等

pub(crate) const DISTRICTS: &[(&str, &str)] = &[
    ("330102", "上城区"),
    ("330105", "拱墅区"),
    ("330106", "西湖区"),
    ("330108", "滨江区"),
    ("330109", "萧山区"),
    ("330110", "余杭区"),
];

pub(crate) struct Provider {
    pub id: String,
    pub name: String,
    pub ptype: ProviderType,
    pub level: Option<&'static str>,
    pub district: usize,
    pub beds: Option<i64>,
    /// Minutes since midnight; `(0, 1439)` is a 24-hour pharmacy, `None` hours the provider
    /// table does not state.
    pub open: Option<(i32, i32)>,
    pub doctors: Vec<String>,
    pub terminals: Vec<String>,
    /// Its system stamps every line of an outpatient visit with the settlement time.
    pub stamps: bool,
    /// A pharmacy that sells at night (24 hours, or hours unknown and open late).
    pub night: bool,
    /// Doctors (indices) who see 100-160 outpatients on a working day.
    pub specialists: Vec<usize>,
}

/// The hours a 24-hour pharmacy states.
pub(crate) const ALL_DAY: (i32, i32) = (0, 23 * 60 + 59);

/// A family of 4-6 that goes to the head's pharmacy together and pays one card after another.
pub(crate) struct Household {
    pub head: u32,
    pub pharmacy: usize,
    /// (day of the month, second of the day the first card is swiped, terminal).
    pub trips: Vec<(i32, i64, usize)>,
}

impl Household {
    /// Seconds after the first swipe that member `p` pays: 30-90 s after the one before.
    pub(crate) fn offset(&self, p: u32) -> i64 {
        (self.head..p)
            .map(|m| 30 + (crate::rng::mix(u64::from(m)) % 61) as i64)
            .sum()
    }
}

/// One insured person.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Person {
    pub sex: Sex,
    pub birth: Days,
    pub age: i32,
    pub death: Option<Days>,
    pub district: usize,
    /// `310` employees, `390` residents.
    pub employee: bool,
    /// The patients table knows the birth date (about 1 in 100 it does not).
    pub birth_known: bool,
    /// How the person's own share of a stay is paid.
    pub cover: Cover,
}

/// Who pays the share of a stay the fund does not: most people pay it themselves; medical
/// assistance (医疗救助) pays it for about one resident in 25, so that they pay no cash; a few old
/// employees (离休 cadres) have the fund pay the whole stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cover {
    Own,
    Assisted,
    Full,
}

pub(crate) struct World {
    pub seed: u64,
    pub patients: u32,
    pub year: i32,
    pub month: u32,
    /// First day of the month.
    pub m0: Days,
    /// Days in the month.
    pub nd: i32,
    pub providers: Vec<Provider>,
    pub hospitals: Vec<usize>,
    pub clinics: Vec<usize>,
    pub pharmacies: Vec<usize>,
    /// Per district, its hospitals / clinics / pharmacies.
    pub by_district: Vec<[Vec<usize>; 3]>,
    pub catalog: Catalog,
}

impl World {
    pub(crate) fn new(seed: u64, patients: u32, year: i32, month: u32) -> Self {
        let mut rng = Rng::new(seed, u64::MAX);
        let scale = f64::from(patients.max(1));
        let n_hosp = ((scale / 4000.0) as usize).max(18);
        let n_clinic = ((scale / 1500.0) as usize).max(6);
        let n_pharm = ((scale / 800.0) as usize).max(10);
        let mut providers = Vec::new();
        let (mut hospitals, mut clinics, mut pharmacies) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..n_hosp {
            let district = k % DISTRICTS.len();
            // Tiers rotate so every district has each level and every level has peers.
            let (level, beds, name) = match k % 3 {
                0 => (LEVEL_TERTIARY, rng.range(800, 2000), "人民医院"),
                1 => (LEVEL_SECONDARY, rng.range(200, 500), "中医院"),
                _ => (LEVEL_PRIMARY, rng.range(30, 100), "社区医院"),
            };
            let id = format!("H{}{:05}", DISTRICTS[district].0, k + 1);
            let n_doc = (beds / 10).clamp(5, 120) as usize;
            let doctors = (0..n_doc)
                .map(|d| format!("D{}{:03}", &id[1..], d + 1))
                .collect();
            hospitals.push(providers.len());
            // A tertiary hospital's star specialist, who sees half its weekday outpatients.
            let specialists = if level == LEVEL_TERTIARY {
                vec![0]
            } else {
                Vec::new()
            };
            providers.push(Provider {
                name: format!("{}第{}{}", DISTRICTS[district].1, k / 3 + 1, name),
                id,
                ptype: ProviderType::Hospital,
                level: Some(level),
                district,
                beds: Some(beds),
                open: None,
                doctors,
                terminals: Vec::new(),
                stamps: rng.chance(0.15),
                night: false,
                specialists,
            });
        }
        for k in 0..n_clinic {
            let district = k % DISTRICTS.len();
            let id = format!("H{}{:05}", DISTRICTS[district].0, 50_000 + k + 1);
            let doctors = (0..rng.range(3, 8))
                .map(|d| format!("D{}{:03}", &id[1..], d + 1))
                .collect();
            clinics.push(providers.len());
            providers.push(Provider {
                name: format!("{}社区卫生服务站{}", DISTRICTS[district].1, k + 1),
                id,
                ptype: ProviderType::Clinic,
                level: Some("10"),
                district,
                beds: None,
                open: Some((8 * 60, 17 * 60)),
                doctors,
                terminals: Vec::new(),
                stamps: rng.chance(0.15),
                night: false,
                specialists: Vec::new(),
            });
        }
        const BRANDS: &[&str] = &["老百姓大药房", "海王星辰", "益丰大药房", "九州大药房"];
        for k in 0..n_pharm {
            let district = k % DISTRICTS.len();
            let id = format!("P{}{:05}", DISTRICTS[district].0, k + 1);
            // One pharmacy in ten is a busy one with 3-4 counters and a morning rush.
            let counters = if rng.chance(0.1) {
                rng.range(3, 4)
            } else {
                rng.range(1, 2)
            };
            let terminals = (0..counters)
                .map(|t| format!("{}-{:02}", &id[1..], t + 1))
                .collect();
            // One in ten is open day and night; for one in ten the table has no hours (half of
            // those sell late at night).
            let u = rng.unit();
            let (open, night) = if u < 0.1 {
                (Some(ALL_DAY), true)
            } else if u < 0.2 {
                (None, rng.chance(0.5))
            } else if rng.chance(0.5) {
                (Some((8 * 60, 22 * 60)), false)
            } else {
                (Some((7 * 60 + 30, 21 * 60 + 30)), false)
            };
            pharmacies.push(providers.len());
            providers.push(Provider {
                name: format!(
                    "{}({}{}店)",
                    BRANDS[k % BRANDS.len()],
                    DISTRICTS[district].1,
                    k + 1
                ),
                id,
                ptype: ProviderType::Pharmacy,
                level: None,
                district,
                beds: None,
                open,
                doctors: Vec::new(),
                terminals,
                stamps: false,
                night,
                specialists: Vec::new(),
            });
        }
        let mut by_district: Vec<[Vec<usize>; 3]> = (0..DISTRICTS.len())
            .map(|_| [Vec::new(), Vec::new(), Vec::new()])
            .collect();
        for (i, p) in providers.iter().enumerate() {
            let slot = match p.ptype {
                ProviderType::Hospital => 0,
                ProviderType::Clinic => 1,
                _ => 2,
            };
            by_district[p.district][slot].push(i);
        }
        World {
            seed,
            patients,
            year,
            month,
            m0: days_from_civil(year, month, 1),
            nd: days_in_month(year, month) as i32,
            providers,
            hospitals,
            clinics,
            pharmacies,
            by_district,
            catalog: Catalog::new(),
        }
    }

    /// Catalogue item `i` ([`ITEMS`] first, then the tail).
    pub(crate) fn item(&self, i: usize) -> &CatItem {
        &self.catalog.items[i]
    }

    /// The hospitals of one `hosp_lv` level.
    /// The hospital group (医联体) sharing one standard order set: the first
    /// [`ORDER_SET_GROUP`] secondary hospitals.
    pub(crate) fn order_set_group(&self) -> Vec<usize> {
        let mut g = self.hospitals_of(LEVEL_SECONDARY);
        g.truncate(ORDER_SET_GROUP);
        g
    }

    pub(crate) fn hospitals_of(&self, level: &str) -> Vec<usize> {
        self.hospitals
            .iter()
            .copied()
            .filter(|h| self.providers[*h].level == Some(level))
            .collect()
    }

    /// The household of person `p` when it is a family of 4-6 that shops together this month.
    /// Households are blocks of consecutive people; the first is the head.
    pub(crate) fn household(&self, p: u32) -> Option<Household> {
        const BLOCK: u32 = 8;
        let block = p / BLOCK;
        let mut r = Rng::new(self.seed, 0xFA11_0000_0000_0000 | u64::from(block));
        let u = r.unit();
        let size = if u < 0.75 {
            return None;
        } else if u < 0.88 {
            4
        } else if u < 0.96 {
            5
        } else {
            6
        };
        let head = block * BLOCK;
        if p - head >= size || head + size > self.patients || !r.chance(0.15) {
            return None;
        }
        let home = &self.by_district[self.person(head).district][2];
        // Heads are multiples of the block size: spread them over the district's pharmacies.
        let pharmacy = home[(crate::rng::mix(u64::from(head)) % home.len() as u64) as usize];
        let mut trips: Vec<(i32, i64)> = Vec::new();
        for _ in 0..r.range(1, 3) {
            let day = r.below(self.nd as u64) as i32;
            if trips.iter().all(|t| t.0 != day) {
                trips.push((day, r.range(9 * 3600, 17 * 3600)));
            }
        }
        let terminals = self.providers[pharmacy].terminals.len() as u64;
        let trips = trips
            .into_iter()
            .map(|(day, start)| (day, start, r.below(terminals) as usize))
            .collect();
        Some(Household {
            head,
            pharmacy,
            trips,
        })
    }

    /// `psn_no` of person `p`.
    pub(crate) fn patient_id(&self, p: u32) -> String {
        format!("33{:08}{:010}", 1_000_000 + (p % 7919), p)
    }

    /// The attributes of person `p`.
    pub(crate) fn person(&self, p: u32) -> Person {
        let mut r = Rng::new(self.seed, 0x5EED_0000_0000_0000 | u64::from(p));
        let u = r.unit();
        let age = if u < 0.15 {
            r.range(1, 14)
        } else if u < 0.75 {
            r.range(18, 59)
        } else {
            r.range(60, 92)
        } as i32;
        let birth = self.m0 - age * 365 - r.range(0, 364) as i32;
        let death = r.chance(0.002).then(|| self.m0 - r.range(1, 300) as i32);
        let mut person = Person {
            sex: if r.chance(0.5) {
                Sex::Male
            } else {
                Sex::Female
            },
            birth,
            age,
            death,
            district: r.below(DISTRICTS.len() as u64) as usize,
            employee: age >= 18 && r.chance(0.6),
            birth_known: !r.chance(0.01),
            cover: Cover::Own,
        };
        // Drawn after the rest so that adding it left every other attribute as it was.
        let u = r.unit();
        person.cover = if !person.employee && u < 0.04 {
            Cover::Assisted
        } else if person.employee && person.age >= 75 && u < 0.25 {
            Cover::Full
        } else {
            Cover::Own
        };
        person
    }
}
