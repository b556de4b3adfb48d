//! An HTTP answer of the command endpoint, and the `result` block every
//! answer, webhook and transaction data starts with.

use bytes::Bytes;
use vt4g::result_code::ResultCode;

use crate::json::Obj;

/// An HTTP answer: status and exact body bytes.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Bytes,
}

/// The error answer for `code` (its HTTP status from the result-code table,
/// else 500), with `message` appended to the code's description.
pub(crate) fn error(code: &str, message: Option<&str>) -> Reply {
    let rc = ResultCode::from_code(code);
    let status = rc.http_status().unwrap_or(500);
    let mut out = Vec::with_capacity(192);
    write_result(&mut Obj::new(&mut out), "result", code, None, message);
    Reply {
        status,
        body: Bytes::from(out),
    }
}

/// Writes the `result` block for a code as member `key` of `o`:
/// `status, actionCode, resultCode, message[, vResultCode]`.
pub(super) fn write_result(
    o: &mut Obj<'_>,
    key: &str,
    code: &str,
    v_code: Option<&str>,
    message: Option<&str>,
) {
    let rc = ResultCode::from_code(code);
    let status = rc.status();
    let action = rc.action_code();
    let mut r = o.obj(key);
    r.str("status", status.as_ref().map_or("error", |s| s.as_str()));
    r.str("actionCode", action.as_ref().map_or("", |a| a.as_str()));
    r.str("resultCode", code);
    match message {
        Some(extra) => {
            let msg = format!("{}: {extra}", rc.description().unwrap_or("Error"));
            r.str("message", &msg);
        }
        None => {
            r.str("message", rc.description().unwrap_or(""));
        }
    }
    r.opt_str("vResultCode", v_code);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn result_block(code: &str, v: Option<&str>, message: Option<&str>) -> Value {
        let mut out = Vec::new();
        write_result(&mut Obj::new(&mut out), "result", code, v, message);
        let mut v: Value = serde_json::from_slice(&out).unwrap();
        v["result"].take()
    }

    #[test]
    fn result_blocks_follow_the_result_code_table() {
        let b = result_block("UA-PRV-001", Some("1GD1"), None);
        assert_eq!(b["status"], "failure");
        assert_eq!(b["actionCode"], "retry_request");
        assert_eq!(b["vResultCode"], "1GD1");
        assert_eq!(error("UA-REQ-008", None).status, 401);
        assert_eq!(error("UA-PRV-999", None).status, 503);
        assert_eq!(result_block("UA-SYS-003", None, None)["status"], "error");
        let m = result_block("UA-REQ-001", None, Some("order.amount"));
        assert!(m["message"].as_str().unwrap().ends_with(": order.amount"));
        assert!(m.get("vResultCode").is_none());
    }
}
