//! What every user meets first: `--version` says which build runs.

use std::process::Command;

fn sagescale(args: &[&str]) -> (bool, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(args)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn version_names_the_commit_and_the_build_date() {
    let (ok, out, err) = sagescale(&["--version"]);
    assert!(ok, "{err}");
    // sagescale 0.1.0 (commit 0123456789ab, built 2026-12-01)
    let rest = out
        .trim()
        .strip_prefix(concat!(
            "sagescale ",
            env!("CARGO_PKG_VERSION"),
            " (commit "
        ))
        .unwrap_or_else(|| panic!("{out}"));
    let (commit, date) = rest
        .strip_suffix(')')
        .and_then(|r| r.split_once(", built "))
        .unwrap_or_else(|| panic!("{out}"));
    let hex = commit.trim_end_matches("-dirty");
    assert!(
        hex == "unknown" || (hex.len() == 12 && hex.chars().all(|c| c.is_ascii_hexdigit())),
        "{out}"
    );
    let d: Vec<&str> = date.split('-').collect();
    assert!(
        d.len() == 3 && d[0].len() == 4 && d.iter().all(|p| p.parse::<u32>().is_ok()),
        "{out}"
    );
}

#[test]
fn completions_and_man_pages_come_from_the_cli_definition() {
    for (shell, marker) in [
        ("bash", "_sagescale()"),
        ("zsh", "#compdef sagescale"),
        ("fish", "complete -c sagescale"),
    ] {
        let (ok, out, err) = sagescale(&["completions", shell]);
        assert!(ok, "{shell}: {err}");
        assert!(out.contains(marker), "{shell}: {out}");
        for sub in ["simulate", "tune", "validate", "man"] {
            assert!(out.contains(sub), "{shell} completes no `{sub}`");
        }
    }
    let (ok, _, err) = sagescale(&["completions", "tcsh"]);
    assert!(!ok && err.contains("possible values"), "{err}");
    let (ok, page, err) = sagescale(&["man"]);
    assert!(ok, "{err}");
    assert!(
        page.contains(".TH sagescale 1") && page.contains("simulate"),
        "{page}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) = sagescale(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert!(ok, "{err}");
    let tune = std::fs::read_to_string(dir.path().join("sagescale-tune.1")).unwrap();
    // The subcommand's own page carries its options and the build's version.
    assert!(
        tune.contains(".TH sagescale-tune 1") && tune.contains("train") && tune.contains("commit"),
        "{tune}"
    );
}

/// A config whose AWS endpoints all point at a closed loopback port, with one policy file.
fn unreachable_config(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir.join("pol")).unwrap();
    std::fs::copy(
        "policies/recommendations-realtime.toml",
        dir.join("pol/r.toml"),
    )
    .unwrap();
    // A port nothing listens on: bind one, then let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let config = dir.join("c.toml");
    std::fs::write(
        &config,
        format!(
            "policy_dir = \"pol\"\nstate_file = \"state.json\"\ndecision_log = \"decisions.jsonl\"\n[aws]\nregion = \"us-east-1\"\n[aws.endpoints]\ncloudwatch = \"{url}\"\napplication_autoscaling = \"{url}\"\nsagemaker = \"{url}\"\n[aws.timeouts]\nconnect_seconds = 1.0\n[[retry]]\nerror_equals = [\"connection\"]\ninterval_seconds = 0.1\nmax_attempts = 1\nbackoff_rate = 2.0\nmax_delay_seconds = 1.0\njitter = \"none\"\n"
        ),
    )
    .unwrap();
    config
}

#[test]
fn aws_errors_say_where_sagescale_tried_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let config = unreachable_config(dir.path());
    let run = |env: &[(&str, &str)], clear: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sagescale"));
        c.args(["plan", "--config", config.to_str().unwrap()])
            .current_dir(dir.path());
        if clear {
            c.env_clear()
                .env("PATH", "/usr/bin:/bin")
                .env("HOME", dir.path());
        }
        let o = c.envs(env.iter().copied()).output().unwrap();
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    // Unreachable: the URL and the operating system's reason, not "dispatch failure".
    let out = run(
        &[("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "y")],
        false,
    );
    assert!(
        out.contains("cannot connect to http://127.0.0.1:") && out.contains("Connection refused"),
        "{out}"
    );
    assert!(!out.contains("dispatch failure"), "{out}");
    // Its warnings on stderr, a pipe here, carry no colour codes.
    let o = Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["plan", "--config", config.to_str().unwrap()])
        .current_dir(dir.path())
        .envs([("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "y")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("WARN") && !err.contains('\u{1b}'), "{err}");
    // No credentials anywhere (no environment, no profile, IMDS off): say where they may come from.
    let out = run(&[("AWS_EC2_METADATA_DISABLED", "true")], true);
    assert!(
        out.contains("no AWS credentials found") && out.contains("AWS_PROFILE"),
        "{out}"
    );
}
