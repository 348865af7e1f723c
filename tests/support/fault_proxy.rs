// Shared by several test binaries; each uses part of it.
#![allow(dead_code)]

//! A fault-injecting HTTP proxy on loopback, between the daemon and moto. It forwards each
//! request to moto unless its fault plan says otherwise for that request, and counts what it
//! did. Request numbers count every request the proxy has seen, from 0.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to do with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forward it.
    Pass,
    /// Answer with a throttling error in the protocol of the request (awsQuery XML for
    /// CloudWatch, JSON for the others), HTTP 400.
    Throttle,
    /// Answer with this 5xx status and a server-error body in the request's protocol.
    Status(u16),
    /// Wait this long, then forward (past the SDK's attempt timeout, the client gives up).
    Delay(std::time::Duration),
    /// Reset the connection (RST) without a reply.
    Reset,
    /// Forward, but send only the first half of the reply, then close.
    Truncate,
}

impl Fault {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Throttle => "throttle",
            Self::Status(500) => "500",
            Self::Status(503) => "503",
            Self::Status(_) => "5xx",
            Self::Delay(_) => "delay",
            Self::Reset => "reset",
            Self::Truncate => "truncate",
        }
    }
}

/// Which AWS service a raw request is for.
pub fn service_of(request: &str) -> &'static str {
    let lower = request.to_ascii_lowercase();
    if lower.contains("x-amz-target: anyscalefrontendservice") {
        "application_autoscaling"
    } else if lower.contains("x-amz-target: sagemaker") {
        "sagemaker"
    } else if lower.contains("x-amz-target: dynamodb") {
        "dynamodb"
    } else {
        "cloudwatch"
    }
}

/// Decides the fault for request `n` whose body is `body`.
pub type Plan = Box<dyn Fn(u64, &str) -> Fault + Send + Sync>;

/// A running proxy.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Requests seen.
    pub requests: Arc<AtomicU64>,
    /// Faults injected.
    pub injected: Arc<AtomicU64>,
    plan: Arc<Mutex<Plan>>,
}

impl FaultProxy {
    /// Start a proxy to `upstream` (`http://127.0.0.1:PORT`) with `plan`.
    pub async fn start(upstream: &str, plan: Plan) -> Self {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("upstream is plain HTTP on loopback")
            .trim_end_matches('/')
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicU64::new(0));
        let injected = Arc::new(AtomicU64::new(0));
        let plan = Arc::new(Mutex::new(plan));
        let (r, i, p) = (requests.clone(), injected.clone(), plan.clone());
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let (r, i, p, up) = (r.clone(), i.clone(), p.clone(), upstream.clone());
                tokio::spawn(async move {
                    let _ = serve(client, &up, &r, &i, &p).await;
                });
            }
        });
        Self {
            url,
            requests,
            injected,
            plan,
        }
    }

    /// Replace the fault plan.
    pub fn set_plan(&self, plan: Plan) {
        *self.plan.lock().unwrap() = plan;
    }
}

async fn read_request(s: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(p) = find(&buf, b"\r\n\r\n") {
            break p + 4;
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < header_end + len {
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(buf))
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

async fn serve(
    mut client: TcpStream,
    upstream: &str,
    requests: &AtomicU64,
    injected: &AtomicU64,
    plan: &Mutex<Plan>,
) -> std::io::Result<()> {
    while let Some(req) = read_request(&mut client).await? {
        let n = requests.fetch_add(1, Ordering::SeqCst);
        let text = String::from_utf8_lossy(&req).to_string();
        let fault = (plan.lock().unwrap())(n, &text);
        if fault != Fault::Pass {
            injected.fetch_add(1, Ordering::SeqCst);
        }
        match fault {
            Fault::Pass => {
                let reply = forward(upstream, &req).await?;
                client.write_all(&reply).await?;
                // moto's reply may be framed by the end of the connection: end ours too.
                client.shutdown().await?;
                return Ok(());
            }
            Fault::Throttle => client.write_all(&throttle(&text)).await?,
            Fault::Status(code) => client.write_all(&server_error(&text, code)).await?,
            Fault::Delay(d) => {
                tokio::time::sleep(d).await;
                let reply = forward(upstream, &req).await?;
                let _ = client.write_all(&reply).await;
                return Ok(());
            }
            Fault::Reset => {
                // A zero linger makes the close send RST; with zero it does not block.
                #[allow(deprecated)]
                client.set_linger(Some(std::time::Duration::ZERO))?;
                return Ok(());
            }
            Fault::Truncate => {
                let reply = forward(upstream, &req).await?;
                client.write_all(&reply[..reply.len() / 2]).await?;
                client.shutdown().await?;
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Forward on a fresh upstream connection (`Connection: close`) and return the whole reply.
async fn forward(upstream: &str, req: &[u8]) -> std::io::Result<Vec<u8>> {
    let header_end = find(req, b"\r\n\r\n").map_or(req.len(), |p| p + 4);
    let head = String::from_utf8_lossy(&req[..header_end]);
    let mut rewritten = String::new();
    for line in head.split("\r\n") {
        if line.is_empty() {
            continue;
        }
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        rewritten.push_str(line);
        rewritten.push_str("\r\n");
    }
    rewritten.push_str("Connection: close\r\n\r\n");
    let mut up = TcpStream::connect(upstream).await?;
    up.write_all(rewritten.as_bytes()).await?;
    up.write_all(&req[header_end..]).await?;
    let mut reply = Vec::new();
    up.read_to_end(&mut reply).await?;
    Ok(reply)
}

fn server_error(request: &str, code: u16) -> Vec<u8> {
    let json = request
        .to_ascii_lowercase()
        .contains("content-type: application/x-amz-json");
    let (ctype, body) = if json {
        (
            "application/x-amz-json-1.1",
            r#"{"__type":"InternalServerError","message":"injected"}"#.to_string(),
        )
    } else {
        (
            "text/xml",
            "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>injected</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>".to_string(),
        )
    };
    let reason = if code == 503 {
        "Service Unavailable"
    } else {
        "Internal Server Error"
    };
    format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn throttle(request: &str) -> Vec<u8> {
    let json = request
        .to_ascii_lowercase()
        .contains("content-type: application/x-amz-json");
    let (ctype, body) = if json {
        (
            "application/x-amz-json-1.1",
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string(),
        )
    } else {
        (
            "text/xml",
            "<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>".to_string(),
        )
    };
    format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nx-amzn-RequestId: fault-proxy\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
