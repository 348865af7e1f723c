//! Decisions told in words, for logs, `plan` and `explain`.

use std::fmt::Write as _;

use super::decision::{BoundSource, Decision, Direction, Reason, Rule, Verdict};
use super::quality::GuardPhase;
use super::spec::TargetSpec;

impl Decision {
    /// A one-line summary and one line per policy, naming policies from `spec`.
    #[must_use]
    pub fn explain(&self, spec: &TargetSpec) -> String {
        let name = |i: u16| {
            spec.policies
                .get(usize::from(i))
                .map_or("?", |p| p.name.as_str())
        };
        let mut s = String::new();
        let _ = match self.direction {
            Direction::Hold => write!(s, "{}: hold at {}", spec.name, self.current),
            Direction::Out => write!(
                s,
                "{}: scale out {} -> {}",
                spec.name, self.current, self.desired
            ),
            Direction::In => write!(
                s,
                "{}: scale in {} -> {}",
                spec.name, self.current, self.desired
            ),
        };
        match self.by {
            Some(p) => {
                let _ = write!(s, " by policy `{}`", name(p));
            }
            None if self.changes() => s.push_str(" into the bounds in force"),
            None => {}
        }
        let source = |b: BoundSource| match b {
            BoundSource::Standing => "standing".to_string(),
            BoundSource::Scheduled(i) => format!("set by `{}`", name(i)),
            BoundSource::Kept => "kept while scheduled scaling is suspended".to_string(),
            BoundSource::QualityGuard => {
                "raised by a quality guard moving traffic to this variant".to_string()
            }
            BoundSource::InstanceRoom => {
                "lowered to the copies the endpoint's instances can hold".to_string()
            }
        };
        let _ = write!(
            s,
            " (bounds {}..={}: min {}, max {})",
            self.bounds.min,
            self.bounds.max,
            source(self.bounds.min_from),
            source(self.bounds.max_from)
        );
        for rule in [self.blocked, self.clamped].into_iter().flatten() {
            s.push_str("; ");
            s.push_str(&rule_text(rule, &name));
        }
        for v in &self.verdicts {
            let _ = write!(s, "\n  - `{}`: {}", name(v.policy), verdict_text(v));
        }
        s
    }
}

fn rule_text<'a>(rule: Rule, name: &dyn Fn(u16) -> &'a str) -> String {
    match rule {
        Rule::EndpointNotInService => {
            "blocked: the endpoint is not InService; deciding again next cycle".into()
        }
        Rule::ScaleOutSuspended => "blocked: dynamic scale-out is suspended".into(),
        Rule::ScaleInSuspended => "blocked: dynamic scale-in is suspended".into(),
        Rule::ScaleInCooldown { until } => format!("blocked: scale-in cooldown until {until}"),
        Rule::ScaleOutCooldown { until } => {
            format!("blocked: no scale-in during the scale-out cooldown (until {until})")
        }
        Rule::ScaleInNotUnanimous { policy } => format!(
            "blocked: scale-in needs every scale-in-enabled policy to agree, and `{}` does not",
            name(policy)
        ),
        Rule::ForecastFloor { policy, floor } => format!(
            "scale-in stopped at {floor}, the forecast floor of `{}`",
            name(policy)
        ),
        Rule::QualityFreeze { policy } => format!(
            "blocked: no scale-in while the quality guard `{}` is engaged",
            name(policy)
        ),
        Rule::ClampedToMin { wanted } => format!("wanted {wanted}, raised to the min"),
        Rule::ClampedToMax { wanted } => format!("wanted {wanted}, limited to the max"),
    }
}

fn verdict_text(v: &Verdict) -> String {
    let wants = v
        .wants
        .map(|w| format!(" -> wants {w}"))
        .unwrap_or_default();
    let why = match v.reason {
        Reason::Pending => "not evaluated".into(),
        Reason::NoData { stale: true } => "no decision: the newest datapoint is stale".into(),
        Reason::NoData { stale: false } => "no decision: insufficient data".into(),
        Reason::Steady { value, target } => {
            format!("{value:.4} is within the band around target {target}")
        }
        Reason::AboveTarget { value, target, breaching, of } => {
            format!("{value:.4} > target {target} on {breaching} of {of} datapoints")
        }
        Reason::BelowTarget { value, threshold, breaching, of } => {
            format!("{value:.4} < scale-in threshold {threshold:.4} on {breaching} of {of} datapoints")
        }
        Reason::ScaleInDisabled { value } => {
            format!("{value:.4} is low, but this policy has scale-in disabled")
        }
        Reason::WouldRebreach { value, after, target } => format!(
            "{value:.4} is low, but removing one unit would push it to {after:.4}, above target {target}"
        ),
        Reason::AddedCapacityCounts { base, wanted } => format!(
            "still high, but capacity added in the scale-out cooldown counts: {wanted} from base {base} is already met"
        ),
        Reason::StepAlarm { value, threshold, comparison, step, adjustment } => format!(
            "alarm: {value:.4} {} {threshold}; step {step} adjusts by {adjustment}",
            comparison.symbol()
        ),
        Reason::AlarmOk { value: Some(value), threshold, comparison } => {
            format!("alarm OK: {value:.4} is not {} {threshold}", comparison.symbol())
        }
        Reason::AlarmOk { value: None, .. } => "alarm OK".into(),
        Reason::NoStep { value, offset } => {
            format!("alarm, but no step covers {value:.4} (offset {offset:+.4})")
        }
        Reason::AlreadyInvoked { datapoint_end } => {
            format!("already acted on the datapoint ending {datapoint_end}")
        }
        Reason::Burst { stable_load, panic_load, target, panic: true, recommended } => format!(
            "panic: load {panic_load:.4} in the panic window (stable {stable_load:.4}) at {target:.4} per unit asks for {recommended}; no scale-in while panicking"
        ),
        Reason::Burst { stable_load, target, recommended, .. } => format!(
            "load {stable_load:.4} over the stable window at {target:.4} per unit asks for {recommended} (scale-in goes no lower than the highest recent recommendation)"
        ),
        Reason::Learning { have_s, need_s } => format!(
            "predictive: learning the season ({:.1} of {:.1} days of history)",
            f64::from(have_s) / 86_400.0,
            f64::from(need_s) / 86_400.0
        ),
        Reason::Forecast { load, floor, error, max_error, holds: true } => format!(
            "forecast load {load:.4} at the lead time asks for a floor of {floor} (back-tested error {:.0} % within {:.0} %)",
            error * 100.0,
            max_error * 100.0
        ),
        Reason::Forecast { load, floor, error, max_error, holds: false } => format!(
            "forecast load {load:.4} would ask for {floor}, but the floor does not hold (forecast only, or back-tested error {:.0} % above {:.0} %): reactive policies decide",
            error * 100.0,
            max_error * 100.0
        ),
        Reason::Deadline { backlog, age_s, time_left_s, capacity } => format!(
            "{backlog:.0} waiting, the oldest {age_s:.0} s old: {capacity} serve them within {time_left_s:.0} s"
        ),
        Reason::Slo(z) => slo(&z),
        Reason::NeedsFreshDataToScaleIn => {
            "wants fewer, but missing or stale data never removes capacity".into()
        }
        Reason::Scheduled { fired_at: None, .. } => "scheduled: has not fired".into(),
        Reason::Scheduled { fired_at: Some(t), min, max } => format!(
            "scheduled: fired at {t}, sets{}{}",
            min.map(|m| format!(" min {m}")).unwrap_or_default(),
            max.map(|m| format!(" max {m}")).unwrap_or_default()
        ),
        Reason::ScheduleRejected { fired_at, min, max } => format!(
            "scheduled: fired at {fired_at}, but min {min} > max {max}; bounds left unchanged"
        ),
        Reason::ScheduleSuspended => "scheduled scaling is suspended".into(),
        Reason::Quality { breach, value, phase, floor, clear_for_s } => {
            let check = breach.map_or_else(
                || "quality checks clear".to_string(),
                |k| match value {
                    Some(v) => format!("quality check {k} in breach at {v:.4}"),
                    None => format!("quality check {k} in breach"),
                },
            );
            let floor = floor
                .map(|f| format!("; the fallback holds at least {f}"))
                .unwrap_or_default();
            let what = match phase {
                GuardPhase::Healthy => "traffic where it was".to_string(),
                GuardPhase::Provisioning => {
                    "raising the fallback's capacity before moving traffic".to_string()
                }
                GuardPhase::Shifted => format!(
                    "traffic moved to the fallback (clear for {clear_for_s} s)"
                ),
                GuardPhase::Restoring => "moving traffic back".to_string(),
            };
            format!("{check}: {what}{floor}")
        }
    };
    format!("{why}{wants}")
}

/// A share as a percentage, to two decimals at most and without trailing zeros: 0.002 is
/// "0.2", 0.95 is "95".
fn percent(share: f64) -> String {
    let s = format!("{:.2}", share * 100.0);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// An SLO policy's sizing, in the order a reader checks it: the load band, the learned service,
/// the predicted p99 against the objective, the risk, the lead and the hold.
fn slo(z: &crate::slo::SloSizing) -> String {
    let forecast = z
        .forecast_rps
        .map(|f| format!(", seasonal forecast {f:.2}/s"))
        .unwrap_or_default();
    let lead = if z.lead_learned {
        "learned"
    } else {
        "documented"
    };
    let base = match z.band_base {
        crate::slo::BandBase::Newest => "the newest load".to_string(),
        crate::slo::BandBase::RecentPeak => {
            format!("the last horizon's peak {:.2}/s", z.band_base_rps)
        }
        crate::slo::BandBase::LongPeak => {
            format!("the last four horizons' peak {:.2}/s", z.band_base_rps)
        }
    };
    let head = format!(
        "load {:.2}/s, band up to {:.2}/s over the lead (growth × {:.2} on {base}, the {} % quantile of the last {} h){forecast}; learned service {:.1} ms (CV {:.2}) × {} at once per unit = {:.2}/s per unit",
        z.load_rps,
        z.band_rps,
        z.growth,
        percent(1.0 - z.risk),
        f64::from(z.band_history_s) / 3600.0,
        z.service_s * 1e3,
        z.cv,
        z.servers,
        z.unit_rps,
    );
    let fit = if z.unreachable {
        format!(
            "the service time alone breaks the p99 objective of {:.0} ms: {} at half utilisation",
            z.p99_s * 1e3,
            z.need
        )
    } else {
        format!(
            "{} keep the predicted p99 at {:.0} ms within {:.0} ms",
            z.need,
            z.predicted_p99_s * 1e3,
            z.p99_s * 1e3
        )
    };
    let calibration = if (z.calibration - 1.0).abs() > 0.005 {
        format!(" (model × {:.2} as the p99 seen says)", z.calibration)
    } else {
        String::new()
    };
    let breach = z
        .breach_p99_s
        .map(|b| {
            format!(
                "; the newest p99 {:.0} ms broke the objective: at least one more than served then",
                b * 1e3
            )
        })
        .unwrap_or_default();
    format!(
        "{head}; {fit}{calibration} at {} % risk, {lead} lead {} s{breach}; scale-in after {} s at the lower need",
        percent(z.risk),
        z.lead_s,
        z.hold_s
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_slo_sizing_names_its_band_growth_history_and_a_small_risk() {
        let z = crate::slo::SloSizing {
            need: 7,
            load_rps: 100.0,
            band_rps: 137.0,
            growth: 1.37,
            band_base: crate::slo::BandBase::Newest,
            band_base_rps: 100.0,
            band_history_s: 24 * 3600,
            forecast_rps: None,
            service_s: 0.05,
            cv: 1.0,
            servers: 4,
            unit_rps: 80.0,
            calibration: 1.0,
            predicted_p99_s: 0.31,
            p99_s: 0.4,
            breach_p99_s: None,
            risk: 0.002,
            lead_s: 120,
            lead_learned: true,
            hold_s: 300,
            unreachable: false,
        };
        let text = slo(&z);
        for needle in [
            "band up to 137.00/s over the lead (growth × 1.37 on the newest load, the 99.8 % quantile of the last 24 h)",
            "7 keep the predicted p99 at 310 ms within 400 ms",
            "at 0.2 % risk, learned lead 120 s",
        ] {
            assert!(text.contains(needle), "`{needle}` not in {text}");
        }
        let six = crate::slo::SloSizing {
            risk: 0.05,
            band_history_s: 6 * 3600,
            ..z
        };
        assert!(slo(&six).contains("the 95 % quantile of the last 6 h"));
        assert!(slo(&six).contains("at 5 % risk"));
        let timer = crate::slo::SloSizing {
            band_base: crate::slo::BandBase::RecentPeak,
            band_base_rps: 130.0,
            band_rps: 143.0,
            growth: 1.1,
            ..z
        };
        assert!(
            slo(&timer).contains("band up to 143.00/s over the lead (growth × 1.10 on the last horizon's peak 130.00/s,"),
            "{}",
            slo(&timer)
        );
        let caller = crate::slo::SloSizing {
            band_base: crate::slo::BandBase::LongPeak,
            ..timer
        };
        assert!(
            slo(&caller).contains("(growth × 1.10 on the last four horizons' peak 130.00/s,"),
            "{}",
            slo(&caller)
        );
    }
}
