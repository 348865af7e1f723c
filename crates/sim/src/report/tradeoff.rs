//! The trade-off picture: cost against SLO-violation minutes on the test window, one curve per
//! baseline family (its target swept) and one mark per contender. Which family dominates which
//! is `dominance`.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::super::baseline_search::Sweep;
use super::super::tune::pareto;

/// A family's points (cost USD, SLO-violation minutes), summed over the endpoints at the same
/// multiple of each endpoint's default target.
#[must_use]
pub fn family_curves(sweeps: &[Sweep]) -> Vec<(String, Vec<(f64, f64)>)> {
    let mut out: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for w in sweeps {
        let pts: Vec<(f64, f64)> = w
            .points
            .iter()
            .map(|p| (p.cost_usd, p.slo_violation_minutes))
            .collect();
        match out.iter_mut().find(|(f, _)| *f == w.family) {
            Some((_, acc)) if acc.len() == pts.len() => {
                for (a, p) in acc.iter_mut().zip(pts) {
                    a.0 += p.0;
                    a.1 += p.1;
                }
            }
            Some(_) => {}
            None => out.push((w.family.clone(), pts)),
        }
    }
    out
}

/// The cheapest cost at which `front` (a trade-off curve) reaches `budget` SLO minutes.
fn cheapest_within(front: &[(f64, f64)], budget: f64) -> Option<f64> {
    front
        .iter()
        .filter(|p| p.1 <= budget + 1e-9)
        .map(|p| p.0)
        .fold(None, |m, c| Some(m.map_or(c, |m: f64| m.min(c))))
}

/// Whether curve `a` dominates curve `b`: at every SLO budget both reach (each point of either
/// curve's SLO minutes, from the larger of their two least), `a` is no dearer, and somewhere
/// cheaper.
#[must_use]
pub fn dominates(a: &[(f64, f64)], b: &[(f64, f64)]) -> bool {
    let fa: Vec<(f64, f64)> = pareto(a.iter(), |p| *p).into_iter().copied().collect();
    let fb: Vec<(f64, f64)> = pareto(b.iter(), |p| *p).into_iter().copied().collect();
    let least = |f: &[(f64, f64)]| f.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let from = least(&fa).max(least(&fb));
    if !from.is_finite() {
        return false;
    }
    let mut strictly = false;
    for budget in fa.iter().chain(&fb).map(|p| p.1).filter(|&m| m >= from) {
        match (cheapest_within(&fa, budget), cheapest_within(&fb, budget)) {
            (Some(x), Some(y)) if x <= y + 1e-9 => strictly |= x < y - 1e-9,
            (Some(_), Some(_)) => return false,
            _ => {}
        }
    }
    strictly
}

/// Every ordered pair `(a, b)` of `curves` where `a` dominates `b`.
#[must_use]
pub fn verdicts(curves: &[(String, Vec<(f64, f64)>)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (a, pa) in curves {
        for (b, pb) in curves {
            if a != b && dominates(pa, pb) {
                out.push((a.clone(), b.clone()));
            }
        }
    }
    out
}

/// The families' colours, in curve order.
const PALETTE: [RGBColor; 6] = [
    RGBColor(214, 39, 40),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// Draw each family's trade-off curve (its points' Pareto front, clipped to the frame
/// `x_max` × `y_max`) on `chart`, labelled with the family's name and `suffix`; with `dots`,
/// each point of the front marked too. The simulate and tune charts share it.
pub fn draw_curves<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    curves: &[(String, Vec<(f64, f64)>)],
    (x_max, y_max): (f64, f64),
    suffix: &str,
    dots: bool,
) {
    for (k, (name, points)) in curves.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let front: Vec<(f64, f64)> = pareto(points.iter(), |p| *p)
            .into_iter()
            .copied()
            .filter(|&(x, y)| x <= x_max && y <= y_max)
            .collect();
        if let Ok(d) = chart.draw_series(LineSeries::new(front.clone(), colour.stroke_width(1))) {
            d.label(format!("{name}{suffix}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
        }
        if dots {
            let _ = chart.draw_series(
                front
                    .into_iter()
                    .map(|p| Circle::new(p, 2, colour.filled())),
            );
        }
    }
}

/// The SVG: each family's curve, and each contender as a labelled mark.
#[must_use]
pub fn tradeoff_svg(curves: &[(String, Vec<(f64, f64)>)], marks: &[(String, f64, f64)]) -> String {
    let fronts: Vec<(&str, Vec<(f64, f64)>)> = curves
        .iter()
        .map(|(n, pts)| {
            (
                n.as_str(),
                pareto(pts.iter(), |p| *p).into_iter().copied().collect(),
            )
        })
        .collect();
    // Frame the contenders: SLO minutes up to three times the worst mark's (a curve's cheap,
    // SLO-breaking settings run off the top rather than squash every mark onto the axis), and
    // costs from the cheapest point in that frame to 1.3 times the dearest mark.
    let mark_max = marks.iter().map(|m| m.1).fold(1e-9, f64::max);
    let x_max = mark_max * 1.3;
    let y_max = (marks.iter().map(|m| m.2).fold(0.0, f64::max) * 3.0).max(10.0);
    let x_min = marks
        .iter()
        .map(|m| m.1)
        .chain(
            fronts
                .iter()
                .flat_map(|(_, f)| f.iter().filter(|p| p.1 <= y_max).map(|p| p.0)),
        )
        .fold(f64::INFINITY, f64::min)
        * 0.9;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1000, 520)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let Ok(mut chart) = ChartBuilder::on(&root)
            .caption(
                "Test window: cost against SLO-violation minutes (lower left is better)",
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(60)
            .build_cartesian_2d(x_min.min(x_max * 0.5)..x_max, 0f64..y_max)
        else {
            return "<p>the trade-off chart could not be drawn</p>".into();
        };
        let _ = chart
            .configure_mesh()
            .x_desc("cost, USD")
            .y_desc("SLO-violation minutes")
            .draw();
        draw_curves(&mut chart, curves, (x_max, y_max), " (target swept)", true);
        for (name, cost, slo) in marks {
            let _ = chart.draw_series([
                Circle::new((*cost, *slo), 5, BLACK.stroke_width(2)).into_dyn(),
                Text::new(name.clone(), (*cost, *slo), ("sans-serif", 11)).into_dyn(),
            ]);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_curve_dominates_when_no_dearer_at_every_shared_budget() {
        let a = [(10.0, 5.0), (12.0, 2.0), (15.0, 0.0)];
        let b = [(11.0, 5.0), (13.0, 2.0), (16.0, 0.0)];
        assert!(dominates(&a, &b));
        assert!(!dominates(&b, &a));
        // Crossing curves: neither.
        let c = [(9.0, 5.0), (14.0, 2.0)];
        assert!(!dominates(&a, &c) && !dominates(&c, &a));
        // Only the budgets both reach count: b's 0-minute point is beyond c's reach.
        let d = [(12.0, 6.0), (20.0, 3.0)];
        assert!(dominates(&b, &d));
        assert!(!dominates(&a, &a), "not strictly cheaper anywhere");
    }
}
