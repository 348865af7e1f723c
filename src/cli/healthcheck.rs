//! `sagescale healthcheck`: exit 0 if the admin endpoint answers 200, for container health
//! checks (the image has no shell or curl). Plain std: it works in every build.

use std::process::ExitCode;

/// Check `url`.
pub fn healthcheck(url: &str) -> ExitCode {
    use std::io::{Read, Write};
    let Some(rest) = url.strip_prefix("http://") else {
        eprintln!("{url}: only http:// URLs (the admin endpoint is plain HTTP on a local address)");
        return ExitCode::FAILURE;
    };
    let (authority, path) = rest.split_once('/').map_or((rest, "/"), |(a, p)| (a, p));
    let path = if path == "/" {
        "/".to_string()
    } else {
        format!("/{path}")
    };
    let addr = match std::net::ToSocketAddrs::to_socket_addrs(authority).map(|mut a| a.next()) {
        Ok(Some(a)) => a,
        _ => {
            eprintln!("{url}: cannot resolve {authority}");
            return ExitCode::FAILURE;
        }
    };
    let timeout = std::time::Duration::from_secs(3);
    let result = std::net::TcpStream::connect_timeout(&addr, timeout).and_then(|mut s| {
        s.set_read_timeout(Some(timeout))?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        )?;
        let mut text = String::new();
        s.read_to_string(&mut text)?;
        Ok(text)
    });
    match result {
        Ok(text) if text.split_whitespace().nth(1) == Some("200") => ExitCode::SUCCESS,
        Ok(text) => {
            eprintln!("{url}: {}", text.lines().next().unwrap_or("no reply"));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{url}: {e}");
            ExitCode::FAILURE
        }
    }
}
