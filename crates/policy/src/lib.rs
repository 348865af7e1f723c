//! Policy files: reading (TOML and YAML through the shared reader in `sagescale-files`), validating with errors that name
//! the file, field and line, the JSON Schema, and compilation into engine specs.
//!
//! Architecture invariant: the only module that knows the file language. The engine sees
//! [`sagescale_engine::TargetSpec`]s, never documents.

mod compile;
pub mod document;
#[doc(hidden)]
pub mod fuzzing;
mod load;
pub mod metric;
pub mod schema;
mod trigger;

use std::path::PathBuf;

pub use compile::{parse_resource, DEFAULT_COOLDOWN, MAX_CAPACITY, MAX_POLICIES, MAX_STEPS};
pub use metric::Resource;
pub use sagescale_files::diagnostic::{self, Diagnostic, Diagnostics};

use sagescale_engine::TargetSpec;
use sagescale_metrics::MetricQuery;

/// A validated, compiled policy set: every target of every file it was read from.
#[derive(Debug, Default)]
pub struct PolicySet {
    /// Targets, in file order then declaration order.
    pub targets: Vec<TargetSpec>,
    /// Metric queries, indexed by [`sagescale_metrics::MetricId`], shared where policies agree.
    pub metrics: Vec<MetricQuery>,
    /// For each metric, how many periods of history its alarms read.
    pub metric_history: Vec<u32>,
    /// For each target, the file and field path it was declared at.
    pub origins: Vec<(PathBuf, String)>,
}

impl PolicySet {
    /// Number of policies across all targets.
    #[must_use]
    pub fn policy_count(&self) -> usize {
        self.targets.iter().map(|t| t.policies.len()).sum()
    }
}

/// Load the policy set named by `paths` (files and directories): every problem, or the set.
pub fn load(paths: &[PathBuf]) -> Result<(PolicySet, usize), Diagnostics> {
    let mut problems = Vec::new();
    let files = load::discover(paths, &mut problems);
    let loaded: Vec<_> = files
        .iter()
        .filter_map(|f| load::load_file(f, &mut problems))
        .collect();
    compiled(&loaded, problems).map(|set| (set, files.len()))
}

/// Compile what was read: the set, or every problem found reading and compiling it.
fn compiled(
    loaded: &[load::LoadedFile],
    mut problems: Vec<Diagnostic>,
) -> Result<PolicySet, Diagnostics> {
    match compile::compile(loaded, &mut problems) {
        Some(set) if problems.is_empty() => Ok(set),
        _ => Err(Diagnostics(problems)),
    }
}

/// Compile one policy document given as text, reported under `name` (whose extension, `.toml`,
/// `.yaml` or `.yml`, gives the format): every problem, or the set. `tune` compiles its
/// candidates this way, without writing them to files.
pub fn load_text(name: &std::path::Path, text: &str) -> Result<PolicySet, Diagnostics> {
    let mut problems = Vec::new();
    let loaded: Vec<_> = load::load_text(name, text, &mut problems)
        .into_iter()
        .collect();
    compiled(&loaded, problems)
}
