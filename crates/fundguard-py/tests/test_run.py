"""The Python package against the command line: the same dump gives the same bytes of hits and
leads, from a directory, from Arrow tables in memory and out of core; a failed run raises FundguardError with
the command line's exit code.

Run by `.ci/run` after `pip install crates/fundguard-py` into a fresh virtual environment:
    python crates/fundguard-py/tests/test_run.py FUNDGUARD_BINARY RULEBASE_DIR
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq

import fundguard


def main(binary: str, rulebase: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="fundguard-py-test-"))
    dump, cli_run = work / "dump", work / "cli-run"
    subprocess.run([binary, "synth", "--out", str(dump), "--patients", "20000", "--seed", "2026"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([binary, "run", "--input", str(dump), "--out", str(cli_run), "--rulebase", rulebase,
                    "--quiet"], check=True, stdout=subprocess.DEVNULL)

    def same_bytes(a: Path, b: Path) -> None:
        for f in ("hits.parquet", "leads.parquet"):
            assert (a / f).read_bytes() == (b / f).read_bytes(), f"{f} differs: {a} {b}"

    # A dump directory: the same files as the command line's run.
    r = fundguard.run(dump, rulebase=rulebase, out=work / "py-run")
    same_bytes(cli_run, r.out)
    assert r.leads.num_rows > 0 and r.hits.num_rows >= r.leads.num_rows
    assert r.leads.column("lead_id").to_pylist() == pq.read_table(cli_run / "leads.parquet").column("lead_id").to_pylist()
    assert r.account["leads"]["leads"] == r.leads.num_rows
    assert (r.out / "report.html").is_file()

    # The same tables held in memory.
    tables = {p.stem: pq.read_table(p) for p in dump.glob("*.parquet") if p.stem in fundguard.TABLES}
    assert {"visits", "line_items"} <= set(tables)
    m = fundguard.run(tables, rulebase=rulebase, out=work / "py-tables")
    same_bytes(cli_run, m.out)

    # Out of core (the month cut into 2 partitions per set): the same bytes.
    o = fundguard.run(dump, rulebase=rulebase, out=work / "py-outofcore", partitions=2)
    same_bytes(cli_run, o.out)
    assert o.account["partitions"]["parts"] == 2

    # Polars frames, when polars is there.
    try:
        frames = r.to_polars()
        assert frames["leads"].height == r.leads.num_rows
    except ImportError:
        pass

    # The example of docs/examples runs as its docstring says.
    root = Path(__file__).resolve().parents[3]
    example = subprocess.run([sys.executable, str(root / "docs/examples/run_month.py"), str(dump), rulebase],
                             check=True, capture_output=True, text=True).stdout
    assert f"{r.leads.num_rows} leads in" in example and "leads above the referral threshold" in example, example

    # Failures carry the command line's exit code.
    try:
        fundguard.run(work / "no-such-dump", out=work / "failed")
    except fundguard.FundguardError as e:
        message, code = e.args
        assert code == 3 and "no-such-dump" in message, e.args
    else:
        raise AssertionError("a missing dump did not fail")
    try:
        fundguard.run({"visitz": tables["visits"]})
    except ValueError as e:
        assert "visitz" in str(e)
    else:
        raise AssertionError("an unknown table was accepted")
    print(f"fundguard {fundguard.__version__}: Python runs match the command line ({r.leads.num_rows} leads, {r.hits.num_rows} hits)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
