//! Generated policy sets: every one either validates or gets errors that each name the file,
//! a field or line, and a message; none panics.

use proptest::prelude::*;

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        (-5i64..50).prop_map(|n| n.to_string()),
        (-1.0f64..2000.0).prop_map(|f| format!("{f:.3}")),
        Just("\"x\"".to_string()),
        Just("true".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("1e400".to_string()),
    ]
}

fn resource() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}".prop_map(|e| format!("endpoint/{e}/variant/AllTraffic")),
        "[a-z]{1,8}".prop_map(|e| format!("inference-component/{e}")),
        Just("endpoint/bad_name!/variant/v".to_string()),
        Just("not-a-resource".to_string()),
    ]
}

fn metric() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{ predefined = \"InvocationsPerInstance\" }".to_string()),
        Just("{ predefined = \"ModelLatency\", statistic = \"p99\" }".to_string()),
        Just("{ predefined = \"NoSuchMetric\" }".to_string()),
        Just("{ namespace = \"App\", name = \"Q\", statistic = \"Maximum\", period = 60 }".to_string()),
        Just("{ expression = \"a / b\", metrics = { a = { predefined = \"Invocations\" }, b = { predefined = \"Invocation5XXErrors\" } } }".to_string()),
        Just("{ expression = \"a / (\", metrics = { a = { predefined = \"Invocations\" } } }".to_string()),
        Just("{ predefined = \"Invocations\", period = 17 }".to_string()),
    ]
}

fn policy() -> impl Strategy<Value = String> {
    prop_oneof![
        (metric(), value(), proptest::option::of(value())).prop_map(|(m, t, c)| {
            let mut s = format!("type = \"target-tracking\"\nmetric = {m}\ntarget = {t}\n");
            if let Some(c) = c {
                s += &format!("scale_out_cooldown = {c}\n");
            }
            s
        }),
        (metric(), value(), value(), value()).prop_map(|(m, th, lower, adj)| format!(
            "type = \"step\"\nadjustment_type = \"ChangeInCapacity\"\nsteps = [{{ lower = {lower}, adjustment = {adj} }}]\n[targets.policies.alarm]\ncomparison = \"GreaterThanThreshold\"\nthreshold = {th}\nmetric = {m}\n"
        )),
        (value(), value()).prop_map(|(min, max)| format!(
            "type = \"scheduled\"\nschedule = \"cron(0 8 * * ? *)\"\ntimezone = \"Europe/Berlin\"\nmin = {min}\nmax = {max}\n"
        )),
        Just("type = \"scheduled\"\nschedule = \"cron(61 8 * * ? *)\"\nmin = 1\n".to_string()),
        (metric(), value(), value()).prop_map(|(m, t, w)| format!(
            "type = \"burst-aware\"\nmetric = {m}\ntarget = {t}\nstable_window_seconds = {w}\n"
        )),
        (metric(), value(), value()).prop_map(|(m, t, d)| format!(
            "type = \"predictive\"\nmode = \"forecast-and-scale\"\nmetric = {m}\ntarget = {t}\nhistory_days = {d}\n"
        )),
        (value(), value()).prop_map(|(tp, d)| format!(
            "type = \"backlog-deadline\"\ninstance_throughput_per_minute = {tp}\ndeadline_seconds = {d}\n"
        )),
        ("[a-z]{1,6}", metric(), value(), value(), value()).prop_map(|(fallback, m, th, clear, shift)| format!(
            "type = \"quality-guard\"\nfallback = \"{fallback}\"\nshift = {shift}\n[[targets.policies.checks]]\nmetric = {m}\ncomparison = \"GreaterThanThreshold\"\nthreshold = {th}\nclear = {clear}\n"
        )),
        Just("type = \"no-such-type\"\n".to_string()),
    ]
}

fn target() -> impl Strategy<Value = String> {
    (
        "[a-z]{1,6}",
        resource(),
        value(),
        value(),
        proptest::collection::vec(policy(), 0..4),
    )
        .prop_map(|(name, res, min, max, policies)| {
            let mut s = format!("[[targets]]\nname = \"{name}\"\nresource_id = \"{res}\"\nmin = {min}\nmax = {max}\n");
            for (i, p) in policies.iter().enumerate() {
                s += &format!("\n[[targets.policies]]\nname = \"p{i}\"\n{p}");
            }
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_generated_policy_set_validates_or_is_explained(targets in proptest::collection::vec(target(), 1..4)) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("generated.toml");
        let text = targets.join("\n");
        std::fs::write(&file, &text).unwrap();
        match sagescale::policy::load(std::slice::from_ref(&file)) {
            Ok((set, _)) => {
                prop_assert_eq!(set.targets.len(), targets.len());
                for t in &set.targets {
                    prop_assert!(t.min <= t.max);
                }
            }
            Err(problems) => {
                prop_assert!(!problems.0.is_empty());
                for d in &problems.0 {
                    prop_assert_eq!(&d.file, &file);
                    prop_assert!(!d.message.trim().is_empty());
                    prop_assert!(
                        !d.path.is_empty() || d.line.is_some(),
                        "an error with neither field nor line: {}\n{}", d, text
                    );
                }
            }
        }
    }
}
