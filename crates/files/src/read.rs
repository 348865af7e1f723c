//! Reading a TOML or YAML file (or text) through `config`, with a map from field paths to
//! lines, and turning serde's errors into diagnostics at the field they concern.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::diagnostic::{child, Diagnostic};
use crate::locate::SourceMap;

/// A file's format, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.toml`
    Toml,
    /// `.yaml` or `.yml`
    Yaml,
}

impl Format {
    /// The format a path's extension names, if it is TOML or YAML.
    #[must_use]
    pub fn of(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "toml" => Some(Self::Toml),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }
}

/// A file that has been read, with where each of its fields stands.
#[derive(Debug)]
pub struct SourceFile {
    /// The file (or, for text, the name it is reported under).
    pub path: PathBuf,
    /// Field paths to positions.
    pub map: SourceMap,
}

impl SourceFile {
    /// A diagnostic at `path` in this file.
    #[must_use]
    pub fn diagnostic(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        diagnostic_at(&self.path, &self.map, path, message.into())
    }
}

/// A diagnostic at field `path` of `file`, located through `map`.
pub fn diagnostic_at(file: &Path, map: &SourceMap, path: &str, message: String) -> Diagnostic {
    let (line, column) = map.position(path).unzip();
    Diagnostic {
        file: file.to_path_buf(),
        path: path.to_string(),
        line,
        column,
        message,
    }
}

/// A TOML or YAML file parsed through `config`, with its source map.
pub struct Parsed {
    /// The document, as `config` holds it.
    pub root: config::Config,
    /// The file and its source map.
    pub file: SourceFile,
}

/// Read and parse a TOML or YAML file through `config`, mapping its field paths to lines.
/// Problems go to `out`.
pub fn parse_file(path: &Path, out: &mut Vec<Diagnostic>) -> Option<Parsed> {
    let Some(format) = Format::of(path) else {
        out.push(diagnostic_at(
            path,
            &SourceMap::default(),
            "",
            "expected a .toml, .yaml or .yml file".into(),
        ));
        return None;
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            out.push(diagnostic_at(
                path,
                &SourceMap::default(),
                "",
                format!("cannot read file: {e}"),
            ));
            return None;
        }
    };
    parse_text(path, &text, format, out)
}

/// Parse `text` as a `format` document reported under the name `path`, mapping its field
/// paths to lines. Problems go to `out`.
pub fn parse_text(
    path: &Path,
    text: &str,
    format: Format,
    out: &mut Vec<Diagnostic>,
) -> Option<Parsed> {
    let mapped = match format {
        Format::Toml => SourceMap::toml(text),
        Format::Yaml => SourceMap::yaml(text),
    };
    let map = match mapped {
        Ok(m) => m,
        Err(e) => {
            out.push(Diagnostic {
                file: path.to_path_buf(),
                path: String::new(),
                line: e.line,
                column: e.column,
                message: format!("syntax error: {}", e.message),
            });
            return None;
        }
    };
    let file_format = match format {
        Format::Toml => config::FileFormat::Toml,
        Format::Yaml => config::FileFormat::Yaml,
    };
    let parsed = config::Config::builder()
        .add_source(config::File::from_str(text, file_format))
        .build();
    match parsed {
        Ok(root) => Some(Parsed {
            root,
            file: SourceFile {
                path: path.to_path_buf(),
                map,
            },
        }),
        Err(e) => {
            let message = e.to_string();
            let mut d = diagnostic_at(path, &map, "", format!("cannot parse: {message}"));
            if d.line.is_none() && message.contains("overflow") {
                if let Some((line, column)) = overflowing_number(text) {
                    d.line = Some(line);
                    d.column = Some(column);
                }
            }
            out.push(d);
            None
        }
    }
}

/// The first number in `text` too large for its type (an integer beyond i64, a float beyond
/// f64), as 1-based (line, column): the parser behind `config` reports the overflow without
/// saying where.
fn overflowing_number(text: &str) -> Option<(usize, usize)> {
    for (n, line) in text.lines().enumerate() {
        let code = line.split('#').next().unwrap_or_default();
        let bytes = code.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let starts = bytes[i].is_ascii_digit()
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'));
            if !starts {
                i += 1;
                continue;
            }
            let start = if i > 0 && (bytes[i - 1] == b'-' || bytes[i - 1] == b'+') {
                i - 1
            } else {
                i
            };
            let mut end = i;
            while end < bytes.len()
                && (bytes[end].is_ascii_alphanumeric() || b"._+-".contains(&bytes[end]))
            {
                end += 1;
            }
            let token = code[start..end].replace('_', "");
            let float_like = token.contains(['.', 'e', 'E']);
            let overflows = if float_like {
                token.parse::<f64>().is_ok_and(f64::is_infinite)
            } else {
                token
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
                    && token.parse::<i64>().is_err()
            };
            if overflows {
                return Some((n + 1, start + 1));
            }
            i = end;
        }
    }
    None
}

/// Read a whole TOML or YAML document into `T`, with the first structural problem located.
pub fn read_document<T: DeserializeOwned>(
    path: &Path,
    out: &mut Vec<Diagnostic>,
) -> Option<(T, SourceFile)> {
    let Parsed { root, file } = parse_file(path, out)?;
    match serde_path_to_error::deserialize(root) {
        Ok(t) => Some((t, file)),
        Err(e) => {
            out.push(serde_diagnostic(&file, "", e));
            None
        }
    }
}

/// Deserialize `value` into `T`, reporting a failure at its field under `path`.
pub fn typed<T: DeserializeOwned>(
    file: &SourceFile,
    path: &str,
    value: config::Value,
    out: &mut Vec<Diagnostic>,
) -> Option<T> {
    match serde_path_to_error::deserialize(value) {
        Ok(t) => Some(t),
        Err(e) => {
            out.push(serde_diagnostic(file, path, e));
            None
        }
    }
}

/// A deserialization error at its full path; an unknown field is pointed at itself.
pub fn serde_diagnostic(
    file: &SourceFile,
    prefix: &str,
    e: serde_path_to_error::Error<config::ConfigError>,
) -> Diagnostic {
    let inner = e.path().to_string();
    let mut path = match inner.as_str() {
        "." | "" => prefix.to_string(),
        p if p.starts_with('[') => format!("{prefix}{p}"),
        p => child(prefix, p),
    };
    let mut message = clean_message(&e.inner().to_string());
    // A value of the wrong type in an internally tagged enum (a policy's `type = ...`) is
    // reported at the table: find the field by its value.
    if let Some(text) = message
        .strip_prefix("invalid type: string \"")
        .and_then(|rest| rest.split('"').next())
    {
        if let Some(field) = file.map.child_with_string(&path, text) {
            path = field;
        }
        if message.contains("expected f64")
            || message.contains("expected u")
            || message.contains("expected i")
        {
            message = format!(
                "{}: `\"{text}\"` is text; write the number without quotes",
                in_words(&message)
            );
        } else {
            message = in_words(&message);
        }
    } else {
        message = in_words(&message);
    }
    if let Some(field) = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        // serde_path_to_error names the unknown field itself on some paths, not on others.
        let last = path.rsplit(['.', ']']).next().unwrap_or_default();
        if last != field {
            path = child(&path, field);
        }
    }
    let mut d = file.diagnostic(&path, did_you_mean(&message));
    if d.line.is_none() {
        d.line = file.map.position(prefix).map(|p| p.0);
    }
    d
}

/// serde lists what it expected after an unknown field or variant ("unknown field `sede`,
/// expected one of `name`, `seed`, ..."): name the closest, when one is close (Damerau–
/// Levenshtein distance at most a third of the name, at least 1; case ignored).
#[must_use]
pub fn did_you_mean(message: &str) -> String {
    let Some(rest) = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))
    else {
        return message.to_string();
    };
    let Some((given, expected)) = rest.split_once('`') else {
        return message.to_string();
    };
    let given_lower = given.to_lowercase();
    let best = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|c| {
            (
                strsim::damerau_levenshtein(&given_lower, &c.to_lowercase()),
                c,
            )
        })
        .min();
    match best {
        Some((distance, c)) if c != given && distance <= (given.chars().count() / 3).max(1) => {
            format!("{message}; did you mean `{c}`?")
        }
        _ => message.to_string(),
    }
}

/// serde's type names in words: "expected f64" is "expected a number".
#[must_use]
pub fn in_words(message: &str) -> String {
    let mut m = message.to_string();
    for (from, to) in [
        ("expected f64", "expected a number"),
        ("expected f32", "expected a number"),
        ("expected u64", "expected a whole number, 0 or more"),
        ("expected u32", "expected a whole number, 0 or more"),
        ("expected u16", "expected a whole number, 0 or more"),
        ("expected u8", "expected a whole number, 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected a boolean", "expected true or false"),
    ] {
        m = m.replace(from, to);
    }
    m
}

/// `config` appends its own key and origin to serde's message; the diagnostic already says both.
pub fn clean_message(message: &str) -> String {
    let cut = message.find(" for key `").unwrap_or(message.len());
    message[..cut].trim().to_string()
}

#[cfg(test)]
mod did_you_mean_tests {
    use super::did_you_mean;

    #[test]
    fn a_near_miss_gets_its_closest_name() {
        let m = "unknown field `sede`, expected one of `name`, `description`, `seed`, `trace`";
        assert_eq!(did_you_mean(m), format!("{m}; did you mean `seed`?"));
        let v = "unknown variant `target_tracking`, expected one of `target-tracking`, `step`";
        assert!(did_you_mean(v).ends_with("did you mean `target-tracking`?"));
        let case = "unknown variant `invocationsperinstance`, expected one of `InvocationsPerInstance`, `ModelLatency`";
        assert!(did_you_mean(case).ends_with("did you mean `InvocationsPerInstance`?"));
        // Nothing close: no guess.
        let far = "unknown field `colour`, expected one of `name`, `seed`";
        assert_eq!(did_you_mean(far), far);
        assert_eq!(did_you_mean("missing field `name`"), "missing field `name`");
    }
}
