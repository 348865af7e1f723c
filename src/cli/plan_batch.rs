//! `sagescale plan-batch`: size a batch transform job.

use std::path::Path;
use std::process::ExitCode;

use sagescale::batch::job as batch_job;
use sagescale::batch::plan_table;
use sagescale::batch::transform::plan;

/// Plan the job in `path`; print the pick and what it beat. Exit 0 with a pick, 2 when no
/// setting meets the deadline, 1 on a bad job file.
pub fn run(path: &Path, all: bool, json: Option<&Path>) -> ExitCode {
    let (job, profiles) = match batch_job::load(path) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let plan = plan(&job, &profiles);
    let title = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    crate::cli::out(&plan_table(&title, &job, &plan, all));
    if let Some(p) = json {
        let text = serde_json::to_string_pretty(&plan).unwrap_or_default();
        if let Err(e) = std::fs::write(p, text) {
            eprintln!("{}: cannot write: {e}", p.display());
            return ExitCode::from(1);
        }
    }
    if plan.chosen().is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
