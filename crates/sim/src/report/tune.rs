//! What `tune` prints and draws: the winner, the trade-off curve (cost against SLO-violation
//! minutes) and every candidate.

use std::fmt::Write as _;

use plotters::prelude::*;

use super::super::tune::{Candidate, Scores, TuneReport};

fn values(c: &Candidate) -> String {
    c.values
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The terminal summary: the windows, AWS at its defaults and tuned, the winner with its train
/// and test figures, and the trade-off curve on the test window.
#[must_use]
pub fn tune_table(r: &TuneReport) -> String {
    let mut s = String::new();
    let ran = r.candidates.len();
    let failed = r.candidates.iter().filter(|c| c.error.is_some()).count();
    let e = &r.evaluation;
    let _ = writeln!(
        s,
        "{}: {ran} of {} candidates ({failed} invalid)",
        r.scenario, r.grid_size
    );
    let _ = if e.in_sample {
        writeln!(
            s,
            "IN-SAMPLE: no train window, so candidates are chosen and scored on the same window (give --train and --test, or `[evaluation] train` in the scenario)"
        )
    } else {
        writeln!(
            s,
            "chosen on the train window {} within {:.0} SLO-violation minutes; every figure quoted is the test window's, {}",
            e.train.as_deref().unwrap_or("-"),
            r.max_slo_minutes,
            e.test.as_deref().unwrap_or("the rest of the trace")
        )
    };
    if let Some(n) = &e.note {
        let _ = writeln!(s, "{n}");
    }
    let _ = writeln!(
        s,
        "  {:<50} {:>9} {:>9} {:>9} {:>9}",
        "", "train $", "train SLO", "test $", "test SLO"
    );
    let row = |s: &mut String, name: &str, train: &Scores, test: &Scores| {
        let _ = writeln!(
            s,
            "  {:<50} {:>9.2} {:>9.0} {:>9.2} {:>9.0}",
            name,
            train.cost_usd,
            train.slo_violation_minutes,
            test.cost_usd,
            test.slo_violation_minutes
        );
    };
    row(
        &mut s,
        "aws-target-tracking (defaults)",
        &r.aws.train,
        &r.aws.test,
    );
    let chosen = r
        .aws_tuned
        .chosen
        .iter()
        .map(|(_, f, x)| format!("{f} at {x}"))
        .collect::<Vec<_>>()
        .join(", ");
    row(
        &mut s,
        &format!("aws-tuned ({chosen})"),
        &r.aws_tuned.train,
        &r.aws_tuned.test,
    );
    match r.best() {
        Some(b) => {
            row(&mut s, "best candidate", &b.train, &b.test);
            let pct = |x: f64, base: f64| (x / base - 1.0) * 100.0;
            let _ = writeln!(
                s,
                "best on the test window: {:+.1}% against aws-tuned at {:.0} against {:.0} SLO-violation minutes ({:+.1}% against AWS's defaults), {:.0} failed: {}",
                pct(b.test.cost_usd, r.aws_tuned.test.cost_usd),
                b.test.slo_violation_minutes,
                r.aws_tuned.test.slo_violation_minutes,
                pct(b.test.cost_usd, r.aws.test.cost_usd),
                b.test.failed_requests,
                values(b)
            );
        }
        None => {
            let _ = writeln!(
                s,
                "best: no candidate kept the SLO budget on the train window"
            );
        }
    }
    let _ = writeln!(
        s,
        "trade-off curve on the test window (no candidate is both cheaper and better there):"
    );
    let _ = writeln!(s, "  test $   test SLO  train $  train SLO  values");
    for c in r.pareto() {
        let _ = writeln!(
            s,
            "  {:>7.2}  {:>9.0}  {:>7.2}  {:>9.0}  {}",
            c.test.cost_usd,
            c.test.slo_violation_minutes,
            c.train.cost_usd,
            c.train.slo_violation_minutes,
            values(c)
        );
    }
    let _ = writeln!(
        s,
        "on the test window, {}",
        if r.dominance.is_empty() {
            "no family dominates another: their curves cross".to_string()
        } else {
            r.dominance
                .iter()
                .map(|(a, b)| format!("{a} dominates {b}"))
                .collect::<Vec<_>>()
                .join("; ")
        }
    );
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
            .map(|c| c.test.cost_usd)
            .chain([r.aws.test.cost_usd, r.aws_tuned.test.cost_usd])
            .fold(1e-9, f64::max)
            * 1.05;
        let x_min = ok
            .iter()
            .map(|c| c.test.cost_usd)
            .chain([r.aws.test.cost_usd, r.aws_tuned.test.cost_usd])
            .fold(f64::INFINITY, f64::min)
            * 0.95;
        let y_max = ok
            .iter()
            .map(|c| c.test.slo_violation_minutes)
            .chain([
                r.aws.test.slo_violation_minutes,
                r.aws_tuned.test.slo_violation_minutes,
            ])
            .fold(1.0, f64::max)
            * 1.05;
        let Ok(mut chart) = ChartBuilder::on(&root)
            .caption(
                "test window: cost against SLO-violation minutes",
                ("sans-serif", 18),
            )
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
        if let Ok(d) = chart.draw_series(ok.iter().map(|c| {
            Circle::new(
                (c.test.cost_usd, c.test.slo_violation_minutes),
                3,
                grey.filled(),
            )
        })) {
            d.label("candidate")
                .legend(move |(x, y)| Circle::new((x, y), 3, grey.filled()));
        }
        let blue = RGBColor(31, 119, 180);
        let front: Vec<(f64, f64)> = r
            .pareto()
            .iter()
            .map(|c| (c.test.cost_usd, c.test.slo_violation_minutes))
            .collect();
        if let Ok(d) = chart.draw_series(LineSeries::new(front, blue.stroke_width(2))) {
            d.label("the template's trade-off curve")
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue));
        }
        // The baseline families' curves on the test window, summed over endpoints.
        super::tradeoff::draw_curves(
            &mut chart,
            &super::tradeoff::family_curves(&r.baseline_sweeps),
            (x_max, y_max),
            "",
            false,
        );
        let red = RGBColor(214, 39, 40);
        if let Ok(d) = chart.draw_series([Cross::new(
            (r.aws.test.cost_usd, r.aws.test.slo_violation_minutes),
            6,
            red.stroke_width(2),
        )]) {
            d.label("AWS target tracking, defaults")
                .legend(move |(x, y)| Cross::new((x, y), 4, red));
        }
        if let Ok(d) = chart.draw_series([TriangleMarker::new(
            (
                r.aws_tuned.test.cost_usd,
                r.aws_tuned.test.slo_violation_minutes,
            ),
            7,
            red.filled(),
        )]) {
            d.label("aws-tuned")
                .legend(move |(x, y)| TriangleMarker::new((x, y), 4, red.filled()));
        }
        if let Some(b) = r.best() {
            let green = RGBColor(44, 160, 44);
            if let Ok(d) = chart.draw_series([Circle::new(
                (b.test.cost_usd, b.test.slo_violation_minutes),
                7,
                green.stroke_width(3),
            )]) {
                d.label("chosen on the train window")
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
         <pre>{}</pre>{}<h2>Every candidate</h2><table><tr><th>grid index</th><th>train $</th>\
         <th>train SLO min</th><th>test $</th><th>test SLO min</th><th>test failed</th>\
         <th style=\"text-align:left\">values</th></tr>",
        escape(&r.scenario),
        escape(&r.scenario),
        escape(&tune_table(r)),
        scatter(r)
    );
    for c in &r.candidates {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{:.2}</td><td>{:.0}</td><td>{:.2}</td><td>{:.0}</td><td>{:.0}</td><td style=\"text-align:left\">{}{}</td></tr>",
            c.index,
            c.train.cost_usd,
            c.train.slo_violation_minutes,
            c.test.cost_usd,
            c.test.slo_violation_minutes,
            c.test.failed_requests,
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
