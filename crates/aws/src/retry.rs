//! Step-Functions-style retriers around every AWS call, and the classification of SDK errors
//! into the classes they match on.
//!
//! The SDK's own retry layer is switched off (see [`super::clients`]) so these retriers are the
//! only ones: attempts never multiply, and every attempt is counted in `/metrics`.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use aws_sdk_cloudwatch::error::{ProvideErrorMetadata, SdkError};
use serde::Deserialize;

pub use sagescale_core::{CallError, CallObserver, ErrorClass, NoObserver};

/// What a retrier matches: one class, or `all`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorMatch {
    /// Throttling.
    Throttling,
    /// Server errors.
    ServerError,
    /// Timeouts.
    Timeout,
    /// Connection failures.
    Connection,
    /// Every error, client errors included (`States.ALL`).
    All,
}

impl ErrorMatch {
    fn matches(self, class: ErrorClass) -> bool {
        match self {
            Self::All => true,
            Self::Throttling => class == ErrorClass::Throttling,
            Self::ServerError => class == ErrorClass::ServerError,
            Self::Timeout => class == ErrorClass::Timeout,
            Self::Connection => class == ErrorClass::Connection,
        }
    }
}

/// Jitter on each delay.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Jitter {
    /// Exact delays.
    None,
    /// A delay drawn uniformly from `[0, delay]` (AWS's "full jitter").
    #[default]
    Full,
}

/// One retrier, as in a Step Functions `Retry` field.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retrier {
    /// The error classes this retrier handles.
    pub error_equals: Vec<ErrorMatch>,
    /// Delay before the first retry, in seconds.
    #[serde(default = "default_interval")]
    pub interval_seconds: f64,
    /// Retries after the first attempt (Step Functions counts them the same way); 0 disables.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Each retry waits this many times longer than the one before (≥ 1).
    #[serde(default = "default_backoff")]
    pub backoff_rate: f64,
    /// No delay is longer than this, in seconds.
    #[serde(default = "default_max_delay")]
    pub max_delay_seconds: f64,
    /// Jitter.
    #[serde(default)]
    pub jitter: Jitter,
}

fn default_interval() -> f64 {
    1.0
}
fn default_attempts() -> u32 {
    3
}
fn default_backoff() -> f64 {
    2.0
}
fn default_max_delay() -> f64 {
    20.0
}

impl Retrier {
    /// Why this retrier cannot be used, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.error_equals.is_empty() {
            return Err("error_equals names no error class".into());
        }
        if !(self.interval_seconds.is_finite() && self.interval_seconds >= 0.0) {
            return Err("interval_seconds must be zero or more".into());
        }
        if !(self.backoff_rate.is_finite() && self.backoff_rate >= 1.0) {
            return Err("backoff_rate must be 1.0 or more".into());
        }
        if !(self.max_delay_seconds.is_finite() && self.max_delay_seconds >= 0.0) {
            return Err("max_delay_seconds must be zero or more".into());
        }
        if self.max_attempts > 20 {
            return Err("max_attempts above 20 would stall a cycle for too long".into());
        }
        Ok(())
    }

    /// The delay before retry number `retry` (0-based), before jitter.
    #[must_use]
    pub fn delay(&self, retry: u32) -> Duration {
        let d = self.interval_seconds * self.backoff_rate.powi(retry.min(60) as i32);
        Duration::from_secs_f64(d.min(self.max_delay_seconds).max(0.0))
    }
}

/// The retriers in force, tried in order: the first whose `error_equals` matches an error
/// handles it (as Step Functions does).
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retriers, first match wins.
    pub retriers: Vec<Retrier>,
}

impl Default for RetryPolicy {
    /// Throttling backs off longest; server errors, timeouts and connection failures a little
    /// less; client errors are not retried.
    fn default() -> Self {
        Self {
            retriers: vec![
                Retrier {
                    error_equals: vec![ErrorMatch::Throttling],
                    interval_seconds: 1.0,
                    max_attempts: 5,
                    backoff_rate: 2.0,
                    max_delay_seconds: 20.0,
                    jitter: Jitter::Full,
                },
                Retrier {
                    error_equals: vec![
                        ErrorMatch::ServerError,
                        ErrorMatch::Timeout,
                        ErrorMatch::Connection,
                    ],
                    interval_seconds: 0.5,
                    max_attempts: 3,
                    backoff_rate: 2.0,
                    max_delay_seconds: 10.0,
                    jitter: Jitter::Full,
                },
            ],
        }
    }
}

/// Classify an SDK error into the class retriers match on.
pub fn classify<E, R>(err: &SdkError<E, R>) -> ErrorClass
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: HasStatus + fmt::Debug + 'static,
{
    match err {
        SdkError::TimeoutError(_) => ErrorClass::Timeout,
        SdkError::DispatchFailure(d) => {
            if d.is_timeout() {
                ErrorClass::Timeout
            } else if d.is_user() || is_credentials_failure(err) {
                // Credentials that cannot be loaded, and requests that cannot be built:
                // retrying would not help.
                ErrorClass::Client
            } else {
                // I/O errors, and the connector's "other" errors such as a connection closed
                // before the reply was complete (a truncated body).
                ErrorClass::Connection
            }
        }
        // A reply that could not be read: a truncated or garbled body.
        SdkError::ResponseError(_) => ErrorClass::ServerError,
        SdkError::ServiceError(s) => classify_reply(s.err().code(), s.raw().status()),
        // Construction failures are ours, not the service's.
        _ => ErrorClass::Client,
    }
}

/// Whether a dispatch failure comes from loading credentials (the SDK reports it as a
/// connector error of kind "other", like a broken connection; only its chain tells).
fn is_credentials_failure<E, R>(err: &SdkError<E, R>) -> bool
where
    E: std::error::Error + 'static,
    R: fmt::Debug + 'static,
{
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.to_string().contains("credentials") {
            return true;
        }
        source = e.source();
    }
    false
}

/// Classify a service reply by its error code and HTTP status.
#[must_use]
pub fn classify_reply(code: Option<&str>, status: u16) -> ErrorClass {
    const THROTTLING: [&str; 7] = [
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
    ];
    const SERVER: [&str; 4] = [
        "InternalServiceException",
        "InternalFailure",
        "ServiceUnavailable",
        "InternalServerError",
    ];
    match code {
        Some(c) if THROTTLING.contains(&c) => ErrorClass::Throttling,
        Some(c) if SERVER.contains(&c) => ErrorClass::ServerError,
        _ if status == 429 => ErrorClass::Throttling,
        _ if status >= 500 => ErrorClass::ServerError,
        _ => ErrorClass::Client,
    }
}

/// The HTTP status of a raw reply.
pub trait HasStatus {
    /// HTTP status code.
    fn status(&self) -> u16;
}

impl HasStatus for aws_sdk_cloudwatch::config::http::HttpResponse {
    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Run `call` under `policy`: retry while a retrier matches and has attempts left, sleeping
/// its (jittered) delay; report every attempt to `observer`.
pub async fn with_retries<T, E, R, F, Fut>(
    policy: &RetryPolicy,
    observer: &dyn CallObserver,
    service: &'static str,
    operation: &'static str,
    mut call: F,
) -> Result<T, CallError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: HasStatus + fmt::Debug + Send + Sync + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
{
    // Retries used so far, per retrier (Step Functions keeps a count per retrier).
    let mut used = [0u32; 8];
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let err = match call().await {
            Ok(v) => {
                observer.attempt(service, operation, Ok(()));
                return Ok(v);
            }
            Err(e) => e,
        };
        let class = classify(&err);
        observer.attempt(service, operation, Err(class));
        let handler = policy
            .retriers
            .iter()
            .enumerate()
            .find(|(_, r)| r.error_equals.iter().any(|m| m.matches(class)));
        let retry = handler.and_then(|(i, r)| {
            let n = used.get_mut(i)?;
            (*n < r.max_attempts).then(|| {
                let delay = jittered(r, *n);
                *n += 1;
                delay
            })
        });
        match retry {
            Some(delay) => {
                tracing::debug!(
                    service,
                    operation,
                    class = class.as_str(),
                    attempts,
                    delay_ms = delay.as_millis() as u64,
                    "retrying AWS call"
                );
                tokio::time::sleep(delay).await;
            }
            None => {
                return Err(CallError {
                    class,
                    code: error_code(&err),
                    message: describe(&err),
                    attempts,
                })
            }
        }
    }
}

/// Every item of a paged `Describe*` call, each page retried as [`with_retries`] retries one
/// call: `call(token)` asks for the page after `token`, `split` takes a page's items and its
/// next token.
///
/// # Errors
/// A page failed after its retries.
pub async fn all_pages<P, T, E, R, F, Fut, S>(
    policy: &RetryPolicy,
    observer: &dyn CallObserver,
    service: &'static str,
    operation: &'static str,
    mut call: F,
    split: S,
) -> Result<Vec<T>, CallError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: HasStatus + fmt::Debug + Send + Sync + 'static,
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<P, SdkError<E, R>>>,
    S: Fn(P) -> (Vec<T>, Option<String>),
{
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page =
            with_retries(policy, observer, service, operation, || call(token.clone())).await?;
        let (items, next) = split(page);
        out.extend(items);
        match next {
            Some(t) => token = Some(t),
            None => return Ok(out),
        }
    }
}

fn jittered(r: &Retrier, retry: u32) -> Duration {
    let d = r.delay(retry);
    match r.jitter {
        Jitter::None => d,
        Jitter::Full => d.mul_f64(rand::random::<f64>()),
    }
}

fn error_code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<String> {
    match err {
        SdkError::ServiceError(s) => s.err().code().map(str::to_string),
        _ => None,
    }
}

fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    match err {
        SdkError::DispatchFailure(_) if is_credentials_failure(err) => NO_CREDENTIALS.to_string(),
        SdkError::DispatchFailure(d) if d.is_timeout() => {
            format!(
                "no connection within the connect timeout ({})",
                root_cause(err)
            )
        }
        SdkError::DispatchFailure(d) if d.is_io() => format!("cannot connect: {}", root_cause(err)),
        SdkError::TimeoutError(_) => {
            "no complete reply within the attempt timeout (aws.timeouts.attempt_seconds)".into()
        }
        SdkError::ServiceError(s) => {
            let e = s.err();
            match (e.code(), e.message()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.to_string(),
                _ => short(&aws_sdk_cloudwatch::error::DisplayErrorContext(err).to_string()),
            }
        }
        _ => short(&aws_sdk_cloudwatch::error::DisplayErrorContext(err).to_string()),
    }
}

/// What a credentials failure means, and what to do about it.
pub const NO_CREDENTIALS: &str = "no AWS credentials found: none in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), the profile (AWS_PROFILE or aws.profile, in ~/.aws), web identity (AWS_WEB_IDENTITY_TOKEN_FILE), the container (ECS task role) or the instance role (IMDS); give the daemon one of them";

/// The innermost cause of an error: what the operating system or the TLS library said (for
/// example `Connection refused (os error 111)`), not the wrappers' "dispatch failure: io
/// error: client error".
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut last = err;
    while let Some(next) = last.source() {
        last = next;
    }
    short(&last.to_string())
}

/// The SDK's error chains end in debug dumps of whole responses; the first sentence or two
/// say what happened.
fn short(text: &str) -> String {
    const MAX: usize = 240;
    let cut = text.find(" (").map_or(text.len(), |i| i.min(text.len()));
    let mut s = text[..cut].to_string();
    if s.len() > MAX {
        let mut end = MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_classified_by_code_then_status() {
        assert_eq!(
            classify_reply(Some("Throttling"), 400),
            ErrorClass::Throttling
        );
        assert_eq!(
            classify_reply(Some("ThrottlingException"), 400),
            ErrorClass::Throttling
        );
        assert_eq!(classify_reply(None, 429), ErrorClass::Throttling);
        assert_eq!(classify_reply(None, 503), ErrorClass::ServerError);
        assert_eq!(
            classify_reply(Some("InternalServiceException"), 400),
            ErrorClass::ServerError
        );
        assert_eq!(
            classify_reply(Some("ValidationException"), 400),
            ErrorClass::Client
        );
    }

    #[test]
    fn delays_grow_by_the_backoff_rate_up_to_the_cap() {
        let r = Retrier {
            error_equals: vec![ErrorMatch::All],
            interval_seconds: 1.0,
            max_attempts: 6,
            backoff_rate: 2.0,
            max_delay_seconds: 5.0,
            jitter: Jitter::None,
        };
        let secs: Vec<f64> = (0..5).map(|i| r.delay(i).as_secs_f64()).collect();
        assert_eq!(secs, vec![1.0, 2.0, 4.0, 5.0, 5.0]);
        assert!(r.check().is_ok());
        let bad = Retrier {
            backoff_rate: 0.5,
            ..r.clone()
        };
        assert!(bad.check().unwrap_err().contains("backoff_rate"));
    }

    #[test]
    fn only_all_matches_client_errors() {
        assert!(ErrorMatch::All.matches(ErrorClass::Client));
        for m in [
            ErrorMatch::Throttling,
            ErrorMatch::ServerError,
            ErrorMatch::Timeout,
            ErrorMatch::Connection,
        ] {
            assert!(!m.matches(ErrorClass::Client));
        }
        assert!(ErrorMatch::Timeout.matches(ErrorClass::Timeout));
        assert!(!ErrorMatch::Timeout.matches(ErrorClass::Connection));
    }
}
