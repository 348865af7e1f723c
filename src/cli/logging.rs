//! Logging set-up for the daemon's commands: the filter, its caps on the SDK's own events,
//! and the text or JSON format.

use sagescale::daemon;

/// The SDK's own debug and trace events print its whole request context, credentials
/// identifiers included: they are capped at INFO whatever `RUST_LOG` asks (docs/security.md).
const SDK_CAPS: [&str; 6] = [
    "aws_smithy_runtime=info",
    "aws_smithy_runtime_api=info",
    "aws_smithy_http_client=info",
    "aws_config=info",
    "aws_credential_types=info",
    "aws_runtime=info",
];

/// The filter: `RUST_LOG`, else `default`, with the SDK capped at INFO.
pub fn log_filter(default: &str) -> tracing_subscriber::EnvFilter {
    use tracing_subscriber::EnvFilter;
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    for cap in SDK_CAPS {
        if let Ok(d) = cap.parse() {
            filter = filter.add_directive(d);
        }
    }
    filter
}

/// Colour only for a person at a terminal: never into a file, a pipe or journald, nor with
/// `NO_COLOR` set (no-color.org).
fn colour(stderr_is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// Whether stderr gets colour: a terminal, and no `NO_COLOR`.
pub fn stderr_colour() -> bool {
    use std::io::IsTerminal;
    colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR"),
    )
}

/// Start logging to stderr in `format`.
pub fn init_logs(format: daemon::config::LogFormat) {
    let filter = log_filter("info");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(stderr_colour())
        .with_writer(std::io::stderr);
    match format {
        daemon::config::LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .init(),
        daemon::config::LogFormat::Text => builder.init(),
    }
}

#[cfg(test)]
mod tests {
    use super::colour;

    #[test]
    fn colour_only_at_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(!colour(false, None), "a file or a pipe gets no ANSI codes");
        assert!(!colour(true, Some("1".into())));
        assert!(colour(true, Some("".into())), "an empty NO_COLOR is unset");
    }
}
