//! Entry points for fuzzing and for the corpus replay in the test suite: each takes raw bytes
//! as a user would put them in a file and runs the same reader the commands use. They return
//! whether the input was accepted; what matters is that they never panic, hang or abort.
//! `tests/fuzz_corpus.rs` (stable, every CI run) replays the corpus through them; the
//! cargo-fuzz packages under `fuzz/` call the same crates' entry points directly.

use sagescale_sim::trace::TraceFormat;

/// The inputs one fuzz target reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A policy file in TOML.
    PolicyToml,
    /// A policy file in YAML.
    PolicyYaml,
    /// A simulator scenario file (TOML).
    Scenario,
    /// A trace in the given format.
    Trace(TraceFormat),
    /// The daemon's state file.
    StateFile,
    /// The daemon's config file (TOML).
    Config,
    /// A `plan-batch` job file (TOML).
    BatchJob,
    /// A quality series (`time,value` CSV) for a quality-guarded scenario target.
    QualityValues,
}

impl Target {
    /// Every target, for the corpus replay.
    pub const ALL: [Self; 12] = [
        Self::PolicyToml,
        Self::PolicyYaml,
        Self::Scenario,
        Self::Trace(TraceFormat::Auto),
        Self::Trace(TraceFormat::Csv),
        Self::Trace(TraceFormat::Requests),
        Self::Trace(TraceFormat::Wide),
        Self::Trace(TraceFormat::CloudwatchJson),
        Self::StateFile,
        Self::Config,
        Self::BatchJob,
        Self::QualityValues,
    ];

    /// The corpus directory name under `fuzz/corpus/`.
    #[must_use]
    pub fn corpus(self) -> &'static str {
        match self {
            Self::PolicyToml => "policy_toml",
            Self::PolicyYaml => "policy_yaml",
            Self::Scenario => "scenario",
            Self::Trace(_) => "trace",
            Self::StateFile => "state_file",
            Self::Config => "config",
            Self::BatchJob => "batch_job",
            Self::QualityValues => "quality_values",
        }
    }
}

/// Run `target` on `bytes`: `true` if the input was accepted. Each target is its crate's own
/// entry point (`sagescale_policy::fuzzing`, `sagescale_sim::fuzzing`, ...), the ones the
/// cargo-fuzz packages under `fuzz/` call.
pub fn run(target: Target, bytes: &[u8]) -> bool {
    match target {
        Target::PolicyToml => sagescale_policy::fuzzing::policy(bytes, false),
        Target::PolicyYaml => sagescale_policy::fuzzing::policy(bytes, true),
        Target::Scenario => sagescale_sim::fuzzing::scenario(bytes),
        Target::Trace(format) => sagescale_sim::fuzzing::trace(bytes, format),
        #[cfg(feature = "aws")]
        Target::StateFile => sagescale_daemon::fuzzing::state_file(bytes),
        #[cfg(feature = "aws")]
        Target::Config => sagescale_daemon::fuzzing::config(bytes),
        // The daemon's files are read only by the default build.
        #[cfg(not(feature = "aws"))]
        Target::StateFile | Target::Config => false,
        Target::BatchJob => sagescale_batch::fuzzing::batch_job(bytes),
        Target::QualityValues => sagescale_sim::fuzzing::quality_values(bytes),
    }
}
