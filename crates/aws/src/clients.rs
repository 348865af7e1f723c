//! Building the SDK clients from settings: region, profile, and per-service endpoint URLs
//! (for VPC interface endpoints, and for tests against a local emulator).

use serde::Deserialize;

/// Optional endpoint URL per service.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct EndpointUrls {
    /// CloudWatch.
    #[serde(default)]
    pub cloudwatch: Option<String>,
    /// Application Auto Scaling.
    #[serde(default)]
    pub application_autoscaling: Option<String>,
    /// SageMaker.
    #[serde(default)]
    pub sagemaker: Option<String>,
    /// DynamoDB (the leader lease, when high availability is on).
    #[serde(default)]
    pub dynamodb: Option<String>,
}

/// Where and as whom to reach AWS. Credentials always come from the standard chain
/// (environment, profile, web identity, container or instance role).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AwsSettings {
    /// Region; default from the environment or profile.
    #[serde(default)]
    pub region: Option<String>,
    /// Named profile.
    #[serde(default)]
    pub profile: Option<String>,
    /// Endpoint URL overrides.
    #[serde(default)]
    pub endpoints: EndpointUrls,
    /// SDK timeouts.
    #[serde(default)]
    pub timeouts: Timeouts,
}

/// How long the SDK waits. A call that times out is retried by sagescale's retriers (the
/// SDK's own retries are off, so attempts never multiply).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// Connecting (TCP and TLS), in seconds.
    #[serde(default = "default_connect")]
    pub connect_seconds: f64,
    /// One attempt of one call, from sending to the last byte of the reply, in seconds.
    #[serde(default = "default_attempt")]
    pub attempt_seconds: f64,
}

fn default_connect() -> f64 {
    3.0
}
fn default_attempt() -> f64 {
    10.0
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect_seconds: default_connect(),
            attempt_seconds: default_attempt(),
        }
    }
}

/// A setting that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SettingsError {
    /// An endpoint URL that is neither HTTPS nor plain HTTP to a loopback address.
    #[error("endpoint URL `{url}` for {service}: AWS calls use HTTPS; plain HTTP is allowed only to a loopback address (127.0.0.0/8, ::1, localhost)")]
    InsecureEndpoint {
        /// The service.
        service: &'static str,
        /// The URL.
        url: String,
    },
    /// A timeout outside (0, 300] seconds.
    #[error("{field} = {value}: a timeout must lie in (0, 300] seconds")]
    BadTimeout {
        /// The setting.
        field: &'static str,
        /// Its value.
        value: f64,
    },
}

impl AwsSettings {
    /// Check every endpoint URL: HTTPS, or HTTP to loopback only (for tests).
    pub fn check(&self) -> Result<(), SettingsError> {
        for (field, v) in [
            ("timeouts.connect_seconds", self.timeouts.connect_seconds),
            ("timeouts.attempt_seconds", self.timeouts.attempt_seconds),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 300.0) {
                return Err(SettingsError::BadTimeout { field, value: v });
            }
        }
        let e = &self.endpoints;
        for (service, url) in [
            ("cloudwatch", &e.cloudwatch),
            ("application_autoscaling", &e.application_autoscaling),
            ("sagemaker", &e.sagemaker),
            ("dynamodb", &e.dynamodb),
        ] {
            if let Some(url) = url {
                if !url_is_allowed(url) {
                    return Err(SettingsError::InsecureEndpoint {
                        service,
                        url: url.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

fn url_is_allowed(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The SDK clients sagescale uses.
#[derive(Clone, Debug)]
pub struct AwsClients {
    /// CloudWatch (metrics in; sagescale's own metrics out).
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Application Auto Scaling (capacity out).
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    /// SageMaker (endpoint status, variant capacity).
    pub sagemaker: aws_sdk_sagemaker::Client,
    /// DynamoDB (the leader lease).
    pub dynamodb: aws_sdk_dynamodb::Client,
}

impl AwsClients {
    /// Build the clients: the standard credential chain, the configured region and profile,
    /// and each service's endpoint URL override.
    pub async fn connect(settings: &AwsSettings) -> Result<Self, SettingsError> {
        settings.check()?;
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(std::time::Duration::from_secs_f64(
                settings.timeouts.connect_seconds,
            ))
            .operation_attempt_timeout(std::time::Duration::from_secs_f64(
                settings.timeouts.attempt_seconds,
            ))
            .build();
        // sagescale's own retriers (`super::retry`) are the only ones: the SDK's are off.
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .timeout_config(timeouts);
        if let Some(region) = &settings.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        let shared = loader.load().await;
        let e = &settings.endpoints;

        let mut cw = aws_sdk_cloudwatch::config::Builder::from(&shared);
        if let Some(url) = &e.cloudwatch {
            cw = cw.endpoint_url(url);
        }
        let mut aas = aws_sdk_applicationautoscaling::config::Builder::from(&shared);
        if let Some(url) = &e.application_autoscaling {
            aas = aas.endpoint_url(url);
        }
        let mut sm = aws_sdk_sagemaker::config::Builder::from(&shared);
        if let Some(url) = &e.sagemaker {
            sm = sm.endpoint_url(url);
        }
        let mut ddb = aws_sdk_dynamodb::config::Builder::from(&shared);
        if let Some(url) = &e.dynamodb {
            ddb = ddb.endpoint_url(url);
        }
        Ok(Self {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(ddb.build()),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(cw.build()),
            autoscaling: aws_sdk_applicationautoscaling::Client::from_conf(aas.build()),
            sagemaker: aws_sdk_sagemaker::Client::from_conf(sm.build()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_allowed_only_to_loopback() {
        for ok in [
            "https://monitoring.us-east-1.amazonaws.com",
            "http://127.0.0.1:5000",
            "http://localhost:80/",
            "http://[::1]:9000",
            "http://127.8.9.10",
        ] {
            assert!(url_is_allowed(ok), "{ok}");
        }
        for bad in [
            "http://10.0.0.5:5000",
            "http://example.com",
            "ftp://127.0.0.1",
            "127.0.0.1:5000",
            "http://192.168.1.1",
        ] {
            assert!(!url_is_allowed(bad), "{bad}");
        }
        let s = AwsSettings {
            endpoints: EndpointUrls {
                sagemaker: Some("http://10.1.2.3".into()),
                ..EndpointUrls::default()
            },
            ..AwsSettings::default()
        };
        assert!(matches!(
            s.check(),
            Err(SettingsError::InsecureEndpoint {
                service: "sagemaker",
                ..
            })
        ));
    }
}
