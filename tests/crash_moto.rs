//! Crash safety: the daemon is stopped dead (abort at a failpoint, or SIGKILL at random
//! moments) and restarted. After every restart the state file is valid, the decision log
//! reads as JSON Lines (a torn last line skipped), and the scale-out is neither repeated nor
//! lost.

#[path = "support/moto_daemon.rs"]
mod moto_daemon;

use std::time::{Duration, Instant};

use moto_daemon::{
    bounds, clients, endpoint, invocations_per_instance, moto, policy, wait_for, Daemon,
};

/// Wait for the child to exit on its own; its exit status.
fn exited(d: &mut Daemon, secs: u64) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let child = d.child.as_mut()?;
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait().unwrap() {
            d.child = None;
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Lines of the decision log that do not parse.
fn torn_lines(d: &Daemon) -> usize {
    std::fs::read_to_string(d.path("decisions.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && serde_json::from_str::<serde_json::Value>(l).is_err())
        .count()
}

/// Successful calls that set Min to 8 (the scale-out, or its reissue after a crash).
fn scale_outs(d: &Daemon) -> usize {
    d.calls("ok").iter().filter(|c| c["min"] == 8).count()
}

fn state_is_valid(d: &Daemon) {
    let p = d.path("state.json");
    if p.exists() {
        sagescale::daemon::state_file::load(&p).expect("the state file is valid after a crash");
    }
}

async fn crash_at(failpoint: &str) {
    let url = moto();
    let c = clients(&url).await;
    let ep = format!("c-{failpoint}");
    endpoint(&c, &ep, 2, 1, 10).await;
    invocations_per_instance(&c, &ep, 400.0, 6).await;
    let mut d = Daemon::new(&url, &policy(&ep, 100.0, 1, 10), "");
    d.start_with_env(&[("FAILPOINTS", failpoint)]);
    let status =
        exited(&mut d, 30).unwrap_or_else(|| panic!("{failpoint}: never reached\n{}", d.log()));
    assert!(!status.success(), "{failpoint}: aborted");
    assert!(d
        .log()
        .contains(&format!("failpoint {failpoint}: aborting")));
    state_is_valid(&d);
    let before = scale_outs(&d);

    d.start();
    assert!(
        wait_for(30, || d.metric("sagescale_cycles_total") >= 3.0).await,
        "{}",
        d.log()
    );
    assert_eq!(
        bounds(&c, &ep).await,
        (8, 10),
        "{failpoint}: the scale-out was lost\n{}",
        d.log()
    );
    let after = scale_outs(&d) - before;
    match failpoint {
        // The intent was on disk, the call never made: the restart makes it, once (as a
        // reissue of the pin, or as the engine's own scale-out when it decides first).
        "before-call" => assert_eq!(after, 1, "{}", d.log()),
        // The call was made, nothing recorded after it: the restart must not repeat it.
        "after-call" | "mid-log-write" => {
            assert_eq!(after, 0, "repeated after {failpoint}\n{}", d.log())
        }
        // The intent never reached disk (old state kept), and neither did the call: it is
        // made now, once.
        "mid-state-write" => assert_eq!(after, 1, "{}", d.log()),
        _ => unreachable!(),
    }
    assert!(torn_lines(&d) <= usize::from(failpoint == "mid-log-write"));
    // explain reads around a torn line.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sagescale"))
        .args(["explain", &ep, "--log"])
        .arg(d.path("decisions.jsonl"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(d.stop(), Some(0));
    state_is_valid(&d);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_after_the_intent_and_before_the_call_is_recovered() {
    crash_at("before-call").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_right_after_the_call_does_not_repeat_it() {
    crash_at("after-call").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_state_write_keeps_the_previous_state() {
    crash_at("mid-state-write").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_log_write_leaves_a_readable_log() {
    crash_at("mid-log-write").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_never_corrupts_state_nor_acts_twice() {
    const KILLS: u64 = 12;
    let url = moto();
    let c = clients(&url).await;
    endpoint(&c, "c-random", 2, 1, 10).await;
    invocations_per_instance(&c, "c-random", 400.0, 6).await;
    let mut d = Daemon::new(&url, &policy("c-random", 100.0, 1, 10), "");
    for k in 0..KILLS {
        d.start();
        // A fixed sequence of moments between 0.1 and 2.4 s, so a failure replays.
        let ms = 100 + (k * 7919 % 23) * 100;
        tokio::time::sleep(Duration::from_millis(ms)).await;
        d.signal("KILL");
        exited(&mut d, 10).expect("killed");
        state_is_valid(&d);
        let (min, max) = bounds(&c, "c-random").await;
        assert!((1..=10).contains(&min) && (min..=10).contains(&max));
    }
    d.start();
    assert!(
        wait_for(30, || d.metric("sagescale_cycles_total") >= 3.0).await,
        "{}",
        d.log()
    );
    assert_eq!(
        bounds(&c, "c-random").await,
        (8, 10),
        "the scale-out was lost\n{}",
        d.log()
    );
    assert!(
        scale_outs(&d) <= 1,
        "the scale-out was made twice\n{}",
        d.log()
    );
    assert!(torn_lines(&d) as u64 <= KILLS);
    assert_eq!(d.stop(), Some(0));
    eprintln!(
        "{KILLS} SIGKILLs: state valid after each, {} scale-out call(s) logged, {} torn line(s)",
        scale_outs(&d),
        torn_lines(&d)
    );
}
