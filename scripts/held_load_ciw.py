#!/usr/bin/env python3
"""The reference for `cargo run --release -p sagescale-sim --example held_load`: ciw (PyPI
`ciw`, the simulator's external reference; scripts/test.sh installs it into .moto-venv) runs a
FIFO M/G/4 queue of 2 s log-normal services (CV 1.3: an LLM copy) at a load held constant, and
prints, per utilisation:
- the pooled mean, median and p99 of every response after a 10 % warm-up (the steady state);
- the average over 10 s and 60 s windows of each window's median and p99 (what one interval's
  CloudWatch statistics show, window by window; a window's mean averages to the pooled mean).

    .moto-venv/bin/python scripts/held_load_ciw.py     # about 12 s

docs/simulator.md ("A held load's mean builds to its steady state") compares the two.
"""

import math
import statistics

import ciw

SERVERS, MEAN_S, CV = 4, 2.0, 1.3


def lognormal(mean, cv):
    s2 = math.log(1.0 + cv * cv)
    return ciw.dists.Lognormal(mean=math.log(mean) - 0.5 * s2, sd=math.sqrt(s2))


def percentile(values, q):
    v = sorted(values)
    k = q * (len(v) - 1)
    lo = math.floor(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (k - lo) * (v[hi] - v[lo])


def main():
    print("rho | pooled: mean p50 p99 | 10 s windows: p50 p99 | 60 s windows: p50 p99")
    for rho in (0.3, 0.5, 0.7, 0.9):
        lam = rho * SERVERS / MEAN_S
        ciw.seed(7)
        net = ciw.create_network(
            arrival_distributions=[ciw.dists.Exponential(rate=lam)],
            service_distributions=[lognormal(MEAN_S, CV)],
            number_of_servers=[SERVERS],
        )
        sim = ciw.Simulation(net)
        horizon = 60000 / lam
        sim.simulate_until_max_time(horizon)
        records = [r for r in sim.get_all_records() if r.arrival_date > 0.1 * horizon]
        resp = [r.waiting_time + r.service_time for r in records]
        row = [f"{rho} | {statistics.mean(resp):.2f} {percentile(resp, 0.5):.2f} {percentile(resp, 0.99):.2f}"]
        for window in (10, 60):
            by = {}
            for r in records:
                by.setdefault(int(r.arrival_date // window), []).append(r.waiting_time + r.service_time)
            full = [v for v in by.values() if len(v) >= 2]
            p50 = statistics.mean(percentile(v, 0.5) for v in full)
            p99 = statistics.mean(percentile(v, 0.99) for v in full)
            row.append(f"{p50:.2f} {p99:.2f}")
        print(" | ".join(row))


if __name__ == "__main__":
    main()
