//! The bundled inference-component scenario end to end, on one test day after one train day:
//! three models on one GPU endpoint, AWS's recipe as the baseline, one endpoint per model, and
//! the oracle as the floor.

use std::path::Path;

use sagescale::sim::compare::compare;
use sagescale::sim::report::{html, summarise, table};
use sagescale::sim::scenario::{self, Overrides, WindowDoc};
use sagescale::sim::tune::{tune, Template, TuneOptions};

fn window(from: &str, until: &str) -> Option<WindowDoc> {
    Some(WindowDoc {
        from: from.into(),
        until: until.into(),
    })
}

/// The bundled scenario, scored on 05-16 after tuning on 05-15: a day each keeps the tests quick.
fn one_day_after_one() -> scenario::Scenario {
    let o = Overrides {
        test: window("2024-05-16T00:00:00Z", "2024-05-17T00:00:00Z"),
        train: window("2024-05-15T00:00:00Z", "2024-05-16T00:00:00Z"),
        ..Overrides::default()
    };
    scenario::load(Path::new("simulations/inference-components.toml"), &o)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_component_scenario_runs_aws_s_recipe_one_endpoint_per_model_and_the_oracle_floor() {
    let s = one_day_after_one();
    assert!(s.targets.is_empty());
    let e = s.inference_components.as_ref().unwrap();
    assert_eq!(
        e.components
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["completion", "chat", "nightly-eval"]
    );
    let c = compare(&s, false);
    let ic = c.inference_components.as_ref().unwrap();
    let names: Vec<&str> = ic.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "sagescale-burst",
            "sagescale-burst+cron",
            "aws-recipe",
            "aws-recipe-tuned",
            "one-endpoint-per-model-tuned",
            "k8s-hpa-tuned",
            "knative-kpa-tuned",
            "keda-cloudwatch-tuned",
            "oracle"
        ]
    );
    let row = |n: &str| ic.rows.iter().find(|r| r.name == n).unwrap();
    let eval = |n: &str| {
        row(n)
            .run
            .components
            .iter()
            .find(|c| c.name == "nightly-eval")
            .unwrap()
            .clone()
    };
    // The oracle is the floor: no SLO minute, no request without a copy, and no contender
    // is cheaper.
    let oracle = row("oracle");
    assert_eq!(oracle.run.slo_violation_minutes, 0.0);
    assert_eq!(oracle.run.failed_without_copy, 0.0);
    for r in &ic.rows {
        assert!(
            oracle.run.cost_usd <= r.run.cost_usd + 1e-9,
            "{} costs {} below the oracle's {}",
            r.name,
            r.run.cost_usd,
            oracle.run.cost_usd
        );
    }
    // AWS's recipe takes the idle model to zero and wakes it on its failed requests: the day's
    // job fails requests for minutes first (a copy on a warm instance after the wake alarm).
    let aws = eval("aws-recipe");
    assert!(aws.wakes >= 1, "{aws:?}");
    assert!(aws.failed_without_copy > 100.0, "{aws:?}");
    assert!(aws.mean_wake_s > 60.0, "{aws:?}");
    // Zero copies while idle: fewer copy-hours over the test day than one copy kept all day
    // (the job's hour at many copies is most of them).
    assert!(aws.copy_hours < 24.0, "zero copies while idle: {aws:?}");
    // The job's cron wakes it before its first request.
    let cron = eval("sagescale-burst+cron");
    assert!(
        cron.failed_without_copy < aws.failed_without_copy / 10.0,
        "{cron:?} against {aws:?}"
    );
    // Alone on its own endpoint, the model never has zero instances: nothing fails for want
    // of one, and it pays for the idle hours.
    let own = eval("one-endpoint-per-model-tuned");
    assert_eq!(own.failed_without_copy, 0.0);
    assert!(own.copy_hours >= 24.0 - 1e-6, "{own:?}");
    // The tuned rows chose on the train day within aws-recipe's SLO minutes there.
    assert!(!ic.in_sample);
    let tuned = row("aws-recipe-tuned");
    assert!(tuned.target_factor.is_some() && tuned.within_budget.is_some());
    // No model fits Serverless Inference: each needs a GPU.
    assert!(ic.serverless.iter().all(|f| f.does_not_fit.is_some()));
    // The report carries the comparison and no empty endpoint rows; the terminal shows it.
    let summary = summarise(&s, &c);
    assert!(summary.policies.is_empty() && summary.targets.is_empty());
    assert!(summary.inference_components.is_some());
    let text = table(&summary);
    assert!(
        text.contains("inference components on `llm-shared`"),
        "{text}"
    );
    assert!(
        text.contains("aws-recipe-tuned") && text.contains("oracle"),
        "{text}"
    );
    assert!(!text.contains("vs aws-tuned"), "{text}");
    // So does the HTML page: the components' table, a row per contender, no empty charts.
    let page = html(&s, &c, &summary);
    let at = page
        .find("Inference components on <code>llm-shared</code>")
        .unwrap();
    let table = &page[at..at + page[at..].find("</table>").unwrap()];
    assert_eq!(table.matches("<tr><td").count(), ic.rows.len(), "{table}");
    assert!(
        table.contains("aws-recipe-tuned") && table.contains(">oracle<"),
        "{table}"
    );
    assert!(!page.contains("Cost against SLO-violation minutes"));
}

/// The load error of a scenario whose sections are `sections`, beside a one-line trace.
fn load_error(tag: &str, sections: &str) -> String {
    let dir = std::env::temp_dir().join(format!("sagescale-ic-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("t.csv"), "Time,a\n2024-05-10 00:00:00,1\n").unwrap();
    let path = dir.join("s.toml");
    std::fs::write(
        &path,
        format!("name = \"bad\"\ndescription = \"bad\"\n[trace]\npath = \"t.csv\"\n{sections}[[policies]]\nname = \"p\"\npath = \"p.toml\"\n"),
    )
    .unwrap();
    let err = scenario::load(&path, &Overrides::default())
        .err()
        .unwrap()
        .to_string();
    std::fs::remove_dir_all(&dir).ok();
    err
}

#[test]
fn a_bad_component_section_names_each_field_and_the_fix() {
    let err = load_error(
        "section",
        r#"[inference_components]
endpoint = "e"
instance_type = "ml.g5.12xlarge"
dedicated_instance_type = "ml.c5.xlarge"
max_instances = 0
copy_s = -1
scale_in = { strategy = "IDLE_RELEASE", cooldown_in_minutes = 2 }
[[inference_components.components]]
name = "a model"
instance_type = "ml.g5.xlarge"
latency_ms = 100
accelerators = 9
aws_target = 2.0
min = 0
max = 2
slo = { p99_latency_ms = 1000 }
"#,
    );
    for (field, says) in [
        (
            "inference_components.dedicated_instance_type",
            "give an accelerator type",
        ),
        ("inference_components.max_instances", "need 1 <= max"),
        ("inference_components.copy_s", "must be above 0 seconds"),
        (
            "inference_components.scale_in.cooldown_in_minutes",
            "SageMaker accepts 5 to 1440 minutes",
        ),
        (
            "inference_components.scale_in",
            "apply to `CONSOLIDATION` only",
        ),
        (
            "inference_components.components[0].instance_type",
            "the endpoint's instances",
        ),
        (
            "inference_components.components[0].accelerators",
            "a copy needs 1 to",
        ),
        (
            "inference_components.components[0].aws_target",
            "a factor of each copy's concurrency",
        ),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(field) && l.contains(says))
            .unwrap_or_else(|| panic!("no `{field}` error saying `{says}` in:\n{err}"));
        assert!(line.contains("s.toml"), "{line}");
    }
    // A strategy SageMaker does not have is named with the ones it has.
    let err = load_error(
        "strategy",
        r#"[inference_components]
endpoint = "e"
instance_type = "ml.g5.12xlarge"
max_instances = 2
scale_in = { strategy = "SHRINK" }
[[inference_components.components]]
name = "a"
latency_ms = 100
min = 0
max = 2
slo = { p99_latency_ms = 1000 }
"#,
    );
    assert!(
        err.contains("SHRINK") && err.contains("IDLE_RELEASE") && err.contains("CONSOLIDATION"),
        "{err}"
    );
    // min 0 stays an error on a plain real-time target.
    let err = load_error(
        "target",
        r#"[[targets]]
name = "a"
instance_type = "ml.c5.xlarge"
latency_ms = 100
min = 0
max = 2
accelerators = 1
slo = { p99_latency_ms = 1000 }
"#,
    );
    assert!(
        err.contains("targets[0].min") && err.contains("inference components"),
        "{err}"
    );
    assert!(err.contains("targets[0].accelerators"), "{err}");
}

#[test]
fn tune_searches_a_component_template_against_aws_s_recipe_out_of_sample() {
    let s = one_day_after_one();
    // The bundled template, cut to two targets: one value for all three components.
    let text = std::fs::read_to_string("simulations/tune/inference-components.tune.toml")
        .unwrap()
        .replace("{{target = 2.0..4.0 step 0.2}}", "{{target = 2.4 | 3.6}}")
        .replace("{{stable = 60 | 120 | 300}}", "{{stable = 60}}")
        .replace("{{hold = 0 | 300 | 600}}", "{{hold = 600}}");
    let t = Template::parse(Path::new("ic.tune.toml"), &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.grid_size(), 2);
    assert_eq!(t.render(1).matches("target = 3.6").count(), 3);
    let r = tune(
        &s,
        &t,
        &TuneOptions {
            budget: 10,
            max_slo_minutes: None,
            threads: 2,
            shard: None,
            progress: false,
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // The baseline is AWS's recipe, tuned on the train day; the budget its default's minutes.
    assert_eq!(r.aws_tuned.chosen.len(), 1);
    assert_eq!(r.aws_tuned.chosen[0].1, "aws-recipe");
    assert!(r.aws.test.cost_usd > 0.0 && r.aws_tuned.test.cost_usd > 0.0);
    assert_eq!(r.max_slo_minutes, r.aws.train.slo_violation_minutes);
    // Each candidate is scored on both days, over the components: a higher target per copy
    // costs less.
    let [low, high] = [&r.candidates[0], &r.candidates[1]];
    assert!(low.error.is_none() && high.error.is_none());
    assert!(high.train.cost_usd < low.train.cost_usd, "{low:?} {high:?}");
    assert!(high.test.cost_usd < low.test.cost_usd, "{low:?} {high:?}");
}
