//! Entry points for fuzzing and for the corpus replay in the test suite: each takes raw bytes
//! as a user would put them in a file and runs the same reader the commands use. They return
//! whether the input was accepted; what matters is that they never panic, hang or abort.
//! `fuzz/` (cargo-fuzz, nightly) and `tests/fuzz_corpus.rs` (stable, every CI run) call them.

use std::io::Write;
use std::path::PathBuf;

use sagescale_sim::trace::{self, TraceFormat, TraceOptions};

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

thread_local! {
    static DIR: tempfile_dir::Dir = tempfile_dir::Dir::new();
}

mod tempfile_dir {
    /// A private scratch directory for this thread, removed when the thread ends.
    pub struct Dir(pub std::path::PathBuf);

    impl Dir {
        pub fn new() -> Self {
            let p = std::env::temp_dir().join(format!(
                "sagescale-fuzz-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::create_dir_all(&p);
            Self(p)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = DIR.with(|d| d.0.join(name));
    if let Ok(mut f) = std::fs::File::create(&path) {
        let _ = f.write_all(bytes);
    }
    path
}

/// Run `target` on `bytes`: `true` if the input was accepted.
pub fn run(target: Target, bytes: &[u8]) -> bool {
    match target {
        Target::PolicyToml => sagescale_policy::load(&[file("p.toml", bytes)]).is_ok(),
        Target::PolicyYaml => sagescale_policy::load(&[file("p.yaml", bytes)]).is_ok(),
        Target::Scenario => {
            sagescale_sim::scenario::load(&file("s.toml", bytes), &Default::default()).is_ok()
        }
        Target::Trace(format) => {
            let options = TraceOptions {
                format,
                ..TraceOptions::default()
            };
            trace::read(&file("t.csv", bytes), &options).is_ok()
        }
        #[cfg(feature = "aws")]
        Target::StateFile => sagescale_daemon::state_file::load(&file("state.json", bytes)).is_ok(),
        #[cfg(feature = "aws")]
        Target::Config => sagescale_daemon::config::load(&file("c.toml", bytes), []).is_ok(),
        // The daemon's files are read only by the default build.
        #[cfg(not(feature = "aws"))]
        Target::StateFile | Target::Config => false,
        Target::BatchJob => sagescale_batch::job::load(&file("job.toml", bytes))
            .map(|(job, profiles)| sagescale_batch::transform::plan(&job, &profiles))
            .is_ok(),
        Target::QualityValues => trace::read_values(&file("q.csv", bytes))
            .map(|points| trace::sample(&points, points[0].0, 60, 1000))
            .is_ok(),
    }
}
