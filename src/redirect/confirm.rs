//! Confirming a redirected order with getTransactionResult before the
//! merchant marks it paid.

use crate::client::Outcome;
use crate::generated::types::{GetTransactionResultRequest, GetTransactionResultResponse};
use crate::result_code::ResultCode;
use crate::Client;

use super::excerpt;

/// The transaction getTransactionResult returned for the order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConfirmedTransaction {
    /// `transactionData.order.paymentId` (equal to the expected one).
    pub payment_id: String,
    /// `transactionData.order.fepOrderId`.
    pub fep_order_id: Option<String>,
    /// `transactionData.order.amount`.
    pub amount: Option<String>,
    /// `transactionData.order.payType`.
    pub pay_type: Option<String>,
    /// `transactionData.transaction.command` (the command of the transaction,
    /// e.g. `pay`).
    pub command: Option<String>,
    /// The whole answer.
    pub response: GetTransactionResultResponse,
}

/// What getTransactionResult says about the order.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Confirmation {
    /// `UA-000-001`: the transaction succeeded. Check
    /// [`ConfirmedTransaction::command`] and the amount before fulfilling.
    Succeeded(ConfirmedTransaction),
    /// `UA-000-002`: success, confirmation required (possibly a double order):
    /// check the transaction in MAP before fulfilling.
    ConfirmationRequired(ConfirmedTransaction),
    /// `UA-U00-001` / `UA-P00-001`: not final yet (the consumer is paying or
    /// the provider is processing); wait for the webhook or ask again later.
    NotFinal(ResultCode),
}

/// Why [`confirm`] could not confirm the order.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfirmError {
    /// The fepReferenceId is not a valid getTransactionResult argument.
    #[error("fepReferenceId {0:?} is not a valid transaction.fepReferenceId")]
    InvalidReference(String),
    /// The transaction belongs to another order (or the answer names none).
    #[error("the transaction belongs to paymentId {actual:?}, not the expected {expected:?}")]
    OtherOrder {
        /// The paymentId the merchant expects (shortened and escaped).
        expected: String,
        /// The paymentId in the answer, if any (shortened and escaped).
        actual: Option<String>,
    },
    /// The call failed: the transaction failed (`Error::Api`), or the answer
    /// could not be obtained (transport, decoding, …).
    #[error(transparent)]
    Client(#[from] crate::Error),
}

/// Asks getTransactionResult for the transaction `fep_reference_id` (the
/// fepReferenceId the payment request's answer returned; the signed one of a
/// [`VerifiedRedirect`](super::VerifiedRedirect) also works) and checks that it
/// belongs to `expected_payment_id` before reporting its state.
///
/// A verified redirect is an overview that a consumer can replay; this is the
/// check to make before marking the order paid.
///
/// ```no_run
/// # async fn f(client: vt4g::Client, redirect: vt4g::redirect::VerifiedRedirect, stored_ref: String) -> Result<(), vt4g::redirect::ConfirmError> {
/// use vt4g::redirect::{confirm, Confirmation};
/// match confirm(&client, &redirect.payment_id, &stored_ref).await? {
///     Confirmation::Succeeded(tx) => { /* check tx.amount, then mark paid */ let _ = tx; }
///     Confirmation::ConfirmationRequired(_) => { /* check in MAP */ }
///     Confirmation::NotFinal(_) => { /* wait for the webhook */ }
///     _ => {}
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`ConfirmError::InvalidReference`] (not a string the request type takes)
/// or [`ConfirmError::Client`] with `Error::Validation` (the reference's
/// syntax) before any request when the reference is invalid; [`ConfirmError::OtherOrder`] when the transaction is another
/// order's; [`ConfirmError::Client`] for every client error (a failed
/// transaction is `Error::Api`).
pub async fn confirm(
    client: &Client,
    expected_payment_id: &str,
    fep_reference_id: &str,
) -> Result<Confirmation, ConfirmError> {
    let req: GetTransactionResultRequest = serde_json::from_value(serde_json::json!({
        "transaction": { "fepReferenceId": fep_reference_id }
    }))
    .map_err(|_| ConfirmError::InvalidReference(excerpt(fep_reference_id)))?;
    let outcome = client.get_transaction_result(&req).await?;
    let check = |resp: GetTransactionResultResponse| -> Result<ConfirmedTransaction, ConfirmError> {
        let data = resp.transaction_data.as_ref();
        let order = data.and_then(|d| d.order.as_ref());
        let actual = order.and_then(|o| o.payment_id.clone());
        if actual.as_deref() != Some(expected_payment_id) {
            return Err(ConfirmError::OtherOrder {
                expected: excerpt(expected_payment_id),
                actual: actual.as_deref().map(excerpt),
            });
        }
        Ok(ConfirmedTransaction {
            payment_id: expected_payment_id.to_owned(),
            fep_order_id: order.and_then(|o| o.fep_order_id.clone()),
            amount: order.and_then(|o| o.amount.clone()),
            pay_type: order.and_then(|o| o.pay_type.clone()),
            command: data
                .and_then(|d| d.transaction.as_ref())
                .and_then(|t| t.command.clone()),
            response: resp,
        })
    };
    Ok(match outcome {
        Outcome::Success(resp) => Confirmation::Succeeded(check(resp)?),
        Outcome::ConfirmPayment(resp) => Confirmation::ConfirmationRequired(check(resp)?),
        other => Confirmation::NotFinal(other.result_code()),
    })
}
