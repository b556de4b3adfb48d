//! The response-leniency transform applied to the generator input (never to the
//! document in `openapi/`).
//!
//! A success response or webhook that fails to decode after VeriTrans has moved money is
//! a dangerous bug, so the types that *receive* data are generated without the
//! constraints that only matter when *sending*:
//!
//! * Lenient roots: component schemas named `*Response`, `Response*`, `ResultBlock`,
//!   `TransactionData`, `ErrorResponse`, `Webhook*`, `RedirectParams`, every component
//!   referenced directly by an operation's response, and inline response schemas.
//! * In every schema reachable from a lenient root: `maxLength`, `minLength`, `pattern`,
//!   `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`,
//!   `minItems`, `maxItems` and string `format` are dropped; `enum` is dropped (the type
//!   becomes a plain string/number) and the allowed values are appended to the
//!   description; `additionalProperties: false` is dropped (unknown fields are ignored
//!   instead of refused).
//! * A schema reachable both from a lenient root and from a request (a request body or
//!   parameter, or any `*Request` component) is not modified: a relaxed copy named
//!   `Lenient{Name}` is added and the lenient schemas refer to the copy.
//!
//! `required` and types are kept.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// Keywords removed from lenient schemas.
const DROPPED: &[&str] = &[
    "maxLength",
    "minLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
];

const REF_PREFIX: &str = "#/components/schemas/";

/// What the transform did, for the generated header and for tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeniencyReport {
    /// Component schemas relaxed in place.
    pub relaxed: Vec<String>,
    /// Component schemas shared with requests, relaxed as a `Lenient{Name}` copy.
    pub copied: Vec<String>,
}

/// Whether a component schema name is a lenient root by naming convention.
pub fn is_lenient_root_name(name: &str) -> bool {
    name.ends_with("Response")
        || name.starts_with("Response")
        || name.starts_with("Webhook")
        || matches!(
            name,
            "ResultBlock" | "TransactionData" | "ErrorResponse" | "RedirectParams"
        )
}

/// Applies the transform to a whole OpenAPI document (as JSON) in place.
pub fn apply(doc: &mut Value) -> LeniencyReport {
    let schemas: BTreeMap<String, Value> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();

    // Roots on each side.
    let mut lenient_roots: BTreeSet<String> = schemas
        .keys()
        .filter(|n| is_lenient_root_name(n))
        .cloned()
        .collect();
    let mut request_roots: BTreeSet<String> = schemas
        .keys()
        .filter(|n| n.ends_with("Request"))
        .cloned()
        .collect();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (key, op) in item {
                if key == "parameters" {
                    collect_refs(op, &mut request_roots);
                    continue;
                }
                let Some(op) = op.as_object() else { continue };
                if let Some(p) = op.get("parameters") {
                    collect_refs(p, &mut request_roots);
                }
                if let Some(b) = op.get("requestBody") {
                    collect_refs(b, &mut request_roots);
                }
                if let Some(r) = op.get("responses") {
                    collect_refs(r, &mut lenient_roots);
                }
            }
        }
    }
    if let Some(p) = doc.pointer("/components/parameters") {
        collect_refs(p, &mut request_roots);
    }
    if let Some(p) = doc.pointer("/components/requestBodies") {
        collect_refs(p, &mut request_roots);
    }
    if let Some(p) = doc.pointer("/components/responses") {
        collect_refs(p, &mut lenient_roots);
    }

    let lenient = closure(&schemas, &lenient_roots);
    let request = closure(&schemas, &request_roots);
    let shared: BTreeSet<String> = lenient.intersection(&request).cloned().collect();
    let rename = |target: &str| -> Option<String> {
        shared.contains(target).then(|| format!("Lenient{target}"))
    };

    let mut report = LeniencyReport::default();
    if let Some(map) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for name in &lenient {
            if shared.contains(name) {
                continue;
            }
            if let Some(s) = map.get_mut(name) {
                relax(s, &rename);
                report.relaxed.push(name.clone());
            }
        }
        for name in &shared {
            if let Some(mut copy) = map.get(name).cloned() {
                relax(&mut copy, &rename);
                map.insert(format!("Lenient{name}"), copy);
                report.copied.push(name.clone());
            }
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (key, op) in item.iter_mut() {
                if key == "parameters" {
                    continue;
                }
                if let Some(r) = op.get_mut("responses") {
                    relax_response_contents(r, &rename);
                }
            }
        }
    }
    if let Some(r) = doc.pointer_mut("/components/responses") {
        relax_response_contents(r, &rename);
    }
    report
}

/// progenitor 0.15 asserts that all "success or default" responses of an operation
/// share one type, so `200: PayResponse` + `default: ErrorResponse` makes it panic.
/// In the generator input, an operation that has both a `2xx` response and `default`
/// gets the `default` response replaced by `4XX` and `5XX` ranges (same content), so
/// the client returns `Error::ErrorResponse(ErrorResponse)` for every 4xx/5xx.
/// Returns the operationIds (or paths) that were rewritten.
pub fn split_default_responses(doc: &mut Value) -> Vec<String> {
    let mut touched = Vec::new();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return touched;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (key, op) in item.iter_mut() {
            if key == "parameters" {
                continue;
            }
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("{key} {path}"));
            let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                continue;
            };
            let has_success = responses.keys().any(|k| k.starts_with('2'));
            if !has_success || !responses.contains_key("default") {
                continue;
            }
            if let Some(default) = responses.remove("default") {
                for range in ["4XX", "5XX"] {
                    if !responses.contains_key(range) {
                        responses.insert(range.to_string(), default.clone());
                    }
                }
                touched.push(id);
            }
        }
    }
    touched
}

/// Relaxes the `content.*.schema` of every response in a `responses` map.
fn relax_response_contents(responses: &mut Value, rename: &dyn Fn(&str) -> Option<String>) {
    let Some(map) = responses.as_object_mut() else {
        return;
    };
    for resp in map.values_mut() {
        let Some(content) = resp.get_mut("content").and_then(Value::as_object_mut) else {
            continue;
        };
        for media in content.values_mut() {
            if let Some(schema) = media.get_mut("schema") {
                relax(schema, rename);
            }
        }
    }
}

/// Collects every `#/components/schemas/X` reference below `v`.
fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    if let Some(name) = x.as_str().and_then(|s| s.strip_prefix(REF_PREFIX)) {
                        out.insert(name.to_string());
                    }
                } else {
                    collect_refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// The schemas reachable from `roots` (inclusive) through `$ref`s.
fn closure(schemas: &BTreeMap<String, Value>, roots: &BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack: Vec<String> = roots.iter().cloned().collect();
    while let Some(n) = stack.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        if let Some(s) = schemas.get(&n) {
            let mut refs = BTreeSet::new();
            collect_refs(s, &mut refs);
            stack.extend(refs.into_iter().filter(|r| !seen.contains(r)));
        }
    }
    seen.retain(|n| schemas.contains_key(n));
    seen
}

/// Relaxes one schema (recursively through its subschemas), rewriting references to
/// shared schemas with `rename`.
pub fn relax(schema: &mut Value, rename: &dyn Fn(&str) -> Option<String>) {
    let Some(m) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::String(r)) = m.get_mut("$ref") {
        if let Some(new) = r.strip_prefix(REF_PREFIX).and_then(rename) {
            *r = format!("{REF_PREFIX}{new}");
        }
    }
    for k in DROPPED {
        m.remove(*k);
    }
    let is_string = m.get("type").and_then(Value::as_str) == Some("string");
    if is_string {
        m.remove("format");
    }
    if let Some(Value::Array(values)) = m.remove("enum") {
        let listed: Vec<String> = values
            .iter()
            .map(|v| match v {
                Value::String(s) => format!("`{s}`"),
                other => format!("`{other}`"),
            })
            .collect();
        let note = format!(
            "Documented values (not enforced when decoding): {}.",
            listed.join(", ")
        );
        append_description(m, &note);
    }
    if m.get("additionalProperties") == Some(&Value::Bool(false)) {
        m.remove("additionalProperties");
    }
    for key in ["properties", "patternProperties"] {
        if let Some(Value::Object(props)) = m.get_mut(key) {
            props.values_mut().for_each(|p| relax(p, rename));
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = m.get_mut(key) {
            if sub.is_object() {
                relax(sub, rename);
            }
        }
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(subs)) = m.get_mut(key) {
            subs.iter_mut().for_each(|s| relax(s, rename));
        }
    }
}

fn append_description(m: &mut Map<String, Value>, note: &str) {
    let new = match m.get("description").and_then(Value::as_str) {
        Some(d) if !d.trim().is_empty() => format!("{}\n\n{note}", d.trim_end()),
        _ => note.to_string(),
    };
    m.insert("description".into(), Value::String(new));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn relaxes_response_side_and_copies_shared() {
        let mut doc = json!({
            "paths": {"/pay": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/PayRequest"}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/PayResponse"}}}}}
            }}},
            "components": {"schemas": {
                "PayType": {"type": "string", "enum": ["paypay", "au"], "maxLength": 20},
                "PayRequest": {"type": "object", "properties": {"payType": {"$ref": "#/components/schemas/PayType"},
                    "id": {"type": "string", "maxLength": 64}}},
                "PayResponse": {"type": "object", "additionalProperties": false, "properties": {
                    "payType": {"$ref": "#/components/schemas/PayType"},
                    "status": {"type": "string", "enum": ["success"], "description": "Status."},
                    "id": {"type": "string", "maxLength": 64, "pattern": "^x", "format": "date-time"}}}
            }}
        });
        let report = apply(&mut doc);
        assert_eq!(report.relaxed, vec!["PayResponse".to_string()]);
        assert_eq!(report.copied, vec!["PayType".to_string()]);
        let s = &doc["components"]["schemas"];
        assert_eq!(s["PayRequest"]["properties"]["id"]["maxLength"], json!(64));
        assert_eq!(s["PayType"]["enum"], json!(["paypay", "au"]));
        assert!(s["LenientPayType"].get("enum").is_none());
        let resp = &s["PayResponse"];
        assert!(resp.get("additionalProperties").is_none());
        assert_eq!(
            resp["properties"]["payType"]["$ref"],
            json!("#/components/schemas/LenientPayType")
        );
        assert_eq!(resp["properties"]["id"], json!({"type": "string"}));
        assert_eq!(
            resp["properties"]["status"]["description"],
            json!("Status.\n\nDocumented values (not enforced when decoding): `success`.")
        );
    }
}
