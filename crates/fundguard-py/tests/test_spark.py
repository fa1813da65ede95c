"""fundguard.spark against the command line: a 200,000-person month, with a visit id given twice
and lines of visits that do not exist in second files of their tables, judged by Spark in local
mode (2 cores, 4 partitions per set) gives the bytes of hits and leads of the run in memory, the
same account (rows read, accepted and rejected; files, rows and checksums), run id and rejects.

Run by `.ci/run` (which installs Java and pyspark) after `pip install crates/fundguard-py`:
    python crates/fundguard-py/tests/test_spark.py FUNDGUARD_BINARY RULEBASE_DIR [PATIENTS]
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

import fundguard
import fundguard.spark


def add_rows(dump: Path, table: str, extra: pa.Table) -> None:
    """``<table>.parquet`` becomes the first file of a folder ``<table>/``; ``extra`` the second."""
    folder = dump / table
    folder.mkdir()
    (dump / f"{table}.parquet").rename(folder / "2026-03-a.parquet")
    pq.write_table(extra, folder / "2026-03-b.parquet")


def with_column(t: pa.Table, name: str, values: list) -> pa.Table:
    i = t.schema.get_field_index(name)
    return t.set_column(i, t.schema.field(i), pa.array(values).cast(t.schema.field(i).type))


def rejects(run: Path) -> list:
    t = pq.read_table(run / "rejects.parquet")
    return sorted(" | ".join("∅" if v is None else str(v) for v in row.values()) for row in t.to_pylist())


def main(binary: str, rulebase: str, patients: str = "200000") -> None:
    work = Path(tempfile.mkdtemp(prefix="fundguard-spark-test-"))
    dump, cli_run, spark_run = work / "dump", work / "cli-run", work / "spark-run"
    subprocess.run([binary, "synth", "--out", str(dump), "--patients", patients, "--seed", "2026"],
                   check=True, stdout=subprocess.DEVNULL)
    visit = pq.read_table(dump / "visits.parquet").slice(0, 1)
    add_rows(dump, "visits", with_column(visit, "patient_id", ["33010000000000000000"]))
    lines = pq.read_table(dump / "line_items.parquet").slice(0, 2)
    lines = with_column(lines, "visit_id", ["NO-SUCH-VISIT", "NO-SUCH-VISIT-2"])
    add_rows(dump, "line_items", with_column(lines, "line_id", ["L-ORPHAN-1", "L-ORPHAN-2"]))
    subprocess.run([binary, "run", "--input", str(dump), "--out", str(cli_run), "--rulebase", rulebase,
                    "--partitions", "0", "--quiet"], check=True, stdout=subprocess.DEVNULL)

    # The workers are this interpreter (with this package); local mode, two cores.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("fundguard-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    started = time.monotonic()
    r = fundguard.spark.run(spark, dump, spark_run, rulebase=rulebase, parts=4)
    took = time.monotonic() - started

    for f in ("hits.parquet", "leads.parquet"):
        assert (cli_run / f).read_bytes() == (spark_run / f).read_bytes(), f"{f} differs: {cli_run} {spark_run}"
    assert r.leads.num_rows > 100 and r.hits.num_rows > 100, (r.leads.num_rows, r.hits.num_rows)
    memory = json.loads((cli_run / "manifest.json").read_text())
    m = r.account
    assert m["partitions"]["parts"] == 4 and m["partitions"]["dir"].startswith("spark:"), m["partitions"]
    assert m["run_id"] == memory["run_id"], (m["run_id"], memory["run_id"])
    assert m["leads"] == memory["leads"], (m["leads"], memory["leads"])
    for a, b in zip(memory["ingest"]["tables"], m["ingest"]["tables"], strict=True):
        for k in ("table", "read", "accepted", "rejected", "present"):
            assert a[k] == b[k], (k, a["table"], a[k], b[k])
        files = lambda t: [(f["path"], f["rows"], f["sha256"]) for f in t["files"]]
        assert files(a) == files(b), (a["table"], files(a), files(b))
    got = rejects(spark_run)
    assert got == rejects(cli_run), (got, rejects(cli_run))
    assert len(got) == 3 and any("visits/2026-03-b.parquet | 1 |" in x for x in got), got

    # A text dump is refused with what to do (exit code 3).
    (work / "csv").mkdir()
    (work / "csv" / "visits.csv").write_text("visit_id\n")
    try:
        fundguard.spark.run(spark, work / "csv", work / "csv-run")
        raise AssertionError("a CSV dump was accepted")
    except fundguard.FundguardError as e:
        assert e.args[1] == 3 and "fundguard import" in e.args[0], e.args
    spark.stop()

    # The job as spark-submit starts it (docs/examples/spark_job.py), on a 20,000-person month,
    # pseudonymised with a key the job ships to its workers.
    small, small_run, key = work / "small", work / "small-cli", work / "key"
    key.write_bytes(b"fundguard spark test key, 32 b.")
    subprocess.run([binary, "synth", "--out", str(small), "--patients", "20000", "--seed", "7"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([binary, "run", "--input", str(small), "--out", str(small_run), "--rulebase", rulebase,
                    "--pseudonymize", str(key), "--quiet"], check=True, stdout=subprocess.DEVNULL)
    root = Path(__file__).resolve().parents[3]
    job = subprocess.run(
        [sys.executable, str(root / "docs/examples/spark_job.py"), "--master", "local[2]", "--input", str(small),
         "--out", str(work / "small-spark"), "--rulebase", rulebase, "--parts", "3", "--pseudonymize", str(key)],
        check=True, capture_output=True, text=True,
    ).stdout
    assert "3 partitions per set" in job, job
    for f in ("hits.parquet", "leads.parquet"):
        assert (small_run / f).read_bytes() == (work / "small-spark" / f).read_bytes(), f"the job's {f} differs"
    patients = set(pq.read_table(small / "patients.parquet").column("patient_id").to_pylist())
    shown = set(pq.read_table(work / "small-spark" / "hits.parquet").column("patient_id").drop_null().to_pylist())
    assert shown and not shown & patients and all(p.startswith("PSN-") for p in shown), sorted(shown)[:3]
    print(f"Spark run matches the command line: {r.hits.num_rows} hits, {r.leads.num_rows} leads, "
          f"{took:.0f} s in local mode")


if __name__ == "__main__":
    main(*sys.argv[1:])
