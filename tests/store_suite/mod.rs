//! The conformance suite shared by every `IdempotencyStore` and `WebhookDeduper`
//! backend: the same async functions run against the in-memory and the Postgres
//! implementations (see `store_memory.rs` and `postgres_store.rs`), so the two are
//! proven to behave the same.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vt4g::dedupe::{Claim, LeaseStatus, LeaseToken, WebhookDeduper};
use vt4g::idempotency::{
    Begin, IdempotencyRecord, IdempotencyStore, RecordState, StoreError, StoredResponse,
    KEY_LIFETIME,
};
use vt4g::Command;

/// Number of tasks in the race tests.
pub const RACERS: usize = 32;

/// A fixed, microsecond-aligned instant (Postgres stores microseconds).
pub fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(1_790_000_000_123_456)
}

/// A proposal for `scope` with key `key` created at `now`.
pub fn proposal(scope: &str, key: &str, now: SystemTime) -> IdempotencyRecord {
    let body = format!("{{\"order\":{{\"paymentId\":\"{scope}\"}},\"k\":\"{key}\"}}").into_bytes();
    let mut fingerprint = [0u8; 32];
    for (i, b) in body.iter().enumerate() {
        fingerprint[i % 32] ^= *b;
    }
    IdempotencyRecord {
        scope: scope.to_owned(),
        key: key.to_owned(),
        command: Command::Capture,
        payment_id: Some(format!("pid-{scope}")),
        fingerprint,
        body,
        created_at: now,
        state: RecordState::InFlight,
        lease_until: now,
        response: None,
        lease_token: 0,
    }
}

fn lease() -> Duration {
    Duration::from_secs(30)
}

fn resp(status: u16, body: &[u8]) -> StoredResponse {
    StoredResponse {
        http_status: status,
        body: body.to_vec(),
    }
}

pub async fn started_then_in_flight_elsewhere_shares_key<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    let p1 = proposal("order-1/capture", "key-a", now);
    let started = s.begin(p1.clone(), now, lease()).await.unwrap();
    let Begin::Started(rec) = started else {
        panic!("expected Started, got {started:?}")
    };
    assert_eq!(rec.key, "key-a");
    assert_eq!(rec.body, p1.body);
    assert_eq!(rec.fingerprint, p1.fingerprint);
    assert_eq!(rec.payment_id, p1.payment_id);
    assert_eq!(rec.command, Command::Capture);
    assert_eq!(rec.created_at, now);
    assert_eq!(rec.state, RecordState::InFlight);
    assert_eq!(rec.lease_until, now + lease());
    assert_eq!(rec.response, None);
    assert_eq!(rec.lease_token, 1);

    // A second replica with its own proposal shares the first key and body.
    let later = now + Duration::from_secs(5);
    let p2 = proposal("order-1/capture", "key-b", later);
    let other = s.begin(p2, later, lease()).await.unwrap();
    let Begin::InFlightElsewhere(rec2) = other else {
        panic!("expected InFlightElsewhere, got {other:?}")
    };
    assert_eq!(rec2, rec);
    assert_eq!(s.get("order-1/capture").await.unwrap(), Some(rec));
}

pub async fn started_normalises_the_proposal<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    let mut p = proposal("order-n/cancel", "key-n", now);
    p.state = RecordState::Completed;
    p.response = Some(resp(200, b"bogus"));
    p.lease_until = UNIX_EPOCH;
    p.payment_id = None;
    p.command = Command::Cancel;
    p.body = vec![0, 159, 146, 150, 255]; // not UTF-8: stored as bytes
    let started = s.begin(p, now, lease()).await.unwrap();
    let Begin::Started(rec) = started else {
        panic!("expected Started, got {started:?}")
    };
    assert_eq!(rec.state, RecordState::InFlight);
    assert_eq!(rec.response, None);
    assert_eq!(rec.lease_until, now + lease());
    assert_eq!(rec.payment_id, None);
    assert_eq!(rec.command, Command::Cancel);
    assert_eq!(rec.body, vec![0, 159, 146, 150, 255]);
    assert_eq!(s.get("order-n/cancel").await.unwrap(), Some(rec));
}

pub async fn completed_returns_the_stored_response<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    let scope = "order-2/capture";
    s.begin(proposal(scope, "key-c", now), now, lease())
        .await
        .unwrap();
    let answer = resp(200, b"{\"result\":{\"resultCode\":\"UA-000-000\"}}");
    s.complete(scope, "key-c", 1, answer.clone()).await.unwrap();

    // Even with the lease still running, and long after, the answer is returned.
    for dt in [0, 1, 3600, 2 * 24 * 3600] {
        let at = now + Duration::from_secs(dt);
        let got = s
            .begin(proposal(scope, "key-x", at), at, lease())
            .await
            .unwrap();
        let Begin::Completed(rec) = got else {
            panic!("expected Completed at +{dt}s, got {got:?}")
        };
        assert_eq!(rec.key, "key-c");
        assert_eq!(rec.state, RecordState::Completed);
        assert_eq!(rec.response, Some(answer.clone()));
    }
    let rec = s.get(scope).await.unwrap().unwrap();
    assert_eq!(rec.state, RecordState::Completed);
    assert_eq!(rec.response, Some(answer));
}

pub async fn complete_twice_keeps_the_first_answer<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    let scope = "order-3/cancel";
    s.begin(proposal(scope, "key-d", now), now, lease())
        .await
        .unwrap();
    s.complete(scope, "key-d", 1, resp(200, b"first"))
        .await
        .unwrap();
    s.complete(scope, "key-d", 1, resp(500, b"second"))
        .await
        .unwrap();
    let rec = s.get(scope).await.unwrap().unwrap();
    assert_eq!(rec.response, Some(resp(200, b"first")));
}

pub async fn complete_and_release_need_the_right_key<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    let scope = "order-4/capture";
    assert!(matches!(
        s.complete("nope", "k", 1, resp(200, b"")).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.release("nope", "k", 1).await,
        Err(StoreError::NotFound { .. })
    ));
    s.begin(proposal(scope, "key-e", now), now, lease())
        .await
        .unwrap();
    assert!(matches!(
        s.complete(scope, "wrong", 1, resp(200, b"")).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.release(scope, "wrong", 1).await,
        Err(StoreError::NotFound { .. })
    ));
    // Still in flight under the original key.
    let rec = s.get(scope).await.unwrap().unwrap();
    assert_eq!(rec.state, RecordState::InFlight);
    s.complete(scope, "key-e", 1, resp(200, b"ok"))
        .await
        .unwrap();
    // A completed entry has no lease to release.
    assert!(matches!(
        s.release(scope, "key-e", 1).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(s.get("unknown").await.unwrap(), None);
}

pub async fn lease_expiry_resumes_with_the_stored_key_and_body<S: IdempotencyStore + 'static>(
    s: Arc<S>,
) {
    let now = t0();
    let scope = "order-5/charge";
    let p1 = proposal(scope, "key-f", now);
    s.begin(p1.clone(), now, lease()).await.unwrap();

    // Exactly at lease end the lease has run out.
    let at = now + lease();
    let got = s
        .begin(proposal(scope, "key-g", at), at, lease())
        .await
        .unwrap();
    let Begin::Resumed(rec) = got else {
        panic!("expected Resumed, got {got:?}")
    };
    assert_eq!(rec.key, "key-f");
    assert_eq!(rec.body, p1.body);
    assert_eq!(rec.created_at, now);
    assert_eq!(rec.lease_until, at + lease());
    assert_eq!(rec.lease_token, 2, "a take-over is a new lease token");

    // The resumer now holds the lease.
    let at2 = at + Duration::from_secs(1);
    let got = s
        .begin(proposal(scope, "key-h", at2), at2, lease())
        .await
        .unwrap();
    assert!(
        matches!(got, Begin::InFlightElsewhere(ref r) if r.key == "key-f"),
        "{got:?}"
    );

    // The resumer completes with the shared key.
    s.complete(scope, "key-f", 2, resp(200, b"done"))
        .await
        .unwrap();
    let got = s
        .begin(proposal(scope, "key-i", at2), at2, lease())
        .await
        .unwrap();
    assert!(matches!(got, Begin::Completed(_)), "{got:?}");
}

pub async fn release_lets_a_resume_take_over_at_once<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    let scope = "order-6/capture";
    s.begin(
        proposal(scope, "key-j", now),
        now,
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    s.release(scope, "key-j", 1).await.unwrap();
    let got = s
        .begin(proposal(scope, "key-k", now), now, lease())
        .await
        .unwrap();
    let Begin::Resumed(rec) = got else {
        panic!("expected Resumed, got {got:?}")
    };
    assert_eq!(rec.key, "key-j");
    assert_eq!(rec.lease_until, now + lease());
}

pub async fn a_key_past_24h_is_never_reused<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    let scope = "order-7/capture";
    s.begin(proposal(scope, "key-l", now), now, lease())
        .await
        .unwrap();

    // Just before 24 h: resumable.
    let before = now + KEY_LIFETIME - Duration::from_secs(1);
    let got = s
        .begin(proposal(scope, "key-m", before), before, lease())
        .await
        .unwrap();
    assert!(
        matches!(got, Begin::Resumed(ref r) if r.key == "key-l"),
        "{got:?}"
    );
    s.release(scope, "key-l", 2).await.unwrap();

    // At and after 24 h: Expired, every time, without taking the lease.
    for dt in [0, 1, 7 * 24 * 3600] {
        let at = now + KEY_LIFETIME + Duration::from_secs(dt);
        let got = s
            .begin(proposal(scope, "key-n", at), at, lease())
            .await
            .unwrap();
        let Begin::Expired(rec) = got else {
            panic!("expected Expired at +24h+{dt}s, got {got:?}")
        };
        assert_eq!(rec.key, "key-l");
        assert_eq!(rec.state, RecordState::InFlight);
    }
    // The entry was not replaced by the later proposals.
    assert_eq!(s.get(scope).await.unwrap().unwrap().key, "key-l");

    // A key that is expired even while a (long) lease runs is still Expired.
    let scope2 = "order-7b/capture";
    s.begin(proposal(scope2, "key-o", now), now, 2 * KEY_LIFETIME)
        .await
        .unwrap();
    let at = now + KEY_LIFETIME;
    let got = s
        .begin(proposal(scope2, "key-p", at), at, lease())
        .await
        .unwrap();
    assert!(matches!(got, Begin::Expired(_)), "{got:?}");
}

pub async fn a_taken_over_holder_cannot_write<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    let scope = "order-12/capture";
    let Begin::Started(first) = s
        .begin(proposal(scope, "key-q", now), now, lease())
        .await
        .unwrap()
    else {
        panic!("expected Started")
    };
    // The first holder stalls past its lease; a second one takes over.
    let at = now + lease() + Duration::from_secs(1);
    let got = s
        .begin(proposal(scope, "key-r", at), at, lease())
        .await
        .unwrap();
    let Begin::Resumed(second) = got else {
        panic!("expected Resumed, got {got:?}")
    };
    assert_eq!(second.key, "key-q");
    assert_ne!(second.lease_token, first.lease_token);

    // The stale holder can neither complete, release nor renew.
    let stale = first.lease_token;
    assert!(matches!(
        s.complete(scope, "key-q", stale, resp(500, b"stale")).await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        s.release(scope, "key-q", stale).await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        s.renew(scope, "key-q", stale, at, lease()).await,
        Err(StoreError::LeaseLost { .. })
    ));
    let rec = s.get(scope).await.unwrap().unwrap();
    assert_eq!(rec.state, RecordState::InFlight);
    assert_eq!(rec.lease_until, at + lease(), "the new lease is intact");

    // The current holder completes; the stale one's late complete keeps the first answer.
    s.complete(scope, "key-q", second.lease_token, resp(200, b"ok"))
        .await
        .unwrap();
    s.complete(scope, "key-q", stale, resp(500, b"stale"))
        .await
        .unwrap();
    let rec = s.get(scope).await.unwrap().unwrap();
    assert_eq!(rec.response, Some(resp(200, b"ok")));
    assert!(matches!(
        s.renew(scope, "key-q", second.lease_token, at, lease())
            .await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        s.renew(scope, "other", 1, at, lease()).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn renew_keeps_the_lease<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    let scope = "order-13/capture";
    let Begin::Started(rec) = s
        .begin(proposal(scope, "key-s", now), now, lease())
        .await
        .unwrap()
    else {
        panic!("expected Started")
    };
    let t = rec.lease_token;
    // Renewed 20 s in: the lease now ends at +50 s.
    let at = now + Duration::from_secs(20);
    let until = s.renew(scope, "key-s", t, at, lease()).await.unwrap();
    assert_eq!(until, at + lease());
    let at40 = now + Duration::from_secs(40);
    let got = s
        .begin(proposal(scope, "key-t", at40), at40, lease())
        .await
        .unwrap();
    assert!(matches!(got, Begin::InFlightElsewhere(_)), "{got:?}");
    // Renewing after the lease ran out still works while nobody took over.
    let late = now + Duration::from_secs(55);
    let until = s.renew(scope, "key-s", t, late, lease()).await.unwrap();
    assert_eq!(until, late + lease());
    let got = s
        .begin(proposal(scope, "key-u", late), late, lease())
        .await
        .unwrap();
    assert!(matches!(got, Begin::InFlightElsewhere(_)), "{got:?}");
    assert_eq!(s.get(scope).await.unwrap().unwrap().lease_token, t);
}

pub async fn scopes_are_independent<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    for i in 0..5 {
        let scope = format!("order-8-{i}/capture");
        let got = s
            .begin(proposal(&scope, &format!("key-{i}"), now), now, lease())
            .await
            .unwrap();
        assert!(matches!(got, Begin::Started(_)), "{got:?}");
    }
    s.complete("order-8-2/capture", "key-2", 1, resp(200, b"x"))
        .await
        .unwrap();
    for i in 0..5 {
        let rec = s
            .get(&format!("order-8-{i}/capture"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rec.key, format!("key-{i}"));
        let want = if i == 2 {
            RecordState::Completed
        } else {
            RecordState::InFlight
        };
        assert_eq!(rec.state, want);
    }
}

pub async fn concurrent_begin_has_exactly_one_winner<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    let scope = "order-9/capture";
    let mut tasks = Vec::new();
    for i in 0..RACERS {
        let s = Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            s.begin(proposal(scope, &format!("racer-{i}"), now), now, lease())
                .await
                .unwrap()
        }));
    }
    let mut started = Vec::new();
    let mut elsewhere = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Begin::Started(r) => started.push(r),
            Begin::InFlightElsewhere(r) => elsewhere.push(r),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(started.len(), 1, "exactly one Started");
    assert_eq!(elsewhere.len(), RACERS - 1);
    let key = &started[0].key;
    assert!(elsewhere.iter().all(|r| &r.key == key), "all share one key");
    assert_eq!(&s.get(scope).await.unwrap().unwrap().key, key);
}

pub async fn concurrent_resume_has_exactly_one_winner<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    let scope = "order-10/capture";
    s.begin(proposal(scope, "crashed", now), now, lease())
        .await
        .unwrap();
    let at = now + Duration::from_secs(60);
    let mut tasks = Vec::new();
    for i in 0..RACERS {
        let s = Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            s.begin(proposal(scope, &format!("r-{i}"), at), at, lease())
                .await
                .unwrap()
        }));
    }
    let mut resumed = 0;
    for t in tasks {
        match t.await.unwrap() {
            Begin::Resumed(r) => {
                resumed += 1;
                assert_eq!(r.key, "crashed");
            }
            Begin::InFlightElsewhere(r) => assert_eq!(r.key, "crashed"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(resumed, 1, "exactly one Resumed");
}

pub async fn concurrent_begin_on_many_scopes<S: IdempotencyStore + 'static>(s: Arc<S>) {
    let now = t0();
    let mut tasks = Vec::new();
    for i in 0..RACERS {
        let s = Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            let scope = format!("order-11-{}/capture", i % 4);
            s.begin(proposal(&scope, &format!("m-{i}"), now), now, lease())
                .await
                .unwrap()
        }));
    }
    let mut started = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Begin::Started(_)) {
            started += 1;
        }
    }
    assert_eq!(started, 4, "one Started per scope");
}

// ---------------------------------------------------------------- dedupe
//
// Leases and retention run on the store's own clock (the database's `now()`
// for Postgres), so these use either long durations (an hour: certainly live)
// or 1 ms followed by a 30 ms sleep (certainly expired).

/// An hour: a lease or retention that cannot end during a test.
pub const LONG: Duration = Duration::from_secs(3600);
/// A lease or retention that has certainly ended after [`let_expire`].
pub const TINY: Duration = Duration::from_millis(1);

/// Waits until anything given [`TINY`] has expired.
pub async fn let_expire() {
    tokio::time::sleep(Duration::from_millis(30)).await;
}

pub async fn claimed<D: WebhookDeduper + 'static>(d: &D, id: &str, lease: Duration) -> LeaseToken {
    match d.claim(id, lease).await.unwrap() {
        Claim::Claimed(t) => t,
        other => panic!("{id}: expected Claimed, got {other:?}"),
    }
}

fn in_progress(c: &Claim) -> bool {
    matches!(c, Claim::InProgress { lease_remaining } if *lease_remaining > Duration::ZERO && *lease_remaining <= LONG)
}

pub async fn dedupe_claim_in_progress_then_done<D: WebhookDeduper + 'static>(d: Arc<D>) {
    let t = claimed(d.as_ref(), "wh-1", LONG).await;
    let c = d.claim("wh-1", LONG).await.unwrap();
    assert!(in_progress(&c), "{c:?}");
    assert_eq!(d.renew("wh-1", &t, LONG).await.unwrap(), LeaseStatus::Held);
    assert_eq!(
        d.complete("wh-1", &t, LONG).await.unwrap(),
        LeaseStatus::Held
    );
    assert_eq!(d.claim("wh-1", LONG).await.unwrap(), Claim::AlreadyDone);
    // complete is idempotent for its own token; a done record is not released.
    assert_eq!(
        d.complete("wh-1", &t, LONG).await.unwrap(),
        LeaseStatus::Held
    );
    assert_eq!(d.release("wh-1", &t).await.unwrap(), LeaseStatus::Lost);
    assert_eq!(d.renew("wh-1", &t, LONG).await.unwrap(), LeaseStatus::Lost);
    assert_eq!(d.claim("wh-1", LONG).await.unwrap(), Claim::AlreadyDone);
    // Other ids are independent.
    claimed(d.as_ref(), "wh-2", LONG).await;
}

pub async fn dedupe_expired_lease_is_taken_over<D: WebhookDeduper + 'static>(d: Arc<D>) {
    let old = claimed(d.as_ref(), "wh-3", TINY).await;
    let_expire().await;
    let new = claimed(d.as_ref(), "wh-3", LONG).await;
    assert_ne!(old, new);
    // The first holder's token no longer counts for anything.
    assert_eq!(
        d.renew("wh-3", &old, LONG).await.unwrap(),
        LeaseStatus::Lost
    );
    assert_eq!(
        d.complete("wh-3", &old, LONG).await.unwrap(),
        LeaseStatus::Lost
    );
    assert_eq!(d.release("wh-3", &old).await.unwrap(), LeaseStatus::Lost);
    assert!(in_progress(&d.claim("wh-3", LONG).await.unwrap()));
    assert_eq!(
        d.complete("wh-3", &new, LONG).await.unwrap(),
        LeaseStatus::Held
    );
    assert_eq!(d.claim("wh-3", LONG).await.unwrap(), Claim::AlreadyDone);
}

pub async fn dedupe_holder_may_finish_after_its_lease_if_nobody_took_over<
    D: WebhookDeduper + 'static,
>(
    d: Arc<D>,
) {
    let t = claimed(d.as_ref(), "wh-slow", TINY).await;
    let_expire().await;
    assert_eq!(
        d.renew("wh-slow", &t, LONG).await.unwrap(),
        LeaseStatus::Held
    );
    assert!(
        in_progress(&d.claim("wh-slow", LONG).await.unwrap()),
        "renewed"
    );
    let t2 = claimed(d.as_ref(), "wh-late", TINY).await;
    let_expire().await;
    assert_eq!(
        d.complete("wh-late", &t2, LONG).await.unwrap(),
        LeaseStatus::Held
    );
    assert_eq!(d.claim("wh-late", LONG).await.unwrap(), Claim::AlreadyDone);
}

pub async fn dedupe_release_lets_the_next_delivery_claim<D: WebhookDeduper + 'static>(d: Arc<D>) {
    let t = claimed(d.as_ref(), "wh-4", LONG).await;
    let stranger = LeaseToken::new();
    assert_eq!(
        d.release("wh-4", &stranger).await.unwrap(),
        LeaseStatus::Lost
    );
    assert_eq!(
        d.complete("wh-4", &stranger, LONG).await.unwrap(),
        LeaseStatus::Lost
    );
    assert_eq!(
        d.renew("wh-4", &stranger, LONG).await.unwrap(),
        LeaseStatus::Lost
    );
    assert!(in_progress(&d.claim("wh-4", LONG).await.unwrap()));
    assert_eq!(d.release("wh-4", &t).await.unwrap(), LeaseStatus::Held);
    assert_eq!(d.release("wh-4", &t).await.unwrap(), LeaseStatus::Lost);
    assert_eq!(
        d.release("never-seen", &t).await.unwrap(),
        LeaseStatus::Lost
    );
    let t2 = claimed(d.as_ref(), "wh-4", LONG).await;
    assert_ne!(t, t2);
}

pub async fn dedupe_done_expires_after_retention<D: WebhookDeduper + 'static>(d: Arc<D>) {
    let t = claimed(d.as_ref(), "wh-5", LONG).await;
    assert_eq!(
        d.complete("wh-5", &t, TINY).await.unwrap(),
        LeaseStatus::Held
    );
    let_expire().await;
    claimed(d.as_ref(), "wh-5", LONG).await;
}

pub async fn dedupe_purge_expired<D: WebhookDeduper + 'static>(d: Arc<D>) {
    let a = claimed(d.as_ref(), "done-short", LONG).await;
    d.complete("done-short", &a, TINY).await.unwrap();
    claimed(d.as_ref(), "lease-short", TINY).await;
    claimed(d.as_ref(), "lease-long", LONG).await;
    let b = claimed(d.as_ref(), "done-long", LONG).await;
    d.complete("done-long", &b, LONG).await.unwrap();
    let_expire().await;
    assert_eq!(d.purge_expired().await.unwrap(), 2);
    assert_eq!(d.purge_expired().await.unwrap(), 0);
    assert!(in_progress(&d.claim("lease-long", LONG).await.unwrap()));
    assert_eq!(
        d.claim("done-long", LONG).await.unwrap(),
        Claim::AlreadyDone
    );
    claimed(d.as_ref(), "done-short", LONG).await;
}

pub async fn dedupe_ids_are_exact<D: WebhookDeduper + 'static>(d: Arc<D>) {
    for id in ["abc", "ABC", "abc ", "ａｂｃ", "a'b\"c;--"] {
        claimed(d.as_ref(), id, LONG).await;
    }
}

async fn race<D: WebhookDeduper + 'static>(d: &Arc<D>, id: &'static str) -> usize {
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let d = Arc::clone(d);
        tasks.push(tokio::spawn(
            async move { d.claim(id, LONG).await.unwrap() },
        ));
    }
    let mut claims = 0;
    for t in tasks {
        match t.await.unwrap() {
            Claim::Claimed(_) => claims += 1,
            c => assert!(in_progress(&c), "{c:?}"),
        }
    }
    claims
}

pub async fn dedupe_concurrent_claims_have_exactly_one_winner<D: WebhookDeduper + 'static>(
    d: Arc<D>,
) {
    assert_eq!(race(&d, "wh-race").await, 1);
}

pub async fn dedupe_concurrent_claims_on_expired_lease_have_exactly_one_winner<
    D: WebhookDeduper + 'static,
>(
    d: Arc<D>,
) {
    claimed(d.as_ref(), "wh-race2", TINY).await;
    let_expire().await;
    assert_eq!(race(&d, "wh-race2").await, 1);
}

/// Expands to one `#[tokio::test]` per suite function, each on a fresh store made
/// by `$make_store` / deduper made by `$make_dedupe` (async expressions giving
/// `(Arc<impl ...>, guard)`; `guard.cleanup().await` runs after the test body, also
/// when it panicked).
#[macro_export]
macro_rules! conformance_tests {
    (store: $make_store:expr, dedupe: $make_dedupe:expr) => {
        $crate::conformance_tests!(@store $make_store;
            started_then_in_flight_elsewhere_shares_key,
            started_normalises_the_proposal,
            completed_returns_the_stored_response,
            complete_twice_keeps_the_first_answer,
            complete_and_release_need_the_right_key,
            lease_expiry_resumes_with_the_stored_key_and_body,
            release_lets_a_resume_take_over_at_once,
            a_key_past_24h_is_never_reused,
            scopes_are_independent,
            concurrent_begin_has_exactly_one_winner,
            concurrent_resume_has_exactly_one_winner,
            concurrent_begin_on_many_scopes,
            a_taken_over_holder_cannot_write,
            renew_keeps_the_lease
        );
        $crate::conformance_tests!(@store $make_dedupe;
            dedupe_claim_in_progress_then_done,
            dedupe_expired_lease_is_taken_over,
            dedupe_holder_may_finish_after_its_lease_if_nobody_took_over,
            dedupe_release_lets_the_next_delivery_claim,
            dedupe_done_expires_after_retention,
            dedupe_purge_expired,
            dedupe_ids_are_exact,
            dedupe_concurrent_claims_have_exactly_one_winner,
            dedupe_concurrent_claims_on_expired_lease_have_exactly_one_winner
        );
    };
    (@store $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let (backend, guard) = $make.await;
                let outcome = tokio::spawn(store_suite::$name(backend)).await;
                guard.cleanup().await;
                if let Err(e) = outcome {
                    std::panic::resume_unwind(e.into_panic());
                }
            }
        )*
    };
}
