//! Defaults chosen from a stated false-positive budget, with the curve each was read off: one
//! `fundguard sweep` of the parameter on the generator's 1,000,000-person month at the tuning seed
//! (2026), kept in docs/curves/ and shown beside the parameter in docs/rules.md. `benches/curves.sh`
//! regenerates them; a changed default without a new curve shows in review.

/// One tuned default.
pub struct Tuned {
    pub rule: &'static str,
    pub param: &'static str,
    /// The budget and how the value was read off the curve.
    pub budget: &'static str,
    /// The measured curve, a Markdown table.
    pub curve: &'static str,
}

/// The budget every default below is held to.
pub const BUDGET: &str = "at most 1 honest subject (pharmacy, hospital, doctor, person, stay) in \
                          10,000 of its kind flagged per rule on an honest month, measured on \
                          the generator's realistic month with its look-alikes";

macro_rules! tuned {
    ($rule:literal, $param:literal, $budget:expr) => {
        Tuned {
            rule: $rule,
            param: $param,
            budget: $budget,
            curve: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../docs/curves/",
                $rule,
                ".",
                $param,
                ".md"
            )),
        }
    };
}

pub static TUNED: &[Tuned] = &[
    tuned!(
        "card_pooling.burst",
        "min_cards",
        "the smallest count with no honest pharmacy flagged: two families of six meeting at a \
         counter reach 9-13 cards, so bursts below 10 cards are given up (recall of the 6-30-card \
         bursts drawn: about 0.8)"
    ),
    tuned!(
        "card_pooling.burst",
        "max_median_gap_seconds",
        "with min_cards 10, the largest median gap with no honest pharmacy flagged: families pay \
         30-90 s apart, pooled cards are swiped 15-60 s apart"
    ),
    tuned!(
        "card_pooling.burst",
        "large_cards",
        "the smallest burst, paced up to 60 s a card, with no honest pharmacy flagged: two \
         families at one counter stay under it"
    ),
    tuned!(
        "card_pooling.ring",
        "min_days",
        "the smallest number of shared days with no honest pharmacy flagged: families shop \
         together on up to three days"
    ),
    tuned!(
        "card_pooling.identical_baskets",
        "max_p",
        "two orders of magnitude below the largest tail with no honest pharmacy flagged (the \
         standard chronic baskets are common everywhere)"
    ),
    tuned!(
        "card_pooling.off_hours",
        "night_open_share",
        "the share of nights above which a pharmacy of unknown hours is taken as open at night: \
         the smallest with full recall and no honest pharmacy flagged"
    ),
    tuned!(
        "card_pooling.two_places",
        "other_region_minutes",
        "the largest gap with no honest person flagged"
    ),
    tuned!(
        "bed_hanging.hollow_days",
        "min_share",
        "with min_days 4, every share from 0.2 keeps honest stays (weekend quiet days, care stays \
         under care_min_share) unflagged; 0.35 finds the 40-90% hollow stays drawn"
    ),
    tuned!(
        "bed_hanging.group_admission",
        "max_p",
        "the largest tail with no honest hospital flagged"
    ),
    tuned!(
        "phantom_service.doctor_volume",
        "own_factor",
        "no honest doctor (specialists at 100-160 a day included) is flagged at any factor from \
         2; 4 leaves room for doctors whose usual day varies more than the generator's"
    ),
    tuned!(
        "phantom_service.after_discharge",
        "grace_days",
        "the smallest grace for results and take-home drugs with no honest stay flagged"
    ),
    tuned!(
        "admission_standard.low_acuity",
        "peers.min_difference",
        "no honest hospital is flagged at any margin from 3 points (the generator's honest \
         hospitals differ from their peers by at most 3); 10 points is chosen to leave room for a \
         real month's case-mix differences, giving up the cases drawn below it (induced stays \
         are drawn at 4-40% of a hospital's stays, across the margin)"
    ),
    tuned!(
        "admission_standard.low_acuity",
        "max_cost_ratio",
        "the smallest ratio at which the amounts of the found cases are right (0.6 drops induced \
         three-night stays with a CT, undercounting them); no honest hospital is flagged up to 1.5"
    ),
    tuned!(
        "admission_standard.waived_copay",
        "peers.min_difference",
        "as for low_acuity: no honest hospital flagged from 3 points (fully covered retirees \
         spread over all hospitals put peers at 3-4%); 10 points leave room for a real month"
    ),
    tuned!(
        "upcoding.complication_share",
        "peers.min_difference",
        "no honest hospital flagged from 3 points (honest unsupported complications: about 3% of \
         stays); an invented code counts as unsupported only on the half of stays no longer than \
         their diagnosis' median, so 5 points here are about 10 points of invented codes; the \
         cases drawn below are given up"
    ),
    tuned!(
        "peer_outlier.test_panels",
        "peers.min_difference",
        "the look-alike hospital adding the panel to 8% of its visits is flagged up to 5 points, \
         no honest provider from 10; 15 points are about twice the look-alike's excess"
    ),
    tuned!(
        "peer_outlier.visits_per_patient",
        "min_difference",
        "twice the excess of the follow-up look-alike (a quarter of patients seen again: +0.25, \
         flagged at 0.1); no honest provider flagged from 0.25. Courses of treatment (dialysis, \
         physiotherapy) would exceed any margin: a real month needs them told apart by med_type"
    ),
    tuned!(
        "phantom_service.cloned_claims",
        "peers.min_difference",
        "no honest provider flagged at any margin (honest claims vary in items and doses); the \
         cases drawn at 2-22% of a clinic's visits are missed below about 5 points, which is \
         kept as room for a real month's order sets at single providers"
    ),
    tuned!(
        "phantom_service.cloned_claims",
        "standard_providers",
        "the hospital group sharing an order set (six hospitals: five others) is flagged from 5; \
         the cases' templates are each clinic's own and found at any value; 2 keeps a template \
         shared by up to three providers (one owner's clinics) a clone, and a claim billed at \
         four or more a standard of care"
    ),
    tuned!(
        "phantom_service.cloned_claims",
        "min_items",
        "flat from 3 to 8 on the generator (its templates have eight items, the order set seven, \
         other honest claims never repeat); 5 keeps a registration, a consultation and one drug \
         — short claims real months repeat honestly — out"
    ),
    tuned!(
        "phantom_service.cloned_claims",
        "min_patients",
        "flat from 2 to 8 on the generator; 5 patients on one claim is the least that a \
         coincidence of two or three look-alike visits cannot make"
    ),
    tuned!(
        "peer_outlier.money_per_patient",
        "min_z",
        "no honest provider flagged from 2.5 (every hit is about an injected provider: the \
         upselling cases and the split-visit, cloned-claim and panel providers whose money per \
         patient those schemes raise); 4, as the other peer rules, finds 17 of the 20 upselling \
         cases drawn at 5-60% of visits"
    ),
    tuned!(
        "split_admission.readmission_share",
        "peers.min_difference",
        "no honest hospital flagged from 1 point (honest readmissions: 4% of discharges); 5 \
         points keep recall at the cases drawn above the margin"
    ),
    tuned!(
        "split_admission.readmission_share",
        "min_rate",
        "8 of 9 cases found from 0.5% to 5%, 4 at 8%, nothing honest flagged; 3% is near the \
         honest share and keeps the 3-4 readmissions of a hospital with 30-40 \
         discharges (the DE-SynPUF samples) from counting as improbable"
    ),
    tuned!(
        "upcoding.main_diagnosis",
        "min_rate",
        "without the binomial test (0) honest hospitals are flagged for one or two odd stays among \
         a few dozen judged; from 0.5% none is; 2% leaves room for a real month's stays that lack \
         their markers for reasons the bill does not show"
    ),
    tuned!(
        "upcoding.main_diagnosis",
        "marker_share",
        "flat on the generator (its one marked diagnosis, stroke, bills the protocol on every \
         whole stay); 0.8 asks a marker to be on most of a diagnosis' stays in a real month too"
    ),
    tuned!(
        "item_swap.account_misuse",
        "min_cards",
        "no honest pharmacy flagged even at 1 card (honest goods are paid in cash); 3 cards, as \
         disguised_goods, so that one family's purchase is not a pharmacy's practice"
    ),
];
