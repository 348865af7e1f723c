//! The leader lease in DynamoDB: one item per lease name, taken and renewed with conditional
//! writes. Each time the lease changes hands its `token` goes up by one: the fencing token,
//! recorded in every decision-log entry and required by every write the leader makes.
//!
//! Table: partition key `lease` (string). Item `{lease, owner, expires_ms, token}`; the
//! leader's engine state is kept beside it in item `<lease>#state` `{token, state}` (gzipped
//! JSON), written only under the current token, so a new leader resumes the old one's cooldown
//! clocks and pins.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::Arc;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::retry::{with_retries, CallError, CallObserver, ErrorClass, RetryPolicy};

/// A lease and who this process is.
pub struct Lease {
    client: aws_sdk_dynamodb::Client,
    retry: RetryPolicy,
    observer: Arc<dyn CallObserver>,
    /// Table name.
    pub table: String,
    /// Lease name (one per policy set or shard).
    pub name: String,
    /// This process's identity.
    pub owner: String,
    /// Lease length, in milliseconds.
    pub ttl_ms: i64,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease")
            .field("table", &self.table)
            .field("name", &self.name)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}
fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl Lease {
    /// A lease named `name` in `table`, held for `ttl_ms` at a time, by `owner`.
    #[must_use]
    pub fn new(
        client: aws_sdk_dynamodb::Client,
        retry: RetryPolicy,
        observer: Arc<dyn CallObserver>,
        table: String,
        name: String,
        owner: String,
        ttl_ms: i64,
    ) -> Self {
        Self {
            client,
            retry,
            observer,
            table,
            name,
            owner,
            ttl_ms,
        }
    }

    /// Take the lease if it is free or expired at `now_ms`: `Some(token)` of the new epoch.
    pub async fn acquire(&self, now_ms: i64) -> Result<Option<u64>, CallError> {
        let r = with_retries(
            &self.retry,
            self.observer.as_ref(),
            "dynamodb",
            "UpdateItem",
            || {
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .key("lease", s(&self.name))
                    .update_expression("SET #o = :me, expires_ms = :exp ADD #t :one")
                    .condition_expression("attribute_not_exists(#o) OR expires_ms < :now")
                    .expression_attribute_names("#o", "owner")
                    .expression_attribute_names("#t", "token")
                    .expression_attribute_values(":me", s(&self.owner))
                    .expression_attribute_values(":exp", n(now_ms + self.ttl_ms))
                    .expression_attribute_values(":now", n(now_ms))
                    .expression_attribute_values(":one", n(1))
                    .return_values(ReturnValue::AllNew)
                    .send()
            },
        )
        .await;
        match r {
            Ok(out) => {
                let token = out
                    .attributes()
                    .and_then(|a| a.get("token"))
                    .and_then(|v| v.as_n().ok())
                    .and_then(|t| t.parse().ok())
                    .ok_or_else(|| bad_reply("UpdateItem returned no token"))?;
                Ok(Some(token))
            }
            Err(e) if e.code.as_deref() == Some("ConditionalCheckFailedException") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Extend the lease held under `token`: `false` if it is no longer ours (another holds
    /// it, or ours expired at `now_ms`).
    pub async fn renew(&self, token: u64, now_ms: i64) -> Result<bool, CallError> {
        self.conditional_expiry(token, now_ms, now_ms + self.ttl_ms, "UpdateItem")
            .await
    }

    /// Give the lease up (on shutdown), so a follower takes over at once.
    pub async fn release(&self, token: u64, now_ms: i64) -> Result<bool, CallError> {
        self.conditional_expiry(token, now_ms, 0, "UpdateItem")
            .await
    }

    async fn conditional_expiry(
        &self,
        token: u64,
        now_ms: i64,
        expires: i64,
        operation: &'static str,
    ) -> Result<bool, CallError> {
        let token = i64::try_from(token).unwrap_or(i64::MAX);
        let r = with_retries(
            &self.retry,
            self.observer.as_ref(),
            "dynamodb",
            operation,
            || {
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .key("lease", s(&self.name))
                    .update_expression("SET expires_ms = :exp")
                    .condition_expression("#o = :me AND #t = :tok AND expires_ms >= :now")
                    .expression_attribute_names("#o", "owner")
                    .expression_attribute_names("#t", "token")
                    .expression_attribute_values(":me", s(&self.owner))
                    .expression_attribute_values(":tok", n(token))
                    .expression_attribute_values(":exp", n(expires))
                    .expression_attribute_values(":now", n(now_ms))
                    .send()
            },
        )
        .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if e.code.as_deref() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Store the leader's state under `token`; refused (`Ok(false)`) if a newer token wrote.
    pub async fn save_state(&self, token: u64, state: &[u8]) -> Result<bool, CallError> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(state)
            .map_err(|e| bad_reply(&format!("gzip: {e}")))?;
        let blob = gz.finish().map_err(|e| bad_reply(&format!("gzip: {e}")))?;
        let token = i64::try_from(token).unwrap_or(i64::MAX);
        let key = format!("{}#state", self.name);
        let r = with_retries(
            &self.retry,
            self.observer.as_ref(),
            "dynamodb",
            "PutItem",
            || {
                let mut item = HashMap::new();
                item.insert("lease".to_string(), s(&key));
                item.insert("token".to_string(), n(token));
                item.insert(
                    "state".to_string(),
                    AttributeValue::B(Blob::new(blob.clone())),
                );
                self.client
                    .put_item()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(#t) OR #t <= :tok")
                    .expression_attribute_names("#t", "token")
                    .expression_attribute_values(":tok", n(token))
                    .send()
            },
        )
        .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if e.code.as_deref() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The last leader's state, if any: `(token, json)`.
    pub async fn load_state(&self) -> Result<Option<(u64, Vec<u8>)>, CallError> {
        let key = format!("{}#state", self.name);
        let out = with_retries(
            &self.retry,
            self.observer.as_ref(),
            "dynamodb",
            "GetItem",
            || {
                self.client
                    .get_item()
                    .table_name(&self.table)
                    .key("lease", s(&key))
                    .consistent_read(true)
                    .send()
            },
        )
        .await?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let token = item
            .get("token")
            .and_then(|v| v.as_n().ok())
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| bad_reply("the state item has no token"))?;
        let blob = item
            .get("state")
            .and_then(|v| v.as_b().ok())
            .ok_or_else(|| bad_reply("the state item has no state"))?;
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(blob.as_ref())
            .read_to_end(&mut json)
            .map_err(|e| bad_reply(&format!("the state item is not gzip: {e}")))?;
        Ok(Some((token, json)))
    }
}

fn bad_reply(message: &str) -> CallError {
    CallError {
        class: ErrorClass::Client,
        code: None,
        message: message.to_string(),
        attempts: 1,
    }
}
