//! Scratch files for the fuzz entry points of the crates whose readers take a path: each
//! thread writes its input to a private directory, removed when the thread ends.

use std::io::Write;
use std::path::PathBuf;

thread_local! {
    static DIR: Dir = Dir::new();
}

/// A private scratch directory for this thread.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Self {
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

/// Write `bytes` to the file `name` in this thread's scratch directory; its path.
#[must_use]
pub fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let path = DIR.with(|d| d.0.join(name));
    if let Ok(mut f) = std::fs::File::create(&path) {
        let _ = f.write_all(bytes);
    }
    path
}
