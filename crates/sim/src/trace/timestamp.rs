//! Timestamps as traces write them, read as UTC.

use chrono::{DateTime, NaiveDateTime};

use sagescale_engine::Timestamp;

/// Parse `YYYY-MM-DD HH:MM:SS[.fff]`, `YYYY-MM-DDTHH:MM:SS[.fff]` (UTC), RFC 3339 with an
/// offset, or whole Unix seconds. Fractions of a second are dropped.
pub fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<i64>() {
        return Ok(Timestamp(secs));
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(Timestamp(d.timestamp()));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(Timestamp(n.and_utc().timestamp()));
        }
    }
    Err(format!(
        "`{t}` is not a timestamp (YYYY-MM-DD HH:MM:SS, RFC 3339 or Unix seconds)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_traces_use() {
        assert_eq!(parse_timestamp("1970-01-01 00:01:00"), Ok(Timestamp(60)));
        assert_eq!(
            parse_timestamp("2023-11-16 18:17:03.9799600").map(|t| t.0 % 60),
            Ok(3)
        );
        assert_eq!(
            parse_timestamp("1970-01-01T01:00:00+01:00"),
            Ok(Timestamp(0))
        );
        assert_eq!(parse_timestamp("1970-01-01T00:00:10"), Ok(Timestamp(10)));
        assert_eq!(parse_timestamp("120"), Ok(Timestamp(120)));
        assert!(parse_timestamp("yesterday").is_err());
    }
}
