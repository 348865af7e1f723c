//! The TOML and YAML reader that every file sagescale reads shares: policy files, scenarios,
//! the daemon's config and `plan-batch` job files.
//!
//! - [`read`]: parse a file (or text) through `config`, and turn serde's errors into
//!   diagnostics at the field they concern.
//! - [`locate`]: field paths to lines and columns, with the TOML and YAML parsers `config`
//!   uses.
//! - [`diagnostic`]: a problem at a file, field and line, and the field-path helpers.
//!
//! Architecture invariant: knows file syntax, not what any file means. It depends on no other
//! sagescale crate.

pub mod diagnostic;
#[doc(hidden)]
pub mod fuzzing;
pub mod locate;
pub mod read;

pub use diagnostic::{Diagnostic, Diagnostics};
pub use read::{Format, SourceFile};
