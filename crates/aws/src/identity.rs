//! Who sagescale runs as, for `doctor`: where the credentials came from, the caller identity
//! (STS `GetCallerIdentity`), and a dry check of permissions (IAM `SimulatePrincipalPolicy`,
//! which evaluates the caller's policies without making any of the calls).

use aws_credential_types::provider::ProvideCredentials;

use super::clients::AwsClients;
use super::retry::{with_retries, RetryPolicy};
use sagescale_core::{CallError, CallObserver};

/// Where the credentials came from and what they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialSource {
    /// The provider in the default chain that answered (`Environment`, `Profile`,
    /// `WebIdentityToken`, `EcsContainer`, `Ec2InstanceMetadata`, ...).
    pub provider: String,
    /// The access key id, all but its last four characters hidden.
    pub access_key: String,
    /// Whether they expire (temporary credentials).
    pub temporary: bool,
}

/// The credentials the clients sign with, or the chain's error.
///
/// # Errors
/// No provider in the chain had credentials.
pub async fn credentials(c: &AwsClients) -> Result<CredentialSource, String> {
    let Some(p) = &c.credentials else {
        return Err("no credentials provider is configured".into());
    };
    let creds = p.provide_credentials().await.map_err(|e| {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text = format!("{text}: {s}");
            source = s.source();
        }
        text
    })?;
    // The provider's name is kept for debugging only: its Debug form is the one place the SDK
    // shows it.
    let debug = format!("{creds:?}");
    let provider = debug
        .split("provider_name: \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or("unknown")
        .to_string();
    let key = creds.access_key_id();
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Ok(CredentialSource {
        provider,
        access_key: format!("…{tail}"),
        temporary: creds.expiry().is_some(),
    })
}

/// The caller: its ARN and account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// `arn:aws:iam::ACCOUNT:user/NAME`, `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, ...
    pub arn: String,
    /// The account id.
    pub account: String,
}

impl Caller {
    /// The principal IAM evaluates policies for: an assumed-role session's role (without its
    /// path, which the session ARN does not show), else the ARN itself.
    #[must_use]
    pub fn principal(&self) -> String {
        let parts: Vec<&str> = self.arn.split(':').collect();
        if let [arn, partition, "sts", _, account, rest] = parts.as_slice() {
            if let Some(r) = rest.strip_prefix("assumed-role/") {
                let role = r.split('/').next().unwrap_or(r);
                return format!("{arn}:{partition}:iam::{account}:role/{role}");
            }
        }
        self.arn.clone()
    }
}

/// STS `GetCallerIdentity`.
///
/// # Errors
/// The call failed after its retries.
pub async fn caller(
    c: &AwsClients,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
) -> Result<Caller, CallError> {
    let r = with_retries(retry, observer, "sts", "GetCallerIdentity", || {
        c.sts.get_caller_identity().send()
    })
    .await?;
    Ok(Caller {
        arn: r.arn().unwrap_or_default().to_string(),
        account: r.account().unwrap_or_default().to_string(),
    })
}

/// One action's verdict on one set of resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// `sagemaker:DescribeEndpoint`, ...
    pub action: String,
    /// `allowed`, `explicitDeny` or `implicitDeny`.
    pub decision: String,
}

/// IAM `SimulatePrincipalPolicy` for `principal` on `actions` over `resources`.
///
/// # Errors
/// The call failed (the caller may lack `iam:SimulatePrincipalPolicy`).
pub async fn simulate(
    c: &AwsClients,
    retry: &RetryPolicy,
    observer: &dyn CallObserver,
    principal: &str,
    actions: &[String],
    resources: &[String],
) -> Result<Vec<Verdict>, CallError> {
    let r = with_retries(retry, observer, "iam", "SimulatePrincipalPolicy", || {
        c.iam
            .simulate_principal_policy()
            .policy_source_arn(principal)
            .set_action_names(Some(actions.to_vec()))
            .set_resource_arns(Some(resources.to_vec()))
            .send()
    })
    .await?;
    Ok(r.evaluation_results()
        .iter()
        .map(|e| Verdict {
            action: e.eval_action_name().to_string(),
            decision: e.eval_decision().as_str().to_string(),
        })
        .collect())
}
