//! `cargo xtask spec-diff OLD NEW [--rules FILE] [--json]`: what changed between two
//! versions of the OpenAPI document, for the maintainer bringing in a new VeriTrans
//! release.
//!
//! Reported:
//! * operations added or removed (by operationId), and changed operation-level
//!   `x-vt4g-providers`;
//! * component schemas added or removed;
//! * request and response fields added or removed, as flattened paths per operation
//!   (`pay request: order.amount`, `pay response 200: result.status`; `[]` after an
//!   array, `oneOf`/`anyOf`/`allOf` alternatives merged, as in `provider-rules.yaml`);
//!   fields of component schemas no operation uses (webhook, redirect) appear under
//!   `#SchemaName`;
//! * parameters (`pay header parameter: X-VT-Idempotency-Key`), compared like fields;
//! * for fields present in both: changed `type`, `maxLength`, `minLength`, `pattern`,
//!   `enum`, `required`, `x-vt4g-providers`;
//! * rules in the provider-rules file whose target (command + path) no longer exists
//!   in NEW's request bodies.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

/// Attributes of one flattened field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct FieldInfo {
    /// JSON type (`string`, `integer`, `object`, `array`…), with `format` after a colon
    /// when present (`string:date-time`); `oneOf` of several types joins them with `|`.
    #[serde(rename = "type")]
    pub ty: Option<String>,
    /// `maxLength`.
    #[serde(rename = "maxLength")]
    pub max_length: Option<u64>,
    /// `minLength`.
    #[serde(rename = "minLength")]
    pub min_length: Option<u64>,
    /// `pattern`.
    pub pattern: Option<String>,
    /// `enum` values, in document order.
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<Value>>,
    /// Whether the parent object lists the field in `required` (in any alternative).
    pub required: bool,
    /// `x-vt4g-providers`.
    #[serde(rename = "x-vt4g-providers")]
    pub providers: Option<Vec<String>>,
}

/// Where a field lives: operation (or `#Schema`), side, path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FieldKey {
    /// operationId, or `#SchemaName` for component schemas no operation uses.
    pub operation: String,
    /// `request`, `response 200`, `response default`…, or `schema`.
    pub side: String,
    /// Flattened path (`order.amount`, `item[].name`).
    pub path: String,
}

impl std::fmt::Display for FieldKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.side == "schema" {
            write!(f, "{}: {}", self.operation, self.path)
        } else {
            write!(f, "{} {}: {}", self.operation, self.side, self.path)
        }
    }
}

/// A field added or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldEntry {
    /// Where.
    #[serde(flatten)]
    pub key: FieldKey,
    /// Its attributes (in NEW for added fields, in OLD for removed ones).
    pub info: FieldInfo,
}

/// One changed attribute of a field present in both documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// Where.
    #[serde(flatten)]
    pub key: FieldKey,
    /// `type`, `maxLength`, `minLength`, `pattern`, `enum`, `required` or `x-vt4g-providers`.
    pub attribute: String,
    /// The value in OLD (JSON).
    pub old: Value,
    /// The value in NEW (JSON).
    pub new: Value,
}

/// An operation-level change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OperationChange {
    /// operationId.
    pub operation: String,
    /// The attribute (`x-vt4g-providers`).
    pub attribute: String,
    /// The value in OLD.
    pub old: Value,
    /// The value in NEW.
    pub new: Value,
}

/// A provider rule whose target is gone in NEW.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VanishedRuleTarget {
    /// The rule's place in the rules file (`fields[3]`, `cross_rules[0]`).
    pub rule: String,
    /// The command.
    pub command: String,
    /// The request path.
    pub path: String,
}

/// The whole diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SpecDiff {
    /// `info.version` of OLD.
    pub old_version: Option<String>,
    /// `info.version` of NEW.
    pub new_version: Option<String>,
    /// operationIds only in NEW.
    pub operations_added: Vec<String>,
    /// operationIds only in OLD.
    pub operations_removed: Vec<String>,
    /// Operation-level attribute changes.
    pub operations_changed: Vec<OperationChange>,
    /// Component schemas only in NEW.
    pub schemas_added: Vec<String>,
    /// Component schemas only in OLD.
    pub schemas_removed: Vec<String>,
    /// Fields only in NEW.
    pub fields_added: Vec<FieldEntry>,
    /// Fields only in OLD.
    pub fields_removed: Vec<FieldEntry>,
    /// Attribute changes of fields in both.
    pub fields_changed: Vec<FieldChange>,
    /// Rules whose (command, path) target does not exist in NEW (empty when no rules
    /// file was given).
    pub rules_with_vanished_targets: Vec<VanishedRuleTarget>,
    /// The rules file that was checked, if any.
    pub rules_file: Option<String>,
}

impl SpecDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.operations_added.is_empty()
            && self.operations_removed.is_empty()
            && self.operations_changed.is_empty()
            && self.schemas_added.is_empty()
            && self.schemas_removed.is_empty()
            && self.fields_added.is_empty()
            && self.fields_removed.is_empty()
            && self.fields_changed.is_empty()
            && self.rules_with_vanished_targets.is_empty()
    }
}

const MAX_DEPTH: usize = 24;

/// What [`Flattener::shape`] collects from a schema.
#[derive(Default)]
struct Shape<'a> {
    props: Vec<(String, &'a Value)>,
    required: BTreeSet<String>,
    types: Vec<String>,
    items: Vec<&'a Value>,
}

struct Flattener<'a> {
    schemas: Option<&'a serde_json::Map<String, Value>>,
    out: BTreeMap<String, FieldInfo>,
}

impl<'a> Flattener<'a> {
    fn resolve(&self, v: &'a Value, stack: &mut Vec<String>) -> Option<(&'a Value, bool)> {
        let mut cur = v;
        let mut pushed = false;
        for _ in 0..MAX_DEPTH {
            let Some(r) = cur.get("$ref").and_then(Value::as_str) else {
                return Some((cur, pushed));
            };
            let name = r.strip_prefix("#/components/schemas/")?;
            if stack.iter().any(|s| s == name) {
                return None;
            }
            stack.push(name.to_string());
            pushed = true;
            cur = self.schemas?.get(name)?;
        }
        None
    }

    /// Collects the object properties, required names, types and array items of a
    /// schema, merging allOf/oneOf/anyOf alternatives.
    fn shape(&self, v: &'a Value, stack: &mut Vec<String>) -> Shape<'a> {
        let mut out = Shape::default();
        self.shape_into(v, stack, &mut out, 0);
        out
    }

    fn shape_into(&self, v: &'a Value, stack: &mut Vec<String>, out: &mut Shape<'a>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let base = stack.len();
        let Some((s, _)) = self.resolve(v, stack) else {
            stack.truncate(base);
            return;
        };
        if let Some(t) = s.get("type").and_then(Value::as_str) {
            let t = match s.get("format").and_then(Value::as_str) {
                Some(f) => format!("{t}:{f}"),
                None => t.to_string(),
            };
            if !out.types.contains(&t) {
                out.types.push(t);
            }
        }
        if let Some(p) = s.get("properties").and_then(Value::as_object) {
            for (k, pv) in p {
                if !out.props.iter().any(|(n, _)| n == k) {
                    out.props.push((k.clone(), pv));
                }
            }
        }
        if let Some(r) = s.get("required").and_then(Value::as_array) {
            out.required
                .extend(r.iter().filter_map(Value::as_str).map(str::to_string));
        }
        if let Some(i) = s.get("items") {
            out.items.push(i);
        }
        for key in ["allOf", "oneOf", "anyOf"] {
            if let Some(alts) = s.get(key).and_then(Value::as_array) {
                for a in alts {
                    self.shape_into(a, stack, out, depth + 1);
                }
            }
        }
        stack.truncate(base);
    }

    fn info(&self, v: &'a Value, required: bool, stack: &mut Vec<String>) -> FieldInfo {
        let base = stack.len();
        let resolved = self.resolve(v, stack).map(|(s, _)| s);
        stack.truncate(base);
        // Attributes on the property itself win over those of a referenced schema.
        let get = |k: &str| v.get(k).or_else(|| resolved.and_then(|s| s.get(k)));
        let types = self.shape(v, stack).types;
        FieldInfo {
            ty: (!types.is_empty()).then(|| types.join("|")),
            max_length: get("maxLength").and_then(Value::as_u64),
            min_length: get("minLength").and_then(Value::as_u64),
            pattern: get("pattern").and_then(Value::as_str).map(str::to_string),
            enum_values: get("enum").and_then(Value::as_array).cloned(),
            required,
            providers: get("x-vt4g-providers").and_then(Value::as_array).map(|a| {
                a.iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| x.to_string())
                    })
                    .collect()
            }),
        }
    }

    fn walk(&mut self, v: &'a Value, prefix: &str, stack: &mut Vec<String>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let Shape {
            props, required, ..
        } = self.shape(v, stack);
        for (name, pv) in props {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let info = self.info(pv, required.contains(&name), stack);
            self.out.insert(path.clone(), info);
            self.descend(pv, &path, stack, depth + 1);
        }
    }

    fn descend(&mut self, v: &'a Value, path: &str, stack: &mut Vec<String>, depth: usize) {
        let base = stack.len();
        // Keep the refs on the way down on the stack so recursive schemas terminate.
        let Some((s, _)) = self.resolve(v, stack) else {
            stack.truncate(base);
            return;
        };
        let Shape { props, items, .. } = self.shape(s, stack);
        if !props.is_empty() {
            self.walk(s, path, stack, depth);
        }
        for it in items {
            let ipath = format!("{path}[]");
            let info = self.info(it, false, stack);
            if self.shape(it, stack).props.is_empty() {
                self.out.insert(ipath.clone(), info);
            }
            self.descend(it, &ipath, stack, depth + 1);
        }
        stack.truncate(base);
    }
}

/// Flattens a schema into `path → attributes`.
pub fn flatten(doc: &Value, schema: &Value) -> BTreeMap<String, FieldInfo> {
    let mut f = Flattener {
        schemas: doc
            .pointer("/components/schemas")
            .and_then(Value::as_object),
        out: BTreeMap::new(),
    };
    let mut stack = Vec::new();
    f.walk(schema, "", &mut stack, 0);
    f.out
}

struct Operation<'a> {
    providers: Option<&'a Value>,
    /// (side, schema)
    bodies: Vec<(String, &'a Value)>,
    /// (`header`/`query`/`path`/`cookie`, name, required, schema); path-item and
    /// operation parameters.
    params: Vec<(String, String, bool, &'a Value)>,
}

fn json_schema_of(content: &Value) -> Option<&Value> {
    let c = content.as_object()?;
    c.get("application/json")
        .or_else(|| c.values().next())
        .and_then(|m| m.get("schema"))
}

fn operations(doc: &Value) -> BTreeMap<String, Operation<'_>> {
    let mut ops = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return ops;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            if !matches!(
                method.as_str(),
                "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace"
            ) {
                continue;
            }
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("{} {path}", method.to_uppercase()));
            let mut params = Vec::new();
            let lists = [item.get("parameters"), op.get("parameters")];
            for p in lists
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .flatten()
            {
                let Some(p) = resolve_component(doc, p, "parameters") else {
                    continue;
                };
                let (Some(loc), Some(name), Some(schema)) = (
                    p.get("in").and_then(Value::as_str),
                    p.get("name").and_then(Value::as_str),
                    p.get("schema"),
                ) else {
                    continue;
                };
                let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
                params.retain(|(l, n, _, _): &(String, String, bool, &Value)| {
                    !(l == loc && n == name)
                });
                params.push((loc.to_string(), name.to_string(), required, schema));
            }
            let mut bodies = Vec::new();
            if let Some(s) = op
                .get("requestBody")
                .and_then(|b| resolve_component(doc, b, "requestBodies"))
                .and_then(|b| b.get("content"))
                .and_then(json_schema_of)
            {
                bodies.push(("request".to_string(), s));
            }
            if let Some(rs) = op.get("responses").and_then(Value::as_object) {
                for (code, r) in rs {
                    if let Some(s) = resolve_component(doc, r, "responses")
                        .and_then(|r| r.get("content"))
                        .and_then(json_schema_of)
                    {
                        bodies.push((format!("response {code}"), s));
                    }
                }
            }
            ops.insert(
                id,
                Operation {
                    providers: op.get("x-vt4g-providers"),
                    bodies,
                    params,
                },
            );
        }
    }
    ops
}

fn resolve_component<'a>(doc: &'a Value, v: &'a Value, kind: &str) -> Option<&'a Value> {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.strip_prefix(&format!("#/components/{kind}/"))?;
            doc.get("components")?.get(kind)?.get(name)
        }
        None => Some(v),
    }
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    if let Some(n) = x
                        .as_str()
                        .and_then(|s| s.strip_prefix("#/components/schemas/"))
                    {
                        out.insert(n.to_string());
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

/// Every flattened field of a document, keyed by (operation, side, path).
pub fn all_fields(doc: &Value) -> BTreeMap<FieldKey, FieldInfo> {
    let mut out = BTreeMap::new();
    let ops = operations(doc);
    for (id, op) in &ops {
        for (loc, name, required, schema) in &op.params {
            let f = Flattener {
                schemas: doc
                    .pointer("/components/schemas")
                    .and_then(Value::as_object),
                out: BTreeMap::new(),
            };
            let info = f.info(schema, *required, &mut Vec::new());
            out.insert(
                FieldKey {
                    operation: id.clone(),
                    side: format!("{loc} parameter"),
                    path: name.clone(),
                },
                info,
            );
        }
        for (side, schema) in &op.bodies {
            for (path, info) in flatten(doc, schema) {
                out.insert(
                    FieldKey {
                        operation: id.clone(),
                        side: side.clone(),
                        path,
                    },
                    info,
                );
            }
        }
    }
    // Component schemas that no operation reaches (webhook, redirect…).
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    if let Some(schemas) = schemas {
        let mut reached = BTreeSet::new();
        if let Some(p) = doc.get("paths") {
            collect_refs(p, &mut reached);
        }
        if let Some(c) = doc.get("components") {
            for kind in ["responses", "requestBodies", "parameters"] {
                if let Some(x) = c.get(kind) {
                    collect_refs(x, &mut reached);
                }
            }
        }
        let mut stack: Vec<String> = reached.iter().cloned().collect();
        while let Some(n) = stack.pop() {
            if let Some(s) = schemas.get(&n) {
                let mut refs = BTreeSet::new();
                collect_refs(s, &mut refs);
                for r in refs {
                    if reached.insert(r.clone()) {
                        stack.push(r);
                    }
                }
            }
        }
        // Only roots: unreached schemas not referenced by another unreached schema.
        let unreached: Vec<&String> = schemas.keys().filter(|n| !reached.contains(*n)).collect();
        let mut referenced = BTreeSet::new();
        for n in &unreached {
            collect_refs(&schemas[n.as_str()], &mut referenced);
        }
        for n in unreached {
            if referenced.contains(n) {
                continue;
            }
            for (path, info) in flatten(doc, &schemas[n.as_str()]) {
                out.insert(
                    FieldKey {
                        operation: format!("#{n}"),
                        side: "schema".into(),
                        path,
                    },
                    info,
                );
            }
        }
    }
    out
}

fn opt_json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Computes the diff of two parsed documents, checking `rules_yaml` (if given) against NEW.
///
/// # Errors
/// A message if the rules file is not YAML.
pub fn diff(old: &Value, new: &Value, rules: Option<(&str, &str)>) -> Result<SpecDiff, String> {
    let mut d = SpecDiff {
        old_version: old
            .pointer("/info/version")
            .and_then(Value::as_str)
            .map(str::to_string),
        new_version: new
            .pointer("/info/version")
            .and_then(Value::as_str)
            .map(str::to_string),
        ..SpecDiff::default()
    };
    let (oo, no) = (operations(old), operations(new));
    d.operations_added = no
        .keys()
        .filter(|k| !oo.contains_key(*k))
        .cloned()
        .collect();
    d.operations_removed = oo
        .keys()
        .filter(|k| !no.contains_key(*k))
        .cloned()
        .collect();
    for (id, o) in &oo {
        if let Some(n) = no.get(id) {
            if o.providers != n.providers {
                d.operations_changed.push(OperationChange {
                    operation: id.clone(),
                    attribute: "x-vt4g-providers".into(),
                    old: o.providers.cloned().unwrap_or(Value::Null),
                    new: n.providers.cloned().unwrap_or(Value::Null),
                });
            }
        }
    }
    let names = |doc: &Value| -> BTreeSet<String> {
        doc.pointer("/components/schemas")
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let (os, ns) = (names(old), names(new));
    d.schemas_added = ns.difference(&os).cloned().collect();
    d.schemas_removed = os.difference(&ns).cloned().collect();

    let (of, nf) = (all_fields(old), all_fields(new));
    for (k, info) in &nf {
        if !of.contains_key(k) {
            d.fields_added.push(FieldEntry {
                key: k.clone(),
                info: info.clone(),
            });
        }
    }
    for (k, o) in &of {
        let Some(n) = nf.get(k) else {
            d.fields_removed.push(FieldEntry {
                key: k.clone(),
                info: o.clone(),
            });
            continue;
        };
        let mut change = |attribute: &str, ov: Value, nv: Value| {
            if ov != nv {
                d.fields_changed.push(FieldChange {
                    key: k.clone(),
                    attribute: attribute.into(),
                    old: ov,
                    new: nv,
                });
            }
        };
        change("type", opt_json(&o.ty), opt_json(&n.ty));
        change(
            "maxLength",
            opt_json(&o.max_length),
            opt_json(&n.max_length),
        );
        change(
            "minLength",
            opt_json(&o.min_length),
            opt_json(&n.min_length),
        );
        change("pattern", opt_json(&o.pattern), opt_json(&n.pattern));
        change("enum", opt_json(&o.enum_values), opt_json(&n.enum_values));
        change("required", Value::Bool(o.required), Value::Bool(n.required));
        change(
            "x-vt4g-providers",
            opt_json(&o.providers),
            opt_json(&n.providers),
        );
    }

    if let Some((label, text)) = rules {
        d.rules_file = Some(label.to_string());
        let rules = crate::spec::parse_yaml(text).map_err(|e| format!("{label}: {e}"))?;
        let request_paths: BTreeSet<(String, String)> = nf
            .keys()
            .filter(|k| k.side == "request")
            .map(|k| (k.operation.clone(), k.path.clone()))
            .collect();
        for (section, path_key) in [("fields", "path"), ("cross_rules", "paths")] {
            let Some(list) = rules.get(section).and_then(Value::as_array) else {
                continue;
            };
            for (i, entry) in list.iter().enumerate() {
                let commands: Vec<String> = entry
                    .get("commands")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                let paths: Vec<String> = match entry.get(path_key) {
                    Some(Value::String(s)) => vec![s.clone()],
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect(),
                    _ => Vec::new(),
                };
                for c in &commands {
                    for p in &paths {
                        if !request_paths.contains(&(c.clone(), p.clone())) {
                            d.rules_with_vanished_targets.push(VanishedRuleTarget {
                                rule: format!("{section}[{i}]"),
                                command: c.clone(),
                                path: p.clone(),
                            });
                        }
                    }
                }
            }
        }
    }
    Ok(d)
}

fn brief(info: &FieldInfo) -> String {
    let mut parts = Vec::new();
    if let Some(t) = &info.ty {
        parts.push(t.clone());
    }
    if let Some(m) = info.max_length {
        parts.push(format!("maxLength {m}"));
    }
    if let Some(e) = &info.enum_values {
        let vals: Vec<String> = e.iter().map(Value::to_string).collect();
        parts.push(format!("enum [{}]", vals.join(", ")));
    }
    if info.required {
        parts.push("required".into());
    }
    if let Some(p) = &info.providers {
        parts.push(format!("providers [{}]", p.join(", ")));
    }
    parts.join(", ")
}

/// The human-readable report.
pub fn render_text(d: &SpecDiff, old_label: &str, new_label: &str) -> String {
    let mut s = String::new();
    let v = |x: &Option<String>| x.clone().unwrap_or_else(|| "?".into());
    let _ = writeln!(
        s,
        "spec-diff {old_label} ({}) -> {new_label} ({})",
        v(&d.old_version),
        v(&d.new_version)
    );
    if d.is_empty() {
        let _ = writeln!(s, "\nNo differences.");
        return s;
    }
    let section = |s: &mut String, title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            let _ = writeln!(s, "\n{title} ({}):", lines.len());
            for l in lines {
                let _ = writeln!(s, "  {l}");
            }
        }
    };
    section(
        &mut s,
        "Operations added",
        d.operations_added
            .iter()
            .map(|o| format!("+ {o}"))
            .collect(),
    );
    section(
        &mut s,
        "Operations removed",
        d.operations_removed
            .iter()
            .map(|o| format!("- {o}"))
            .collect(),
    );
    section(
        &mut s,
        "Operations changed",
        d.operations_changed
            .iter()
            .map(|c| format!("~ {}: {} {} -> {}", c.operation, c.attribute, c.old, c.new))
            .collect(),
    );
    section(
        &mut s,
        "Schemas added",
        d.schemas_added.iter().map(|o| format!("+ {o}")).collect(),
    );
    section(
        &mut s,
        "Schemas removed",
        d.schemas_removed.iter().map(|o| format!("- {o}")).collect(),
    );
    section(
        &mut s,
        "Fields added",
        d.fields_added
            .iter()
            .map(|f| format!("+ {} ({})", f.key, brief(&f.info)))
            .collect(),
    );
    section(
        &mut s,
        "Fields removed",
        d.fields_removed
            .iter()
            .map(|f| format!("- {} ({})", f.key, brief(&f.info)))
            .collect(),
    );
    section(
        &mut s,
        "Fields changed",
        d.fields_changed
            .iter()
            .map(|c| format!("~ {}: {} {} -> {}", c.key, c.attribute, c.old, c.new))
            .collect(),
    );
    section(
        &mut s,
        &format!(
            "Rules whose target vanished in NEW{}",
            d.rules_file
                .as_deref()
                .map(|f| format!(" [{f}]"))
                .unwrap_or_default()
        ),
        d.rules_with_vanished_targets
            .iter()
            .map(|r| format!("! {}: {}: {}", r.rule, r.command, r.path))
            .collect(),
    );
    s
}

/// The `--json` report (pretty-printed, stable key order).
pub fn render_json(d: &SpecDiff) -> String {
    let mut s =
        serde_json::to_string_pretty(d).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_fixture() {
        let text = include_str!("../tests/fixtures/mini-spec.yaml");
        let doc = crate::spec::parse_yaml(text).unwrap();
        let f = all_fields(&doc);
        let keys: Vec<String> = f.keys().map(|k| k.to_string()).collect();
        eprintln!("{keys:#?}");
        assert!(keys.contains(&"pay request: order.amount".to_string()));
        assert!(keys.contains(&"pay request: item[].name".to_string()));
        assert!(keys.contains(&"capture request: order.fepOrderId".to_string()));
        assert!(keys.contains(&"pay response 200: result.status".to_string()));
        assert!(keys.contains(&"#WebhookPayload: order.amount".to_string()));
    }
}
