//! OpenAPI Overlay 1.0.0 documents: parsing and applying them to a JSON value.
//!
//! An overlay is `overlay: 1.0.0`, `info` (`title`, `version`), an optional `extends` and an
//! ordered list of `actions`, each with a `target` (an RFC 9535 JSONPath, evaluated with
//! `serde_json_path`) and either `update` or `remove: true`.
//!
//! Semantics (Overlay Specification 1.0.0, "Action Object"):
//! * `update` on a selected **object** is merged into it recursively: an object member is
//!   merged into the object of the same name, an array member is appended to the array of the
//!   same name, a primitive replaces the primitive of the same name; new members are appended
//!   (key order is kept, so a replaced member stays where it was). Other combinations (an
//!   object or an array against anything else) are incompatible: an error, as the
//!   specification says.
//! * `update` on a selected **array** appends the update value as one entry.
//! * `update` on a selected primitive is an error (the specification requires an object or
//!   an array).
//! * `remove: true` deletes every selected node from the object or array containing it
//!   (`update` is then ignored, as the specification says). The root cannot be removed.
//!
//! Zero matches are allowed by the specification; for us they mean the vendor document
//! changed under the overlay ("drift"), so [`apply`] reports every such action with its
//! index, description and target, after applying all the others.

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

/// A parsed overlay document.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// `info.title`.
    pub title: String,
    /// `info.version`.
    pub version: String,
    /// `extends`: the document this overlay was written for (informative).
    pub extends: Option<String>,
    /// The actions, in document order.
    pub actions: Vec<Action>,
}

/// One action of an overlay.
#[derive(Debug, Clone)]
pub struct Action {
    /// Zero-based position in `actions`.
    pub index: usize,
    /// The JSONPath text, as written.
    pub target: String,
    /// The compiled JSONPath.
    pub path: JsonPath,
    /// The action's `description`, if any.
    pub description: Option<String>,
    /// What the action does.
    pub kind: ActionKind,
}

/// What an action does to the nodes its target selects.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionKind {
    /// Merge into (objects) or append to (arrays) each selected node.
    Update(Value),
    /// Delete each selected node.
    Remove,
}

/// A problem with an overlay or with applying it, located by a JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverlayError {
    /// JSON pointer into the overlay document (`#/actions/3/target`) or, for an action that
    /// cannot be applied to a node, into the target document.
    pub pointer: String,
    /// One sentence saying what is wrong and what to do.
    pub message: String,
}

impl fmt::Display for OverlayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.pointer, self.message)
    }
}

impl std::error::Error for OverlayError {}

fn err(pointer: impl Into<String>, message: impl Into<String>) -> OverlayError {
    OverlayError {
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// Reads an overlay document (already parsed from YAML or JSON).
///
/// # Errors
/// Every structural problem: not `overlay: 1.0.0`, missing `info.title`/`info.version`,
/// `actions` not an array, an action without a string `target`, a target that is not a
/// valid RFC 9535 JSONPath, or an action with neither `update` nor `remove: true`.
pub fn parse(doc: &Value) -> Result<Overlay, Vec<OverlayError>> {
    let mut errors = Vec::new();
    let Some(root) = doc.as_object() else {
        return Err(vec![err("#", "an overlay must be a mapping")]);
    };
    match root.get("overlay") {
        Some(Value::String(v)) if v == "1.0.0" => {}
        Some(other) => errors.push(err(
            "#/overlay",
            format!("unsupported overlay version {other}; this tool applies Overlay 1.0.0"),
        )),
        None => errors.push(err(
            "#/overlay",
            "missing `overlay: 1.0.0` (not an OpenAPI Overlay document)",
        )),
    }
    let info_str = |key: &str, errors: &mut Vec<OverlayError>| -> String {
        match root.get("info").and_then(|i| i.get(key)) {
            Some(Value::String(s)) => s.clone(),
            _ => {
                errors.push(err(
                    format!("#/info/{key}"),
                    format!("`info.{key}` is required and must be a string"),
                ));
                String::new()
            }
        }
    };
    let title = info_str("title", &mut errors);
    let version = info_str("version", &mut errors);
    let extends = root
        .get("extends")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut actions = Vec::new();
    match root.get("actions") {
        Some(Value::Array(list)) => {
            for (index, a) in list.iter().enumerate() {
                match parse_action(index, a) {
                    Ok(action) => actions.push(action),
                    Err(e) => errors.push(e),
                }
            }
        }
        _ => errors.push(err("#/actions", "`actions` is required and must be a list")),
    }
    if errors.is_empty() {
        Ok(Overlay {
            title,
            version,
            extends,
            actions,
        })
    } else {
        Err(errors)
    }
}

fn parse_action(index: usize, a: &Value) -> Result<Action, OverlayError> {
    let here = format!("#/actions/{index}");
    let Some(obj) = a.as_object() else {
        return Err(err(here, "an action must be a mapping"));
    };
    let Some(target) = obj.get("target").and_then(Value::as_str) else {
        return Err(err(
            format!("{here}/target"),
            "`target` is required and must be a JSONPath string",
        ));
    };
    let path = JsonPath::parse(target).map_err(|e| {
        err(
            format!("{here}/target"),
            format!("`{target}` is not an RFC 9535 JSONPath: {e}"),
        )
    })?;
    let description = obj
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_string);
    let remove = match obj.get("remove") {
        None | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) => true,
        Some(_) => {
            return Err(err(
                format!("{here}/remove"),
                "`remove` must be true or false",
            ))
        }
    };
    let kind = if remove {
        ActionKind::Remove
    } else if let Some(u) = obj.get("update") {
        ActionKind::Update(u.clone())
    } else {
        return Err(err(
            here,
            "the action has neither `update` nor `remove: true`, so it does nothing",
        ));
    };
    Ok(Action {
        index,
        target: target.to_string(),
        path,
        description,
        kind,
    })
}

impl Action {
    fn label(&self) -> String {
        match &self.description {
            Some(d) => format!("action {} (\"{d}\", target `{}`)", self.index, self.target),
            None => format!("action {} (target `{}`)", self.index, self.target),
        }
    }
}

/// One step of a location: a member name or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Name(String),
    Index(usize),
}

fn pointer_of(steps: &[Step]) -> String {
    let mut p = String::from("#");
    for s in steps {
        p.push('/');
        match s {
            Step::Name(n) => p.push_str(&n.replace('~', "~0").replace('/', "~1")),
            Step::Index(i) => p.push_str(&i.to_string()),
        }
    }
    p
}

fn locate(path: &JsonPath, doc: &Value) -> Vec<Vec<Step>> {
    let mut out: Vec<Vec<Step>> = Vec::new();
    for node in path.query_located(doc).dedup() {
        let steps: Vec<Step> = node
            .location()
            .iter()
            .map(|e| match e.as_index() {
                Some(i) => Step::Index(i),
                None => Step::Name(e.as_name().unwrap_or_default().to_string()),
            })
            .collect();
        out.push(steps);
    }
    out
}

fn node_mut<'a>(doc: &'a mut Value, steps: &[Step]) -> Option<&'a mut Value> {
    let mut cur = doc;
    for s in steps {
        cur = match (s, cur) {
            (Step::Name(n), Value::Object(m)) => m.get_mut(n)?,
            (Step::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Merges `update` into `target`: objects member by member (recursively), arrays by
/// appending, primitives (strings, numbers, booleans, null) by replacing.
///
/// # Errors
/// The pointer (below `at`) of the first member whose two values are of incompatible kinds
/// (an object or an array against anything else): the specification makes that an error.
pub fn merge(target: &mut Value, update: &Value, at: &str) -> Result<(), String> {
    match (target, update) {
        (Value::Object(t), Value::Object(u)) => merge_object(t, u, at),
        (Value::Array(t), Value::Array(u)) => {
            t.extend(u.iter().cloned());
            Ok(())
        }
        (t, u) if !is_container(t) && !is_container(u) => {
            *t = u.clone();
            Ok(())
        }
        _ => Err(at.to_string()),
    }
}

fn is_container(v: &Value) -> bool {
    matches!(v, Value::Object(_) | Value::Array(_))
}

fn merge_object(
    target: &mut Map<String, Value>,
    update: &Map<String, Value>,
    at: &str,
) -> Result<(), String> {
    for (k, v) in update {
        match target.get_mut(k) {
            Some(existing) => {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                merge(existing, v, &here)?;
            }
            None => {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}

/// Orders locations so that removing them one after the other never shifts a location
/// still to be removed: deeper and later array entries first.
fn removal_order(a: &[Step], b: &[Step]) -> Ordering {
    for (x, y) in a.iter().zip(b.iter()) {
        let o = match (x, y) {
            (Step::Index(i), Step::Index(j)) => j.cmp(i),
            (Step::Name(m), Step::Name(n)) => m.cmp(n),
            (Step::Index(_), Step::Name(_)) => Ordering::Less,
            (Step::Name(_), Step::Index(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    b.len().cmp(&a.len())
}

/// Applies one action; returns how many nodes it selected.
///
/// # Errors
/// An `update` that selects a primitive, or a `remove` that selects the root.
pub fn apply_action(doc: &mut Value, action: &Action) -> Result<usize, OverlayError> {
    let mut locations = locate(&action.path, doc);
    let n = locations.len();
    match &action.kind {
        ActionKind::Update(update) => {
            for steps in &locations {
                let Some(node) = node_mut(doc, steps) else {
                    continue;
                };
                match node {
                    Value::Object(t) => match update {
                        Value::Object(u) => {
                            merge_object(t, u, &pointer_of(steps)).map_err(|at| {
                                err(
                                    at,
                                    format!(
                                    "{} merges values of incompatible kinds here (an object or \
                                     a list against something else); remove the member first",
                                    action.label()
                                ),
                                )
                            })?
                        }
                        _ => {
                            return Err(err(
                                pointer_of(steps),
                                format!(
                                    "{} selects an object, so its `update` must be a mapping",
                                    action.label()
                                ),
                            ))
                        }
                    },
                    Value::Array(a) => a.push(update.clone()),
                    _ => {
                        return Err(err(
                            pointer_of(steps),
                            format!(
                                "{} selects a primitive value; `update` needs an object or an \
                                 array (target the containing object instead)",
                                action.label()
                            ),
                        ))
                    }
                }
            }
        }
        ActionKind::Remove => {
            locations.sort_by(|a, b| removal_order(a, b));
            for steps in &locations {
                let Some((last, parent)) = steps.split_last() else {
                    return Err(err(
                        "#",
                        format!(
                            "{} selects the document root, which cannot be removed",
                            action.label()
                        ),
                    ));
                };
                // A node inside one removed earlier in this action is already gone.
                let Some(container) = node_mut(doc, parent) else {
                    continue;
                };
                match (container, last) {
                    (Value::Object(m), Step::Name(k)) => {
                        m.shift_remove(k);
                    }
                    (Value::Array(a), Step::Index(i)) if *i < a.len() => {
                        a.remove(*i);
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(n)
}

/// Applies every action of `overlay` to `doc`, in order.
///
/// # Errors
/// Every action that selected nothing (drift: `#/actions/N`, naming its description and
/// target) and every action that could not be applied; the other actions are still applied,
/// so one run lists all the problems.
pub fn apply(doc: &mut Value, overlay: &Overlay) -> Result<(), Vec<OverlayError>> {
    let mut errors = Vec::new();
    for action in &overlay.actions {
        match apply_action(doc, action) {
            Ok(0) => errors.push(err(
                format!("#/actions/{}", action.index),
                format!(
                    "{} matches nothing in the document: the vendor document changed under \
                     the overlay (drift); fix or delete the action",
                    action.label()
                ),
            )),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
