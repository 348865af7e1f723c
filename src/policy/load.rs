//! Reading policy files: find them, parse them with `config`, and deserialize each target and
//! each policy on its own, so one broken policy does not hide the problems of the next.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::diagnostic::{child, item, Diagnostic};
use super::document::{PolicyDoc, TargetDoc};
use super::locate::SourceMap;

/// A policy file's format, by extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.toml`
    Toml,
    /// `.yaml` or `.yml`
    Yaml,
}

impl Format {
    /// The format a path's extension names, if it is a policy file.
    #[must_use]
    pub fn of(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "toml" => Some(Self::Toml),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }
}

/// One parsed policy file, with what it declares and where each field stands.
pub struct LoadedFile {
    /// The file.
    pub path: PathBuf,
    /// Field paths to positions.
    pub map: SourceMap,
    /// Targets that deserialized.
    pub targets: Vec<LoadedTarget>,
}

/// A target that deserialized, with the policies that did. A policy that did not has already
/// been reported; the rest are still validated, so every problem is found in one run.
pub struct LoadedTarget {
    /// Index in the file's `targets`.
    pub index: usize,
    /// The target, holding only the policies that deserialized.
    pub doc: TargetDoc,
    /// For each policy in `doc`, its index in the file's `policies` list.
    pub policy_index: Vec<usize>,
}

impl LoadedFile {
    /// A diagnostic at `path` in this file.
    #[must_use]
    pub fn diagnostic(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        diagnostic_at(&self.path, &self.map, path, message.into())
    }
}

fn diagnostic_at(file: &Path, map: &SourceMap, path: &str, message: String) -> Diagnostic {
    let (line, column) = map.position(path).unzip();
    Diagnostic {
        file: file.to_path_buf(),
        path: path.to_string(),
        line,
        column,
        message,
    }
}

/// The policy files that `paths` name: files as given, directories' `.toml`, `.yaml` and
/// `.yml` files (not recursing), in name order.
pub fn discover(paths: &[PathBuf], out: &mut Vec<Diagnostic>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let whole = |p: &Path, message: String| Diagnostic {
        file: p.to_path_buf(),
        path: String::new(),
        line: None,
        column: None,
        message,
    };
    for p in paths {
        if p.is_dir() {
            match std::fs::read_dir(p) {
                Ok(entries) => {
                    let mut found: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|f| f.is_file() && Format::of(f).is_some())
                        .collect();
                    found.sort();
                    if found.is_empty() {
                        out.push(whole(
                            p,
                            "no policy files (.toml, .yaml, .yml) in this directory".into(),
                        ));
                    }
                    files.extend(found);
                }
                Err(e) => out.push(whole(p, format!("cannot read directory: {e}"))),
            }
        } else if !p.exists() {
            out.push(whole(p, "no such file or directory".into()));
        } else if Format::of(p).is_none() {
            out.push(whole(
                p,
                "not a policy file: expected a .toml, .yaml or .yml extension".into(),
            ));
        } else {
            files.push(p.clone());
        }
    }
    files
}

/// A TOML or YAML file parsed through `config`, with its source map.
pub(crate) struct Parsed {
    pub root: config::Config,
    pub file: LoadedFile,
}

/// Read and parse a TOML or YAML file through `config`, mapping its field paths to lines.
/// Problems go to `out`.
pub(crate) fn parse_file(path: &Path, out: &mut Vec<Diagnostic>) -> Option<Parsed> {
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
    let mapped = match format {
        Format::Toml => SourceMap::toml(&text),
        Format::Yaml => SourceMap::yaml(&text),
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
        .add_source(config::File::from_str(&text, file_format))
        .build();
    match parsed {
        Ok(root) => Some(Parsed {
            root,
            file: LoadedFile {
                path: path.to_path_buf(),
                map,
                targets: Vec::new(),
            },
        }),
        Err(e) => {
            let message = e.to_string();
            let mut d = diagnostic_at(path, &map, "", format!("cannot parse: {message}"));
            if d.line.is_none() && message.contains("overflow") {
                if let Some((line, column)) = overflowing_number(&text) {
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
pub(crate) fn read_document<T: DeserializeOwned>(
    path: &Path,
    out: &mut Vec<Diagnostic>,
) -> Option<(T, LoadedFile)> {
    let Parsed { root, file } = parse_file(path, out)?;
    match serde_path_to_error::deserialize(root) {
        Ok(t) => Some((t, file)),
        Err(e) => {
            out.push(serde_diagnostic(&file, "", e));
            None
        }
    }
}

/// Read and deserialize one policy file, pushing every problem found into `out`.
pub fn load_file(path: &Path, out: &mut Vec<Diagnostic>) -> Option<LoadedFile> {
    Format::of(path)?;
    let Parsed { root, file } = parse_file(path, out)?;
    let mut loaded = file;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Shell {
        #[serde(default)]
        targets: Vec<config::Value>,
    }
    let shell: Shell = match serde_path_to_error::deserialize(root) {
        Ok(s) => s,
        Err(e) => {
            out.push(serde_diagnostic(&loaded, "", e));
            return Some(loaded);
        }
    };
    if shell.targets.is_empty() {
        out.push(loaded.diagnostic("targets", "the file declares no targets"));
    }
    for (i, value) in shell.targets.into_iter().enumerate() {
        let tpath = item("targets", i);
        // Policies are deserialized one by one, so each broken one gets its own error.
        let (header, list) = split_policies(&loaded, &tpath, value, out);
        let header: Option<TargetDoc> = typed(&loaded, &tpath, header, out);
        let mut policies = Vec::new();
        let mut policy_index = Vec::new();
        for (j, pv) in list.into_iter().enumerate() {
            let ppath = item(&child(&tpath, "policies"), j);
            if let Some(p) = typed::<PolicyDoc>(&loaded, &ppath, pv, out) {
                policies.push(p);
                policy_index.push(j);
            }
        }
        if let Some(mut doc) = header {
            doc.policies = policies;
            loaded.targets.push(LoadedTarget {
                index: i,
                doc,
                policy_index,
            });
        }
    }
    Some(loaded)
}

/// A target value without its `policies`, and the raw policies.
fn split_policies(
    file: &LoadedFile,
    tpath: &str,
    target: config::Value,
    out: &mut Vec<Diagnostic>,
) -> (config::Value, Vec<config::Value>) {
    let mut table = match target.clone().into_table() {
        Ok(t) => t,
        // Not a table: let deserializing the target report it.
        Err(_) => return (target, Vec::new()),
    };
    let policies = match table.remove("policies").map(config::Value::into_array) {
        None => Vec::new(),
        Some(Ok(list)) => list,
        Some(Err(_)) => {
            out.push(file.diagnostic(&child(tpath, "policies"), "expected a list of policies"));
            Vec::new()
        }
    };
    (
        config::Value::new(None, config::ValueKind::Table(table)),
        policies,
    )
}

fn typed<T: DeserializeOwned>(
    file: &LoadedFile,
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
fn serde_diagnostic(
    file: &LoadedFile,
    prefix: &str,
    e: serde_path_to_error::Error<config::ConfigError>,
) -> Diagnostic {
    let inner = e.path().to_string();
    let mut path = match inner.as_str() {
        "." | "" => prefix.to_string(),
        p if p.starts_with('[') => format!("{prefix}{p}"),
        p => child(prefix, p),
    };
    let message = clean_message(&e.inner().to_string());
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
    let mut d = file.diagnostic(&path, message);
    if d.line.is_none() {
        d.line = file.map.position(prefix).map(|p| p.0);
    }
    d
}

/// `config` appends its own key and origin to serde's message; the diagnostic already says both.
pub(crate) fn clean_message(message: &str) -> String {
    let cut = message.find(" for key `").unwrap_or(message.len());
    message[..cut].trim().to_string()
}
