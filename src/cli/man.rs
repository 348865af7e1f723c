//! `sagescale man`: man pages generated from the command's own definition, so they cannot
//! drift from `--help`.

use std::path::Path;
use std::process::ExitCode;

fn render(cmd: clap::Command) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .map_err(|e| format!("cannot render the man page: {e}"))?;
    Ok(buf)
}

/// Print `sagescale.1`, or write it and one page per subcommand into `out_dir`.
pub fn man(cmd: clap::Command, out_dir: Option<&Path>) -> ExitCode {
    let result = (|| -> Result<(), String> {
        let Some(dir) = out_dir else {
            super::out(&String::from_utf8_lossy(&render(cmd)?));
            return Ok(());
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
        let write = |name: &str, page: Vec<u8>| {
            let path = dir.join(name);
            std::fs::write(&path, page)
                .map_err(|e| format!("{}: cannot write: {e}", path.display()))
        };
        write("sagescale.1", render(cmd.clone())?)?;
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let name = format!("sagescale-{}", sub.get_name());
            // A page names its command: `sagescale-simulate`, as git's do.
            let mut page = sub.clone().name(name.clone()).bin_name(name.clone());
            if let Some(v) = cmd.get_version() {
                page = page.version(v.to_string());
            }
            write(&format!("{name}.1"), render(page)?)?;
        }
        eprintln!("man pages written to {}", dir.display());
        Ok(())
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
