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
    /// STS (`doctor`'s caller identity).
    #[serde(default)]
    pub sts: Option<String>,
    /// IAM (`doctor`'s dry permission check).
    #[serde(default)]
    pub iam: Option<String>,
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
    /// An endpoint URL without `https://` or `http://`.
    #[error("endpoint URL `{url}` for {service} has no scheme: write `https://{url}`, or `http://{url}` for an emulator on a loopback address")]
    NoScheme {
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
            ("sts", &e.sts),
            ("iam", &e.iam),
        ] {
            if let Some(url) = url {
                if !url.contains("://") {
                    return Err(SettingsError::NoScheme {
                        service,
                        url: url.clone(),
                    });
                }
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

/// Where each service's calls go: the configured endpoint URL, or the service's regional
/// endpoint. What connection errors name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    /// CloudWatch.
    pub cloudwatch: String,
    /// Application Auto Scaling.
    pub application_autoscaling: String,
    /// SageMaker.
    pub sagemaker: String,
    /// DynamoDB.
    pub dynamodb: String,
}

impl Endpoints {
    /// The endpoints for `urls` in `region` (`None`: the SDK found no region).
    #[must_use]
    pub fn resolve(urls: &EndpointUrls, region: Option<&str>) -> Self {
        let regional = |host: &str| match region {
            Some(r) => format!("https://{host}.{r}.amazonaws.com"),
            None => {
                format!("https://{host}.<no region: set AWS_REGION or aws.region>.amazonaws.com")
            }
        };
        let pick = |url: &Option<String>, host: &str| url.clone().unwrap_or_else(|| regional(host));
        Self {
            cloudwatch: pick(&urls.cloudwatch, "monitoring"),
            application_autoscaling: pick(&urls.application_autoscaling, "application-autoscaling"),
            sagemaker: pick(&urls.sagemaker, "api.sagemaker"),
            dynamodb: pick(&urls.dynamodb, "dynamodb"),
        }
    }

    /// The endpoint of the service an operation belongs to (the operations sagescale calls).
    #[must_use]
    pub fn of_operation(&self, operation: &str) -> &str {
        match operation {
            "GetMetricData" | "PutMetricData" => &self.cloudwatch,
            "DescribeEndpoint"
            | "ListEndpoints"
            | "DescribeInferenceComponent"
            | "UpdateEndpointWeightsAndCapacities" => &self.sagemaker,
            "GetItem" | "PutItem" | "UpdateItem" | "DeleteItem" => &self.dynamodb,
            _ => &self.application_autoscaling,
        }
    }
}

/// Name `endpoint` in a call error that never reached it (connection failures and timeouts),
/// so the message says where sagescale tried.
#[must_use]
pub fn at_endpoint(mut e: sagescale_core::CallError, endpoint: &str) -> sagescale_core::CallError {
    use sagescale_core::ErrorClass;
    if matches!(e.class, ErrorClass::Connection | ErrorClass::Timeout)
        && !e.message.contains(endpoint)
    {
        e.message = match e.message.strip_prefix("cannot connect: ") {
            Some(why) => format!("cannot connect to {endpoint}: {why}"),
            None => format!("{endpoint}: {}", e.message),
        };
    }
    e
}

/// The SDK clients sagescale uses.
#[derive(Clone, Debug)]
pub struct AwsClients {
    /// Where each service's calls go.
    pub endpoints: Endpoints,
    /// CloudWatch (metrics in; sagescale's own metrics out).
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Application Auto Scaling (capacity out).
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    /// SageMaker (endpoint status, variant capacity).
    pub sagemaker: aws_sdk_sagemaker::Client,
    /// DynamoDB (the leader lease).
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// STS (`doctor`: the caller identity).
    pub sts: aws_sdk_sts::Client,
    /// IAM (`doctor`: the dry permission check).
    pub iam: aws_sdk_iam::Client,
    /// The region the clients were built for, if the chain found one.
    pub region: Option<String>,
    /// The credentials chain the clients sign with.
    pub credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
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
        let endpoints = Endpoints::resolve(e, shared.region().map(aws_config::Region::as_ref));

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
        let mut sts = aws_sdk_sts::config::Builder::from(&shared);
        let mut iam = aws_sdk_iam::config::Builder::from(&shared);
        if let Some(url) = &e.sts {
            sts = sts.endpoint_url(url);
        }
        if let Some(url) = &e.iam {
            iam = iam.endpoint_url(url);
        }
        Ok(Self {
            endpoints,
            sts: aws_sdk_sts::Client::from_conf(sts.build()),
            iam: aws_sdk_iam::Client::from_conf(iam.build()),
            credentials: shared.credentials_provider(),
            region: shared.region().map(|r| r.as_ref().to_string()),
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
    fn a_url_without_a_scheme_is_told_to_add_one() {
        let mut s = AwsSettings::default();
        s.endpoints.sagemaker = Some("127.0.0.1:5000".into());
        let e = s.check().unwrap_err().to_string();
        assert!(
            e.contains("has no scheme: write `https://127.0.0.1:5000`, or `http://127.0.0.1:5000`"),
            "{e}"
        );
        // A scheme that is not HTTPS to a remote host is the HTTPS rule's.
        s.endpoints.sagemaker = Some("http://example.com".into());
        assert!(s
            .check()
            .unwrap_err()
            .to_string()
            .contains("AWS calls use HTTPS"));
    }

    #[test]
    fn endpoints_are_the_configured_or_the_regional_ones_and_errors_name_them() {
        let urls = EndpointUrls {
            cloudwatch: Some("http://127.0.0.1:4566".into()),
            ..EndpointUrls::default()
        };
        let e = Endpoints::resolve(&urls, Some("eu-west-1"));
        assert_eq!(e.cloudwatch, "http://127.0.0.1:4566");
        assert_eq!(e.sagemaker, "https://api.sagemaker.eu-west-1.amazonaws.com");
        assert_eq!(
            e.of_operation("DescribeScalableTargets"),
            e.application_autoscaling
        );
        assert_eq!(e.of_operation("ListEndpoints"), e.sagemaker);
        assert!(Endpoints::resolve(&urls, None)
            .dynamodb
            .contains("no region"));
        let call = |class, message: &str| sagescale_core::CallError {
            class,
            code: None,
            message: message.into(),
            attempts: 1,
        };
        use sagescale_core::ErrorClass;
        let refused = at_endpoint(
            call(ErrorClass::Connection, "cannot connect: Connection refused"),
            &e.cloudwatch,
        );
        assert_eq!(
            refused.message,
            "cannot connect to http://127.0.0.1:4566: Connection refused"
        );
        // A reply came from the service: where it came from is not the news.
        let denied = at_endpoint(call(ErrorClass::Client, "AccessDenied: no"), &e.cloudwatch);
        assert_eq!(denied.message, "AccessDenied: no");
    }

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
