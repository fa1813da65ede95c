//! Property: a billed-then-reversed line is not a duplicate. Whatever the item, quantity, price and
//! times, a line, its reversal and the line billed again fire no duplicate_charge rule.

use proptest::prelude::*;

use crate::{ingest_clean, shared_rulebase};

const ITEMS: [(&str, &str); 3] = [
    ("001109000010000", "01"), // bed fee (capped at one a day)
    ("002503020030000", "04"), // HbA1c (batch-8 period)
    ("XJ01DDA042B001010100123", "09"),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn a_reversed_line_billed_again_is_no_duplicate(
        item in 0usize..3,
        qty in 1u32..4,
        price in 1u32..500,
        minute in 0u32..50,
        again in 0u32..3,
    ) {
        let (code, cat) = ITEMS[item];
        let dir = crate::scratch(&format!("reversal-{item}-{qty}-{price}-{minute}-{again}"));
        let amount = qty * price;
        let t = format!("2026-03-02 10:{minute:02}:00");
        let t_rev = format!("2026-03-02 11:{minute:02}:00");
        let t_again = format!("2026-03-02 1{}:{minute:02}:00", 1 + again);
        std::fs::write(
            dir.join("visits.csv"),
            "visit_id,patient_id,provider_id,visit_type,admit_time,discharge_time,total_amount\n\
             V1,P1,H1,inpatient,2026-03-01 09:00:00,2026-03-05 10:00:00,100.00\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("line_items.csv"),
            format!(
                "line_id,visit_id,item_code,charge_category,charge_time,quantity,unit_price,amount\n\
                 L1,V1,{code},{cat},{t},{qty},{price},{amount}\n\
                 L2,V1,{code},{cat},{t_rev},-{qty},{price},-{amount}\n\
                 L3,V1,{code},{cat},{t_again},{qty},{price},{amount}\n"
            ),
        )
        .unwrap();
        let dump = ingest_clean(&dir);
        let cfg = fundguard_engine::RunConfig {
            disable: fundguard_engine::infos()
                .iter()
                .filter(|i| i.family != fundguard_model::Family::DuplicateCharge)
                .map(|i| i.id.to_string())
                .collect(),
            ..Default::default()
        };
        let rb = shared_rulebase();
        let run = fundguard_engine::run(&dump, &cfg, &Default::default(), Some(&rb));
        // A bed fee of more than one a day is a real over-cap, reversal or not.
        let real_over_cap = item == 0 && qty > 1;
        let hits: Vec<_> = run
            .hits
            .iter()
            .filter(|h| !(real_over_cap && h.rule.id == "duplicate_charge.daily_cap"))
            .map(|h| h.rule.id)
            .collect();
        prop_assert!(hits.is_empty(), "{hits:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
