//! The result codes, statuses and action codes of the Unified API
//! ("About transaction Result" in the reference).
//!
//! Every response of the Unified API carries a `result` block with
//! `resultCode` (e.g. `UA-000-001`), `status` (`success` / `failure` /
//! `error`) and `actionCode` (the merchant's recommended action). These enums
//! type them, with a forward-compatible `Unknown(String)` fallback so that a
//! code added by a later version of the API is kept verbatim instead of failing
//! the decode.
//!
//! The reference's table prints `status` only on the first row of each group of
//! rows (merged cells): we read a blank cell as "same as the row above", which
//! gives `success` for the four HTTP 200 codes, `failure` for `UA-REQ-*`,
//! `UA-PRV-*`, `UA-CST-*`, `UA-LMT-*` and `UA-PND-*` (the simulation tables of
//! the reference confirm this, e.g. "UA-PND-002(Failure)"), and `error` for
//! `UA-SYS-*`.
//!
//! ```
//! use vt4g::result_code::{ActionCode, ResultCode, Status};
//!
//! let code: ResultCode = "UA-LMT-001".parse().unwrap();
//! assert_eq!(code, ResultCode::TooManyConcurrentConnections);
//! assert_eq!(code.http_status(), Some(429));
//! assert_eq!(code.status(), Some(Status::Failure));
//! assert_eq!(code.action_code(), Some(ActionCode::RetryRequest));
//! assert!(code.is_retryable());
//!
//! // A code this crate does not know is kept, never lost.
//! let future: ResultCode = "UA-NEW-001".parse().unwrap();
//! assert_eq!(future, ResultCode::Unknown("UA-NEW-001".into()));
//! assert_eq!(future.as_str(), "UA-NEW-001");
//! ```

use std::convert::Infallible;
use std::fmt;
use std::str::FromStr;

/// A `resultCode` of the Unified API: the 31 `UA-*` codes of the reference's
/// table, the HTTP-404-only "Page not found" row, and [`ResultCode::Unknown`]
/// for anything else.
///
/// Serializes and deserializes as the wire string (`"UA-000-001"`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// `UA-000-001` (200) — Success.
    Success,
    /// `UA-000-002` (200) — Success (Confirmation Required): possibly a double
    /// order or an invalid transaction status; verify the transaction in MAP.
    SuccessConfirmationRequired,
    /// `UA-U00-001` (200) — Awaiting consumer's payment.
    AwaitingConsumerPayment,
    /// `UA-P00-001` (200) — Provider processing in progress.
    ProviderProcessing,
    /// `UA-REQ-001` (400) — Invalid message.
    InvalidMessage,
    /// `UA-REQ-002` (400) — Fraudulent parameter.
    FraudulentParameter,
    /// `UA-REQ-003` (409) — Order duplication.
    OrderDuplication,
    /// `UA-REQ-004` (401) — No execution permission.
    NoExecutionPermission,
    /// `UA-REQ-005` (406) — In process.
    InProcess,
    /// `UA-REQ-006` (400) — Request time limit exceeded (capture deadline,
    /// cancellation deadline, etc.).
    RequestTimeLimitExceeded,
    /// `UA-REQ-007` (400) — API cannot be executed (internal status invalid).
    InternalStatusInvalid,
    /// `UA-REQ-008` (401) — Authentication error.
    AuthenticationError,
    /// `UA-REQ-900` (404) — Invalid request content (no applicable merchant or
    /// order found).
    InvalidRequestContent,
    /// `UA-PRV-001` (502) — Provider error.
    ProviderError,
    /// `UA-PRV-002` (502) — API cannot be executed (external status is invalid).
    ExternalStatusInvalid,
    /// `UA-PRV-003` (502) — API cannot be executed (merchant registration and
    /// contract issues).
    MerchantContractIssue,
    /// `UA-PRV-004` (502) — Provider error (incorrect amount).
    ProviderIncorrectAmount,
    /// `UA-PRV-999` (503) — Under Maintenance.
    UnderMaintenance,
    /// `UA-CST-001` (502) — Consumer-related error.
    ConsumerError,
    /// `UA-CST-002` (502) — Consumer cancellation.
    ConsumerCancellation,
    /// `UA-CST-003` (502) — Consumer authentication error.
    ConsumerAuthenticationError,
    /// `UA-CST-004` (502) — Consumer payment process period is exceeded.
    ConsumerPaymentPeriodExceeded,
    /// `UA-LMT-001` (429) — Exceeded number of concurrent connections.
    TooManyConcurrentConnections,
    /// `UA-LMT-002` (403) — Incorrect request source IP address.
    IncorrectSourceIp,
    /// `UA-PND-001` (500) — Payment status unsettled (internal communication error).
    PendingInternalCommunicationError,
    /// `UA-PND-002` (500) — Payment status unsettled (pending).
    PendingUnsettled,
    /// `UA-PND-003` (500) — Payment status unknown (pending).
    PendingUnknown,
    /// `UA-SYS-001` (500) — System error.
    SystemError,
    /// `UA-SYS-002` (500) — Application error.
    ApplicationError,
    /// `UA-SYS-003` (500) — Internal communication error.
    InternalCommunicationError,
    /// `UA-SYS-004` (500) — External communication error.
    ExternalCommunicationError,
    /// The table's last row: HTTP 404 with no result code ("Page not found").
    /// Its wire form is the table's `-`.
    PageNotFound,
    /// A code this version of the crate does not know, kept verbatim.
    Unknown(String),
}

/// One row of the table: (variant, code, HTTP status, status, action code, description).
type Row = (
    ResultCode,
    &'static str,
    u16,
    Option<Status>,
    Option<ActionCode>,
    &'static str,
);

macro_rules! table {
    ($( $variant:ident, $code:literal, $http:literal, $status:expr, $action:expr, $desc:literal; )*) => {
        impl ResultCode {
            /// Every code of the reference's table, in the table's order
            /// (without [`ResultCode::Unknown`]).
            pub const ALL: [ResultCode; 32] = [$(ResultCode::$variant,)*];

            fn row(&self) -> Option<Row> {
                match self {
                    $(ResultCode::$variant => Some((ResultCode::$variant, $code, $http, $status, $action, $desc)),)*
                    ResultCode::Unknown(_) => None,
                }
            }

            /// Parses a wire code; anything not in the table becomes [`ResultCode::Unknown`].
            pub fn from_code(code: &str) -> ResultCode {
                match code {
                    $($code => ResultCode::$variant,)*
                    other => ResultCode::Unknown(other.to_owned()),
                }
            }
        }
    };
}

use ActionCode as A;
use Status as S;

table! {
    Success, "UA-000-001", 200, Some(S::Success), Some(A::Success), "Success";
    SuccessConfirmationRequired, "UA-000-002", 200, Some(S::Success), Some(A::ConfirmPayment), "Success (Confirmation Required)";
    AwaitingConsumerPayment, "UA-U00-001", 200, Some(S::Success), Some(A::UserPaying), "Awaiting consumer's payment";
    ProviderProcessing, "UA-P00-001", 200, Some(S::Success), Some(A::ProviderProcessing), "Provider processing in progress";
    InvalidMessage, "UA-REQ-001", 400, Some(S::Failure), Some(A::ConfirmRequest), "Invalid message";
    FraudulentParameter, "UA-REQ-002", 400, Some(S::Failure), Some(A::ConfirmRequest), "Fraudulent parameter";
    OrderDuplication, "UA-REQ-003", 409, Some(S::Failure), Some(A::ConfirmRequest), "Order duplication";
    NoExecutionPermission, "UA-REQ-004", 401, Some(S::Failure), Some(A::ConfirmMerchantInfo), "No execution permission";
    InProcess, "UA-REQ-005", 406, Some(S::Failure), Some(A::RetryRequest), "In process";
    RequestTimeLimitExceeded, "UA-REQ-006", 400, Some(S::Failure), Some(A::AlternatePayment), "Request time limit exceeded (capture deadline, cancellation deadline, etc.)";
    InternalStatusInvalid, "UA-REQ-007", 400, Some(S::Failure), Some(A::ConfirmPaymentStatus), "API cannot be executed (internal status invalid)";
    AuthenticationError, "UA-REQ-008", 401, Some(S::Failure), Some(A::ConfirmToken), "Authentication error";
    InvalidRequestContent, "UA-REQ-900", 404, Some(S::Failure), Some(A::ConfirmRequest), "Invalid request content (no applicable merchant or order found)";
    ProviderError, "UA-PRV-001", 502, Some(S::Failure), Some(A::RetryRequest), "Provider error";
    ExternalStatusInvalid, "UA-PRV-002", 502, Some(S::Failure), Some(A::ConfirmPaymentStatus), "API cannot be executed (external status is invalid)";
    MerchantContractIssue, "UA-PRV-003", 502, Some(S::Failure), Some(A::ConfirmMerchantInfo), "API cannot be executed (merchant registration and contract issues)";
    ProviderIncorrectAmount, "UA-PRV-004", 502, Some(S::Failure), Some(A::ConfirmRequest), "Provider error (incorrect amount)";
    UnderMaintenance, "UA-PRV-999", 503, Some(S::Failure), Some(A::Maintenance), "Under Maintenance";
    ConsumerError, "UA-CST-001", 502, Some(S::Failure), Some(A::ConfirmConsumer), "Consumer-related error";
    ConsumerCancellation, "UA-CST-002", 502, Some(S::Failure), Some(A::RetryPayment), "Consumer cancellation";
    ConsumerAuthenticationError, "UA-CST-003", 502, Some(S::Failure), Some(A::RetryPayment), "Consumer authentication error";
    ConsumerPaymentPeriodExceeded, "UA-CST-004", 502, Some(S::Failure), Some(A::RetryPayment), "Consumer payment process period is exceeded";
    TooManyConcurrentConnections, "UA-LMT-001", 429, Some(S::Failure), Some(A::RetryRequest), "Exceeded number of concurrent connections";
    IncorrectSourceIp, "UA-LMT-002", 403, Some(S::Failure), Some(A::ConfirmMerchantInfo), "Incorrect request source IP address";
    PendingInternalCommunicationError, "UA-PND-001", 500, Some(S::Failure), Some(A::ConfirmPendingStatus), "Payment status unsettled (internal communication error)";
    PendingUnsettled, "UA-PND-002", 500, Some(S::Failure), Some(A::ConfirmPendingStatus), "Payment status unsettled (pending)";
    PendingUnknown, "UA-PND-003", 500, Some(S::Failure), Some(A::InquirySupport), "Payment status unknown (pending)";
    SystemError, "UA-SYS-001", 500, Some(S::Error), Some(A::InquirySupport), "System error";
    ApplicationError, "UA-SYS-002", 500, Some(S::Error), Some(A::InquirySupport), "Application error";
    InternalCommunicationError, "UA-SYS-003", 500, Some(S::Error), Some(A::RetryRequest), "Internal communication error";
    ExternalCommunicationError, "UA-SYS-004", 500, Some(S::Error), Some(A::RetryRequest), "External communication error";
    PageNotFound, "-", 404, None, None, "Page not found";
}

impl ResultCode {
    /// The wire string (`UA-000-001`; `-` for [`ResultCode::PageNotFound`];
    /// the original string for [`ResultCode::Unknown`]).
    pub fn as_str(&self) -> &str {
        match self {
            ResultCode::Unknown(s) => s,
            known => known.row().map(|r| r.1).unwrap_or_default(),
        }
    }

    /// The HTTP status the reference pairs with this code; `None` for
    /// [`ResultCode::Unknown`].
    pub fn http_status(&self) -> Option<u16> {
        self.row().map(|r| r.2)
    }

    /// The `status` the reference pairs with this code (blank table cells read
    /// as the row above, see the module docs); `None` for
    /// [`ResultCode::PageNotFound`] and [`ResultCode::Unknown`].
    pub fn status(&self) -> Option<Status> {
        self.row().and_then(|r| r.3)
    }

    /// The `actionCode` the reference pairs with this code; `None` for
    /// [`ResultCode::PageNotFound`] and [`ResultCode::Unknown`].
    pub fn action_code(&self) -> Option<ActionCode> {
        self.row().and_then(|r| r.4)
    }

    /// The reference's description (English), `None` for [`ResultCode::Unknown`].
    pub fn description(&self) -> Option<&'static str> {
        self.row().map(|r| r.5)
    }

    /// `true` only for `UA-000-001`. `UA-000-002` (success, confirmation
    /// required), `UA-U00-001` and `UA-P00-001` are HTTP 200 too but each needs
    /// its own handling, so they are not "plain success".
    pub fn is_success(&self) -> bool {
        matches!(self, ResultCode::Success)
    }

    /// `true` for the pending codes `UA-PND-001`, `UA-PND-002`, `UA-PND-003`:
    /// the payment may have succeeded or failed; confirm with
    /// getTransactionResult / MAP later, never resend blindly.
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            ResultCode::PendingInternalCommunicationError
                | ResultCode::PendingUnsettled
                | ResultCode::PendingUnknown
        )
    }

    /// `true` for the codes whose action is `retry_request`: `UA-REQ-005`,
    /// `UA-PRV-001`, `UA-LMT-001`, `UA-SYS-003`, `UA-SYS-004`. The client
    /// retries these (same key, same body) within its [`RetryPolicy`](crate::client::RetryPolicy).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ResultCode::InProcess
                | ResultCode::ProviderError
                | ResultCode::TooManyConcurrentConnections
                | ResultCode::InternalCommunicationError
                | ResultCode::ExternalCommunicationError
        )
    }

    /// `true` when the answer does not tell whether the request's effect was
    /// applied, so the request may have been processed: `UA-REQ-005` (the
    /// original request with this key is being processed right now),
    /// `UA-PRV-001` (provider error), the pending `UA-PND-*` and every system
    /// error `UA-SYS-001` … `UA-SYS-004`, and any code this crate does not
    /// know ([`ResultCode::Unknown`]): an answer that does not prove the effect
    /// did not happen counts as "maybe processed".
    ///
    /// A call ending with such an answer must be resumed with the same key
    /// (the idempotency ledger releases its scope for that) or settled with
    /// getTransactionResult / MAP — never sent again under a new key.
    /// See [`is_final`](Self::is_final) for the whole table.
    pub fn effect_unknown(&self) -> bool {
        matches!(
            self,
            ResultCode::InProcess
                | ResultCode::ProviderError
                | ResultCode::PendingInternalCommunicationError
                | ResultCode::PendingUnsettled
                | ResultCode::PendingUnknown
                | ResultCode::SystemError
                | ResultCode::ApplicationError
                | ResultCode::InternalCommunicationError
                | ResultCode::ExternalCommunicationError
                | ResultCode::Unknown(_)
        )
    }

    /// `true` when the answer is the definitive result of this request and
    /// the idempotency ledger stores it (a later call on the scope is answered
    /// from it, nothing is sent again). `false` for the retryable
    /// ([`is_retryable`](Self::is_retryable)) and effect-unknown
    /// ([`effect_unknown`](Self::effect_unknown)) codes, whose scope is
    /// released for a resume with the same key, and for
    /// [`ResultCode::PageNotFound`].
    ///
    /// Every code, its action code (the reference's "Result Code" and
    /// "Action code" tables) and what this crate does with it:
    ///
    /// | code | HTTP | actionCode | effect of the request | ledger | retried | `maybe_processed` |
    /// |---|---|---|---|---|---|---|
    /// | UA-000-001 | 200 | success | applied | final | no | — (success) |
    /// | UA-000-002 | 200 | confirm_payment | applied; verify in MAP (possible double order) | final | no | — (outcome) |
    /// | UA-U00-001 | 200 | user_paying | accepted, the consumer is paying | final | no | — (outcome) |
    /// | UA-P00-001 | 200 | provider_processing | accepted, the provider is processing | final | no | — (outcome) |
    /// | UA-REQ-001, -002, -003 | 400, 400, 409 | confirm_request | refused: not applied | final | no | false |
    /// | UA-REQ-004 | 401 | confirm_merchant_info | refused: not applied | final | no | false |
    /// | UA-REQ-005 | 406 | retry_request | unknown: the first request with this key is still being processed | released | yes | **true** |
    /// | UA-REQ-006 | 400 | alternate_payment | refused (deadline passed): not applied | final | no | false |
    /// | UA-REQ-007 | 400 | confirm_payment_status | refused (status): not applied | final | no | false |
    /// | UA-REQ-008 | 401 | confirm_token | refused (authentication): not applied | final | no | false |
    /// | UA-REQ-900 | 404 | confirm_request | refused (no such order): not applied | final | no | false |
    /// | UA-PRV-001 | 502 | retry_request | unknown: the provider failed, possibly after acting | released | yes | **true** |
    /// | UA-PRV-002 | 502 | confirm_payment_status | refused by the provider (status): not applied | final | no | false |
    /// | UA-PRV-003 | 502 | confirm_merchant_info | refused (contract): not applied | final | no | false |
    /// | UA-PRV-004 | 502 | confirm_request | refused (amount): not applied | final | no | false |
    /// | UA-PRV-999 | 503 | maintenance | refused (maintenance): not applied | final | no | false |
    /// | UA-CST-001 | 502 | confirm_consumer | refused (consumer): not applied | final | no | false |
    /// | UA-CST-002, -003, -004 | 502 | retry_payment | the consumer cancelled / failed / timed out: not applied | final | no | false |
    /// | UA-LMT-001 | 429 | retry_request | refused before processing (rate limit): not applied | released | yes | false |
    /// | UA-LMT-002 | 403 | confirm_merchant_info | refused (source IP): not applied | final | no | false |
    /// | UA-PND-001, -002 | 500 | confirm_pending_status | unknown: "can be either Success or Failure" | released | no | **true** |
    /// | UA-PND-003 | 500 | inquiry_support | unknown ("status unknown") | released | no | **true** |
    /// | UA-SYS-001, -002 | 500 | inquiry_support | unknown: a system error says nothing about the effect | released | no | **true** |
    /// | UA-SYS-003, -004 | 500 | retry_request | unknown (internal / external communication error) | released | yes | **true** |
    /// | `-` (bare 404) | 404 | — | not applied (no such endpoint) | released | no | false |
    /// | any other code | any | any | unknown | released | no | **true** |
    ///
    /// Reading: `status` `failure` with an action other than `retry_request`
    /// is a refusal of the request (the reference: "invalid request, consumer
    /// eligibility check, payment provider judgment"), so it is final;
    /// `status` `error` is "issues with the Unified API or the payment
    /// provider's server", which can strike after the effect was applied, so
    /// every `UA-SYS-*` is effect-unknown whatever its action code — including
    /// `UA-SYS-001`/`-002`, whose `inquiry_support` asks a human to find out.
    /// `UA-LMT-001` rejects the connection before processing. `UA-000-002`,
    /// `UA-U00-001` and `UA-P00-001` are final answers to the request (the
    /// order's later state arrives by webhook / getTransactionResult). A
    /// transport failure or a 5xx without a result code is effect-unknown too
    /// (see [`Error::maybe_processed`](crate::Error::maybe_processed)).
    pub fn is_final(&self) -> bool {
        !(self.is_retryable() || self.effect_unknown() || matches!(self, ResultCode::PageNotFound))
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ResultCode {
    type Err = Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ResultCode::from_code(s))
    }
}

impl serde::Serialize for ResultCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ResultCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(ResultCode::from_code(&s))
    }
}

/// The `status` of a response ("Status" table of the reference).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    /// `success` — Success.
    Success,
    /// `failure` — Order failure (invalid request, consumer eligibility check,
    /// payment provider judgment, etc.).
    Failure,
    /// `error` — System error (issues with the Unified API or the payment
    /// provider's server, etc.).
    Error,
    /// Any other value, kept verbatim.
    Unknown(String),
}

impl Status {
    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Success => "success",
            Status::Failure => "failure",
            Status::Error => "error",
            Status::Unknown(s) => s,
        }
    }

    /// Parses a wire value; anything else becomes [`Status::Unknown`].
    pub fn from_code(s: &str) -> Status {
        match s {
            "success" => Status::Success,
            "failure" => Status::Failure,
            "error" => Status::Error,
            other => Status::Unknown(other.to_owned()),
        }
    }
}

/// The `actionCode` of a response: the merchant's recommended action
/// ("Action code" table of the reference), plus `success`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ActionCode {
    /// `success` — nothing to do.
    Success,
    /// `inquiry_support` — Contact Technical Support.
    InquirySupport,
    /// `maintenance` — Check the maintenance period and try again.
    Maintenance,
    /// `confirm_payment` — Possibly a double order or an invalid transaction
    /// status: verify the transaction status in MAP.
    ConfirmPayment,
    /// `confirm_payment_status` — Do not call APIs that do not match the
    /// transaction status.
    ConfirmPaymentStatus,
    /// `confirm_request` — Check the parameter values (see the message).
    ConfirmRequest,
    /// `confirm_merchant_info` — Verify the merchant's registration status.
    ConfirmMerchantInfo,
    /// `alternate_payment` — Verify the transaction status and resend, or pay
    /// with another method.
    AlternatePayment,
    /// `retry_request` — Wait a while and try again; contact support if it persists.
    RetryRequest,
    /// `retry_payment` — Retry the payment request.
    RetryPayment,
    /// `confirm_consumer` — Possibly caused by the consumer; check their status.
    ConfirmConsumer,
    /// `confirm_token` — Verify the authentication token.
    ConfirmToken,
    /// `user_paying` — The payment is being processed; check the order status later.
    UserPaying,
    /// `provider_processing` — Awaiting the payment provider; check the order status later.
    ProviderProcessing,
    /// `confirm_pending_status` — The payment may be success or failure; check
    /// the order status in MAP after a while (minutes for UA-PND-001, 2–3 hours
    /// for UA-PND-002), then contact support if unchanged.
    ConfirmPendingStatus,
    /// Any other value, kept verbatim.
    Unknown(String),
}

impl ActionCode {
    /// The 14 action codes of the reference's table plus `success`, in the
    /// table's order (success first).
    pub const ALL: [ActionCode; 15] = [
        ActionCode::Success,
        ActionCode::InquirySupport,
        ActionCode::Maintenance,
        ActionCode::ConfirmPayment,
        ActionCode::ConfirmPaymentStatus,
        ActionCode::ConfirmRequest,
        ActionCode::ConfirmMerchantInfo,
        ActionCode::AlternatePayment,
        ActionCode::RetryRequest,
        ActionCode::RetryPayment,
        ActionCode::ConfirmConsumer,
        ActionCode::ConfirmToken,
        ActionCode::UserPaying,
        ActionCode::ProviderProcessing,
        ActionCode::ConfirmPendingStatus,
    ];

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            ActionCode::Success => "success",
            ActionCode::InquirySupport => "inquiry_support",
            ActionCode::Maintenance => "maintenance",
            ActionCode::ConfirmPayment => "confirm_payment",
            ActionCode::ConfirmPaymentStatus => "confirm_payment_status",
            ActionCode::ConfirmRequest => "confirm_request",
            ActionCode::ConfirmMerchantInfo => "confirm_merchant_info",
            ActionCode::AlternatePayment => "alternate_payment",
            ActionCode::RetryRequest => "retry_request",
            ActionCode::RetryPayment => "retry_payment",
            ActionCode::ConfirmConsumer => "confirm_consumer",
            ActionCode::ConfirmToken => "confirm_token",
            ActionCode::UserPaying => "user_paying",
            ActionCode::ProviderProcessing => "provider_processing",
            ActionCode::ConfirmPendingStatus => "confirm_pending_status",
            ActionCode::Unknown(s) => s,
        }
    }

    /// Parses a wire value; anything else becomes [`ActionCode::Unknown`].
    pub fn from_code(s: &str) -> ActionCode {
        ActionCode::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .unwrap_or_else(|| ActionCode::Unknown(s.to_owned()))
    }
}

macro_rules! string_enum_impls {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $t {
            type Err = Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(<$t>::from_code(s))
            }
        }
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(<$t>::from_code(&s))
            }
        }
    };
}

string_enum_impls!(Status);
string_enum_impls!(ActionCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_code() {
        for code in ResultCode::ALL {
            assert_eq!(ResultCode::from_code(code.as_str()), code);
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(serde_json::from_str::<ResultCode>(&json).unwrap(), code);
            assert!(code.description().is_some());
            assert!(code.http_status().is_some());
        }
        for a in ActionCode::ALL {
            assert_eq!(ActionCode::from_code(a.as_str()), a);
        }
        let mut seen = std::collections::HashSet::new();
        assert!(ResultCode::ALL
            .iter()
            .all(|c| seen.insert(c.as_str().to_owned())));
    }

    #[test]
    fn table_counts_match_the_reference() {
        assert_eq!(ResultCode::ALL.len(), 32);
        let ua = ResultCode::ALL
            .iter()
            .filter(|c| c.as_str().starts_with("UA-"))
            .count();
        assert_eq!(ua, 31);
        // every action code of the reference's table is used by some result code
        for a in ActionCode::ALL {
            assert!(
                ResultCode::ALL
                    .iter()
                    .any(|c| c.action_code() == Some(a.clone())),
                "{a} unused"
            );
        }
    }

    #[test]
    fn agrees_exactly_with_the_generated_table() {
        use vt4g_generated::result_codes::RESULT_CODES;
        assert_eq!(
            RESULT_CODES.len(),
            ResultCode::ALL.len(),
            "the spec's result-code table and ResultCode differ in size"
        );
        for (row, code) in RESULT_CODES.iter().zip(ResultCode::ALL.iter()) {
            assert_eq!(row.code, code.as_str(), "order/code mismatch");
            assert_eq!(ResultCode::from_code(row.code), *code);
            assert_eq!(Some(row.http_status), code.http_status(), "{}", row.code);
            assert_eq!(
                row.status.map(Status::from_code),
                code.status(),
                "status of {}",
                row.code
            );
            assert_eq!(
                row.action_code.map(ActionCode::from_code),
                code.action_code(),
                "actionCode of {}",
                row.code
            );
            assert_eq!(Some(row.description), code.description(), "{}", row.code);
        }
        for row in vt4g_generated::result_codes::ACTION_CODES {
            assert!(
                !matches!(ActionCode::from_code(row.code), ActionCode::Unknown(_)),
                "action code {} unknown to ActionCode",
                row.code
            );
        }
    }

    /// The rustdoc table of `is_final`, checked against the reference's
    /// columns: every `error` status and every `retry_request` code but the
    /// rate limit leaves the effect unknown; final codes are exactly the
    /// others, minus the bare 404.
    #[test]
    fn effect_classes_follow_status_and_action() {
        for c in ResultCode::ALL {
            let by_table = c.status() == Some(Status::Error)
                || c.is_pending()
                || (c.action_code() == Some(ActionCode::RetryRequest)
                    && c != ResultCode::TooManyConcurrentConnections);
            assert_eq!(c.effect_unknown(), by_table, "{c}");
            assert_eq!(
                c.is_final(),
                !(by_table || c.is_retryable() || c == ResultCode::PageNotFound),
                "{c}"
            );
            if c.http_status() == Some(200) {
                assert!(c.is_final(), "{c}");
            }
        }
        let finals = ResultCode::ALL.iter().filter(|c| c.is_final()).count();
        // 32 rows - 9 effect-unknown - UA-LMT-001 (retried) - the bare 404.
        assert_eq!(finals, 21);
    }

    #[test]
    fn classes() {
        let retryable: Vec<_> = ResultCode::ALL
            .iter()
            .filter(|c| c.is_retryable())
            .collect();
        assert_eq!(retryable.len(), 5);
        assert!(retryable
            .iter()
            .all(|c| c.action_code() == Some(ActionCode::RetryRequest)));
        let pending: Vec<_> = ResultCode::ALL.iter().filter(|c| c.is_pending()).collect();
        assert_eq!(pending.len(), 3);
        assert!(pending.iter().all(|c| c.as_str().starts_with("UA-PND-")));
        assert!(ResultCode::Success.is_success());
        assert!(!ResultCode::SuccessConfirmationRequired.is_success());
        assert!(ResultCode::SuccessConfirmationRequired.is_final());
        assert!(!ResultCode::PendingUnsettled.is_final());
        assert!(!ResultCode::InProcess.is_final());
        assert!(!ResultCode::Unknown("X".into()).is_final());
        // A system error says nothing about the effect: never final.
        assert!(!ResultCode::SystemError.is_final());
        assert!(!ResultCode::ApplicationError.is_final());
        assert!(ResultCode::SystemError.effect_unknown());
        assert!(!ResultCode::UnderMaintenance.effect_unknown());
        assert!(!ResultCode::TooManyConcurrentConnections.effect_unknown());
        assert_eq!(ResultCode::Unknown("X".into()).status(), None);
        assert_eq!(Status::from_code("weird"), Status::Unknown("weird".into()));
        assert_eq!(
            ActionCode::from_code("weird"),
            ActionCode::Unknown("weird".into())
        );
    }
}
