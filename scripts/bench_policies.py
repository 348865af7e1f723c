#!/usr/bin/env python3
"""Regenerate the policy table in docs/benchmarks.md: every bundled scenario, every contender.

For each scenario in simulations/:
  1. `sagescale simulate` it: the scenario's sagescale policies, the AWS target-tracking and
     step-scaling emulations, the peers (HPA, KPA, KEDA) and the oracle.
  2. `sagescale tune` its template in simulations/tune/ within AWS's SLO-violation minutes,
     within the fewest of any baseline or peer, and, for each peer no sagescale row beats,
     within that peer's own; write the winners to simulations/tuned/.
  3. `sagescale simulate` the tuned policy alone, for its row.
Then check the goals of issue 6 per scenario and write the table between the markers in
docs/benchmarks.md. Run from the repository root: `bash scripts/bench-policies.sh`.
"""

import json
import pathlib
import subprocess
import sys
import tempfile

BIN = "target/release/sagescale"
SCENARIOS = [
    "worldcup98",
    "azure-llm-coding",
    "multi-model",
    "batch-async",
    "serverless-provisioned",
    "serverless-vs-instances",
]
START = "<!-- policy-table:start (scripts/bench-policies.sh writes this part) -->"
END = "<!-- policy-table:end -->"
PEERS = ("k8s-hpa", "knative-kpa", "keda-cloudwatch")


def sagescale(*args):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, env={"CI": "1", "PATH": "/usr/bin:/bin"})
    return p.returncode, p.stdout, p.stderr


def simulate(scenario, json_path, policy=None):
    args = ["simulate", scenario, "--json", json_path]
    if policy:
        args += ["--policy", policy]
    code, out, err = sagescale(*args)
    if code != 0:
        sys.exit(f"simulate {scenario} failed:\n{err}")
    return json.loads(pathlib.Path(json_path).read_text())


def tune(scenario, template, budget, out):
    code, stdout, err = sagescale(
        "tune", scenario, "--template", template, "--max-slo-minutes", f"{budget}", "--budget", "512", "--out", out
    )
    return code == 0, stdout + err


def row(p, name=None):
    e = p["elasticity"]
    return {
        "name": name or p["name"],
        "kind": p["kind"],
        "cost": p["cost_usd"],
        "vs_aws": p["cost_vs_aws_pct"],
        "vs_oracle": p["cost_vs_oracle_pct"],
        "slo": p["slo_violation_minutes"],
        "failed": p["failed_requests"],
        "tu": e["under_provisioning_accuracy_pct"],
        "to": e["over_provisioning_accuracy_pct"],
        "su": e["under_provisioning_timeshare_pct"],
        "so": e["over_provisioning_timeshare_pct"],
        "jitter": e["jitter_per_minute"],
    }


def quality_guard(tmp):
    """The quality-guard scenario's own table: degraded requests against cost."""
    name = "quality-guard"
    r = simulate(f"simulations/{name}.toml", str(tmp / f"{name}.json"))
    lines = [
        f"### {r['scenario']}",
        "",
        f"`simulations/{name}.toml`: real World Cup traffic, a **synthetic** drift series. Both "
        "variants' cost and SLO minutes; degraded requests are those the guarded variant served "
        "while its drift was above 0.2 (share of all requests in those minutes).",
        "",
        "| contender | guard | cost $ | SLO-viol min | failed | degraded requests | shifted min | weight changes | fallback peak |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for g in r["quality_guards"]:
        rows = g["rows"]
        for x in rows:
            exposed = x["requests_during_degradation"]
            share = x["degraded_requests"] / exposed * 100 if exposed else 0.0
            lines.append(
                f"| {x['name']} | {'yes' if x['guarded'] else 'no'} | {x['cost_usd']:.2f} | "
                f"{x['slo_violation_minutes']:.0f} | {x['failed_requests']:.0f} | "
                f"{x['degraded_requests']:.0f} ({share:.0f} %) | {x['shifted_minutes']:.0f} | "
                f"{x['weight_changes']} | {x['fallback_peak']} |"
            )
        on = [x for x in rows if x["guarded"]]
        off = {x["name"]: x for x in rows if not x["guarded"]}
        for x in on:
            bare = off.get(f"{x['name']} without guard")
            if bare and bare["degraded_requests"] > 0:
                spared = (1 - x["degraded_requests"] / bare["degraded_requests"]) * 100
                extra = (x["cost_usd"] / bare["cost_usd"] - 1) * 100
                lines.append("")
                lines.append(
                    f"- `{x['name']}`: {spared:.0f} % fewer degraded requests than without its guard, "
                    f"for {extra:+.1f} % cost."
                )
    lines.append("")
    print(f"{name}: done", file=sys.stderr)
    return "\n".join(lines)


def main():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="sagescale-bench-policies-"))
    tuned_dir = pathlib.Path("simulations/tuned")
    tuned_dir.mkdir(exist_ok=True)
    parts = []
    for name in SCENARIOS:
        scenario = f"simulations/{name}.toml"
        base = simulate(scenario, str(tmp / f"{name}.json"))
        rows = [row(p) for p in base["policies"]]
        aws = next(r for r in rows if r["kind"] == "aws-target-tracking")
        oracle = next(r for r in rows if r["kind"] == "oracle")
        peers = [r for r in rows if r["kind"] == "peer"]
        others = [aws] + [r for r in rows if r["kind"] in ("aws-step-scaling", "peer")]
        budget_all = min(r["slo"] for r in others)
        template = next(pathlib.Path("simulations/tune").glob(f"{name}.tune.*"), None)
        notes = []
        if template:
            # Tuned twice when the budgets differ: to keep AWS's SLO minutes, and to keep the
            # fewest any baseline or peer has.
            budgets = [("sagescale-tuned", aws["slo"], "", None)]
            if budget_all < aws["slo"] - 1e-9:
                budgets.append(("sagescale-tuned-strict", budget_all, "-strict", None))
            # And, for a peer no sagescale row beats, within that peer's own SLO minutes: the
            # cheapest setting for the trade-off the peer makes.
            ours_now = [r for r in rows if r["kind"] == "policy"]
            for p in peers:
                beaten = any(r["cost"] < p["cost"] and r["slo"] <= p["slo"] + 1e-9 for r in ours_now)
                if not beaten and p["slo"] > aws["slo"] + 1e-9:
                    budgets.append((f"sagescale-tuned-vs-{p['name']}", p["slo"], f"-vs-{p['name']}", p))
            for label, budget, suffix, peer in budgets:
                out = str(tuned_dir / f"{name}{suffix}{template.suffix}")
                ok, log = tune(scenario, str(template), budget, out)
                if not ok:
                    notes.append(f"`{label}`: no candidate of `{template}` kept {budget:.1f} SLO-violation minutes")
                    continue
                t = simulate(scenario, str(tmp / f"{name}{suffix}-tuned.json"), out)
                tuned = row(t["policies"][0], label)
                if peer and tuned["cost"] >= peer["cost"]:
                    pathlib.Path(out).unlink()
                    notes.append(
                        f"no candidate of `{template}` is cheaper than `{peer['name']}` within its "
                        f"{budget:.1f} SLO-violation minutes"
                    )
                    continue
                tuned["vs_aws"] = round((tuned["cost"] / aws["cost"] - 1) * 100, 1)
                tuned["vs_oracle"] = round((tuned["cost"] / oracle["cost"] - 1) * 100, 1)
                rows.insert(len([r for r in rows if r["kind"] == "policy"]), tuned)
                notes.append(f"`{label}`: tuned from `{template}` within {budget:.1f} SLO-violation minutes, in `{out}`")
        else:
            notes.append("no tune template")
        tune_note = "; ".join(notes)
        ours = [r for r in rows if r["kind"] == "policy"]
        # The best sagescale policy: the cheapest that keeps AWS's SLO minutes.
        keep = [r for r in ours if r["slo"] <= aws["slo"] + 1e-9]
        best = min(keep, key=lambda r: r["cost"]) if keep else None
        goals = []
        if best:
            saving = (1 - best["cost"] / aws["cost"]) * 100
            goals.append(
                f"cheapest sagescale policy within AWS's SLO-violation minutes, `{best['name']}`: "
                f"{best['vs_aws']:+.1f} % against AWS target tracking at {best['slo']:.1f} against "
                f"{aws['slo']:.1f} SLO-violation minutes: "
                + ("**met** (≥ 25 % cheaper)" if saving >= 25 else "**missed** (goal: ≥ 25 % cheaper)")
            )
            if peers:
                missed = [
                    p["name"]
                    for p in peers
                    if not any(r["cost"] < p["cost"] and r["slo"] <= p["slo"] + 1e-9 for r in ours)
                ]
                goals.append(
                    "a sagescale policy is cheaper than each peer at equal or fewer SLO-violation minutes: "
                    + ("**met**" if not missed else f"**missed** against {', '.join(missed)}")
                )
            gap = (best["cost"] / oracle["cost"] - 1) * 100
            goals.append(
                f"within 15 % of the oracle's cost: {gap:+.1f} %: " + ("**met**" if gap <= 15 else "**missed**")
            )
        else:
            goals.append("no sagescale policy kept AWS's SLO-violation minutes: **missed**")
        lines = [
            f"### {base['scenario']}",
            "",
            f"`simulations/{name}.toml`; {tune_note}.",
            "",
            "| contender | kind | cost $ | vs AWS | vs oracle | SLO-viol min | failed | θU % | θO % | τU % | τO % | jitter/min |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            lines.append(
                f"| {r['name']} | {r['kind']} | {r['cost']:.2f} | {r['vs_aws']:+.1f} % | {r['vs_oracle']:+.1f} % | "
                f"{r['slo']:.1f} | {r['failed']:.0f} | {r['tu']:.1f} | {r['to']:.1f} | {r['su']:.1f} | {r['so']:.1f} | {r['jitter']:+.3f} |"
            )
        lines.append("")
        lines += [f"- {g}" for g in goals]
        lines.append("")
        parts.append("\n".join(lines))
        print(f"{name}: done", file=sys.stderr)
    parts.append(quality_guard(tmp))
    doc = pathlib.Path("docs/benchmarks.md")
    text = doc.read_text()
    body = START + "\n\n" + "\n".join(parts) + "\n" + END
    if START in text and END in text:
        text = text[: text.index(START)] + body + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n## Policies on the bundled scenarios (`bash scripts/bench-policies.sh`)\n\n" + body + "\n"
    doc.write_text(text)
    print("docs/benchmarks.md updated", file=sys.stderr)


if __name__ == "__main__":
    main()
