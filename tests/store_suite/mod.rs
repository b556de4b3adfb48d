//! The conformance suite shared by every `IdempotencyStore` and `WebhookDeduper`
//! backend: the same async functions run against the in-memory and the Postgres
//! implementations (see `store_memory.rs` and `postgres_store.rs`), so the two are
//! proven to behave the same.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use vt4g::dedupe::{Seen, WebhookDeduper};
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

pub async fn dedupe_first_then_duplicate<D: WebhookDeduper + 'static>(d: Arc<D>) {
    let now = t0();
    let ttl = Duration::from_secs(3600);
    assert_eq!(
        d.check_and_record("wh-1", now, ttl).await.unwrap(),
        Seen::First
    );
    assert_eq!(
        d.check_and_record("wh-1", now, ttl).await.unwrap(),
        Seen::Duplicate
    );
    let later = now + Duration::from_secs(3599);
    assert_eq!(
        d.check_and_record("wh-1", later, ttl).await.unwrap(),
        Seen::Duplicate
    );
    assert_eq!(
        d.check_and_record("wh-2", now, ttl).await.unwrap(),
        Seen::First
    );
}

pub async fn dedupe_expired_id_counts_as_new<D: WebhookDeduper + 'static>(d: Arc<D>) {
    let now = t0();
    let ttl = Duration::from_secs(60);
    assert_eq!(
        d.check_and_record("wh-3", now, ttl).await.unwrap(),
        Seen::First
    );
    // A duplicate does not extend the record's life.
    let mid = now + Duration::from_secs(59);
    assert_eq!(
        d.check_and_record("wh-3", mid, ttl).await.unwrap(),
        Seen::Duplicate
    );
    // Expiry is exclusive: at exactly now + ttl the record is gone.
    let at = now + ttl;
    assert_eq!(
        d.check_and_record("wh-3", at, ttl).await.unwrap(),
        Seen::First
    );
    // ... and was recorded again from `at`.
    let at2 = at + Duration::from_secs(30);
    assert_eq!(
        d.check_and_record("wh-3", at2, ttl).await.unwrap(),
        Seen::Duplicate
    );
}

pub async fn dedupe_forget<D: WebhookDeduper + 'static>(d: Arc<D>) {
    let now = t0();
    let ttl = Duration::from_secs(3600);
    d.forget("never-seen").await.unwrap();
    assert_eq!(
        d.check_and_record("wh-4", now, ttl).await.unwrap(),
        Seen::First
    );
    d.forget("wh-4").await.unwrap();
    assert_eq!(
        d.check_and_record("wh-4", now, ttl).await.unwrap(),
        Seen::First
    );
    assert_eq!(
        d.check_and_record("wh-4", now, ttl).await.unwrap(),
        Seen::Duplicate
    );
}

pub async fn dedupe_purge_expired<D: WebhookDeduper + 'static>(d: Arc<D>) {
    let now = t0();
    d.check_and_record("short", now, Duration::from_secs(10))
        .await
        .unwrap();
    d.check_and_record("long", now, Duration::from_secs(100))
        .await
        .unwrap();
    d.check_and_record("edge", now, Duration::from_secs(50))
        .await
        .unwrap();
    let at = now + Duration::from_secs(50);
    assert_eq!(
        d.purge_expired(at).await.unwrap(),
        2,
        "short and edge (expiry <= now)"
    );
    assert_eq!(d.purge_expired(at).await.unwrap(), 0);
    assert_eq!(
        d.check_and_record("long", at, Duration::from_secs(100))
            .await
            .unwrap(),
        Seen::Duplicate
    );
    assert_eq!(
        d.check_and_record("short", at, Duration::from_secs(100))
            .await
            .unwrap(),
        Seen::First
    );
}

pub async fn dedupe_ids_are_exact<D: WebhookDeduper + 'static>(d: Arc<D>) {
    let now = t0();
    let ttl = Duration::from_secs(60);
    for id in ["abc", "ABC", "abc ", "ａｂｃ", "a'b\"c;--"] {
        assert_eq!(
            d.check_and_record(id, now, ttl).await.unwrap(),
            Seen::First,
            "{id:?}"
        );
    }
}

pub async fn dedupe_concurrent_has_exactly_one_first<D: WebhookDeduper + 'static>(d: Arc<D>) {
    let now = t0();
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let d = Arc::clone(&d);
        tasks.push(tokio::spawn(async move {
            d.check_and_record("wh-race", now, Duration::from_secs(60))
                .await
                .unwrap()
        }));
    }
    let mut firsts = 0;
    for t in tasks {
        if t.await.unwrap() == Seen::First {
            firsts += 1;
        }
    }
    assert_eq!(firsts, 1);
}

pub async fn dedupe_concurrent_on_expired_record_has_exactly_one_first<
    D: WebhookDeduper + 'static,
>(
    d: Arc<D>,
) {
    let now = t0();
    d.check_and_record("wh-race2", now, Duration::from_secs(1))
        .await
        .unwrap();
    let at = now + Duration::from_secs(5);
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let d = Arc::clone(&d);
        tasks.push(tokio::spawn(async move {
            d.check_and_record("wh-race2", at, Duration::from_secs(60))
                .await
                .unwrap()
        }));
    }
    let mut firsts = 0;
    for t in tasks {
        if t.await.unwrap() == Seen::First {
            firsts += 1;
        }
    }
    assert_eq!(firsts, 1);
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
            dedupe_first_then_duplicate,
            dedupe_expired_id_counts_as_new,
            dedupe_forget,
            dedupe_purge_expired,
            dedupe_ids_are_exact,
            dedupe_concurrent_has_exactly_one_first,
            dedupe_concurrent_on_expired_record_has_exactly_one_first
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
