//! The simulator's state and the processing of commands, consumer steps and
//! admin actions. Everything here runs synchronously under one mutex
//! ([`crate::shared::Shared::state`]); no lock is held across an `.await`,
//! and nothing here does I/O: webhooks leave as [`WebhookJob`]s for
//! `crate::delivery`.
//!
//! | file | job |
//! |---|---|
//! | `state` | [`State`] (the parts below, together) and [`Ctx`] (the inputs of one request) |
//! | `dispatch` | [`State::process`]: a validated command to its handler, then retention |
//! | `commands` | the command handlers: `pay`/`subscribe`, `charge`, the follow-up commands on one shared step, `getTransactionResult` |
//! | `consumer` | the consumer's step on the dummy provider page and the signed redirect |
//! | `admin` | provider-side events of the admin API (deregistration, a PayPay consumer paying later) |
//! | `model` | orders, their states and kinds, transactions and the data they write |
//! | `reply` | [`Reply`] and the `result` block |
//! | `retention` | the order store and its bounds (least recently used, idle time) |
//! | `idempotency` | `X-VT-Idempotency-Key` records |
//! | `effects` | the effect log |
//! | `webhooks` | webhook records and the jobs for delivery |
//! | `faults` | planned and random faults |
//! | `ids` | identifiers, consumer tokens and the seeded draws |
//! | `hash` | the hash map type of the state |

mod admin;
mod commands;
mod consumer;
mod dispatch;
mod effects;
mod faults;
mod hash;
mod idempotency;
mod ids;
mod model;
mod reply;
mod retention;
mod state;
mod webhooks;

pub use effects::Effect;
pub use idempotency::IDEMPOTENCY_TTL;
pub use model::{Order, OrderKind, OrderState};
pub use state::SandboxStats;
pub use webhooks::{DeliveryAttempt, DeliveryState, WebhookRecord};

pub(crate) use admin::ConsumerAction;
pub(crate) use consumer::ConsumerOutcome;
pub(crate) use idempotency::IdemDecision;
pub(crate) use reply::{error, Reply};
pub(crate) use state::{Ctx, State};
pub(crate) use webhooks::WebhookJob;
