//! The output of `aws cloudwatch get-metric-data`: one series per result.

use serde::Deserialize;

use super::{parse_timestamp, At, Series, Trace};
use sagescale_engine::{Seconds, Timestamp};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Export {
    metric_data_results: Vec<Result_>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Result_ {
    id: String,
    #[serde(default)]
    label: Option<String>,
    timestamps: Vec<String>,
    values: Vec<f64>,
}

pub(super) fn parse(bytes: &[u8]) -> Result<Trace, At> {
    let export: Export = serde_json::from_slice(bytes).map_err(|e| {
        At::new(
            Some(e.line() as u64),
            Some(&e.column().to_string()),
            format!("not a GetMetricData export: {e}"),
        )
    })?;
    let mut points: Vec<(String, Vec<(Timestamp, f64)>)> = Vec::new();
    for r in export.metric_data_results {
        if r.timestamps.len() != r.values.len() {
            return Err(At::whole(format!(
                "result `{}` has {} timestamps but {} values",
                r.id,
                r.timestamps.len(),
                r.values.len()
            )));
        }
        let mut pts = Vec::with_capacity(r.values.len());
        for (t, v) in r.timestamps.iter().zip(&r.values) {
            let ts =
                parse_timestamp(t).map_err(|e| At::whole(format!("result `{}`: {e}", r.id)))?;
            pts.push((ts, *v));
        }
        pts.sort_by_key(|p| p.0);
        points.push((r.label.filter(|l| !l.is_empty()).unwrap_or(r.id), pts));
    }
    let all: Vec<Timestamp> = points
        .iter()
        .flat_map(|(_, p)| p.iter().map(|x| x.0))
        .collect();
    let (Some(&first), Some(&last)) = (all.iter().min(), all.iter().max()) else {
        return Err(At::whole("the export holds no datapoints"));
    };
    let step = points
        .iter()
        .flat_map(|(_, p)| p.windows(2).map(|w| w[1].0 .0 - w[0].0 .0))
        .filter(|&d| d > 0)
        .min()
        .unwrap_or(60);
    let len = super::intervals(first, last, step)?;
    let mut series = Vec::new();
    for (name, pts) in points {
        // A period CloudWatch returned nothing for had no invocations.
        let mut counts = vec![0.0; len];
        for (t, v) in pts {
            if (t.0 - first.0) % step != 0 {
                return Err(At::whole(format!(
                    "series `{name}`: timestamp {t} is off the {step}-second grid"
                )));
            }
            counts[usize::try_from((t.0 - first.0) / step).unwrap_or(0)] = v;
        }
        series.push(Series { name, counts });
    }
    Ok(Trace {
        start: first,
        step: Seconds(u32::try_from(step).unwrap_or(60)),
        series,
        lead_in: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_export_newest_first_with_gaps() {
        let json = br#"{"MetricDataResults":[{"Id":"m1","Label":"Invocations","Timestamps":["2024-05-10T00:03:00Z","2024-05-10T00:01:00Z","2024-05-10T00:00:00Z"],"Values":[7,5,3],"StatusCode":"Complete"}],"Messages":[]}"#;
        let t = parse(json).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(t.series[0].name, "Invocations");
        assert_eq!(t.series[0].counts, vec![3.0, 5.0, 0.0, 7.0]);
        let e = parse(b"{\n  \"MetricDataResults\": [ {\"Id\": 3} ]\n}")
            .err()
            .unwrap();
        assert_eq!(e.line, Some(2));
    }
}
