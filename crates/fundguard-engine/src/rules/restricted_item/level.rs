//! restricted_item.level — drugs paid only at institutions of a minimum level (national batch 5).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::limits::{limits_in_dump, per_visit_violations};
use crate::rule::ensure;
use crate::ctx::Ctx;
use crate::hit::Hit;
use crate::info::{Family, ParamDoc, RuleBaseNeed, RuleInfo};
use fundguard_rulebase::Limit;
use crate::rule::{Rule, RuleParams};

pub static INFO: RuleInfo = RuleInfo {
    id: "restricted_item.level",
    family: Family::RestrictedItem,
    baseline: "restricted_item (batch 5)",
    name_zh: "限定医疗机构等级",
    name_en: "Below the required institution level",
    flags: "Drugs the national batch-5 table (限定机构等级) pays for only at institutions of \
            level 二级 or 三级 and above, billed by a provider whose hosp_lv maps (`levels`) to \
            a lower level. Providers without a level (pharmacies, unknown) are not judged.",
    why: "Drugs such as 参麦注射液 are restricted to hospitals able to manage their risks; a \
          primary clinic billing them is outside the fund's scope, and often bills them for \
          patients who never received them.",
    amount: "The restricted lines.",
    example: "参麦注射液 (二级 and above) in a stay at a 一级甲等 (08) hospital: fires. The same \
              drug at a 三级甲等 (02) hospital does not.",
    severity: 0.55,
    needs: &[fundguard_model::Table::Providers],
    rulebase: &[RuleBaseNeed::Required("b5_drug_hospital_level")],
    params: &[ParamDoc {
        name: "levels",
        doc: "Level (1-3, 0 = ungraded) of each national hosp_lv code: 01-04 三级, 05-07 二级, \
              08-10 一级, 11 无等级, 12 一级, 13 二级, 14 三级.",
    }],
};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub levels: BTreeMap<String, u8>,
}

impl Default for Params {
    fn default() -> Self {
        let levels = [
            ("01", 3),
            ("02", 3),
            ("03", 3),
            ("04", 3),
            ("05", 2),
            ("06", 2),
            ("07", 2),
            ("08", 1),
            ("09", 1),
            ("10", 1),
            ("11", 0),
            ("12", 1),
            ("13", 2),
            ("14", 3),
        ];
        Params {
            levels: levels.iter().map(|(c, l)| ((*c).to_string(), *l)).collect(),
        }
    }
}

impl RuleParams for Params {
    fn check(&self, _rule: &str) -> Result<(), String> {
        ensure(self.levels.values().all(|l| *l <= 3), || {
            "restricted_item.level.levels: levels are 0-3".into()
        })
    }
}

pub struct Level(pub Params);

impl Rule for Level {
    fn info(&self) -> &'static RuleInfo {
        &INFO
    }

    fn run(&self, ctx: &Ctx<'_>) -> Vec<Hit> {
        let limits = limits_in_dump(ctx, |l| matches!(l, Limit::MinLevel(_)));
        let v = &ctx.dump.visits;
        let zh = ["无等级", "一级", "二级", "三级"];
        per_visit_violations(ctx, &INFO, &limits, |visit, limit| {
            let Limit::MinLevel(min) = *limit else {
                return None;
            };
            let code = ctx.provider_level(v.provider[visit as usize])?;
            let level = *self.0.levels.get(code)?;
            (level < min).then(|| {
                (
                    format!("限{}及以上医疗机构，本机构等级 {code}（{}）", zh[min as usize], zh[level as usize]),
                    format!("level {min} institutions and above only, billed at level {level} (hosp_lv {code})"),
                )
            })
        })
    }
}
