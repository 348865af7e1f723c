//! The setup as an AWS CLI script: `register-scalable-target`, `put-scaling-policy`,
//! `put-metric-alarm` and `put-scheduled-action`, in the order AWS needs them (a step policy's
//! ARN goes into its alarm's actions).

use crate::aas::{slug, ScalingPolicy, Setup, Target};
use crate::cloudformation::{alarm_properties, step, target_tracking};

/// `text` quoted for a POSIX shell.
fn q(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `setup` as a bash script, headed by `header` lines as comments.
#[must_use]
pub fn render(setup: &Setup, header: &[String]) -> String {
    let mut out = String::from("#!/usr/bin/env bash\n");
    for h in header {
        for line in h.lines() {
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("set -euo pipefail\n");
    for t in &setup.targets {
        target(&mut out, t);
    }
    out
}

fn target(out: &mut String, t: &Target) {
    let on = format!(
        "--service-namespace sagemaker --resource-id {} --scalable-dimension {}",
        q(&t.resource_id),
        q(&t.scalable_dimension)
    );
    out.push_str(&format!(
        "\n# {}\naws application-autoscaling register-scalable-target {on} \\\n  --min-capacity {} --max-capacity {}\n",
        t.name, t.min_capacity, t.max_capacity
    ));
    for p in &t.policies {
        match p {
            ScalingPolicy::TargetTracking(tt) => out.push_str(&format!(
                "aws application-autoscaling put-scaling-policy {on} \\\n  --policy-name {} --policy-type TargetTrackingScaling \\\n  --target-tracking-scaling-policy-configuration {}\n",
                q(&tt.name),
                q(&target_tracking(tt).to_string())
            )),
            ScalingPolicy::Step(s) => {
                let var = format!("{}_{}_arn", slug(&t.name), slug(&s.name));
                out.push_str(&format!(
                    "{var}=$(aws application-autoscaling put-scaling-policy {on} \\\n  --policy-name {} --policy-type StepScaling \\\n  --step-scaling-policy-configuration {} \\\n  --query PolicyARN --output text)\n",
                    q(&s.name),
                    q(&step(s).to_string())
                ));
                for a in &s.alarms {
                    out.push_str(&format!(
                        "aws cloudwatch put-metric-alarm --cli-input-json {} \\\n  --alarm-actions \"${var}\"\n",
                        q(&alarm_properties(a).to_string())
                    ));
                }
            }
            ScalingPolicy::Other { .. } => {}
        }
    }
    for s in &t.scheduled {
        let mut action = Vec::new();
        if let Some(m) = s.min_capacity {
            action.push(format!("MinCapacity={m}"));
        }
        if let Some(m) = s.max_capacity {
            action.push(format!("MaxCapacity={m}"));
        }
        out.push_str(&format!(
            "aws application-autoscaling put-scheduled-action {on} \\\n  --scheduled-action-name {} --schedule {}",
            q(&s.name),
            q(&s.schedule)
        ));
        if let Some(tz) = &s.timezone {
            out.push_str(&format!(" --timezone {}", q(tz)));
        }
        if let Some(t) = &s.start {
            out.push_str(&format!(" --start-time {}", q(t)));
        }
        if let Some(t) = &s.end {
            out.push_str(&format!(" --end-time {}", q(t)));
        }
        out.push_str(&format!(
            " \\\n  --scalable-target-action {}\n",
            action.join(",")
        ));
    }
}
