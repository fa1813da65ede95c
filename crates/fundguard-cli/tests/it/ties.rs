//! Exact ties planted into a generated month where an ordering can reach an output: equal times,
//! amounts and quantities, several candidate lines for one reversal, equal overlaps, equal counts.
//! The month and its planted rows in two orders (so row numbers and dictionary codes differ), at 1
//! and 2 threads, must give byte-identical hits and leads: every tie is broken by text ids.

use std::fmt::Write;
use std::path::Path;

use crate::scratch;

/// Planted rows, as `column=value` pairs over the contract's columns.
struct Dump {
    visits: Vec<Vec<(&'static str, String)>>,
    lines: Vec<Vec<(&'static str, String)>>,
}

impl Dump {
    /// `who` is `[visit_id, patient_id, provider_id, visit_type]`, `times` admission, discharge
    /// and settlement.
    fn visit(&mut self, who: [&str; 4], times: [&str; 3], doctor: &str, money: &str) {
        let [id, patient, provider, kind] = who;
        let [admit, discharge, settle] = times;
        let row = [
            ("visit_id", id),
            ("patient_id", patient),
            ("provider_id", provider),
            ("visit_type", kind),
            ("admit_time", admit),
            ("discharge_time", discharge),
            ("settle_time", settle),
            ("doctor_id", doctor),
            ("total_amount", money),
            ("fund_paid", money),
        ];
        self.visits
            .push(row.iter().map(|(k, v)| (*k, v.to_string())).collect());
    }

    fn line(&mut self, id: &str, visit: &str, item: &str, time: &str, qty: i32, price: &str) {
        let amount: f64 = price.parse::<f64>().unwrap() * f64::from(qty);
        let row = [
            ("line_id", id.to_string()),
            ("visit_id", visit.to_string()),
            ("item_code", item.to_string()),
            ("item_name", format!("项目{item}")),
            ("charge_category", "09".to_string()),
            ("charge_time", time.to_string()),
            ("quantity", qty.to_string()),
            ("unit_price", price.to_string()),
            ("amount", format!("{amount:.2}")),
        ];
        self.lines.push(row.to_vec());
    }
}

/// Copies the CSV month in `month` to `to` with the planted rows added (in the month's columns),
/// every table's rows in their order or reversed: row numbers and dictionary codes differ
/// between the two copies, the content does not.
fn write_month(month: &Path, planted: &Dump, to: &Path, reversed: bool) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(month).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rows: Vec<String> = text.lines().map(str::to_string).collect();
        let header: Vec<String> = rows.remove(0).split(',').map(str::to_string).collect();
        let extra = match name.as_str() {
            "visits.csv" => &planted.visits,
            "line_items.csv" => &planted.lines,
            _ => &Vec::new(),
        };
        for row in extra {
            let cells: Vec<&str> = header
                .iter()
                .map(|h| {
                    row.iter()
                        .find(|(k, _)| k == h)
                        .map_or("", |(_, v)| v.as_str())
                })
                .collect();
            rows.push(cells.join(","));
        }
        if reversed {
            rows.reverse();
        }
        let mut out = header.join(",");
        out.push('\n');
        for r in rows {
            writeln!(out, "{r}").unwrap();
        }
        std::fs::write(to.join(name), out).unwrap();
    }
}

fn planted() -> Dump {
    let mut d = Dump {
        visits: Vec::new(),
        lines: Vec::new(),
    };
    // Two stays with identical times (each overlaps the other), and a third overlapping both by
    // exactly the same time: which earlier stay the evidence names is a tie.
    let stay = [
        "2026-03-01 09:00:00",
        "2026-03-10 10:00:00",
        "2026-03-10 10:00:00",
    ];
    d.visit(["SA1", "PA", "H1", "inpatient"], stay, "", "100.00");
    d.visit(["SA2", "PA", "H2", "inpatient"], stay, "", "100.00");
    d.visit(
        ["SA3", "PA", "H3", "inpatient"],
        [
            "2026-03-05 09:00:00",
            "2026-03-12 10:00:00",
            "2026-03-12 10:00:00",
        ],
        "",
        "30.00",
    );
    for (line, visit) in [("LA11", "SA1"), ("LA21", "SA2")] {
        d.line(
            line,
            visit,
            "001109000010000",
            "2026-03-06 08:00:00",
            1,
            "50.00",
        );
    }
    // Two identical lines and a reversal of one of them: which one it cancels is a tie, and the
    // survivor is listed in the overlap's lines.
    d.line("LA31", "SA3", "XA01", "2026-03-06 08:00:00", 1, "10.00");
    d.line("LA32", "SA3", "XA01", "2026-03-06 08:00:00", 1, "10.00");
    d.line("LA33", "SA3", "XA01", "2026-03-06 09:00:00", -1, "10.00");
    d.line("LA34", "SA3", "XA02", "2026-03-07 08:00:00", 1, "20.00");

    // One card at two pharmacies in the same second, then back at the first five minutes later.
    for (visit, provider, at) in [
        ("PB1", "R1", "2026-03-03 10:00:00"),
        ("PB2", "R2", "2026-03-03 10:00:00"),
        ("PB3", "R1", "2026-03-03 10:05:00"),
    ] {
        d.visit(
            [visit, "PB", provider, "pharmacy"],
            [at, at, at],
            "",
            "30.00",
        );
        d.line(&format!("L{visit}"), visit, "XB01", at, 1, "30.00");
    }

    // A doctor seeing 102 patients at the same minute, half of them at each of two hospitals.
    for i in 0..102 {
        let provider = if i % 2 == 0 { "H7" } else { "H8" };
        let at = "2026-03-04 09:00:00";
        let visit = format!("VC{i:03}");
        let patient = format!("PC{i:03}");
        d.visit(
            [&visit, &patient, provider, "outpatient"],
            [at, at, at],
            "DZ",
            "12.00",
        );
        d.line(&format!("L{visit}"), &visit, "XC01", at, 1, "12.00");
    }
    d
}

#[test]
fn planted_ties_in_two_row_orders_and_thread_counts_give_identical_bytes() {
    let dir = scratch("ties");
    let month = dir.join("month");
    crate::synth(&month, "3000", "11", &["--format", "csv"]);
    let dump = planted();
    let forward = dir.join("forward");
    let backward = dir.join("backward");
    write_month(&month, &dump, &forward, false);
    write_month(&month, &dump, &backward, true);
    let first = crate::same_bytes_in_both_orders(&dir, &forward, &backward, &[]);
    // The planted ties reach the output: every scenario fired.
    let rules = crate::parquet_strings(&first.join("hits.parquet"));
    for rule in [
        "bed_hanging.overlap",
        "card_pooling.two_places",
        "phantom_service.doctor_volume",
    ] {
        assert!(rules.iter().any(|r| r == rule), "{rule} did not fire");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
