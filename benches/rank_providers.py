#!/usr/bin/env python3
# Injected providers among the top k providers: ranked by fundguard's provider leads, and by the
# money they billed. Needs duckdb (pip install duckdb).
#   python3 benches/rank_providers.py RUN_DIR MONTH_DIR   (MONTH_DIR from `fundguard synth`)
import sys, duckdb
run, truth = sys.argv[1], sys.argv[2]
con = duckdb.connect()
bad = {r[0] for r in con.sql(f"select distinct provider_id from '{truth}/labels.parquet' where provider_id is not null").fetchall()}
caseprov = {r[0] for r in con.sql(f"select distinct subject_id from '{truth}/labels.parquet' where subject_type='provider'").fetchall()}
leads = [r[0] for r in con.sql(f"select subject_id from '{run}/leads.parquet' where subject_type='provider' order by rank").fetchall()]
money = [r[0] for r in con.sql(f"select provider_id from '{truth}/visits.parquet' group by 1 order by sum(total_amount) desc, 1").fetchall()]
nprov = len(money)
print(f"providers {nprov}; with any injected case {len(bad)}; provider-level cases {len(caseprov)}")
for k in (10, 20, 50, 100):
    print(k, "leads:", sum(p in bad for p in leads[:k]), sum(p in caseprov for p in leads[:k]),
          " money:", sum(p in bad for p in money[:k]), sum(p in caseprov for p in money[:k]))
