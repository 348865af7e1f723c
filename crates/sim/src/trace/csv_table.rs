//! Counts tables (one or many count columns, or long form with a series column) and
//! per-request logs.

use super::{parse_timestamp, At, Series, Trace, TraceOptions};
use sagescale_engine::{Seconds, Timestamp};

/// A CSV file: its header, and each record with its line.
pub(super) struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(u64, csv::StringRecord)>,
}

/// Read a CSV file with a header, keeping each record's line for errors.
pub(super) fn read_table(bytes: &[u8]) -> Result<Table, At> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers: Vec<String> = r
        .headers()
        .map_err(|e| At::new(Some(1), None, format!("cannot read the header: {e}")))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(csv::Position::line);
            At::new(line, None, format!("malformed CSV: {e}"))
        })?;
        let line = rec.position().map_or(0, csv::Position::line);
        rows.push((line, rec));
    }
    if rows.is_empty() {
        return Err(At::new(Some(1), None, "the file has a header but no rows"));
    }
    Ok(Table { headers, rows })
}

fn column(t: &Table, name: &str) -> Result<usize, At> {
    t.headers.iter().position(|h| h == name).ok_or_else(|| {
        At::new(
            Some(1),
            Some(name),
            format!("no such column; the header has: {}", t.headers.join(", ")),
        )
    })
}

fn timestamps(t: &Table, o: &TraceOptions) -> Result<(usize, Vec<Timestamp>), At> {
    let ts_col = match &o.timestamp_column {
        Some(name) => column(t, name)?,
        None => 0,
    };
    let name = t.headers.get(ts_col).cloned().unwrap_or_default();
    let stamps = t
        .rows
        .iter()
        .map(|(line, rec)| {
            parse_timestamp(rec.get(ts_col).unwrap_or_default())
                .map_err(|e| At::new(Some(*line), Some(&name), e))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((ts_col, stamps))
}

/// The step, if timestamps increase strictly on a grid of one step that they fill at least
/// half of. A counts table fills its grid; a request log either repeats seconds (busy) or
/// leaves most of a one-second grid empty (quiet).
fn regular(stamps: &[Timestamp]) -> Option<i64> {
    let step = stamps
        .windows(2)
        .map(|w| w[1].0 - w[0].0)
        .filter(|&d| d > 0)
        .min()?;
    let on_grid = stamps.windows(2).all(|w| {
        let d = w[1].0 - w[0].0;
        d > 0 && d % step == 0
    });
    let slots = (stamps[stamps.len() - 1].0 - stamps[0].0) / step + 1;
    (on_grid && stamps.len() as i64 * 2 >= slots).then_some(step)
}

/// Counts if the timestamps are regular (or the file is long form), a per-request log if not.
pub(super) fn parse_auto(bytes: &[u8], o: &TraceOptions) -> Result<Trace, At> {
    let t = read_table(bytes)?;
    let (ts_col, stamps) = timestamps(&t, o)?;
    let requests = o.series_column.is_none() && stamps.len() > 1 && regular(&stamps).is_none();
    build(&t, o, ts_col, &stamps, requests)
}

pub(super) fn parse(bytes: &[u8], o: &TraceOptions, requests: bool) -> Result<Trace, At> {
    let t = read_table(bytes)?;
    let (ts_col, stamps) = timestamps(&t, o)?;
    build(&t, o, ts_col, &stamps, requests)
}

fn build(
    t: &Table,
    o: &TraceOptions,
    ts_col: usize,
    stamps: &[Timestamp],
    requests: bool,
) -> Result<Trace, At> {
    if requests {
        return aggregate_requests(stamps, o);
    }
    if let Some(sc) = &o.series_column {
        return long_form(t, o, ts_col, column(t, sc)?, stamps);
    }
    let cols: Vec<usize> = match &o.count_columns {
        Some(names) => names
            .iter()
            .map(|n| column(t, n))
            .collect::<Result<_, _>>()?,
        None => (0..t.headers.len()).filter(|&c| c != ts_col).collect(),
    };
    if cols.is_empty() {
        return Err(At::new(
            Some(1),
            None,
            "no count column: expected a timestamp column and at least one count column",
        ));
    }
    let step = match regular(stamps) {
        Some(s) => s,
        None if stamps.len() == 1 => 60,
        None => {
            let bad = stamps
                .windows(2)
                .position(|w| w[1] <= w[0])
                .map_or(t.rows[1].0, |i| t.rows[i + 1].0);
            return Err(At::new(Some(bad), t.headers.get(ts_col).map(String::as_str), "timestamps must increase on a fixed step (or set format = \"requests\" for one row per request)"));
        }
    };
    let start = stamps[0];
    let len = super::intervals(start, stamps[stamps.len() - 1], step)?;
    let mut series: Vec<Series> = cols
        .iter()
        .map(|&c| Series {
            name: t.headers[c].clone(),
            counts: vec![0.0; len],
        })
        .collect();
    for ((line, rec), ts) in t.rows.iter().zip(stamps) {
        let idx = usize::try_from((ts.0 - start.0) / step).unwrap_or(0);
        for (s, &c) in series.iter_mut().zip(&cols) {
            s.counts[idx] = count(rec.get(c), *line, &t.headers[c])?;
        }
    }
    Ok(Trace {
        start,
        step: seconds(step)?,
        series,
        lead_in: Vec::new(),
    })
}

fn count(cell: Option<&str>, line: u64, col: &str) -> Result<f64, At> {
    let text = cell.unwrap_or_default();
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(v) => Err(At::new(
            Some(line),
            Some(col),
            format!("count {v} must be a finite number >= 0"),
        )),
        Err(_) if text.is_empty() => Err(At::new(Some(line), Some(col), "missing count")),
        Err(_) => Err(At::new(
            Some(line),
            Some(col),
            format!("`{text}` is not a number"),
        )),
    }
}

fn seconds(step: i64) -> Result<Seconds, At> {
    u32::try_from(step)
        .map(Seconds)
        .map_err(|_| At::whole(format!("step of {step} s is too long")))
}

fn long_form(
    t: &Table,
    o: &TraceOptions,
    ts_col: usize,
    sc: usize,
    stamps: &[Timestamp],
) -> Result<Trace, At> {
    let count_col = match &o.count_columns {
        Some(names) if names.len() == 1 => column(t, &names[0])?,
        Some(_) => return Err(At::whole("long form takes exactly one count column")),
        None => (0..t.headers.len())
            .find(|&c| c != ts_col && c != sc)
            .ok_or_else(|| At::new(Some(1), None, "no count column"))?,
    };
    let mut distinct: Vec<Timestamp> = stamps.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let step = if distinct.len() > 1 {
        regular(&distinct).unwrap_or(60)
    } else {
        60
    };
    let start = distinct[0];
    let len = super::intervals(start, distinct[distinct.len() - 1], step)?;
    let mut series: Vec<Series> = Vec::new();
    for ((line, rec), ts) in t.rows.iter().zip(stamps) {
        if (ts.0 - start.0) % step != 0 {
            return Err(At::new(
                Some(*line),
                t.headers.get(ts_col).map(String::as_str),
                format!("timestamp is off the {step}-second grid"),
            ));
        }
        let name = rec.get(sc).unwrap_or_default();
        let idx = usize::try_from((ts.0 - start.0) / step).unwrap_or(0);
        let value = count(rec.get(count_col), *line, &t.headers[count_col])?;
        match series.iter_mut().find(|s| s.name == name) {
            Some(s) => s.counts[idx] += value,
            None => {
                let mut counts = vec![0.0; len];
                counts[idx] = value;
                series.push(Series {
                    name: name.to_string(),
                    counts,
                });
            }
        }
    }
    Ok(Trace {
        start,
        step: seconds(step)?,
        series,
        lead_in: Vec::new(),
    })
}

fn aggregate_requests(stamps: &[Timestamp], o: &TraceOptions) -> Result<Trace, At> {
    let step = i64::from(o.step.unwrap_or(60).max(1));
    let first = stamps.iter().min().copied().unwrap_or_default();
    let last = stamps.iter().max().copied().unwrap_or_default();
    let start = Timestamp(first.0.div_euclid(step) * step);
    let len = super::intervals(start, last, step)?;
    let mut counts = vec![0.0; len];
    for ts in stamps {
        counts[usize::try_from((ts.0 - start.0) / step).unwrap_or(0)] += 1.0;
    }
    Ok(Trace {
        start,
        step: seconds(step)?,
        series: vec![Series {
            name: "requests".into(),
            counts,
        }],
        lead_in: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str, o: &TraceOptions) -> Trace {
        parse_auto(text.as_bytes(), o)
            .unwrap_or_else(|e| panic!("{:?} {:?} {}", e.line, e.column, e.message))
    }

    #[test]
    fn counts_with_one_or_many_columns_and_gaps() {
        let t = ok(
            "period,count\n1998-04-30 21:30:00,2\n1998-04-30 21:31:00,11\n1998-04-30 21:33:00,5\n",
            &TraceOptions::default(),
        );
        assert_eq!(
            (t.step, t.series[0].counts.clone()),
            (Seconds(60), vec![2.0, 11.0, 0.0, 5.0])
        );
        let t = ok("time,a,b\n0,1,2\n10,3,4\n", &TraceOptions::default());
        assert_eq!(t.step, Seconds(10));
        assert_eq!(
            t.series.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(t.series[1].counts, vec![2.0, 4.0]);
    }

    #[test]
    fn long_form_splits_by_series_column() {
        let o = TraceOptions {
            series_column: Some("model".into()),
            ..TraceOptions::default()
        };
        let t = ok("ts,model,n\n0,x,1\n0,y,2\n60,x,3\n", &o);
        assert_eq!(t.series.len(), 2);
        assert_eq!(t.series[0].counts, vec![1.0, 3.0]);
        assert_eq!(t.series[1].counts, vec![2.0, 0.0]);
    }

    #[test]
    fn irregular_timestamps_are_a_request_log() {
        let t = ok("TIMESTAMP,ContextTokens\n2023-11-16 18:17:03.97,4808\n2023-11-16 18:17:04.03,3180\n2023-11-16 18:18:30.00,1\n", &TraceOptions::default());
        assert_eq!(t.series[0].counts, vec![2.0, 1.0]);
        assert_eq!(t.start, parse_timestamp("2023-11-16 18:17:00").unwrap());
    }

    #[test]
    fn bad_cells_name_line_and_column() {
        let e = parse_auto(b"t,count\n0,1\n60,lots\n", &TraceOptions::default())
            .err()
            .unwrap();
        assert_eq!((e.line, e.column.as_deref()), (Some(3), Some("count")));
        assert!(e.message.contains("`lots` is not a number"));
        let e = parse_auto(b"t,count\n0,1\nnot-a-time,2\n", &TraceOptions::default())
            .err()
            .unwrap();
        assert_eq!((e.line, e.column.as_deref()), (Some(3), Some("t")));
        let e = parse(b"t,count\n0,1\n60,-4\n", &TraceOptions::default(), false)
            .err()
            .unwrap();
        assert!(e.message.contains(">= 0"));
        let o = TraceOptions {
            count_columns: Some(vec!["nope".into()]),
            ..TraceOptions::default()
        };
        let e = parse(b"t,count\n0,1\n", &o, false).err().unwrap();
        assert_eq!(e.column.as_deref(), Some("nope"));
        let e = parse(
            b"t,count\n0,1\n30,2\n20,1\n",
            &TraceOptions::default(),
            false,
        )
        .err()
        .unwrap();
        assert_eq!(e.line, Some(4));
    }
}
