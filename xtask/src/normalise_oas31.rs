//! Normalisation step 1: OpenAPI 3.1 → 3.0.3, where the conversion is lossless.
//!
//! In every schema (found through [`crate::normalise_schemas::schema_roots`]):
//! * `type: [T, "null"]` → `type: T, nullable: true`; `type: [T]` → `type: T`;
//!   `type: "null"` alone, or two non-null types, are refused (no 3.0 equivalent that
//!   typify reads the same way);
//! * `const: v` → `enum: [v]` (with an existing `enum`, only if it contains `v`);
//! * `examples: [v]` → `example: v`; `examples: []` is dropped; several examples are
//!   refused (a 3.0 schema has one `example`; dropping the rest would lose them);
//! * numeric `exclusiveMinimum: n` / `exclusiveMaximum: n` → `minimum: n,
//!   exclusiveMinimum: true` (refused when `minimum` is also given);
//! * a `$ref` with annotation siblings (`description`, `title`, `summary`, `example`,
//!   `examples`, `deprecated`) drops them (3.0 ignores siblings of `$ref`); any other
//!   sibling is refused;
//! * JSON Schema 2020-12 keywords with no 3.0 equivalent (`prefixItems`, `$defs`,
//!   `if`/`then`/`else`, `dependentSchemas`, `dependentRequired`, `unevaluated*`,
//!   `contentEncoding`, `contentMediaType`, `contentSchema`, `patternProperties`,
//!   `propertyNames`, `contains`, `$id`, `$anchor`, `$dynamicRef`, `$dynamicAnchor`,
//!   `$schema`) are refused.
//!
//! At the top level of a 3.1 document: `webhooks` moves to `x-webhooks` (progenitor
//! generates nothing for either), `jsonSchemaDialect` is dropped when it names the
//! OpenAPI 3.1 default dialect and refused otherwise; `components/pathItems` is refused.
//!
//! The type and `const` conversions also run on 3.0 documents (where those forms are
//! invalid anyway and would otherwise be read wrongly by `openapiv3`).

use serde_json::{Map, Value};

use crate::normalise::{child, raw, Log};
use crate::normalise_schemas::{schema_roots, subschema_pointers};

const UNSUPPORTED: &[&str] = &[
    "prefixItems",
    "$defs",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    "patternProperties",
    "propertyNames",
    "contains",
    "minContains",
    "maxContains",
    "$id",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$schema",
];

const REF_ANNOTATIONS: &[&str] = &[
    "description",
    "title",
    "summary",
    "example",
    "examples",
    "deprecated",
];

const DEFAULT_DIALECT: &str = "https://spec.openapis.org/oas/3.1/dialect/base";

/// Converts a whole 3.1 document (schemas and top-level objects).
pub(crate) fn convert_document(doc: &mut Value, log: &mut Log) {
    if let Some(map) = doc.as_object_mut() {
        if let Some(d) = map.get("jsonSchemaDialect").cloned() {
            if d.as_str().map(|s| s.trim_end_matches('/')) == Some(DEFAULT_DIALECT) {
                map.remove("jsonSchemaDialect");
                log.note(
                    "#/jsonSchemaDialect",
                    "the default OpenAPI 3.1 dialect declaration dropped (3.0 has no such field)",
                );
            } else {
                log.error(
                    "#/jsonSchemaDialect",
                    format!("schema dialect {d} has no OpenAPI 3.0 equivalent"),
                );
            }
        }
        if map
            .get("components")
            .and_then(|c| c.get("pathItems"))
            .is_some()
        {
            log.error(
                "#/components/pathItems",
                "components/pathItems (OpenAPI 3.1) has no 3.0 equivalent; inline the path items",
            );
        }
    }
    convert_schemas(doc, log, true);
    if let Some(map) = doc.as_object_mut() {
        if let Some(w) = map.remove("webhooks") {
            if map.contains_key("x-webhooks") {
                log.error(
                    "#/webhooks",
                    "both `webhooks` and `x-webhooks` are present; cannot move `webhooks`",
                );
                map.insert("webhooks".into(), w);
            } else {
                map.insert("x-webhooks".into(), w);
                log.note(
                    "#/webhooks",
                    "`webhooks` (OpenAPI 3.1) moved to `x-webhooks` (progenitor generates nothing for webhooks)",
                );
            }
        }
    }
}

/// Converts every schema of the document in place; `full` (3.1 input) adds the
/// conversions that only make sense for 3.1 (`examples`, numeric exclusive bounds, `$ref`
/// siblings, 2020-12 keywords).
pub(crate) fn convert_schemas(doc: &mut Value, log: &mut Log, full: bool) {
    let mut stack = schema_roots(doc);
    stack.reverse();
    while let Some(ptr) = stack.pop() {
        let Some(schema) = doc.pointer_mut(raw(&ptr)) else {
            continue;
        };
        convert_one(schema, &ptr, log, full);
        let mut subs = subschema_pointers(schema, &ptr);
        subs.reverse();
        stack.extend(subs);
    }
}

fn convert_one(schema: &mut Value, ptr: &str, log: &mut Log, full: bool) {
    let Some(m) = schema.as_object_mut() else {
        return;
    };
    if !full {
        convert_type(m, ptr, log);
        convert_const(m, ptr, log);
        return;
    }
    for k in UNSUPPORTED {
        if m.contains_key(*k) {
            log.error(
                &child(ptr, k),
                format!("`{k}` (JSON Schema 2020-12) has no OpenAPI 3.0 equivalent"),
            );
        }
    }
    if m.contains_key("$ref") && m.len() > 1 {
        let siblings: Vec<String> = m.keys().filter(|k| *k != "$ref").cloned().collect();
        let bad: Vec<&String> = siblings
            .iter()
            .filter(|k| !REF_ANNOTATIONS.contains(&k.as_str()) && !k.starts_with("x-"))
            .collect();
        if !bad.is_empty() {
            log.error(
                ptr,
                format!(
                    "`$ref` with sibling keyword(s) {}: OpenAPI 3.0 ignores siblings of `$ref`, so the constraint would be lost; wrap the reference in `allOf`",
                    bad.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                ),
            );
        } else if siblings.iter().any(|k| !k.starts_with("x-")) {
            let dropped: Vec<String> = siblings
                .iter()
                .filter(|k| !k.starts_with("x-"))
                .cloned()
                .collect();
            m.retain(|k, _| k == "$ref" || k.starts_with("x-"));
            log.note(
                ptr,
                format!(
                    "annotation(s) {} next to `$ref` dropped (OpenAPI 3.0 ignores siblings of `$ref`)",
                    dropped.join(", ")
                ),
            );
        }
        return;
    }
    convert_type(m, ptr, log);
    convert_const(m, ptr, log);
    convert_examples(m, ptr, log);
    for (ex, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(n) = m.get(ex).filter(|v| v.is_number()).cloned() {
            if m.contains_key(bound) {
                log.error(
                    &child(ptr, ex),
                    format!(
                        "numeric `{ex}` together with `{bound}` has no single OpenAPI 3.0 form"
                    ),
                );
            } else {
                m.insert(bound.into(), n.clone());
                m.insert(ex.into(), Value::Bool(true));
                log.note(
                    &child(ptr, ex),
                    format!("`{ex}: {n}` → `{bound}: {n}, {ex}: true`"),
                );
            }
        }
    }
}

fn convert_type(m: &mut Map<String, Value>, ptr: &str, log: &mut Log) {
    let tp = child(ptr, "type");
    match m.get("type").cloned() {
        Some(Value::String(t)) if t == "null" => log.error(
            &tp,
            "`type: null` has no OpenAPI 3.0 equivalent (use `nullable: true` on the real type)",
        ),
        Some(Value::Array(types)) => {
            let names: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
            if names.len() != types.len() {
                log.error(&tp, "`type` list holds a non-string");
                return;
            }
            let nullable = names.contains(&"null");
            let rest: Vec<&str> = names.iter().copied().filter(|t| *t != "null").collect();
            match rest.as_slice() {
                [one] => {
                    m.insert("type".into(), Value::String((*one).to_string()));
                    if nullable {
                        m.insert("nullable".into(), Value::Bool(true));
                    }
                    log.note(
                        &tp,
                        format!(
                            "`type: {}` → `type: {one}`{}",
                            Value::Array(types.clone()),
                            if nullable { ", nullable: true" } else { "" }
                        ),
                    );
                }
                [] => log.error(
                    &tp,
                    "`type: [\"null\"]` has no OpenAPI 3.0 equivalent",
                ),
                many => log.error(
                    &tp,
                    format!(
                        "`type` lists several types ({}); OpenAPI 3.0 has one type per schema (rewrite as `oneOf`)",
                        many.join(", ")
                    ),
                ),
            }
        }
        _ => {}
    }
}

fn convert_const(m: &mut Map<String, Value>, ptr: &str, log: &mut Log) {
    let Some(c) = m.remove("const") else {
        return;
    };
    let cp = child(ptr, "const");
    match m.get("enum").cloned() {
        Some(Value::Array(values)) if values.contains(&c) => {
            m.insert("enum".into(), Value::Array(vec![c.clone()]));
            log.note(
                &cp,
                format!("`const: {c}` → `enum: [{c}]` (within the existing enum)"),
            );
        }
        Some(_) => {
            m.insert("const".into(), c.clone());
            log.error(
                &cp,
                format!("`const: {c}` is not one of the schema's `enum` values: no value is valid"),
            );
        }
        None => {
            m.insert("enum".into(), Value::Array(vec![c.clone()]));
            log.note(&cp, format!("`const: {c}` → `enum: [{c}]`"));
        }
    }
}

fn convert_examples(m: &mut Map<String, Value>, ptr: &str, log: &mut Log) {
    let Some(Value::Array(list)) = m.get("examples").cloned() else {
        return;
    };
    let ep = child(ptr, "examples");
    match list.as_slice() {
        [] => {
            m.remove("examples");
            log.note(&ep, "empty `examples` dropped");
        }
        [one] => match m.get("example") {
            Some(e) if e != one => log.error(
                &ep,
                "`examples` and `example` disagree; OpenAPI 3.0 keeps one `example`",
            ),
            _ => {
                m.remove("examples");
                m.insert("example".into(), one.clone());
                log.note(&ep, "`examples: [v]` → `example: v`");
            }
        },
        many => log.error(
            &ep,
            format!(
                "{} schema examples; an OpenAPI 3.0 schema has one `example` (keep one, or move them to the media type's `examples`)",
                many.len()
            ),
        ),
    }
}
