//! Property: whatever is wrong with the rows, every row read is accepted or rejected, exactly once.

use proptest::prelude::*;

use fundguard_ingest::{ingest, IngestOptions};

/// A cell that is valid or one of the usual kinds of wrong.
fn cell(valid: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(valid.to_string()),
        1 => Just(String::new()),
        1 => Just("garbage".to_string()),
        1 => Just("2026-02-30 25:00:00".to_string()),
        1 => Just("12.3456789".to_string()),
    ]
}

fn visit_row() -> impl Strategy<Value = String> {
    (
        0u8..20,
        cell("P1"),
        cell("inpatient"),
        cell("2026-03-02 08:00:00"),
        cell("2026-03-04 08:00:00"),
        cell("100.00"),
    )
        .prop_map(|(id, p, t, a, d, m)| format!("V{id},{p},H1,{t},{a},{d},{m}"))
}

fn line_row() -> impl Strategy<Value = String> {
    (
        0u8..30,
        0u8..25,
        cell("2026-03-02 09:00:00"),
        cell("2"),
        cell("5.00"),
        cell("10.00"),
    )
        .prop_map(|(id, v, t, q, p, a)| format!("L{id},V{v},001109000010000,01,{t},{q},{p},{a}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn rows_read_equal_accepted_plus_rejected(
        visits in proptest::collection::vec(visit_row(), 0..25),
        lines in proptest::collection::vec(line_row(), 0..40),
        truncate in any::<bool>(),
    ) {
        let dir = crate::scratch("prop");
        let mut v = format!(
            "visit_id,patient_id,provider_id,visit_type,admit_time,discharge_time,total_amount\n{}",
            visits.join("\n")
        );
        if truncate && !visits.is_empty() {
            v.push_str("\nV99,P1");
        }
        std::fs::write(dir.join("visits.csv"), v).unwrap();
        std::fs::write(
            dir.join("line_items.csv"),
            format!(
                "line_id,visit_id,item_code,charge_category,charge_time,quantity,unit_price,amount\n{}",
                lines.join("\n")
            ),
        )
        .unwrap();
        let i = ingest(&dir, &IngestOptions::default()).unwrap();
        for t in &i.report.tables {
            prop_assert_eq!(t.read, t.accepted + t.rejected);
            prop_assert_eq!(i.rejects.iter().filter(|r| r.table == t.table).count(), t.rejected);
        }
        prop_assert_eq!(i.dump.visits.visit_id.len(), i.report.table(fundguard_model::Table::Visits).accepted);
        prop_assert_eq!(i.dump.lines.line_id.len(), i.report.table(fundguard_model::Table::LineItems).accepted);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
