#!/usr/bin/env bash
# The SLO-driven policy on traffic it was not designed on (other weeks and days of the bundled
# traces, Azure Functions 2019 functions no scenario uses), out of sample against aws-tuned,
# the peers and the oracle. Writes its table into docs/benchmarks.md; a case's name as an
# argument runs that case alone and prints its row. See scripts/held_out.py.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only the simulator is needed: the build without the AWS SDKs.
cargo build --release --quiet --no-default-features
exec python3 scripts/held_out.py "$@"
