//! The JSON Schema of a policy file, for editors that validate as users type.

use super::document::PolicyFile;

/// The schema, pretty-printed.
#[must_use]
pub fn policy_file_schema() -> String {
    let schema = schemars::schema_for!(PolicyFile);
    // Serializing a schemars schema to JSON cannot fail: it is a JSON value already.
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}
