//! Money that does not fit is an error naming the line, never a wrapped amount: a stay of a
//! thousand lines at the largest amount a decimal(16,2) holds overflows i64 fen when summed.

use fundguard_engine::RulesConfig;
use fundguard_model::Outcome;

use crate::{ingest_clean, only, scratch};

#[test]
fn an_overflowing_sum_fails_the_rule_naming_the_line() {
    let dir = scratch("overflow");
    std::fs::write(
        dir.join("visits.csv"),
        "visit_id,patient_id,provider_id,visit_type,admit_time,discharge_time,total_amount\n\
         S1,P1,H1,inpatient,2026-03-01 09:00:00,2026-03-10 10:00:00,1.00\n\
         S2,P1,H2,inpatient,2026-03-03 09:00:00,2026-03-12 10:00:00,1.00\n",
    )
    .unwrap();
    let mut lines = String::from(
        "line_id,visit_id,item_code,charge_category,charge_time,quantity,unit_price,amount\n",
    );
    for i in 0..1000 {
        // 10,000 units at 9,999,999,999.99: 99,999,999,999,900.00 yuan, within decimal(16,2).
        lines.push_str(&format!(
            "L{i:04},S2,XA01,09,2026-03-04 08:00:00,10000,9999999999.99,99999999999900.00\n"
        ));
    }
    std::fs::write(dir.join("line_items.csv"), lines).unwrap();
    let dump = ingest_clean(&dir);
    let run = fundguard_engine::run(
        &dump,
        &only("bed_hanging.overlap"),
        &RulesConfig::default(),
        None,
    );
    let outcome = run
        .outcomes
        .iter()
        .find(|o| o.rule_id == "bed_hanging.overlap")
        .unwrap();
    match &outcome.outcome {
        Outcome::Failed { error } => {
            assert!(error.contains("money overflow adding line L0"), "{error}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(run.hits.is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}
