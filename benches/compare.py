#!/usr/bin/env python3
"""Side by side on one generated Parquet dump and one thread count:

  (a) `fundguard run` end to end (ingest, every rule, scoring, all outputs),
  (b) DuckDB running the core rules as SQL and writing their hits to Parquet:
      bed_hanging 1-3, duplicate_charge 1-3, card_pooling burst, split admissions,
      over-standard prices, impersonation after death and simultaneous, inventory,
  (c) the floor: DuckDB, and pyarrow, only reading the columns those rules need.

Prints the times, the ratios, line items per second and fundguard's peak memory.

    python3 benches/compare.py --dump DUMP --fundguard target/release/fundguard \
        --rulebase ../shared/data/nhsa-rules --threads 2 [--out /tmp/compare]

Needs the Python packages duckdb and pyarrow (pip install duckdb pyarrow).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

import duckdb
import pyarrow.parquet as pq

# The core rules in SQL. Reversals are netted as fundguard does it in spirit: a negative line
# cancels a positive line of the same visit, item and price (quantity-weighted), before
# duplicates are looked for.
RULES = {
    "live_lines": """
        CREATE TEMP TABLE live AS
        WITH pos AS (
          SELECT l.*, row_number() OVER (PARTITION BY visit_id, item_code, unit_price ORDER BY charge_time DESC, line_id) AS k
          FROM line_items l WHERE quantity > 0),
        neg AS (
          SELECT visit_id, item_code, unit_price, -sum(quantity) AS back
          FROM line_items WHERE quantity < 0 GROUP BY ALL)
        SELECT pos.* FROM pos LEFT JOIN neg USING (visit_id, item_code, unit_price)
        WHERE neg.back IS NULL OR pos.k > neg.back
    """,
    "bed_hanging.1 elsewhere": """
        COPY (
          SELECT s.visit_id, s.patient_id, s.provider_id, count(*) AS visits_elsewhere
          FROM visits s JOIN visits o
            ON o.patient_id = s.patient_id AND o.provider_id <> s.provider_id
           AND o.visit_type IN ('outpatient', 'pharmacy')
           AND CAST(o.admit_time AS DATE) > CAST(s.admit_time AS DATE)
           AND CAST(o.admit_time AS DATE) < CAST(s.discharge_time AS DATE)
          WHERE s.visit_type = 'inpatient' AND NOT coalesce(s.is_refund, false)
          GROUP BY ALL
        ) TO '{out}/bed_hanging_1.parquet' (FORMAT parquet)
    """,
    "bed_hanging.2 hollow days": """
        COPY (
          WITH days AS (
            SELECT l.visit_id, CAST(l.charge_time AS DATE) AS d,
                   bool_and(l.charge_category IN ('01','02','07','12','13')) AS hollow,
                   sum(l.amount) AS amount
            FROM live l JOIN visits v USING (visit_id)
            WHERE v.visit_type = 'inpatient' GROUP BY ALL)
          SELECT visit_id, count(*) FILTER (WHERE hollow) AS hollow_days, count(*) AS days,
                 sum(amount) FILTER (WHERE hollow) AS amount
          FROM days GROUP BY visit_id
          HAVING count(*) FILTER (WHERE hollow) >= greatest(3, 0.5 * count(*))
        ) TO '{out}/bed_hanging_2.parquet' (FORMAT parquet)
    """,
    "bed_hanging.3 overlap": """
        COPY (
          SELECT b.visit_id, b.patient_id, a.visit_id AS earlier
          FROM visits a JOIN visits b
            ON a.patient_id = b.patient_id AND a.visit_id <> b.visit_id
           AND (a.admit_time < b.admit_time OR (a.admit_time = b.admit_time AND a.visit_id < b.visit_id))
           AND least(a.discharge_time, b.discharge_time) - b.admit_time >= INTERVAL 1 DAY
          WHERE a.visit_type = 'inpatient' AND b.visit_type = 'inpatient'
        ) TO '{out}/bed_hanging_3.parquet' (FORMAT parquet)
    """,
    "duplicate_charge.1 exact": """
        COPY (
          SELECT visit_id, item_code, charge_time, quantity, unit_price, count(*) - 1 AS copies,
                 (count(*) - 1) * any_value(amount) AS amount
          FROM live GROUP BY visit_id, item_code, charge_time, quantity, unit_price
          HAVING count(*) > 1
        ) TO '{out}/duplicate_charge_1.parquet' (FORMAT parquet)
    """,
    "duplicate_charge.2 daily caps": """
        COPY (
          WITH caps AS (
            SELECT item_code, max_per_day AS cap FROM catalog WHERE max_per_day IS NOT NULL
            UNION ALL SELECT 项目编码, CAST(限制数量 AS DECIMAL(16,4)) FROM freq)
          SELECT v.patient_id, l.item_code, CAST(l.charge_time AS DATE) AS d,
                 sum(l.quantity) AS units, min(c.cap) AS cap
          FROM live l JOIN visits v USING (visit_id) JOIN caps c USING (item_code)
          GROUP BY ALL HAVING sum(l.quantity) > min(c.cap)
        ) TO '{out}/duplicate_charge_2.parquet' (FORMAT parquet)
    """,
    "duplicate_charge.3 included items": """
        COPY (
          SELECT s.line_id, s.visit_id, s.item_code, m.item_code AS main_item, s.amount
          FROM live s JOIN pairs p ON p.从项编码 = s.item_code
          JOIN live m ON m.item_code = p.主项编码 AND m.visit_id = s.visit_id
           AND (p.频度 = '单次就诊'
             OR (p.频度 = '单日' AND CAST(m.charge_time AS DATE) = CAST(s.charge_time AS DATE))
             OR (p.频度 = '6小时' AND abs(epoch(m.charge_time) - epoch(s.charge_time)) <= 21600)
             OR (p.频度 = '同一小时' AND date_trunc('hour', m.charge_time) = date_trunc('hour', s.charge_time)))
        ) TO '{out}/duplicate_charge_3.parquet' (FORMAT parquet)
    """,
    "card_pooling.1 burst": """
        COPY (
          WITH s AS (
            SELECT provider_id, patient_id, settle_time,
                   count(DISTINCT patient_id) OVER w AS cards
            FROM visits WHERE visit_type = 'pharmacy'
            WINDOW w AS (PARTITION BY provider_id ORDER BY settle_time
                         RANGE BETWEEN INTERVAL 10 MINUTE PRECEDING AND CURRENT ROW))
          SELECT provider_id, max(cards) AS cards FROM s GROUP BY provider_id HAVING max(cards) >= 8
        ) TO '{out}/card_pooling_1.parquet' (FORMAT parquet)
    """,
    "split_admission": """
        COPY (
          WITH s AS (
            SELECT visit_id, patient_id, provider_id, admit_time, discharge_time, fund_paid,
                   left(main_diag_code, 3) AS cat,
                   lag(discharge_time) OVER (PARTITION BY patient_id ORDER BY admit_time, visit_id) AS prev_out,
                   lag(provider_id) OVER (PARTITION BY patient_id ORDER BY admit_time, visit_id) AS prev_provider,
                   lag(left(main_diag_code, 3)) OVER (PARTITION BY patient_id ORDER BY admit_time, visit_id) AS prev_cat
            FROM visits WHERE visit_type = 'inpatient')
          SELECT visit_id, patient_id, provider_id, fund_paid FROM s
          WHERE provider_id = prev_provider AND cat = prev_cat AND cat NOT IN ('Z51', 'Z49')
            AND CAST(admit_time AS DATE) - CAST(prev_out AS DATE) BETWEEN 0 AND 15
        ) TO '{out}/split_admission.parquet' (FORMAT parquet)
    """,
    "over_standard_price": """
        COPY (
          SELECT v.provider_id, l.item_code, count(*) AS lines,
                 sum((l.unit_price - c.price_cap) * l.quantity) AS amount
          FROM live l JOIN catalog c USING (item_code) JOIN visits v USING (visit_id)
          WHERE l.unit_price > c.price_cap GROUP BY ALL
        ) TO '{out}/over_standard_price.parquet' (FORMAT parquet)
    """,
    "impersonation.1 after death": """
        COPY (
          SELECT v.patient_id, count(DISTINCT v.visit_id) AS visits, sum(l.amount) AS amount
          FROM visits v JOIN patients p USING (patient_id) JOIN live l USING (visit_id)
          WHERE p.death_date IS NOT NULL AND CAST(coalesce(v.admit_time, v.settle_time) AS DATE) > p.death_date
          GROUP BY ALL
        ) TO '{out}/impersonation_after_death.parquet' (FORMAT parquet)
    """,
    "impersonation.3 simultaneous": """
        COPY (
          WITH s AS (
            SELECT patient_id, provider_id, visit_id, settle_time, coalesce(admit_time, settle_time) AS start,
                   lag(provider_id) OVER w AS prev_provider, lag(settle_time) OVER w AS prev_settle
            FROM visits WHERE visit_type <> 'inpatient'
            WINDOW w AS (PARTITION BY patient_id ORDER BY coalesce(admit_time, settle_time), visit_id))
          SELECT patient_id, visit_id, provider_id FROM s
          WHERE prev_provider <> provider_id AND start >= prev_settle AND start - prev_settle < INTERVAL 10 MINUTE
        ) TO '{out}/impersonation_simultaneous.parquet' (FORMAT parquet)
    """,
    "item_swap.1 inventory": """
        COPY (
          WITH billed AS (
            SELECT v.provider_id, l.item_code, strftime(l.charge_time, '%Y-%m') AS month,
                   sum(l.quantity) AS qty, sum(l.amount) / sum(l.quantity) AS price
            FROM live l JOIN visits v USING (visit_id) GROUP BY ALL)
          SELECT b.provider_id, b.item_code, b.qty - (p.opening_qty + p.purchased_qty) AS excess,
                 (b.qty - (p.opening_qty + p.purchased_qty)) * b.price AS amount
          FROM billed b JOIN purchases p USING (provider_id, item_code, month)
          WHERE b.qty > (p.opening_qty + p.purchased_qty) * 1.02 + 1
        ) TO '{out}/item_swap_inventory.parquet' (FORMAT parquet)
    """,
}

# fundguard's other rules are not here: restricted items (the rule base's 限定 texts parsed into
# conditions), peer outliers (robust z within peer groups), trace codes, upcoding, cost shifting and
# the rest are expressible in SQL only by rewriting the engine's logic at length; they are in
# fundguard's time and not in DuckDB's, which favours DuckDB.

# What the rules read: the floor reads exactly these columns.
NEEDED = {
    "visits": ["visit_id", "patient_id", "provider_id", "visit_type", "admit_time",
               "discharge_time", "settle_time", "main_diag_code", "fund_paid", "is_refund"],
    "line_items": ["line_id", "visit_id", "item_code", "charge_category", "charge_time",
                   "quantity", "unit_price", "amount"],
    "catalog": ["item_code", "price_cap", "max_per_day"],
    "patients": ["patient_id", "death_date"],
    "purchases": ["provider_id", "item_code", "month", "opening_qty", "purchased_qty"],
}


def timed(f):
    t = time.perf_counter()
    r = f()
    return time.perf_counter() - t, r


def run_fundguard(args, out):
    cmd = ["/usr/bin/time", "-v", args.fundguard, "run", "--threads", str(args.threads),
           "--input", args.dump, "--out", out]
    if args.rulebase:
        cmd += ["--rulebase", args.rulebase]
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if p.returncode != 0:
        sys.exit(f"fundguard failed:\n{p.stderr}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    return wall, int(rss.group(1)) * 1024 if rss else None


def duckdb_rules(args, out):
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    for t in ["visits", "line_items", "catalog", "patients", "purchases"]:
        con.execute(f"CREATE VIEW {t} AS SELECT * FROM '{args.dump}/{t}.parquet'")
    rb = args.rulebase
    con.execute(f"CREATE TABLE pairs AS SELECT * FROM read_csv('{rb}/b7_item_duplicate_pairs.csv', all_varchar=true)")
    con.execute(f"CREATE TABLE freq AS SELECT * FROM read_csv('{rb}/b8_item_frequency.csv', all_varchar=true) WHERE 项目编码 IS NOT NULL AND 限制数量 IS NOT NULL")
    times = {}
    for name, sql in RULES.items():
        times[name], _ = timed(lambda: con.execute(sql.format(out=out)))
    return times


def floors(args):
    def duck():
        con = duckdb.connect()
        con.execute(f"SET threads = {args.threads}")
        # Materialised, so every value is decoded (count() alone is answered from the footers).
        for t, cols in NEEDED.items():
            con.execute(f"CREATE TEMP TABLE floor_{t} AS SELECT {', '.join(cols)} FROM '{args.dump}/{t}.parquet'")

    def arrow():
        os.environ["ARROW_NUM_THREADS"] = str(args.threads)
        for t, cols in NEEDED.items():
            pq.read_table(f"{args.dump}/{t}.parquet", columns=cols, use_threads=args.threads > 1)

    return timed(duck)[0], timed(arrow)[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--fundguard", required=True)
    ap.add_argument("--rulebase", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--out", default="/tmp/fundguard-compare")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(f"{args.out}/duckdb")
    lines = pq.ParquetFile(f"{args.dump}/line_items.parquet").metadata.num_rows

    fg, rss = run_fundguard(args, f"{args.out}/fundguard")
    dd_each = duckdb_rules(args, f"{args.out}/duckdb")
    dd = sum(dd_each.values())
    floor_duck, floor_arrow = floors(args)
    floor = min(floor_duck, floor_arrow)

    print(f"dump: {args.dump} ({lines:,} line items), threads: {args.threads}")
    print(f"(a) fundguard run, end to end        {fg:8.2f} s  {lines / fg:14,.0f} line items/s  peak RSS {rss / 2**30:.2f} GiB")
    print(f"(b) DuckDB, core rules only           {dd:8.2f} s  {lines / dd:14,.0f} line items/s")
    for k, v in dd_each.items():
        print(f"      {k:<34} {v:7.2f} s")
    print(f"(c) floor: DuckDB reading the columns {floor_duck:8.2f} s; pyarrow {floor_arrow:.2f} s")
    print(f"fundguard / DuckDB rules = {fg / dd:.2f}   fundguard / floor = {fg / floor:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"lines": lines, "threads": args.threads, "fundguard_s": fg,
                       "fundguard_peak_rss": rss, "duckdb_rules_s": dd, "duckdb_each_s": dd_each,
                       "floor_duckdb_s": floor_duck, "floor_pyarrow_s": floor_arrow}, f, indent=2)


if __name__ == "__main__":
    main()
