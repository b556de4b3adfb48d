//! `X-VT-Idempotency-Key` records: a key (with its command and target) is
//! in flight while its request runs, then replays the exact answer for
//! 24 hours; the newest `max_idempotency_records` are kept.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use vt4g::Command;

use super::hash::HashMap;
use super::reply::Reply;

/// Life of an idempotency key (the reference: 24 hours).
pub const IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 3600);

/// A key as records are told apart: the key, the command and its target.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct IdemKey {
    key: String,
    command: Command,
    ident: String,
}

impl IdemKey {
    /// The record of `key` for `command` on `ident` (its paymentId,
    /// fepOrderId or fepReferenceId).
    pub(super) fn new(key: &str, command: Command, ident: &str) -> IdemKey {
        IdemKey {
            key: key.to_owned(),
            command,
            ident: ident.to_owned(),
        }
    }

    /// The request's `X-VT-Idempotency-Key`.
    pub(super) fn key(&self) -> &str {
        &self.key
    }
}

#[derive(Debug, Clone)]
enum IdemEntry {
    InFlight {
        since: SystemTime,
        seq: u64,
    },
    Done {
        reply: Reply,
        at: SystemTime,
        seq: u64,
    },
}

impl IdemEntry {
    fn at(&self) -> SystemTime {
        match self {
            IdemEntry::InFlight { since, .. } => *since,
            IdemEntry::Done { at, .. } => *at,
        }
    }
    fn seq(&self) -> u64 {
        match self {
            IdemEntry::InFlight { seq, .. } | IdemEntry::Done { seq, .. } => *seq,
        }
    }
}

/// What the idempotency check decided.
pub(crate) enum IdemDecision {
    /// Replay this exact answer.
    Replay(Reply),
    /// Same key still in process → 406.
    InProcess,
    /// Process; the entry is marked in flight (when a key was given).
    Proceed(Option<IdemKey>),
}

/// The records, and the keys in the order their records were made.
pub(super) struct IdemLog {
    map: HashMap<IdemKey, IdemEntry>,
    /// Keys with the record's `seq` (a pair whose key was recorded again
    /// later is stale and skipped).
    order: VecDeque<(u64, IdemKey)>,
    seq: u64,
    max: usize,
}

impl IdemLog {
    /// Keeps at most `max` records.
    pub(super) fn new(max: usize) -> IdemLog {
        IdemLog {
            map: HashMap::default(),
            order: VecDeque::new(),
            seq: 0,
            max,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    /// The check before processing a request made with key `k`: replay,
    /// refuse, or mark in flight.
    pub(super) fn begin(&mut self, k: IdemKey, now: SystemTime) -> IdemDecision {
        match self.map.get(&k) {
            Some(IdemEntry::Done { reply, at, .. })
                if now.duration_since(*at).unwrap_or_default() < IDEMPOTENCY_TTL =>
            {
                return IdemDecision::Replay(reply.clone());
            }
            Some(IdemEntry::InFlight { since, .. })
                if now.duration_since(*since).unwrap_or_default() < IDEMPOTENCY_TTL =>
            {
                return IdemDecision::InProcess;
            }
            _ => {}
        }
        self.seq += 1;
        let seq = self.seq;
        self.map
            .insert(k.clone(), IdemEntry::InFlight { since: now, seq });
        self.order.push_back((seq, k.clone()));
        self.sweep(now);
        IdemDecision::Proceed(Some(k))
    }

    /// Records the answer of a request made with a key. (When its in-flight
    /// record was dropped meanwhile — only possible with a tiny
    /// `max_idempotency_records` — no record is made.)
    pub(super) fn finish(&mut self, key: Option<IdemKey>, reply: &Reply, now: SystemTime) {
        if let Some(k) = key {
            if let Some(e) = self.map.get_mut(&k) {
                let seq = e.seq();
                *e = IdemEntry::Done {
                    reply: reply.clone(),
                    at: now,
                    seq,
                };
            }
        }
    }

    /// Drops records past their life (24 h) and the oldest over the bound;
    /// amortized O(1) per request.
    pub(super) fn sweep(&mut self, now: SystemTime) {
        while let Some((seq, k)) = self.order.front() {
            let drop_it = match self.map.get(k) {
                // A record made again under the same key later: stale pair.
                Some(e) if e.seq() != *seq => None,
                Some(e) => Some(
                    self.map.len() > self.max
                        || now.duration_since(e.at()).unwrap_or_default() >= IDEMPOTENCY_TTL,
                ),
                None => None,
            };
            match drop_it {
                Some(false) => break,
                Some(true) => {
                    if let Some((_, k)) = self.order.pop_front() {
                        self.map.remove(&k);
                    }
                }
                None => {
                    self.order.pop_front();
                }
            }
        }
        if self.order.len() > 2 * self.map.len() + 1024 {
            let map = &self.map;
            self.order
                .retain(|(seq, k)| map.get(k).is_some_and(|e| e.seq() == *seq));
        }
    }
}
