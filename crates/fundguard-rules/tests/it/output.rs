//! hits.parquet has the contract's columns and types; the rule reference in docs/ is current.

use std::path::Path;

use arrow::datatypes::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use fundguard_rules::{write_hits, HitRow};

#[test]
fn hits_parquet_has_the_contract_schema() {
    let dir = crate::scratch("hits");
    let path = dir.join("hits.parquet");
    let rows = vec![
        HitRow {
            rule_id: "duplicate_charge.exact".into(),
            family: "duplicate_charge".into(),
            subject_type: "visit".into(),
            subject_id: "0001".into(),
            provider_id: Some("H1".into()),
            patient_id: Some("007".into()),
            visit_id: Some("0001".into()),
            line_ids: vec!["0001-2".into(), "0001-3".into()],
            amount_fen: 123_456,
            severity: 0.7,
            evidence: "同一次就诊内相同明细重复计费".into(),
            p: None,
        },
        HitRow {
            rule_id: "card_pooling.burst".into(),
            family: "card_pooling".into(),
            subject_type: "provider".into(),
            subject_id: "P9".into(),
            provider_id: Some("P9".into()),
            patient_id: None,
            visit_id: None,
            line_ids: vec![],
            amount_fen: -5,
            severity: 0.85,
            evidence: "burst".into(),
            p: Some(1e-9),
        },
    ];
    write_hits(&path, &rows, &[("fundguard.run_id".into(), "abc".into())]).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    let schema = reader.schema().clone();
    let expect = [
        ("rule_id", DataType::Utf8),
        ("family", DataType::Utf8),
        ("subject_type", DataType::Utf8),
        ("subject_id", DataType::Utf8),
        ("provider_id", DataType::Utf8),
        ("patient_id", DataType::Utf8),
        ("visit_id", DataType::Utf8),
        ("amount_at_risk", DataType::Decimal128(16, 2)),
        ("severity", DataType::Float64),
        ("evidence", DataType::Utf8),
    ];
    for (name, ty) in expect {
        assert_eq!(
            schema.field_with_name(name).unwrap().data_type(),
            &ty,
            "{name}"
        );
    }
    assert!(matches!(
        schema.field_with_name("line_ids").unwrap().data_type(),
        DataType::List(f) if f.data_type() == &DataType::Utf8
    ));
    assert_eq!(schema.fields().len(), 11);
    let batch = reader.build().unwrap().next().unwrap().unwrap();
    let amount = batch
        .column_by_name("amount_at_risk")
        .unwrap()
        .as_any()
        .downcast_ref::<arrow::array::Decimal128Array>()
        .unwrap();
    assert_eq!(amount.value_as_string(0), "1234.56");
    assert_eq!(amount.value_as_string(1), "-0.05");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_rule_reference_in_docs_is_generated_from_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == fundguard_rules::docs::reference(),
        "docs/rules.md is stale: run `fundguard rules --markdown > docs/rules.md`"
    );
}

mod config_fuzz {
    //! The configuration parser answers every text with a configuration or an error, never a panic.
    use proptest::prelude::*;

    const VALID: &str = "[run]\nlanguage = \"en\"\ndisable = [\"card_pooling.ring\"]\n[rules.card_pooling.burst]\nmin_cards = 9\n[leads]\nreferral_yuan = 3000\n[[custom]]\nid = \"custom.x\"\nseverity = 0.5\nsubject = \"provider\"\nevidence = \"{provider_id}\"\nsql = \"SELECT provider_id AS subject_id, provider_id FROM visits\"\n";

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn mutated_configurations_never_crash(
            edits in proptest::collection::vec((any::<usize>(), any::<char>(), 0u8..3), 0..10)
        ) {
            let mut chars: Vec<char> = VALID.chars().collect();
            for (at, c, kind) in edits {
                if chars.is_empty() {
                    break;
                }
                let i = at % chars.len();
                match kind {
                    0 => chars[i] = c,
                    1 => chars.insert(i, c),
                    _ => {
                        chars.remove(i);
                    }
                }
            }
            let text: String = chars.into_iter().collect();
            let _ = fundguard_rules::Config::parse(&text);
        }
    }

    #[test]
    fn the_unmutated_configuration_is_valid() {
        fundguard_rules::Config::parse(VALID).unwrap();
    }
}
