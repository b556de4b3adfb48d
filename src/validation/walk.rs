//! The `serde_json::Value` walker: [`validate`] walks a request body field by field
//! with the checks of `fields.rs`, then evaluates the cross-field rules.

use serde_json::{Map, Value};
use vt4g_generated::rules::{command_spec, FieldSpec, JsonType};

use super::ctx::{Ctx, Got};
use super::options::ValidationOptions;
use super::path::{PathStack, Seg};
use super::report::{RuleKind, Severity, ValidationReport};
use crate::{Command, PayType};

/// Validates a request body of `command` and returns every finding.
///
/// Never panics, whatever the JSON (property-tested). See the [module docs](super) for
/// what is checked and the measures used.
pub fn validate(command: Command, body: &Value, opts: &ValidationOptions) -> ValidationReport {
    let spec = command_spec(command);
    let mut ctx = Ctx::new(spec, opts);
    let Some(root) = body.as_object() else {
        ctx.push_at(
            String::new(),
            None,
            RuleKind::Type,
            "a JSON object".into(),
            json_kind(body).into(),
            Severity::Error,
            format!("The {command} request body must be a JSON object."),
        );
        return ValidationReport {
            violations: ctx.out,
        };
    };
    let from_body = root
        .get("order")
        .and_then(|o| o.get("payType"))
        .and_then(Value::as_str)
        .and_then(PayType::from_name);
    ctx.begin(from_body);
    let mut path = PathStack::new();
    ctx.walk_object(root, spec.root, &mut path, false);
    let lookup = |i: u16| match spec
        .fields
        .get(usize::from(i))
        .and_then(|f| Ctx::lookup(root, f))
    {
        None => Got::Absent,
        Some(Value::String(s)) => Got::Str(s),
        Some(_) => Got::Other,
    };
    for rule in spec.cross_rules {
        ctx.cross(rule, &lookup);
    }
    ValidationReport {
        violations: ctx.out,
    }
}

impl Ctx<'_> {
    fn walk_object<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        children: &'static [u16],
        path: &mut PathStack<'v>,
        parent_unsupported: bool,
    ) {
        let fields = self.spec.fields;
        // Which children are present (bit k = children[k]); objects have < 64 fields.
        let mut present: u64 = 0;
        for (key, value) in obj {
            let kb = key.as_bytes();
            let found = children
                .iter()
                .enumerate()
                .find(|(_, &i)| {
                    let nb = fields[i as usize].name.as_bytes();
                    nb.len() == kb.len() && nb.first() == kb.first() && nb == kb
                })
                .map(|(k, &i)| {
                    if k < 64 {
                        present |= 1 << k;
                    }
                    i
                });
            if !path.push(Seg::Key(key.as_str())) {
                continue;
            }
            match found {
                Some(i) => self.check_field(i, value, path, parent_unsupported),
                None => {
                    let p = path.render();
                    let allowed: Vec<&str> =
                        children.iter().map(|&i| fields[i as usize].name).collect();
                    self.push_at(
                        p.clone(),
                        None,
                        RuleKind::UnknownField,
                        format!("one of: {}", allowed.join(", ")),
                        "unknown field".into(),
                        Severity::Error,
                        format!(
                            "{p} is not a field of the {} request (allowed here: {}).",
                            self.spec.command,
                            allowed.join(", ")
                        ),
                    );
                }
            }
            path.pop();
        }
        // Absent fields: spec-required, provider-required, must-equal defaults.
        for (k, &i) in children.iter().enumerate() {
            let field = &fields[i as usize];
            let is_present = if k < 64 {
                present & (1 << k) != 0
            } else {
                obj.contains_key(field.name)
            };
            if is_present {
                continue;
            }
            self.absent_field(i, path);
        }
    }

    fn check_field<'v>(
        &mut self,
        index: u16,
        value: &'v Value,
        path: &mut PathStack<'v>,
        parent_unsupported: bool,
    ) {
        let field = &self.spec.fields[usize::from(index)];
        let unsupported = self.field_present(field, path, parent_unsupported);
        if !type_matches(field.json_type, value) {
            let pth = path.render();
            self.push_at(
                pth.clone(),
                None,
                RuleKind::Type,
                field.json_type.as_str().into(),
                json_kind(value).into(),
                Severity::Error,
                format!(
                    "{pth} must be a JSON {} but is {}.",
                    field.json_type.as_str(),
                    json_kind(value)
                ),
            );
            return;
        }
        match value {
            Value::String(s) => self.check_string(index, s, path),
            Value::Object(map) => self.walk_object(map, field.children, path, unsupported),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !path.push(Seg::Index(i)) {
                        break;
                    }
                    match item.as_object() {
                        Some(map) => self.walk_object(map, field.children, path, unsupported),
                        None => {
                            let pth = path.render();
                            self.push_at(
                                pth.clone(),
                                None,
                                RuleKind::Type,
                                "object".into(),
                                json_kind(item).into(),
                                Severity::Error,
                                format!("{pth} must be a JSON object but is {}.", json_kind(item)),
                            );
                        }
                    }
                    path.pop();
                }
            }
            _ => {}
        }
    }

    fn lookup<'v>(root: &'v Map<String, Value>, field: &FieldSpec) -> Option<&'v Value> {
        let (first, rest) = field.segments.split_first()?;
        let mut v = root.get(*first)?;
        for seg in rest {
            v = v.as_object()?.get(*seg)?;
        }
        Some(v)
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn type_matches(t: JsonType, v: &Value) -> bool {
    match t {
        JsonType::String => v.is_string(),
        JsonType::Integer => v.is_i64() || v.is_u64(),
        JsonType::Number => v.is_number(),
        JsonType::Boolean => v.is_boolean(),
        JsonType::Object => v.is_object(),
        JsonType::Array => v.is_array(),
    }
}
