//! Wide files: one row per series, one column per minute (`minute_1`, `minute_2`, ...), as
//! the Azure Functions 2019 trace is laid out.

use super::csv_table::read_table;
use super::{parse_timestamp, At, Series, Trace, TraceOptions};
use sagescale_engine::{Seconds, Timestamp};

pub(super) fn parse(bytes: &[u8], o: &TraceOptions) -> Result<Trace, At> {
    let t = read_table(bytes)?;
    let is_minute = |h: &String| h.starts_with("minute_");
    let value_cols: Vec<usize> = (0..t.headers.len())
        .filter(|&i| is_minute(&t.headers[i]))
        .collect();
    let id_col = (0..t.headers.len())
        .rev()
        .find(|&i| !is_minute(&t.headers[i]));
    if value_cols.is_empty() {
        return Err(At::new(
            Some(1),
            None,
            "a wide file needs minute_1, minute_2, ... columns",
        ));
    }
    let start = match &o.start {
        Some(s) => parse_timestamp(s).map_err(|e| At::whole(format!("start: {e}")))?,
        None => Timestamp(0),
    };
    let mut series = Vec::with_capacity(t.rows.len());
    for (line, rec) in &t.rows {
        // Ids such as Azure's 64-hex hashes are long: their first 12 characters name a series.
        let name = id_col
            .and_then(|c| rec.get(c))
            .map_or_else(|| format!("row{line}"), |s| s.chars().take(12).collect());
        let mut counts = Vec::with_capacity(value_cols.len());
        for &c in &value_cols {
            let text = rec.get(c).unwrap_or_default();
            let v: f64 = text
                .parse()
                .ok()
                .filter(|v: &f64| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    At::new(
                        Some(*line),
                        Some(&t.headers[c]),
                        format!("`{text}` is not a count >= 0"),
                    )
                })?;
            counts.push(v);
        }
        series.push(Series { name, counts });
    }
    Ok(Trace {
        start,
        step: Seconds(o.step.unwrap_or(60)),
        series,
        lead_in: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_series_per_row() {
        let t = parse(
            b"HashFunction,minute_1,minute_2\nabcdef0123456789,1,0\nzz,3,4\n",
            &TraceOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(t.series.len(), 2);
        assert_eq!(t.series[0].name, "abcdef012345");
        assert_eq!(t.series[1].counts, vec![3.0, 4.0]);
        let e = parse(b"f,minute_1\na,x\n", &TraceOptions::default())
            .err()
            .unwrap();
        assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("minute_1")));
    }
}
