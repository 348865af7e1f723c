//! `sagescale iam-policy`: the least-privilege IAM policy for a policy set, scoped to exactly
//! its endpoints and inference components, plus the CloudWatch reads and the optional lease
//! table. docs/operations.md lists where AWS allows no resource scoping.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use sagescale_policy::{parse_resource, PolicySet, Resource};

/// Where the policy applies.
#[derive(Clone, Debug)]
pub struct Scope {
    /// AWS partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// Region, or `*`.
    pub region: String,
    /// Account id, or `*`.
    pub account: String,
    /// The DynamoDB lease table, when high availability is on.
    pub lease_table: Option<String>,
    /// Whether sagescale publishes its own metrics.
    pub publish_metrics: bool,
}

/// SageMaker lower-cases resource names in ARNs.
fn arn(scope: &Scope, service: &str, resource: &str) -> String {
    format!(
        "arn:{}:{service}:{}:{}:{resource}",
        scope.partition, scope.region, scope.account
    )
}

/// The policy document for `set` in `scope`.
#[must_use]
pub fn policy(set: &PolicySet, scope: &Scope) -> Value {
    let mut endpoints = BTreeSet::new();
    let mut components = BTreeSet::new();
    let mut dimensions = BTreeSet::new();
    for t in &set.targets {
        dimensions.insert(t.dimension.aws_name());
        match parse_resource(&t.resource_id) {
            Ok(Resource::Variant { endpoint, .. }) => {
                endpoints.insert(arn(
                    scope,
                    "sagemaker",
                    &format!("endpoint/{}", endpoint.to_lowercase()),
                ));
            }
            Ok(Resource::InferenceComponent { name }) => {
                components.insert(arn(
                    scope,
                    "sagemaker",
                    &format!("inference-component/{}", name.to_lowercase()),
                ));
            }
            Err(_) => {}
        }
    }
    let mut statements = vec![
        json!({
            "Sid": "ReadMetrics",
            "Effect": "Allow",
            "Action": ["cloudwatch:GetMetricData"],
            "Resource": "*"
        }),
        json!({
            "Sid": "ListEndpoints",
            "Effect": "Allow",
            "Action": ["sagemaker:ListEndpoints"],
            "Resource": "*"
        }),
    ];
    if !endpoints.is_empty() {
        // AAS checks that the caller of RegisterScalableTarget may change the endpoint itself.
        statements.push(json!({
            "Sid": "ManagedEndpoints",
            "Effect": "Allow",
            "Action": [
                "sagemaker:DescribeEndpoint",
                "sagemaker:UpdateEndpointWeightsAndCapacities"
            ],
            "Resource": endpoints.into_iter().collect::<Vec<_>>()
        }));
    }
    // The config an endpoint runs is named by DescribeEndpoint's reply, not the policy file:
    // read to tell async endpoints at setup and an inference component's instance type.
    statements.push(json!({
        "Sid": "ReadEndpointConfigs",
        "Effect": "Allow",
        "Action": ["sagemaker:DescribeEndpointConfig"],
        "Resource": arn(scope, "sagemaker", "endpoint-config/*")
    }));
    if !components.is_empty() {
        // An inference component's endpoint, and the other components on it, are named by
        // SageMaker's replies, not the policy file: read for the instances, managed instance
        // scaling and the copies the neighbours hold.
        statements.push(json!({
            "Sid": "ReadComponentEndpoints",
            "Effect": "Allow",
            "Action": ["sagemaker:DescribeEndpoint", "sagemaker:DescribeInferenceComponent"],
            "Resource": [
                arn(scope, "sagemaker", "endpoint/*"),
                arn(scope, "sagemaker", "inference-component/*")
            ]
        }));
        statements.push(json!({
            "Sid": "ListInferenceComponents",
            "Effect": "Allow",
            "Action": ["sagemaker:ListInferenceComponents"],
            "Resource": "*"
        }));
    }
    if !components.is_empty() {
        statements.push(json!({
            "Sid": "ManagedInferenceComponents",
            "Effect": "Allow",
            "Action": [
                "sagemaker:DescribeInferenceComponent",
                "sagemaker:UpdateInferenceComponentRuntimeConfig"
            ],
            "Resource": components.into_iter().collect::<Vec<_>>()
        }));
    }
    statements.push(json!({
        "Sid": "ReadScalableTargets",
        "Effect": "Allow",
        "Action": [
            "application-autoscaling:DescribeScalableTargets",
            "application-autoscaling:DescribeScalingPolicies"
        ],
        "Resource": "*"
    }));
    statements.push(json!({
        "Sid": "RegisterScalableTargets",
        "Effect": "Allow",
        "Action": ["application-autoscaling:RegisterScalableTarget"],
        "Resource": arn(scope, "application-autoscaling", "scalable-target/*"),
        "Condition": {
            "StringEquals": {
                "application-autoscaling:service-namespace": "sagemaker",
                "application-autoscaling:scalable-dimension": dimensions.into_iter().collect::<Vec<_>>()
            }
        }
    }));
    statements.push(json!({
        "Sid": "ServiceLinkedRoleForFirstRegistration",
        "Effect": "Allow",
        "Action": ["iam:CreateServiceLinkedRole"],
        "Resource": format!(
            "arn:{}:iam::{}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
            scope.partition, scope.account
        ),
        "Condition": {
            "StringLike": { "iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com" }
        }
    }));
    if scope.publish_metrics {
        statements.push(json!({
            "Sid": "PublishOwnMetrics",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricData"],
            "Resource": "*",
            "Condition": { "StringEquals": { "cloudwatch:namespace": "sagescale" } }
        }));
    }
    if let Some(table) = &scope.lease_table {
        statements.push(json!({
            "Sid": "LeaderLease",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
            "Resource": arn(scope, "dynamodb", &format!("table/{table}"))
        }));
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}
