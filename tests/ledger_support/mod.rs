//! Shared by the ledger tests (`ledger_client.rs`, `ledger_faults.rs`): orders
//! prepared in the simulator, and counting its effect log.
#![allow(dead_code)]

use std::collections::HashMap;

use serde_json::{json, Value};
use vt4g::client::RequestMode;
use vt4g::{Client, Command};
use vt4g_sandbox::{Effect, Sandbox};

/// A client without a ledger for preparing orders.
fn setup_client(sandbox: &Sandbox) -> Result<Client, String> {
    Client::builder()
        .base_url(sandbox.base_url(), RequestMode::Sandbox)
        .bearer_token(sandbox.bearer_token().clone())
        .build()
        .map_err(|e| e.to_string())
}

/// pay (or subscribe) then the consumer step, for each `(command, paymentId)`:
/// authorized PayPay orders (`Pay`) or subscribed original orders (`Subscribe`).
pub async fn prepare(sandbox: &Sandbox, orders: &[(Command, String)]) -> Result<(), String> {
    let client = setup_client(sandbox)?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let control = json!({
        "successUrl": "https://merchant.example/ok",
        "cancelUrl": "https://merchant.example/cancel",
        "errorUrl": "https://merchant.example/error",
    });
    for (command, pid) in orders {
        let mut order = json!({ "payType": "paypay", "paymentId": pid });
        if *command == Command::Pay {
            order["amount"] = json!("1000");
        }
        let body = json!({ "order": order, "control": control });
        let resp: Value = client
            .call::<Value, Value>(*command, &body)
            .await
            .map_err(|e| format!("setup {command} {pid}: {e}"))?
            .into_success()
            .map_err(|o| format!("setup {command} {pid}: {:?}", o.result_code()))?;
        let url = resp["control"]["redirectUrl"]
            .as_str()
            .ok_or_else(|| format!("setup {command}: no redirectUrl in {resp}"))?;
        let consumer = http.get(url).send().await.map_err(|e| e.to_string())?;
        if !consumer.status().is_redirection() {
            return Err(format!(
                "setup {command}: consumer page answered {}",
                consumer.status()
            ));
        }
    }
    Ok(())
}

/// The effects of `command` on `payment_id`.
pub fn effects_of<'e>(
    effects: &'e [Effect],
    command: Command,
    payment_id: &str,
) -> Vec<&'e Effect> {
    effects
        .iter()
        .filter(|e| e.command == command.as_str() && e.payment_id == payment_id)
        .collect()
}

/// Effects per (command, paymentId).
pub fn effect_counts(effects: &[Effect]) -> HashMap<(String, String), Vec<&Effect>> {
    let mut m: HashMap<(String, String), Vec<&Effect>> = HashMap::new();
    for e in effects {
        m.entry((e.command.clone(), e.payment_id.clone()))
            .or_default()
            .push(e);
    }
    m
}
