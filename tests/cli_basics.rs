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
