#!/usr/bin/env python3
"""Can the `slo` load band be narrowed by what the policy reads? A study on World Cup 98.

`slo` holds the newest load times the `1 - risk` quantile of how much the load grew over one
horizon (docs/semantics.md). On World Cup the horizon is five one-minute periods (a learned
lead of 120-180 s, the datapoint's age and a period), and the band is what keeps `slo` at
1.32x the oracle. This script asks whether that growth could be predicted from what a policy
knows at the time: the recent trend, the load's level, the hour, the recent volatility. If it
could, a band conditioned on it would be lower at the same number of misses.

For each minute t of the scenario's train week (06-17..06-24) and test week (06-24..07-01),
at the scenario's 20 % scale:
- growth g(t) = the highest load of the 5 minutes after t over the load at t;
- the growth's quantiles, overall and by the feature (is any bucket's tail much lower?);
- band rules that read only the past (growth samples whose 5 minutes have all passed):
  the plain quantile of the last 24 h, and the same quantile of growth scaled by the volatility
  of the last hour (a band that widens after bursts and narrows when calm). For each, the
  load-weighted mean band (a proxy for cost) and the minutes whose growth broke it (misses).

Standard library only. Run from the repository root:
    python3 scripts/band_study.py
"""

import bisect
import csv
import datetime as dt
import gzip
import math

TRACE = "simulations/traces/worldcup98_requests_per_minute.csv.gz"
SCALE = 0.2
H = 5
DAY = 1440
WEEKS = {
    "train": ("1998-06-17 00:00:00", "1998-06-24 00:00:00"),
    "test": ("1998-06-24 00:00:00", "1998-07-01 00:00:00"),
}


def load():
    with gzip.open(TRACE, "rt") as f:
        rows = list(csv.reader(f))[1:]
    t0 = dt.datetime.fromisoformat(rows[0][0])
    minutes = [int((dt.datetime.fromisoformat(r[0]) - t0).total_seconds() // 60) for r in rows]
    x = [0.0] * (max(minutes) + 1)
    for m, r in zip(minutes, rows):
        x[m] = float(r[1]) * SCALE
    return t0, x


def quantile(sorted_values, q):
    """The ceil(q * n)-th smallest, as `growth_quantile` in crates/engine/src/slo.rs takes it."""
    n = len(sorted_values)
    k = min(max(math.ceil(q * n), 1), n) - 1
    return sorted_values[k]


def main():
    t0, x = load()

    def index(s):
        return int((dt.datetime.fromisoformat(s) - t0).total_seconds() // 60)

    n = len(x) - H
    g = [max(x[t + 1 : t + 1 + H]) / x[t] if x[t] > 0 else 1.0 for t in range(n)]
    logs = [math.log(max(v, 1.0)) for v in x]
    sq = [0.0] + [(logs[t] - logs[t - 1]) ** 2 for t in range(1, len(x))]
    cum = [0.0]
    for v in sq:
        cum.append(cum[-1] + v)

    def vol(t, m=60):
        return max(math.sqrt((cum[t + 1] - cum[t + 1 - m]) / m), 1e-3)

    for name, (a_s, b_s) in WEEKS.items():
        a, b = index(a_s), index(b_s)
        week = range(a, b)
        gs = sorted(g[t] for t in week)
        print(f"== {name} week: {len(gs)} minutes")
        print(
            "  5-minute growth, quantiles .99 / .995 / .998 / max: "
            + " / ".join(f"{quantile(gs, q):.3f}" for q in (0.99, 0.995, 0.998))
            + f" / {gs[-1]:.2f}"
        )
        features = {
            "3-minute trend x(t)/x(t-3)": lambda t: x[t] / max(x[t - 3], 1.0),
            "level x(t) / the last day's highest": lambda t: x[t] / max(x[t - DAY : t]),
        }
        buckets = {
            "3-minute trend x(t)/x(t-3)": [(0, 0.98), (0.98, 1.02), (1.02, 1.1), (1.1, 99)],
            "level x(t) / the last day's highest": [(0, 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 99)],
        }
        for fname, f in features.items():
            print(f"  by {fname}:")
            for lo, hi in buckets[fname]:
                sel = sorted(g[t] for t in week if lo <= f(t) < hi)
                if sel:
                    print(
                        f"    [{lo}, {hi}): {len(sel) / len(gs):5.1%} of minutes, "
                        f"q.99 {quantile(sel, 0.99):.3f}, q.998 {quantile(sel, 0.998):.3f}"
                    )
        # The hours of the week's top 1 % of growth minutes, day by day.
        top = quantile(gs, 0.99)
        days = {}
        for t in week:
            if g[t] > top:
                days.setdefault((t - a) // DAY, set()).add((t % DAY) // 60)
        print("  hours (UTC) of the top 1 % growth minutes, by day: " + "; ".join(
            ",".join(str(h) for h in sorted(hs)) for _, hs in sorted(days.items())
        ))

        # Band rules over the past day's growth samples (those whose 5 minutes have passed).
        for risk in (0.002, 0.005, 0.01):
            plain, scaled = [], []
            z = lambda s: math.log(g[s]) / vol(s)  # noqa: E731
            for t in range(a - DAY - H, a - H):
                bisect.insort(plain, g[t])
                bisect.insort(scaled, z(t))
            results = {"plain 24 h": [0.0, 0.0, 0], "volatility-scaled 24 h": [0.0, 0.0, 0]}
            for t in week:
                bands = {
                    "plain 24 h": max(1.0, quantile(plain, 1 - risk)),
                    "volatility-scaled 24 h": max(1.0, math.exp(quantile(scaled, 1 - risk) * vol(t))),
                }
                for rule, band in bands.items():
                    r = results[rule]
                    r[0] += x[t] * band
                    r[1] += x[t]
                    r[2] += g[t] > band
                # Slide both windows one minute.
                new, old = t - H, t - H - DAY
                bisect.insort(plain, g[new])
                plain.pop(bisect.bisect_left(plain, g[old]))
                bisect.insort(scaled, z(new))
                scaled.pop(bisect.bisect_left(scaled, z(old)))
            print(
                f"  risk {risk}: "
                + "; ".join(
                    f"{rule} band {r[0] / r[1]:.3f} (load-weighted), {r[2]} misses"
                    for rule, r in results.items()
                )
            )


if __name__ == "__main__":
    main()
