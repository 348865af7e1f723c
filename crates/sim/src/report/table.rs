//! The comparison as a terminal table.

use std::fmt::Write as _;

use super::Report;

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:.digits$}"))
}

/// The comparison's columns.
pub(crate) const HEADER: [&str; 17] = [
    "policy",
    "cost $",
    "vs aws-tuned",
    "vs AWS",
    "vs oracle",
    "inst-h",
    "SLO-viol min",
    "failed",
    "p50 ms",
    "p99 ms",
    "actions",
    "react s",
    "θU %",
    "θO %",
    "τU %",
    "τO %",
    "jitter/min",
];

/// One cell: its text, and the number it sorts by (`None`: a name, or no value).
pub(crate) struct Cell {
    pub text: String,
    pub value: Option<f64>,
}

fn num(v: f64, text: String) -> Cell {
    Cell {
        text,
        value: Some(v),
    }
}

fn maybe(v: Option<f64>, digits: usize) -> Cell {
    Cell {
        text: opt(v, digits),
        value: v,
    }
}

/// One row per contender, in [`HEADER`]'s order.
pub(crate) fn rows(r: &Report) -> Vec<Vec<Cell>> {
    r.policies
        .iter()
        .map(|p| {
            let t = &p.totals;
            let e = &t.elasticity;
            vec![
                Cell {
                    text: p.name.clone(),
                    value: None,
                },
                num(t.cost_usd, format!("{:.2}", t.cost_usd)),
                num(
                    p.cost_vs_aws_tuned_pct,
                    format!("{:+.1}%", p.cost_vs_aws_tuned_pct),
                ),
                num(p.cost_vs_aws_pct, format!("{:+.1}%", p.cost_vs_aws_pct)),
                num(
                    p.cost_vs_oracle_pct,
                    format!("{:+.1}%", p.cost_vs_oracle_pct),
                ),
                num(t.instance_hours, format!("{:.1}", t.instance_hours)),
                num(
                    t.slo_violation_minutes,
                    format!("{:.0}", t.slo_violation_minutes),
                ),
                num(t.failed_requests, format!("{:.0}", t.failed_requests)),
                maybe(t.p50_latency_ms, 0),
                maybe(t.p99_latency_ms, 0),
                num(f64::from(t.scaling_actions), t.scaling_actions.to_string()),
                maybe(t.mean_reaction_time_s, 0),
                num(
                    e.under_provisioning_accuracy_pct,
                    format!("{:.1}", e.under_provisioning_accuracy_pct),
                ),
                num(
                    e.over_provisioning_accuracy_pct,
                    format!("{:.1}", e.over_provisioning_accuracy_pct),
                ),
                num(
                    e.under_provisioning_timeshare_pct,
                    format!("{:.1}", e.under_provisioning_timeshare_pct),
                ),
                num(
                    e.over_provisioning_timeshare_pct,
                    format!("{:.1}", e.over_provisioning_timeshare_pct),
                ),
                num(e.jitter_per_minute, format!("{:+.3}", e.jitter_per_minute)),
            ]
        })
        .collect()
}

/// What the tuned baselines chose, and the pay-per-use estimate: one line each.
pub(crate) fn notes(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for p in &r.policies {
        for t in &p.per_target {
            if let Some(c) = &t.tuned {
                out.push(format!(
                    "{}: `{}` chose {} at target {} on the train window (${:.2}, {:.0} SLO-violation minutes, budget {:.0}{})",
                    p.name,
                    t.target,
                    c.family,
                    c.point.target,
                    c.point.train_cost_usd,
                    c.point.train_slo_violation_minutes,
                    c.budget_slo_minutes,
                    if c.within_budget { "" } else { ": none kept it, so the fewest" }
                ));
            }
        }
    }
    for t in &r.targets {
        if let Some(p) = &t.pay_per_use {
            let slo = p
                .slo_violation_minutes
                .map(|m| format!(" with {m:.0} SLO-violation minutes"))
                .unwrap_or_default();
            out.push(format!(
                "pay-per-use: `{}` on Serverless Inference ({} GB at ${}/GB-s) would cost ${:.2}{slo}, {:+.1}% against the cheapest compared policy ({})",
                t.name, p.memory_gb, p.price_per_gb_second, p.cost_usd, p.vs_cheapest_policy_pct, p.caveat
            ));
        }
    }
    out
}

/// The table: one row per contender.
#[must_use]
pub fn table(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", r.scenario);
    let _ = writeln!(
        s,
        "trace {} from {}, {} intervals of {} s, seed {}",
        r.trace.path, r.trace.start, r.trace.intervals, r.trace.step_seconds, r.seed
    );
    let e = &r.evaluation;
    let _ = match (&e.train, e.in_sample) {
        (Some(train), false) => writeln!(
            s,
            "scored on the test window {}; tuned baselines chose on the train window {train}",
            e.test.as_deref().unwrap_or("(the whole trace)")
        ),
        _ => writeln!(
            s,
            "no train window: the tuned baselines are chosen on the window they are scored on (in-sample)"
        ),
    };
    if let Some(n) = &e.note {
        let _ = writeln!(s, "{n}");
    }
    // A scenario of inference components alone has no endpoint rows.
    if r.targets.is_empty() {
        if let Some(c) = &r.inference_components {
            s.push_str(&super::super::ic_compare::ic_table(c));
        }
        return s;
    }
    let header = HEADER;
    let rows: Vec<Vec<String>> = rows(r)
        .into_iter()
        .map(|row| row.into_iter().map(|c| c.text).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|row| row[c].chars().count())
                .chain([header[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>, s: &mut String| {
        for (c, cell) in cells.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                let _ = write!(s, "{cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(s, "  {}{cell}", " ".repeat(pad));
            }
        }
        s.push('\n');
    };
    line(header.iter().map(|h| (*h).to_string()).collect(), &mut s);
    for row in rows {
        line(row, &mut s);
    }
    for n in notes(r) {
        let _ = writeln!(s, "{n}");
    }
    for g in &r.quality_guards {
        let _ = writeln!(
            s,
            "\nquality guard: `{}` falling back to `{}` (both variants' cost and SLO minutes)",
            g.target, g.fallback
        );
        let _ = writeln!(
            s,
            "  {:<34} {:>10} {:>8} {:>10} {:>18} {:>9} {:>8}",
            "contender", "cost $", "SLO min", "failed", "degraded requests", "shifted", "fallback"
        );
        for row in &g.rows {
            let exposed = row.run.requests_during_degradation;
            let share = if exposed > 0.0 {
                format!(" ({:.0} %)", row.run.degraded_requests / exposed * 100.0)
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "  {:<34} {:>10.2} {:>8.0} {:>10.0} {:>18} {:>7.0} m {:>8}",
                row.name,
                row.run.cost_usd,
                row.run.slo_violation_minutes,
                row.run.failed_requests,
                format!("{:.0}{share}", row.run.degraded_requests),
                row.run.shifted_minutes,
                row.run.fallback_peak
            );
        }
    }
    if let Some(c) = &r.inference_components {
        s.push_str(&super::super::ic_compare::ic_table(c));
    }
    s
}
