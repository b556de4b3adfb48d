//! Locating a generator panic: when progenitor/typify panic on a document that passed
//! normalisation (typify has `todo!`s for schema shapes it does not convert), the document
//! is cut down until the panic is pinned to one component schema (and one of its
//! properties), or one operation, so that the error carries a JSON pointer.

use serde_json::{Map, Value};

use crate::normalise::{pointer, Located, METHODS};

/// Finds where `panics` (a run of the generator that returns `true` when it panicked)
/// fails: a component schema alone (the others replaced by `{}`), then one property of
/// it, then one operation alone. `None` when no single part reproduces the panic.
pub fn locate_panic(doc: &Value, panics: &dyn Fn(&Value) -> bool) -> Option<Located> {
    let names: Vec<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let only = |keep: &str, schema: Option<Value>| -> Value {
        let mut d = doc.clone();
        d["paths"] = Value::Object(Map::new());
        if let Some(m) = d
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        {
            for (k, v) in m.iter_mut() {
                if k != keep {
                    *v = Value::Object(Map::new());
                } else if let Some(s) = &schema {
                    *v = s.clone();
                }
            }
        }
        d
    };
    for n in &names {
        if !panics(&only(n, None)) {
            continue;
        }
        let schema = doc
            .pointer(&format!(
                "/components/schemas/{}",
                n.replace('~', "~0").replace('/', "~1")
            ))
            .cloned()
            .unwrap_or(Value::Null);
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for p in props.keys() {
                let mut cut = schema.clone();
                if let Some(m) = cut.get_mut("properties").and_then(Value::as_object_mut) {
                    m.retain(|k, _| k == p);
                }
                if let Some(m) = cut.as_object_mut() {
                    m.remove("required");
                }
                if panics(&only(n, Some(cut))) {
                    return Some(Located::new(
                        pointer(&["components", "schemas", n, "properties", p]),
                        "progenitor/typify cannot convert this schema",
                    ));
                }
            }
        }
        return Some(Located::new(
            pointer(&["components", "schemas", n]),
            "progenitor/typify cannot convert this schema",
        ));
    }
    let paths = doc.get("paths").and_then(Value::as_object)?;
    for (path, item) in paths {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            let mut d = doc.clone();
            let mut one = Map::new();
            let mut it = item.as_object().cloned().unwrap_or_default();
            it.retain(|k, _| !METHODS.contains(&k.as_str()));
            it.insert(m.to_string(), op.clone());
            one.insert(path.clone(), Value::Object(it));
            d["paths"] = Value::Object(one);
            if panics(&d) {
                return Some(Located::new(
                    pointer(&["paths", path, m]),
                    "progenitor cannot generate this operation",
                ));
            }
        }
    }
    None
}
