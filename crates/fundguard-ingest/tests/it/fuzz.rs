//! Bad input never crashes: random bytes and random mutations of valid files, as contract CSV,
//! national extracts and mapping files, go through ingest; it answers with rows accepted and
//! rejected, or an error naming the file — never a panic. (Stable-toolchain fuzzing with proptest:
//! cargo-fuzz needs a nightly toolchain this project does not assume.)

use proptest::prelude::*;

use fundguard_ingest::{ingest, IngestOptions};

const VISITS: &str =
    "visit_id,patient_id,provider_id,visit_type,admit_time,discharge_time,total_amount\n\
    V1,P1,H1,inpatient,2026-03-01 09:00:00,2026-03-05 10:00:00,500.00\n";
const LINES: &str =
    "line_id,visit_id,item_code,charge_category,charge_time,quantity,unit_price,amount\n\
    L1,V1,001109000010000,01,2026-03-01 12:00:00,4,50,200.00\n";
const MDTRT: &str = "mdtrt_id|psn_no|fixmedins_code|med_type|begntime|endtime|vali_flag\r\n\
    @|M1|@|@|P1|@|@|H1|@|@|21|@|2026-03-01 09:00:00|2026-03-05 10:00:00|1\r\n";
const SETL: &str = "setl_id|mdtrt_id|setl_time|medfee_sumamt|refd_setl_flag\r\nS1|M1|2026-03-05 10:00:00|500.00|0\r\n";
const FEE: &str = "feedetl_sn|mdtrt_id|hilist_code|med_chrgitm_type|fee_ocur_time|cnt|pric|det_item_fee_sumamt\r\n\
    L1|M1|001109000010000|01|2026-03-01 12:00:00|4|50|200.00\r\n";

/// A valid file with some bytes replaced, inserted or cut.
fn mutated(base: &'static str) -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 0..12),
        any::<usize>(),
    )
        .prop_map(move |(edits, cut)| {
            let mut b = base.as_bytes().to_vec();
            for (at, byte, kind) in edits {
                if b.is_empty() {
                    break;
                }
                let i = at % b.len();
                match kind {
                    0 => b[i] = byte,
                    1 => b.insert(i, byte),
                    _ => {
                        b.remove(i);
                    }
                }
            }
            if cut % 4 == 0 && !b.is_empty() {
                b.truncate(cut % b.len());
            }
            b
        })
}

fn scratch() -> std::path::PathBuf {
    crate::scratch("fuzz")
}

fn survives(files: &[(&str, &[u8])], opts: &IngestOptions) {
    let dir = scratch();
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    if let Ok(i) = ingest(&dir, opts) {
        for t in &i.report.tables {
            assert_eq!(t.read, t.accepted + t.rejected, "{:?}", t.table);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn mutated_contract_csv_never_crashes(v in mutated(VISITS), l in mutated(LINES)) {
        survives(&[("visits.csv", &v), ("line_items.csv", &l)], &IngestOptions::default());
    }

    #[test]
    fn random_bytes_never_crash(v in proptest::collection::vec(any::<u8>(), 0..300),
                                l in proptest::collection::vec(any::<u8>(), 0..300)) {
        survives(&[("visits.csv", &v), ("line_items.csv", &l)], &IngestOptions::default());
        survives(&[("MDTRT_D.txt", &v), ("SETL_D.txt", &l), ("FEE_LIST_D.txt", &l)], &IngestOptions::default());
        survives(&[("visits.parquet", &v), ("line_items.csv", LINES.as_bytes())], &IngestOptions::default());
    }

    #[test]
    fn mutated_extracts_never_crash(m in mutated(MDTRT), s in mutated(SETL), f in mutated(FEE)) {
        survives(&[("MDTRT_D.txt", &m), ("SETL_D.txt", &s), ("FEE_LIST_D.txt", &f)], &IngestOptions::default());
    }

    #[test]
    fn mutated_mapping_files_never_crash(text in mutated(
        "[visits]\nfiles = [\"v*.csv\"]\n[visits.columns]\nvisit_id = \"visit_id\"\npatient_id = { first = [\"patient_id\"] }\nprovider_id = \"provider_id\"\nvisit_type = { value = \"inpatient\" }\nadmit_time = { date = \"admit_time\", format = \"%Y-%m-%d %H:%M:%S\" }\ntotal_amount = \"total_amount\"\n"
    )) {
        let dir = scratch();
        let path = dir.join("m.toml");
        std::fs::write(&path, &text).unwrap();
        if let Ok(m) = fundguard_ingest::mapping::Mapping::load(&path) {
            std::fs::write(dir.join("v.csv"), VISITS).unwrap();
            std::fs::write(dir.join("line_items.csv"), LINES).unwrap();
            let opts = IngestOptions { mapping: Some(m), ..IngestOptions::default() };
            let _ = ingest(&dir, &opts);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
