//! Turns the spec's `x-vt4g-result-codes`, `x-vt4g-action-codes` and `x-vt4g-statuses`
//! into the static tables of `generated/src/result_codes.rs`.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

/// One `x-vt4g-result-codes` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultCodeRow {
    /// `resultCode` (`UA-000-001`; `-` for the HTTP-only "Page not found" row).
    pub code: String,
    /// HTTP status the code comes with.
    pub http_status: u16,
    /// `status`, where the table gives one.
    pub status: Option<String>,
    /// `actionCode`, where the table gives one.
    pub action_code: Option<String>,
    /// The reference's description.
    pub description: String,
}

/// The three tables read from the spec.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CodeTables {
    /// `x-vt4g-result-codes`, in document order.
    pub result_codes: Vec<ResultCodeRow>,
    /// `x-vt4g-action-codes` as `(code, action)`, in document order.
    pub action_codes: Vec<(String, String)>,
    /// `x-vt4g-statuses` as `(code, description)`, in document order.
    pub statuses: Vec<(String, String)>,
}

fn str_field(entry: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| entry.get(*k))
        .and_then(|v| match v {
            Value::String(s) => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|s| !s.is_empty())
}

fn list<'a>(doc: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    doc.get(key)
        .ok_or_else(|| format!("the spec has no top-level `{key}`"))?
        .as_array()
        .ok_or_else(|| format!("`{key}` is not a list"))
}

/// Reads the tables from the (untransformed) document.
///
/// Entries of `x-vt4g-statuses` may name their value `code`, `status` or `value`.
///
/// # Errors
/// A message naming the extension and entry that is missing or malformed.
pub fn read_tables(doc: &Value) -> Result<CodeTables, String> {
    let mut t = CodeTables::default();
    for (i, e) in list(doc, "x-vt4g-result-codes")?.iter().enumerate() {
        let code = str_field(e, &["code", "resultCode"])
            .ok_or_else(|| format!("x-vt4g-result-codes[{i}] has no `code`"))?;
        let http_status = e
            .get("httpStatus")
            .and_then(|v| match v {
                Value::Number(n) => n.as_u64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| {
                format!("x-vt4g-result-codes[{i}] ({code}) has no numeric `httpStatus`")
            })?;
        t.result_codes.push(ResultCodeRow {
            http_status,
            status: str_field(e, &["status"]),
            action_code: str_field(e, &["actionCode"]),
            description: str_field(e, &["description"]).unwrap_or_default(),
            code,
        });
    }
    for (i, e) in list(doc, "x-vt4g-action-codes")?.iter().enumerate() {
        let code = str_field(e, &["code", "actionCode"])
            .ok_or_else(|| format!("x-vt4g-action-codes[{i}] has no `code`"))?;
        let action = str_field(e, &["action", "description"]).unwrap_or_default();
        t.action_codes.push((code, action));
    }
    for (i, e) in list(doc, "x-vt4g-statuses")?.iter().enumerate() {
        let code = str_field(e, &["code", "status", "value"])
            .ok_or_else(|| format!("x-vt4g-statuses[{i}] has no `code`"))?;
        let description = str_field(e, &["description"]).unwrap_or_default();
        t.statuses.push((code, description));
    }
    Ok(t)
}

fn opt(s: &Option<String>) -> TokenStream {
    match s {
        Some(s) => quote! { Some(#s) },
        None => quote! { None },
    }
}

/// The tokens of `generated/src/result_codes.rs` (without the header).
pub fn module_tokens(t: &CodeTables) -> TokenStream {
    let rc = t.result_codes.iter().map(|r| {
        let ResultCodeRow {
            code,
            http_status,
            description,
            ..
        } = r;
        let status = opt(&r.status);
        let action = opt(&r.action_code);
        quote! {
            ResultCodeInfo {
                code: #code,
                http_status: #http_status,
                status: #status,
                action_code: #action,
                description: #description,
            },
        }
    });
    let ac = t.action_codes.iter().map(|(code, action)| {
        quote! { ActionCodeInfo { code: #code, action: #action }, }
    });
    let st = t.statuses.iter().map(|(code, description)| {
        quote! { StatusInfo { code: #code, description: #description }, }
    });
    quote! {
        //! The reference's "About transaction Result" tables (result codes, statuses,
        //! action codes) as static data, from the spec's `x-vt4g-result-codes`,
        //! `x-vt4g-statuses` and `x-vt4g-action-codes`.

        /// One row of the "Result Code" table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct ResultCodeInfo {
            /// `resultCode`, e.g. `UA-000-001` (`-` for the HTTP-only "Page not found" row).
            pub code: &'static str,
            /// The HTTP status code returned with it.
            pub http_status: u16,
            /// `status` (`success`, `failure`, `error`) where the table gives one.
            pub status: Option<&'static str>,
            /// `actionCode` where the table gives one.
            pub action_code: Option<&'static str>,
            /// The reference's description (also the English `message`).
            pub description: &'static str,
        }

        /// One row of the "Action code" table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct ActionCodeInfo {
            /// `actionCode`, e.g. `retry_request`.
            pub code: &'static str,
            /// The merchant's recommended action.
            pub action: &'static str,
        }

        /// One row of the "Status" table.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct StatusInfo {
            /// `status`, e.g. `failure`.
            pub code: &'static str,
            /// The reference's description.
            pub description: &'static str,
        }

        /// Every result code, in the reference's order.
        pub static RESULT_CODES: &[ResultCodeInfo] = &[ #(#rc)* ];

        /// Every action code, in the reference's order.
        pub static ACTION_CODES: &[ActionCodeInfo] = &[ #(#ac)* ];

        /// Every status, in the reference's order.
        pub static STATUSES: &[StatusInfo] = &[ #(#st)* ];

        /// Looks up a result code (`UA-REQ-001`).
        ///
        /// ```
        /// let info = vt4g_generated::result_codes::result_code("UA-000-001");
        /// assert_eq!(info.map(|i| i.http_status), Some(200));
        /// ```
        pub fn result_code(code: &str) -> Option<&'static ResultCodeInfo> {
            RESULT_CODES.iter().find(|r| r.code == code)
        }

        /// Looks up an action code (`retry_request`).
        pub fn action_code(code: &str) -> Option<&'static ActionCodeInfo> {
            ACTION_CODES.iter().find(|a| a.code == code)
        }

        /// Looks up a status (`success`).
        pub fn status(code: &str) -> Option<&'static StatusInfo> {
            STATUSES.iter().find(|s| s.code == code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_rows_with_blank_cells_and_refuses_missing_tables() {
        let doc = json!({
            "x-vt4g-result-codes": [
                {"code": "UA-000-001", "httpStatus": 200, "status": "success",
                 "actionCode": "success", "description": "Success"},
                {"code": "-", "httpStatus": "404", "description": "Page not found"}
            ],
            "x-vt4g-action-codes": [{"code": "retry_request", "action": "Wait."}],
            "x-vt4g-statuses": [{"status": "success", "description": "Success"}]
        });
        let t = read_tables(&doc).unwrap();
        assert_eq!(t.result_codes.len(), 2);
        assert_eq!(t.result_codes[1].http_status, 404);
        assert_eq!(t.result_codes[1].status, None);
        assert_eq!(t.result_codes[1].action_code, None);
        assert_eq!(
            t.action_codes,
            vec![("retry_request".into(), "Wait.".into())]
        );
        assert_eq!(t.statuses, vec![("success".into(), "Success".into())]);

        let mut no_statuses = doc.clone();
        no_statuses
            .as_object_mut()
            .unwrap()
            .remove("x-vt4g-statuses");
        assert!(read_tables(&no_statuses)
            .unwrap_err()
            .contains("x-vt4g-statuses"));
        let mut bad = doc;
        bad["x-vt4g-result-codes"][0]["httpStatus"] = json!("two hundred");
        assert!(read_tables(&bad).unwrap_err().contains("UA-000-001"));
    }
}
