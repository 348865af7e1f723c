#!/usr/bin/env bash
# Repeat the three-replica failover test N times against a fresh moto state each time, and
# summarise the failover times and the lease epochs that acted (docs/reliability.md).
#   bash scripts/ha-repeat.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-10}"
source scripts/moto.sh
# Build once, then run the test binary itself, so nothing is rebuilt between runs.
BIN=$(cargo test --test ha_moto --no-run --message-format=json 2>/dev/null \
  | "$VENV/bin/python" -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "ha_moto":
        print(m["executable"])' | tail -1)
OUT=$(mktemp -t ha-repeat.XXXXXX)
for i in $(seq 1 "$N"); do
  "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('$MOTO_ENDPOINT_URL/moto-api/reset', data=b'')"
  if "$BIN" three --nocapture >"$OUT.$i" 2>&1; then r=pass; else r=FAIL; fi
  echo "run $i: $r; $(grep -h 'failover after' "$OUT.$i" | head -1); $(grep -h 'epochs with calls' "$OUT.$i" | head -1)"
done | tee "$OUT"
"$VENV/bin/python" - "$OUT" <<'PY'
import re, sys
times = [float(m) for m in re.findall(r"failover after SIGKILL: ([0-9.]+) s", open(sys.argv[1]).read())]
fails = open(sys.argv[1]).read().count("FAIL")
print(f"runs: {len(times) + fails}, failed: {fails}")
if times:
    times.sort()
    print(f"failover s: min {times[0]:.2f}, median {times[len(times)//2]:.2f}, max {times[-1]:.2f}")
PY
