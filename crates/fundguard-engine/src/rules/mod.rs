//! The rule catalogue: one module per family, one file per rule, all registered below.
//!
//! Each rule file holds the rule's [`RuleInfo`] (names, what it flags, why it matters, how the
//! amount is computed, an example, its parameters), its `Params` with their defaults, the sweep
//! itself and its unit tests; its data-driven cases (`<rule>.case`, a tiny dump that must fire and
//! the look-alike that must not) sit beside it and run from `tests/it`.
//!
//! Adding a rule is its file and one line in [`catalogue!`] below: the line declares the module,
//! registers the rule in [`catalogue`] and puts its `Params` in the family's configuration table
//! (`[rules.<family>.<name>]`), whose `check` is derived from the rules' [`RuleParams::check`].

use serde::{Deserialize, Serialize};

use crate::info::RuleInfo;
use crate::rule::{Rule, RuleParams};

/// `default_or!()` is `Default::default()`, `default_or!(e)` is `e`.
macro_rules! default_or {
    () => {
        Default::default()
    };
    ($e:expr) => {
        $e
    };
}

/// The one place rules are registered. Per family: its doc, its helper modules in brackets, then
/// `name: Type` per rule (module `name`, struct `Type(name::Params)`), optionally `= default`
/// when the rule's parameters default differently from their type's `Default`.
macro_rules! catalogue {
    ($(
        $(#[$doc:meta])*
        $family:ident [$($helper:ident),*] {
            $($rule:ident : $ty:ident $(= $default:expr)?),* $(,)?
        }
    )*) => {
        $(
            $(#[$doc])*
            pub mod $family {
                $(pub mod $helper;)*
                $(pub mod $rule;)*

                /// The family's parameters, one table per rule.
                #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
                #[serde(default, deny_unknown_fields)]
                pub struct Config {
                    $(pub $rule: $rule::Params,)*
                }

                impl Default for Config {
                    fn default() -> Self {
                        Config {
                            $($rule: default_or!($($default)?),)*
                        }
                    }
                }
            }
        )*

        /// Parameters of every rule, `[rules.<family>.<name>]` in the configuration.
        #[derive(Debug, Clone, Default, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct RulesConfig {
            $(pub $family: $family::Config,)*
        }

        impl RulesConfig {
            /// Checks every rule's parameters.
            pub fn check(&self) -> Result<(), String> {
                $($(
                    RuleParams::check(
                        &self.$family.$rule,
                        concat!(stringify!($family), ".", stringify!($rule)),
                    )?;
                )*)*
                Ok(())
            }
        }

        /// Every rule, configured, in catalogue order.
        pub fn catalogue(cfg: &RulesConfig) -> Vec<Box<dyn Rule>> {
            vec![$($(
                Box::new($family::$rule::$ty(cfg.$family.$rule.clone())) as Box<dyn Rule>,
            )*)*]
        }
    };
}

catalogue! {
    /// 挂床住院 bed-hanging: stays billed while the patient was not in the bed.
    bed_hanging [] {
        elsewhere: Elsewhere,
        hollow_days: HollowDays,
        overlap: Overlap,
        group_admission: GroupAdmission,
    }
    /// 重复收费 duplicate charges: the same service billed more than once, or billed on top of an item that already includes it.
    duplicate_charge [] {
        exact: Exact,
        daily_cap: DailyCap,
        included_item: IncludedItem,
        period_cap: PeriodCap,
        resubmitted: Resubmitted,
        repeated_test: RepeatedTest,
    }
    /// 串换项目 / 串换药品 item swapping: billing something other than what was supplied.
    item_swap [] {
        inventory: Inventory,
        peer_share: PeerShare,
        disguised_goods: DisguisedGoods,
        account_misuse: AccountMisuse,
    }
    /// 聚敛盗刷社保卡 card pooling: many insured people's cards collected and swiped at a pharmacy.
    card_pooling [swipes] {
        burst: Burst,
        identical_baskets: IdenticalBaskets,
        ring: Ring,
        off_hours: OffHours,
        two_places: TwoPlaces,
    }
    /// 分解住院 split admissions: one illness billed as several stays.
    split_admission [] {
        readmission: Readmission,
        readmission_share: ReadmissionShare,
    }
    /// 冒名就医 impersonation: someone other than the card holder receives the care.
    impersonation [] {
        after_death: AfterDeath,
        restricted_person: RestrictedPerson,
        simultaneous: Simultaneous,
    }
    /// 限定支付 restricted items: drugs and operations the national rule base pays for only under conditions (batches 2-6).
    restricted_item [limits] {
        insurance_type: InsuranceType,
        visit_type: VisitTypeRule,
        level: Level,
        course: Course,
        secondary_operation: SecondaryOperation,
    }
    /// 超标准收费 over-standard prices: units billed above the approved price.
    over_standard_price [] {
        above_cap: AboveCap,
    }
    /// 虚构医疗服务 phantom services: care billed that cannot have been given.
    phantom_service [] {
        after_discharge: AfterDischarge,
        doctor_volume: DoctorVolume,
        cloned_claims: ClonedClaims,
    }
    /// 超量开药 excessive supply: more days of a drug than the days that pass.
    excessive_supply [] {
        days_supply: DaysSupply,
    }
    /// 统计离群 peer outliers: providers whose metrics stand far from their peers'. Every rule here computes one metric per provider, compares it with the providers of the same type and level (`hosp_lv`) by a robust z-score (median and MAD), and reports the providers in the upper tail with the normal tail probability of their z (statrs). The hit says the metric, the provider's value, the peer median, z and the probability.
    peer_outlier [peers] {
        cost_per_day: CostPerDay = {
            // Total cost per day mixes beds, surgery and drugs: on a generated 1,000,000-person
            // month honest hospitals that host costly surgery reach z = 6.0 while a hospital
            // tripling its drugs reaches only 4-5 (and z = 19-22 on drug cost per day).
            peers::Peers { min_z: 6.5, ..peers::Peers::default() }
        },
        drug_cost_per_day: DrugCostPerDay,
        length_of_stay: LengthOfStay,
        hollow_share: HollowShare = {
            peers::Peers::share(0.1)
        },
        pharmacy_rate: PharmacyRate,
        category_share: CategoryShare,
        doctor_items: DoctorItems,
        visits_per_patient: VisitsPerPatient = {
            visits_per_patient::default_params()
        },
        test_panels: TestPanels,
        money_per_patient: MoneyPerPatient,
    }
    /// 住院期间门诊结算 cost shifting: a stay's costs moved to outpatient settlements.
    cost_shifting [] {
        outpatient_desk: OutpatientDesk,
    }
    /// 药品追溯码 drug trace codes (table drug_traces): one box, one sale. Scans are grouped by code
    /// in time order (scans.rs); a sale's money is its share of its line.
    trace_code [scans] {
        resold: Resold,
        two_drugs: TwoDrugs,
        two_regions: TwoRegions,
        never_stocked: NeverStocked,
        missing_share: MissingShare = {
            missing_share::default_params()
        },
    }
    /// 降低住院标准 / 诱导住院 admissions below the standard: hospitals that admit, far more often
    /// than their peers, patients treatable as outpatients, or carry their co-payments.
    admission_standard [] {
        low_acuity: LowAcuity,
        waived_copay: WaivedCopay,
    }
    /// 高编高套 upcoding (table settlement_diagnoses): settlement lists coded into heavier groups
    /// than the care given.
    upcoding [] {
        complication_share: ComplicationShare,
        main_diagnosis: MainDiagnosis,
    }
}

/// What is known about every rule, in catalogue order.
pub fn infos() -> Vec<&'static RuleInfo> {
    catalogue(&RulesConfig::default())
        .iter()
        .map(|r| r.info())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_named_after_their_family() {
        let infos = infos();
        let mut ids: Vec<&str> = infos.iter().map(|i| i.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), infos.len());
        for i in &infos {
            let (family, name) = i.id.split_once('.').unwrap();
            assert_eq!(family, i.family.as_str(), "{}", i.id);
            assert!(!name.is_empty() && !name.contains('.'));
            assert!((0.0..=1.0).contains(&i.severity));
        }
    }

    #[test]
    fn every_parameter_is_documented_and_every_documented_one_exists() {
        let cfg = RulesConfig::default();
        for i in infos() {
            let params = crate::params_of(&cfg, i.id).unwrap_or_else(|| panic!("{}", i.id));
            let mut have: Vec<&str> = params.keys().map(String::as_str).collect();
            let mut documented: Vec<&str> = i.params.iter().map(|p| p.name).collect();
            have.sort_unstable();
            documented.sort_unstable();
            assert_eq!(have, documented, "{}", i.id);
        }
    }
}
