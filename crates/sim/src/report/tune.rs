//! What `tune` prints and draws: the winner, the trade-off curve (cost against SLO-violation
//! minutes) and every candidate.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::super::tune::{Candidate, TuneReport};

fn values(c: &Candidate) -> String {
    c.values
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The terminal summary: the AWS reference, the winner, and the trade-off curve.
#[must_use]
pub fn tune_table(r: &TuneReport) -> String {
    let mut s = String::new();
    let ran = r.candidates.len();
    let failed = r.candidates.iter().filter(|c| c.error.is_some()).count();
    let _ = writeln!(
        s,
        "{}: {ran} of {} candidates ({failed} invalid); SLO budget {:.0} minutes",
        r.scenario, r.grid_size, r.max_slo_minutes
    );
    let _ = writeln!(
        s,
        "aws-target-tracking: ${:.2}, {:.0} SLO-violation minutes",
        r.aws_cost_usd, r.aws_slo_violation_minutes
    );
    match r.best() {
        Some(b) => {
            let _ = writeln!(
                s,
                "best: ${:.2} ({:+.1}% against AWS), {:.0} SLO-violation minutes, {:.0} failed: {}",
                b.cost_usd,
                (b.cost_usd / r.aws_cost_usd - 1.0) * 100.0,
                b.slo_violation_minutes,
                b.failed_requests,
                values(b)
            );
        }
        None => {
            let _ = writeln!(s, "best: no candidate kept the SLO budget");
        }
    }
    let _ = writeln!(
        s,
        "trade-off curve (no candidate is both cheaper and better):"
    );
    let _ = writeln!(s, "  cost $   SLO-viol min  values");
    for c in r.pareto() {
        let _ = writeln!(
            s,
            "  {:>7.2}  {:>12.0}  {}",
            c.cost_usd,
            c.slo_violation_minutes,
            values(c)
        );
    }
    if let Some(c) = r.candidates.iter().find(|c| c.error.is_some()) {
        let _ = writeln!(
            s,
            "first invalid candidate ({}): {}",
            values(c),
            c.error.as_deref().unwrap_or_default()
        );
    }
    s
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn scatter(r: &TuneReport) -> String {
    let ok: Vec<&Candidate> = r.candidates.iter().filter(|c| c.error.is_none()).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 480)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let x_max = ok
            .iter()
            .map(|c| c.cost_usd)
            .chain([r.aws_cost_usd])
            .fold(1e-9, f64::max)
            * 1.05;
        let x_min = ok
            .iter()
            .map(|c| c.cost_usd)
            .chain([r.aws_cost_usd])
            .fold(f64::INFINITY, f64::min)
            * 0.95;
        let y_max = ok
            .iter()
            .map(|c| c.slo_violation_minutes)
            .chain([r.aws_slo_violation_minutes, r.max_slo_minutes])
            .fold(1.0, f64::max)
            * 1.05;
        let Ok(mut chart) = ChartBuilder::on(&root)
            .caption("cost against SLO-violation minutes", ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(x_min..x_max, 0f64..y_max)
        else {
            return "<p>chart could not be drawn</p>".into();
        };
        let _ = chart
            .configure_mesh()
            .x_desc("cost, USD")
            .y_desc("SLO-violation minutes")
            .draw();
        let grey = RGBColor(150, 150, 150);
        if let Ok(d) = chart.draw_series(
            ok.iter()
                .map(|c| Circle::new((c.cost_usd, c.slo_violation_minutes), 3, grey.filled())),
        ) {
            d.label("candidate")
                .legend(move |(x, y)| Circle::new((x, y), 3, grey.filled()));
        }
        let blue = RGBColor(31, 119, 180);
        let front: Vec<(f64, f64)> = r
            .pareto()
            .iter()
            .map(|c| (c.cost_usd, c.slo_violation_minutes))
            .collect();
        if let Ok(d) = chart.draw_series(LineSeries::new(front, blue.stroke_width(2))) {
            d.label("trade-off curve")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue));
        }
        let red = RGBColor(214, 39, 40);
        if let Ok(d) = chart.draw_series([Cross::new(
            (r.aws_cost_usd, r.aws_slo_violation_minutes),
            6,
            red.stroke_width(2),
        )]) {
            d.label("AWS target tracking")
                .legend(move |(x, y)| Cross::new((x, y), 4, red));
        }
        if let Some(b) = r.best() {
            let green = RGBColor(44, 160, 44);
            if let Ok(d) = chart.draw_series([Circle::new(
                (b.cost_usd, b.slo_violation_minutes),
                7,
                green.stroke_width(3),
            )]) {
                d.label("best within the SLO budget")
                    .legend(move |(x, y)| Circle::new((x, y), 4, green.stroke_width(2)));
            }
        }
        let _ = chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw();
        let _ = root.present();
    }
    svg
}

/// A self-contained HTML page: the summary, the scatter of every candidate with the trade-off
/// curve, and a table of all candidates.
#[must_use]
pub fn tune_html(r: &TuneReport) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>sagescale tune: {}</title>\
         <style>body{{font-family:sans-serif;max-width:1040px;margin:auto}}\
         table{{border-collapse:collapse}}td,th{{padding:2px 8px;text-align:right}}\
         pre{{background:#f6f6f6;padding:8px}}</style></head><body><h1>sagescale tune: {}</h1>\
         <pre>{}</pre>{}<h2>Every candidate</h2><table><tr><th>grid index</th><th>cost $</th>\
         <th>SLO-violation minutes</th><th>failed</th><th style=\"text-align:left\">values</th></tr>",
        escape(&r.scenario),
        escape(&r.scenario),
        escape(&tune_table(r)),
        scatter(r)
    );
    for c in &r.candidates {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{:.2}</td><td>{:.0}</td><td>{:.0}</td><td style=\"text-align:left\">{}{}</td></tr>",
            c.index,
            c.cost_usd,
            c.slo_violation_minutes,
            c.failed_requests,
            escape(&values(c)),
            c.error
                .as_ref()
                .map(|e| format!(" (invalid: {})", escape(e)))
                .unwrap_or_default()
        );
    }
    s.push_str("</table></body></html>\n");
    s
}
