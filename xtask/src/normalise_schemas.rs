//! Normalisation steps 4 and 5: `allOf` merging and the hoisting of inline object schemas
//! into `components/schemas` (naming rules in [`crate::normalise`]'s module docs), plus the
//! schema walk both steps and the 3.1 conversion share.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::normalise::{child, operations, pointer, raw, resolve, Log, METHODS};

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// Pointers of every schema that is not inside another schema: component schemas,
/// parameter/header schemas, and the schemas of request and response media types (in
/// components, paths and 3.1 `webhooks`), in document order.
pub(crate) fn schema_roots(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let each = |v: Option<&Value>| -> Vec<(String, Value)> {
        v.and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, x)| (k.clone(), x.clone())).collect())
            .unwrap_or_default()
    };
    let media = |out: &mut Vec<String>, holder: &Value, ptr: &str| {
        for (k, m) in each(holder.get("content")) {
            if m.get("schema").is_some() {
                out.push(child(&child(&child(ptr, "content"), &k), "schema"));
            }
        }
    };
    let param = |out: &mut Vec<String>, p: &Value, ptr: &str| {
        if p.get("schema").is_some() {
            out.push(child(ptr, "schema"));
        }
        media(out, p, ptr);
    };
    let response = |out: &mut Vec<String>, r: &Value, ptr: &str| {
        media(out, r, ptr);
        for (h, hv) in each(r.get("headers")) {
            param(out, &hv, &child(&child(ptr, "headers"), &h));
        }
    };
    let operation = |out: &mut Vec<String>, op: &Value, ptr: &str| {
        if let Some(list) = op.get("parameters").and_then(Value::as_array) {
            for (i, p) in list.iter().enumerate() {
                param(out, p, &child(&child(ptr, "parameters"), &i.to_string()));
            }
        }
        if let Some(b) = op.get("requestBody") {
            media(out, b, &child(ptr, "requestBody"));
        }
        for (code, r) in each(op.get("responses")) {
            response(out, &r, &child(&child(ptr, "responses"), &code));
        }
    };
    let c = doc.get("components");
    for (n, _) in each(c.and_then(|c| c.get("schemas"))) {
        out.push(pointer(&["components", "schemas", &n]));
    }
    for (n, p) in each(c.and_then(|c| c.get("parameters"))) {
        param(&mut out, &p, &pointer(&["components", "parameters", &n]));
    }
    for (n, h) in each(c.and_then(|c| c.get("headers"))) {
        param(&mut out, &h, &pointer(&["components", "headers", &n]));
    }
    for (n, r) in each(c.and_then(|c| c.get("responses"))) {
        response(&mut out, &r, &pointer(&["components", "responses", &n]));
    }
    for (n, b) in each(c.and_then(|c| c.get("requestBodies"))) {
        media(&mut out, &b, &pointer(&["components", "requestBodies", &n]));
    }
    for top in ["paths", "webhooks"] {
        for (path, item) in each(doc.get(top)) {
            let ip = pointer(&[top, &path]);
            if let Some(list) = item.get("parameters").and_then(Value::as_array) {
                for (i, p) in list.iter().enumerate() {
                    param(
                        &mut out,
                        p,
                        &child(&child(&ip, "parameters"), &i.to_string()),
                    );
                }
            }
            for m in METHODS {
                if let Some(op) = item.get(m).filter(|o| o.is_object()) {
                    operation(&mut out, op, &child(&ip, m));
                }
            }
        }
    }
    out
}

/// The pointers of the direct subschemas of `schema` (at `ptr`).
pub(crate) fn subschema_pointers(schema: &Value, ptr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(m) = schema.as_object() else {
        return out;
    };
    for key in [
        "properties",
        "patternProperties",
        "$defs",
        "dependentSchemas",
    ] {
        if let Some(map) = m.get(key).and_then(Value::as_object) {
            for k in map.keys() {
                out.push(child(&child(ptr, key), k));
            }
        }
    }
    for key in [
        "items",
        "additionalProperties",
        "not",
        "if",
        "then",
        "else",
        "contains",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
    ] {
        match m.get(key) {
            Some(Value::Object(_)) => out.push(child(ptr, key)),
            Some(Value::Array(a)) if key == "items" => {
                out.extend((0..a.len()).map(|i| child(&child(ptr, key), &i.to_string())))
            }
            _ => {}
        }
    }
    for key in ["allOf", "oneOf", "anyOf", "prefixItems"] {
        if let Some(a) = m.get(key).and_then(Value::as_array) {
            out.extend((0..a.len()).map(|i| child(&child(ptr, key), &i.to_string())));
        }
    }
    out
}

/// `getTransactionResult` → `GetTransactionResult`, `payment_instrument` →
/// `PaymentInstrument`: ASCII alphanumeric words, each starting upper-case.
pub fn pascal(s: &str) -> String {
    let mut out = String::new();
    for word in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut cs = word.chars();
        if let Some(f) = cs.next() {
            out.push(f.to_ascii_uppercase());
            out.extend(cs);
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'S');
    }
    out
}

/// The name a `title` gives: `object (order)` → `Order`, `Order block` → `OrderBlock`.
pub fn title_name(title: &str) -> Option<String> {
    let t = title.trim();
    let inner = match (t.find('('), t.rfind(')')) {
        (Some(a), Some(b)) if a < b => {
            let head = t[..a].trim();
            if matches!(
                head,
                "" | "object" | "array" | "string" | "integer" | "number" | "boolean"
            ) {
                &t[a + 1..b]
            } else {
                t
            }
        }
        _ => t,
    };
    let p = pascal(inner);
    (!p.is_empty()).then_some(p)
}

fn schemas(doc: &Value) -> Option<&Map<String, Value>> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
}

/// `base`, or `base2`, `base3`… — the first name not taken in `components/schemas`.
pub fn free_name(doc: &Value, base: &str) -> String {
    let taken = |n: &str| schemas(doc).is_some_and(|m| m.contains_key(n));
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|i| format!("{base}{i}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| base.to_string())
}

/// Adds a component schema (creating `components/schemas` if needed).
pub fn insert_component(doc: &mut Value, name: &str, schema: Value) {
    let Some(root) = doc.as_object_mut() else {
        return;
    };
    let comps = root
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()));
    if !comps.is_object() {
        *comps = Value::Object(Map::new());
    }
    let schemas = comps
        .as_object_mut()
        .map(|c| {
            c.entry("schemas")
                .or_insert_with(|| Value::Object(Map::new()))
        })
        .filter(|s| s.is_object());
    if let Some(Value::Object(s)) = schemas {
        s.insert(name.to_string(), schema);
    }
}

// ------------------------------------------------------------------ allOf

const PLAIN_KEYS: &[&str] = &[
    "type",
    "properties",
    "required",
    "description",
    "title",
    "example",
];

fn is_plain_object(s: &Value) -> bool {
    let Some(m) = s.as_object() else {
        return false;
    };
    let typed = match m.get("type") {
        Some(Value::String(t)) => t == "object",
        None => m.contains_key("properties"),
        _ => false,
    };
    typed
        && m.get("properties").is_none_or(Value::is_object)
        && m.get("required").is_none_or(Value::is_array)
        && m.keys()
            .all(|k| PLAIN_KEYS.contains(&k.as_str()) || k.starts_with("x-"))
}

/// Merges `allOf`s whose parts are all plain objects (see the module docs of
/// [`crate::normalise`]).
pub(crate) fn merge_all_of(doc: &mut Value, log: &mut Log) {
    let mut stack = schema_roots(doc);
    stack.reverse();
    while let Some(ptr) = stack.pop() {
        let Some(s) = doc.pointer(raw(&ptr)).cloned() else {
            continue;
        };
        if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
            if parts.len() >= 2 {
                if let Some(merged) = merge_parts(doc, &s, parts, &ptr, log) {
                    if let Some(slot) = doc.pointer_mut(raw(&ptr)) {
                        *slot = merged;
                    }
                }
            }
        }
        let current = doc.pointer(raw(&ptr)).cloned().unwrap_or(Value::Null);
        let mut subs = subschema_pointers(&current, &ptr);
        subs.reverse();
        stack.extend(subs);
    }
}

fn contains_key(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, x)| k == key || contains_key(x, key)),
        Value::Array(a) => a.iter().any(|x| contains_key(x, key)),
        _ => false,
    }
}

fn merge_parts(
    doc: &Value,
    outer: &Value,
    parts: &[Value],
    ptr: &str,
    log: &mut Log,
) -> Option<Value> {
    let ap = child(ptr, "allOf");
    let resolved: Vec<&Value> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| resolve(doc, p, &child(&ap, &i.to_string())).0)
        .collect();
    // A part that holds an `allOf` itself is not merged: inlining it could copy the very
    // `allOf` being merged (a recursive schema) and expand without end.
    if !resolved
        .iter()
        .all(|p| is_plain_object(p) && !contains_key(p, "allOf"))
    {
        return None;
    }
    let mut out = outer.as_object().cloned().unwrap_or_default();
    out.remove("allOf");
    out.insert("type".into(), Value::String("object".into()));
    let mut props: Map<String, Value> = out
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut required: Vec<Value> = out
        .get("required")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut ok = true;
    for (i, part) in resolved.iter().enumerate() {
        if let Some(pp) = part.get("properties").and_then(Value::as_object) {
            for (k, v) in pp {
                match props.get(k) {
                    Some(existing) if existing != v => {
                        ok = false;
                        log.error(
                            &child(&child(&child(&ap, &i.to_string()), "properties"), k),
                            format!("property `{k}` is defined differently by two parts of this allOf; they cannot be merged"),
                        );
                    }
                    Some(_) => {}
                    None => {
                        props.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        for r in part
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !required.contains(r) {
                required.push(r.clone());
            }
        }
        for k in ["description", "title"] {
            if !out.contains_key(k) {
                if let Some(v) = part.get(k) {
                    if parts[i].get("$ref").is_none() {
                        out.insert(k.into(), v.clone());
                    }
                }
            }
        }
    }
    if !ok {
        return None;
    }
    out.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    log.note(
        &ap,
        format!(
            "allOf of {} plain object schemas merged into one object",
            parts.len()
        ),
    );
    Some(Value::Object(out))
}

// ------------------------------------------------------------------ hoisting

struct Hoister<'a> {
    doc: &'a mut Value,
    /// Canonical JSON of a hoisted or existing component → its name.
    seen: BTreeMap<String, String>,
    log: &'a mut Log,
}

fn is_inline_object(v: &Value) -> bool {
    v.get("$ref").is_none()
        && v.get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty())
}

impl Hoister<'_> {
    /// Hoists the inline objects below `schema` (detached from the document) and, when
    /// `hoist_self`, `schema` itself. `place` is the name the schema's position gives.
    fn process(&mut self, schema: &mut Value, ptr: &str, place: &str, top: bool, hoist_self: bool) {
        let Some(m) = schema.as_object_mut() else {
            return;
        };
        if m.contains_key("$ref") {
            return;
        }
        let base = match place.strip_suffix("Request") {
            Some(b) if !b.is_empty() => b.to_string(),
            _ => place.to_string(),
        };
        if let Some(Value::Object(props)) = m.get_mut("properties") {
            for (k, v) in props.iter_mut() {
                let cp = child(&child(ptr, "properties"), k);
                let hoist = is_inline_object(v);
                self.process(v, &cp, &format!("{base}{}", pascal(k)), false, hoist);
            }
        }
        if let Some(v) = m.get_mut("items").filter(|v| v.is_object()) {
            let hint = if hoist_self {
                format!("{place}Item")
            } else {
                place.to_string()
            };
            let hoist = is_inline_object(v);
            self.process(v, &child(ptr, "items"), &hint, false, hoist);
        }
        if let Some(v) = m.get_mut("additionalProperties").filter(|v| v.is_object()) {
            let hoist = is_inline_object(v);
            self.process(
                v,
                &child(ptr, "additionalProperties"),
                &format!("{place}Value"),
                false,
                hoist,
            );
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(Value::Array(alts)) = m.get_mut(key) {
                for (i, v) in alts.iter_mut().enumerate() {
                    let hoist = is_inline_object(v);
                    self.process(
                        v,
                        &child(&child(ptr, key), &i.to_string()),
                        &format!("{place}Variant{}", i + 1),
                        false,
                        hoist,
                    );
                }
            }
        }
        if !hoist_self {
            return;
        }
        let canonical = serde_json::to_string(&*schema).unwrap_or_default();
        let name = match self.seen.get(&canonical) {
            Some(n) => {
                self.log.note(
                    ptr,
                    format!("inline schema replaced by the identical `{SCHEMA_PREFIX}{n}`"),
                );
                n.clone()
            }
            None => {
                let title = (!top)
                    .then(|| schema.get("title").and_then(Value::as_str))
                    .flatten()
                    .and_then(title_name);
                let taken = |n: &str| schemas(self.doc).is_some_and(|m| m.contains_key(n));
                let name = match title {
                    Some(t) if !taken(&t) => t,
                    _ => free_name(self.doc, place),
                };
                insert_component(self.doc, &name, schema.clone());
                self.seen.insert(canonical, name.clone());
                self.log.note(
                    ptr,
                    format!("inline schema hoisted to `{SCHEMA_PREFIX}{name}`"),
                );
                name
            }
        };
        *schema = serde_json::json!({ "$ref": format!("{SCHEMA_PREFIX}{name}") });
    }

    fn at(&mut self, ptr: &str, place: &str, top: bool, hoist_self: bool) {
        let Some(mut s) = self.doc.pointer(raw(ptr)).cloned() else {
            return;
        };
        let before = s.clone();
        self.process(&mut s, ptr, place, top, hoist_self);
        if s != before {
            if let Some(slot) = self.doc.pointer_mut(raw(ptr)) {
                *slot = s;
            }
        }
    }
}

fn is_top_hoistable(v: &Value) -> bool {
    v.get("$ref").is_none() && v.as_object().is_some_and(|m| !m.is_empty())
}

/// Hoists inline object schemas into `components/schemas` (see [`crate::normalise`]).
pub(crate) fn hoist(doc: &mut Value, log: &mut Log) {
    let mut seen = BTreeMap::new();
    if let Some(m) = schemas(doc) {
        for (n, s) in m {
            seen.entry(serde_json::to_string(s).unwrap_or_default())
                .or_insert_with(|| n.clone());
        }
    }
    let component_names: Vec<String> = schemas(doc)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    // Top-level bodies: (pointer, place).
    let mut tops: Vec<(String, String)> = Vec::new();
    let snapshot = doc.clone();
    for (_, _, op_ptr) in operations(&snapshot) {
        let op = snapshot.pointer(raw(&op_ptr)).cloned().unwrap_or_default();
        let id = pascal(op.get("operationId").and_then(Value::as_str).unwrap_or(""));
        if let Some(content) = op
            .pointer("/requestBody/content")
            .and_then(Value::as_object)
        {
            for k in content.keys() {
                let p = child(&child(&child(&op_ptr, "requestBody"), "content"), k);
                tops.push((child(&p, "schema"), format!("{id}Request")));
            }
        }
        let responses = op.get("responses").and_then(Value::as_object);
        let has_success = responses.is_some_and(|r| {
            r.keys()
                .any(|c| c == "101" || c == "2XX" || (c.len() == 3 && c.starts_with('2')))
        });
        for (code, r) in responses.into_iter().flatten() {
            let success =
                code == "101" || code.starts_with('2') || (code == "default" && !has_success);
            let suffix = if success { "Response" } else { "Error" };
            for k in r
                .get("content")
                .and_then(Value::as_object)
                .map(|c| c.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                let p = child(
                    &child(&child(&child(&op_ptr, "responses"), code), "content"),
                    &k,
                );
                tops.push((child(&p, "schema"), format!("{id}{suffix}")));
            }
        }
    }
    for kind in ["requestBodies", "responses"] {
        for (n, b) in snapshot
            .pointer(&format!("/components/{kind}"))
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            for k in b
                .get("content")
                .and_then(Value::as_object)
                .map(|c| c.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
            {
                let p = pointer(&["components", kind, n, "content", &k, "schema"]);
                tops.push((p, pascal(n)));
            }
        }
    }
    let mut h = Hoister { doc, seen, log };
    for (ptr, place) in tops {
        let is_json = ptr.contains("/application~1json");
        let hoist = h
            .doc
            .pointer(raw(&ptr))
            .is_some_and(|v| is_json && is_top_hoistable(v));
        h.at(&ptr, &place, true, hoist);
    }
    for n in component_names {
        h.at(&pointer(&["components", "schemas", &n]), &n, false, false);
    }
}

// ------------------------------------------------------------------ checks

const TYPES: &[&str] = &["object", "array", "number", "string", "integer", "boolean"];

/// Refuses, located, the schema forms progenitor's converter panics on: an unknown
/// `type` word and a boolean exclusive bound without the bound itself.
pub(crate) fn check(doc: &Value, log: &mut Log) {
    let mut stack = schema_roots(doc);
    stack.reverse();
    while let Some(ptr) = stack.pop() {
        let Some(s) = doc.pointer(raw(&ptr)) else {
            continue;
        };
        if let Some(Value::String(t)) = s.get("type") {
            if !TYPES.contains(&t.as_str()) {
                log.error(
                    &child(&ptr, "type"),
                    format!(
                        "`type: {t}` is not an OpenAPI 3.0 type ({})",
                        TYPES.join(", ")
                    ),
                );
            }
        }
        for (ex, bound) in [
            ("exclusiveMinimum", "minimum"),
            ("exclusiveMaximum", "maximum"),
        ] {
            if s.get(ex) == Some(&Value::Bool(true)) && s.get(bound).is_none() {
                log.error(
                    &child(&ptr, ex),
                    format!("`{ex}: true` without `{bound}` bounds nothing"),
                );
            }
        }
        if let Some(parts) = s.get("allOf").and_then(Value::as_array) {
            recursive_all_of(doc, &ptr, parts, log);
        }
        let mut subs = subschema_pointers(s, &ptr);
        subs.reverse();
        stack.extend(subs);
    }
}

/// The component schemas reachable from `name` through `$ref`s (including itself).
fn reachable(doc: &Value, name: &str) -> std::collections::BTreeSet<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec![name.to_string()];
    while let Some(n) = todo.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        if let Some(s) = schemas(doc).and_then(|m| m.get(&n)) {
            let mut refs = Vec::new();
            collect_schema_refs(s, &mut refs);
            todo.extend(refs.into_iter().filter(|r| !seen.contains(r)));
        }
    }
    seen
}

fn collect_schema_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                if let Some(n) = r.strip_prefix(SCHEMA_PREFIX) {
                    out.push(n.replace("~1", "/").replace("~0", "~"));
                }
            }
            m.values().for_each(|x| collect_schema_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| collect_schema_refs(x, out)),
        _ => {}
    }
}

/// typify 0.8 merges an `allOf` by inlining its parts; a part that leads back to the
/// component holding the `allOf` makes it recurse until the stack overflows (a crash no
/// `catch_unwind` can turn into an error), so it is refused here.
fn recursive_all_of(doc: &Value, ptr: &str, parts: &[Value], log: &mut Log) {
    let Some(rest) = ptr.strip_prefix("#/components/schemas/") else {
        return;
    };
    let owner = rest
        .split('/')
        .next()
        .unwrap_or_default()
        .replace("~1", "/")
        .replace("~0", "~");
    for (i, part) in parts.iter().enumerate() {
        let mut refs = Vec::new();
        collect_schema_refs(part, &mut refs);
        if refs.iter().any(|r| reachable(doc, r).contains(&owner)) {
            log.error(
                &child(&child(ptr, "allOf"), &i.to_string()),
                format!(
                    "this allOf part leads back to `{SCHEMA_PREFIX}{owner}`, which contains the allOf: typify 0.8 cannot merge a recursive allOf"
                ),
            );
        }
    }
}

/// An `enum` without `type` gets the type its values share (`string`, `integer`,
/// `number`, `boolean`): lossless, and typify has no conversion for a typeless enum that
/// carries type-specific keywords.
pub(crate) fn infer_enum_types(doc: &mut Value, log: &mut Log) {
    let mut stack = schema_roots(doc);
    stack.reverse();
    while let Some(ptr) = stack.pop() {
        let Some(s) = doc.pointer_mut(raw(&ptr)) else {
            continue;
        };
        if let Some(m) = s.as_object_mut() {
            if !m.contains_key("type") && !m.contains_key("$ref") {
                if let Some(Value::Array(values)) = m.get("enum") {
                    let kinds: Vec<&str> = values
                        .iter()
                        .filter(|v| !v.is_null())
                        .map(|v| match v {
                            Value::String(_) => "string",
                            Value::Bool(_) => "boolean",
                            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
                            Value::Number(_) => "number",
                            _ => "?",
                        })
                        .collect();
                    let first = kinds.first().copied();
                    if let Some(t) = first.filter(|t| *t != "?" && kinds.iter().all(|k| k == t)) {
                        m.insert("type".into(), Value::String(t.into()));
                        log.note(
                            &ptr,
                            format!("`enum` without `type`: `type: {t}` inferred from the values"),
                        );
                    }
                }
            }
        }
        let s = doc.pointer(raw(&ptr)).cloned().unwrap_or(Value::Null);
        let mut subs = subschema_pointers(&s, &ptr);
        subs.reverse();
        stack.extend(subs);
    }
}
