#!/usr/bin/env python3
"""The discrete-event reference for tests/ciw_check.rs: ciw (PyPI `ciw`), an independent
queueing simulation library, on the cells given as JSON on stdin.

Each cell is a FIFO G/G/c queue with Poisson arrivals and a service time that is deterministic
(cv 0), exponential (cv 1) or log-normal with that mean and CV:
- steady: {"servers": c, "arrival_rate": λ (per s), "mean_service_s": m, "cv": cv, "reps": n,
  "customers": k, "seed": s}. Replication r runs with seed s + r until about `customers`
  arrivals, drops the first 10 % of the time as warm-up, and takes the 99th and 50th
  percentiles of the response time (wait + service).
- intervals: the same with "rates" (per s, one per interval, from an empty queue),
  "interval_s" and "measure" (an interval's index) in place of "arrival_rate" and "customers":
  the percentiles and the mean of the responses of the requests that arrived in the measured
  interval, as one interval's CloudWatch statistics would show them.
Prints, per cell, every replication's percentiles and mean; the caller forms the confidence
intervals.
"""

import json
import math
import multiprocessing
import sys

import ciw

def service(mean, cv):
    if cv == 0:
        return ciw.dists.Deterministic(value=mean)
    if cv == 1:
        return ciw.dists.Exponential(rate=1.0 / mean)
    s2 = math.log(1.0 + cv * cv)
    return ciw.dists.Lognormal(mean=math.log(mean) - 0.5 * s2, sd=math.sqrt(s2))


def percentile(sorted_values, q):
    k = q * (len(sorted_values) - 1)
    lo = math.floor(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (k - lo) * (sorted_values[hi] - sorted_values[lo])


def intervals(c):
    t, rates = c["interval_s"], c["rates"]
    ends = [t * (i + 1) for i in range(len(rates))]
    start, end = c["measure"] * t, (c["measure"] + 1) * t
    p99s, p50s, means = [], [], []
    for rep in range(c["reps"]):
        ciw.seed(c["seed"] + rep)
        net = ciw.create_network(
            arrival_distributions=[ciw.dists.PoissonIntervals(rates, ends, ends[-1])],
            service_distributions=[service(c["mean_service_s"], c["cv"])],
            number_of_servers=[c["servers"]],
        )
        sim = ciw.Simulation(net)
        # Long enough after the last arrival for every measured request to finish.
        sim.simulate_until_max_time(ends[-1] + 600)
        times = sorted(r.waiting_time + r.service_time for r in sim.get_all_records() if start <= r.arrival_date < end)
        p99s.append(percentile(times, 0.99))
        p50s.append(percentile(times, 0.5))
        means.append(sum(times) / len(times))
    return {**c, "p99_s": p99s, "p50_s": p50s, "mean_s": means}


def cell(c):
    if "rates" in c:
        return intervals(c)
    lam, m, cv = c["arrival_rate"], c["mean_service_s"], c["cv"]
    horizon = c["customers"] / lam
    p99s, p50s = [], []
    for rep in range(c["reps"]):
        ciw.seed(c["seed"] + rep)
        net = ciw.create_network(
            arrival_distributions=[ciw.dists.Exponential(rate=lam)],
            service_distributions=[service(m, cv)],
            number_of_servers=[c["servers"]],
        )
        sim = ciw.Simulation(net)
        sim.simulate_until_max_time(horizon)
        warm = 0.1 * horizon
        times = sorted(r.waiting_time + r.service_time for r in sim.get_all_records() if r.arrival_date > warm)
        p99s.append(percentile(times, 0.99))
        p50s.append(percentile(times, 0.5))
    return {**c, "p99_s": p99s, "p50_s": p50s}


def main():
    cells = json.load(sys.stdin)
    # One process per core: the cells are independent, each replication seeded.
    with multiprocessing.Pool() as pool:
        json.dump(pool.map(cell, cells), sys.stdout)


if __name__ == "__main__":
    main()
