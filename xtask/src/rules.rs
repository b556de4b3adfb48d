//! Provider rules (`openapi/provider-rules.yaml`): checked against the spec and
//! compiled into static tables for `generated/src/rules.rs`.
//!
//! The checks (each failure is a [`RuleError`] naming the command and field):
//! - a rule (or cross rule) targets a field that is not in that command's request schema
//!   (`$ref`s are followed, arrays add `[]`, `oneOf`/`anyOf`/`allOf` alternatives are merged);
//! - a rule allows more than the spec's `maxLength`. The spec's `maxLength` counts
//!   characters. `max_chars` must be ≤ maxLength; `max_bytes` must be ≤ maxLength too,
//!   because an N-byte limit admits N single-byte characters; `max_digits` must be ≤
//!   maxLength and `max_value` must have at most maxLength digits;
//! - a field's description states per-provider limits (the lines after "Input value limits
//!   for each payment method" / "Number of characters that can be set for each payment
//!   provider" that start with a provider name) for a provider with no limit rule, or says
//!   "For <Provider>, specifying this is required" without a `required` rule, or
//!   "For <Provider>, specifying <value> is required" without a `must_equal` rule;
//! - a per-provider rule names a provider that does not use the field (after overrides);
//! - the spec's `pattern` is not one the compiler understands (patterns become spec-level
//!   charset/length rules: there is no regex engine at run time);
//! - the file itself is malformed (unknown keys, unknown command/provider/charset names).

use std::fmt::{self, Write as _};

use serde::Deserialize;
use serde_json::Value;

/// The rules model template, copied verbatim at the top of the generated module.
const MODEL: &str = include_str!("templates/rules_model.rs");

/// Commands in the order of the model's `Command` enum (wire name, Rust variant).
const COMMANDS: [(&str, &str); 8] = [
    ("pay", "Pay"),
    ("subscribe", "Subscribe"),
    ("updateOrder", "UpdateOrder"),
    ("capture", "Capture"),
    ("cancel", "Cancel"),
    ("charge", "Charge"),
    ("terminate", "Terminate"),
    ("getTransactionResult", "GetTransactionResult"),
];

/// Providers: (wire name, Rust variant, reference display name).
const PROVIDERS: [(&str, &str, &str); 5] = [
    ("paypay", "Paypay", "PayPay"),
    ("rakuten", "Rakuten", "Rakuten Pay"),
    ("docomo", "Docomo", "Docomo"),
    ("au", "Au", "au"),
    ("merpay", "Merpay", "Merpay"),
];

/// A rule-vs-spec problem that makes the xtask refuse to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The command the rule or field belongs to (`pay`), or empty for file-level errors.
    pub command: String,
    /// The field path (`item[].name`), or empty for file-level errors.
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

impl RuleError {
    fn new(command: &str, field: &str, problem: impl Into<String>) -> RuleError {
        RuleError {
            command: command.to_string(),
            field: field.to_string(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "provider-rules.yaml: {}", self.problem)
        } else {
            write!(
                f,
                "provider-rules.yaml: {} `{}`: {}",
                self.command, self.field, self.problem
            )
        }
    }
}

impl std::error::Error for RuleError {}

// ------------------------------------------------------------------ the YAML model

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    version: u32,
    #[serde(default)]
    fields: Vec<FieldEntry>,
    #[serde(default)]
    cross_rules: Vec<CrossEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FieldEntry {
    commands: Vec<String>,
    path: String,
    #[serde(default)]
    truncated: bool,
    #[serde(default)]
    supported: Option<SupportedOverride>,
    #[serde(default)]
    rules: Vec<RuleEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SupportedOverride {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Providers {
    Keyword(String),
    List(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleEntry {
    providers: Providers,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    max_digits: Option<u32>,
    #[serde(default)]
    min_value: Option<u64>,
    #[serde(default)]
    max_value: Option<u64>,
    #[serde(default)]
    max_bytes: Option<u32>,
    #[serde(default)]
    max_chars: Option<u32>,
    #[serde(default)]
    double_byte: Option<bool>,
    #[serde(default)]
    charset: Option<String>,
    #[serde(default)]
    no_device_dependent: Option<bool>,
    #[serde(default)]
    required: Option<bool>,
    #[serde(default)]
    must_equal: Option<MustEqual>,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MustEqual {
    value: String,
    #[serde(default)]
    absent_as: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CrossEntry {
    kind: String,
    commands: Vec<String>,
    paths: Vec<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    min_secs: Option<u64>,
    #[serde(default)]
    max_secs: Option<u64>,
    #[serde(default)]
    providers: Option<Vec<String>>,
    source: String,
}

// ------------------------------------------------------------------ the spec walk

/// One request field found in the spec.
#[derive(Debug, Clone)]
struct Field {
    path: String,
    segments: Vec<String>,
    name: String,
    json_type: &'static str,
    max_length: Option<u64>,
    enum_values: Vec<String>,
    required: bool,
    badges: u8,
    format: Option<String>,
    schema_format: Option<String>,
    pattern: Option<String>,
    description: String,
    children: Vec<usize>,
}

/// A compiled check (Rust source of a `Check` value) with its metadata.
#[derive(Debug, Clone, PartialEq)]
struct Rule {
    providers: u8,
    all: bool,
    check: String,
    kind: &'static str,
    warning: bool,
    truncated: bool,
    source: String,
}

struct CommandTable {
    command: &'static str,
    providers: u8,
    fields: Vec<Field>,
    root: Vec<usize>,
    supported: Vec<u8>,
    rules: Vec<Vec<Rule>>,
    cross: Vec<String>,
}

fn provider_bit(name: &str) -> Option<u8> {
    PROVIDERS.iter().position(|p| p.0 == name).map(|i| 1u8 << i)
}

fn providers_of(value: Option<&Value>) -> u8 {
    let mut bits = 0;
    if let Some(Value::Array(list)) = value {
        for v in list {
            if let Some(b) = v.as_str().and_then(provider_bit) {
                bits |= b;
            }
        }
    }
    bits
}

fn provider_set_src(bits: u8) -> String {
    let names: Vec<String> = PROVIDERS
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, p)| format!("PayType::{}", p.1))
        .collect();
    format!("ProviderSet::of(&[{}])", names.join(", "))
}

fn provider_names(bits: u8) -> String {
    let names: Vec<&str> = PROVIDERS
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, p)| p.0)
        .collect();
    names.join(", ")
}

struct Walker<'a, 'e> {
    spec: &'a Value,
    command: &'static str,
    errors: &'e mut Vec<RuleError>,
    /// Nesting of `walk`/`properties` calls: a recursive request schema (a field whose
    /// schema contains itself) would otherwise recurse until the stack overflows.
    depth: usize,
}

/// Deepest nesting of request fields followed (the 1.1.3 requests nest 4 levels).
const MAX_NESTING: usize = 32;

impl<'a> Walker<'a, '_> {
    fn resolve(&mut self, mut schema: &'a Value, at: &str) -> Option<&'a Value> {
        let mut hops = 0;
        while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            hops += 1;
            let target = r.strip_prefix("#/").and_then(|p| {
                p.split('/').try_fold(self.spec, |v, seg| {
                    v.get(seg.replace("~1", "/").replace("~0", "~"))
                })
            });
            match target {
                Some(t) if hops < 32 => schema = t,
                _ => {
                    self.errors.push(RuleError::new(
                        self.command,
                        at,
                        format!("the spec's $ref `{r}` cannot be resolved"),
                    ));
                    return None;
                }
            }
        }
        Some(schema)
    }

    /// Collects the properties of an object schema (merging oneOf/anyOf/allOf):
    /// `(name, property schemas, required-in-every-alternative)`.
    #[allow(clippy::type_complexity)]
    fn properties(&mut self, schema: &'a Value, at: &str) -> Vec<(String, Vec<&'a Value>, bool)> {
        if self.depth >= MAX_NESTING {
            self.recursion_error(at);
            return Vec::new();
        }
        self.depth += 1;
        let out = self.properties_inner(schema, at);
        self.depth -= 1;
        out
    }

    fn recursion_error(&mut self, at: &str) {
        let problem = format!(
            "the request schema nests deeper than {MAX_NESTING} levels here (a recursive schema?); the rules compiler flattens request fields and cannot follow it"
        );
        if !self
            .errors
            .iter()
            .any(|e| e.command == self.command && e.problem == problem)
        {
            self.errors.push(RuleError::new(self.command, at, problem));
        }
    }

    #[allow(clippy::type_complexity)]
    fn properties_inner(
        &mut self,
        schema: &'a Value,
        at: &str,
    ) -> Vec<(String, Vec<&'a Value>, bool)> {
        let Some(schema) = self.resolve(schema, at) else {
            return Vec::new();
        };
        let mut out: Vec<(String, Vec<&'a Value>, bool)> = Vec::new();
        if let Some(Value::Object(props)) = schema.get("properties") {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            for (name, p) in props {
                out.push((name.clone(), vec![p], required.contains(&name.as_str())));
            }
        }
        for (key, all_required) in [("allOf", false), ("oneOf", true), ("anyOf", true)] {
            let Some(Value::Array(alts)) = schema.get(key) else {
                continue;
            };
            let alt_props: Vec<Vec<(String, Vec<&'a Value>, bool)>> =
                alts.iter().map(|a| self.properties(a, at)).collect();
            let mut merged: Vec<(String, Vec<&'a Value>, bool)> = Vec::new();
            for props in &alt_props {
                for (name, schemas, _) in props {
                    let req = if all_required {
                        alt_props
                            .iter()
                            .all(|ps| ps.iter().any(|(n, _, r)| n == name && *r))
                    } else {
                        alt_props
                            .iter()
                            .any(|ps| ps.iter().any(|(n, _, r)| n == name && *r))
                    };
                    if let Some(m) = merged.iter_mut().find(|m| &m.0 == name) {
                        m.1.extend(schemas.iter().copied());
                    } else {
                        merged.push((name.clone(), schemas.clone(), req));
                    }
                }
            }
            for m in merged {
                if let Some(o) = out.iter_mut().find(|o| o.0 == m.0) {
                    o.1.extend(m.1);
                    o.2 |= m.2;
                } else {
                    out.push(m);
                }
            }
        }
        out
    }

    fn walk(
        &mut self,
        schema: &'a Value,
        prefix: &str,
        segments: &[String],
        fields: &mut Vec<Field>,
    ) -> Vec<usize> {
        if segments.len() >= MAX_NESTING {
            self.recursion_error(prefix);
            return Vec::new();
        }
        let mut children = Vec::new();
        for (name, schemas, required) in self.properties(schema, prefix) {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let resolved: Vec<&Value> = schemas
                .iter()
                .filter_map(|s| self.resolve(s, &path))
                .collect();
            let Some(first) = resolved.first().copied() else {
                continue;
            };
            let mut segs = segments.to_vec();
            segs.push(name.clone());
            let ty = schema_type(first);
            // Limits: the loosest over the alternatives (they are the same in practice).
            let max_length = resolved
                .iter()
                .map(|s| s.get("maxLength").and_then(Value::as_u64))
                .try_fold(0u64, |acc, m| m.map(|m| acc.max(m)));
            let mut enum_values = Vec::new();
            for s in &resolved {
                if let Some(Value::Array(e)) = s.get("enum") {
                    for v in e.iter().filter_map(Value::as_str) {
                        if !enum_values.iter().any(|x: &String| x == v) {
                            enum_values.push(v.to_string());
                        }
                    }
                }
            }
            let badges = resolved
                .iter()
                .map(|s| providers_of(s.get("x-vt4g-providers")))
                .fold(0, |a, b| a | b);
            let text = |k: &str| {
                resolved
                    .iter()
                    .find_map(|s| s.get(k).and_then(Value::as_str))
                    .map(str::to_string)
            };
            let idx = fields.len();
            fields.push(Field {
                path: path.clone(),
                segments: segs.clone(),
                name: name.clone(),
                json_type: ty,
                max_length,
                enum_values,
                required,
                badges,
                format: text("x-vt4g-format"),
                schema_format: text("format"),
                pattern: text("pattern"),
                description: resolved
                    .iter()
                    .filter_map(|s| s.get("description").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n"),
                children: Vec::new(),
            });
            let kids = match ty {
                "object" => self.walk(first, &path, &segs, fields),
                "array" => match first.get("items") {
                    Some(items) => match self.resolve(items, &path) {
                        Some(items) if schema_type(items) == "object" => {
                            self.walk(items, &format!("{path}[]"), &segs, fields)
                        }
                        _ => Vec::new(),
                    },
                    None => Vec::new(),
                },
                _ => Vec::new(),
            };
            fields[idx].children = kids;
            children.push(idx);
        }
        children
    }
}

fn schema_type(s: &Value) -> &'static str {
    match s.get("type").and_then(Value::as_str) {
        Some("string") => "string",
        Some("integer") => "integer",
        Some("number") => "number",
        Some("boolean") => "boolean",
        Some("array") => "array",
        Some("object") => "object",
        _ if s.get("items").is_some() => "array",
        _ => "object",
    }
}

fn json_type_src(t: &str) -> &'static str {
    match t {
        "string" => "JsonType::String",
        "integer" => "JsonType::Integer",
        "number" => "JsonType::Number",
        "boolean" => "JsonType::Boolean",
        "array" => "JsonType::Array",
        _ => "JsonType::Object",
    }
}

fn charset_src(name: &str) -> Option<&'static str> {
    Some(match name {
        "alnum" => "Charset::Alnum",
        "alnum_hyphen_underscore" => "Charset::AlnumHyphenUnderscore",
        "paypay_item_id" => "Charset::PaypayItemId",
        "digits" => "Charset::Digits",
        "single_byte" => "Charset::SingleByte",
        _ => return None,
    })
}

/// Spec-level rules derived from a `pattern` the compiler understands.
/// The `pattern` of yyyyMMddHHmmss request fields (month, day, hour, minute, second ranges).
const DATE_TIME_PATTERN: &str =
    "^[0-9]{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]$";

fn pattern_rules(pattern: &str) -> Option<Vec<(String, &'static str)>> {
    // URL patterns: the rules file's `url`, `redirect_url` and `webhook_url` entries state
    // these fields' checks (parsed URL, scheme, port, private addresses); the pattern adds
    // nothing a character-set check could say.
    if pattern.starts_with("^https?://") || pattern.starts_with("^https://") {
        return Some(Vec::new());
    }
    // A yyyyMMddHHmmss date-time: fourteen digits (the calendar ranges stay in the pattern,
    // which the generated types enforce).
    if pattern == DATE_TIME_PATTERN {
        return Some(vec![
            ("Check::Charset(Charset::Digits)".to_string(), "charset"),
            ("Check::MinChars(14)".to_string(), "min_chars"),
        ]);
    }
    let (class, quant) = match pattern {
        p if p.starts_with("^[A-Za-z0-9_-]") => ("Charset::AlnumHyphenUnderscore", &p[14..]),
        p if p.starts_with("^[A-Za-z0-9]") => ("Charset::Alnum", &p[12..]),
        p if p.starts_with("^[0-9]") => ("Charset::Digits", &p[6..]),
        _ => return None,
    };
    let mut out = vec![(format!("Check::Charset({class})"), "charset")];
    match quant {
        "*$" => {}
        "+$" => out.push(("Check::MinChars(1)".to_string(), "min_chars")),
        q => {
            let n: u32 = q.strip_prefix('{')?.strip_suffix("}$")?.parse().ok()?;
            out.push((format!("Check::MinChars({n})"), "min_chars"));
        }
    }
    if class == "Charset::Digits" && quant == "*$" {
        // `Charset::Digits` requires at least one digit; `*` allows the empty string.
        return None;
    }
    Some(out)
}

fn command_name(name: &str) -> Option<&'static str> {
    COMMANDS.iter().find(|c| c.0 == name).map(|c| c.0)
}

/// Checks `rules_yaml` against `spec` and returns the Rust source of
/// `generated/src/rules.rs` (model types + static tables).
///
/// # Errors
/// Every rule-vs-spec problem found, each naming the field.
pub fn generate_rules_module(
    spec: &openapiv3::OpenAPI,
    rules_yaml: &str,
) -> Result<String, Vec<RuleError>> {
    generate_rules_and_layouts(spec, rules_yaml).map(|(src, _)| src)
}

/// One request field of a command's table, as the typed-validator generator needs it
/// (the same order and indices as `CommandSpec::fields` in the generated tables).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutField {
    /// The rules-file path (`item[].name`).
    pub path: String,
    /// The JSON key.
    pub name: String,
    /// The JSON type (`string`, `object`, `array`, …).
    pub json_type: &'static str,
    /// Indices of the child fields (objects, items of arrays).
    pub children: Vec<usize>,
}

/// The field layout of one command's request table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLayout {
    /// The wire name (`updateOrder`).
    pub command: &'static str,
    /// The Rust variant of `Command` (`UpdateOrder`).
    pub variant: &'static str,
    /// Every field, as in the generated table.
    pub fields: Vec<LayoutField>,
    /// Indices of the top-level fields.
    pub root: Vec<usize>,
}

/// [`generate_rules_module`], also returning the field layout of every command (for
/// the typed validator generated from the same tables).
///
/// # Errors
/// Every rule-vs-spec problem found, each naming the field.
pub fn generate_rules_and_layouts(
    spec: &openapiv3::OpenAPI,
    rules_yaml: &str,
) -> Result<(String, Vec<CommandLayout>), Vec<RuleError>> {
    let spec_json = serde_json::to_value(spec).map_err(|e| {
        vec![RuleError::new(
            "",
            "",
            format!("the spec cannot be read: {e}"),
        )]
    })?;
    let file: RulesFile = serde_yaml::from_str(rules_yaml)
        .map_err(|e| vec![RuleError::new("", "", format!("malformed rules file: {e}"))])?;
    let mut errors = Vec::new();
    if file.version != 1 {
        errors.push(RuleError::new(
            "",
            "",
            format!("unsupported version {} (expected 1)", file.version),
        ));
    }

    // 1. The request fields of every command.
    let mut tables: Vec<CommandTable> = Vec::new();
    for (cmd, _) in COMMANDS {
        let op = spec_json
            .get("paths")
            .and_then(Value::as_object)
            .and_then(|paths| {
                paths.values().find_map(|item| {
                    item.as_object()?
                        .values()
                        .find(|op| op.get("operationId").and_then(Value::as_str) == Some(cmd))
                })
            });
        let Some(op) = op else {
            errors.push(RuleError::new(cmd, "", missing_operation(&spec_json, cmd)));
            continue;
        };
        let mut fields = Vec::new();
        let root = {
            let mut w = Walker {
                spec: &spec_json,
                command: cmd,
                errors: &mut errors,
                depth: 0,
            };
            let body = op
                .get("requestBody")
                .and_then(|b| w.resolve(b, ""))
                .and_then(|b| b.pointer("/content/application~1json/schema"));
            match body {
                Some(schema) => w.walk(schema, "", &[], &mut fields),
                None => Vec::new(),
            }
        };
        let supported = fields.iter().map(|f| f.badges).collect();
        let rules = vec![Vec::new(); fields.len()];
        tables.push(CommandTable {
            command: cmd,
            providers: providers_of(op.get("x-vt4g-providers")),
            fields,
            root,
            supported,
            rules,
            cross: Vec::new(),
        });
    }

    // 2. Spec-level rules from patterns.
    for t in &mut tables {
        for (i, f) in t.fields.iter().enumerate() {
            if let Some(p) = &f.pattern {
                match pattern_rules(p) {
                    Some(list) => {
                        for (check, kind) in list {
                            t.rules[i].push(Rule {
                                providers: 0x1f,
                                all: true,
                                check,
                                kind,
                                warning: false,
                                truncated: false,
                                source: format!("spec pattern {p}"),
                            });
                        }
                    }
                    None => errors.push(RuleError::new(
                        t.command,
                        &f.path,
                        format!("the spec's pattern `{p}` is not understood by the rules compiler"),
                    )),
                }
            }
        }
    }

    // 3. The rules file's field entries.
    for entry in &file.fields {
        for cmd_name in &entry.commands {
            let Some(cmd) = command_name(cmd_name) else {
                errors.push(RuleError::new(
                    cmd_name,
                    &entry.path,
                    format!("unknown command `{cmd_name}`"),
                ));
                continue;
            };
            let Some(t) = tables.iter_mut().find(|t| t.command == cmd) else {
                continue;
            };
            let Some(i) = t.fields.iter().position(|f| f.path == entry.path) else {
                errors.push(RuleError::new(
                    cmd,
                    &entry.path,
                    "the rule targets a field that does not exist in the command's request schema",
                ));
                continue;
            };
            if let Some(o) = &entry.supported {
                if o.reason.trim().is_empty() {
                    errors.push(RuleError::new(
                        cmd,
                        &entry.path,
                        "a `supported` override needs a reason",
                    ));
                }
                for (list, add) in [(&o.add, true), (&o.remove, false)] {
                    for p in list {
                        match provider_bit(p) {
                            Some(b) if add => t.supported[i] |= b,
                            Some(b) => t.supported[i] &= !b,
                            None => errors.push(RuleError::new(
                                cmd,
                                &entry.path,
                                format!("unknown provider `{p}`"),
                            )),
                        }
                    }
                }
            }
            let field = t.fields[i].clone();
            for r in &entry.rules {
                compile_rule(
                    cmd,
                    &field,
                    entry.truncated,
                    r,
                    &mut t.rules[i],
                    &mut errors,
                );
            }
        }
    }

    // 4. Checks of the compiled rules against the spec.
    for t in &tables {
        for (i, f) in t.fields.iter().enumerate() {
            let rules = &t.rules[i];
            for r in rules.iter().filter(|r| !r.all) {
                let extra = r.providers & !t.supported[i];
                if extra != 0 {
                    errors.push(RuleError::new(
                        t.command,
                        &f.path,
                        format!(
                            "a `{}` rule names provider(s) [{}] that do not use this field (x-vt4g-providers: [{}]); add a `supported` override with a reason",
                            r.kind,
                            provider_names(extra),
                            provider_names(t.supported[i])
                        ),
                    ));
                }
            }
            check_description(t.command, f, rules, &mut errors);
        }
    }

    // 5. Cross rules.
    for c in &file.cross_rules {
        for cmd_name in &c.commands {
            let Some(cmd) = command_name(cmd_name) else {
                errors.push(RuleError::new(
                    cmd_name,
                    "",
                    format!("unknown command `{cmd_name}` in a {} cross rule", c.kind),
                ));
                continue;
            };
            let Some(t) = tables.iter_mut().find(|t| t.command == cmd) else {
                continue;
            };
            compile_cross(t, c, &mut errors);
        }
    }

    for t in &tables {
        for (i, f) in t.fields.iter().enumerate() {
            if t.rules[i].len() > 32 {
                errors.push(RuleError::new(
                    t.command,
                    &f.path,
                    "more than 32 rules on one field (FieldSpec::rule_masks has 32 bits)",
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let layouts = tables
        .iter()
        .map(|t| CommandLayout {
            command: t.command,
            variant: COMMANDS
                .iter()
                .find(|c| c.0 == t.command)
                .map_or("Pay", |c| c.1),
            fields: t
                .fields
                .iter()
                .map(|f| LayoutField {
                    path: f.path.clone(),
                    name: f.name.clone(),
                    json_type: f.json_type,
                    children: f.children.clone(),
                })
                .collect(),
            root: t.root.clone(),
        })
        .collect();
    Ok((emit(&tables), layouts))
}

fn compile_rule(
    cmd: &str,
    field: &Field,
    truncated: bool,
    r: &RuleEntry,
    out: &mut Vec<Rule>,
    errors: &mut Vec<RuleError>,
) {
    let path = field.path.as_str();
    let (providers, all) = match &r.providers {
        Providers::Keyword(k) if k == "all" => (0x1f, true),
        Providers::Keyword(k) => match provider_bit(k) {
            Some(b) => (b, false),
            None => {
                errors.push(RuleError::new(cmd, path, format!("unknown provider `{k}`")));
                return;
            }
        },
        Providers::List(list) => {
            let mut bits = 0;
            for p in list {
                match provider_bit(p) {
                    Some(b) => bits |= b,
                    None => {
                        errors.push(RuleError::new(cmd, path, format!("unknown provider `{p}`")))
                    }
                }
            }
            (bits, false)
        }
    };
    let warning = match r.severity.as_deref() {
        None | Some("error") => false,
        Some("warning") => true,
        Some(other) => {
            errors.push(RuleError::new(
                cmd,
                path,
                format!("unknown severity `{other}`"),
            ));
            false
        }
    };
    let max_len = field.max_length;
    let too_long = |what: &str, n: u64, errors: &mut Vec<RuleError>| {
        if let Some(m) = max_len {
            if n > m {
                errors.push(RuleError::new(
                    cmd,
                    path,
                    format!("the rule allows {what} {n}, more than the spec's maxLength {m}"),
                ));
            }
        }
    };
    let mut checks: Vec<(String, &'static str, bool)> = Vec::new();
    if let Some(n) = r.max_digits {
        too_long("max_digits", u64::from(n), errors);
        checks.push((format!("Check::MaxDigits({n})"), "max_digits", false));
    }
    if let Some(n) = r.min_value {
        checks.push((format!("Check::MinValue({n})"), "min_value", false));
    }
    if let Some(n) = r.max_value {
        too_long("values of digits", n.to_string().len() as u64, errors);
        checks.push((format!("Check::MaxValue({n})"), "max_value", false));
    }
    if let Some(n) = r.max_bytes {
        too_long("max_bytes", u64::from(n), errors);
        checks.push((format!("Check::MaxBytes({n})"), "max_bytes", truncated));
    }
    if let Some(n) = r.max_chars {
        too_long("max_chars", u64::from(n), errors);
        checks.push((format!("Check::MaxChars({n})"), "max_chars", truncated));
    }
    if r.double_byte == Some(true) {
        checks.push(("Check::DoubleByte".to_string(), "double_byte", false));
    }
    if let Some(cs) = &r.charset {
        match charset_src(cs) {
            Some(src) => checks.push((format!("Check::Charset({src})"), "charset", false)),
            None => errors.push(RuleError::new(cmd, path, format!("unknown charset `{cs}`"))),
        }
    }
    if r.no_device_dependent == Some(true) {
        checks.push((
            "Check::NoDeviceDependent".to_string(),
            "no_device_dependent",
            false,
        ));
    }
    if r.required == Some(true) {
        checks.push(("Check::Required".to_string(), "required", false));
    }
    if let Some(m) = &r.must_equal {
        if !field.enum_values.is_empty() && !field.enum_values.contains(&m.value) {
            errors.push(RuleError::new(
                cmd,
                path,
                format!(
                    "must_equal `{}` is not one of the spec's enum values",
                    m.value
                ),
            ));
        }
        checks.push((
            format!(
                "Check::MustEqual {{ value: {:?}, absent_as: {} }}",
                m.value,
                match &m.absent_as {
                    Some(a) => format!("Some({a:?})"),
                    None => "None".to_string(),
                }
            ),
            "must_equal",
            false,
        ));
    }
    if checks.is_empty() {
        errors.push(RuleError::new(cmd, path, "a rule entry has no check"));
    }
    if r.source.trim().is_empty() {
        errors.push(RuleError::new(
            cmd,
            path,
            "a rule entry has an empty source",
        ));
    }
    for (check, kind, truncated) in checks {
        let rule = Rule {
            providers,
            all,
            check,
            kind,
            warning,
            truncated,
            source: r.source.clone(),
        };
        // A spec-pattern rule and an identical spec-level file rule: keep one.
        if all
            && out
                .iter()
                .any(|o| o.all && o.check == rule.check && o.warning == rule.warning)
        {
            out.retain(|o| {
                !(o.all && o.check == rule.check && o.source.starts_with("spec pattern"))
            });
        }
        out.push(rule);
    }
}

/// Why no operation of the spec has operationId `cmd`, located: the operation whose path
/// ends in `/{cmd}` (if any) and the operations the document has.
fn missing_operation(spec: &Value, cmd: &str) -> String {
    let mut present = Vec::new();
    let mut at_path = None;
    if let Some(paths) = spec.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let Some(op) = op.as_object() else { continue };
                if !op.contains_key("responses") {
                    continue;
                }
                let ptr = format!(
                    "#/paths/{}/{method}",
                    path.replace('~', "~0").replace('/', "~1")
                );
                let id = op.get("operationId").and_then(Value::as_str);
                if path.rsplit('/').next() == Some(cmd) {
                    at_path = Some((ptr.clone(), id.map(str::to_string)));
                }
                present.push(format!("{} at {ptr}", id.unwrap_or("(no operationId)")));
            }
        }
    }
    let mut s = format!("command `{cmd}`: the spec has no operation with operationId `{cmd}`");
    match at_path {
        Some((ptr, Some(id))) => {
            let _ = write!(s, "; the operation at {ptr} has operationId `{id}`");
        }
        Some((ptr, None)) => {
            let _ = write!(s, "; the operation at {ptr} has no operationId");
        }
        None => {}
    }
    if present.is_empty() {
        s.push_str("; the document has no operations (#/paths)");
    } else {
        let _ = write!(s, "; operations in the document: {}", present.join(", "));
    }
    s.push_str(" (give the command's operation this operationId, e.g. in the overlay)");
    s
}

/// The per-provider statements of a description that need a rule.
fn check_description(cmd: &str, f: &Field, rules: &[Rule], errors: &mut Vec<RuleError>) {
    let has = |bit: u8, pred: &dyn Fn(&Rule) -> bool| {
        rules.iter().any(|r| r.providers & bit != 0 && pred(r))
    };
    let mut in_limits = false;
    for line in f.description.lines() {
        let l = line.trim();
        if l.contains("Input value limits for each payment method")
            || l.contains("Number of characters that can be set for each payment provider")
        {
            in_limits = true;
            continue;
        }
        // "For <Provider>, specifying this is required" / "specifying <value> is required".
        for (i, p) in PROVIDERS.iter().enumerate() {
            let bit = 1u8 << i;
            let marker = format!("For {}, specifying ", p.2);
            let mut rest = l;
            while let Some(at) = rest.find(&marker) {
                let tail = &rest[at + marker.len()..];
                let what = tail.split(" is required").next().unwrap_or("").trim();
                if tail.contains(" is required") {
                    if what == "this" {
                        if !has(bit, &|r| r.kind == "required") {
                            errors.push(RuleError::new(cmd, &f.path, format!(
                                "the description says \"For {}, specifying this is required\" but there is no `required` rule for {}",
                                p.2, p.0
                            )));
                        }
                    } else if !has(bit, &|r| {
                        r.kind == "must_equal" && r.check.contains(&format!("{what:?}"))
                    }) {
                        errors.push(RuleError::new(cmd, &f.path, format!(
                            "the description says \"For {}, specifying {what} is required\" but there is no `must_equal: {{value: {what}}}` rule for {}",
                            p.2, p.0
                        )));
                    }
                }
                rest = &rest[at + marker.len()..];
            }
        }
        if !in_limits {
            continue;
        }
        for (i, p) in PROVIDERS.iter().enumerate() {
            let bit = 1u8 << i;
            let Some(after) = l.strip_prefix(p.2) else {
                continue;
            };
            if !after.trim_start().starts_with(':') {
                continue;
            }
            // The kinds of rule the statement implies.
            let mut expected: Vec<&str> = Vec::new();
            if l.contains("digits or less") {
                expected.push("max_digits");
            }
            if l.contains("between") || l.contains(" ~ ") {
                expected.extend(["min_value", "max_value"]);
            }
            if l.contains("bytes or less") {
                expected.push("max_bytes");
            }
            if l.contains("characters or less") {
                expected.push("max_chars");
            }
            if l.contains("Double byte characters") {
                expected.push("double_byte");
            }
            if l.contains("Single byte alphanumeric") || l.contains("Single byte numbers") {
                expected.push("charset");
            }
            if expected.is_empty() {
                expected.push("any");
            }
            for kind in expected {
                let ok = match kind {
                    "any" => has(bit, &|r| {
                        !r.all && r.kind != "required" && r.kind != "must_equal"
                    }),
                    // A spec-level character set satisfies a provider's statement too.
                    "charset" => rules
                        .iter()
                        .any(|r| r.kind == "charset" && (r.all || r.providers & bit != 0)),
                    k => has(bit, &|r| !r.all && r.kind == k),
                };
                if !ok {
                    errors.push(RuleError::new(
                        cmd,
                        &f.path,
                        format!(
                            "the description states a limit for {} (\"{}\") but the rules file has no {} limit rule for {}",
                            p.2, l, kind, p.0
                        ),
                    ));
                }
            }
        }
    }
}

fn compile_cross(t: &mut CommandTable, c: &CrossEntry, errors: &mut Vec<RuleError>) {
    let cmd = t.command;
    let mut idx = Vec::new();
    for p in &c.paths {
        match t.fields.iter().position(|f| &f.path == p) {
            Some(i) if p.contains("[]") => {
                errors.push(RuleError::new(cmd, p, format!("a {} cross rule cannot target a field inside an array", c.kind)));
                idx.push(i);
            }
            Some(i) => idx.push(i),
            None => errors.push(RuleError::new(
                cmd,
                p,
                format!("the {} cross rule targets a field that does not exist in the command's request schema", c.kind),
            )),
        }
    }
    if idx.len() != c.paths.len() {
        return;
    }
    let mut providers = 0x1f;
    if let Some(list) = &c.providers {
        providers = 0;
        for p in list {
            match provider_bit(p) {
                Some(b) => providers |= b,
                None => errors.push(RuleError::new(cmd, "", format!("unknown provider `{p}`"))),
            }
        }
    }
    let path0 = c.paths.first().cloned().unwrap_or_default();
    let need_value = || c.value.clone();
    let mut kinds: Vec<(String, Vec<usize>)> = Vec::new();
    let per_field = |kind: &str| {
        idx.iter()
            .map(|i| (kind.to_string(), vec![*i]))
            .collect::<Vec<_>>()
    };
    match c.kind.as_str() {
        "exactly_one" => {
            if idx.len() < 2 {
                errors.push(RuleError::new(
                    cmd,
                    &path0,
                    "exactly_one needs at least two paths",
                ));
            }
            kinds.push(("CrossKind::ExactlyOne".to_string(), idx.clone()));
        }
        "url" => kinds.extend(per_field("CrossKind::Url")),
        "redirect_url" => kinds.extend(per_field("CrossKind::RedirectUrl")),
        "webhook_url" => kinds.extend(per_field("CrossKind::WebhookUrl")),
        "request_mode" => kinds.extend(per_field("CrossKind::RequestMode")),
        "only_when" | "ignored_when" => {
            let variant = if c.kind == "only_when" {
                "OnlyWhen"
            } else {
                "IgnoredWhen"
            };
            match (need_value(), idx.len()) {
                (Some(v), 2) => {
                    let cond = &t.fields[idx[1]];
                    if !cond.enum_values.is_empty() && !cond.enum_values.contains(&v) {
                        errors.push(RuleError::new(
                            cmd,
                            &cond.path,
                            format!("`{v}` is not one of the spec's enum values"),
                        ));
                    }
                    kinds.push((
                        format!("CrossKind::{variant} {{ value: {v:?} }}"),
                        idx.clone(),
                    ));
                }
                _ => errors.push(RuleError::new(
                    cmd,
                    &path0,
                    format!("{} needs `value` and exactly two paths", c.kind),
                )),
            }
        }
        "datetime_window" => match (c.min_secs, c.max_secs) {
            (Some(min), Some(max)) if min <= max => kinds.extend(idx.iter().map(|i| {
                (
                    format!("CrossKind::DatetimeWindow {{ min_secs: {min}, max_secs: {max} }}"),
                    vec![*i],
                )
            })),
            _ => errors.push(RuleError::new(
                cmd,
                &path0,
                "datetime_window needs min_secs <= max_secs",
            )),
        },
        other => errors.push(RuleError::new(
            cmd,
            &path0,
            format!("unknown cross rule kind `{other}`"),
        )),
    }
    if c.source.trim().is_empty() {
        errors.push(RuleError::new(
            cmd,
            &path0,
            "a cross rule has an empty source",
        ));
    }
    for (kind, fields) in kinds {
        let list: Vec<String> = fields.iter().map(usize::to_string).collect();
        t.cross.push(format!(
            "CrossRule {{ kind: {kind}, fields: &[{}], providers: {}, source: {:?} }}",
            list.join(", "),
            provider_set_src(providers),
            c.source
        ));
    }
}

fn emit(tables: &[CommandTable]) -> String {
    let mut s = String::with_capacity(256 * 1024);
    s.push_str(MODEL);
    s.push_str(
        "\n// ---- tables (generated from openapi/provider-rules.yaml and the spec) ----\n\n",
    );
    for t in tables {
        let upper = t.command.to_uppercase();
        let _ = writeln!(
            s,
            "static {upper}_FIELDS: [FieldSpec; {}] = [",
            t.fields.len()
        );
        for (i, f) in t.fields.iter().enumerate() {
            let segs: Vec<String> = f.segments.iter().map(|x| format!("{x:?}")).collect();
            let enums: Vec<String> = f.enum_values.iter().map(|x| format!("{x:?}")).collect();
            let kids: Vec<String> = f.children.iter().map(usize::to_string).collect();
            let opt = |o: &Option<String>| match o {
                Some(v) => format!("Some({v:?})"),
                None => "None".to_string(),
            };
            let _ = writeln!(s, "    FieldSpec {{");
            let _ = writeln!(s, "        path: {:?},", f.path);
            let _ = writeln!(s, "        segments: &[{}],", segs.join(", "));
            let _ = writeln!(s, "        name: {:?},", f.name);
            let _ = writeln!(s, "        json_type: {},", json_type_src(f.json_type));
            let _ = writeln!(
                s,
                "        max_length: {},",
                match f.max_length {
                    Some(m) => format!("Some({m})"),
                    None => "None".to_string(),
                }
            );
            let _ = writeln!(s, "        enum_values: &[{}],", enums.join(", "));
            let _ = writeln!(s, "        required: {},", f.required);
            let _ = writeln!(s, "        badges: {},", provider_set_src(f.badges));
            let _ = writeln!(
                s,
                "        supported: {},",
                provider_set_src(t.supported[i])
            );
            let _ = writeln!(s, "        format: {},", opt(&f.format));
            let _ = writeln!(s, "        schema_format: {},", opt(&f.schema_format));
            let _ = writeln!(s, "        children: &[{}],", kids.join(", "));
            let _ = writeln!(s, "        rules: &[");
            for r in &t.rules[i] {
                let _ = writeln!(
                    s,
                    "            ProviderRule {{ providers: {}, all_providers: {}, check: {}, severity: RuleSeverity::{}, truncated: {}, source: {:?} }},",
                    provider_set_src(r.providers),
                    r.all,
                    r.check,
                    if r.warning { "Warning" } else { "Error" },
                    r.truncated,
                    r.source
                );
            }
            let _ = writeln!(s, "        ],");
            let mut masks = [0u32; 6];
            for (k, r) in t.rules[i].iter().enumerate() {
                let bit = 1u32 << k.min(31);
                for (p, m) in masks.iter_mut().enumerate() {
                    if r.all || (p < 5 && r.providers & (1 << p) != 0) {
                        *m |= bit;
                    }
                }
            }
            let masks: Vec<String> = masks.iter().map(|m| format!("{m:#x}")).collect();
            let _ = writeln!(s, "        rule_masks: [{}],", masks.join(", "));
            let _ = writeln!(s, "    }},");
        }
        let _ = writeln!(s, "];\n");
    }
    let _ = writeln!(
        s,
        "/// The request tables of every command, in the order of [`Command::ALL`].\npub static COMMANDS: [CommandSpec; {}] = [",
        tables.len()
    );
    for t in tables {
        let upper = t.command.to_uppercase();
        let variant = COMMANDS
            .iter()
            .find(|c| c.0 == t.command)
            .map_or("Pay", |c| c.1);
        let root: Vec<String> = t.root.iter().map(usize::to_string).collect();
        let _ = writeln!(s, "    CommandSpec {{");
        let _ = writeln!(s, "        command: Command::{variant},");
        let _ = writeln!(s, "        providers: {},", provider_set_src(t.providers));
        let _ = writeln!(s, "        fields: &{upper}_FIELDS,");
        let _ = writeln!(s, "        root: &[{}],", root.join(", "));
        let _ = writeln!(s, "        cross_rules: &[");
        for c in &t.cross {
            let _ = writeln!(s, "            {c},");
        }
        let _ = writeln!(s, "        ],");
        let _ = writeln!(s, "    }},");
    }
    let _ = writeln!(s, "];\n");
    s.push_str(
        "/// The request table of `command`.\npub fn command_spec(command: Command) -> &'static CommandSpec {\n    &COMMANDS[command as usize]\n}\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_text() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../openapi/effective/unified-api-1.1.3.yaml"
        ))
        .expect("spec")
    }

    fn real_spec() -> openapiv3::OpenAPI {
        serde_yaml::from_str(&spec_text()).expect("spec parses")
    }

    fn real_rules() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../openapi/provider-rules.yaml"
        ))
        .expect("rules")
    }

    /// Runs the generator on the real spec and `rules`, expecting a refusal that names
    /// `command`, `field` and contains `needle`.
    fn refused(spec: &openapiv3::OpenAPI, rules: &str, command: &str, field: &str, needle: &str) {
        let errors = generate_rules_module(spec, rules).expect_err("must refuse");
        assert!(
            errors
                .iter()
                .any(|e| e.command == command && e.field == field && e.problem.contains(needle)),
            "no error for {command} {field} containing {needle:?}: {errors:#?}"
        );
        let shown = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(shown.contains(field), "{shown}");
    }

    fn without(rules: &str, snippet: &str) -> String {
        assert!(
            rules.contains(snippet),
            "snippet not in the rules file: {snippet}"
        );
        rules.replacen(snippet, "", 1)
    }

    #[test]
    fn real_spec_and_rules_have_no_errors() {
        match generate_rules_module(&real_spec(), &real_rules()) {
            Ok(src) => assert!(src.contains("pub static COMMANDS")),
            Err(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("{} rule errors:\n{}", list.len(), list.join("\n"));
            }
        }
    }

    #[test]
    fn output_is_deterministic_and_merges_one_of() {
        let a = generate_rules_module(&real_spec(), &real_rules()).expect("ok");
        let b = generate_rules_module(&real_spec(), &real_rules()).expect("ok");
        assert_eq!(a, b);
        assert!(a.starts_with(MODEL));
        let capture = &a[a.find("static CAPTURE_FIELDS").expect("capture")..];
        let capture = &capture[..capture.find("];").expect("end")];
        assert!(
            capture.contains("path: \"order.fepOrderId\""),
            "oneOf alternative 2 merged"
        );
        let pid = &capture[capture
            .find("path: \"order.paymentId\"")
            .expect("paymentId")..];
        assert!(pid[..pid.find("},").unwrap_or(pid.len())].contains("required: false"));
        assert!(a.contains("path: \"item[].name\""));
    }

    #[test]
    fn refuses_a_rule_on_a_missing_field() {
        let rules =
            real_rules().replacen("    path: order.amount\n", "    path: order.amountt\n", 1);
        refused(
            &real_spec(),
            &rules,
            "pay",
            "order.amountt",
            "does not exist",
        );
        let rules = real_rules().replacen(
            "paths: [protocol.recoveryExpiredDatetime, protocol.recoveryType]",
            "paths: [protocol.recoveryExpiredDatetime, protocol.recoveryKind]",
            1,
        );
        refused(
            &real_spec(),
            &rules,
            "charge",
            "protocol.recoveryKind",
            "does not exist",
        );
    }

    #[test]
    fn refuses_a_rule_above_the_spec_max_length() {
        let rules = real_rules().replacen(
            "      - providers: [docomo]\n        double_byte: true\n        max_chars: 20\n",
            "      - providers: [docomo]\n        double_byte: true\n        max_chars: 4001\n",
            1,
        );
        refused(&real_spec(), &rules, "pay", "item[].name", "maxLength 4000");
        let rules = real_rules().replacen(
            "        charset: paypay_item_id\n        max_bytes: 255\n",
            "        charset: paypay_item_id\n        max_bytes: 256\n",
            1,
        );
        refused(&real_spec(), &rules, "pay", "item[].id", "max_bytes 256");
        let rules = real_rules().replacen("        max_digits: 8\n", "        max_digits: 13\n", 1);
        refused(&real_spec(), &rules, "pay", "order.amount", "max_digits 13");
    }

    #[test]
    fn refuses_a_description_limit_without_a_rule() {
        let rules = without(
            &real_rules(),
            "      - providers: [docomo]\n        double_byte: true\n        max_chars: 20\n        source: \"Docomo: Double byte characters 20 characters or less\"\n",
        );
        refused(
            &real_spec(),
            &rules,
            "pay",
            "item[].name",
            "no max_chars limit rule for docomo",
        );
        refused(
            &real_spec(),
            &rules,
            "pay",
            "item[].name",
            "no double_byte limit rule for docomo",
        );
        let rules = without(
            &real_rules(),
            "      - providers: [merpay]\n        min_value: 1\n        max_value: 1000000\n        source: \"Merpay:1 ~ 1000000\"\n",
        );
        refused(
            &real_spec(),
            &rules,
            "charge",
            "order.amount",
            "no min_value limit rule for merpay",
        );
    }

    #[test]
    fn refuses_a_required_statement_without_a_rule() {
        let rules = without(
            &real_rules(),
            "  - commands: [pay]\n    path: item[].categoryId\n    rules:\n      - providers: [merpay]\n        required: true\n        source: \"* For Merpay, specifying this is required.For details, refer to the attached supplementary information 'Item Category ID List'.\"\n",
        );
        let errors = generate_rules_module(&real_spec(), &rules).expect_err("refuse");
        assert!(
            errors.iter().any(|e| e.command == "pay"
                && e.field == "item[].categoryId"
                && e.problem.contains("no `required` rule for merpay")),
            "{errors:#?}"
        );
        let rules = real_rules().replacen(
            "      - providers: [paypay]\n        required: true\n        must_equal: {value: auth_with_capture}\n",
            "      - providers: [paypay]\n        required: true\n",
            1,
        );
        refused(
            &real_spec(),
            &rules,
            "charge",
            "order.authCaptureType",
            "must_equal: {value: auth_with_capture}",
        );
    }

    #[test]
    fn refuses_a_rule_for_a_provider_that_does_not_use_the_field() {
        let rules = real_rules().replacen(
            "      - providers: [docomo]\n        double_byte: true\n        max_chars: 20\n",
            "      - providers: [docomo, merpay]\n        double_byte: true\n        max_chars: 20\n",
            1,
        );
        refused(
            &real_spec(),
            &rules,
            "pay",
            "item[].name",
            "do not use this field",
        );
        // …unless a `supported` override with a reason says so.
        let rules = rules.replacen(
            "    path: item[].name\n    truncated: true\n",
            "    path: item[].name\n    truncated: true\n    supported: {add: [merpay], reason: \"test\"}\n",
            1,
        );
        assert!(generate_rules_module(&real_spec(), &rules).is_ok());
    }

    #[test]
    fn refuses_unknown_patterns_and_malformed_files() {
        let text = spec_text();
        let date_time = format!("pattern: {DATE_TIME_PATTERN}");
        assert!(
            text.contains(&date_time),
            "the date-time pattern is in the spec"
        );
        let spec: openapiv3::OpenAPI =
            serde_yaml::from_str(&text.replacen(&date_time, "pattern: ^[a-z]{2,3}$", 1))
                .expect("spec");
        refused(
            &spec,
            &real_rules(),
            "charge",
            "protocol.recoveryExpiredDatetime",
            "pattern",
        );
        let errors =
            generate_rules_module(&real_spec(), "version: 1\nfieldz: []\n").expect_err("refuse");
        assert!(errors[0].to_string().contains("malformed"), "{errors:?}");
        let rules =
            real_rules().replacen("charset: alnum_hyphen_underscore", "charset: alnum_dash", 1);
        refused(
            &real_spec(),
            &rules,
            "pay",
            "order.paymentId",
            "unknown charset",
        );
        let rules = real_rules().replacen("  - kind: exactly_one\n", "  - kind: exactly_two\n", 1);
        let errors = generate_rules_module(&real_spec(), &rules).expect_err("refuse");
        assert!(
            errors.iter().any(|e| e.problem.contains("exactly_two")),
            "{errors:?}"
        );
    }

    #[test]
    fn error_display_names_command_and_field() {
        let e = RuleError::new("pay", "item[].name", "boom");
        assert_eq!(
            e.to_string(),
            "provider-rules.yaml: pay `item[].name`: boom"
        );
    }
}
