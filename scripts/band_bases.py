#!/usr/bin/env python3
"""How the `slo` band's three bases compare on real traces (crates/engine/src/slo.rs,
`growth_quantile`): for each trace, hour by hour over a band history of 6 or 24 hours, the mean
band from the highest load of the last horizon (8 periods) and of the last four, each as a
share of the mean band from the newest load, at the same `1 − risk` coverage of the history's
horizons. `slo` takes a peak where its share is at most 0.7 (`PEAK_GAIN`). A replica in numpy,
not the engine's code: counts are the traces' own, scaled as the scenarios scale them and
drawn as Poisson counts, as the simulator's arrivals are.

Run from the repository root: `python3 scripts/band_bases.py` (about a minute).
"""

import csv
import gzip

import numpy as np

TRACES = "simulations/traces/"


def trailing(v, w):
    return np.array([v[max(0, t - w + 1) : t + 1].max() for t in range(len(v))])


def shares(v, h, risk, windows):
    n = len(v)
    ahead = np.array([v[t + 1 : t + h + 1].max() for t in range(n - h)])
    base = v[: n - h]
    t = np.arange(n - h)

    def quantile(g):
        k = min(len(g), int(np.ceil((1 - risk) * len(g))))
        return max(1.0, np.sort(g)[max(k, 1) - 1])

    ok = base > 0
    if not ok.any():
        return None
    newest = quantile(ahead[ok] / base[ok])
    out = {}
    for w in windows:
        full = ok & (t + 1 >= w)
        if not full.any():
            return None
        peak = trailing(v, w)[: n - h]
        out[w] = quantile(ahead[full] / peak[full]) * peak[full].sum() / (newest * base[full].sum())
    return out


def worldcup(frm, until, scale=0.2):
    with gzip.open(TRACES + "worldcup98_requests_per_minute.csv.gz", "rt") as f:
        rows = csv.reader(f)
        next(rows)
        return np.array([int(c) * scale for t, c in rows if frm <= t < until], float)


def function(series, scale):
    with gzip.open(TRACES + "azure_functions_2019_invocations_per_minute_1000fn.csv.gz", "rt") as f:
        rows = csv.reader(f)
        head = next(rows)
        cols = [i for i, x in enumerate(head) if x.startswith("minute_")]
        for row in rows:
            if any(c.startswith(series) for c in row[:3]):
                return np.array([float(row[i] or 0) * scale for i in cols])


def main():
    rng = np.random.default_rng(1)
    cases = [
        ("World Cup 98, 1998-06-17..07-01 (20 %)", worldcup("1998-06-17", "1998-07-01")),
        ("Functions f9a52e1b84e4 (200×)", function("f9a52e1b84e4", 200)),
        ("Functions 78310bd88246 (400×), a timer", function("78310bd88246", 400)),
        ("Functions 873ee32ceb3a (30×), on and off", function("873ee32ceb3a", 30)),
        ("Functions 1bab031b7fcd (100×)", function("1bab031b7fcd", 100)),
    ]
    h = 8
    print("| trace | history | risk | last horizon's peak: min / median / max | last four's |")
    print("|---|---|---:|---|---|")
    for name, v in cases:
        v = rng.poisson(v).astype(float)
        for hours in (6, 24):
            win = hours * 60
            if len(v) < win + 2 * h:
                continue
            for risk in (0.001, 0.005, 0.05, 0.2):
                got = [shares(v[e - win : e], h, risk, (h, 4 * h)) for e in range(win + 2 * h, len(v), 60)]
                got = [g for g in got if g]
                cells = []
                for w in (h, 4 * h):
                    s = np.array([g[w] for g in got])
                    cells.append(f"{s.min():.2f} / {np.median(s):.2f} / {s.max():.2f}")
                print(f"| {name} | {hours} h | {risk} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
