//! The national platform's extract tables (`MDTRT_D`, `SETL_D`, `FEE_LIST_D`, `PSN_INFO_B`,
//! `FIXMEDINS_B`) and how their fields map to the contract's columns (data-contract.md gives the
//! national field of each column). The first name of each field is what the platform exports;
//! the others are variants real databases use. Ingest reads with these; the generator writes with
//! them, so both paths share one table.

use crate::schema::Table;

/// One field of an extract: the contract column it fills and its national names.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub column: &'static str,
    pub names: &'static [&'static str],
}

const fn f(column: &'static str, names: &'static [&'static str]) -> Field {
    Field { column, names }
}

/// 就诊信息: one row per visit (`mdtrt_id`).
pub const MDTRT_D: &[Field] = &[
    f("visit_id", &["mdtrt_id"]),
    f("patient_id", &["psn_no"]),
    f("provider_id", &["fixmedins_code"]),
    f("med_type", &["med_type"]),
    f("admit_time", &["begntime", "begn_time"]),
    f("discharge_time", &["endtime", "end_time"]),
    f(
        "main_diag_code",
        &["dscg_maindiag_code", "dise_codg", "dise_no"],
    ),
    f("dept_code", &["adm_dept_codg"]),
    f("doctor_id", &["chfpdr_code", "atddr_no", "acord_dr_code"]),
    f("terminal_id", &["opter_id"]),
    f("insurance_type", &["insutype"]),
];

/// 结算信息: one row per settlement (`setl_id`) of a visit (`mdtrt_id`); refunds are settlements
/// too (`refd_setl_flag` = 1, negative amounts).
pub const SETL_D: &[Field] = &[
    f("settlement_id", &["setl_id"]),
    f("visit_id", &["mdtrt_id"]),
    f("settle_time", &["setl_time"]),
    f("total_amount", &["medfee_sumamt"]),
    f("fund_paid", &["hifp_pay", "fund_pay_sumamt"]),
    f("account_paid", &["acct_pay"]),
    f("cash_paid", &["psn_cash_pay", "cash_payamt"]),
    f("is_refund", &["refd_setl_flag"]),
];

/// 费用明细: one row per billed item. Lines keyed by `setl_id` without `mdtrt_id` (some provinces'
/// layout, beside a `smdtrt_id`) are linked to their visits through `SETL_D`.
pub const FEE_LIST_D: &[Field] = &[
    f("line_id", &["feedetl_sn", "bkkp_sn"]),
    f("visit_id", &["mdtrt_id"]),
    f("item_code", &["hilist_code", "med_list_codg"]),
    f("item_name", &["hilist_name", "medins_list_name"]),
    f("charge_category", &["med_chrgitm_type"]),
    f("charge_time", &["fee_ocur_time"]),
    f("quantity", &["cnt"]),
    f("unit_price", &["pric"]),
    f("amount", &["det_item_fee_sumamt"]),
    f("in_scope_amount", &["inscp_scp_amt", "inscp_amt"]),
    f("doctor_id", &["bilg_dr_codg", "bilg_dr_code"]),
    f("dept_code", &["bilg_dept_codg"]),
    f("days_supply", &["prd_days"]),
];

/// 人员信息.
pub const PSN_INFO_B: &[Field] = &[
    f("patient_id", &["psn_no"]),
    f("sex", &["gend"]),
    f("birth_date", &["brdy"]),
    f("death_date", &["die_date", "dies_date"]),
    f("region_code", &["insu_admdvs", "resd_loc_admdvs"]),
];

/// 定点医药机构. `fixmedins_type` (1 医疗机构, 2 零售药店) and `medins_type` (D… 基层) give the
/// contract's `provider_type`; `open_time`/`close_time` are not national fields but are read when
/// present.
pub const FIXMEDINS_B: &[Field] = &[
    f("provider_id", &["fixmedins_code"]),
    f("provider_name", &["fixmedins_name"]),
    f("fixmedins_type", &["fixmedins_type"]),
    f("medins_type", &["medins_type"]),
    f("level", &["hosp_lv"]),
    f("region_code", &["fix_blng_admdvs", "admdvs"]),
    f("beds", &["aprv_bed_cnt", "bed_cnt"]),
    f("open_time", &["open_time"]),
    f("close_time", &["close_time"]),
];

/// 追溯码 scans of the sale feed (interfaces 3505 sale, 3506 return). The platform's table name
/// for the feed varies by province; `DRUG_TRAC_D` is the stem fundguard reads, with the
/// interface's field names. A feed keyed by `setl_id` alone is linked to its visit through
/// `SETL_D`.
pub const DRUG_TRAC_D: &[Field] = &[
    f("trace_code", &["drug_trac_codg"]),
    f("visit_id", &["mdtrt_id"]),
    f("item_code", &["med_list_codg", "hilist_code"]),
    f("provider_id", &["fixmedins_code"]),
    f("patient_id", &["psn_no"]),
    f("scan_time", &["sel_retn_time"]),
    f("quantity", &["sel_retn_cnt"]),
    f("split_pack", &["trdn_flag"]),
];

/// 追溯码 a provider took in (interfaces 3501 stock count, 3502 stock changes, 3503 purchases);
/// `DRUG_STOCK_D` is fundguard's stem for the feed.
pub const DRUG_STOCK_D: &[Field] = &[
    f("trace_code", &["drug_trac_codg"]),
    f("item_code", &["med_list_codg", "hilist_code"]),
    f("provider_id", &["fixmedins_code"]),
    f(
        "stock_time",
        &["inv_chg_time", "purc_retn_stoin_time", "invdate"],
    ),
];

/// The settlement list's diagnoses (医保结算清单 诊断信息). A list keyed by `setl_id` alone is
/// linked to its visit through `SETL_D`.
pub const SETL_LIST_DIAG_D: &[Field] = &[
    f("visit_id", &["mdtrt_id"]),
    f("diag_code", &["diag_code"]),
    f("diag_type", &["diag_type"]),
    f("is_main", &["maindiag_flag"]),
];

/// The settlement list's operations (医保结算清单 手术操作信息). The contract has no table of
/// operations: the extract is read and accounted for ([`UNUSED_EXTRACTS`]), and used by no rule.
/// Its personal columns (`oper_dr_name`, `anst_dr_name` …) are not read.
pub const SETL_LIST_OPRN_D: &[Field] = &[
    f("visit_id", &["mdtrt_id"]),
    f("operation_code", &["oprn_oprt_code"]),
    f("operation_date", &["oprn_oprt_date"]),
    f("is_main", &["main_oprn_flag"]),
];

/// Extract tables that feed no contract table: file stem, fields, why they are not used. They
/// are read, their rows counted and linked to the month's visits, and reported in the account.
pub const UNUSED_EXTRACTS: [(&str, &[Field], &str); 1] = [(
    "SETL_LIST_OPRN_D",
    SETL_LIST_OPRN_D,
    "the data contract has no table of operations; no rule reads them",
)];

/// The extract tables: file stem, the contract table they feed, their fields.
pub const EXTRACTS: [(&str, Table, &[Field]); 8] = [
    ("MDTRT_D", Table::Visits, MDTRT_D),
    ("SETL_D", Table::Visits, SETL_D),
    ("FEE_LIST_D", Table::LineItems, FEE_LIST_D),
    ("PSN_INFO_B", Table::Patients, PSN_INFO_B),
    ("FIXMEDINS_B", Table::Providers, FIXMEDINS_B),
    ("DRUG_TRAC_D", Table::DrugTraces, DRUG_TRAC_D),
    ("DRUG_STOCK_D", Table::DrugStock, DRUG_STOCK_D),
    (
        "SETL_LIST_DIAG_D",
        Table::SettlementDiagnoses,
        SETL_LIST_DIAG_D,
    ),
];

/// `visit_type` of a national `med_type`, national 2-digit codes and provincial extensions
/// (4-6 digits) by their first two digits: 1x outpatient (11 普通门诊, 13 急诊, 14 门诊慢特病 …),
/// 2x inpatient, 41 pharmacy purchase, 51 maternity outpatient, 52 maternity inpatient, anything
/// else other.
pub fn visit_type_of(med_type: &str) -> &'static str {
    let m = med_type.trim();
    match m.get(..2) {
        Some("41") => "pharmacy",
        Some("51") => "outpatient",
        Some("52") => "inpatient",
        Some(p) if p.starts_with('1') => "outpatient",
        Some(p) if p.starts_with('2') => "inpatient",
        _ => "other",
    }
}

/// The national `med_type` the generator writes for a visit type.
pub fn med_type_of(visit_type: &str) -> &'static str {
    match visit_type {
        "outpatient" => "11",
        "inpatient" => "21",
        "pharmacy" => "41",
        _ => "99",
    }
}

/// A code zero-padded to `width` digits when it is all digits and shorter (`9` → `09`).
pub fn pad_code(code: &str, width: usize) -> String {
    let c = code.trim();
    if !c.is_empty() && c.len() < width && c.bytes().all(|b| b.is_ascii_digit()) {
        format!("{c:0>width$}")
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn med_types_map_by_prefix() {
        assert_eq!(visit_type_of("11"), "outpatient");
        assert_eq!(visit_type_of("1401"), "outpatient");
        assert_eq!(visit_type_of("21"), "inpatient");
        assert_eq!(visit_type_of("210104"), "inpatient");
        assert_eq!(visit_type_of("41"), "pharmacy");
        assert_eq!(visit_type_of("52"), "inpatient");
        assert_eq!(visit_type_of("9901"), "other");
        for t in ["outpatient", "inpatient", "pharmacy", "other"] {
            assert_eq!(visit_type_of(med_type_of(t)), t);
        }
    }

    #[test]
    fn pads_numeric_codes_only() {
        assert_eq!(pad_code("9", 2), "09");
        assert_eq!(pad_code("1", 2), "01");
        assert_eq!(pad_code("12", 2), "12");
        assert_eq!(pad_code("A1", 2), "A1");
    }
}
