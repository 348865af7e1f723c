//! Schedule expressions as Application Auto Scaling writes them: `at(...)`, `rate(...)` and
//! `cron(...)` (AWS's 6 fields, or the usual 5), read in an IANA time zone.

use chrono::{DateTime, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds as CronSeconds, Year};

use sagescale_engine::schedule::{CronTrigger, Trigger};
use sagescale_engine::{Seconds, Timestamp};

/// Parse a time zone name.
pub fn timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!("unknown time zone `{name}`: use an IANA name such as `Europe/Berlin` or `UTC`")
    })
}

/// Parse a point in time: RFC 3339 with an offset, or `yyyy-mm-ddThh:mm:ss` in `tz`.
pub fn instant(text: &str, tz: Tz) -> Result<Timestamp, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(Timestamp(t.timestamp()));
    }
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .map_err(|_| format!("`{text}` is not a time: expected yyyy-mm-ddThh:mm:ss or RFC 3339"))?;
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => Ok(Timestamp(t.timestamp())),
        // A repeated wall-clock hour: the first of the two, as AWS resolves it.
        chrono::LocalResult::Ambiguous(first, _) => Ok(Timestamp(first.timestamp())),
        chrono::LocalResult::None => Err(format!(
            "`{text}` does not exist in {tz}: the clocks skip it"
        )),
    }
}

/// Parse a schedule expression. `start` anchors `rate(...)`.
pub fn parse(expr: &str, tz: Tz, start: Option<Timestamp>) -> Result<Trigger, String> {
    let expr = expr.trim();
    let inner = |prefix: &str| {
        expr.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(')'))
            .map(str::trim)
    };
    if let Some(at) = inner("at(") {
        return Ok(Trigger::At(instant(at, tz)?));
    }
    if let Some(rate) = inner("rate(") {
        return Ok(Trigger::Rate {
            every: rate_seconds(rate)?,
            anchor: start.unwrap_or_default(),
        });
    }
    if let Some(cron) = inner("cron(") {
        return cron_trigger(cron, tz).map(|c| Trigger::Cron(Box::new(c)));
    }
    Err(format!(
        "`{expr}` is not a schedule: expected at(...), rate(...) or cron(...)"
    ))
}

fn rate_seconds(text: &str) -> Result<Seconds, String> {
    let mut parts = text.split_whitespace();
    let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "`rate({text})`: expected rate(N minutes|hours|days)"
        ));
    };
    let n: u32 = n
        .parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("`rate({text})`: N must be a whole number above 0"))?;
    let unit_s = match unit {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        _ => {
            return Err(format!(
                "`rate({text})`: the unit is minutes, hours or days"
            ))
        }
    };
    n.checked_mul(unit_s)
        .map(Seconds)
        .ok_or_else(|| format!("`rate({text})` is too long"))
}

fn cron_trigger(fields: &str, tz: Tz) -> Result<CronTrigger, String> {
    let parts: Vec<&str> = fields.split_whitespace().collect();
    let cron = match parts.len() {
        // AWS: minutes hours day-of-month month day-of-week year, weekdays 1-7 = SUN-SAT, and
        // exactly one of the two day fields is `?`.
        6 => {
            if (parts[2] == "?") == (parts[4] == "?") {
                return Err(format!(
                    "`cron({fields})`: in AWS's 6-field form exactly one of day-of-month and day-of-week must be `?`"
                ));
            }
            CronParser::builder()
                .seconds(CronSeconds::Required)
                .year(Year::Required)
                .alternative_weekdays(true)
                .build()
                .parse(&format!("0 {fields}"))
        }
        5 => CronParser::builder()
            .seconds(CronSeconds::Disallowed)
            .year(Year::Disallowed)
            .build()
            .parse(fields),
        n => {
            return Err(format!(
                "`cron({fields})` has {n} fields: expected 6 (AWS: min hour day-of-month month day-of-week year) or 5 (min hour day-of-month month day-of-week)"
            ))
        }
    }
    .map_err(|e| {
        // croner says "Number out of bounds" without saying where: find the field.
        out_of_range(&parts).map_or_else(
            || format!("`cron({fields})`: {e}"),
            |why| format!("`cron({fields})`: {why}"),
        )
    })?;
    Ok(CronTrigger {
        cron,
        text: format!("cron({fields})"),
        tz,
    })
}

/// The first number outside its field's range, in words: "the hours field has 25: hours run
/// 0-23". AWS's six fields (min hour day-of-month month day-of-week year, weekdays 1-7 from
/// Sunday), or the five POSIX ones (weekdays 0-7).
fn out_of_range(parts: &[&str]) -> Option<String> {
    let ranges: &[(&str, u32, u32)] = if parts.len() == 6 {
        &[
            ("minutes", 0, 59),
            ("hours", 0, 23),
            ("day-of-month", 1, 31),
            ("month", 1, 12),
            ("day-of-week", 1, 7),
            ("year", 1970, 2199),
        ]
    } else {
        &[
            ("minutes", 0, 59),
            ("hours", 0, 23),
            ("day-of-month", 1, 31),
            ("month", 1, 12),
            ("day-of-week", 0, 7),
        ]
    };
    for (field, &(name, lo, hi)) in parts.iter().zip(ranges) {
        // Numbers in lists, ranges and steps: `1,5-9/2`; a step is a count, not a value.
        for item in field.split(',') {
            let (values, _step) = item.split_once('/').unwrap_or((item, ""));
            for v in values.split('-') {
                let v = v
                    .trim_end_matches(['L', 'W'])
                    .split('#')
                    .next()
                    .unwrap_or("");
                if let Ok(n) = v.parse::<u32>() {
                    if n < lo || n > hi {
                        return Some(format!("the {name} field has {n}: {name} run {lo}-{hi}"));
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_out_of_range_cron_field_is_named_with_its_range() {
        let e = parse("cron(0 25 * * ? *)", Tz::UTC, None).unwrap_err();
        assert!(e.contains("the hours field has 25: hours run 0-23"), "{e}");
        let e = parse("cron(61 8 * * ? *)", Tz::UTC, None).unwrap_err();
        assert!(
            e.contains("the minutes field has 61: minutes run 0-59"),
            "{e}"
        );
        let e = parse("cron(0 8 ? * 8 *)", Tz::UTC, None).unwrap_err();
        assert!(
            e.contains("day-of-week field has 8: day-of-week run 1-7"),
            "{e}"
        );
        let e = parse("cron(0 8 1-32 * ? *)", Tz::UTC, None).unwrap_err();
        assert!(e.contains("day-of-month field has 32"), "{e}");
        let e = parse("cron(0 8 * 13 *)", Tz::UTC, None).unwrap_err();
        assert!(e.contains("the month field has 13: month run 1-12"), "{e}");
    }

    fn ts(s: &str) -> Timestamp {
        Timestamp(DateTime::parse_from_rfc3339(s).unwrap().timestamp())
    }

    #[test]
    fn aws_cron_reads_weekdays_one_to_seven_from_sunday() {
        // 08:00 on Mondays (AWS weekday 2), Berlin time.
        let Trigger::Cron(c) = parse(
            "cron(0 8 ? * 2 *)",
            timezone("Europe/Berlin").unwrap(),
            None,
        )
        .unwrap() else {
            panic!()
        };
        let from = chrono_tz::Europe::Berlin
            .with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
            .unwrap(); // a Wednesday
        let next = c.cron.find_next_occurrence(&from, false).unwrap();
        assert_eq!(Timestamp(next.timestamp()), ts("2026-11-30T07:00:00Z"));
    }

    #[test]
    fn five_field_cron_uses_posix_weekdays() {
        let Trigger::Cron(c) = parse("cron(0 8 * * 1)", Tz::UTC, None).unwrap() else {
            panic!()
        };
        let from = Tz::UTC.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        assert_eq!(
            Timestamp(
                c.cron
                    .find_next_occurrence(&from, false)
                    .unwrap()
                    .timestamp()
            ),
            ts("2026-11-30T08:00:00Z")
        );
    }

    #[test]
    fn bad_schedules_say_what_is_wrong() {
        let tz = Tz::UTC;
        assert!(parse("cron(0 8 * * 2 *)", tz, None)
            .unwrap_err()
            .contains("exactly one"));
        assert!(parse("cron(0 8 * *)", tz, None)
            .unwrap_err()
            .contains("4 fields"));
        assert!(parse("cron(99 8 ? * 2 *)", tz, None).is_err());
        assert!(parse("rate(0 minutes)", tz, None).is_err());
        assert!(parse("rate(5 weeks)", tz, None)
            .unwrap_err()
            .contains("unit"));
        assert!(parse("every day", tz, None).is_err());
        assert_eq!(
            parse("rate(5 minutes)", tz, Some(Timestamp(7))).unwrap(),
            Trigger::Rate {
                every: Seconds(300),
                anchor: Timestamp(7)
            }
        );
        assert!(
            instant("2026-03-08T02:30:00", timezone("America/New_York").unwrap())
                .unwrap_err()
                .contains("skip")
        );
        assert!(timezone("Mars/Olympus").is_err());
    }

    #[test]
    fn at_is_read_in_the_time_zone() {
        let t = parse(
            "at(2026-07-01T09:00:00)",
            timezone("Europe/London").unwrap(),
            None,
        )
        .unwrap();
        assert_eq!(t, Trigger::At(ts("2026-07-01T08:00:00Z")));
    }
}
