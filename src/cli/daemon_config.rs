//! What the daemon's commands share: reading the config, and the async runtime.

use sagescale::daemon;

/// Read the config at `path`, printing every problem.
pub fn load_config(path: &std::path::Path) -> Option<daemon::config::Config> {
    match daemon::config::load(path, std::env::vars()) {
        Ok(c) => Some(c),
        Err(problems) => {
            eprintln!("{problems}");
            None
        }
    }
}

/// The runtime the daemon's commands run on: two workers.
pub fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            None
        }
    }
}
