//! Policies over an endpoint of inference components, interval by interval: each component's
//! copies serve its own series, CloudWatch publishes what SageMaker would per component, and
//! the decision core the daemon runs decides every component at once, reading each one's
//! copies, registration and room as the daemon does. Its calls go to Application Auto
//! Scaling's model (`register`), which moves the copy count into the bounds; the copies then
//! wait for their instances (`ic_pool.rs`).
//!
//! The same loop serves "one endpoint per model": each model on a pool of its own, which
//! never goes below one instance (a real-time endpoint without components cannot).

use sagescale_core::actuation::DEFAULT_PIN_TIMEOUT;
use sagescale_core::capacity::{CopyRoom, Room};
use sagescale_core::provisioning::LeadTracker;
use sagescale_core::{Applied, CapacityError, DecisionCore, Registration, TargetCapacity};
use sagescale_engine::{EngineSettings, Suspension, TargetSpec, Timestamp};
use sagescale_metrics::MetricQuery;

use super::cloudwatch::{CloudWatch, CloudWatchModel};
use super::fleet::Fleet;
use super::ic_pool::{Pool, PoolSpec};
use super::ic_scenario::IcEndpoint;
use super::results::Accumulator;

/// How the models' copies are housed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// All on the endpoint's shared instances.
    Shared,
    /// Each model on its own endpoint: one pool per model, at least one instance each.
    Dedicated,
}

/// What drives the copy counts.
pub enum IcDriver<'a> {
    /// The decision core, with one target per component (index-aligned) and the policy
    /// set's metric queries.
    Engine {
        /// Whether the core reads each component's room, as sagescale's daemon does (AWS's
        /// own scaling does not: its copies past the room wait for instances).
        room_aware: bool,
        /// The components' targets.
        specs: &'a [TargetSpec],
        /// The policy set's metric queries.
        metrics: &'a [MetricQuery],
        /// Periods of history per query.
        history: &'a [u32],
    },
    /// Copies per component per interval known in advance (the oracle), with the
    /// instance-seconds paid.
    Scripted {
        /// Copies serving, per component, per interval.
        copies: &'a [Vec<u32>],
        /// Instance-seconds paid.
        billed_seconds: f64,
    },
}

/// The arrivals and timing of a run.
pub struct IcReplay<'a> {
    /// Requests per interval, per component.
    pub arrivals: Vec<&'a [f64]>,
    /// Per component, the requests per interval just before `start`, replayed first by an
    /// engine-driven run and left out of every figure (empty: the run starts cold).
    pub lead_in: Vec<&'a [f64]>,
    /// Start of the first interval.
    pub start: Timestamp,
    /// Interval length, seconds.
    pub dt: u32,
    /// Seconds between evaluations.
    pub evaluation_interval: u32,
    /// CloudWatch model.
    pub cloudwatch: CloudWatchModel,
    /// Seed (shared by every contender: common random numbers).
    pub seed: u64,
}

/// One component's figures over a run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ComponentRun {
    /// Component name.
    pub name: String,
    /// Requests.
    pub requests: f64,
    /// Requests that failed (no copy, or timed out).
    pub failed: f64,
    /// Requests that found no copy serving (what `NoCapacityInvocationFailures` counts).
    pub failed_without_copy: f64,
    /// Requests served late (p99 past the SLO) in the intervals just after a wake, until the
    /// component first meets its latency SLO again.
    pub late_after_wake: f64,
    /// Times the component woke: from no copy serving, with requests failing, to one serving.
    pub wakes: u32,
    /// Mean seconds from the first failed request to a copy serving.
    pub mean_wake_s: f64,
    /// SLO-violation minutes.
    pub slo_violation_minutes: f64,
    /// Copy-hours served.
    pub copy_hours: f64,
    /// Copy-hours asked for that no instance could hold (`MaxInstanceCount` reached).
    pub unplaced_copy_hours: f64,
}

/// A run's figures: the endpoint's bill and each component's service.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct IcRun {
    /// USD for the instances.
    pub cost_usd: f64,
    /// Instance-hours paid.
    pub instance_hours: f64,
    /// Most instances billed at once.
    pub peak_instances: u32,
    /// SLO-violation minutes, summed over the components.
    pub slo_violation_minutes: f64,
    /// Requests, over the components.
    pub requests: f64,
    /// Failed requests, over the components.
    pub failed: f64,
    /// Requests that found no copy, over the components.
    pub failed_without_copy: f64,
    /// Requests late just after a wake, over the components.
    pub late_after_wake: f64,
    /// Wakes from zero, over the components.
    pub wakes: u32,
    /// Per component.
    pub components: Vec<ComponentRun>,
}

/// One component during a run.
struct Served {
    fleet: Fleet,
    acc: Accumulator,
    run: ComponentRun,
    /// When requests began failing with no copy, while waking.
    failing_since: Option<i64>,
    /// Just woke: late intervals still count.
    after_wake: bool,
    wake_s_sum: f64,
}

impl Served {
    /// Forget the figures so far (the lead-in's), keeping the world's state.
    fn restart_figures(&mut self) {
        self.acc = Accumulator::default();
        self.run = ComponentRun {
            name: std::mem::take(&mut self.run.name),
            ..ComponentRun::default()
        };
        self.wake_s_sum = 0.0;
    }

    fn new(e: &IcEndpoint, k: usize, copies: u32, seed: u64) -> Self {
        let c = &e.components[k];
        Self {
            fleet: Fleet::new(&c.fleet, copies, seed, false),
            acc: Accumulator::default(),
            run: ComponentRun {
                name: c.name.clone(),
                ..ComponentRun::default()
            },
            failing_since: None,
            after_wake: false,
            wake_s_sum: 0.0,
        }
    }

    /// Serve interval `i` with `copies` copies; the service, for CloudWatch.
    fn serve(
        &mut self,
        e: &IcEndpoint,
        k: usize,
        copies: u32,
        arrivals: f64,
        now: Timestamp,
        dt: f64,
    ) -> super::fleet::Service {
        self.fleet.force(copies);
        let s = self.fleet.serve(arrivals, &[], now, dt);
        let slo = &e.components[k].slo;
        self.acc.add(dt, &s, copies, 0, 0, slo);
        self.run.copy_hours += f64::from(copies) * dt / 3600.0;
        if copies == 0 {
            // Arrivals that found no copy (a backlog left by the last copy fails too, but
            // that is not what NoCapacityInvocationFailures counts).
            if s.arrivals > 0.0 {
                self.run.failed_without_copy += s.failed.min(s.arrivals);
                self.failing_since.get_or_insert(now.0);
            }
        } else {
            if let Some(t) = self.failing_since.take() {
                self.run.wakes += 1;
                self.wake_s_sum += (now.0 - t) as f64;
                self.after_wake = true;
            }
            if self.after_wake {
                if s.arrivals > 0.0 && s.p99_s > slo.latency_s {
                    self.run.late_after_wake += s.arrivals - s.failed;
                } else if s.arrivals > 0.0 {
                    self.after_wake = false;
                }
            }
        }
        s
    }

    fn finish(mut self) -> ComponentRun {
        self.run.requests = self.acc.requests;
        self.run.failed = self.acc.failed;
        self.run.slo_violation_minutes = self.acc.violation_seconds / 60.0;
        if self.run.wakes > 0 {
            self.run.mean_wake_s = self.wake_s_sum / f64::from(self.run.wakes);
        }
        self.run
    }
}

/// The pools of `layout`, and each component's `(pool, index in it)`.
fn pools(
    e: &IcEndpoint,
    layout: Layout,
    initial: &[u32],
    seed: u64,
) -> (Vec<Pool>, Vec<(usize, usize)>) {
    match layout {
        Layout::Shared => (
            vec![Pool::new(&e.pool, &e.accelerators, initial, seed)],
            (0..e.components.len()).map(|k| (0, k)).collect(),
        ),
        Layout::Dedicated => {
            let pools = e
                .components
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let per = (e.dedicated.accelerators / e.accelerators[k]).max(1);
                    let spec = PoolSpec {
                        max_instances: c.max.div_ceil(per).max(1),
                        ..e.dedicated.clone()
                    };
                    Pool::new(
                        &spec,
                        &e.accelerators[k..=k],
                        &initial[k..=k],
                        seed ^ (k as u64 + 1),
                    )
                })
                .collect();
            (pools, (0..e.components.len()).map(|k| (k, 0)).collect())
        }
    }
}

/// What the daemon would read for component `k`: its copies, registration and room.
fn capacity(
    pools: &[Pool],
    at: (usize, usize),
    registration: Registration,
    now: Timestamp,
    room_aware: bool,
) -> TargetCapacity {
    let pool = &pools[at.0];
    let spec = pool.spec();
    // The other components on this endpoint and their copies, summed without allocating: this
    // runs at every evaluation of every component.
    let others = (0..pool.components()).filter(|&j| j != at.1);
    let others = (
        u32::try_from(others.clone().count()).unwrap_or(u32::MAX),
        others.map(|j| pool.planned(j)).sum(),
    );
    TargetCapacity {
        status: pool.status(at.1, now),
        current: pool.serving(at.1, now),
        desired: pool.planned(at.1),
        registration: Some(registration),
        weight: None,
        room: room_aware.then_some(Room::Known(CopyRoom {
            copies: pool.room(at.1),
            per_instance: pool.per_instance(at.1),
            instances: spec.max_instances,
            managed: true,
            instance_type: sagescale_instances::instance_type(&spec.instance_type)
                .map_or("unknown", |t| t.name),
            limit: "accelerators",
            others: Some(others),
        })),
    }
}

/// Run `driver` over the replay on `e`'s components housed as `layout`.
#[must_use]
pub fn run_components(
    e: &IcEndpoint,
    layout: Layout,
    replay: &IcReplay<'_>,
    driver: &IcDriver<'_>,
) -> IcRun {
    let n = e.components.len();
    let dt = i64::from(replay.dt);
    let dt_s = f64::from(replay.dt);
    let steps = replay.arrivals.first().map_or(0, |a| a.len());
    let seed = |k: usize| replay.seed ^ (0x51_7cc1_b727_220a_u64.wrapping_mul(k as u64 + 1));
    let mut billed_seconds = 0.0;
    let mut peak = 0;
    let mut served: Vec<Served>;
    match driver {
        IcDriver::Engine {
            room_aware,
            specs,
            metrics,
            history,
        } => {
            let initial: Vec<u32> = e
                .components
                .iter()
                .zip(specs.iter())
                .map(|(c, s)| c.initial.clamp(s.min, s.max))
                .collect();
            let (mut pools, at) = pools(e, layout, &initial, replay.seed);
            served = (0..n)
                .map(|k| Served::new(e, k, initial[k], seed(k)))
                .collect();
            // The lead-in runs first, through the same pools, CloudWatch and core; its figures
            // are dropped when the window starts.
            let lead = replay.lead_in.iter().map(|l| l.len()).min().unwrap_or(0);
            let first = replay.start.0 - dt * lead as i64;
            let mut cws: Vec<CloudWatch> = (0..n)
                .map(|k| {
                    CloudWatch::new(
                        metrics,
                        history,
                        Timestamp(first),
                        replay.cloudwatch,
                        seed(k) ^ 0x9e37_79b9_7f4a_7c15,
                    )
                })
                .collect();
            let mut registrations: Vec<Registration> = specs
                .iter()
                .map(|s| Registration {
                    min: s.min,
                    max: s.max,
                    suspended: Suspension::default(),
                })
                .collect();
            // The simulated Application Auto Scaling accepts every call.
            let mut core = DecisionCore::fresh(specs, EngineSettings::default()).without_undo();
            let mut leads = vec![LeadTracker::default(); n];
            let mut caps: Vec<Result<TargetCapacity, CapacityError>> = (0..n)
                .map(|k| {
                    Ok(capacity(
                        &pools,
                        at[k],
                        registrations[k],
                        Timestamp(first),
                        *room_aware,
                    ))
                })
                .collect();
            let every = i64::from(replay.evaluation_interval.max(1));
            for step in 0..lead + steps {
                if step == lead && lead > 0 {
                    served.iter_mut().for_each(Served::restart_figures);
                    billed_seconds = 0.0;
                    peak = 0;
                }
                let now = Timestamp(first + step as i64 * dt);
                for p in &mut pools {
                    p.advance(now);
                }
                for k in 0..n {
                    let (pi, local) = at[k];
                    let copies = pools[pi].serving(local, now);
                    let arrivals = match step.checked_sub(lead) {
                        Some(i) => replay.arrivals[k][i],
                        None => replay.lead_in[k][step],
                    };
                    let s = served[k].serve(e, k, copies, arrivals, now, dt_s);
                    served[k].run.unplaced_copy_hours +=
                        f64::from(pools[pi].waiting(local)) * dt_s / 3600.0;
                    cws[k].record(now, dt, &s, copies);
                }
                let billed: u32 = pools.iter().map(Pool::billed).sum();
                billed_seconds += f64::from(billed) * dt_s;
                peak = peak.max(billed);
                let end = Timestamp(now.0 + dt);
                if end.0.div_euclid(every) == now.0.div_euclid(every) {
                    continue;
                }
                for p in &mut pools {
                    p.advance(end);
                }
                for k in 0..n {
                    let read = capacity(&pools, at[k], registrations[k], end, *room_aware);
                    // The lead is learned from these reads alone, as the daemon learns it.
                    leads[k].observe(end, &read);
                    core.set_lead(k, leads[k].median());
                    caps[k] = Ok(read);
                }
                core.decide(specs, &caps, |k| &cws[k], end, DEFAULT_PIN_TIMEOUT);
                for k in 0..n {
                    if let Some(call) = core.call(k) {
                        // RegisterScalableTarget: hold the bounds and push the desired copy
                        // count into them at once.
                        registrations[k].min = call.min;
                        registrations[k].max = call.max;
                        let (pi, local) = at[k];
                        let planned = pools[pi].planned(local);
                        let to = planned.clamp(call.min, call.max.max(call.min));
                        if to != planned {
                            pools[pi].set_copies(local, to, end);
                        }
                        core.applied(k, Applied::Made);
                    }
                }
            }
        }
        IcDriver::Scripted {
            copies,
            billed_seconds: paid,
        } => {
            served = (0..n)
                .map(|k| Served::new(e, k, copies[k].first().copied().unwrap_or(0), seed(k)))
                .collect();
            for i in 0..steps {
                let now = Timestamp(replay.start.0 + i as i64 * dt);
                for k in 0..n {
                    let c = copies[k].get(i).copied().unwrap_or(0);
                    served[k].serve(e, k, c, replay.arrivals[k][i], now, dt_s);
                }
            }
            billed_seconds = *paid;
        }
    }
    let pool = match layout {
        Layout::Shared => &e.pool,
        Layout::Dedicated => &e.dedicated,
    };
    let components: Vec<ComponentRun> = served.into_iter().map(Served::finish).collect();
    let sum = |f: fn(&ComponentRun) -> f64| components.iter().map(f).sum::<f64>();
    IcRun {
        cost_usd: billed_seconds / 3600.0 * pool.price_per_hour,
        instance_hours: billed_seconds / 3600.0,
        peak_instances: peak,
        slo_violation_minutes: sum(|c| c.slo_violation_minutes),
        requests: sum(|c| c.requests),
        failed: sum(|c| c.failed),
        failed_without_copy: sum(|c| c.failed_without_copy),
        late_after_wake: sum(|c| c.late_after_wake),
        wakes: components.iter().map(|c| c.wakes).sum(),
        components,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::FleetSpec;
    use crate::ic_pool::ScaleIn;
    use crate::oracle::Slo;
    use crate::scenario::SimTarget;

    fn component(name: &str, max: u32, initial: u32) -> SimTarget {
        SimTarget {
            name: name.into(),
            series: 0,
            asynchronous: false,
            cache: None,
            models: Vec::new(),
            fleet: FleetSpec {
                instance_type: "ml.g5.12xlarge".into(),
                price_per_hour: 7.09,
                concurrency: 4,
                latency_s: 2.0,
                service: Default::default(),
                provisioning_median_s: 258.0,
                provisioning_sigma: 0.1,
                drain_s: 0,
                timeout_s: 60.0,
                batching: None,
            },
            min: 0,
            max,
            initial,
            slo: Slo {
                latency_s: 15.0,
                percentile: 0.99,
                max_error_rate: 0.001,
            },
            aws_target: 2.0,
            serverless: None,
            serverless_endpoint: None,
            quality: None,
        }
    }

    fn endpoint(max_instances: u32, gpus: &[u32], comps: Vec<SimTarget>) -> IcEndpoint {
        let pool = PoolSpec {
            instance_type: "ml.g5.12xlarge".into(),
            price_per_hour: 7.09,
            accelerators: 4,
            min_instances: 0,
            max_instances,
            instance_median_s: 258.0,
            copy_median_s: 60.0,
            sigma: 0.1,
            scale_in: ScaleIn::IdleRelease,
        };
        IcEndpoint {
            name: "shared".into(),
            dedicated: PoolSpec {
                instance_type: "ml.g5.xlarge".into(),
                price_per_hour: 1.408,
                accelerators: 1,
                min_instances: 1,
                ..pool.clone()
            },
            pool,
            container_caching: true,
            components: comps,
            accelerators: gpus.to_vec(),
        }
    }

    /// Target tracking on ConcurrentRequestsPerCopy at 2 in flight, with the built-in wake
    /// (min 0; `min` 1 is a dedicated endpoint's variant).
    fn policy(names: &[(&str, u32)], min: u32) -> sagescale_policy::PolicySet {
        let mut text = String::new();
        for (n, max) in names {
            let resource = if min == 0 {
                format!("inference-component/{n}")
            } else {
                format!("endpoint/{n}/variant/AllTraffic")
            };
            let metric = if min == 0 {
                "ConcurrentRequestsPerCopy"
            } else {
                "ConcurrentRequestsPerModel"
            };
            text.push_str(&format!(
                "[[targets]]\nname = \"{n}\"\nresource_id = \"{resource}\"\nmin = {min}\nmax = {max}\n\n\
                 [[targets.policies]]\nname = \"tt\"\ntype = \"target-tracking\"\n\
                 metric = {{ predefined = \"{metric}\" }}\ntarget = 2.0\n\
                 scale_in_datapoints = 30\nscale_in_evaluation_periods = 30\nscale_in_cooldown = 60\n\n"
            ));
        }
        sagescale_policy::load_text(std::path::Path::new("ic.toml"), &text)
            .unwrap_or_else(|d| panic!("{d}"))
    }

    fn go(
        e: &IcEndpoint,
        layout: Layout,
        arrivals: &[Vec<f64>],
        set: &sagescale_policy::PolicySet,
        room_aware: bool,
    ) -> IcRun {
        go_after(e, layout, &[], arrivals, set, room_aware)
    }

    /// As `go`, after replaying `lead_in` (per component) unscored.
    fn go_after(
        e: &IcEndpoint,
        layout: Layout,
        lead_in: &[Vec<f64>],
        arrivals: &[Vec<f64>],
        set: &sagescale_policy::PolicySet,
        room_aware: bool,
    ) -> IcRun {
        let replay = IcReplay {
            arrivals: arrivals.iter().map(Vec::as_slice).collect(),
            lead_in: lead_in.iter().map(Vec::as_slice).collect(),
            start: Timestamp(0),
            dt: 10,
            evaluation_interval: 10,
            cloudwatch: CloudWatchModel {
                delay_min_s: 60,
                delay_max_s: 60,
            },
            seed: 5,
        };
        run_components(
            e,
            layout,
            &replay,
            &IcDriver::Engine {
                room_aware,
                specs: &set.targets,
                metrics: &set.metrics,
                history: &set.metric_history,
            },
        )
    }

    #[test]
    fn a_lead_in_runs_unscored_so_the_window_opens_on_what_it_left() {
        // Three idle hours before an hour at 4 requests a second. Cold, the hour opens on the
        // 2 initial copies and never fails for want of one; after the idle lead-in it opens
        // at zero copies and wakes. Only the hour counts.
        let e = endpoint(2, &[1], vec![component("m", 8, 2)]);
        let set = policy(&[("m", 8)], 0);
        let hour = [vec![40.0; 360]];
        let cold = go(&e, Layout::Shared, &hour, &set, true);
        let warm = go_after(&e, Layout::Shared, &[vec![0.0; 1080]], &hour, &set, true);
        let (c, w) = (&cold.components[0], &warm.components[0]);
        assert_eq!(c.wakes, 0, "{c:?}");
        assert_eq!(c.failed_without_copy, 0.0, "{c:?}");
        assert_eq!(w.wakes, 1, "{w:?}");
        assert!(w.failed_without_copy > 0.0, "{w:?}");
        assert!((w.requests - 360.0 * 40.0).abs() < 1e-6, "{w:?}");
        // Billed for at most the peak's instances over the hour, and less than cold: no
        // instance until the wake.
        assert!(
            warm.instance_hours <= f64::from(warm.peak_instances) + 1e-9,
            "{warm:?}"
        );
        assert!(
            warm.instance_hours < cold.instance_hours,
            "{warm:?} {cold:?}"
        );
    }

    #[test]
    fn an_idle_component_goes_to_zero_stops_billing_and_wakes_on_its_failed_requests() {
        // One hour at 4 requests a second, two idle hours, then the same again.
        let busy = vec![40.0; 360];
        let idle = vec![0.0; 720];
        let a: Vec<f64> = [busy.clone(), idle, busy].concat();
        let e = endpoint(2, &[1], vec![component("m", 8, 2)]);
        let r = go(&e, Layout::Shared, &[a], &policy(&[("m", 8)], 0), true);
        let c = &r.components[0];
        assert_eq!(c.wakes, 1, "{c:?}");
        // Requests fail from the first that finds no copy until a copy serves: the wake's
        // minute datapoint, CloudWatch's minute of lag and a new instance (about 258 s).
        assert!(c.failed_without_copy > 0.0, "{c:?}");
        assert!(c.mean_wake_s > 250.0 && c.mean_wake_s < 600.0, "{c:?}");
        assert!(
            (c.failed_without_copy - 4.0 * c.mean_wake_s).abs() <= 4.0 * 30.0,
            "the failed requests are the wake's seconds of traffic: {c:?}"
        );
        // Billed for the two busy hours and the scale-in and wake around them, never for the
        // idle ones: under the peak's instances for 2 h 45 min, of the 4 h run.
        assert!(
            r.instance_hours < f64::from(r.peak_instances) * 2.75,
            "{r:?}"
        );
        // The same traffic on its own endpoint never leaves one instance, and never fails for
        // want of one.
        let d = go(
            &e,
            Layout::Dedicated,
            &[[vec![40.0; 360], vec![0.0; 720], vec![40.0; 360]].concat()],
            &policy(&[("m", 8)], 1),
            true,
        );
        assert_eq!(d.failed_without_copy, 0.0);
        assert!(d.instance_hours >= 4.0 - 1e-9, "{d:?}");
    }

    #[test]
    fn an_slo_component_sizes_by_its_objective_goes_to_zero_when_idle_and_wakes() {
        // The SLO-driven policy on a component: sized from the component's own Invocations and
        // ModelLatency alone, it goes to zero when its copies report nothing in flight, and the
        // built-in wake brings it back.
        let set = sagescale_policy::load_text(
            std::path::Path::new("ic-slo.toml"),
            "[[targets]]\nname = \"m\"\nresource_id = \"inference-component/m\"\nmin = 0\nmax = 8\n\n\
             [[targets.policies]]\nname = \"slo\"\ntype = \"slo\"\np99_latency_ms = 15000\n\
             risk = 0.05\nrelaunch_cost_minutes = 5\nseasonal_days = 0\n",
        )
        .unwrap_or_else(|d| panic!("{d}"));
        let e = endpoint(2, &[1], vec![component("m", 8, 2)]);
        let (busy, idle, busier) = (vec![40.0; 360], vec![0.0; 720], vec![80.0; 360]);
        let a: Vec<f64> = [busy.clone(), idle.clone(), busy.clone()].concat();
        let r = go(&e, Layout::Shared, &[a], &set, true);
        let c = &r.components[0];
        assert_eq!(c.wakes, 1, "{c:?}");
        // Two busy hours at 4 requests a second (8 busy servers, 2 copies' worth): a few
        // copies for them, none for the idle hours between.
        assert!(
            c.copy_hours > 2.0 * 2.0 && c.copy_hours < 2.0 * 5.0,
            "{c:?}"
        );
        assert!(
            r.instance_hours < f64::from(r.peak_instances) * 2.75,
            "{r:?}"
        );
        // Within the objective but for the wake's minutes (about 6 of them fail requests for
        // want of a copy: the wake's datapoint, CloudWatch's lag and a new instance).
        assert!(c.slo_violation_minutes <= 12.0, "{c:?}");
        // Twice the load after the idle hours: more copies for the second busy hour, and a
        // longer recovery from the wake (one copy meets twice the backlog).
        let b: Vec<f64> = [busy, idle, busier].concat();
        let r2 = go(&e, Layout::Shared, &[b], &set, true);
        let c2 = &r2.components[0];
        assert!(c2.copy_hours > c.copy_hours + 0.5, "{c2:?} against {c:?}");
        assert!(c2.slo_violation_minutes <= 20.0, "{c2:?}");
    }

    #[test]
    fn an_slo_component_wakes_ahead_of_a_daily_job_its_forecast_knows() {
        // An hour at 4 requests a second from 02:00 each day, idle otherwise. After three such
        // days (the lead-in), the fourth day's job finds its copies already up: the forecast
        // reads the idle hours as no requests, so it is trusted, and it sees the job within
        // the horizon. Without the forecast the built-in wake brings them back, after
        // requests have failed. Three days of lead-in: the forecast needs two days, two hours
        // and a horizon of history, and the first days' jobs were woken by the built-in wake.
        // The forecast counts the requests that found no copy (NoCapacityInvocationFailures)
        // with those served, so those days teach it the job's true start; from Invocations
        // alone it learned a start minutes late, and this window's job still failed 880
        // requests at a late wake (it needed a fourth day).
        let load = |days: i64| {
            sagescale_policy::load_text(
                std::path::Path::new("ic-slo.toml"),
                &format!(
                    "[[targets]]\nname = \"m\"\nresource_id = \"inference-component/m\"\nmin = 0\nmax = 8\n\n\
                     [[targets.policies]]\nname = \"slo\"\ntype = \"slo\"\np99_latency_ms = 15000\n\
                     risk = 0.05\nrelaunch_cost_minutes = 5\nseasonal_days = {days}\n"
                ),
            )
            .unwrap_or_else(|d| panic!("{d}"))
        };
        let day = |hours_after: usize| {
            [
                vec![0.0; 720],
                vec![40.0; 360],
                vec![0.0; 360 * hours_after],
            ]
            .concat()
        };
        let lead_in: Vec<f64> = (0..3).flat_map(|_| day(21)).collect();
        let window = day(1);
        let e = endpoint(2, &[1], vec![component("m", 8, 2)]);
        let run = |days| {
            go_after(
                &e,
                Layout::Shared,
                std::slice::from_ref(&lead_in),
                std::slice::from_ref(&window),
                &load(days),
                true,
            )
        };
        let (ahead, behind) = (run(2), run(0));
        let (a, b) = (&ahead.components[0], &behind.components[0]);
        assert_eq!(b.wakes, 1, "{b:?}");
        assert!(b.failed_without_copy > 0.0, "{b:?}");
        assert_eq!(a.wakes, 0, "{a:?}");
        assert_eq!(a.failed_without_copy, 0.0, "{a:?}");
        assert!(
            a.slo_violation_minutes < b.slo_violation_minutes,
            "{a:?} {b:?}"
        );
        // Woken minutes ahead, not hours: at most half an hour of copies more than the job's.
        assert!(a.copy_hours < b.copy_hours + 2.0, "{a:?} {b:?}");
    }

    #[test]
    fn the_decision_core_never_asks_for_copies_past_the_room_and_the_copies_still_serve() {
        // One instance of 4 GPUs at most: a 2-GPU component holding one copy leaves room for
        // two copies of a 1-GPU one, however loud it gets.
        let e = endpoint(
            1,
            &[2, 1],
            vec![component("big", 4, 1), component("small", 8, 1)],
        );
        let arrivals = [vec![10.0; 720], vec![200.0; 720]];
        let set = policy(&[("big", 4), ("small", 8)], 0);
        let aware = go(&e, Layout::Shared, &arrivals, &set, true);
        let blind = go(&e, Layout::Shared, &arrivals, &set, false);
        for r in [&aware, &blind] {
            assert_eq!(r.peak_instances, 1);
            let small = &r.components[1];
            // Two copies for most of the two hours (the second after about a minute).
            assert!(
                small.copy_hours > 3.8 && small.copy_hours <= 4.0 + 1e-9,
                "{small:?}"
            );
            assert!(small.slo_violation_minutes > 60.0, "overloaded: {small:?}");
        }
        // Reading the room, the core asks for no copy the instances cannot hold; without it
        // (AWS's scaling), six more copies wait for instances that never come.
        assert_eq!(aware.components[1].unplaced_copy_hours, 0.0, "{aware:?}");
        assert!(blind.components[1].unplaced_copy_hours > 5.0, "{blind:?}");
    }
}
