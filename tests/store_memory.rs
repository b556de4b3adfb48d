//! The conformance suite on the in-memory backends, plus in-memory-only checks.

mod store_suite;

use std::sync::Arc;
use std::time::Duration;

use vt4g::dedupe::InMemoryDeduper;
use vt4g::idempotency::{IdempotencyStore, InMemoryStore, KEY_LIFETIME};

/// Nothing to clean up for memory backends.
struct NoGuard;
impl NoGuard {
    async fn cleanup(self) {}
}

async fn memory_store() -> (Arc<InMemoryStore>, NoGuard) {
    (Arc::new(InMemoryStore::new()), NoGuard)
}

async fn memory_dedupe() -> (Arc<InMemoryDeduper>, NoGuard) {
    (Arc::new(InMemoryDeduper::new()), NoGuard)
}

conformance_tests!(store: memory_store(), dedupe: memory_dedupe());

#[tokio::test]
async fn clones_share_one_ledger() {
    let a = InMemoryStore::new();
    let b = a.clone();
    let now = store_suite::t0();
    a.begin(
        store_suite::proposal("s/capture", "k1", now),
        now,
        Duration::from_secs(5),
    )
    .await
    .unwrap();
    assert_eq!(b.get("s/capture").await.unwrap().unwrap().key, "k1");
    assert_eq!(b.len().unwrap(), 1);
}

#[tokio::test]
async fn purge_keeps_entries_younger_than_retain_and_never_younger_than_24h() {
    let s = InMemoryStore::new();
    let t0 = store_suite::t0();
    let lease = Duration::from_secs(5);
    s.begin(store_suite::proposal("old", "k1", t0), t0, lease)
        .await
        .unwrap();
    let t1 = t0 + Duration::from_secs(3 * 24 * 3600);
    s.begin(store_suite::proposal("new", "k2", t1), t1, lease)
        .await
        .unwrap();
    // retain shorter than 24 h is clamped to 24 h: nothing younger than that goes.
    let at = t1 + KEY_LIFETIME - Duration::from_secs(1);
    assert_eq!(s.purge_expired(at, Duration::from_secs(1)).unwrap(), 1);
    assert!(s.get("old").await.unwrap().is_none());
    assert!(s.get("new").await.unwrap().is_some());
    let at = t1 + KEY_LIFETIME + Duration::from_secs(1);
    assert_eq!(s.purge_expired(at, Duration::from_secs(1)).unwrap(), 1);
    assert!(s.is_empty().unwrap());
}

#[tokio::test]
async fn debug_shows_no_body() {
    let s = InMemoryStore::new();
    let now = store_suite::t0();
    let mut p = store_suite::proposal("s", "k", now);
    p.body = b"{\"metadata\":\"very-private-value\"}".to_vec();
    s.begin(p, now, Duration::from_secs(5)).await.unwrap();
    let rec = s.get("s").await.unwrap().unwrap();
    assert!(!format!("{rec:?}").contains("very-private-value"));
    assert!(!format!("{s:?}").contains("very-private-value"));
}

#[tokio::test]
async fn discard_expired_only_removes_expired_in_flight_entries() {
    let s = InMemoryStore::new();
    let t0 = store_suite::t0();
    let lease = Duration::from_secs(5);
    s.begin(store_suite::proposal("a", "ka", t0), t0, lease)
        .await
        .unwrap();
    s.begin(store_suite::proposal("b", "kb", t0), t0, lease)
        .await
        .unwrap();
    s.complete(
        "b",
        "kb",
        1,
        vt4g::idempotency::StoredResponse {
            http_status: 200,
            body: b"{}".to_vec(),
        },
    )
    .await
    .unwrap();
    let young = t0 + KEY_LIFETIME - Duration::from_secs(1);
    assert!(s.discard_expired("a", young).unwrap().is_none());
    let old = t0 + KEY_LIFETIME;
    assert!(
        s.discard_expired("b", old).unwrap().is_none(),
        "completed stays"
    );
    assert!(s.discard_expired("none", old).unwrap().is_none());
    assert_eq!(s.discard_expired("a", old).unwrap().unwrap().key, "ka");
    // The scope starts afresh with a new key.
    let got = s
        .begin(store_suite::proposal("a", "ka2", old), old, lease)
        .await
        .unwrap();
    assert!(matches!(got, vt4g::idempotency::Begin::Started(ref r) if r.key == "ka2"));
}

#[tokio::test]
async fn dedupe_lease_and_retention_end_exactly_at_their_expiry_on_the_injected_clock() {
    use vt4g::dedupe::{Claim, LeaseStatus, ManualClock, WebhookDeduper};
    let clock = ManualClock::new(store_suite::t0());
    let d = InMemoryDeduper::with_clock(Arc::new(clock.clone()));
    let lease = Duration::from_secs(10);
    let Claim::Claimed(t) = d.claim("wh", lease).await.unwrap() else {
        panic!("first claim");
    };
    clock.advance(lease - Duration::from_nanos(1));
    assert_eq!(
        d.claim("wh", lease).await.unwrap(),
        Claim::InProgress {
            lease_remaining: Duration::from_nanos(1)
        }
    );
    // The heartbeat moves the end to now + lease.
    assert_eq!(d.renew("wh", &t, lease).await.unwrap(), LeaseStatus::Held);
    clock.advance(lease - Duration::from_nanos(1));
    assert!(matches!(
        d.claim("wh", lease).await.unwrap(),
        Claim::InProgress { .. }
    ));
    // Expiry is exclusive: at exactly the end the id is claimable again.
    clock.advance(Duration::from_nanos(1));
    let Claim::Claimed(t2) = d.claim("wh", lease).await.unwrap() else {
        panic!("an expired lease is taken over");
    };
    assert_eq!(
        d.complete("wh", &t, lease).await.unwrap(),
        LeaseStatus::Lost
    );
    let retention = Duration::from_secs(60);
    assert_eq!(
        d.complete("wh", &t2, retention).await.unwrap(),
        LeaseStatus::Held
    );
    clock.advance(retention - Duration::from_nanos(1));
    assert_eq!(d.claim("wh", lease).await.unwrap(), Claim::AlreadyDone);
    assert_eq!(d.purge_expired().await.unwrap(), 0);
    clock.advance(Duration::from_nanos(1));
    assert_eq!(d.purge_expired().await.unwrap(), 1);
    assert!(d.is_empty().unwrap());
}
