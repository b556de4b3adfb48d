//! Normalisation: turns an OpenAPI document as vendors publish it into the shape
//! progenitor 0.15 / typify 0.8 accept, or reports what cannot be converted with a JSON
//! pointer (RFC 6901, `#/paths/~1pay/post/responses`) and a sentence. It never panics and
//! never reports an unlocated problem.
//!
//! Steps, in order (each change is recorded as a note, each refusal as an error):
//!
//! 1. **Version.** `openapi: 3.0.x` is kept; `3.1.x` is converted to `3.0.3` where the
//!    conversion is lossless (see [`crate::normalise_oas31`]); anything else (Swagger 2.0,
//!    no `openapi` field) is refused.
//! 2. **Paths and parameters.** A `$ref` path item, a cookie parameter, a parameter given by
//!    `content`, an unsupported `style`, or a path parameter missing from the path template
//!    is refused (progenitor errors without a location, or panics). A path parameter without
//!    `required: true` gets it (path parameters are always required).
//! 3. **operationIds.** A missing operationId is derived from the path: its last segment
//!    that is not a template (`/pay` → `pay`, `/fep/command/getTransactionResult` →
//!    `getTransactionResult`). Two operations with the same (given or derived) id are
//!    refused, each error naming the other operation.
//! 4. **allOf.** An `allOf` of two or more parts that are all plain objects (after
//!    following `$ref`s: `type: object`/`properties`/`required` and annotations only) is
//!    merged into one object schema. A property defined differently by two parts is refused.
//!    Other `allOf`s are left to typify.
//! 5. **Inline schemas.** Inline object schemas (with `properties`) below request bodies,
//!    responses and component schemas are hoisted into `components/schemas` and replaced by
//!    a `$ref`; identical schemas share one component. The top-level body schema of an
//!    operation is named from its path: `{OperationId}Request`, `{OperationId}Response`
//!    (success) and `{OperationId}Error` (error response) — the generator's conventions need
//!    `{Command}Request`. Nested schemas are named from their `title` (`object (order)` →
//!    `Order`, the leading JSON type word and parentheses dropped), else from their place
//!    (`{Parent}{Property}`, a parent's `Request` suffix dropped: `PayRequest.order` →
//!    `PayOrder`; array items take the array property's name; `oneOf`/`anyOf` alternative
//!    *i* is `{Parent}Variant{i}`). A name already taken by a different schema falls back to
//!    the place name, then to the place name with `2`, `3`… appended, in document order.
//! 6. **Bodies and responses.** A request body with several media types keeps
//!    `application/json` (refused if it has none); `encoding` on a JSON media type is
//!    dropped; a JSON media type without `schema` gets `{}` (any JSON value).
//!    Responses, grouped as progenitor does — *success*: `101`, `2xx`, `2XX` (and `default`
//!    when there is no success code); *error*: `4xx`, `5xx`, `4XX`, `5XX`, `default` —
//!    must each have one body type:
//!    * success responses with different bodies (two schemas, or a schema and no body) are
//!      **refused**: decoding a success into the wrong alternative after money moved is the
//!      dangerous case, so a person picks one (in the overlay);
//!    * error responses without a JSON body (`text/html` 404 page, no content) are dropped
//!      from the operation when another error response has a JSON body (a note says so; the
//!      client then reports those statuses as an unexpected response or, where a range or
//!      `default` covers them, as an undecodable error body);
//!    * error responses with different JSON bodies are merged into one component
//!      `{OperationId}Error` = `oneOf` of the distinct schemas (typify decodes the first
//!      alternative that matches; error bodies carry diagnostics only).
//! 7. **Final check.** The result must deserialize as `openapiv3::OpenAPI`; a failure is
//!    reported at the path serde stopped at.
//!
//! A document already in the generator's shape (like the 1.1.3 transcription) comes out
//! unchanged, with no notes.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

/// A problem or a change, located by a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// RFC 6901 JSON pointer as a URI fragment, e.g. `#/paths/~1pay/post/responses`.
    pub pointer: String,
    /// One sentence.
    pub message: String,
}

impl Located {
    /// A located message.
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Located {
        Located {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

impl std::error::Error for Located {}

/// The normalised document and what was changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalised {
    /// The document, in the shape progenitor accepts.
    pub doc: Value,
    /// Every change made, located in the *input* document.
    pub notes: Vec<Located>,
}

impl fmt::Display for Normalised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.notes.is_empty() {
            return writeln!(f, "normalisation: no changes");
        }
        writeln!(f, "normalisation: {} change(s)", self.notes.len())?;
        for n in &self.notes {
            writeln!(f, "  - {n}")?;
        }
        Ok(())
    }
}

/// Renders a list of located errors, one per line.
pub fn render_errors(errors: &[Located]) -> String {
    let mut s = format!(
        "the document cannot be normalised ({} problem{}):\n",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" }
    );
    for e in errors {
        s.push_str(&format!("  - {e}\n"));
    }
    s
}

/// Escapes one reference token (RFC 6901: `~` → `~0`, `/` → `~1`).
pub fn escape_token(t: &str) -> String {
    t.replace('~', "~0").replace('/', "~1")
}

/// A pointer (`#/a/b~1c`) from unescaped tokens.
pub fn pointer(tokens: &[&str]) -> String {
    let mut s = String::from("#");
    for t in tokens {
        s.push('/');
        s.push_str(&escape_token(t));
    }
    s
}

/// Appends a token to a pointer.
pub(crate) fn child(ptr: &str, token: &str) -> String {
    format!("{ptr}/{}", escape_token(token))
}

/// `#/a/b` → `/a/b` for `serde_json::Value::pointer`.
pub(crate) fn raw(ptr: &str) -> &str {
    ptr.strip_prefix('#').unwrap_or(ptr)
}

/// The HTTP methods of a path item.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

const SCHEMA_PREFIX: &str = "#/components/schemas/";

/// Collected notes and errors.
#[derive(Default)]
pub(crate) struct Log {
    pub(crate) notes: Vec<Located>,
    pub(crate) errors: Vec<Located>,
}

impl Log {
    pub(crate) fn note(&mut self, ptr: &str, msg: impl Into<String>) {
        self.notes.push(Located::new(ptr, msg));
    }
    pub(crate) fn error(&mut self, ptr: &str, msg: impl Into<String>) {
        self.errors.push(Located::new(ptr, msg));
    }
}

/// Normalises a parsed OpenAPI document (see the module docs for every step).
///
/// # Errors
/// Every problem that cannot be converted without losing meaning, each located.
pub fn normalise(mut doc: Value) -> Result<Normalised, Vec<Located>> {
    let mut log = Log::default();
    if !doc.is_object() {
        return Err(vec![Located::new(
            "#",
            "the document is not a mapping (an OpenAPI document is a YAML/JSON object)",
        )]);
    }
    // 1. Version.
    match doc.get("openapi") {
        Some(Value::String(v)) if v.trim().starts_with("3.0.") => {
            crate::normalise_oas31::convert_schemas(&mut doc, &mut log, false);
        }
        Some(Value::String(v)) if v.trim().starts_with("3.1.") => {
            let v = v.clone();
            crate::normalise_oas31::convert_document(&mut doc, &mut log);
            doc["openapi"] = Value::String("3.0.3".into());
            log.note(
                "#/openapi",
                format!("OpenAPI {v} converted to 3.0.3 (progenitor 0.15 reads 3.0.x only)"),
            );
        }
        Some(other) => log.error(
            "#/openapi",
            format!("unsupported OpenAPI version {other}; 3.0.x and 3.1.x are accepted"),
        ),
        None if doc.get("swagger").is_some() => log.error(
            "#/swagger",
            "Swagger 2.0 is not supported; convert the document to OpenAPI 3.0 first",
        ),
        None => log.error("#", "no `openapi` version field: not an OpenAPI document"),
    }
    if !log.errors.is_empty() {
        return Err(log.errors);
    }
    match doc.get("paths") {
        Some(Value::Object(_)) => {}
        None => {
            doc["paths"] = Value::Object(Map::new());
            log.note("#/paths", "no `paths`: an empty one was added");
        }
        Some(_) => log.error("#/paths", "`paths` is not a mapping"),
    }
    if !log.errors.is_empty() {
        return Err(log.errors);
    }
    // 2. References, paths and parameters.
    check_refs(&doc, &mut log);
    crate::normalise_schemas::check(&doc, &mut log);
    crate::normalise_schemas::infer_enum_types(&mut doc, &mut log);
    if !log.errors.is_empty() {
        return Err(log.errors);
    }
    check_paths(&mut doc, &mut log);
    // 3. operationIds.
    operation_ids(&mut doc, &mut log);
    if !log.errors.is_empty() {
        return Err(log.errors);
    }
    // 4. allOf.
    crate::normalise_schemas::merge_all_of(&mut doc, &mut log);
    // 5. Inline schemas.
    crate::normalise_schemas::hoist(&mut doc, &mut log);
    // 6. Bodies and responses.
    bodies(&mut doc, &mut log);
    if !log.errors.is_empty() {
        return Err(log.errors);
    }
    // 7. Final check.
    if let Err(e) = final_check(&doc) {
        return Err(vec![e]);
    }
    Ok(Normalised {
        doc,
        notes: log.notes,
    })
}

/// Deserializes the document as `openapiv3::OpenAPI`, locating a failure.
///
/// # Errors
/// The serde message at the pointer where deserialization stopped.
pub fn final_check(doc: &Value) -> Result<openapiv3::OpenAPI, Located> {
    serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(doc).map_err(|e| {
        let mut ptr = String::from("#");
        for seg in e.path().iter() {
            use serde_path_to_error::Segment;
            match seg {
                Segment::Seq { index } => ptr = child(&ptr, &index.to_string()),
                Segment::Map { key } => ptr = child(&ptr, key),
                Segment::Enum { variant } => ptr = child(&ptr, variant),
                Segment::Unknown => {}
            }
        }
        Located::new(
            ptr,
            format!(
                "not a valid OpenAPI 3.0 document here: {}",
                e.inner()
                    .to_string()
                    .split(" at line")
                    .next()
                    .unwrap_or_default()
            ),
        )
    })
}

/// Follows a local `$ref` (`#/components/...`) to its target and pointer.
pub(crate) fn resolve<'a>(doc: &'a Value, v: &'a Value, ptr: &str) -> (&'a Value, String) {
    let mut cur = v;
    let mut at = ptr.to_string();
    for _ in 0..16 {
        let Some(r) = cur.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let Some(t) = r.strip_prefix('#').and_then(|p| doc.pointer(p)) else {
            break;
        };
        at = r.to_string();
        cur = t;
    }
    (cur, at)
}

/// Keys whose values are data, not OpenAPI objects (a `$ref` key inside is a value).
const LITERAL_KEYS: &[&str] = &["example", "examples", "default", "enum", "const"];

/// Every `$ref` must be local (`#/…`) and resolve; a schema's `$ref` must point into
/// `#/components/schemas/` (typify panics on a missing schema).
fn check_refs(doc: &Value, log: &mut Log) {
    fn walk(doc: &Value, v: &Value, ptr: &str, in_responses: bool, log: &mut Log) {
        match v {
            Value::Object(m) => {
                if let Some(r) = m.get("$ref") {
                    let rp = child(ptr, "$ref");
                    match r.as_str() {
                        Some(s) if s.starts_with("#/") => {
                            if doc.pointer(&s[1..]).is_none() {
                                log.error(&rp, format!("`$ref: {s}` points at nothing in this document"));
                            }
                        }
                        Some(s) => log.error(
                            &rp,
                            format!("`$ref: {s}` is not a local reference (`#/...`); external references are not supported"),
                        ),
                        None => log.error(&rp, "`$ref` is not a string"),
                    }
                }
                for (k, x) in m {
                    // `default` in a responses map is a response, elsewhere a value.
                    let literal =
                        LITERAL_KEYS.contains(&k.as_str()) && !(in_responses && k == "default");
                    if k.starts_with("x-") || literal {
                        continue;
                    }
                    walk(doc, x, &child(ptr, k), k == "responses", log);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(doc, x, &child(ptr, &i.to_string()), false, log);
                }
            }
            _ => {}
        }
    }
    walk(doc, doc, "#", false, log);
    if !log.errors.is_empty() {
        return;
    }
    let mut stack = crate::normalise_schemas::schema_roots(doc);
    while let Some(ptr) = stack.pop() {
        let Some(s) = doc.pointer(raw(&ptr)) else {
            continue;
        };
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            if !r.starts_with(SCHEMA_PREFIX) {
                log.error(
                    &child(&ptr, "$ref"),
                    format!("a schema's `$ref: {r}` must point into {SCHEMA_PREFIX}"),
                );
            }
        }
        stack.extend(crate::normalise_schemas::subschema_pointers(s, &ptr));
    }
}

fn check_paths(doc: &mut Value, log: &mut Log) {
    let snapshot = doc.clone();
    let Some(paths) = snapshot.get("paths").and_then(Value::as_object) else {
        return;
    };
    let mut fixes: Vec<String> = Vec::new();
    for (path, item) in paths {
        let ip = pointer(&["paths", path]);
        let Some(item_map) = item.as_object() else {
            log.error(&ip, "a path item is not a mapping");
            continue;
        };
        if item_map.contains_key("$ref") {
            log.error(
                &ip,
                "a `$ref` path item is not supported by progenitor; inline the path item",
            );
            continue;
        }
        let template: BTreeSet<String> = path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split('}').next())
            .map(str::to_string)
            .collect();
        let mut lists: Vec<(String, &Value)> = Vec::new();
        if let Some(p) = item_map.get("parameters") {
            lists.push((child(&ip, "parameters"), p));
        }
        for m in METHODS {
            if let Some(op) = item_map.get(m) {
                if !op.is_object() {
                    log.error(&child(&ip, m), "an operation is not a mapping");
                    continue;
                }
                if let Some(p) = op.get("parameters") {
                    lists.push((pointer(&["paths", path, m, "parameters"]), p));
                }
            }
        }
        for (lp, list) in lists {
            let Some(list) = list.as_array() else {
                log.error(&lp, "`parameters` is not a list");
                continue;
            };
            for (i, p) in list.iter().enumerate() {
                let pp = child(&lp, &i.to_string());
                let (param, at) = resolve(&snapshot, p, &pp);
                let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
                let loc = param.get("in").and_then(Value::as_str).unwrap_or("");
                let style = param.get("style").and_then(Value::as_str);
                if param.get("content").is_some() {
                    log.error(
                        &at,
                        format!("parameter `{name}` is described by `content`; progenitor needs `schema`"),
                    );
                }
                match (loc, style) {
                    ("cookie", _) => log.error(
                        &at,
                        format!("cookie parameter `{name}` is not supported by progenitor"),
                    ),
                    ("path", s) => {
                        if s.is_some_and(|s| s != "simple") {
                            log.error(&at, format!("path parameter `{name}` has style `{}`; progenitor supports `simple` only", s.unwrap_or_default()));
                        }
                        if !template.contains(name) {
                            log.error(
                                &at,
                                format!("path parameter `{name}` does not appear in the path template `{path}`"),
                            );
                        }
                        if param.get("required").and_then(Value::as_bool) != Some(true) {
                            fixes.push(at.clone());
                        }
                    }
                    ("query", Some(s)) if s != "form" => log.error(
                        &at,
                        format!("query parameter `{name}` has style `{s}`; progenitor supports `form` only"),
                    ),
                    ("header", Some(s)) if s != "simple" => log.error(
                        &at,
                        format!("header parameter `{name}` has style `{s}`; progenitor supports `simple` only"),
                    ),
                    ("query" | "header", _) => {}
                    (other, _) => log.error(
                        &at,
                        format!("parameter `{name}` has `in: {other}`; expected path, query or header"),
                    ),
                }
            }
        }
    }
    fixes.sort();
    fixes.dedup();
    for at in fixes {
        if let Some(p) = doc.pointer_mut(raw(&at)).and_then(Value::as_object_mut) {
            p.insert("required".into(), Value::Bool(true));
            log.note(
                &at,
                "path parameter set to `required: true` (path parameters are always required)",
            );
        }
    }
}

/// The operationId derived from a path: its last non-template segment.
pub fn derive_operation_id(path: &str) -> Option<String> {
    path.split('/')
        .rev()
        .find(|s| !s.is_empty() && !s.contains('{'))
        .filter(|s| s.chars().any(|c| c.is_ascii_alphanumeric()))
        .map(str::to_string)
}

/// Every operation: (path, method, pointer).
pub(crate) fn operations(doc: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for m in METHODS {
                if item.get(m).is_some_and(Value::is_object) {
                    out.push((path.clone(), m.to_string(), pointer(&["paths", path, m])));
                }
            }
        }
    }
    out
}

fn operation_ids(doc: &mut Value, log: &mut Log) {
    let ops = operations(doc);
    let mut ids: Vec<(String, String, bool)> = Vec::new(); // (id, op pointer, derived)
    for (path, method, ptr) in &ops {
        let given = doc
            .pointer(raw(ptr))
            .and_then(|o| o.get("operationId"))
            .cloned();
        match given {
            Some(Value::String(s)) if !s.trim().is_empty() => ids.push((s, ptr.clone(), false)),
            Some(Value::String(_)) | None => match derive_operation_id(path) {
                Some(id) => ids.push((id, ptr.clone(), true)),
                None => log.error(
                    ptr,
                    format!(
                        "{} {path} has no operationId and none can be derived from the path; give it one (in the overlay)",
                        method.to_uppercase()
                    ),
                ),
            },
            Some(other) => log.error(
                &child(ptr, "operationId"),
                format!("operationId is not a string: {other}"),
            ),
        }
    }
    let mut by_id: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, (id, _, _)) in ids.iter().enumerate() {
        by_id.entry(id.as_str()).or_default().push(i);
    }
    let mut bad = BTreeSet::new();
    for list in by_id.values().filter(|l| l.len() > 1) {
        for &i in list {
            bad.insert(i);
            let (id, ptr, derived) = &ids[i];
            let others: Vec<&str> = list
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| ids[j].1.as_str())
                .collect();
            let how = if *derived {
                "derived from the path"
            } else {
                "given"
            };
            log.error(
                ptr,
                format!(
                    "operationId `{id}` ({how}) is also the operationId of {}; give each operation a distinct operationId (in the overlay)",
                    others.join(", ")
                ),
            );
        }
    }
    for (i, (id, ptr, derived)) in ids.iter().enumerate() {
        if *derived && !bad.contains(&i) {
            if let Some(op) = doc.pointer_mut(raw(ptr)).and_then(Value::as_object_mut) {
                op.insert("operationId".into(), Value::String(id.clone()));
                log.note(ptr, format!("operationId `{id}` derived from the path"));
            }
        }
    }
}

fn is_json(media: &str) -> bool {
    let m = media.split(';').next().unwrap_or("").trim();
    m == "application/json"
}

/// The body kind of a response, as progenitor classifies it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// The JSON schema (a `$ref` after hoisting).
    Json(String),
    Raw(String),
    None,
}

fn kind_of(resp: &Value) -> Kind {
    let Some(content) = resp.get("content").and_then(Value::as_object) else {
        return Kind::None;
    };
    if let Some((_, m)) = content.iter().find(|(k, _)| is_json(k)) {
        let s = m.get("schema").cloned().unwrap_or(Value::Null);
        return Kind::Json(serde_json::to_string(&s).unwrap_or_default());
    }
    match content.keys().next() {
        Some(k) => Kind::Raw(k.clone()),
        None => Kind::None,
    }
}

fn describe(k: &Kind) -> String {
    match k {
        Kind::Json(s) => {
            let v: Value = serde_json::from_str(s).unwrap_or(Value::Null);
            match v.get("$ref").and_then(Value::as_str) {
                Some(r) => format!("JSON `{r}`"),
                None => format!("JSON {s}"),
            }
        }
        Kind::Raw(m) => format!("`{m}` (not JSON)"),
        Kind::None => "no body".into(),
    }
}

/// Fixes a media-type map in place (several types, `encoding`, missing schema).
fn fix_content(content: &mut Map<String, Value>, ptr: &str, request: bool, log: &mut Log) {
    if request && content.len() > 1 {
        if let Some(k) = content.keys().find(|k| is_json(k)).cloned() {
            let dropped: Vec<String> = content.keys().filter(|x| **x != k).cloned().collect();
            content.retain(|x, _| *x == k);
            log.note(
                ptr,
                format!(
                    "request body media types {} dropped; `{k}` kept (progenitor accepts one)",
                    dropped.join(", ")
                ),
            );
        } else {
            log.error(
                ptr,
                format!(
                    "the request body has {} media types and none is application/json; progenitor accepts one",
                    content.len()
                ),
            );
        }
    }
    if request {
        if let Some(k) = content.keys().next() {
            let base = k.split(';').next().unwrap_or("").trim();
            if !matches!(
                base,
                "application/json"
                    | "application/octet-stream"
                    | "application/x-www-form-urlencoded"
                    | "text/plain"
                    | "text/x-markdown"
            ) {
                log.error(
                    &child(ptr, k),
                    format!("request body media type `{k}` is not supported by progenitor"),
                );
            }
        }
    }
    for (k, m) in content.iter_mut() {
        if !is_json(k) {
            continue;
        }
        let mp = child(ptr, k);
        let Some(m) = m.as_object_mut() else {
            log.error(&mp, "a media type object is not a mapping");
            continue;
        };
        if m.get("encoding")
            .is_some_and(|e| e.as_object().is_none_or(|o| !o.is_empty()))
        {
            m.remove("encoding");
            log.note(
                &child(&mp, "encoding"),
                "`encoding` dropped (it applies to multipart and form bodies only)",
            );
        }
        if !m.contains_key("schema") {
            m.insert("schema".into(), Value::Object(Map::new()));
            log.note(
                &mp,
                "no `schema`: `{}` (any JSON value) assumed, so the body decodes to serde_json::Value",
            );
        }
    }
}

fn bodies(doc: &mut Value, log: &mut Log) {
    // Request bodies and response contents, where they live (component or inline).
    let snapshot = doc.clone();
    let mut request_contents: BTreeSet<String> = BTreeSet::new();
    let mut response_contents: BTreeSet<String> = BTreeSet::new();
    for (_, _, op_ptr) in operations(&snapshot) {
        let op = snapshot.pointer(raw(&op_ptr)).cloned().unwrap_or_default();
        if let Some(b) = op.get("requestBody") {
            let (_, at) = resolve(&snapshot, b, &child(&op_ptr, "requestBody"));
            request_contents.insert(child(&at, "content"));
        }
        if let Some(rs) = op.get("responses").and_then(Value::as_object) {
            for (code, r) in rs {
                let rp = child(&child(&op_ptr, "responses"), code);
                let (_, at) = resolve(&snapshot, r, &rp);
                response_contents.insert(child(&at, "content"));
            }
        }
    }
    for (set, request) in [(request_contents, true), (response_contents, false)] {
        for cp in set {
            if let Some(c) = doc.pointer_mut(raw(&cp)).and_then(Value::as_object_mut) {
                fix_content(c, &cp, request, log);
            }
        }
    }
    if !log.errors.is_empty() {
        return;
    }
    for (_, _, op_ptr) in operations(&doc.clone()) {
        responses_of(doc, &op_ptr, log);
    }
}

fn pascal(s: &str) -> String {
    crate::normalise_schemas::pascal(s)
}

fn responses_of(doc: &mut Value, op_ptr: &str, log: &mut Log) {
    let rs_ptr = child(op_ptr, "responses");
    let Some(rs) = doc
        .pointer(raw(&rs_ptr))
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    let op_id = doc
        .pointer(raw(op_ptr))
        .and_then(|o| o.get("operationId"))
        .and_then(Value::as_str)
        .unwrap_or("operation")
        .to_string();
    let mut success: Vec<(String, Kind)> = Vec::new();
    let mut error: Vec<(String, Kind)> = Vec::new();
    let is_success = |c: &str| c == "101" || c == "2XX" || (c.len() == 3 && c.starts_with('2'));
    let has_success = rs.keys().any(|c| is_success(c));
    for (code, r) in &rs {
        let rp = child(&rs_ptr, code);
        let valid = code == "default"
            || matches!(code.as_str(), "1XX" | "2XX" | "3XX" | "4XX" | "5XX")
            || (code.len() == 3
                && code.bytes().all(|b| b.is_ascii_digit())
                && (b'1'..=b'5').contains(&code.as_bytes()[0]));
        if !valid {
            log.error(
                &rp,
                format!("response key `{code}` is not an HTTP status (100-599), a range (`4XX`) or `default`"),
            );
            continue;
        }
        let (resp, _) = resolve(doc, r, &rp);
        let k = kind_of(resp);
        if is_success(code) || (code == "default" && !has_success) {
            success.push((code.clone(), k.clone()));
        }
        if code == "default" || code.starts_with('4') || code.starts_with('5') {
            error.push((code.clone(), k));
        }
    }
    let distinct =
        |v: &[(String, Kind)]| -> BTreeSet<Kind> { v.iter().map(|x| x.1.clone()).collect() };
    let list = |v: &[(String, Kind)]| -> String {
        v.iter()
            .map(|(c, k)| format!("{c}: {}", describe(k)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    if distinct(&success).len() > 1 {
        log.error(
            &rs_ptr,
            format!(
                "operation `{op_id}` has success responses with different bodies ({}); progenitor 0.15 needs one success type and choosing one is a decision (remove the others in the overlay)",
                list(&success)
            ),
        );
        return;
    }
    if distinct(&error).len() <= 1 {
        return;
    }
    let any_json = error.iter().any(|(_, k)| matches!(k, Kind::Json(_)));
    let Some(map) = doc.pointer_mut(raw(&rs_ptr)).and_then(Value::as_object_mut) else {
        return;
    };
    let mut kept: Vec<(String, Kind)> = Vec::new();
    for (code, k) in error {
        let drop = match &k {
            Kind::Json(_) => false,
            Kind::Raw(_) => any_json,
            Kind::None => true,
        };
        if drop {
            map.shift_remove(&code);
            log.note(
                &child(&rs_ptr, &code),
                format!(
                    "error response {code} ({}) dropped from the typed error of `{op_id}`: progenitor needs one error type; the client reports this status as an unexpected response{}",
                    describe(&k),
                    if code == "default" { "" } else { " (or an undecodable error body where a range or default covers it)" }
                ),
            );
        } else {
            kept.push((code, k));
        }
    }
    let schemas: BTreeSet<Kind> = distinct(&kept);
    if schemas.len() <= 1 {
        return;
    }
    // Several JSON error bodies: one oneOf component, alternatives in document order.
    let mut alts: Vec<Value> = Vec::new();
    for (_, k) in &kept {
        if let Kind::Json(s) = k {
            let v: Value = serde_json::from_str(s).unwrap_or(Value::Null);
            if !alts.contains(&v) {
                alts.push(v);
            }
        }
    }
    let name = crate::normalise_schemas::free_name(doc, &format!("{}Error", pascal(&op_id)));
    let component = serde_json::json!({
        "description": format!("The error bodies of `{op_id}` (merged by normalisation: one error type per operation)."),
        "oneOf": alts,
    });
    crate::normalise_schemas::insert_component(doc, &name, component);
    let reference = serde_json::json!({ "$ref": format!("{SCHEMA_PREFIX}{name}") });
    let snapshot = doc.clone();
    let Some(map) = doc.pointer_mut(raw(&rs_ptr)).and_then(Value::as_object_mut) else {
        return;
    };
    for (code, _) in &kept {
        let rp = child(&rs_ptr, code);
        let (resolved, _) = resolve(&snapshot, &map[code.as_str()], &rp);
        let mut copy = resolved.clone();
        if let Some(content) = copy.get_mut("content").and_then(Value::as_object_mut) {
            for (k, m) in content.iter_mut() {
                if is_json(k) {
                    m["schema"] = reference.clone();
                }
            }
        }
        map.insert(code.clone(), copy);
    }
    log.note(
        &rs_ptr,
        format!(
            "error responses of `{op_id}` with different bodies ({}) merged into `{SCHEMA_PREFIX}{name}` (oneOf)",
            kept.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace_doc() -> Value {
        let text = include_str!("../../openapi/effective/unified-api-1.1.3.yaml");
        crate::spec::parse_yaml(text).unwrap()
    }

    #[test]
    fn the_effective_document_is_unchanged() {
        let doc = workspace_doc();
        let n = normalise(doc.clone()).unwrap_or_else(|e| panic!("{}", render_errors(&e)));
        assert_eq!(n.notes, Vec::new());
        assert!(n.doc == doc);
    }
}
