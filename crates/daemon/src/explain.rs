//! `sagescale explain TARGET`: a target's recent decisions, told from the decision log.

use std::fmt::Write as _;

use super::decision_log::{read, Outcome, ReadRecord};

/// The story of `target` from the log `text`: its last `last` records, oldest first. `Err`
/// says why there is no story (naming the targets the log does know).
pub fn story(text: &str, target: &str, last: usize) -> Result<String, String> {
    let (records, bad) = read(text);
    let mine: Vec<&ReadRecord> = records.iter().filter(|r| r.target == target).collect();
    if mine.is_empty() {
        let mut known: Vec<&str> = records.iter().map(|r| r.target.as_str()).collect();
        known.sort_unstable();
        known.dedup();
        return Err(if known.is_empty() {
            "the decision log has no records yet".to_string()
        } else {
            format!(
                "no decisions for target `{target}` in the log; it has: {}",
                known.join(", ")
            )
        });
    }
    let mut s = String::new();
    let skip = mine.len().saturating_sub(last.max(1));
    if skip > 0 {
        let _ = writeln!(s, "({skip} earlier records not shown)");
    }
    for r in &mine[skip..] {
        let mode = if r.dry_run { " [dry-run]" } else { "" };
        let token = r
            .fencing_token
            .map(|t| format!(" [lease {t}]"))
            .unwrap_or_default();
        match &r.error {
            Some(e) => {
                let _ = writeln!(s, "{}{mode}{token}  error: {e}", r.time);
            }
            None => {
                let mut lines = r.explanation.lines();
                let _ = writeln!(
                    s,
                    "{}{mode}{token}  {}",
                    r.time,
                    lines.next().unwrap_or_default()
                );
                for l in lines {
                    let _ = writeln!(s, "    {l}");
                }
            }
        }
        for c in &r.calls {
            let what = match c.outcome {
                Outcome::Ok => format!("ok after {} attempt(s)", c.attempts),
                Outcome::DryRun => "not made (dry-run)".to_string(),
                Outcome::Suspended => "not made (actuation suspended)".to_string(),
                Outcome::Fenced => "REFUSED: the leader lease was lost".to_string(),
                Outcome::Failed => format!(
                    "FAILED after {} attempt(s): {}",
                    c.attempts,
                    c.error.as_deref().unwrap_or("")
                ),
            };
            let args = if c.weights.is_empty() {
                format!("min={} max={}", c.min, c.max)
            } else {
                c.weights
                    .iter()
                    .map(|w| format!("{}={}", w.variant, w.weight))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let _ = writeln!(s, "    -> {} {args} ({}): {what}", c.operation, c.purpose);
        }
    }
    if !bad.is_empty() {
        let _ = writeln!(
            s,
            "({} unreadable line(s) skipped, e.g. line {}: a record torn by a crash)",
            bad.len(),
            bad[0]
        );
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_one_targets_story_with_its_calls_and_skips_torn_lines() {
        let log = concat!(
            r#"{"time":"2026-11-25T10:00:00Z","target":"a","dry_run":false,"explanation":"a: hold at 2","calls":[]}"#,
            "\n",
            r#"{"time":"2026-11-25T10:01:00Z","target":"b","dry_run":false,"explanation":"b: hold at 1","calls":[]}"#,
            "\n",
            r#"{"time":"2026-11-25T10:02:00Z","target":"a","dry_run":false,"fencing_token":7,"explanation":"a: scale out 2 -> 4 by policy `tt`\n  tt: above","calls":[{"service":"application_autoscaling","operation":"RegisterScalableTarget","purpose":"scale_out","min":4,"max":10,"outcome":"ok","attempts":2}]}"#,
            "\n",
            r#"{"time":"2026-11-25T10:0"#,
            "\n",
        );
        let s = story(log, "a", 10).unwrap();
        assert!(s.contains("10:00:00Z  a: hold at 2"), "{s}");
        assert!(
            s.contains("10:02:00Z [lease 7]  a: scale out 2 -> 4"),
            "{s}"
        );
        assert!(s.contains("    tt: above"), "{s}");
        assert!(
            s.contains("RegisterScalableTarget min=4 max=10 (scale_out): ok after 2 attempt(s)"),
            "{s}"
        );
        assert!(!s.contains("b: hold"), "{s}");
        assert!(
            s.contains("1 unreadable line(s) skipped, e.g. line 4"),
            "{s}"
        );
        let last = story(log, "a", 1).unwrap();
        assert!(last.starts_with("(1 earlier records not shown)"), "{last}");
        assert_eq!(
            story(log, "zzz", 5).unwrap_err(),
            "no decisions for target `zzz` in the log; it has: a, b"
        );
    }
}
