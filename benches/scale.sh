#!/usr/bin/env bash
# How a run grows with the month: the realistic month (seed 2026) at several sizes, each run out
# of core under /usr/bin/time -v, and in memory too where a partition count is given (the month
# fits, so the two runs' hits.parquet and leads.parquet are compared byte for byte). Prints one
# Markdown row per run: the table of docs/outofcore.md.
#
#   benches/scale.sh                                     # 1M (8 partitions, and in memory), 5M
#   SIZES="1000000:8 5000000 25000000" WORK=/big benches/scale.sh
#
# SIZES holds PEOPLE or PEOPLE:PARTITIONS; without partitions the run's own plan decides (from
# the memory budget: FUNDGUARD_MEMORY_LIMIT, else what the machine has available). WORK (default
# a new folder under /tmp) keeps the generated months between calls, so a second call reuses
# them; it needs about 0.4 GB per million people for the month and 1.3 GB per million for the
# partitions at once. A 25,000,000-person month takes about 11 minutes to generate, 15 GiB of
# memory to do so, and 88 minutes to run out of core (19.4 GiB at most).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fundguard/target}"
SIZES="${SIZES:-1000000:8 5000000}"
WORK="${WORK:-$(mktemp -d /tmp/fundguard-scale.XXXXXX)}"
RULEBASE="${RULEBASE:-../shared/data/nhsa-rules}"
cargo build --release -q --workspace --all-targets
BIN="$CARGO_TARGET_DIR/release/fundguard"
mkdir -p "$WORK"

# row LABEL RUN_DIR TIME_LOG: one Markdown row from the run's manifest and /usr/bin/time -v.
row() {
  python3 - "$1" "$2/manifest.json" "$3" <<'EOF'
import json, re, sys
label, manifest, timing = sys.argv[1:]
m = json.load(open(manifest))
t = open(timing).read()
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1)
secs = 0.0
for part in wall.split(":"):
    secs = secs * 60 + float(part)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) * 1024
lines = next(x["read"] for x in m["ingest"]["tables"] if x["table"] == "line_items")
p = m.get("partitions")
kind = f"out of core, {p['parts']} per set" if p else "in memory"
disk = f"{p['peak_bytes'] / 1e9:.2f} GB at once, {p['bytes'] / 1e9:.2f} GB written" if p and p.get("bytes") else ""
def n(x):
    return f"{x:,.1f}" if x < 100 else f"{x:,.0f}"
# The manifest's stages in their order (in memory: ingest, index, rules, output; out of core:
# partition, collect, ingest, rules, output), each named.
st = ", ".join(f"{s['stage']} {n(s['millis'] / 1000)}" for s in m["stages"] if s["stage"] != "total")
print(f"| {label} | {lines:,} | {kind} | {n(secs)} s | {lines / secs:,.0f} | {st} | {rss / 2**30:.2f} GiB | {disk} |")
EOF
}

# measure LABEL MONTH RUN_DIR RUN_OPTIONS…: `fundguard run` under /usr/bin/time -v, and its row.
measure() {
  local label="$1" month="$2" run="$3"
  shift 3
  rm -rf "$run"
  /usr/bin/time -v "$BIN" run --input "$month" --out "$run" --rulebase "$RULEBASE" --quiet "$@" \
    2>"$run.time"
  row "$label" "$run" "$run.time"
}

echo "| month | line items | run | wall | line items/s | stages (s) | peak RSS | partitions on disk |"
echo "|---|---|---|---|---|---|---|---|"
for entry in $SIZES; do
  people="${entry%%:*}"
  parts=""
  [ "$entry" != "$people" ] && parts="${entry#*:}"
  month="$WORK/m$people"
  if [ ! -f "$month/labels.parquet" ]; then
    rm -rf "$month"
    "$BIN" synth --out "$month" --patients "$people" --seed 2026 >/dev/null
  fi
  label="$(python3 -c "print(f'{$people:,} people')")"
  measure "$label" "$month" "$WORK/run$people" ${parts:+--partitions "$parts"}
  if [ -n "$parts" ]; then
    measure "$label" "$month" "$WORK/mem$people" --partitions 0
    for f in hits.parquet leads.parquet; do
      cmp "$WORK/run$people/$f" "$WORK/mem$people/$f" || { echo "$f differs at $people people" >&2; exit 1; }
    done
    echo "|   | hits.parquet and leads.parquet byte-identical in memory and out of core (cmp) | | | | | | |"
  fi
done
echo "(months and runs in $WORK)" >&2
