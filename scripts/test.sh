#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one.
#
# 1. Installs moto's server (a real HTTP emulator of CloudWatch, SageMaker, Application Auto
#    Scaling and DynamoDB) into .moto-venv/, unless it is already there.
# 2. Starts it on a free 127.0.0.1 port and points the tests at it (MOTO_ENDPOINT_URL).
# 3. Checks formatting and lints, runs every test, then stops moto.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION="5.2.5"           # the version DESIGN.md's seams were checked against
VENV=".moto-venv"
PYTHON="${PYTHON:-python3}"

if ! "$VENV/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  echo "==> installing moto[server]==$MOTO_VERSION into $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
LOG=$(mktemp -t moto.XXXXXX.log)
echo "==> starting moto on 127.0.0.1:$PORT (log: $LOG)"
"$VENV/bin/moto_server" -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 &
MOTO_PID=$!
trap 'kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if "$VENV/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/moto-api/', timeout=1)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$MOTO_PID" 2>/dev/null; then
    echo "moto failed to start:"; cat "$LOG"; exit 1
  fi
  sleep 0.2
done

export MOTO_ENDPOINT_URL="http://127.0.0.1:$PORT"
# Static test credentials and region for the SDK's standard chain; nothing leaves loopback.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --quiet -- -D warnings
echo "==> sagescale validate policies/"
cargo run --quiet -- validate policies/
echo "==> cargo test"
TEST_LOG=$(mktemp -t sagescale-tests.XXXXXX.log)
cargo test --all-targets 2>&1 | tee "$TEST_LOG"
# One closing line for the whole suite (cargo prints one per test binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "summary: %d passed, %d failed\n", p, f }' "$TEST_LOG"
