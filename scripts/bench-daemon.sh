#!/usr/bin/env bash
# The daemon's efficiency benchmark: sagescale run against moto with N targets (default 1000).
#
#   bash scripts/bench-daemon.sh [TARGETS] [CYCLES]
#
# Sets up TARGETS endpoints, scalable targets and metrics in moto (every tenth breaches its
# target), runs the release binary with a 30 s interval for CYCLES cycles, and prints API
# calls per cycle by operation, engine time, daemon CPU per cycle and peak RSS.
# Results go in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS="${1:-1000}"
CYCLES="${2:-6}"

source scripts/moto.sh
cargo build --release --quiet
WORK=$(mktemp -d -t sagescale-bench.XXXXXX)
mkdir "$WORK/policies"
echo "==> setting up $TARGETS endpoints in moto"
"$VENV/bin/python" scripts/bench_daemon_setup.py "$TARGETS" "$WORK/policies/fleet.toml"
cat >"$WORK/sagescale.toml" <<CONF
policy_dir = "policies"
state_file = "state.json"
decision_log = "decisions.jsonl"
interval_seconds = 30
metric_lag_seconds = 0
admin_listen = "127.0.0.1:0"
[aws]
region = "us-east-1"
[aws.endpoints]
cloudwatch = "$MOTO_ENDPOINT_URL"
application_autoscaling = "$MOTO_ENDPOINT_URL"
sagemaker = "$MOTO_ENDPOINT_URL"
[aws.timeouts]
# moto answers a 500-query GetMetricData in seconds, not milliseconds (it scans every
# datapoint per query in Python): give it time rather than measure retries.
attempt_seconds = 120
CONF

echo "==> running sagescale for $CYCLES cycles"
./target/release/sagescale run --config "$WORK/sagescale.toml" 2>"$WORK/daemon.log" &
PID=$!
cpu() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
cycles() { grep -c '"cycle done"' "$WORK/daemon.log" || true; }
until [ "$(cycles)" -ge 1 ]; do sleep 0.2; kill -0 "$PID"; done
CPU1=$(cpu)
until [ "$(cycles)" -ge "$CYCLES" ]; do sleep 0.2; kill -0 "$PID"; done
CPU2=$(cpu)
HWM=$(awk '/VmHWM/ { print $2 }' "/proc/$PID/status")
kill -TERM "$PID"; wait "$PID"
TICK=$(getconf CLK_TCK)

"$VENV/bin/python" - "$WORK/daemon.log" "$CPU1" "$CPU2" "$TICK" "$HWM" "$CYCLES" "$TARGETS" <<'PY'
import json, sys
log, cpu1, cpu2, tick, hwm, cycles, targets = sys.argv[1:]
done = [json.loads(l) for l in open(log) if '"cycle done"' in l]
loaded = [json.loads(l) for l in open(log) if '"policy set loaded"' in l][0]
ops = ["get_metric_data", "list_endpoints", "describe_endpoint", "describe_scalable_targets", "actuations"]
print(f"\ntargets: {targets}; metric queries: {loaded['metric_queries']}; "
      f"GetMetricData calls planned per cycle: {loaded['get_metric_data_calls_per_cycle']}")
print("\n| cycle | " + " | ".join(ops) + " | engine ms | cycle ms |")
print("|---" * (len(ops) + 3) + "|")
for i, c in enumerate(done, 1):
    print(f"| {i} | " + " | ".join(str(c[o]) for o in ops) + f" | {c['engine_us']/1000:.2f} | {c['cycle_ms']} |")
steady = done[1:]
cpu = (int(cpu2) - int(cpu1)) / int(tick) / max(1, len(steady))
print(f"\ndaemon CPU per cycle (cycles 2-{len(done)}): {cpu*1000:.0f} ms")
print(f"engine per cycle, max over cycles: {max(c['engine_us'] for c in done)/1000:.2f} ms")
print(f"peak RSS (VmHWM): {int(hwm)/1024:.1f} MiB")
PY
