//! A measured series that is not a count, such as a model-quality metric exported from
//! CloudWatch: a CSV of `time,value` rows (optionally gzip-compressed). Rows are points in
//! time, not counts per step: a gap stays a gap, and nothing is summed.

use std::path::Path;

use super::csv_table::read_table;
use super::{attach, parse_timestamp, read_maybe_gzip, At, TraceError};
use sagescale_engine::Timestamp;

/// Read `time,value` points, in increasing time. The first column is the time, the second
/// the value; an empty value is a missing datapoint and is skipped.
pub fn read_values(path: &Path) -> Result<Vec<(Timestamp, f64)>, TraceError> {
    let attach = attach(path);
    let bytes = read_maybe_gzip(path).map_err(attach)?;
    let table = read_table(&bytes).map_err(attach)?;
    if table.headers.len() < 2 {
        return Err(attach(At::new(
            Some(1),
            None,
            "expected two columns: a time and a value",
        )));
    }
    let (time_col, value_col) = (table.headers[0].clone(), table.headers[1].clone());
    let mut out: Vec<(Timestamp, f64)> = Vec::with_capacity(table.rows.len());
    for (line, rec) in &table.rows {
        let t = parse_timestamp(rec.get(0).unwrap_or_default())
            .map_err(|e| attach(At::new(Some(*line), Some(&time_col), e)))?;
        let cell = rec.get(1).unwrap_or_default();
        if cell.is_empty() {
            continue;
        }
        let v: f64 = cell
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| {
                attach(At::new(
                    Some(*line),
                    Some(&value_col),
                    format!("`{cell}` is not a number"),
                ))
            })?;
        if out.last().is_some_and(|&(last, _)| t <= last) {
            return Err(attach(At::new(
                Some(*line),
                Some(&time_col),
                "times must increase",
            )));
        }
        out.push((t, v));
    }
    if out.is_empty() {
        return Err(attach(At::whole("the file holds no values")));
    }
    Ok(out)
}

/// The value in force over each interval `[start + i·dt, start + (i+1)·dt)`, `len` of them:
/// the newest point at or before the interval's start, held until the next point and, after
/// the last, for one median spacing; NaN where there is none.
#[must_use]
pub fn sample(points: &[(Timestamp, f64)], start: Timestamp, dt: u32, len: usize) -> Vec<f64> {
    if points.is_empty() {
        return vec![f64::NAN; len];
    }
    let mut gaps: Vec<i64> = points.windows(2).map(|w| w[1].0 .0 - w[0].0 .0).collect();
    gaps.sort_unstable();
    let hold = gaps.get(gaps.len() / 2).copied().unwrap_or(i64::from(dt));
    let mut out = Vec::with_capacity(len);
    let mut k = 0;
    for i in 0..len {
        let t = start.0 + i as i64 * i64::from(dt);
        while k + 1 < points.len() && points[k + 1].0 .0 <= t {
            k += 1;
        }
        let (at, v) = points[k];
        let last = k + 1 == points.len();
        out.push(if at.0 <= t && (!last || t - at.0 < hold) {
            v
        } else {
            f64::NAN
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_hold_until_the_next_point_and_a_spacing_past_the_last() {
        let p = [
            (Timestamp(0), 0.1),
            (Timestamp(3600), 0.3),
            (Timestamp(7200), 0.2),
        ];
        let s = sample(&p, Timestamp(-60), 1800, 7);
        assert!(s[0].is_nan(), "before the first point");
        assert_eq!(&s[1..6], &[0.1, 0.1, 0.3, 0.3, 0.2]);
        // -60 + 6·1800 = 10740: 3540 s after the last point, within one spacing (3600).
        assert_eq!(s[6], 0.2);
        assert!(sample(&p, Timestamp(10_800), 60, 1)[0].is_nan());
    }

    #[test]
    fn bad_rows_name_their_line_and_column() {
        let dir = std::env::temp_dir().join(format!("sagescale-values-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("q.csv");
        std::fs::write(
            &f,
            "time,drift\n2026-01-01 00:00:00,0.1\n2026-01-01 01:00:00,high\n",
        )
        .unwrap();
        let e = read_values(&f).unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (Some(3), Some("drift")));
        std::fs::write(
            &f,
            "time,drift\n2026-01-01 01:00:00,0.1\n2026-01-01 00:00:00,0.2\n",
        )
        .unwrap();
        assert!(read_values(&f).unwrap_err().message.contains("increase"));
        std::fs::write(
            &f,
            "time,drift\n2026-01-01 00:00:00,\n2026-01-01 01:00:00,0.4\n",
        )
        .unwrap();
        assert_eq!(
            read_values(&f).unwrap(),
            vec![(Timestamp(1_767_229_200), 0.4)]
        );
    }
}
