#!/usr/bin/env python3
"""Build simulations/traces/azure_llm_ic_models_per_10s.csv.gz: three models' requests per
10 s for the inference-component scenario (simulations/inference-components.toml), from the
shared Azure LLM traces (CC-BY-4.0; simulations/traces/README.md says how each column is made).

    python3 scripts/ic-trace.py ../shared/traces

Deterministic: no randomness, only shifts, scales and rounding of real counts.
"""
import csv
import io
import datetime as dt
import gzip
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/traces")
out = Path(__file__).resolve().parent.parent / "simulations/traces/azure_llm_ic_models_per_10s.csv.gz"

def open_text(raw):
    return io.TextIOWrapper(raw, newline="")


# The 2024 coding service, per 10 s, one week.
times, counts = [], []
with gzip.open(root / "azure-llm-2024/coding_requests_per_10s.csv.gz", "rt") as f:
    r = csv.reader(f)
    next(r)
    for t, c in r:
        times.append(t)
        counts.append(int(c))
n = len(counts)
bins_per_day = 8640

# The 2023 code trace: one hour of single requests, binned per 10 s from its first request.
hour = []
with open(root / "azure-llm-2023/code_requests.csv") as f:
    r = csv.reader(f)
    next(r)
    stamps = [row[0] for row in r]
def parse(s):
    head, frac = s.split(".")
    return dt.datetime.strptime(head, "%Y-%m-%d %H:%M:%S").timestamp() + float("0." + frac)
t0 = parse(stamps[0])
for s in stamps:
    b = int((parse(s) - t0) // 10)
    while len(hour) <= b:
        hour.append(0)
    hour[b] += 1

# completion: a quarter of the coding service's requests (rounded), as recorded.
# chat: 15 % of them, 8 hours later (another region's working day; the week wraps).
# nightly-eval: the 2023 hour of code requests, replayed once a day from 02:00 UTC.
shift = 8 * 360
eval_start = 2 * 360
with gzip.GzipFile(out, "wb", mtime=0) as raw, open_text(raw) as f:
    w = csv.writer(f)
    w.writerow(["Time", "completion", "chat", "nightly-eval"])
    for i in range(n):
        day_bin = i % bins_per_day
        k = day_bin - eval_start
        nightly = hour[k] if 0 <= k < len(hour) else 0
        w.writerow([times[i], round(counts[i] * 0.25), round(counts[(i - shift) % n] * 0.15), nightly])
print(f"{out}: {n} rows; nightly-eval {sum(hour)} requests a day in {len(hour)} bins")
