"""A month from Python: run it, then look at the leads with pyarrow (or polars).

    python docs/examples/run_month.py DUMP_DIR RULEBASE_DIR

docs/python.md describes the package; crates/fundguard-py/tests/test_run.py runs this script.
"""

import sys

import pyarrow.compute as pc

import fundguard


def main(dump: str, rulebase: str) -> None:
    r = fundguard.run(dump, rulebase=rulebase)
    m = r.account
    read = sum(t["read"] for t in m["ingest"]["tables"])
    rejected = sum(t["rejected"] for t in m["ingest"]["tables"])
    print(f"{read} rows read, {rejected} rejected; {m['hits']} hits, {m['leads']['leads']} leads in {r.out}")

    # The ten leads an inspector reads first.
    for lead in r.leads.sort_by("rank").slice(0, 10).to_pylist():
        print(f"{lead['rank']:>4}  {lead['subject_type']:<9} {lead['subject_id']:<22} {lead['amount_at_risk']:>12}  {lead['headline']}")

    # Hits and money per rule family (amounts are decimal yuan in the files, exact; hits of
    # several rules may share lines: the manifest's leads.amount_fen counts each line once).
    by_family = r.hits.group_by("family").aggregate([("rule_id", "count"), ("amount_at_risk", "sum")])
    for row in by_family.sort_by([("amount_at_risk_sum", "descending")]).to_pylist():
        print(f"{row['family']:<22} {row['rule_id_count']:>6} hits  {row['amount_at_risk_sum']:>14} yuan")

    # The same with polars, when it is installed.
    try:
        frames = r.to_polars()
        print(frames["leads"].filter(frames["leads"]["referral"]).height, "leads above the referral threshold")
    except ImportError:
        print(pc.sum(r.leads.column("referral").cast("int64")).as_py(), "leads above the referral threshold")


if __name__ == "__main__":
    main(*sys.argv[1:])
