#!/usr/bin/env bash
# Regenerates the measured curves beside the tuned defaults in docs/rules.md:
# a 1,000,000-person month at the tuning seed, one `fundguard sweep` per tuned parameter into
# docs/curves/<rule>.<param>.md, then docs/rules.md from the registry (which includes them).
#
#   benches/curves.sh            # seed 2026 (the tuning seed)
#   SEED=7 benches/curves.sh     # the same sweeps at another seed, into docs/curves/seed-7/
#   MONTH=/tmp/m benches/curves.sh   # reuse a month generated with the same settings
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fundguard/target}"
SEED="${SEED:-2026}"
PATIENTS="${PATIENTS:-1000000}"
cargo build --release -q --workspace --all-targets
BIN="$CARGO_TARGET_DIR/release/fundguard"
# MONTH=dir reuses a month generated with these settings.
if [ -n "${MONTH:-}" ]; then
  WORK="$(mktemp -d)"; ln -s "$MONTH" "$WORK/month"
else
  WORK="$(mktemp -d)"
  "$BIN" synth --out "$WORK/month" --patients "$PATIENTS" --seed "$SEED" >/dev/null
fi
trap 'rm -rf "$WORK"' EXIT
OUT=docs/curves
if [ "$SEED" != 2026 ]; then OUT="docs/curves/seed-$SEED"; fi
mkdir -p "$OUT"

sweep() { # rule param values
  "$BIN" sweep --input "$WORK/month" --rulebase ../shared/data/nhsa-rules \
    --rule "$1" --param "$2" --values "$3" --label "a $(python3 -c "print(f'{$PATIENTS:,}')")-person month, seed $SEED" \
    > "$OUT/$1.$2.md"
  echo "$OUT/$1.$2.md"
}

sweep card_pooling.burst min_cards 6,7,8,9,10,12
sweep card_pooling.burst max_median_gap_seconds 35,40,45,50,60
sweep card_pooling.burst large_cards 11,12,13,14,16,20
sweep card_pooling.ring min_days 2,3,4,5,6
sweep card_pooling.identical_baskets max_p 1e-2,1e-3,1e-4,1e-6,1e-8,1e-10
sweep card_pooling.off_hours night_open_share 0.1,0.3,0.5,0.7,0.9
sweep card_pooling.two_places other_region_minutes 15,30,45,60,90,120
sweep bed_hanging.hollow_days min_share 0.2,0.25,0.3,0.35,0.4,0.5,0.6
sweep bed_hanging.group_admission max_p 1e-3,1e-4,2e-5,1e-6,1e-8
sweep phantom_service.doctor_volume own_factor 2,3,4,5,6,8
sweep phantom_service.after_discharge grace_days 0,1,2,3,4
sweep admission_standard.low_acuity peers.min_difference 0.03,0.05,0.08,0.1,0.12,0.15,0.2,0.25,0.3
sweep admission_standard.low_acuity max_cost_ratio 0.3,0.45,0.6,0.8,1.0,1.5
sweep admission_standard.waived_copay peers.min_difference 0.03,0.05,0.08,0.1,0.12,0.15,0.2,0.25,0.3
sweep peer_outlier.test_panels peers.min_difference 0.02,0.05,0.1,0.15,0.2,0.3
sweep peer_outlier.visits_per_patient min_difference 0.1,0.25,0.5,0.75,1.0,1.25,1.5
sweep upcoding.complication_share peers.min_difference 0.03,0.05,0.08,0.1,0.12,0.15,0.2,0.25,0.3
sweep phantom_service.cloned_claims peers.min_difference 0.01,0.02,0.03,0.05,0.08,0.1,0.15
sweep phantom_service.cloned_claims min_items 3,4,5,6,8
sweep phantom_service.cloned_claims min_patients 2,3,4,5,8
sweep phantom_service.cloned_claims standard_providers 0,1,2,3,4,5,8
sweep peer_outlier.money_per_patient min_z 2.5,3,3.5,4,5,6,8
sweep split_admission.readmission_share peers.min_difference 0.01,0.02,0.03,0.05,0.08,0.1
sweep split_admission.readmission_share min_rate 0.005,0.01,0.02,0.03,0.05,0.08
sweep item_swap.account_misuse min_cards 1,2,3,4,5,6
sweep upcoding.main_diagnosis peers.min_difference 0.01,0.02,0.03,0.05,0.08,0.1,0.15
sweep upcoding.main_diagnosis marker_share 0.5,0.6,0.7,0.8,0.9,0.95
sweep upcoding.main_diagnosis min_rate 0,0.005,0.01,0.02,0.05,0.1

if [ "$SEED" = 2026 ]; then
  # The reference includes the curves at build time.
  cargo build --release -q --workspace --all-targets
  "$BIN" rules --markdown > docs/rules.md
  echo docs/rules.md
fi
