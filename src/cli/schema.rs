//! `sagescale schema`: the JSON Schema of a policy file, a scenario or a `plan-batch` job; or
//! the metric catalogue.

use std::process::ExitCode;

use super::out;

/// Print the schema asked for.
pub fn run(scenario: bool, batch_job: bool, metrics: bool) -> ExitCode {
    if metrics {
        out(&sagescale::metrics::catalogue::markdown_table());
        return ExitCode::SUCCESS;
    }
    let text = if scenario {
        let schema = schemars::schema_for!(sagescale::sim::scenario::ScenarioDoc);
        serde_json::to_string_pretty(&schema).unwrap_or_default()
    } else if batch_job {
        let schema = schemars::schema_for!(sagescale::batch::job::JobDoc);
        serde_json::to_string_pretty(&schema).unwrap_or_default()
    } else {
        sagescale::policy::schema::policy_file_schema()
    };
    out(&(text + "\n"));
    ExitCode::SUCCESS
}
