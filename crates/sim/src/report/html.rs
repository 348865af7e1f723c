//! A self-contained HTML page: the cost-against-SLO-minutes picture first, the comparison as
//! sortable tables, then per endpoint the traffic, capacity as small multiples (one chart per
//! contender against the oracle's demand), p99 latency and cumulative cost on date axes that
//! zoom and whose series can be shown or hidden.
//!
//! The timelines are drawn in the browser by uPlot (vendored with its licence in `vendor/`,
//! embedded so the page needs no network); the scatter is SVG. `report.js` holds the page's
//! behaviour; the data goes in as one JSON block.

use std::fmt::Write as _;

use serde::Serialize;

use super::super::compare::{Comparison, Kind};
use super::super::scenario::Scenario;
use super::table::{notes, rows, HEADER};
use super::Report;

/// Points per series at most: the timelines average consecutive intervals beyond it.
const POINTS: usize = 2000;

const UPLOT_JS: &str = include_str!("vendor/uplot/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("vendor/uplot/uPlot.min.css");
const REPORT_JS: &str = include_str!("report.js");

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}\
h2{margin-top:2em}table{border-collapse:collapse;font-size:13px;margin:1em 0}\
th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}\
th:first-child,td:first-child{text-align:left}th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}\
th[aria-sort=ascending]::after{content:' \\25B2'}th[aria-sort=descending]::after{content:' \\25BC'}\
tr.aws-tuned td{font-weight:600}tr.oracle td{color:#555;font-style:italic}\
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:8px}\
#errors{background:#fee;color:#900;padding:1em;white-space:pre-wrap}.hint{color:#666;font-size:13px}";

/// Average `v` into at most [`POINTS`] buckets; a bucket with no finite value is `None` (a gap,
/// not a zero).
fn downsample(v: &[f64], per: usize) -> Vec<Option<f64>> {
    v.chunks(per.max(1))
        .map(|c| {
            let (sum, n) = c
                .iter()
                .filter(|x| x.is_finite())
                .fold((0.0, 0u32), |(s, n), x| (s + x, n + 1));
            (n > 0).then(|| (sum / f64::from(n) * 1000.0).round() / 1000.0)
        })
        .collect()
}

#[derive(Serialize)]
struct Data {
    /// Unix time of the first point.
    start: i64,
    /// Seconds between points.
    every: f64,
    endpoints: Vec<EndpointData>,
}

#[derive(Serialize)]
struct EndpointData {
    traffic: Vec<Option<f64>>,
    demand: Vec<Option<f64>>,
    slo_ms: f64,
    contenders: Vec<ContenderData>,
}

#[derive(Serialize)]
struct ContenderData {
    name: String,
    kind: &'static str,
    /// Shown when the page opens (the compared policies, aws-tuned and the oracle); the rest
    /// are one legend click away.
    shown: bool,
    capacity: Vec<Option<f64>>,
    p99: Vec<Option<f64>>,
    cost: Vec<Option<f64>>,
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Policy => "policy",
        Kind::AwsTuned => "aws-tuned",
        Kind::Oracle => "oracle",
        _ => "baseline",
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Inline code spans (`x`) as `<code>`, the rest escaped.
fn prose(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", escape(part));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

fn data(s: &Scenario, c: &Comparison) -> Data {
    let step = f64::from(s.trace.step.0);
    let per = s.trace.len().div_ceil(POINTS).max(1);
    let endpoints = s
        .targets
        .iter()
        .enumerate()
        .map(|(ti, t)| {
            let traffic: Vec<f64> = s.arrivals(t).iter().map(|x| x / step).collect();
            let demand: Vec<f64> = c.demand[ti].iter().map(|&x| f64::from(x)).collect();
            let contenders = c
                .contenders
                .iter()
                .filter_map(|con| {
                    let run = con.runs.iter().find(|r| r.target == t.name)?;
                    let cap: Vec<f64> = run.in_service.iter().map(|&x| f64::from(x)).collect();
                    let slo_ms = t.slo.latency_s * 1000.0;
                    let p99: Vec<f64> = run
                        .p99_ms
                        .iter()
                        .map(|&x| f64::from(x).min(5.0 * slo_ms))
                        .collect();
                    // Cumulative cost, scaled so it ends at the run's billed total (launch and
                    // drain time included).
                    let total = run.acc.cost_usd(run.price_per_hour);
                    let served: f64 = cap.iter().sum::<f64>().max(1e-9);
                    let mut acc = 0.0;
                    let cost: Vec<f64> = cap
                        .iter()
                        .map(|x| {
                            acc += x / served * total;
                            acc
                        })
                        .collect();
                    Some(ContenderData {
                        name: con.name.clone(),
                        kind: kind_name(con.kind),
                        shown: matches!(con.kind, Kind::Policy | Kind::AwsTuned | Kind::Oracle),
                        capacity: downsample(&cap, per),
                        p99: downsample(&p99, per),
                        cost: downsample(&cost, per),
                    })
                })
                .collect();
            EndpointData {
                traffic: downsample(&traffic, per),
                demand: downsample(&demand, per),
                slo_ms: t.slo.latency_s * 1000.0,
                contenders,
            }
        })
        .collect();
    #[allow(clippy::cast_precision_loss)]
    Data {
        start: s.trace.start.0,
        every: step * per as f64,
        endpoints,
    }
}

fn comparison_table(report: &Report, page: &mut String) {
    page.push_str("<table class=\"sortable\" id=\"comparison\"><thead><tr>");
    for h in HEADER {
        let _ = write!(page, "<th scope=\"col\">{}</th>", escape(h));
    }
    page.push_str("</tr></thead><tbody>");
    for (p, row) in report.policies.iter().zip(rows(report)) {
        let _ = write!(page, "<tr class=\"{}\">", kind_name(p.kind));
        for cell in row {
            let v = cell
                .value
                .map_or_else(|| escape(&cell.text), |v| format!("{v}"));
            let _ = write!(page, "<td data-v=\"{v}\">{}</td>", escape(&cell.text));
        }
        page.push_str("</tr>");
    }
    page.push_str("</tbody></table>");
}

/// A text cell: its sort value is its text.
fn cell(text: String) -> (String, String) {
    (text.clone(), text)
}

/// A number cell with `decimals` shown, sorted by its full value.
fn num(v: f64, decimals: usize) -> (String, String) {
    (v.to_string(), format!("{v:.decimals$}"))
}

/// A sortable table's head and body, `(sort value, text)` per cell; the caller has opened the
/// `<table class="sortable"><thead><tr>`.
fn sortable_body(
    page: &mut String,
    headers: &[&str],
    rows: impl Iterator<Item = Vec<(String, String)>>,
) {
    for h in headers {
        let _ = write!(page, "<th scope=\"col\">{h}</th>");
    }
    page.push_str("</tr></thead><tbody>");
    for row in rows {
        page.push_str("<tr>");
        for (v, text) in row {
            let _ = write!(page, "<td data-v=\"{v}\">{text}</td>");
        }
        page.push_str("</tr>");
    }
    page.push_str("</tbody></table>");
}

fn guard_tables(report: &Report, page: &mut String) {
    for g in &report.quality_guards {
        let _ = write!(
            page,
            "<h3>Quality guard: <code>{}</code> falling back to <code>{}</code></h3><table class=\"sortable\"><thead><tr>",
            escape(&g.target),
            escape(&g.fallback)
        );
        let rows = g.rows.iter().map(|row| {
            let r = &row.run;
            vec![
                cell(escape(&row.name)),
                num(r.cost_usd, 2),
                num(r.slo_violation_minutes, 0),
                num(r.failed_requests, 0),
                num(r.degraded_requests, 0),
                num(r.shifted_minutes, 0),
                num(f64::from(r.fallback_peak), 0),
            ]
        });
        sortable_body(
            page,
            &[
                "contender",
                "cost $",
                "SLO min",
                "failed",
                "degraded requests",
                "shifted min",
                "fallback peak",
            ],
            rows,
        );
    }
}

/// The inference-component endpoint's table: each contender over all its models.
fn component_table(report: &Report, page: &mut String) {
    let Some(c) = &report.inference_components else {
        return;
    };
    let _ = write!(
        page,
        "<h3>Inference components on <code>{}</code> ({}, {} to {} instances)</h3><p class=\"hint\">A new instance {:.0} s end to end, a copy on a warm one {:.0} s; scale-in {}. <em>no copy</em>: requests that found no copy serving; <em>late</em>: served past the SLO just after a wake. Tuned rows chose on the train window within {:.0} SLO minutes.</p><table class=\"sortable\"><thead><tr>",
        escape(&c.endpoint),
        escape(&c.instance_type),
        c.instances.0,
        c.instances.1,
        c.delays_s.0,
        c.delays_s.1,
        escape(&c.scale_in),
        c.budget_slo_minutes
    );
    let rows = c.rows.iter().map(|row| {
        let r = &row.run;
        vec![
            cell(escape(&row.name)),
            cell(row.layout.to_string()),
            num(r.cost_usd, 2),
            num(r.instance_hours, 1),
            num(r.slo_violation_minutes, 0),
            num(r.failed, 0),
            num(r.failed_without_copy, 0),
            num(r.late_after_wake, 0),
            num(f64::from(r.wakes), 0),
        ]
    });
    sortable_body(
        page,
        &[
            "contender",
            "layout",
            "cost $",
            "instance-h",
            "SLO min",
            "failed",
            "no copy",
            "late",
            "wakes",
        ],
        rows,
    );
    for f in &c.serverless {
        if let Some(why) = &f.does_not_fit {
            let _ = write!(
                page,
                "<p class=\"hint\">Serverless Inference: <code>{}</code> does not fit: {}.</p>",
                escape(&f.component),
                escape(why)
            );
        }
    }
}

/// The HTML page.
#[must_use]
pub fn html(s: &Scenario, c: &Comparison, report: &Report) -> String {
    let mut page = String::new();
    let _ = write!(
        page,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{t}</title><style>{UPLOT_CSS}\n{STYLE}</style></head><body><h1>{t}</h1><p>{d}</p><div id=\"errors\" hidden></div>",
        t = escape(&report.scenario),
        d = escape(&report.description)
    );
    let e = &report.evaluation;
    let _ = write!(
        page,
        "<p class=\"hint\">Trace <code>{}</code> from {}, {} intervals of {} s, seed {}. {}</p>",
        escape(&report.trace.path),
        escape(&report.trace.start),
        report.trace.intervals,
        report.trace.step_seconds,
        report.seed,
        match (&e.train, e.in_sample) {
            (Some(train), false) => format!(
                "Every figure is the test window's ({}); tuned baselines chose on the train window {}.",
                escape(e.test.as_deref().unwrap_or("the whole trace")),
                escape(train)
            ),
            _ => "No train window: the tuned baselines are chosen on the window they are scored on (in-sample).".to_string(),
        }
    );

    // A scenario of inference components alone has no endpoint rows or curves.
    if !report.targets.is_empty() {
        // The headline picture first: each baseline family's trade-off curve and every contender.
        let marks: Vec<(String, f64, f64)> = report
            .policies
            .iter()
            .filter(|p| {
                matches!(
                    p.kind,
                    Kind::Policy | Kind::AwsTuned | Kind::AwsTargetTracking | Kind::Oracle
                )
            })
            .map(|p| {
                (
                    p.name.clone(),
                    p.totals.cost_usd,
                    p.totals.slo_violation_minutes,
                )
            })
            .collect();
        page.push_str("<h2>Cost against SLO-violation minutes</h2><figure id=\"tradeoff\">");
        let curves = super::tradeoff::family_curves(&c.sweeps);
        page.push_str(&super::tradeoff::tradeoff_svg(&curves, &marks));
        page.push_str("</figure>");
        let verdicts = super::tradeoff::verdicts(&curves);
        let _ = write!(
        page,
        "<p>On the test window, {}. Each curve is one baseline family with its target swept (its cheapest setting at each number of SLO-violation minutes); <code>aws-tuned</code> is the AWS setting chosen on the train window, the one savings are stated against.</p>",
        if verdicts.is_empty() {
            "no baseline family dominates another: their curves cross".to_string()
        } else {
            verdicts
                .iter()
                .map(|(a, b)| {
                    format!(
                        "<code>{}</code> dominates <code>{}</code>",
                        escape(a),
                        escape(b)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
    );

        page.push_str("<h2>Comparison</h2><p class=\"hint\">Click a column to sort by it. θ accuracy, τ timeshare and jitter follow the SPEC Research Group's elasticity definitions against the oracle's demand; the oracle has perfect foresight, the same provisioning delay and the least capacity within the SLO in every interval: the cost floor.</p>");
        comparison_table(report, &mut page);
        let n = notes(report);
        if !n.is_empty() {
            page.push_str("<ul class=\"notes\">");
            for line in n {
                let _ = write!(page, "<li>{}</li>", prose(&line));
            }
            page.push_str("</ul>");
        }
    }
    guard_tables(report, &mut page);
    component_table(report, &mut page);

    page.push_str("<p class=\"hint\">Timelines: drag across a chart to zoom (every chart of the endpoint follows), double-click to reset, click a legend entry to show or hide its series. Times are UTC.</p>");
    for (ti, t) in s.targets.iter().enumerate() {
        let _ = write!(
            page,
            "<section class=\"endpoint\" id=\"endpoint-{ti}\"><h2>Endpoint <code>{}</code> ({}, ${} per hour)</h2><div class=\"traffic\"></div><h3>Instances in service, per contender, against the oracle's demand</h3><div class=\"multiples\"></div><h3>p99 latency</h3><div class=\"latency\"></div><h3>Cumulative cost</h3><div class=\"cost\"></div></section>",
            escape(&t.name),
            escape(&t.fleet.instance_type),
            t.fleet.price_per_hour
        );
    }
    let json = serde_json::to_string(&data(s, c))
        .unwrap_or_else(|_| "{}".into())
        .replace("</", "<\\/");
    let _ = writeln!(
        page,
        "<script type=\"application/json\" id=\"report-data\">{json}</script><script>{UPLOT_JS}</script><script>{REPORT_JS}</script></body></html>"
    );
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downsampling_averages_and_keeps_gaps() {
        let v = [1.0, 3.0, f64::NAN, f64::NAN, 5.0];
        assert_eq!(downsample(&v, 2), vec![Some(2.0), None, Some(5.0)]);
    }

    #[test]
    fn prose_turns_code_spans_into_code_and_escapes_the_rest() {
        assert_eq!(prose("a `b<c>` & d"), "a <code>b&lt;c&gt;</code> &amp; d");
    }
}
