//! Recorded traffic: request counts per fixed interval, one or more series.
//!
//! Formats (all optionally gzip-compressed, detected by content):
//! - `csv`: a timestamp column and one count column per series, or a `series_column`
//!   naming the series of each row (long form);
//! - per-request logs: one timestamp per row, aggregated into `step`-second counts;
//! - `wide`: one row per series, one column per minute (`minute_1`, ..., the Azure Functions
//!   2019 layout);
//! - `cloudwatch-json`: the output of `aws cloudwatch get-metric-data`.

mod cloudwatch_json;
mod csv_table;
mod timestamp;
mod values;
mod wide;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use sagescale_engine::{Seconds, Timestamp};
pub use timestamp::parse_timestamp;
pub use values::{read_values, sample};

/// One series of request counts, one per step.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Name (column, series value, or CloudWatch label).
    pub name: String,
    /// Requests in each step.
    pub counts: Vec<f64>,
}

/// A trace: series sharing a start and a step.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// Start of the first step.
    pub start: Timestamp,
    /// Length of one step.
    pub step: Seconds,
    /// The series, in file order.
    pub series: Vec<Series>,
    /// Per series, the steps just before `from` that a run replays unscored (up to
    /// [`LEAD_IN_S`], as many as the file holds): every contender enters the window warm, as a
    /// daemon deployed on a live endpoint does. Empty without `from`.
    pub lead_in: Vec<Vec<f64>>,
}

/// Seconds of the trace before a window's start that runs replay first, unscored: a week,
/// the history a forecast reads by default (`seasonal_days`, `history_days`). A daemon
/// deployed on a live endpoint reads that history from CloudWatch at its first cycle, so a
/// run must hold it too for its forecasts to start where the daemon's do.
pub const LEAD_IN_S: u32 = 7 * 86_400;

impl Trace {
    /// Number of steps.
    #[must_use]
    pub fn len(&self) -> usize {
        self.series.first().map_or(0, |s| s.counts.len())
    }

    /// Whether the trace has no steps.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The series called `name`.
    #[must_use]
    pub fn series(&self, name: &str) -> Option<&Series> {
        self.series.iter().find(|s| s.name == name)
    }
}

/// A trace file format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TraceFormat {
    /// Decide from the content: JSON is a CloudWatch export, `minute_N` columns are wide,
    /// irregular timestamps are a per-request log, anything else is a counts table.
    #[default]
    Auto,
    /// Timestamp plus count column(s), or long form with a series column.
    Csv,
    /// One timestamp per request.
    Requests,
    /// One row per series, one column per minute.
    Wide,
    /// `aws cloudwatch get-metric-data` output.
    CloudwatchJson,
}

/// How to read and transform a trace.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceOptions {
    /// The trace file, relative to the scenario file (in scenario files).
    #[serde(default)]
    pub path: Option<String>,
    /// File format. Default `auto`.
    #[serde(default)]
    pub format: TraceFormat,
    /// Timestamp column. Default: the first column.
    #[serde(default)]
    pub timestamp_column: Option<String>,
    /// Count columns to read, one series each. Default: every other numeric column.
    #[serde(default)]
    pub count_columns: Option<Vec<String>>,
    /// Long form: the column naming each row's series.
    #[serde(default)]
    pub series_column: Option<String>,
    /// Step in seconds for per-request logs (default 60) and wide files (default 60).
    #[serde(default)]
    pub step: Option<u32>,
    /// Start of a wide file's first column (it has no timestamps). Default 1970-01-01T00:00:00Z.
    #[serde(default)]
    pub start: Option<String>,
    /// Keep only steps at or after this time (before shifting).
    #[serde(default)]
    pub from: Option<String>,
    /// Keep only steps before this time (before shifting).
    #[serde(default)]
    pub until: Option<String>,
    /// Seconds added to every timestamp.
    #[serde(default)]
    pub shift_seconds: Option<i64>,
    /// Multiply every count by this. Default 1.
    #[serde(default)]
    pub scale: Option<f64>,
    /// Replay this many times faster: the step shrinks by this factor. Default 1.
    #[serde(default)]
    pub speedup: Option<u32>,
}

/// A problem reading a trace: the file, where in it, and what.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct TraceError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, where known.
    pub line: Option<u64>,
    /// Column name or 1-based position, where known.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ": column `{c}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Where an error was found, before the file name is attached.
pub(crate) struct At {
    pub line: Option<u64>,
    pub column: Option<String>,
    pub message: String,
}

impl At {
    pub(crate) fn new(line: Option<u64>, column: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            line,
            column: column.map(str::to_string),
            message: message.into(),
        }
    }

    pub(crate) fn whole(message: impl Into<String>) -> Self {
        Self::new(None, None, message)
    }
}

/// The most intervals a trace may span: 20 M (160 MB per series), 38 years of minutes or
/// seven months of seconds. More is a typo in a timestamp far more often than real traffic,
/// and allocating it would abort the process instead of reporting the file.
pub const MAX_INTERVALS: i64 = 20_000_000;

/// The intervals of `step` seconds from `first` to `last`, both included, or an error that
/// names the span when it exceeds [`MAX_INTERVALS`].
pub(crate) fn intervals(first: Timestamp, last: Timestamp, step: i64) -> Result<usize, At> {
    let step = step.max(1);
    let n = (last.0 - first.0).max(0) / step + 1;
    if n > MAX_INTERVALS {
        return Err(At::whole(format!(
            "the trace runs from {first} to {last}: {n} intervals of {step} s, more than the {MAX_INTERVALS} a trace may span; check the timestamps (a wrong year?) or read it with a longer step"
        )));
    }
    usize::try_from(n).map_err(|_| At::whole("the trace's span does not fit this machine"))
}

/// Turns a position in `path` into the error that names the file.
fn attach(path: &Path) -> impl Fn(At) -> TraceError + Copy + '_ {
    move |at: At| TraceError {
        file: path.to_path_buf(),
        line: at.line,
        column: at.column,
        message: at.message,
    }
}

/// Read a trace file, with its options, and apply the transforms.
pub fn read(path: &Path, options: &TraceOptions) -> Result<Trace, TraceError> {
    let attach = attach(path);
    let bytes = read_maybe_gzip(path).map_err(attach)?;
    let trace = parse(&bytes, options).map_err(attach)?;
    transform(trace, options).map_err(attach)
}

fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>, At> {
    let raw = std::fs::read(path).map_err(|e| At::whole(format!("cannot read: {e}")))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| At::whole(format!("not valid gzip: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Parse trace bytes (already decompressed).
pub(crate) fn parse(bytes: &[u8], options: &TraceOptions) -> Result<Trace, At> {
    let format = match options.format {
        TraceFormat::Auto => detect(bytes),
        f => f,
    };
    let trace = match format {
        TraceFormat::CloudwatchJson => cloudwatch_json::parse(bytes)?,
        TraceFormat::Wide => wide::parse(bytes, options)?,
        TraceFormat::Csv => csv_table::parse(bytes, options, false)?,
        TraceFormat::Requests => csv_table::parse(bytes, options, true)?,
        TraceFormat::Auto => csv_table::parse_auto(bytes, options)?,
    };
    if trace.is_empty() || trace.series.is_empty() {
        return Err(At::whole("the trace holds no data"));
    }
    Ok(trace)
}

fn detect(bytes: &[u8]) -> TraceFormat {
    let head = bytes
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes, |n| &bytes[..n]);
    let text = String::from_utf8_lossy(head);
    if text.trim_start().starts_with('{') {
        TraceFormat::CloudwatchJson
    } else if text.split(',').any(|c| c.trim().starts_with("minute_")) {
        TraceFormat::Wide
    } else {
        TraceFormat::Auto
    }
}

fn transform(mut trace: Trace, o: &TraceOptions) -> Result<Trace, At> {
    let bound = |field: &str, v: &Option<String>| -> Result<Option<Timestamp>, At> {
        v.as_deref()
            .map(|t| parse_timestamp(t).map_err(|e| At::whole(format!("{field}: {e}"))))
            .transpose()
    };
    let from = bound("from", &o.from)?;
    let until = bound("until", &o.until)?;
    let step = i64::from(trace.step.0);
    let first = from.map_or(0, |f| {
        usize::try_from((f.0 - trace.start.0).div_euclid(step).max(0)).unwrap_or(0)
    });
    let last = until.map_or(trace.len(), |u| {
        usize::try_from(((u.0 - trace.start.0) + step - 1).div_euclid(step).max(0))
            .unwrap_or(0)
            .min(trace.len())
    });
    if first >= last {
        return Err(At::whole("`from`/`until` leave no data in the trace"));
    }
    let lead = first.min((LEAD_IN_S / trace.step.0.max(1)) as usize);
    trace.lead_in = trace
        .series
        .iter()
        .map(|s| s.counts[first - lead..first].to_vec())
        .collect();
    for s in &mut trace.series {
        s.counts.truncate(last);
        s.counts.drain(..first);
    }
    trace.start = Timestamp(trace.start.0 + step * i64::try_from(first).unwrap_or(0));
    if let Some(scale) = o.scale {
        if !(scale.is_finite() && scale > 0.0) {
            return Err(At::whole(format!("scale {scale} must be a number above 0")));
        }
        for s in &mut trace.series {
            for c in &mut s.counts {
                *c *= scale;
            }
        }
        for c in trace.lead_in.iter_mut().flatten() {
            *c *= scale;
        }
    }
    if let Some(speedup) = o.speedup {
        if speedup == 0 || !trace.step.0.is_multiple_of(speedup) {
            return Err(At::whole(format!(
                "speedup {speedup} must divide the trace's step of {} s",
                trace.step.0
            )));
        }
        trace.step = Seconds(trace.step.0 / speedup);
    }
    trace.start = Timestamp(trace.start.0 + o.shift_seconds.unwrap_or(0));
    Ok(trace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lead_in_is_at_most_a_week_and_empty_without_a_start() {
        let mut text = String::from("t,count\n");
        for m in 0..10 * 1440 {
            text += &format!(
                "1970-01-{:02} {:02}:{:02}:00,{m}\n",
                m / 1440 + 1,
                m / 60 % 24,
                m % 60
            );
        }
        let t = parse(text.as_bytes(), &TraceOptions::default())
            .unwrap_or_else(|e| panic!("{}", e.message));
        // Nine days in: the week before.
        let from_day_10 = TraceOptions {
            from: Some("1970-01-10T00:00:00Z".into()),
            ..TraceOptions::default()
        };
        let cut = transform(t.clone(), &from_day_10).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(cut.lead_in[0].len(), 7 * 1440);
        assert_eq!(cut.lead_in[0].first(), Some(&(2.0 * 1440.0)));
        assert_eq!(cut.lead_in[0].last(), Some(&(9.0 * 1440.0 - 1.0)));
        assert_eq!(cut.series[0].counts[0], 9.0 * 1440.0);
        // Half a day into the trace: the lead-in is what the file holds.
        let noon = TraceOptions {
            from: Some("1970-01-01T12:00:00Z".into()),
            ..TraceOptions::default()
        };
        let cut = transform(t.clone(), &noon).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(cut.lead_in[0].len(), 720);
        let whole =
            transform(t, &TraceOptions::default()).unwrap_or_else(|e| panic!("{}", e.message));
        assert!(whole.lead_in.iter().all(Vec::is_empty));
    }

    #[test]
    fn transforms_cut_scale_speed_up_and_shift() {
        let t = parse(b"t,count\n1970-01-01 00:00:00,1\n1970-01-01 00:01:00,2\n1970-01-01 00:02:00,3\n1970-01-01 00:03:00,4\n", &TraceOptions::default()).unwrap_or_else(|e| panic!("{}", e.message));
        let o = TraceOptions {
            from: Some("1970-01-01T00:01:00Z".into()),
            until: Some("1970-01-01T00:03:00Z".into()),
            scale: Some(10.0),
            speedup: Some(2),
            shift_seconds: Some(1000),
            ..TraceOptions::default()
        };
        let t = transform(t, &o).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(t.series[0].counts, vec![20.0, 30.0]);
        // The step before `from` is kept as the lead-in, scaled like the rest.
        assert_eq!(t.lead_in, vec![vec![10.0]]);
        assert_eq!(t.step, Seconds(30));
        assert_eq!(t.start, Timestamp(1060));
        let bad = TraceOptions {
            speedup: Some(7),
            ..TraceOptions::default()
        };
        let t2 = parse(
            b"t,count\n1970-01-01 00:00:00,1\n1970-01-01 00:01:00,2\n",
            &TraceOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{}", e.message));
        assert!(transform(t2, &bad).is_err());
    }
}
