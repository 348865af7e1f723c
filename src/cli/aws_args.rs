//! Where a one-shot command that reads AWS (`import`, `init`, `doctor`) reaches it.

/// Where to reach AWS: the standard chain, plus what the flags say.
#[derive(Clone, Debug, clap::Args)]
pub struct AwsArgs {
    /// Region (default: the environment or profile's).
    #[arg(long)]
    pub region: Option<String>,
    /// Named profile.
    #[arg(long)]
    pub profile: Option<String>,
    /// One endpoint URL for every AWS service sagescale calls (an emulator, or a gateway);
    /// `AWS_ENDPOINT_URL` and the per-service `AWS_ENDPOINT_URL_*` variables work too.
    #[arg(long)]
    pub endpoint_url: Option<String>,
}

#[cfg(feature = "aws")]
impl AwsArgs {
    /// The settings the clients are built from.
    #[must_use]
    pub fn settings(&self) -> sagescale::aws::AwsSettings {
        let url = self.endpoint_url.clone();
        sagescale::aws::AwsSettings {
            region: self.region.clone(),
            profile: self.profile.clone(),
            endpoints: sagescale::aws::EndpointUrls {
                cloudwatch: url.clone(),
                application_autoscaling: url.clone(),
                sagemaker: url.clone(),
                dynamodb: None,
                sts: url.clone(),
                iam: url,
            },
            ..sagescale::aws::AwsSettings::default()
        }
    }
}
