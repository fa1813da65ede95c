//! bed_hanging.hollow_days — stay days billed only for bed, nursing and consultation.

use fundguard_model::{day_of, Days};
use serde::{Deserialize, Serialize};

use crate::rule::ensure;
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "bed_hanging.hollow_days",
    family: Family::BedHanging,
    baseline: "bed_hanging.2",
    name_zh: "空床日",
    name_en: "Hollow bed-days",
    flags: "Inpatient stays in which many days carry only bed, nursing, consultation, general or \
            registration fees (categories 01, 02, 07, 12, 13): no drug, test, treatment or \
            material. Rehabilitation, psychiatric and palliative stays (by main diagnosis or \
            department) rest on many days by design and fire only at `care_min_share` (by default, \
            when no counted day has any therapy). Days \
            before the dump's period (a stay admitted last month) are not counted.",
    why: "A patient who is really in a hospital bed is treated. Days with nothing but the daily \
          fees are what a stay looks like when the bed is kept and the patient is not there.",
    amount: "Every charge on the hollow days.",
    example:
        "A 12-day stay whose days 4-12 bill only 床位费, 护理费 and 住院诊查费: 9 hollow days \
              >= 4 and 75% >= 35%, fires for the charges of those 9 days. Two quiet weekend \
              days in a six-day stay do not, nor do the weekend and rest days of a 21-day \
              rehabilitation stay in 康复医学科.",
    severity: 0.6,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "categories",
            doc: "Charge categories that make a day hollow when they are all it bills.",
        },
        ParamDoc {
            name: "min_days",
            doc: "Fewest hollow days to fire.",
        },
        ParamDoc {
            name: "min_share",
            doc: "Fewest hollow days as a share of the stay's days in the dump's period (0-1).",
        },
        ParamDoc {
            name: "care_diagnoses",
            doc: "Main-diagnosis prefixes of stays whose rest days are care (psychiatric F, \
                  rehabilitation Z50, palliative Z51.5, stroke sequelae I69, paralysis G80-G83).",
        },
        ParamDoc {
            name: "care_departments",
            doc: "Department-code prefixes of such stays (15 精神科, 21 康复医学科, 24 临终关怀科).",
        },
        ParamDoc {
            name: "care_min_share",
            doc: "The hollow share that fires for a care stay (1: every counted day is hollow).",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub categories: Vec<String>,
    pub min_days: u32,
    pub min_share: f64,
    pub care_diagnoses: Vec<String>,
    pub care_departments: Vec<String>,
    pub care_min_share: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            categories: ["01", "02", "07", "12", "13"].map(String::from).to_vec(),
            min_days: 4,
            min_share: 0.35,
            care_diagnoses: ["F", "Z50", "Z51.5", "I69", "G80", "G81", "G82", "G83"]
                .map(String::from)
                .to_vec(),
            care_departments: ["15", "21", "24"].map(String::from).to_vec(),
            care_min_share: 1.0,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        crate::rule::check_categories("bed_hanging.hollow_days", "categories", &self.categories)?;
        ensure(
            (0.0..=1.0).contains(&self.min_share) && (0.0..=1.0).contains(&self.care_min_share),
            || "rules.bed_hanging.hollow_days.min_share and care_min_share must be within 0-1".into(),
        )
    }
}

pub struct HollowDays(pub Params);

impl Rule for HollowDays {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let hollow = crate::rule::categories(&self.0.categories);
        let v = &ctx.dump.visits;
        let dicts = &ctx.dump.dicts;
        let prefixed = |code: Option<&str>, prefixes: &[String]| {
            code.is_some_and(|c| prefixes.iter().any(|p| c.starts_with(p.as_str())))
        };
        let period_start = day_of(ctx.dump_start);
        ctx.per_patient(|_, visits, out| {
            for stay in ctx.stays(visits) {
                let s = stay as usize;
                // Days before the dump's period have no lines here: they are not counted.
                let (a, d) = (day_of(v.admit[s]), day_of(ctx.visit_end(stay)));
                let from = a.max(period_start);
                let stay_days = (d - from).max(0) as u32;
                if stay_days < self.0.min_days {
                    continue;
                }
                // Lines by day (lines come by charge time); a day is hollow when it bills only
                // hollow categories.
                let mut hollow_lines = Vec::new();
                let mut hollow_days: Vec<Days> = Vec::new();
                let mut day_lines: Vec<u32> = Vec::new();
                let mut current: Option<(Days, bool)> = None;
                let mut close = |cur: Option<(Days, bool)>, day_lines: &mut Vec<u32>| {
                    if let Some((day, true)) = cur {
                        if day >= from && day < d {
                            hollow_days.push(day);
                            hollow_lines.append(day_lines);
                        }
                    }
                    day_lines.clear();
                };
                for l in ctx.live_lines(stay) {
                    let day = ctx.line_day(l);
                    let is_hollow = hollow.contains(&ctx.dump.lines.category[l as usize]);
                    match current {
                        Some((cd, h)) if cd == day => current = Some((cd, h && is_hollow)),
                        _ => {
                            close(current, &mut day_lines);
                            current = Some((day, is_hollow));
                        }
                    }
                    day_lines.push(l);
                }
                close(current, &mut day_lines);
                let n = hollow_days.len() as u32;
                let share = f64::from(n) / f64::from(stay_days);
                let care = prefixed(dicts.diagnoses.get_opt(v.main_diag[s]), &self.0.care_diagnoses)
                    || prefixed(dicts.depts.get_opt(v.dept[s]), &self.0.care_departments);
                let min_share = if care {
                    self.0.care_min_share
                } else {
                    self.0.min_share
                };
                if n < self.0.min_days || share < min_share {
                    continue;
                }
                let amount = ctx.money_sum(&hollow_lines);
                let span = format!("{}..{}", fmt::day(a), fmt::day(d));
                let ev = Evidence::new(
                    format!(
                        "住院 {span} 共 {stay_days} 天，其中 {n} 天（{:.0}%）仅收取床位、护理、诊查等费用，金额 {} 元",
                        share * 100.0,
                        fmt::money(amount)
                    ),
                    format!(
                        "Stay {span}: {n} of {stay_days} days ({:.0}%) bill only bed, nursing and consultation fees, {} yuan",
                        share * 100.0,
                        fmt::money(amount)
                    ),
                );
                out.push(
                    Hit::new(&INFO, Subject::Visit(stay), ev)
                        .in_visit(v, stay)
                        .lines(hollow_lines, amount)
                        .severity(INFO.severity * (0.6 + 0.4 * share)),
                );
            }
        })
    }
}
