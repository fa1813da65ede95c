"""fundguard: finds fraud in medical-insurance claims.

The engine of the ``fundguard`` command line as a Python library. :func:`run` reads a dump (a
directory in any layout the command line takes, or Arrow tables held in memory), runs every rule,
scores the leads and writes the same files as ``fundguard run`` (hits.parquet, leads.parquet,
report.html, case dossiers, leads.xlsx, manifest.json), byte for byte; it returns them as Arrow
tables::

    import fundguard
    r = fundguard.run("dump/", rulebase="nhsa-rules/")
    r.leads.sort_by([("rank", "ascending")]).slice(0, 10)
    r.hits.to_pandas()            # or r.to_polars()["hits"]
    r.account["leads"]            # the manifest: rows read, rules, stages, peak memory

The rules run on all cores with Python's lock released.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Union

import pyarrow as pa
import pyarrow.parquet as pq

from . import _fundguard
from ._fundguard import FundguardError

__all__ = ["run", "Result", "FundguardError", "TABLES", "__version__"]

__version__: str = _fundguard.version()

#: The contract's input tables (docs: ../shared/spec/data-contract.md).
TABLES = (
    "visits",
    "line_items",
    "patients",
    "providers",
    "catalog",
    "purchases",
    "drug_traces",
    "drug_stock",
    "settlement_diagnoses",
)

PathLike = Union[str, "os.PathLike[str]"]
Tables = Mapping[str, Union[pa.Table, "Any"]]


@dataclass
class Result:
    """What a run hands back: its output directory and the tables and account in it."""

    #: The run directory: every file ``fundguard run`` writes.
    out: Path
    #: hits.parquet: every rule hit with its evidence (the contract's columns).
    hits: pa.Table
    #: leads.parquet: the ranked leads.
    leads: pa.Table
    #: manifest.json as a dict: ingest account, rules, stages, peak memory.
    account: Dict[str, Any] = field(repr=False)

    def to_polars(self) -> Dict[str, "Any"]:
        """``{"hits": polars.DataFrame, "leads": polars.DataFrame}`` (needs polars)."""
        import polars as pl

        return {"hits": pl.from_arrow(self.hits), "leads": pl.from_arrow(self.leads)}


def _text(path: Optional[PathLike]) -> Optional[str]:
    """A path as the engine takes it, ``None`` kept."""
    return None if path is None else str(path)


def _write_tables(tables: Tables, into: Path) -> None:
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ValueError(f"not tables of the contract: {', '.join(unknown)} (tables: {', '.join(TABLES)})")
    for name, table in tables.items():
        if not isinstance(table, pa.Table):
            # polars and pandas frames, record batches: anything pyarrow can take.
            table = table.to_arrow() if hasattr(table, "to_arrow") else pa.table(table)
        pq.write_table(table, into / f"{name}.parquet")


def run(
    dump: Union[PathLike, Tables],
    config: Optional[PathLike] = None,
    rulebase: Optional[PathLike] = None,
    *,
    out: Optional[PathLike] = None,
    feedback: Optional[PathLike] = None,
    baseline: Optional[PathLike] = None,
    mapping: Optional[PathLike] = None,
    null_values: Sequence[str] = (),
    pseudonymize: Optional[PathLike] = None,
    keep_going: bool = False,
    partitions: Optional[int] = None,
    memory_limit: Optional[int] = None,
    spill_dir: Optional[PathLike] = None,
) -> Result:
    """Runs fundguard on a dump.

    Args:
        dump: a dump directory (contract Parquet or CSV, national extracts, a mapped layout), or
            a mapping of table name (``visits``, ``line_items``, ``patients`` …) to an Arrow
            table (or a polars/pandas frame) in the contract's columns.
        config: a configuration file (TOML), as ``fundguard run --config``.
        rulebase: the national rule-base directory, as ``--rulebase``.
        out: the run directory to write; a temporary one (kept, see ``Result.out``) by default.
        feedback, baseline, mapping, null_values, pseudonymize, keep_going: as the command
            line's options of the same names.
        partitions, memory_limit, spill_dir: an out-of-core run (``--partitions``,
            ``--memory-limit`` in bytes, ``--spill-dir``; docs/outofcore.md): by default the
            month runs out of core when it will not fit in the memory budget.

    Returns:
        A :class:`Result` with ``hits``, ``leads`` (Arrow tables) and ``account`` (the manifest).

    Raises:
        FundguardError: the run failed; ``args`` is (message, exit code of the command line).
    """
    out_dir = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="fundguard-run-"))
    staged: Optional[Path] = None
    if isinstance(dump, (str, os.PathLike)):
        input_dir = Path(dump)
    else:
        staged = Path(tempfile.mkdtemp(prefix="fundguard-dump-"))
        _write_tables(dump, staged)
        input_dir = staged
    try:
        manifest = _fundguard.run(
            str(input_dir),
            str(out_dir),
            config=_text(config),
            rulebase=_text(rulebase),
            feedback=_text(feedback),
            baseline=_text(baseline),
            mapping=_text(mapping),
            null_values=list(null_values),
            pseudonymize=_text(pseudonymize),
            keep_going=keep_going,
            partitions=partitions,
            memory_limit=memory_limit,
            spill_dir=_text(spill_dir),
        )
    finally:
        if staged is not None:
            shutil.rmtree(staged, ignore_errors=True)
    return _result(out_dir, manifest)


def _result(out_dir: Path, manifest: str) -> Result:
    """The Result of a run whose outputs are in ``out_dir``."""
    return Result(
        out=out_dir,
        hits=pq.read_table(out_dir / "hits.parquet"),
        leads=pq.read_table(out_dir / "leads.parquet"),
        account=json.loads(manifest),
    )
