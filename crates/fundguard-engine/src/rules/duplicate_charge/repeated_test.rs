//! duplicate_charge.repeated_test — the same examination or test on one patient again within days,
//! at another visit or another institution (虚开或重复检查、化验).

use fundguard_model::{category, Fen, VisitType};
use serde::{Deserialize, Serialize};

use crate::ctx::Ctx;
use crate::fmt;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleInfo};
use crate::rule::{ensure, Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "duplicate_charge.repeated_test",
    family: Family::DuplicateCharge,
    baseline: "duplicate_charge (repeated examinations and tests across visits)",
    name_zh: "短期重复检查检验",
    name_en: "Tests repeated within days",
    flags: "One patient billed the same examination (category 03: imaging, ultrasound, ECG …) at \
            two different visits within `exam_days` days, or the same laboratory test (category \
            04) at two different visits within `lab_days` days — at one institution or at two, \
            between outpatient, pharmacy or other visits (with `stays`, stays too). Repeats within \
            one visit are the duplicate and cap rules' business (a stay's blood \
            counts every three days are care); a test monitored at each visit of a chronic \
            condition (glucose a week apart) falls outside `lab_days`. It takes `min_repeats` \
            repeats of one item to fire. The hit names every repeat of the item and the \
            providers.",
    why: "Results are to be recognised between institutions (检查检验结果互认); an examination \
          repeated days later at another desk or hospital is billed for nothing new, or never \
          performed (虚开、重复检查化验).",
    amount: "The repeats: every billing of the item after the first within the window, at their \
             money.",
    example: "A chest CT at hospital A on 03-02, again at hospital B on 03-05 and at C on 03-08: \
              fires for the second and third. One follow-up X-ray five days later, fasting \
              glucose at two outpatient visits a week apart, or blood counts every third day of \
              one stay: quiet.",
    severity: 0.55,
    needs: &[],
    rulebase: &[],
    params: &[
        ParamDoc {
            name: "exam_days",
            doc: "Days within which an examination (category 03) billed again at another visit \
                  is a repeat (0 = the same day only).",
        },
        ParamDoc {
            name: "lab_days",
            doc: "Days within which a laboratory test (category 04) billed again at another visit \
                  is a repeat.",
        },
        ParamDoc {
            name: "min_repeats",
            doc: "Repeats of one item a patient must have for a hit (2 = billed three times: a \
                  single repeat is too common in honest care to be a lead by itself).",
        },
        ParamDoc {
            name: "stays",
            doc: "Also count repeats involving a stay (off by default: a stay's admission \
                  work-up repeats what the outpatient desk found as routine, and an honest month \
                  holds thousands of them).",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub exam_days: i32,
    pub lab_days: i32,
    pub stays: bool,
    pub min_repeats: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            // docs/quality.md: with these, 4 honest people in 200,000 are flagged (0.2 in
            // 10,000); min_repeats 1 flags 157, lab_days 1 with min_repeats 2 flags 157.
            exam_days: 7,
            lab_days: 0,
            stays: false,
            min_repeats: 2,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, rule: &str) -> Result<(), String> {
        ensure(
            (0..=90).contains(&self.exam_days) && (0..=90).contains(&self.lab_days),
            || format!("{rule}: need 0 <= exam_days, lab_days <= 90"),
        )
    }
}

pub struct RepeatedTest(pub Params);

impl Rule for RepeatedTest {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let (v, l) = (&ctx.dump.visits, &ctx.dump.lines);
        let p = &self.0;
        ctx.per_patient(|patient, visits, out| {
            // (item, day, line id, line) of the patient's live examinations and tests.
            let mut tests: Vec<(u32, i32, &str, u32)> = ctx
                .live_lines_of(visits)
                .filter(|&x| matches!(l.category[x as usize], category::EXAM | category::LAB))
                .map(|x| {
                    (
                        l.item[x as usize],
                        ctx.line_day(x),
                        l.line_id.get(x as usize),
                        x,
                    )
                })
                .collect();
            if tests.len() < 2 {
                return;
            }
            tests.sort_unstable();
            for run in tests.chunk_by(|a, b| a.0 == b.0) {
                if run.len() < 2 {
                    continue;
                }
                let window = if l.category[run[0].3 as usize] == category::EXAM {
                    p.exam_days
                } else {
                    p.lab_days
                };
                // A billing repeats the latest earlier one of another visit within the window.
                let mut repeats: Vec<(usize, usize)> = Vec::new();
                for b in 1..run.len() {
                    let vb = l.visit[run[b].3 as usize];
                    if !p.stays && ctx.visit_type(vb) == VisitType::Inpatient {
                        continue;
                    }
                    let earlier = (0..b).rev().find(|&a| {
                        let va = l.visit[run[a].3 as usize];
                        va != vb
                            && run[b].1 - run[a].1 <= window
                            && (p.stays || ctx.visit_type(va) != VisitType::Inpatient)
                    });
                    if let Some(a) = earlier {
                        repeats.push((a, b));
                    }
                }
                if repeats.len() < p.min_repeats.max(1) {
                    continue;
                }
                let lines: Vec<u32> = repeats.iter().map(|&(_, b)| run[b].3).collect();
                let amount: Fen = lines.iter().map(|&x| ctx.money(x)).sum();
                let provider_of = |k: usize| v.provider[l.visit[run[k].3 as usize] as usize];
                let shown: Vec<String> = repeats
                    .iter()
                    .map(|&(a, b)| {
                        format!(
                            "{} {} → {} {}",
                            fmt::day(run[a].1),
                            ctx.dump.dicts.providers.get(provider_of(a)),
                            fmt::day(run[b].1),
                            ctx.dump.dicts.providers.get(provider_of(b)),
                        )
                    })
                    .collect();
                let across = repeats
                    .iter()
                    .filter(|&&(a, b)| provider_of(a) != provider_of(b))
                    .count();
                let name = ctx.item_label(run[0].0);
                let (within_zh, within_en) = if window == 0 {
                    ("同一天内".to_string(), "the same day".to_string())
                } else {
                    (format!("{window} 天内"), format!("within {window} days"))
                };
                let ev = Evidence::new(
                    format!(
                        "{name} {within_zh}于不同就诊中重复 {} 次（其中跨机构 {across} 次）：{}，重复部分 {} 元",
                        repeats.len(),
                        fmt::list(&shown, 4, "；"),
                        fmt::money(amount)
                    ),
                    format!(
                        "{name} repeated {} times {within_en} at other visits ({across} at another provider): {}; {} yuan for the repeats",
                        repeats.len(),
                        fmt::list(&shown, 4, "; "),
                        fmt::money(amount)
                    ),
                );
                let last = *lines.last().expect("a repeat");
                let severity = (INFO.severity + if across > 0 { 0.1 } else { 0.0 }).min(0.95);
                out.push(
                    Hit::new(&INFO, Subject::Patient(patient), ev)
                        .in_visit(v, l.visit[last as usize])
                        .lines(lines, amount)
                        .severity(severity),
                );
            }
        })
    }
}
