//! impersonation.restricted_person — items restricted to one sex or age group, billed on the card
//! of someone outside it (national batch 1 and batch 8 tables).

use fundguard_model::{civil_from_days, Days, Sex, Table, NULL_DATE};
use serde::{Deserialize, Serialize};

use crate::rule::ensure;
use crate::ctx::Ctx;
use crate::hit::{Evidence, Hit, Subject};
use crate::info::{Family, ParamDoc, RuleBaseNeed, RuleInfo};
use fundguard_rulebase::{AgeGroup, Limit};
use crate::fmt;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "impersonation.restricted_person",
    family: Family::Impersonation,
    baseline: "impersonation.2",
    name_zh: "性别年龄不符",
    name_en: "Item contradicts the card holder",
    flags: "Drugs and service items that the national rule base restricts to one sex (batch 1 \
            限定性别对象) or one age group (batch 1 限定年龄对象: 新生儿, 婴幼儿, 儿童; batch 8 限定年龄: \
            working age) billed on the card of a patient of the other sex or outside the age \
            group on the day of the charge (sex and birth date from the patients table).",
    why: "A transvaginal ultrasound on a man's card or a children's medicine on a 60-year-old's \
          card means the care went to someone else (the card was lent), or the item was never \
          given.",
    amount: "The contradicting lines.",
    example: "经阴道B超检查 (female only) for a 45-year-old man: fires. The same exam for a woman, \
              or 儿童清肺口服液 for a 9-year-old, does not.",
    severity: 0.8,
    needs: &[Table::Patients],
    rulebase: &[RuleBaseNeed::AnyOf(&[
        "b1_drug_sex",
        "b1_item_sex",
        "b1_drug_age",
        "b1_item_age",
        "b8_item_age",
    ])],
    params: &[
        ParamDoc {
            name: "newborn_max_days",
            doc: "Oldest age in days that is still 新生儿.",
        },
        ParamDoc {
            name: "infant_below_years",
            doc: "婴幼儿 are younger than this many years.",
        },
        ParamDoc {
            name: "child_below_years",
            doc: "儿童 are younger than this many years (the law's minors; pediatric wards often \
                  stop at 14, so 18 flags only clear cases).",
        },
        ParamDoc {
            name: "working_age_from",
            doc: "Youngest working age (batch 8 限定年龄).",
        },
        ParamDoc {
            name: "retirement_age_male",
            doc: "Statutory retirement age of men: batch-8 working-age items after it fire.",
        },
        ParamDoc {
            name: "retirement_age_female",
            doc: "Statutory retirement age of women.",
        },
    ],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub newborn_max_days: u32,
    pub infant_below_years: u32,
    pub child_below_years: u32,
    pub working_age_from: u32,
    pub retirement_age_male: u32,
    pub retirement_age_female: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            newborn_max_days: 28,
            infant_below_years: 3,
            child_below_years: 18,
            working_age_from: 16,
            retirement_age_male: 60,
            retirement_age_female: 55,
        }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        ensure(
            self.infant_below_years <= self.child_below_years
                && self.working_age_from < self.retirement_age_female.min(self.retirement_age_male),
            || "impersonation.restricted_person: age bounds out of order".into(),
        )
    }
}

/// Completed years of age on `day`; `None` for an unknown birth date (null) or one after `day`.
pub(crate) fn age_years(birth: Days, day: Days) -> Option<i32> {
    if birth == NULL_DATE || birth > day {
        return None;
    }
    let (by, bm, bd) = civil_from_days(birth);
    let (y, m, d) = civil_from_days(day);
    Some(y - by - i32::from((m, d) < (bm, bd)))
}

pub struct RestrictedPerson(pub Params);

impl RestrictedPerson {
    /// Why `limit` excludes a person of `sex` born on `birth` on `day`, if it does.
    fn conflict(
        &self,
        limit: &Limit,
        sex: Sex,
        birth: Days,
        day: Days,
    ) -> Option<(String, String)> {
        let p = &self.0;
        // An unknown birth date (null) has no age: only the sex limits apply to it.
        let years = age_years(birth, day);
        let age = |years: i32| (format!("{years} 岁"), format!("aged {years}"));
        match *limit {
            Limit::Sex(want) if sex != Sex::Unknown && sex != want => {
                let (zh, en) = match want {
                    Sex::Male => ("限男性", "men only"),
                    _ => ("限女性", "women only"),
                };
                let (hz, he) = match sex {
                    Sex::Male => ("男性", "a man"),
                    _ => ("女性", "a woman"),
                };
                Some((
                    format!("{zh}，参保人为{hz}"),
                    format!("{en}, the holder is {he}"),
                ))
            }
            Limit::Age(group) => {
                let years = years?;
                let outside = match group {
                    AgeGroup::Newborn => day - birth > p.newborn_max_days as i32,
                    AgeGroup::Infant => years >= p.infant_below_years as i32,
                    AgeGroup::Child => years >= p.child_below_years as i32,
                };
                outside.then(|| {
                    let age = age(years);
                    (
                        format!("限{}，参保人 {}", group.zh(), age.0),
                        format!("for {} only, the holder is {}", group.en(), age.1),
                    )
                })
            }
            Limit::WorkingAge => {
                let years = years?;
                let retire = if sex == Sex::Female {
                    p.retirement_age_female
                } else {
                    p.retirement_age_male
                };
                (years < p.working_age_from as i32 || years >= retire as i32).then(|| {
                    let age = age(years);
                    (
                        format!("限法定就业年龄，参保人 {}", age.0),
                        format!("working age only, the holder is {}", age.1),
                    )
                })
            }
            _ => None,
        }
    }
}

impl Rule for RestrictedPerson {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let Some(people) = ctx.dump.patients.as_ref() else {
            return Vec::new();
        };
        let limits = crate::rules::restricted_item::limits::restrictions_in_dump(ctx, |l| {
            matches!(l, Limit::Sex(_) | Limit::Age(_) | Limit::WorkingAge)
        });
        if limits.is_empty() {
            return Vec::new();
        }
        let v = &ctx.dump.visits;
        let l = &ctx.dump.lines;
        ctx.per_visit(|visit, lines, out| {
            let Some(row) = ctx.person(v.patient[visit as usize]) else {
                return;
            };
            let (sex, birth) = (people.sex[row], people.birth[row]);
            let mut found = Vec::new();
            let mut reasons: Vec<(String, String)> = Vec::new();
            for &x in lines {
                let Some(ls) = limits.get(&l.item[x as usize]) else {
                    continue;
                };
                if !ctx.live(x) {
                    continue;
                }
                if let Some((zh, en)) = ls
                    .iter()
                    .find_map(|lim| self.conflict(lim, sex, birth, ctx.line_day(x)))
                {
                    found.push(x);
                    let name = ctx.item_label(l.item[x as usize]);
                    reasons.push((format!("{name}（{zh}）"), format!("{name} ({en})")));
                }
            }
            if found.is_empty() {
                return;
            }
            reasons.dedup();
            let amount = ctx.money_sum(&found);
            let zh: Vec<&str> = reasons.iter().map(|r| r.0.as_str()).collect();
            let en: Vec<&str> = reasons.iter().map(|r| r.1.as_str()).collect();
            let ev = Evidence::new(
                format!(
                    "{} 在 {} 结算的项目与参保人不符：{}，费用 {} 元",
                    fmt::date_of(v.admit[visit as usize]),
                    ctx.provider_id(v.provider[visit as usize]),
                    fmt::list(&zh, 3, "；"),
                    fmt::money(amount)
                ),
                format!(
                    "Items settled at {} on {} contradict the card holder: {}; {} yuan",
                    ctx.provider_id(v.provider[visit as usize]),
                    fmt::date_of(v.admit[visit as usize]),
                    fmt::list(&en, 3, "; "),
                    fmt::money(amount)
                ),
            );
            out.push(
                Hit::new(&INFO, Subject::Patient(v.patient[visit as usize]), ev)
                    .in_visit(v, visit)
                    .lines(found, amount),
            );
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fundguard_model::date;

    #[test]
    fn age_counts_completed_years() {
        let birth = date(2000, 3, 15).unwrap();
        assert_eq!(age_years(birth, date(2018, 3, 14).unwrap()), Some(17));
        assert_eq!(age_years(birth, date(2018, 3, 15).unwrap()), Some(18));
    }

    #[test]
    fn an_unknown_birth_date_is_no_age() {
        // The null marker was once turned into an age of some 5.9 million years.
        let day = date(2026, 3, 4).unwrap();
        assert_eq!(age_years(NULL_DATE, day), None);
        assert_eq!(age_years(day + 1, day), None);
    }

    #[test]
    fn unknown_birth_date_has_no_age_limits_but_keeps_sex_limits() {
        let rule = RestrictedPerson(Params::default());
        let day = date(2026, 3, 4).unwrap();
        for limit in [
            Limit::Age(AgeGroup::Newborn),
            Limit::Age(AgeGroup::Child),
            Limit::WorkingAge,
        ] {
            assert_eq!(rule.conflict(&limit, Sex::Male, NULL_DATE, day), None);
        }
        assert!(rule
            .conflict(&Limit::Sex(Sex::Female), Sex::Male, NULL_DATE, day)
            .is_some());
    }
}
