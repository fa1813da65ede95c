//! The batch-8 period table may hold several rows for one code (at most 1 in 15 days, and 3 in 60
//! days): each row is a limit of its own, never merged into a stricter one no row states.

use fundguard_engine::RulesConfig;
use fundguard_rulebase::PeriodCap;

use crate::{ingest_clean, only, scratch, shared_rulebase};

const HBA1C: &str = "002503020030000";

fn hits_with(rows: &[(i64, i32)], days_apart: &[u32]) -> usize {
    let dir = scratch(
        &format!("period-rows-{rows:?}-{days_apart:?}").replace([' ', '(', ')', '[', ']', ','], ""),
    );
    let mut visits = String::from(
        "visit_id,patient_id,provider_id,visit_type,admit_time,discharge_time,total_amount\n",
    );
    let mut lines = String::from(
        "line_id,visit_id,item_code,item_name,charge_category,charge_time,quantity,unit_price,amount\n",
    );
    for (k, d) in days_apart.iter().enumerate() {
        let day = 1 + d;
        visits.push_str(&format!(
            "V{k},P1,H1,outpatient,2026-03-{day:02} 09:00:00,2026-03-{day:02} 09:30:00,60.00\n"
        ));
        lines.push_str(&format!(
            "L{k},V{k},{HBA1C},糖化血红蛋白测定,04,2026-03-{day:02} 09:10:00,1,60,60.00\n"
        ));
    }
    std::fs::write(dir.join("visits.csv"), visits).unwrap();
    std::fs::write(dir.join("line_items.csv"), lines).unwrap();
    let dump = ingest_clean(&dir);
    let mut rb = shared_rulebase();
    rb.period = Some(
        rows.iter()
            .map(|&(max, days)| PeriodCap {
                code: HBA1C.into(),
                name: "糖化血红蛋白测定".into(),
                max: max * 10_000,
                days,
            })
            .collect(),
    );
    let run = fundguard_engine::run(
        &dump,
        &only("duplicate_charge.period_cap"),
        &RulesConfig::default(),
        Some(&rb),
    );
    run.hits.len()
}

#[test]
fn two_rows_of_one_code_are_two_limits() {
    // 19 days apart: within "1 in 15 days" and within "3 in 60 days"; the merged "1 in 60 days"
    // (the smaller count with the longer period) would flag it.
    assert_eq!(hits_with(&[(1, 15), (3, 60)], &[0, 19]), 0);
    // Each limit still holds on its own.
    assert_eq!(hits_with(&[(1, 15), (3, 60)], &[0, 10]), 1);
    assert_eq!(hits_with(&[(1, 5), (3, 60)], &[0, 6, 12, 18]), 1);
}
