//! The engine does not allocate once the caller's `Decision` has grown: the simulator calls it
//! for every endpoint at every tick. Counted with a global allocator in this test binary.

mod common;
#[path = "support/slo_traffic.rs"]
mod slo_traffic;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use sagescale::engine::alarm::Comparison;
use sagescale::engine::step::AdjustmentType;
use sagescale::engine::{evaluate, Seconds, Timestamp};
use sagescale::metrics::MetricId;
use slo_traffic::slo_minute;

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Only the measuring thread counts: the test harness's own threads allocate at will.
    static COUNTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(std::cell::Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: forwarding the caller's layout to the system allocator unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout, via `alloc` above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made on this thread while `f` runs.
fn allocations_in(f: impl FnOnce()) -> usize {
    COUNTING.with(|c| c.set(true));
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    let allocated = ALLOCATIONS.load(Ordering::Relaxed) - before;
    COUNTING.with(|c| c.set(false));
    allocated
}

#[test]
fn evaluating_target_tracking_and_step_policies_allocates_nothing() {
    let spec = target(
        1,
        100,
        vec![
            ("tt", tracking(0, 100.0)),
            (
                "burst",
                step_policy(
                    1,
                    Comparison::GreaterOrEqual,
                    50.0,
                    AdjustmentType::PercentChangeInCapacity,
                    &[(Some(0.0), Some(20.0), 20), (Some(20.0), None, 50)],
                    60,
                ),
            ),
            (
                "quiet",
                step_policy(
                    1,
                    Comparison::Less,
                    5.0,
                    AdjustmentType::ChangeInCapacity,
                    &[(None, Some(0.0), -1)],
                    60,
                ),
            ),
        ],
    );
    let mut rig = Rig::new(spec, 10, 2);
    let mut window_a: Vec<Option<f64>> = vec![Some(90.0); 30];
    let mut window_b: Vec<Option<f64>> = vec![Some(10.0); 4];
    // Warm up: the decision's verdicts vector grows once.
    rig.obs
        .set(MetricId(0), Seconds(60), Timestamp(60), &window_a);
    rig.obs
        .set(MetricId(1), Seconds(60), Timestamp(60), &window_b);
    evaluate(
        &rig.settings,
        &rig.spec,
        &mut rig.state,
        &rig.input,
        &rig.obs,
        Timestamp(60),
        &mut rig.decision,
    );

    let mut changes = 0;
    let allocated = allocations_in(|| {
        for i in 2..2000i64 {
            // Values move through every branch: high, low, missing, stepped, steady.
            window_a[(i % 30) as usize] = if i % 17 == 0 {
                None
            } else {
                Some((i * 37 % 250) as f64)
            };
            window_b[(i % 4) as usize] = Some((i * 13 % 90) as f64);
            let now = Timestamp(i * 60);
            rig.obs.set(MetricId(0), Seconds(60), now, &window_a);
            rig.obs.set(MetricId(1), Seconds(60), now, &window_b);
            evaluate(
                &rig.settings,
                &rig.spec,
                &mut rig.state,
                &rig.input,
                &rig.obs,
                now,
                &mut rig.decision,
            );
            if rig.decision.changes() {
                rig.input.current = rig.decision.desired;
                changes += 1;
            }
        }
    });
    assert!(
        changes > 10,
        "the run exercised scaling ({changes} changes)"
    );
    assert_eq!(
        allocated, 0,
        "the engine allocated {allocated} times in 1,998 evaluations"
    );
}

#[test]
fn evaluating_an_slo_policy_allocates_nothing() {
    use sagescale::engine::slo::SloSpec;
    use sagescale::engine::PolicyKind;
    let slo = SloSpec::reading_metrics_0_to_3(0.4);
    let load_len = slo.load_history(Seconds(60));
    let lat_len = slo.latency_history();
    let spec = target(1, 80, vec![("slo", PolicyKind::Slo(slo))]);
    let mut rig = Rig::new(spec, 4, 4);
    let mut load: Vec<Option<f64>> = vec![Some(6000.0); load_len];
    let mut mean = vec![Some(50_000.0); lat_len];
    let mut p50 = vec![Some(40_000.0); lat_len];
    let mut p99 = vec![Some(150_000.0); lat_len];
    let set = |rig: &mut Rig, now: Timestamp, w: [&Vec<Option<f64>>; 4]| {
        for (m, v) in w.iter().enumerate() {
            rig.obs.set(MetricId(m as u32), Seconds(60), now, v);
        }
    };
    // Warm up: the decision's verdicts vector grows once.
    set(&mut rig, Timestamp(60), [&load, &mean, &p50, &p99]);
    evaluate(
        &rig.settings,
        &rig.spec,
        &mut rig.state,
        &rig.input,
        &rig.obs,
        Timestamp(60),
        &mut rig.decision,
    );

    let mut changes = 0;
    let allocated = allocations_in(|| {
        for i in 2..3000i64 {
            let (l, lat) = slo_minute(i, rig.input.current, true);
            load.rotate_left(1);
            *load.last_mut().unwrap() = l;
            for (w, v) in [&mut mean, &mut p50, &mut p99].into_iter().zip(lat) {
                w.rotate_left(1);
                *w.last_mut().unwrap() = v;
            }
            let now = Timestamp(i * 60);
            set(&mut rig, now, [&load, &mean, &p50, &p99]);
            evaluate(
                &rig.settings,
                &rig.spec,
                &mut rig.state,
                &rig.input,
                &rig.obs,
                now,
                &mut rig.decision,
            );
            if rig.decision.changes() {
                rig.input.current = rig.decision.desired;
                changes += 1;
            }
        }
    });
    assert!(
        changes > 10,
        "the run exercised scaling ({changes} changes)"
    );
    assert_eq!(
        allocated, 0,
        "the slo policy allocated {allocated} times in 2,998 evaluations"
    );
}
