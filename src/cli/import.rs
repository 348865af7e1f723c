//! `sagescale import` and `sagescale init`: start from what runs today.
//!
//! `import` reads an endpoint's (or every endpoint's) Application Auto Scaling setup and writes
//! the policy file that reproduces it; `init` writes a daemon config with relative paths beside
//! that policy (or, for an endpoint with no scalable target yet, a starter policy).

use std::path::Path;
use std::process::ExitCode;

use sagescale::aws::setup::{read_setup, variants, Selection};
use sagescale::aws::{AwsClients, RetryPolicy};
use sagescale::core::NoObserver;
use sagescale::interop::aas::Setup;
use sagescale::interop::from_aas;

use super::aws_args::AwsArgs;
use super::daemon_config::runtime;
use super::out;

async fn connect(aws: &AwsArgs) -> Result<AwsClients, String> {
    AwsClients::connect(&aws.settings())
        .await
        .map_err(|e| e.to_string())
}

async fn read(aws: &AwsArgs, endpoints: &[String]) -> Result<Setup, String> {
    let c = connect(aws).await?;
    let selection = Selection {
        endpoints: endpoints.to_vec(),
    };
    read_setup(&c, &RetryPolicy::default(), &NoObserver, &selection)
        .await
        .map_err(|e| e.to_string())
}

fn header(what: &str) -> Vec<String> {
    vec![
        format!("Imported by `sagescale import` from {what}'s Application Auto Scaling setup."),
        "It reproduces what AWS runs today: `sagescale simulate` it against sagescale's policies before you change anything.".into(),
    ]
}

/// `sagescale import`: print (or write) the policy file for `endpoints` (all when empty).
pub fn import(endpoints: &[String], aws: &AwsArgs, output: Option<&Path>) -> ExitCode {
    let Some(rt) = runtime() else {
        return ExitCode::FAILURE;
    };
    let setup = match rt.block_on(read(aws, endpoints)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read the Application Auto Scaling setup: {e}");
            return ExitCode::FAILURE;
        }
    };
    if setup.targets.is_empty() {
        eprintln!(
            "error: no SageMaker scalable target is registered{}: register one (`aws application-autoscaling register-scalable-target`), or start with `sagescale init ENDPOINT`",
            if endpoints.is_empty() {
                String::new()
            } else {
                format!(" for {}", endpoints.join(", "))
            }
        );
        return ExitCode::FAILURE;
    }
    let what = if endpoints.is_empty() {
        "every endpoint".to_string()
    } else {
        endpoints.join(", ")
    };
    let text = from_aas::render(&setup, &header(&what));
    write_or_print(output, &text, setup.targets.len())
}

fn write_or_print(output: Option<&Path>, text: &str, targets: usize) -> ExitCode {
    match output {
        None => {
            out(text);
            ExitCode::SUCCESS
        }
        Some(p) => match std::fs::write(p, text) {
            Ok(()) => {
                eprintln!("wrote {} ({targets} target(s))", p.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", p.display());
                ExitCode::FAILURE
            }
        },
    }
}

/// One variant a starter policy is for: its name, today's instance count, and the bounds.
struct Starter {
    variant: String,
    count: String,
    min: u32,
    max: u32,
}

impl Starter {
    /// Bounds around today's count: never below it, up to four times it.
    fn around(variant: String, count: u32) -> Self {
        let min = count.max(1);
        Self {
            variant,
            count: format!("{count} instance(s)"),
            min,
            max: (min * 4).max(4),
        }
    }
}

/// A starter policy for an endpoint AAS does not scale yet: target tracking on
/// `InvocationsPerInstance`, within the registered bounds or bounds around today's count.
fn starter(endpoint: &str, variants: &[Starter], why: &str) -> String {
    let mut text = format!(
        "# A starter policy for {endpoint}, which {why}. Its target is a\n\
         # starting point, not a measurement: replay last week's traffic through it with\n\
         # `sagescale simulate`, and let `sagescale tune` pick the target.\n"
    );
    for Starter {
        variant,
        count,
        min,
        max,
    } in variants
    {
        let name = from_aas::target_name(&format!("endpoint/{endpoint}/variant/{variant}"));
        text.push_str(&format!(
            "\n[[targets]]\nname = \"{name}\"\nresource_id = \"endpoint/{endpoint}/variant/{variant}\"\n\
             # Today: {count}.\nmin = {min}\nmax = {max}\n\n\
             [[targets.policies]]\ntype = \"target-tracking\"\nname = \"invocations-per-instance\"\n\
             metric = {{ predefined = \"InvocationsPerInstance\" }}\n\
             # Invocations per instance per minute at which one instance still meets your latency\n\
             # SLO: measure it (a load test, or `sagescale tune` on exported traffic).\n\
             target = 1000.0\n"
        ));
    }
    text
}

/// `sagescale init ENDPOINT`: `DIR/sagescale.toml` and `DIR/policies/ENDPOINT.toml`.
pub fn init(endpoint: &str, aws: &AwsArgs, dir: &Path, force: bool) -> ExitCode {
    let config = dir.join("sagescale.toml");
    let policy = dir.join("policies").join(format!("{endpoint}.toml"));
    for p in [&config, &policy] {
        if p.exists() && !force {
            eprintln!(
                "error: {} exists: nothing was written. Pass --force to replace it",
                p.display()
            );
            return ExitCode::FAILURE;
        }
    }
    let Some(rt) = runtime() else {
        return ExitCode::FAILURE;
    };
    let names = [endpoint.to_string()];
    let found = rt.block_on(async {
        let setup = read(aws, &names).await?;
        let scaled = setup
            .targets
            .iter()
            .any(|t| !t.policies.is_empty() || !t.scheduled.is_empty());
        if scaled {
            return Ok((from_aas::render(&setup, &header(endpoint)), true));
        }
        if !setup.targets.is_empty() {
            // Registered, but nothing scales it: start within the registered bounds.
            let v: Vec<Starter> = setup
                .targets
                .iter()
                .filter_map(|t| {
                    let variant = t.resource_id.rsplit('/').next()?.to_string();
                    Some(Starter {
                        variant,
                        count: format!("registered [{}, {}]", t.min_capacity, t.max_capacity),
                        min: t.min_capacity.max(1),
                        max: t.max_capacity.max(t.min_capacity.max(1)),
                    })
                })
                .collect();
            let why = "is registered with Application Auto Scaling but has no scaling policy";
            return Ok((starter(endpoint, &v, why), false));
        }
        let c = connect(aws).await?;
        let v = variants(&c, &RetryPolicy::default(), &NoObserver, endpoint)
            .await
            .map_err(|e| e.to_string())?;
        let v: Vec<Starter> = v.into_iter().map(|(n, c)| Starter::around(n, c)).collect();
        Ok::<_, String>((starter(endpoint, &v, "has no scalable target yet"), false))
    });
    let (policy_text, imported) = match found {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot read endpoint {endpoint}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut config_text = String::from(
        "# sagescale daemon config, written by `sagescale init`. Paths are relative to this file.\n\
         # Every key with its default: deploy/config/sagescale.toml in the sagescale repository.\n\
         policy_dir = \"policies\"\n\
         state_file = \"state/state.json\"\n\
         decision_log = \"state/decisions.jsonl\"\n\
         # Decide and log, change nothing: set to false once `sagescale plan` reads right.\n\
         dry_run = true\n",
    );
    if aws.region.is_some() || aws.profile.is_some() || aws.endpoint_url.is_some() {
        config_text.push_str("\n[aws]\n");
        if let Some(r) = &aws.region {
            config_text.push_str(&format!("region = \"{r}\"\n"));
        }
        if let Some(p) = &aws.profile {
            config_text.push_str(&format!("profile = \"{p}\"\n"));
        }
        if let Some(u) = &aws.endpoint_url {
            config_text.push_str(&format!(
                "[aws.endpoints]\nsagemaker = \"{u}\"\napplication_autoscaling = \"{u}\"\ncloudwatch = \"{u}\"\nsts = \"{u}\"\niam = \"{u}\"\n"
            ));
        }
    }
    let written = std::fs::create_dir_all(dir.join("policies"))
        .and_then(|()| std::fs::create_dir_all(dir.join("state")))
        .and_then(|()| std::fs::write(&policy, &policy_text))
        .and_then(|()| std::fs::write(&config, &config_text));
    if let Err(e) = written {
        eprintln!("error: cannot write into {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    out(&format!(
        "wrote {} and {} ({})\nnext: sagescale validate {}; sagescale doctor --config {}; sagescale plan --config {}\n",
        config.display(),
        policy.display(),
        if imported {
            "imported from its Application Auto Scaling setup: remove those AWS policies before `sagescale run` drives the endpoint, or the two fight"
        } else {
            "a starter policy: nothing scales it yet"
        },
        policy.display(),
        config.display(),
        config.display()
    ));
    ExitCode::SUCCESS
}
