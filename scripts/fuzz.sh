#!/usr/bin/env bash
# Run every cargo-fuzz target for SECONDS each (default 60) and print libFuzzer's execution
# counts: the figures in docs/reliability.md. Each crate has its own fuzz package under fuzz/,
# so a target builds only the crate it fuzzes (the daemon's targets are the only ones that
# build an AWS SDK). New inputs go to a scratch corpus; the seeds in fuzz/corpus are read only.
#
# cargo-fuzz asks for nightly's -Z flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept
# them (the only toolchain this machine has). Installs cargo-fuzz if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-60}"
SCRATCH="${FUZZ_SCRATCH:-$(mktemp -d -t sagescale-fuzz.XXXXXX)}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
export RUSTC_BOOTSTRAP=1
printf '%-16s %-10s %12s %8s\n' target package runs seconds
for t in policy/policy_toml policy/policy_yaml sim/scenario sim/trace sim/quality_values \
         batch/batch_job daemon/state_file daemon/config; do
  pkg="${t%/*}"; target="${t#*/}"
  mkdir -p "$SCRATCH/$target"
  log="$SCRATCH/$target.log"
  cargo fuzz run --fuzz-dir "fuzz/$pkg" --sanitizer none "$target" "$SCRATCH/$target" \
    "fuzz/corpus/$target" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
    >"$log" 2>&1 || { echo "$target failed: see $log"; tail -30 "$log"; exit 1; }
  runs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | awk '{print $2, $5}')
  printf '%-16s %-10s %12s %8s\n' "$target" "$pkg" ${runs:-"? ?"}
done
echo "logs and new corpus entries: $SCRATCH"
