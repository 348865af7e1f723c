//! A self-contained HTML page with SVG charts: traffic, capacity per policy against the
//! oracle's demand, p99 latency, and cumulative cost.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::super::compare::{Comparison, Kind};
use super::super::scenario::Scenario;
use super::{table, Report};

const POINTS: usize = 1200;
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Average `v` into at most `POINTS` buckets, as (hours since start, value).
fn downsample(v: &[f64], step_s: f64) -> Vec<(f64, f64)> {
    let per = v.len().div_ceil(POINTS).max(1);
    v.chunks(per)
        .enumerate()
        .map(|(i, c)| {
            let finite: Vec<f64> = c.iter().copied().filter(|x| x.is_finite()).collect();
            let mean = if finite.is_empty() {
                f64::NAN
            } else {
                finite.iter().sum::<f64>() / finite.len() as f64
            };
            ((i * per) as f64 * step_s / 3600.0, mean)
        })
        .collect()
}

struct Line {
    label: String,
    color: RGBColor,
    dashed: bool,
    points: Vec<(f64, f64)>,
}

fn chart(title: &str, y_desc: &str, lines: &[Line], y_max_cap: Option<f64>) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 320)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let x_max = lines
            .iter()
            .flat_map(|l| l.points.last().map(|p| p.0))
            .fold(1e-9, f64::max);
        let mut y_max = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .filter(|y| y.is_finite())
            .fold(1e-9, f64::max)
            * 1.05;
        if let Some(cap) = y_max_cap {
            y_max = y_max.min(cap);
        }
        let Ok(mut c) = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
        else {
            return svg_error(title);
        };
        let _ = c
            .configure_mesh()
            .x_desc("hours from start")
            .y_desc(y_desc)
            .light_line_style(WHITE.mix(0.0))
            .draw();
        for l in lines {
            let style = ShapeStyle {
                color: l.color.to_rgba(),
                filled: false,
                stroke_width: if l.dashed { 1 } else { 2 },
            };
            // NaN (no traffic) breaks the line rather than dropping it to zero.
            let mut segments: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for &(x, y) in &l.points {
                if y.is_finite() {
                    if let Some(s) = segments.last_mut() {
                        s.push((x, y.min(y_max)));
                    }
                } else if segments.last().is_some_and(|s| !s.is_empty()) {
                    segments.push(Vec::new());
                }
            }
            let color = l.color;
            let mut first = true;
            for seg in segments.into_iter().filter(|s| !s.is_empty()) {
                if let Ok(drawn) = c.draw_series(LineSeries::new(seg, style)) {
                    if first {
                        drawn.label(l.label.clone()).legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                        });
                        first = false;
                    }
                }
            }
        }
        let _ = c
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw();
        let _ = root.present();
    }
    svg
}

fn svg_error(title: &str) -> String {
    format!("<p>chart `{}` could not be drawn</p>", escape(title))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The HTML page.
#[must_use]
pub fn html(s: &Scenario, c: &Comparison, report: &Report) -> String {
    let step = f64::from(s.trace.step.0);
    let mut page = String::new();
    let _ = write!(
        page,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title><style>body{{font-family:sans-serif;max-width:1040px;margin:2em auto;color:#222}}pre{{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}}h2{{margin-top:2em}}</style></head><body><h1>{t}</h1><p>{d}</p>",
        t = escape(&report.scenario),
        d = escape(&report.description)
    );
    let _ = write!(page, "<pre>{}</pre>", escape(&table(report)));
    // The headline picture: each baseline family's trade-off curve and every contender.
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
    page.push_str("<h2>Cost against SLO-violation minutes</h2>");
    let curves = super::tradeoff::family_curves(&c.sweeps);
    page.push_str(&super::tradeoff::tradeoff_svg(&curves, &marks));
    let verdicts = super::tradeoff::verdicts(&curves);
    let _ = write!(
        page,
        "<p>On the test window, {}.</p>",
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
    page.push_str("<p>Each curve is one baseline family with its target swept (its cheapest setting at each number of SLO-violation minutes); <code>aws-tuned</code> is the AWS setting chosen on the train window, the one savings are stated against.</p>");
    page.push_str("<p>The oracle has perfect foresight, the same provisioning delay, and the least capacity within the SLO in every interval: the cost floor. Elasticity metrics (θ accuracy, τ timeshare, jitter) follow the SPEC Research Group definitions against the oracle's demand curve.</p>");
    for (ti, t) in s.targets.iter().enumerate() {
        let _ = write!(
            page,
            "<h2>Endpoint <code>{}</code> ({}, {} per hour)</h2>",
            escape(&t.name),
            escape(&t.fleet.instance_type),
            t.fleet.price_per_hour
        );
        let traffic: Vec<f64> = s.arrivals(t).iter().map(|x| x / step).collect();
        page.push_str(&chart(
            "Traffic",
            "requests / s",
            &[Line {
                label: "arrivals".into(),
                color: PALETTE[0],
                dashed: false,
                points: downsample(&traffic, step),
            }],
            None,
        ));

        let mut capacity = Vec::new();
        let mut latency = Vec::new();
        let mut spend = Vec::new();
        // The compared policies, aws-tuned and the oracle: the other baselines are in the table
        // and the trade-off chart.
        for (k, con) in c
            .contenders
            .iter()
            .filter(|con| matches!(con.kind, Kind::Policy | Kind::AwsTuned | Kind::Oracle))
            .enumerate()
        {
            let Some(run) = con.runs.iter().find(|r| r.target == t.name) else {
                continue;
            };
            let color = PALETTE[k % PALETTE.len()];
            let dashed = con.kind == Kind::Oracle;
            let cap: Vec<f64> = run.in_service.iter().map(|&x| f64::from(x)).collect();
            capacity.push(Line {
                label: con.name.clone(),
                color,
                dashed,
                points: downsample(&cap, step),
            });
            let p99: Vec<f64> = run.p99_ms.iter().map(|&x| f64::from(x)).collect();
            latency.push(Line {
                label: con.name.clone(),
                color,
                dashed,
                points: downsample(&p99, step),
            });
            // Cumulative cost, scaled so it ends at the run's billed total (launch and drain
            // time included).
            let total_cost = run.acc.cost_usd(run.price_per_hour);
            let served: f64 = cap.iter().sum::<f64>().max(1e-9);
            let mut acc = 0.0;
            let cum: Vec<f64> = cap
                .iter()
                .map(|x| {
                    acc += x / served * total_cost;
                    acc
                })
                .collect();
            spend.push(Line {
                label: con.name.clone(),
                color,
                dashed,
                points: downsample(&cum, step),
            });
        }
        let demand: Vec<f64> = c.demand[ti].iter().map(|&x| f64::from(x)).collect();
        capacity.push(Line {
            label: "demand (least within SLO)".into(),
            color: BLACK,
            dashed: true,
            points: downsample(&demand, step),
        });
        page.push_str(&chart("Instances in service", "instances", &capacity, None));
        let hours = s.trace.len() as f64 * step / 3600.0;
        let slo_ms = t.slo.latency_s * 1000.0;
        latency.push(Line {
            label: "SLO".into(),
            color: BLACK,
            dashed: true,
            points: vec![(0.0, slo_ms), (hours, slo_ms)],
        });
        page.push_str(&chart(
            "p99 latency (capped at 5 × SLO)",
            "ms",
            &latency,
            Some(5.0 * slo_ms),
        ));
        page.push_str(&chart("Cumulative cost", "USD", &spend, None));
    }
    page.push_str("</body></html>\n");
    page
}
