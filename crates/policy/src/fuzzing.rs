//! Fuzz entry points: raw bytes as a user would put them in a policy file, through the same
//! compiler `validate` and the daemon use. They return whether the input was accepted; what
//! matters is that they never panic, hang or abort. `fuzz/policy` and the root crate's corpus
//! replay call them.

use std::path::Path;

/// A policy file in TOML (`yaml` false) or YAML.
#[must_use]
pub fn policy(bytes: &[u8], yaml: bool) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        // The file reader refuses what is not UTF-8 before any parser sees it.
        return false;
    };
    let name = if yaml { "p.yaml" } else { "p.toml" };
    crate::load_text(Path::new(name), text).is_ok()
}
