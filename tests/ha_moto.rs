//! High availability against moto's DynamoDB: the lease itself, and three real daemon
//! processes sharing it (SIGKILL and SIGSTOP of the leader).

#[path = "support/moto_daemon.rs"]
mod moto_daemon;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use moto_daemon::{
    bounds, clients, endpoint, invocations_per_instance, moto, policy, wait_for, Daemon,
};
use sagescale::aws::retry::NoObserver;
use sagescale::aws::{Lease, RetryPolicy};

async fn table(c: &sagescale::aws::AwsClients, name: &str) {
    c.dynamodb
        .create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("lease")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("lease")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable");
}

fn lease(c: &sagescale::aws::AwsClients, table: &str, owner: &str, ttl_ms: i64) -> Lease {
    Lease::new(
        c.dynamodb.clone(),
        RetryPolicy::default(),
        Arc::new(NoObserver),
        table.into(),
        "shard".into(),
        owner.into(),
        ttl_ms,
    )
}

#[tokio::test]
async fn the_lease_fences_older_epochs() {
    let url = moto();
    let c = clients(&url).await;
    table(&c, "lease-unit").await;
    let a = lease(&c, "lease-unit", "a", 1_000);
    let b = lease(&c, "lease-unit", "b", 1_000);
    let t0 = 1_000_000;
    let ta = a.acquire(t0).await.unwrap().expect("free lease");
    assert_eq!(b.acquire(t0 + 10).await.unwrap(), None, "held by a");
    assert!(a.renew(ta, t0 + 500).await.unwrap());
    assert!(a.save_state(ta, b"{\"from\":\"a\"}").await.unwrap());
    // a stops renewing; its lease (renewed at +500) expires at +1500.
    let tb = b.acquire(t0 + 1_600).await.unwrap().expect("expired lease");
    assert!(tb > ta, "each epoch gets a higher token");
    assert!(
        !a.renew(ta, t0 + 1_700).await.unwrap(),
        "a's renewal is refused"
    );
    assert!(b.save_state(tb, b"{\"from\":\"b\"}").await.unwrap());
    assert!(
        !a.save_state(ta, b"{\"from\":\"a-stale\"}").await.unwrap(),
        "a stale write is refused"
    );
    let (token, state) = b.load_state().await.unwrap().unwrap();
    assert_eq!((token, state.as_slice()), (tb, &b"{\"from\":\"b\"}"[..]));
    // A clean release hands over at once.
    assert!(b.release(tb, t0 + 1_800).await.unwrap());
    assert!(a.acquire(t0 + 1_801).await.unwrap().is_some());
}

/// Replicas that start together race for a free lease: exactly one takes it. (moto applies
/// a conditional write without a lock; the launcher serialises its item writes, as DynamoDB
/// does. Without it, with the server's thread switch interval at 1 µs, this test failed in
/// its first round, and three concurrent takes from Python had two winners in 87 of 200.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_taking_a_free_lease_at_once_get_one_leader() {
    let url = moto();
    let c = clients(&url).await;
    table(&c, "lease-race").await;
    let ls: Vec<Lease> = ["a", "b", "c"]
        .iter()
        .map(|o| lease(&c, "lease-race", o, 1_000))
        .collect();
    let mut now = 1_000_000;
    for round in 0..30 {
        let (x, y, z) = tokio::join!(ls[0].acquire(now), ls[1].acquire(now), ls[2].acquire(now));
        let won: Vec<(usize, u64)> = [x, y, z]
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| r.unwrap().map(|t| (i, t)))
            .collect();
        assert_eq!(won.len(), 1, "round {round}: winners {won:?}");
        let (i, token) = won[0];
        assert!(ls[i].release(token, now + 1).await.unwrap());
        now += 10;
    }
}

fn leader_of(ds: &[Daemon], alive: &[bool]) -> Vec<usize> {
    (0..ds.len())
        .filter(|&i| alive[i] && ds[i].metric("sagescale_leader ") == 1.0)
        .collect()
}

/// Every successful call in every log, as (fencing token, replica).
fn calls_by_token(ds: &[Daemon]) -> BTreeMap<u64, BTreeSet<usize>> {
    let mut out: BTreeMap<u64, BTreeSet<usize>> = BTreeMap::new();
    for (i, d) in ds.iter().enumerate() {
        for r in d.records() {
            let made = r["calls"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["outcome"] == "ok"));
            if made {
                let token = r["fencing_token"]
                    .as_u64()
                    .expect("a leader's record carries its token");
                out.entry(token).or_default().insert(i);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_fail_over_without_acting_twice() {
    const TTL: f64 = 3.0;
    const INTERVAL: f64 = 1.0;
    let url = moto();
    let c = clients(&url).await;
    table(&c, "lease-ha").await;
    endpoint(&c, "ha-endpoint", 2, 1, 10).await;
    invocations_per_instance(&c, "ha-endpoint", 400.0, 6).await;
    let ha = "[ha]\ntable = \"lease-ha\"\nlease_name = \"ha-test\"\nttl_seconds = 3\n";
    let mut ds: Vec<Daemon> = (0..3)
        .map(|_| Daemon::new(&url, &policy("ha-endpoint", 100.0, 1, 10), ha))
        .collect();
    for d in &mut ds {
        d.start();
    }
    let mut alive = [true; 3];

    // Exactly one leader, and it scales out.
    assert!(
        wait_for(30, || leader_of(&ds, &alive).len() == 1).await,
        "no single leader: {:?}\n{}\n{}\n{:?}",
        leader_of(&ds, &alive),
        ds[1].log(),
        ds[2].log(),
        ds[0].get("/metrics")
    );
    let first = leader_of(&ds, &alive)[0];
    assert!(
        wait_for(30, || !ds[first].calls("ok").is_empty()).await,
        "{}",
        ds[first].log()
    );
    assert_eq!(bounds(&c, "ha-endpoint").await, (8, 10));
    for (i, d) in ds.iter().enumerate() {
        if i != first {
            assert!(d.records().is_empty(), "a follower wrote decisions");
        }
    }
    let token1 = ds[first].metric("sagescale_fencing_token");

    // SIGKILL the leader: a follower takes over within the TTL plus one interval.
    ds[first].signal("KILL");
    let killed = Instant::now();
    alive[first] = false;
    assert!(wait_for(30, || leader_of(&ds, &alive).len() == 1).await);
    let failover = killed.elapsed().as_secs_f64();
    let second = leader_of(&ds, &alive)[0];
    eprintln!("failover after SIGKILL: {failover:.2} s (TTL {TTL} s, interval {INTERVAL} s)");
    // The poll itself adds up to ~0.2 s.
    assert!(
        failover <= TTL + INTERVAL + 0.5,
        "failover took {failover:.2} s"
    );
    assert!(ds[second].metric("sagescale_fencing_token") > token1);
    // The new leader resumed the old one's pin: the change in flight is not made again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        ds[second].calls("ok").is_empty(),
        "the new leader repeated the scale-out\n{}",
        ds[second].log()
    );
    assert!(ds[second].log().contains("resumed the last leader's state"));

    // SIGSTOP the new leader past its TTL: the third replica takes over and acts on new load.
    ds[second].signal("STOP");
    let third = (0..3).find(|&i| alive[i] && i != second).unwrap();
    assert!(
        wait_for(30, || ds[third].metric("sagescale_leader ") == 1.0).await,
        "{}",
        ds[third].log()
    );
    invocations_per_instance(&c, "ha-endpoint", 1000.0, 6).await;
    assert!(
        wait_for(30, || !ds[third].calls("ok").is_empty()).await,
        "{}",
        ds[third].log()
    );
    assert_eq!(bounds(&c, "ha-endpoint").await, (10, 10));
    let resumed_at = ds[second].records().len();
    ds[second].signal("CONT");
    // The paused leader finds its lease gone and makes no call on its old epoch.
    assert!(
        wait_for(30, || ds[second].metric("sagescale_leader ") == 0.0).await,
        "{}",
        ds[second].log()
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after: Vec<_> = ds[second].records().into_iter().skip(resumed_at).collect();
    assert!(
        after.iter().all(|r| r["calls"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] != "ok")),
        "the paused leader acted after resuming: {after:?}"
    );
    assert_eq!(leader_of(&ds, &alive), vec![third]);

    // Across the whole run: no lease epoch has calls from two processes.
    let by_token = calls_by_token(&ds);
    assert!(!by_token.is_empty());
    for (token, replicas) in &by_token {
        assert_eq!(
            replicas.len(),
            1,
            "epoch {token} acted from replicas {replicas:?}"
        );
    }
    eprintln!("epochs with calls: {by_token:?}");
    for (i, d) in ds.iter_mut().enumerate() {
        if alive[i] {
            assert_eq!(d.stop(), Some(0), "{}", d.log());
        }
    }
}
