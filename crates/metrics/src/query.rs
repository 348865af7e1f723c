//! Canonical metric queries: what to ask CloudWatch (or its emulation) for.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::Seconds;

/// Index of a metric query in a compiled policy set. Policies that name the same metric share
/// one id, so the daemon asks CloudWatch for it once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MetricId(pub u32);

impl MetricId {
    /// The id as a slice index.
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A CloudWatch statistic.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Statistic {
    /// `Average`
    Average,
    /// `Sum`
    Sum,
    /// `Minimum`
    Minimum,
    /// `Maximum`
    Maximum,
    /// `SampleCount`
    SampleCount,
    /// A percentile, `p0`..=`p100` (e.g. `p99`, `p99.9`).
    Percentile(f64),
}

impl Statistic {
    /// Parse CloudWatch's spelling (`Average`, `p99`, `p99.9`, ...).
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s {
            "Average" => Self::Average,
            "Sum" => Self::Sum,
            "Minimum" => Self::Minimum,
            "Maximum" => Self::Maximum,
            "SampleCount" => Self::SampleCount,
            p if p.starts_with('p') => {
                let v: f64 = p[1..]
                    .parse()
                    .map_err(|_| format!("`{s}` is not a percentile such as p99 or p99.9"))?;
                if !(0.0..=100.0).contains(&v) {
                    return Err(format!("percentile `{s}` must lie between p0 and p100"));
                }
                Self::Percentile(v)
            }
            _ => {
                return Err(format!(
                    "unknown statistic `{s}`: expected Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p99"
                ))
            }
        })
    }
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Average => f.write_str("Average"),
            Self::Sum => f.write_str("Sum"),
            Self::Minimum => f.write_str("Minimum"),
            Self::Maximum => f.write_str("Maximum"),
            Self::SampleCount => f.write_str("SampleCount"),
            Self::Percentile(p) => write!(f, "p{p}"),
        }
    }
}

/// One CloudWatch metric with a statistic over a period (a `MetricStat` in GetMetricData).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricStat {
    /// CloudWatch namespace, e.g. `AWS/SageMaker`.
    pub namespace: String,
    /// Metric name, e.g. `InvocationsPerInstance`.
    pub name: String,
    /// Dimensions, sorted by name so equal metrics compare equal.
    pub dimensions: Vec<(String, String)>,
    /// Statistic over each period.
    pub statistic: Statistic,
    /// Period of each datapoint.
    pub period: Seconds,
}

/// What a policy observes: a plain metric or a metric-math expression over named inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum MetricQuery {
    /// A single metric.
    Stat(MetricStat),
    /// A CloudWatch metric-math expression over `inputs`, each named by its id.
    Expression {
        /// The expression text, e.g. `m1 / m2 * 100`.
        expression: String,
        /// Period of the result.
        period: Seconds,
        /// Inputs, sorted by id.
        inputs: Vec<(String, MetricStat)>,
    },
}

impl MetricQuery {
    /// An `AWS/SageMaker` metric without dimensions (the simulator's endpoints are implicit).
    #[must_use]
    pub fn sagemaker(name: &str, statistic: Statistic, period: Seconds) -> Self {
        Self::Stat(MetricStat {
            namespace: "AWS/SageMaker".into(),
            name: name.into(),
            dimensions: Vec::new(),
            statistic,
            period,
        })
    }

    /// Period of the datapoints this query yields.
    #[must_use]
    pub fn period(&self) -> Seconds {
        match self {
            Self::Stat(s) => s.period,
            Self::Expression { period, .. } => *period,
        }
    }
}

impl fmt::Display for MetricQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stat(s) => write!(
                f,
                "{}/{} {} {}s",
                s.namespace, s.name, s.statistic, s.period.0
            ),
            Self::Expression {
                expression, period, ..
            } => write!(f, "expr({expression}) {}s", period.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_parse_as_cloudwatch_spells_them() {
        assert_eq!(Statistic::parse("Average"), Ok(Statistic::Average));
        assert_eq!(Statistic::parse("p99.9"), Ok(Statistic::Percentile(99.9)));
        assert!(Statistic::parse("p101").is_err());
        assert!(Statistic::parse("average").is_err());
        assert!(Statistic::parse("pxx").is_err());
    }
}
