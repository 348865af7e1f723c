#!/usr/bin/env bash
# Regenerate the policy table in docs/benchmarks.md from every bundled scenario: the scenario's
# sagescale policies, a tuned policy, AWS target tracking and step scaling, the HPA, KPA and KEDA
# emulations, and the oracle. Writes the tuned policies to simulations/tuned/.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only the simulator is needed: the build without the AWS SDKs.
cargo build --release --quiet --no-default-features
python3 scripts/bench_policies.py
