//! The non-error answers of a call, each of which needs its own handling.

use crate::result_code::ResultCode;

/// A non-error answer (HTTP 200) of the Unified API.
///
/// Only [`Outcome::Success`] is a plain success. The other variants are also
/// HTTP 200 answers that carry a response body, but each demands a different
/// follow-up, so the type forces a `match` (or an explicit
/// [`into_success`](Outcome::into_success)). Pending (`UA-PND-*`), failures
/// and system errors are not here: they are [`Error`](crate::Error) variants.
///
/// ```
/// use vt4g::client::Outcome;
///
/// fn handle(outcome: Outcome<String>) {
///     match outcome {
///         Outcome::Success(body) => println!("done: {body}"),
///         Outcome::ConfirmPayment(_) => println!("possible double order: check MAP"),
///         Outcome::UserPaying(_) => println!("waiting for the consumer; webhook will follow"),
///         Outcome::ProviderProcessing(_) => println!("provider still working; check later"),
///     }
/// }
/// handle(Outcome::Success("ok".into()));
/// assert!(Outcome::ConfirmPayment(1).into_success().is_err());
/// ```
#[must_use = "an Outcome may be ConfirmPayment / UserPaying / ProviderProcessing, which are not plain success"]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<T> {
    /// `UA-000-001`: the command succeeded.
    Success(T),
    /// `UA-000-002` (action `confirm_payment`): success, confirmation
    /// required — there may be a double order or an invalid transaction
    /// status; verify the transaction in MAP before acting on it.
    ConfirmPayment(T),
    /// `UA-U00-001` (action `user_paying`): awaiting the consumer's payment;
    /// the final result arrives by webhook or getTransactionResult.
    UserPaying(T),
    /// `UA-P00-001` (action `provider_processing`): the payment provider is
    /// still processing; check the order status after some time.
    ProviderProcessing(T),
}

impl<T> Outcome<T> {
    /// The result code this outcome stands for.
    pub fn result_code(&self) -> ResultCode {
        match self {
            Outcome::Success(_) => ResultCode::Success,
            Outcome::ConfirmPayment(_) => ResultCode::SuccessConfirmationRequired,
            Outcome::UserPaying(_) => ResultCode::AwaitingConsumerPayment,
            Outcome::ProviderProcessing(_) => ResultCode::ProviderProcessing,
        }
    }

    /// `true` only for [`Outcome::Success`].
    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Success(_))
    }

    /// The body if this is a plain [`Outcome::Success`], otherwise the
    /// outcome itself back (so it cannot be dropped silently).
    ///
    /// # Errors
    /// Returns `Err(self)` for every variant but `Success`.
    pub fn into_success(self) -> Result<T, Outcome<T>> {
        match self {
            Outcome::Success(body) => Ok(body),
            other => Err(other),
        }
    }

    /// The response body whatever the outcome. Use it only after the outcome
    /// was checked, e.g. to log or store the body of a non-success outcome.
    pub fn body(&self) -> &T {
        match self {
            Outcome::Success(b)
            | Outcome::ConfirmPayment(b)
            | Outcome::UserPaying(b)
            | Outcome::ProviderProcessing(b) => b,
        }
    }

    /// The response body whatever the outcome (see [`body`](Self::body)).
    pub fn into_body_any_outcome(self) -> T {
        match self {
            Outcome::Success(b)
            | Outcome::ConfirmPayment(b)
            | Outcome::UserPaying(b)
            | Outcome::ProviderProcessing(b) => b,
        }
    }

    /// Maps the body, keeping the outcome.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Success(b) => Outcome::Success(f(b)),
            Outcome::ConfirmPayment(b) => Outcome::ConfirmPayment(f(b)),
            Outcome::UserPaying(b) => Outcome::UserPaying(f(b)),
            Outcome::ProviderProcessing(b) => Outcome::ProviderProcessing(f(b)),
        }
    }

    /// Wraps `body` in the outcome for `code`, or `None` when `code` is not
    /// one of the four non-error codes.
    pub fn from_code(code: &ResultCode, body: T) -> Option<Outcome<T>> {
        match code {
            ResultCode::Success => Some(Outcome::Success(body)),
            ResultCode::SuccessConfirmationRequired => Some(Outcome::ConfirmPayment(body)),
            ResultCode::AwaitingConsumerPayment => Some(Outcome::UserPaying(body)),
            ResultCode::ProviderProcessing => Some(Outcome::ProviderProcessing(body)),
            _ => None,
        }
    }
}
