//! Reading policy files: find them, parse them with the shared reader, and deserialize each
//! target and each policy on its own, so one broken policy does not hide the problems of the
//! next.

use std::path::{Path, PathBuf};

use sagescale_files::diagnostic::{child, item, Diagnostic};
use sagescale_files::read::{parse_file, parse_text, typed, Format, Parsed, SourceFile};

use super::document::{PolicyDoc, TargetDoc};

/// One parsed policy file, with what it declares.
pub struct LoadedFile {
    /// The file and where its fields stand.
    pub source: SourceFile,
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
        self.source.diagnostic(path, message)
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

/// Read and deserialize one policy file, pushing every problem found into `out`.
pub fn load_file(path: &Path, out: &mut Vec<Diagnostic>) -> Option<LoadedFile> {
    Format::of(path)?;
    let parsed = parse_file(path, out)?;
    Some(load_parsed(parsed, out))
}

/// Read and deserialize policy text as if it were the file `name` (whose extension gives the
/// format), pushing every problem found into `out`.
pub fn load_text(name: &Path, text: &str, out: &mut Vec<Diagnostic>) -> Option<LoadedFile> {
    let Some(format) = Format::of(name) else {
        out.push(Diagnostic {
            file: name.to_path_buf(),
            path: String::new(),
            line: None,
            column: None,
            message: "not a policy file: expected a .toml, .yaml or .yml name".into(),
        });
        return None;
    };
    let parsed = parse_text(name, text, format, out)?;
    Some(load_parsed(parsed, out))
}

fn load_parsed(parsed: Parsed, out: &mut Vec<Diagnostic>) -> LoadedFile {
    let Parsed { root, file } = parsed;
    let mut loaded = LoadedFile {
        source: file,
        targets: Vec::new(),
    };

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Shell {
        #[serde(default)]
        targets: Vec<config::Value>,
    }
    let shell: Shell = match serde_path_to_error::deserialize(root) {
        Ok(s) => s,
        Err(e) => {
            out.push(sagescale_files::read::serde_diagnostic(
                &loaded.source,
                "",
                e,
            ));
            return loaded;
        }
    };
    if shell.targets.is_empty() {
        out.push(loaded.diagnostic("targets", "the file declares no targets"));
    }
    for (i, value) in shell.targets.into_iter().enumerate() {
        let tpath = item("targets", i);
        // Policies are deserialized one by one, so each broken one gets its own error.
        let (header, list) = split_policies(&loaded, &tpath, value, out);
        let header: Option<TargetDoc> = typed(&loaded.source, &tpath, header, out);
        let mut policies = Vec::new();
        let mut policy_index = Vec::new();
        for (j, pv) in list.into_iter().enumerate() {
            let ppath = item(&child(&tpath, "policies"), j);
            if let Some(p) = typed::<PolicyDoc>(&loaded.source, &ppath, pv, out) {
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
    loaded
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
