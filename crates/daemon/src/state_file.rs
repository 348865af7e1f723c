//! The daemon's state file: engine state (alarm states, cooldown clocks, last actions) and
//! pending pins, written atomically (temporary file, fsync, rename, fsync of the directory)
//! with mode 0600. A file that cannot be read as this version's state is refused, never reset.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use sagescale_core::actuation::Pin;
use sagescale_engine::{PersistedState, Timestamp};

/// Layout version of the state file.
pub const STATE_FILE_VERSION: u32 = 1;

/// What the state file holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonState {
    /// Layout version.
    pub version: u32,
    /// When it was written.
    pub saved_at: Timestamp,
    /// Engine state by target and policy name.
    pub engine: PersistedState,
    /// Pins waiting to be restored, by target name.
    #[serde(default)]
    pub pins: BTreeMap<String, Pin>,
    /// Each target's learned provisioning lead (its latest scale-outs), by target name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub leads: BTreeMap<String, sagescale_core::provisioning::LeadTracker>,
}

/// A state file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// Reading or writing failed.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// The file is not valid state.
    #[error("{path}:{line}:{column}: not a valid sagescale state file ({message}). Refusing to start rather than reset cooldown clocks silently: restore the file, or move it aside to start from empty state.")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Line.
        line: usize,
        /// Column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Another layout version.
    #[error("{path}: state layout version {found}, but this sagescale reads version {STATE_FILE_VERSION}. Refusing to start rather than reset cooldown clocks silently: run the sagescale that wrote it, or move the file aside.")]
    Version {
        /// The file.
        path: PathBuf,
        /// Version found.
        found: u32,
    },
}

/// Remove temporary files a crash mid-write left beside `path` (the state file itself is
/// never touched: the rename is what makes a write visible).
fn remove_stale_temporaries(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut prefix = name.to_os_string();
    prefix.push(".tmp.");
    let prefix = prefix.to_string_lossy().to_string();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Read the state at `path`; `Ok(None)` if there is no file yet. Temporaries left by a crash
/// mid-write are removed.
pub fn load(path: &Path) -> Result<Option<DaemonState>, StateError> {
    remove_stale_temporaries(path);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(StateError::Io {
                path: path.into(),
                error,
            })
        }
    };
    // Check the version first, so an older or newer layout gets the version message.
    #[derive(Deserialize)]
    struct Probe {
        version: Option<u32>,
    }
    let corrupt = |e: serde_json::Error| StateError::Corrupt {
        path: path.into(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    };
    let probe: Probe = serde_json::from_str(&text).map_err(corrupt)?;
    match probe.version {
        Some(STATE_FILE_VERSION) => {}
        Some(found) => {
            return Err(StateError::Version {
                path: path.into(),
                found,
            })
        }
        None => {
            return Err(StateError::Corrupt {
                path: path.into(),
                line: 1,
                column: 1,
                message: "no `version` field".into(),
            })
        }
    }
    let state: DaemonState = serde_json::from_str(&text).map_err(corrupt)?;
    if state.engine.version != sagescale_engine::state::STATE_VERSION {
        return Err(StateError::Version {
            path: path.into(),
            found: state.engine.version,
        });
    }
    Ok(Some(state))
}

/// Write `state` to `path` atomically: readers (and a restart after a crash at any point) see
/// the old file or the new one, never a mixture.
pub fn save(path: &Path, state: &DaemonState) -> Result<(), StateError> {
    let io = |error| StateError::Io {
        path: path.into(),
        error,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp.{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let text = serde_json::to_vec(state).map_err(|e| io(std::io::Error::other(e)))?;
    let mut f = private_file(&tmp).map_err(io)?;
    if super::failpoint::armed("mid-state-write") {
        let _ = f.write_all(&text[..text.len() / 2]);
        let _ = f.sync_all();
        super::failpoint::crash("mid-state-write");
    }
    f.write_all(&text).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io)?;
    // Make the rename itself durable.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Create (truncating) a file only its owner can read.
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_atomically_with_owner_only_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        assert!(load(&p).unwrap().is_none());
        let mut s = DaemonState {
            version: STATE_FILE_VERSION,
            saved_at: Timestamp(42),
            engine: PersistedState::snapshot(&[], &[]),
            pins: BTreeMap::new(),
            leads: BTreeMap::new(),
        };
        s.pins.insert(
            "t".into(),
            Pin {
                to: 4,
                min: 4,
                max: 9,
                since: Timestamp(40),
            },
        );
        save(&p, &s).unwrap();
        assert_eq!(load(&p).unwrap(), Some(s));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_slo_state_saved_before_the_weeks_servers_bound_still_loads() {
        // A state file of the layout before `servers_best`: what the policy learned loads,
        // with no week's bound until a minute sets one.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        let mut policy = sagescale_engine::state::PolicyState::default();
        policy.slo.learned_to = 3600;
        policy.slo.servers[0] = (1, 20.0, 10, 0.05);
        policy.slo.servers_best = (1, 20.0, 10, 0.05);
        let mut engine = PersistedState::snapshot(&[], &[]);
        let mut target = sagescale_engine::state::PersistedTarget::default();
        target.policies.insert("latency-slo".into(), policy);
        engine.targets.insert("t".into(), target);
        let s = DaemonState {
            version: STATE_FILE_VERSION,
            saved_at: Timestamp(42),
            engine,
            pins: BTreeMap::new(),
            leads: BTreeMap::new(),
        };
        save(&p, &s).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let slo = &mut json["engine"]["targets"]["t"]["policies"]["latency-slo"]["slo"];
        assert!(slo
            .as_object_mut()
            .unwrap()
            .remove("servers_best")
            .is_some());
        std::fs::write(&p, json.to_string()).unwrap();
        let loaded = load(&p).unwrap().unwrap();
        let slo = loaded.engine.targets["t"].policies["latency-slo"].slo;
        assert_eq!(slo.learned_to, 3600);
        assert_eq!(slo.servers[0], (1, 20.0, 10, 0.05));
        assert_eq!(slo.servers_best.2, 0, "empty: {slo:?}");
    }

    #[test]
    fn corrupt_and_foreign_files_are_refused_with_where_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        std::fs::write(&p, "{\"version\": 1, \"saved_at\": 5,\n \"engine\": {").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("state.json:2:"), "{e}");
        assert!(e.contains("Refusing to start"), "{e}");
        std::fs::write(&p, "{\"version\": 7}").unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("version 7"), "{e}");
        std::fs::write(&p, "[]").unwrap();
        assert!(matches!(load(&p), Err(StateError::Corrupt { .. })));
    }

    #[test]
    fn temporaries_left_by_a_crash_are_removed_and_the_old_state_kept() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        let s = DaemonState {
            version: STATE_FILE_VERSION,
            saved_at: Timestamp(1),
            engine: PersistedState::snapshot(&[], &[]),
            pins: BTreeMap::new(),
            leads: BTreeMap::new(),
        };
        save(&p, &s).unwrap();
        // A crash half way through the next write leaves only a temporary.
        std::fs::write(
            dir.path().join("state.json.tmp.4242"),
            "{\"version\": 1, \"sav",
        )
        .unwrap();
        assert_eq!(load(&p).unwrap(), Some(s));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}

/// The state file's lock, held for the daemon's lifetime: a second `sagescale run` on the same
/// state file refuses to start instead of deciding beside the first. An advisory lock on
/// `STATE.lock` (flock), released by the kernel when the process ends, however it ends; the
/// file holds the holder's pid for the message.
#[derive(Debug)]
pub struct StateLock {
    _file: std::fs::File,
    /// The lock file.
    pub path: PathBuf,
}

/// Take the lock beside `state_file`.
///
/// # Errors
/// Another process holds it (the message names its pid and the fix), or the lock file cannot
/// be opened.
pub fn lock(state_file: &Path) -> Result<StateLock, String> {
    let mut name = state_file.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("{}: cannot open the state lock: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&path).unwrap_or_default();
            let holder = holder.trim();
            return Err(format!(
                "{}: another sagescale ({}) is running on the state file {}: stop it first, or give this one its own state_file and decision_log",
                path.display(),
                if holder.is_empty() { "pid unknown".to_string() } else { holder.to_string() },
                state_file.display()
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(format!("{}: cannot lock: {e}", path.display()));
        }
    }
    file.set_len(0)
        .and_then(|()| {
            use std::io::Seek;
            file.seek(std::io::SeekFrom::Start(0))?;
            writeln!(file, "pid {}", std::process::id())
        })
        .map_err(|e| format!("{}: cannot write the state lock: {e}", path.display()))?;
    Ok(StateLock { _file: file, path })
}

#[cfg(test)]
mod lock_tests {
    use super::lock;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid_until_it_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let first = lock(&state).unwrap();
        // flock is per open file: a second open in this process conflicts as another
        // process would.
        let e = lock(&state).unwrap_err();
        assert!(
            e.contains(&format!("pid {}", std::process::id()))
                && e.contains("another sagescale")
                && e.contains("state.json"),
            "{e}"
        );
        drop(first);
        assert!(lock(&state).is_ok(), "released when its holder ends");
    }
}
