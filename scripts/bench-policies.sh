#!/usr/bin/env bash
# Regenerate the policy table in docs/benchmarks.md from every bundled scenario: the scenario's
# sagescale policies, a tuned policy, AWS target tracking and step scaling, the HPA, KPA and KEDA
# emulations at their defaults and tuned, aws-tuned, and the oracle, out of sample (tuned on
# each scenario's train window, scored on its test window). Writes the tuned policies to
# simulations/tuned/ and the World Cup table into the README.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only the simulator is needed: the build without the AWS SDKs.
cargo build --release --quiet --no-default-features
python3 scripts/bench_policies.py
