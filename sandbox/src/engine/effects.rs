//! The effect log: one entry per effect actually applied, the newest
//! `max_effects` kept (`GET /_sandbox/effects`).

use std::collections::VecDeque;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use vt4g::Command;

use crate::clock::{format_jst, unix_millis};

/// One effect actually applied (`GET /_sandbox/effects`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Effect {
    /// 1, 2, 3, … in order of application.
    pub seq: u64,
    /// Command name (`capture`, `updateOrder`, …).
    pub command: String,
    /// paymentId of the order.
    pub payment_id: String,
    /// Amount the effect moved (authorized, captured, refunded, new amount), if any.
    pub amount: Option<String>,
    /// The request's `X-VT-Idempotency-Key`, if any.
    pub idempotency_key: Option<String>,
    /// The result code returned.
    pub result_code: String,
    /// fepReferenceId of the transaction.
    pub fep_reference_id: String,
    /// JST `yyyyMMddHHmmss` on the simulator's clock.
    pub at: String,
    /// Milliseconds since the Unix epoch on the simulator's clock.
    pub at_unix_ms: u64,
}

/// An effect as the log keeps it (compact; [`Effect`] is built on reading;
/// `seq` is the position in the log counting the dropped entries).
#[derive(Debug, Clone)]
struct EffectRec {
    command: Command,
    payment_id: Box<str>,
    amount: Option<u64>,
    idempotency_key: Option<Box<str>>,
    result_code: &'static str,
    fep_reference_id: Box<str>,
    /// Milliseconds since the Unix epoch on the simulator's clock.
    at_unix_ms: u64,
}

impl EffectRec {
    fn to_effect(&self, seq: u64) -> Effect {
        let at = std::time::UNIX_EPOCH + Duration::from_millis(self.at_unix_ms);
        Effect {
            seq,
            command: self.command.as_str().to_owned(),
            payment_id: self.payment_id.clone().into(),
            amount: self.amount.map(|a| a.to_string()),
            idempotency_key: self.idempotency_key.clone().map(Into::into),
            result_code: self.result_code.to_owned(),
            fep_reference_id: self.fep_reference_id.clone().into(),
            at: format_jst(at),
            at_unix_ms: self.at_unix_ms,
        }
    }
}

/// What an applied effect was: the command, its order and transaction, the
/// amount it moved and the answer's code.
pub(super) struct Applied<'a> {
    pub(super) command: Command,
    pub(super) payment_id: &'a str,
    pub(super) amount: Option<u64>,
    pub(super) idempotency_key: Option<&'a str>,
    pub(super) result_code: &'static str,
    pub(super) fep_reference_id: &'a str,
}

/// The kept entries and how many older ones were dropped.
pub(super) struct EffectLog {
    recs: VecDeque<EffectRec>,
    dropped: u64,
    max: usize,
}

impl EffectLog {
    /// Keeps the newest `max` entries.
    pub(super) fn new(max: usize) -> EffectLog {
        EffectLog {
            recs: VecDeque::new(),
            dropped: 0,
            max,
        }
    }

    /// Appends an effect applied at `at`, dropping the oldest over the bound.
    pub(super) fn record(&mut self, e: Applied<'_>, at: SystemTime) {
        self.recs.push_back(EffectRec {
            command: e.command,
            payment_id: e.payment_id.into(),
            amount: e.amount,
            idempotency_key: e.idempotency_key.map(Into::into),
            result_code: e.result_code,
            fep_reference_id: e.fep_reference_id.into(),
            at_unix_ms: unix_millis(at),
        });
        while self.recs.len() > self.max {
            self.recs.pop_front();
            self.dropped += 1;
        }
    }

    /// The kept entries, oldest first.
    pub(super) fn list(&self) -> Vec<Effect> {
        let first = self.dropped + 1;
        self.recs
            .iter()
            .zip(first..)
            .map(|(e, seq)| e.to_effect(seq))
            .collect()
    }

    pub(super) fn len(&self) -> usize {
        self.recs.len()
    }

    pub(super) fn dropped(&self) -> u64 {
        self.dropped
    }
}
