#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one.
#
# 1. Installs moto's server (a real HTTP emulator of CloudWatch, SageMaker, Application Auto
#    Scaling and DynamoDB) into .moto-venv/, unless it is already there.
# 2. Starts it on a free 127.0.0.1 port and points the tests at it (MOTO_ENDPOINT_URL).
# 3. Installs ciw (a discrete-event queueing library) beside it, the simulator's external
#    reference (tests/ciw_check.rs, CIW_PYTHON).
# 4. Installs Debian's chromium if missing: the HTML report is tested in it, headless.
# 5. Checks formatting and lints, runs every test, then stops moto.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/moto.sh

CIW_VERSION="3.2.7"
if ! "$VENV/bin/python" -c "import ciw, sys; sys.exit(ciw.__version__ != '$CIW_VERSION')" 2>/dev/null; then
  echo "==> installing ciw==$CIW_VERSION into $VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "ciw==$CIW_VERSION"
fi
export CIW_PYTHON="$PWD/$VENV/bin/python"

# The systemd unit test runs `systemd-analyze verify`.
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "==> installing systemd's tools (systemd-analyze)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq systemd >/dev/null
fi

# A test build needs about 7 GB under target/ (docs/benchmarks.md, "The test build"). Out of disk, the
# linker dies with a bus error that names nothing, so say it first.
TARGET_DIR=${CARGO_TARGET_DIR:-target}
mkdir -p "$TARGET_DIR"
FREE_GB=$(df -Pk "$TARGET_DIR" | awk 'NR == 2 { printf "%d", $4 / 1048576 }')
if [ "$FREE_GB" -lt 8 ]; then
  echo "error: $FREE_GB GB free under $TARGET_DIR; the test build needs about 8 GB."
  echo "fix: free disk there, or point CARGO_TARGET_DIR at a disk with room."
  exit 1
fi
# A clean clone gains nothing from incremental compilation's cache (0.9 GB).
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy --workspace --all-targets -- -D warnings (default build, and without AWS)"
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy --no-default-features --all-targets --quiet -- -D warnings
echo "==> layers: no AWS SDK and no tokio below the AWS adapters (docs/architecture.md)"
for c in metrics engine files policy core instances sim batch interop; do
  if cargo tree -p "sagescale-$c" -e normal --prefix none --locked | grep -E "^(aws-|tokio |hyper )"; then
    echo "sagescale-$c depends on the crates above: the layering is broken"; exit 1
  fi
done
echo "==> supply chain: sources and licences"
cargo metadata --format-version 1 --locked | python3 scripts/supply_chain.py
echo "==> sagescale validate policies/"
cargo run --quiet -- validate policies/
# The HTML report is tested in a real browser (tests/report_browser.rs): Debian's Chromium.
if ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing chromium (headless, for the HTML report's test)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

echo "==> cargo test"
TEST_LOG=$(mktemp -t sagescale-tests.XXXXXX.log)
set +e
# --no-fail-fast: every test binary runs, so the summary counts the whole suite.
cargo test --workspace --all-targets --no-fail-fast 2>&1 | tee "$TEST_LOG"
STATUS=${PIPESTATUS[0]}
set -e
# One closing line for the whole suite (cargo prints one per test binary).
awk '/^test result:/ { p += $4; f += $6 } END { printf "summary: %d passed, %d failed\n", p, f }' "$TEST_LOG"
exit "$STATUS"
