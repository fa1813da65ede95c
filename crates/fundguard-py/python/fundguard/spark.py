"""fundguard on Spark: a month too large for one machine, judged partition by partition.

:func:`run` reads a dump of the contract's Parquet tables (a directory on the local disk, HDFS
or S3: whatever Spark and pyarrow read), cuts it as ``fundguard run --partitions`` does (by
patient, by provider, by the groups of drug trace codes and the visits that scan them), gathers
the month's peer statistics from the provider and trace-code partitions, judges every partition
in a Python worker with the engine (``applyInArrow``), and writes the outputs of
``fundguard run`` on the driver: hits.parquet and leads.parquet byte-identical to a run of the
same month on one machine. docs/distributed.md says how to run it on a cluster::

    from pyspark.sql import SparkSession
    import fundguard.spark

    spark = SparkSession.builder.appName("fundguard").getOrCreate()
    r = fundguard.spark.run(spark, "hdfs:///claims/2026-11", out="run-2026-11",
                            rulebase="nhsa-rules/", parts=64)
    r.leads.sort_by("rank").slice(0, 10)

Every row crosses the cluster once per partition set, as Arrow IPC in its source types; the
engine in each worker reads its partition from a local temporary directory. What a partition
needs of the month (peer groups, stay costs, item prices, the month's period) is collected first
and broadcast.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from . import TABLES, FundguardError, PathLike, Result, _fundguard, _result, _text

__all__ = ["run", "SETS"]

#: The partition sets, in the order the engine merges them.
SETS = ("patient", "provider", "trace_code")

_log = logging.getLogger("fundguard.spark")

_PACKED = "part int, tbl string, payload binary"
_JUDGED = "part int, payload binary"


def _open(dump: str) -> Tuple[pafs.FileSystem, str]:
    """The filesystem of a dump path or URI and the path in it."""
    if "://" in dump:
        return pafs.FileSystem.from_uri(dump)
    return pafs.LocalFileSystem(), os.path.abspath(dump)


def _uri(fs: pafs.FileSystem, path: str, dump: str) -> str:
    """A path of ``fs`` as Spark reads it."""
    if isinstance(fs, pafs.LocalFileSystem):
        return Path(path).as_uri()
    u = urlparse(dump)
    scheme, netloc = u.scheme, u.netloc
    return f"{scheme}://{netloc}/{path.lstrip('/')}" if netloc else f"{scheme}://{path}"


def _locate(fs: pafs.FileSystem, root: str) -> Dict[str, List[str]]:
    """The files of each table, as the engine finds them: ``<table>.parquet`` or a folder
    ``<table>/`` of Parquet files, names compared without case, files in name order."""
    entries = fs.get_file_info(pafs.FileSelector(root))
    found: Dict[str, List[str]] = {}
    for table in TABLES:
        candidates = sorted(
            e.path
            for e in entries
            if e.base_name.split(".")[0].lower() == table
            and (e.type == pafs.FileType.Directory or e.base_name.lower().endswith((".parquet", ".csv")))
        )
        if len(candidates) > 1:
            raise FundguardError(f"{root}: several files for the table {table}: {', '.join(candidates)}", 3)
        if not candidates:
            continue
        (c,) = candidates
        if fs.get_file_info(c).type == pafs.FileType.Directory:
            files = sorted(
                e.path
                for e in fs.get_file_info(pafs.FileSelector(c))
                if e.type == pafs.FileType.File and e.base_name.lower().endswith((".parquet", ".csv"))
            )
        else:
            files = [c]
        text = [f for f in files if not f.lower().endswith(".parquet")]
        if text:
            raise FundguardError(
                f"{text[0]}: a distributed run reads the contract's tables as Parquet; convert this dump with `fundguard import` first",
                3,
            )
        if files:
            found[table] = files
    if "visits" not in found:
        raise FundguardError(
            f"{root}: no visits table (visits.parquet or visits/) to partition: a distributed run reads the contract's tables as Parquet",
            3,
        )
    return found


def _sha256(fs: pafs.FileSystem, path: str) -> str:
    h = hashlib.sha256()
    with fs.open_input_stream(path) as f:
        while True:
            block = f.read(1 << 20)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


def _with_origin(schema: pa.Schema) -> pa.Schema:
    """A table's schema with the columns that name each row's source file and row."""
    return schema.append(pa.field("_fg_file", pa.uint32(), False)).append(pa.field("_fg_row", pa.uint64(), False))


def _pack(table: str, schema: pa.Schema) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """Rows with their partition (``_fg_part``) → one Arrow IPC message per partition and batch,
    in the table's source types (Spark's own types do not reach the engine)."""
    target = _with_origin(schema)

    def pack(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.num_rows == 0:
                continue
            t = pa.Table.from_batches([batch])
            part = t.column("_fg_part")
            rows = t.select(target.names).cast(target)
            parts, payloads = [], []
            for k in pc.unique(part).to_pylist():
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, target) as w:
                    w.write_table(rows.filter(pc.equal(part, k)))
                parts.append(k)
                payloads.append(sink.getvalue().to_pybytes())
            yield pa.RecordBatch.from_pydict(
                {"part": pa.array(parts, pa.int32()), "tbl": pa.array([table] * len(parts)), "payload": pa.array(payloads, pa.binary())}
            )

    return pack


def _materialise(group: pa.Table, into: Path, schemas: Dict[str, pa.Schema], only: Optional[Sequence[str]]) -> None:
    """Writes a partition's rows as the engine reads a partition: ``<table>/<source>.parquet`` in
    source order, ``<table>/empty.parquet`` for a table of the month without rows here."""
    pieces: Dict[str, List[pa.Table]] = {}
    # The messages are read where they are (the scalars' buffers), not copied into Python bytes.
    for tbl, payload in zip(group.column("tbl").to_pylist(), group.column("payload")):
        pieces.setdefault(tbl, []).append(pa.ipc.open_stream(payload.as_buffer()).read_all())
    for name, schema in schemas.items():
        if only is not None and name not in only:
            continue
        d = into / name
        d.mkdir(parents=True)
        if name not in pieces:
            pq.write_table(_with_origin(schema).empty_table(), d / "empty.parquet")
            continue
        t = pa.concat_tables(pieces[name]).sort_by([("_fg_file", "ascending"), ("_fg_row", "ascending")])
        files = t.column("_fg_file")
        for src in pc.unique(files).to_pylist():
            pq.write_table(t.filter(pc.equal(files, src)), d / f"{src:05d}.parquet", compression="snappy")


def _span(names: Sequence[str], schema: pa.Schema) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The least and greatest time (seconds) of the columns ``names``, per batch, as the
    partitioner finds them: timestamp columns only (others give no hint)."""
    fields = [schema.field(n) for n in names if pa.types.is_timestamp(schema.field(n).type)]

    def span(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        lo = hi = None
        for batch in batches:
            t = pa.Table.from_batches([batch])
            for f in fields:
                c = pc.cast(t.column(f.name).cast(f.type), pa.timestamp("s", f.type.tz), safe=False)
                mm = pc.min_max(c.cast(pa.int64()))
                if mm["min"].is_valid:
                    lo = mm["min"].as_py() if lo is None else min(lo, mm["min"].as_py())
                    hi = mm["max"].as_py() if hi is None else max(hi, mm["max"].as_py())
        yield pa.RecordBatch.from_pydict({"lo": pa.array([lo], pa.int64()), "hi": pa.array([hi], pa.int64())})

    return span


def _period(frames: Dict[str, Any], schemas: Dict[str, pa.Schema]) -> Optional[Tuple[int, int]]:
    """The month's period as the partitioner finds it (the earliest settlement or charge, the
    latest admission, discharge or charge, rejected rows included): a hint the collecting passes
    check against what the partitions accept."""
    from pyspark.sql import functions as F

    lo = hi = None
    for table, starts, ends in (("visits", ["settle_time"], ["admit_time", "discharge_time"]),
                                ("line_items", ["charge_time"], ["charge_time"])):
        if table not in frames:
            continue
        for names, pick in ((starts, "lo"), (ends, "hi")):
            names = [n for n in names if n in schemas[table].names]
            if not names:
                continue
            rows = frames[table].select(*names).mapInArrow(_span(names, schemas[table]), "lo long, hi long")
            got = rows.agg(F.min("lo").alias("lo"), F.max("hi").alias("hi")).collect()[0]
            if got[pick] is None:
                continue
            if pick == "lo":
                lo = got["lo"] if lo is None else min(lo, got["lo"])
            else:
                hi = got["hi"] if hi is None else max(hi, got["hi"])
    return (lo, hi) if lo is not None and hi is not None else None


def _shipped(spark: Any, path: Optional[PathLike]) -> Optional[str]:
    """Ships a local file or folder to every worker; the name a worker finds it by."""
    if path is None:
        return None
    p = Path(path)
    if not p.exists():
        raise FundguardError(f"{p}: no such file or folder", 5)
    try:
        spark.sparkContext.addFile(str(p.resolve()), recursive=p.is_dir())
    except Exception as e:  # the same path added before in this session
        if "already" not in str(e):
            raise
    return p.name


def _local(name: Optional[str]) -> Optional[str]:
    from pyspark import SparkFiles

    return None if name is None else SparkFiles.get(name)


def run(
    spark: Any,
    dump: PathLike,
    out: PathLike,
    *,
    parts: Optional[int] = None,
    config: Optional[PathLike] = None,
    rulebase: Optional[PathLike] = None,
    feedback: Optional[PathLike] = None,
    baseline: Optional[PathLike] = None,
    pseudonymize: Optional[PathLike] = None,
    null_values: Sequence[str] = (),
    keep_going: bool = False,
) -> Result:
    """Runs fundguard on a month with Spark.

    Args:
        spark: the SparkSession (Spark 4, with pyarrow and this package on every worker).
        dump: the dump: a directory of the contract's Parquet tables (``visits.parquet`` or
            ``visits/*.parquet`` …), a local path or a URI Spark and pyarrow read (``hdfs://``,
            ``s3://``).
        out: the run directory to write, on the driver's disk.
        parts: partitions per set (any number from 1: Spark places the rows, so the single
            machine's limit of 64 does not apply); default: the session's
            ``spark.sql.shuffle.partitions``, at most 64. docs/distributed.md says how to size them.
        config, rulebase, pseudonymize: local files on the driver, shipped to the workers.
        feedback, baseline, null_values, keep_going: as ``fundguard run``.

    Returns:
        A :class:`fundguard.Result`, as :func:`fundguard.run` returns it.

    Raises:
        FundguardError: with the command line's exit code (3 input, 4 output, 5 configuration,
            6 a rule).
    """
    from pyspark.sql import functions as F

    t0 = time.monotonic()
    dump = str(dump)
    if parts is None:
        parts = min(int(spark.conf.get("spark.sql.shuffle.partitions")), 64)
    parts = int(parts)
    if parts < 1:
        raise FundguardError(f"parts: {parts}; a run has at least one partition per set", 5)
    fs, root = _open(dump)
    files = _locate(fs, root)
    schemas: Dict[str, pa.Schema] = {}
    for table, paths in files.items():
        schema = pq.read_schema(paths[0], filesystem=fs)
        for other in paths[1:]:
            if pq.read_schema(other, filesystem=fs).names != schema.names:
                raise FundguardError(f"{other}: not the columns of {paths[0]}: the files of a table share one schema in a distributed run", 3)
        schemas[table] = schema
    # Sources by their index in _fg_file, as the engine names them.
    sources: List[str] = []
    frames: Dict[str, Any] = {}
    local = isinstance(fs, pafs.LocalFileSystem)
    for table, paths in files.items():
        pieces = []
        for path in paths:
            index = len(sources)
            sources.append(path if local else _uri(fs, path, dump))
            df = spark.read.parquet(_uri(fs, path, dump))
            pieces.append(
                df.select(
                    *[F.col(f"`{c}`") for c in schemas[table].names],
                    F.lit(index).alias("_fg_file"),
                    (F.col("_metadata.row_index") + 1).alias("_fg_row"),
                )
            )
        frame = pieces[0]
        for p in pieces[1:]:
            frame = frame.unionByName(p)
        frames[table] = frame

    def text(c: str) -> Any:
        return F.col(c).cast("string")

    def bucket(col: Any) -> Any:
        return F.pmod(F.xxhash64(F.coalesce(col, F.lit(""))), F.lit(parts)).cast("int")

    # Where each visit goes: by the patient and the provider of its first row (a visit id met
    # again goes with the row it repeats, to be rejected beside it).
    visits = frames["visits"]
    first = (
        visits.where(text("visit_id").isNotNull())
        .select(
            text("visit_id").alias("_vid"),
            F.struct("_fg_file", "_fg_row").alias("_at"),
            F.struct(text("patient_id").alias("p"), text("provider_id").alias("v")).alias("_who"),
        )
        .groupBy("_vid")
        .agg(F.min_by("_who", "_at").alias("_who"))
    )
    place = first.select("_vid", bucket(F.col("_who.p")).alias("_pp"), bucket(F.col("_who.v")).alias("_pv")).cache()

    # Scans: codes and visits joined into groups (the connected components of scans), each
    # group in one trace-code partition by its least code.
    code_part = None
    visit_trace = None
    if "drug_traces" in frames:
        scans = frames["drug_traces"]
        edges = scans.select(
            F.coalesce(text("trace_code"), F.lit("")).alias("_c"), F.coalesce(text("visit_id"), F.lit("")).alias("_v")
        ).distinct().localCheckpoint()
        label = edges.groupBy("_v").agg(F.min("_c").alias("_l")).localCheckpoint()
        while True:
            codes = edges.join(label, "_v").groupBy("_c").agg(F.min("_l").alias("_l"))
            again = edges.join(codes, "_c").groupBy("_v").agg(F.min("_l").alias("_l")).localCheckpoint()
            moved = again.join(label.withColumnRenamed("_l", "_o"), "_v").where("_l != _o").limit(1).count()
            label = again
            if not moved:
                break
        code_part = (
            edges.join(label, "_v").groupBy("_c").agg(F.min("_l").alias("_l")).select("_c", bucket(F.col("_l")).alias("_tb")).cache()
        )
        visit_trace = (
            scans.select(text("visit_id").alias("_vid"), F.coalesce(text("trace_code"), F.lit("")).alias("_c"))
            .join(place.select("_vid"), "_vid")
            .join(code_part, "_c")
            .select("_vid", "_tb")
            .distinct()
            .cache()
        )

    def by_visit(df: Any) -> Any:
        return df.withColumn("_vid", text("visit_id")).join(place, "_vid", "left")

    # Each set's rows of each table, with their partition.
    routed: Dict[str, Dict[str, Any]] = {s: {} for s in SETS}
    v = by_visit(visits)
    routed["patient"]["visits"] = v.withColumn("_fg_part", F.coalesce("_pp", F.lit(0)))
    routed["provider"]["visits"] = v.withColumn("_fg_part", F.coalesce("_pv", F.lit(0)))
    if visit_trace is not None:
        routed["trace_code"]["visits"] = v.join(visit_trace, "_vid").withColumn("_fg_part", F.col("_tb"))
    for table in ("line_items", "settlement_diagnoses", "drug_traces"):
        if table not in frames:
            continue
        d = by_visit(frames[table])
        routed["patient"][table] = d.withColumn("_fg_part", F.coalesce("_pp", F.lit(0)))
        routed["provider"][table] = d.where(F.col("_pv").isNotNull()).withColumn("_fg_part", F.col("_pv"))
        if table == "line_items" and visit_trace is not None:
            routed["trace_code"][table] = d.join(visit_trace, "_vid").withColumn("_fg_part", F.col("_tb"))
        if table == "drug_traces":
            routed["trace_code"][table] = (
                d.where(F.col("_pp").isNotNull())
                .withColumn("_c", F.coalesce(text("trace_code"), F.lit("")))
                .join(code_part, "_c")
                .withColumn("_fg_part", F.col("_tb"))
            )
    if "patients" in frames:
        pat = frames["patients"].withColumn("_pid", F.coalesce(text("patient_id"), F.lit("")))
        routed["patient"]["patients"] = pat.withColumn("_fg_part", bucket(text("patient_id")))
        seen = v.where(text("patient_id").isNotNull()).select(
            text("patient_id").alias("_pid"), F.coalesce("_pv", F.lit(0)).alias("_fg_part"), "_vid"
        )
        routed["provider"]["patients"] = pat.join(seen.select("_pid", "_fg_part").distinct(), "_pid")
        if visit_trace is not None:
            traced = seen.join(visit_trace, "_vid").select("_pid", F.col("_tb").alias("_fg_part")).distinct()
            routed["trace_code"]["patients"] = pat.join(traced, "_pid")
    if "purchases" in frames:
        routed["provider"]["purchases"] = frames["purchases"].withColumn("_fg_part", bucket(text("provider_id")))
    if "drug_stock" in frames:
        stock = frames["drug_stock"].withColumn("_c", F.coalesce(text("trace_code"), F.lit("")))
        if code_part is not None:
            stock = stock.join(code_part, "_c", "left")
        else:
            stock = stock.withColumn("_tb", F.lit(None).cast("int"))
        routed["trace_code"]["drug_stock"] = stock.withColumn("_fg_part", F.coalesce("_tb", bucket(F.col("_c"))))
        routed["provider"]["drug_stock"] = frames["drug_stock"].withColumn("_fg_part", bucket(text("provider_id")))
    every = spark.range(parts).select(F.col("id").cast("int").alias("_fg_part"))
    for table in ("providers", "catalog"):
        if table in frames:
            for s in SETS:
                routed[s][table] = frames[table].crossJoin(every)

    doctors_in_several = (
        v.where(text("doctor_id").isNotNull() & (text("doctor_id") != ""))
        .groupBy(text("doctor_id"))
        .agg(F.countDistinct(F.coalesce("_pv", F.lit(0))).alias("_n"))
        .where("_n > 1")
        .count()
    )

    packed: Dict[str, Any] = {}
    for s in SETS:
        frame = None
        for table, df in routed[s].items():
            schema = schemas[table]
            p = df.select("_fg_part", *[F.col(f"`{c}`") for c in schema.names], "_fg_file", "_fg_row").mapInArrow(
                _pack(table, schema), _PACKED
            )
            frame = p if frame is None else frame.unionByName(p)
        # Not cached: a cached block of packed rows is a whole input split's worth of messages,
        # read back in one piece by the JVM (out of heap on a 200k month with 4 GiB); each pass
        # reads and packs its set again from the sources instead.
        packed[s] = frame
    partition_ms = int((time.monotonic() - t0) * 1000)

    shipped_config = _shipped(spark, config)
    shipped_rulebase = _shipped(spark, rulebase)
    shipped_key = _shipped(spark, pseudonymize)
    nulls = list(null_values)

    def each(s: str, only: Optional[Sequence[str]], work: Callable[[Path, int], bytes]) -> List[Tuple[int, bytes]]:
        frame = packed[s]
        if frame is None:
            return []
        if only is not None:
            frame = frame.where(F.col("tbl").isin(list(only)))

        def apply(key: Tuple[Any, ...], group: pa.Table) -> pa.Table:
            k = int(key[0].as_py() if hasattr(key[0], "as_py") else key[0])
            d = Path(tempfile.mkdtemp(prefix=f"fundguard-{s}-{k:02d}-"))
            try:
                _materialise(group, d, schemas, only)
                return pa.table({"part": pa.array([k], pa.int32()), "payload": pa.array([work(d, k)], pa.binary())})
            finally:
                shutil.rmtree(d, ignore_errors=True)

        rows = frame.groupBy("part").applyInArrow(apply, _JUDGED).collect()
        return sorted((r["part"], bytes(r["payload"])) for r in rows)

    # The month's values: the collecting passes over the provider and trace-code partitions.
    t = time.monotonic()
    rounds = _fundguard.Rounds(_period(frames, schemas))
    statistics = _fundguard.statistics_tables()
    while True:
        round_, sets, period, previous = rounds.next_pass()
        _log.info("collecting the month's values: pass %d over the %s partitions (period %s)", round_, " and ".join(sets), period)
        shared = spark.sparkContext.broadcast(bytes(previous))
        values = []
        for s in sets:

            def collect(d: Path, k: int, s: str = s, round_: int = round_, period: Any = period) -> bytes:
                return _fundguard.collect_part(
                    str(d), s, round_, period, shared.value,
                    config=_local(shipped_config), rulebase=_local(shipped_rulebase), null_values=nulls,
                )

            only = statistics if (round_ == 1 and s == "provider") else None
            values += [(s, payload) for _, payload in each(s, only, collect)]
        month = rounds.done(values)
        shared.unpersist()
        if month is not None:
            break
    collect_ms = int((time.monotonic() - t) * 1000)

    # Every partition judged with the month's values.
    t = time.monotonic()
    month_shared = spark.sparkContext.broadcast(bytes(month))
    judged: List[bytes] = []
    for s in SETS:
        _log.info("judging the %s partitions", s)

        def judge(d: Path, k: int, s: str = s) -> bytes:
            return _fundguard.judge_part(
                str(d), s, k, month_shared.value, sources,
                config=_local(shipped_config), rulebase=_local(shipped_rulebase),
                null_values=nulls, pseudonymize=_local(shipped_key),
            )

        judged += [payload for _, payload in each(s, None, judge)]
    month_shared.unpersist()
    place.unpersist()

    judge_ms = int((time.monotonic() - t) * 1000)
    checksums = [(src, _sha256(fs, path)) for src, path in zip(sources, [p for ps in files.values() for p in ps])]
    manifest = _fundguard.finish_run(
        dump, str(out), judged, checksums, parts, f"spark:{spark.sparkContext.applicationId}", doctors_in_several,
        [("partition", partition_ms), ("collect", collect_ms), ("judge", judge_ms)],
        config=_text(config),
        rulebase=_text(rulebase),
        feedback=_text(feedback),
        baseline=_text(baseline),
        null_values=nulls,
        pseudonymize=_text(pseudonymize),
        keep_going=keep_going,
    )
    return _result(Path(out), manifest)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m fundguard.spark`` (or ``spark-submit docs/examples/spark_job.py``): a month on
    the cluster the Spark configuration names; prints the top leads."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m fundguard.spark", description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="the dump: a directory of the contract's Parquet tables (path or URI)")
    p.add_argument("--out", required=True, help="the run directory to write (on the driver)")
    p.add_argument("--parts", type=int, help="partitions per set (default: spark.sql.shuffle.partitions)")
    p.add_argument("--config", help="a TOML configuration, as fundguard run --config")
    p.add_argument("--rulebase", help="the national rule-base directory")
    p.add_argument("--feedback", help="inspectors' verdicts on earlier leads (CSV)")
    p.add_argument("--baseline", help="an earlier run directory")
    p.add_argument("--pseudonymize", metavar="KEYFILE", help="patient ids in the outputs become keyed hashes")
    p.add_argument("--null-values", default="", help="extra spellings of a missing value, comma-separated")
    p.add_argument("--keep-going", action="store_true", help="commit the outputs even when a rule failed")
    p.add_argument("--master", help="Spark master when not started by spark-submit (local[2], yarn …)")
    a = p.parse_args(argv)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("fundguard")
    if a.master:
        builder = builder.master(a.master)
    spark = builder.getOrCreate()
    try:
        r = run(
            spark, a.input, a.out, parts=a.parts, config=a.config, rulebase=a.rulebase, feedback=a.feedback,
            baseline=a.baseline, pseudonymize=a.pseudonymize,
            null_values=[v for v in a.null_values.split(",") if v], keep_going=a.keep_going,
        )
    except FundguardError as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return int(e.args[1])
    finally:
        spark.stop()
    m = r.account
    print(f"{m['hits']} hits, {m['leads']['leads']} leads in {a.out} ({m['partitions']['parts']} partitions per set, {m['partitions']['dir']})")
    for lead in r.leads.sort_by("rank").slice(0, 10).to_pylist():
        print(f"{lead['rank']:>4}  {lead['lead_id']}  {lead['score']:>7.3f}  {lead['headline']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
