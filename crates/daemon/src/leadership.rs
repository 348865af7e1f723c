//! High availability: who leads. Replicas share a lease in DynamoDB ([`sagescale_aws::Lease`]);
//! the holder acts, the others follow. A background task renews the lease every third of its
//! TTL, so a long cycle does not lose it; the leader also confirms it right before any call
//! (the [`Fence`]), so a leader that was paused past its TTL never acts on the old epoch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sagescale_aws::Lease;
use sagescale_engine::Timestamp;

use super::state_file::DaemonState;
use super::telemetry::Telemetry;
use sagescale_core::ports::Fence;

/// Milliseconds since the Unix epoch, from the system clock.
#[must_use]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// This process's view of the lease. Token 0 means "not leader".
pub struct Leadership {
    lease: Arc<Lease>,
    token: Arc<AtomicU64>,
    telemetry: Arc<Telemetry>,
}

impl std::fmt::Debug for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leadership")
            .field("lease", &self.lease)
            .field("token", &self.token())
            .finish()
    }
}

/// What happened when the loop checked the lease.
#[derive(Debug)]
pub enum Change {
    /// No change.
    Same,
    /// This process became leader with this token; the last leader's state, if any, follows.
    Became(u64, Option<DaemonState>),
    /// This process lost the lease.
    Lost,
}

impl Leadership {
    /// Start following `lease`, with a renewer in the background.
    #[must_use]
    pub fn new(lease: Lease, telemetry: Arc<Telemetry>) -> Self {
        let lease = Arc::new(lease);
        let token = Arc::new(AtomicU64::new(0));
        let every = Duration::from_millis(u64::try_from(lease.ttl_ms / 3).unwrap_or(1000).max(100));
        let (l, t, tel) = (lease.clone(), token.clone(), telemetry.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let held = t.load(Ordering::SeqCst);
                if held == 0 {
                    continue;
                }
                match l.renew(held, now_ms()).await {
                    Ok(true) => {}
                    Ok(false) => {
                        if t.compare_exchange(held, 0, Ordering::SeqCst, Ordering::SeqCst)
                            .is_ok()
                        {
                            tel.leader.set(0);
                            tracing::warn!(
                                token = held,
                                "the leader lease was lost (renewal refused)"
                            );
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "lease renewal failed; retrying"),
                }
            }
        });
        telemetry.leader.set(0);
        Self {
            lease,
            token,
            telemetry,
        }
    }

    /// The fencing token while leader.
    #[must_use]
    pub fn token(&self) -> Option<u64> {
        match self.token.load(Ordering::SeqCst) {
            0 => None,
            t => Some(t),
        }
    }

    fn lose(&self, held: u64) -> Change {
        if self
            .token
            .compare_exchange(held, 0, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            self.telemetry.leader.set(0);
            tracing::warn!(token = held, "the leader lease was lost");
        }
        Change::Lost
    }

    /// Renew (leader) or try to take (follower) the lease; on taking it, read the last
    /// leader's state.
    pub async fn check(&self) -> Change {
        let now = now_ms();
        if let Some(held) = self.token() {
            return match self.lease.renew(held, now).await {
                Ok(true) => Change::Same,
                Ok(false) => self.lose(held),
                // Cannot tell: keep the token; the fence decides before any call.
                Err(e) => {
                    tracing::warn!(error = %e, "lease renewal failed");
                    Change::Same
                }
            };
        }
        match self.lease.acquire(now).await {
            Ok(Some(token)) => {
                let state = match self.lease.load_state().await {
                    Ok(Some((_, json))) => match serde_json::from_slice::<DaemonState>(&json) {
                        Ok(s) => Some(s),
                        Err(e) => {
                            tracing::error!(error = %e, "the last leader's state in the lease table is unreadable; starting from this replica's own");
                            None
                        }
                    },
                    Ok(None) => None,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot read the last leader's state; starting from this replica's own");
                        None
                    }
                };
                self.token.store(token, Ordering::SeqCst);
                self.telemetry.leader.set(1);
                self.telemetry
                    .fencing_token
                    .set(i64::try_from(token).unwrap_or(i64::MAX));
                tracing::info!(token, "became leader");
                Change::Became(token, state)
            }
            Ok(None) => Change::Same,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the lease");
                Change::Same
            }
        }
    }

    /// Store the leader's state beside the lease, under its token. A refusal means a newer
    /// leader exists: this process stops leading.
    pub async fn share(&self, state: &DaemonState) {
        let Some(held) = self.token() else {
            return;
        };
        let Ok(json) = serde_json::to_vec(state) else {
            return;
        };
        match self.lease.save_state(held, &json).await {
            Ok(true) => {}
            Ok(false) => {
                self.telemetry.error("fenced");
                tracing::error!(
                    token = held,
                    "a newer leader wrote the shared state: this write was refused"
                );
                self.lose(held);
            }
            Err(e) => tracing::warn!(error = %e, "cannot store the shared state"),
        }
    }

    /// Give the lease up at shutdown so a follower takes over at once.
    pub async fn release(&self) {
        if let Some(held) = self.token() {
            match self.lease.release(held, now_ms()).await {
                Ok(_) => tracing::info!(token = held, "lease released"),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot release the lease; it expires on its own")
                }
            }
            self.token.store(0, Ordering::SeqCst);
        }
    }
}

/// The fence a leader passes before every call: the lease is renewed under its token right
/// then, or no call is made.
pub struct LeaseFence<'a>(pub &'a Leadership);

impl Fence for LeaseFence<'_> {
    async fn confirm(&mut self, _now: Timestamp) -> bool {
        let Some(held) = self.0.token() else {
            return false;
        };
        match self.0.lease.renew(held, now_ms()).await {
            Ok(true) => true,
            Ok(false) => {
                self.0.lose(held);
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot confirm the lease before acting: no call this cycle");
                false
            }
        }
    }
}
