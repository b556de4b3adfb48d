//! Normalisation (`xtask::normalise`): one fixture per construct under
//! `tests/fixtures/normalise/`, the 1.1.3 document in vendor shapes (operationIds removed,
//! OpenAPI 3.1, several error responses), and a loop over mutated documents asserting
//! that nothing in the pipeline panics.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use xtask::normalise::{normalise, Located, Normalised};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn load(rel: &str) -> Value {
    let text = std::fs::read_to_string(root().join(rel)).unwrap();
    xtask::spec::parse_yaml(&text).unwrap()
}

fn fixture(name: &str) -> Value {
    load(&format!("xtask/tests/fixtures/normalise/{name}"))
}

fn ok(doc: Value) -> Normalised {
    match normalise(doc) {
        Ok(n) => n,
        Err(e) => panic!("{}", xtask::normalise::render_errors(&e)),
    }
}

fn errors(doc: Value) -> Vec<Located> {
    match normalise(doc) {
        Ok(n) => panic!("expected errors, got {n}"),
        Err(e) => {
            for l in &e {
                assert!(l.pointer.starts_with('#'), "unlocated: {l}");
            }
            e
        }
    }
}

fn has(list: &[Located], pointer: &str, words: &str) -> bool {
    list.iter()
        .any(|l| l.pointer == pointer && l.message.contains(words))
}

fn assert_has(list: &[Located], pointer: &str, words: &str) {
    assert!(
        has(list, pointer, words),
        "no entry at {pointer} containing {words:?} in:\n{}",
        list.iter().map(|l| format!("  {l}\n")).collect::<String>()
    );
}

/// The generator part of the pipeline after normalisation: leniency, the `default`
/// split, progenitor. Returns client.rs.
fn generate(doc: &Value) -> Result<String, String> {
    let mut lenient = doc.clone();
    xtask::leniency::apply(&mut lenient);
    xtask::leniency::split_default_responses(&mut lenient);
    xtask::codegen::generate_client(&lenient).map_err(|e| e.to_string())
}

// ------------------------------------------------------------------ rules message

#[test]
fn a_command_without_its_operation_is_reported_with_the_operations_present() {
    let mut doc = load("xtask/tests/fixtures/mini-spec.yaml");
    // `/pay` keeps its path but gets another operationId.
    doc["paths"]["/pay"]["post"]["operationId"] = json!("makePayment");
    let api = xtask::spec::to_openapi(&doc).unwrap();
    let rules =
        std::fs::read_to_string(root().join("xtask/tests/fixtures/mini-rules.yaml")).unwrap();
    let errs = xtask::rules::generate_rules_module(&api, &rules).unwrap_err();
    let text: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    let pay = text
        .iter()
        .find(|l| l.contains("`pay`"))
        .unwrap_or_else(|| panic!("no line names pay: {text:#?}"));
    assert!(pay.contains("#/paths/~1pay/post"), "{pay}");
    assert!(pay.contains("makePayment"), "{pay}");
}

// ------------------------------------------------------------------ one fixture per construct

#[test]
fn missing_operation_ids_are_derived_from_the_path() {
    let n = ok(fixture("missing-operation-ids.yaml"));
    assert_eq!(n.doc["paths"]["/pay"]["post"]["operationId"], "pay");
    assert_eq!(
        n.doc["paths"]["/fep/command/getTransactionResult"]["post"]["operationId"],
        "getTransactionResult"
    );
    assert_has(&n.notes, "#/paths/~1pay/post", "operationId `pay` derived");
    assert_has(
        &n.notes,
        "#/paths/~1fep~1command~1getTransactionResult/post",
        "`getTransactionResult` derived",
    );
    let client = generate(&n.doc).unwrap();
    assert!(client.contains("pub async fn get_transaction_result"));
}

#[test]
fn colliding_operation_ids_are_located_errors_naming_the_other_operation() {
    let e = errors(fixture("operation-id-collision.yaml"));
    assert_has(&e, "#/paths/~1v1~1pay/post", "#/paths/~1v2~1pay/post");
    assert_has(&e, "#/paths/~1v2~1pay/post", "#/paths/~1v1~1pay/post");
    // A derived id colliding with a given one.
    assert_has(
        &e,
        "#/paths/~1orders/get",
        "`orders` (derived from the path)",
    );
    assert_has(&e, "#/paths/~1orders~1{id}/get", "`orders` (given)");
    assert_eq!(e.len(), 4, "{e:#?}");
}

#[test]
fn identical_success_responses_need_nothing() {
    let doc = fixture("several-success-identical.yaml");
    let n = ok(doc.clone());
    assert!(n.notes.is_empty(), "{n}");
    assert!(n.doc == doc);
    generate(&n.doc).unwrap();
}

#[test]
fn different_success_responses_are_a_located_decision() {
    let e = errors(fixture("several-success-different.yaml"));
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_has(
        &e,
        "#/paths/~1pay/post/responses",
        "200: JSON `#/components/schemas/Result`; 202: no body",
    );
}

#[test]
fn several_error_responses_become_one_error_type() {
    let n = ok(fixture("several-errors.yaml"));
    let r = &n.doc["paths"]["/pay"]["post"]["responses"];
    assert!(r.get("404").is_none(), "the HTML 404 is dropped");
    assert!(r.get("429").is_none(), "the body-less 429 is dropped");
    assert_has(
        &n.notes,
        "#/paths/~1pay/post/responses/404",
        "`text/html` (not JSON)) dropped",
    );
    assert_has(
        &n.notes,
        "#/paths/~1pay/post/responses/429",
        "no body) dropped",
    );
    assert_has(
        &n.notes,
        "#/paths/~1pay/post/responses",
        "merged into `#/components/schemas/PayError` (oneOf)",
    );
    for code in ["400", "401", "503", "default"] {
        assert_eq!(
            r[code]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/PayError",
            "{code}"
        );
    }
    assert_eq!(
        n.doc["components"]["schemas"]["PayError"]["oneOf"],
        json!([
            {"$ref": "#/components/schemas/ErrorResponse"},
            {"$ref": "#/components/schemas/Maintenance"}
        ])
    );
    // The shared component response is untouched.
    assert_eq!(
        n.doc["components"]["responses"]["Error"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorResponse"
    );
    let client = generate(&n.doc).unwrap();
    assert!(
        client.contains("pub enum PayError"),
        "oneOf becomes an enum"
    );
}

#[test]
fn a_text_html_404_is_dropped_from_the_typed_error() {
    let n = ok(fixture("text-html-404.yaml"));
    assert_eq!(n.notes.len(), 1, "{n}");
    assert_has(
        &n.notes,
        "#/paths/~1pay/post/responses/404",
        "dropped from the typed error of `pay`",
    );
    let client = generate(&n.doc).unwrap();
    assert!(client.contains("Error<types::ErrorResponse>"));
}

#[test]
fn inline_schemas_are_hoisted_and_named() {
    let n = ok(fixture("inline-schemas.yaml"));
    let schemas = n.doc["components"]["schemas"].as_object().unwrap();
    let names: Vec<&str> = schemas.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "Order",
            "PayItem",
            "PayControl",
            "PayRequest",
            "Result",
            "PayResponse",
            "PayError",
            "CaptureOrder",
            "CaptureRequest",
        ],
        "{n}"
    );
    let op = &n.doc["paths"]["/pay"]["post"];
    assert_eq!(
        op["requestBody"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/PayRequest"})
    );
    assert_eq!(
        schemas["PayRequest"]["properties"]["item"]["items"],
        json!({"$ref": "#/components/schemas/PayItem"})
    );
    // Identical bodies of /capture reuse the components of /pay.
    let cap = &n.doc["paths"]["/capture"]["post"]["responses"];
    assert_eq!(
        cap["200"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/PayResponse"})
    );
    assert_eq!(
        cap["default"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/PayError"})
    );
    assert_has(
        &n.notes,
        "#/paths/~1capture/post/requestBody/content/application~1json/schema/properties/order",
        "hoisted to `#/components/schemas/CaptureOrder`",
    );
    // Hoisting twice changes nothing.
    let again = ok(n.doc.clone());
    assert!(again.notes.is_empty(), "{again}");
    let client = generate(&n.doc).unwrap();
    assert!(client.contains("pub struct CaptureOrder"));
}

#[test]
fn openapi_31_is_converted_where_lossless() {
    let n = ok(fixture("oas31.yaml"));
    let d = &n.doc;
    assert_eq!(d["openapi"], "3.0.3");
    assert!(d.get("jsonSchemaDialect").is_none());
    assert!(d.get("webhooks").is_none() && d.get("x-webhooks").is_some());
    let p = &d["components"]["schemas"]["PayRequest"]["properties"];
    assert_eq!(
        p["amount"],
        json!({"type": "string", "maxLength": 10, "example": "1000"})
    );
    assert_eq!(p["kind"], json!({"enum": ["pay"], "type": "string"}));
    assert_eq!(p["memo"], json!({"type": "string", "nullable": true}));
    assert_eq!(
        p["count"],
        json!({"type": "integer", "exclusiveMinimum": true, "minimum": 0})
    );
    assert_eq!(
        d["paths"]["/pay"]["post"]["responses"]["200"]["content"]["application/json"]["schema"],
        json!({"$ref": "#/components/schemas/PayResponse"})
    );
    assert_has(&n.notes, "#/openapi", "3.1.0 converted to 3.0.3");
    assert_has(
        &n.notes,
        "#/components/schemas/PayRequest/properties/memo/type",
        "nullable: true",
    );
    let client = generate(d).unwrap();
    assert!(client.contains("pub memo: ::std::option::Option<::std::string::String>"));
}

#[test]
fn openapi_31_constructs_without_a_30_form_are_located_errors() {
    let e = errors(fixture("oas31-lossy.yaml"));
    let p = "#/components/schemas/PayResponse/properties";
    assert_has(
        &e,
        &format!("{p}/either/type"),
        "several types (string, integer)",
    );
    assert_has(&e, &format!("{p}/examples/examples"), "2 schema examples");
    assert_has(&e, &format!("{p}/nothing/type"), "`type: null`");
    assert_has(
        &e,
        &format!("{p}/tuple/prefixItems"),
        "no OpenAPI 3.0 equivalent",
    );
    assert_has(
        &e,
        &format!("{p}/fixed/const"),
        "not one of the schema's `enum` values",
    );
    assert_has(&e, &format!("{p}/bounded"), "`maxLength`");
    assert_eq!(e.len(), 6, "{e:#?}");
}

#[test]
fn allof_of_plain_objects_is_merged() {
    let n = ok(fixture("allof.yaml"));
    assert_eq!(
        n.doc["components"]["schemas"]["PayRequest"],
        json!({
            "description": "a pay request",
            "type": "object",
            "properties": {
                "paymentId": {"type": "string", "maxLength": 100},
                "amount": {"type": "string"}
            },
            "required": ["paymentId", "amount"]
        })
    );
    assert_has(&n.notes, "#/components/schemas/PayRequest/allOf", "merged");
    let client = generate(&n.doc).unwrap();
    assert!(client.contains("pub struct PayRequest"));
}

#[test]
fn allof_with_a_conflicting_property_is_a_located_error() {
    let e = errors(fixture("allof-conflict.yaml"));
    assert_has(
        &e,
        "#/components/schemas/PayRequest/allOf/1/properties/paymentId",
        "defined differently",
    );
}

#[test]
fn request_media_types_encoding_and_missing_schemas() {
    let n = ok(fixture("request-media-types.yaml"));
    let op = &n.doc["paths"]["/pay"]["post"];
    let content = op["requestBody"]["content"].as_object().unwrap();
    assert_eq!(content.keys().collect::<Vec<_>>(), ["application/json"]);
    assert!(content["application/json"].get("encoding").is_none());
    assert_eq!(
        op["responses"]["200"]["content"]["application/json"]["schema"],
        json!({})
    );
    assert_eq!(n.notes.len(), 3, "{n}");
    generate(&n.doc).unwrap();
}

#[test]
fn structural_problems_are_located() {
    let e = errors(fixture("structure-errors.yaml"));
    let op = "#/paths/~1orders~1{id}/get/parameters";
    assert_has(&e, "#/paths/~1linked", "`$ref` path item");
    assert_has(&e, &format!("{op}/0"), "cookie parameter `session`");
    assert_has(
        &e,
        &format!("{op}/1"),
        "does not appear in the path template",
    );
    assert_has(&e, &format!("{op}/2"), "style `deepObject`");
    assert_eq!(e.len(), 4, "{e:#?}");
}

#[test]
fn an_unrequired_path_parameter_becomes_required() {
    let mut doc = fixture("structure-errors.yaml");
    doc["paths"].as_object_mut().unwrap().remove("/linked");
    doc["paths"]["/orders/{id}"]["get"]["parameters"] = json!([]);
    let n = ok(doc);
    assert_eq!(
        n.doc["paths"]["/orders/{id}"]["parameters"][0]["required"],
        true
    );
    assert_has(
        &n.notes,
        "#/paths/~1orders~1{id}/parameters/0",
        "required: true",
    );
    generate(&n.doc).unwrap();
}

#[test]
fn bad_response_keys_and_versions_are_located() {
    let mut doc = fixture("several-success-identical.yaml");
    doc["paths"]["/pay"]["post"]["responses"]["2xx"] = json!({"description": "lower case"});
    let e = errors(doc);
    assert_has(&e, "#/paths/~1pay/post/responses/2xx", "not an HTTP status");

    let e = errors(json!({"swagger": "2.0", "paths": {}}));
    assert_has(&e, "#/swagger", "Swagger 2.0");
    let e = errors(json!({"openapi": "4.0.0", "paths": {}}));
    assert_has(&e, "#/openapi", "unsupported OpenAPI version");
    let e = errors(json!(["not", "a", "document"]));
    assert_has(&e, "#", "not a mapping");
    // What openapiv3 itself refuses is located where deserialization stopped.
    let mut doc = fixture("several-success-identical.yaml");
    doc["info"]["version"] = json!(["x"]);
    let e = errors(doc);
    assert_has(
        &e,
        "#/info/version",
        "not a valid OpenAPI 3.0 document here",
    );
}

// ------------------------------------------------------------------ the 1.1.3 document in vendor shapes

/// The effective 1.1.3 document (vendor + overlay): every annotation the generator needs,
/// so the vendor-shape rewrites below are generated without the overlay.
fn workspace_doc() -> Value {
    load("openapi/effective/unified-api-1.1.3.yaml")
}

/// Generates every output file from `doc` (normalised first), with the workspace's rules;
/// the header line naming the spec file and its hash is dropped so that outputs of
/// different spec files compare.
fn generate_all(doc: Value) -> Result<Vec<(String, String)>, String> {
    let n = normalise(doc).map_err(|e| xtask::normalise::render_errors(&e))?;
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.json");
    std::fs::write(&spec, serde_json::to_string_pretty(&n.doc).unwrap()).unwrap();
    let mut inputs = xtask::codegen::Inputs::workspace(&root());
    inputs.spec = spec;
    inputs.overlay = None;
    inputs.lock = None;
    inputs.effective = None;
    let files = xtask::codegen::generate(&inputs).map_err(|e| e.to_string())?;
    Ok(files
        .into_iter()
        .map(|f| {
            let body: String = f
                .contents
                .lines()
                .filter(|l| !l.starts_with("// Spec:"))
                .map(|l| format!("{l}\n"))
                .collect();
            (f.name, body)
        })
        .collect())
}

fn reference_output() -> Vec<(String, String)> {
    generate_all(workspace_doc()).expect("the 1.1.3 document generates")
}

fn assert_same_output(a: &[(String, String)], b: &[(String, String)]) {
    assert_eq!(a.len(), b.len());
    for ((na, ca), (nb, cb)) in a.iter().zip(b) {
        assert_eq!(na, nb);
        assert!(ca == cb, "{na} differs");
    }
}

/// Applies `f` to every object with a string `type` below `v` (schemas; security schemes,
/// which also have a `type`, are skipped).
fn each_schema(v: &mut Value, f: &dyn Fn(&mut serde_json::Map<String, Value>)) {
    match v {
        Value::Object(m) => {
            let is_schema = m.get("type").is_some_and(Value::is_string);
            if is_schema {
                f(m);
            }
            for (k, x) in m.iter_mut() {
                // Property maps hold schemas; do not treat a property named `type` as a keyword.
                if k == "properties" {
                    if let Value::Object(props) = x {
                        for p in props.values_mut() {
                            each_schema(p, f);
                        }
                    }
                } else if k != "securitySchemes" {
                    each_schema(x, f);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| each_schema(x, f)),
        _ => {}
    }
}

#[test]
fn without_operation_ids_the_document_regenerates_identically() {
    let mut doc = workspace_doc();
    let mut removed = 0;
    for item in doc["paths"].as_object_mut().unwrap().values_mut() {
        for op in item.as_object_mut().unwrap().values_mut() {
            if op.as_object_mut().unwrap().remove("operationId").is_some() {
                removed += 1;
            }
        }
    }
    assert_eq!(removed, 8);
    let n = ok(doc.clone());
    assert_eq!(n.notes.len(), 8, "{n}");
    assert_same_output(&generate_all(doc).unwrap(), &reference_output());
}

#[test]
fn an_openapi_31_rewrite_regenerates_identically() {
    let mut doc = workspace_doc();
    doc["openapi"] = json!("3.1.0");
    let w = doc.as_object_mut().unwrap().remove("x-webhooks").unwrap();
    doc["webhooks"] = w;
    each_schema(&mut doc, &|m| {
        let t = m["type"].clone();
        m.insert("type".into(), json!([t]));
        if let Some(e) = m.remove("example") {
            m.insert("examples".into(), json!([e]));
        }
    });
    let n = ok(doc.clone());
    assert!(n.notes.len() > 100, "{n}");
    assert_same_output(&generate_all(doc).unwrap(), &reference_output());
}

#[test]
fn an_openapi_31_rewrite_with_nullable_type_arrays_regenerates() {
    let mut doc = workspace_doc();
    doc["openapi"] = json!("3.1.0");
    let w = doc.as_object_mut().unwrap().remove("x-webhooks").unwrap();
    doc["webhooks"] = w;
    // Response-side leaf fields become `[T, "null"]`, as 3.1 generators write them.
    for (name, schema) in doc["components"]["schemas"].as_object_mut().unwrap() {
        if !name.starts_with("Response") && !name.ends_with("Response") {
            continue;
        }
        if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            for p in props.values_mut() {
                if let Some(t) = p.get("type").and_then(Value::as_str).map(str::to_string) {
                    if t != "object" && t != "array" {
                        p["type"] = json!([t, "null"]);
                    }
                }
            }
        }
    }
    let files = generate_all(doc).unwrap_or_else(|e| panic!("{e}"));
    let client = &files[1].1;
    assert!(client.contains("pub struct PayResponse"));
}

#[test]
fn a_document_with_several_error_responses_regenerates() {
    let mut doc = workspace_doc();
    for item in doc["paths"].as_object_mut().unwrap().values_mut() {
        let responses = &mut item["post"]["responses"];
        let default = responses
            .as_object_mut()
            .unwrap()
            .remove("default")
            .unwrap();
        for code in ["400", "401", "403", "409", "429", "500", "503"] {
            responses[code] = default.clone();
        }
        responses["404"] = json!({
            "description": "Page not found",
            "content": {"text/html": {"schema": {"type": "string"}}}
        });
    }
    let n = ok(doc.clone());
    assert_eq!(n.notes.len(), 8, "one dropped 404 per operation: {n}");
    let files = generate_all(doc).unwrap_or_else(|e| panic!("{e}"));
    let client = &files[1].1;
    assert!(client.contains("Error<types::ErrorResponse>"));
}

// ------------------------------------------------------------------ no panic, ever

/// xorshift64*: a deterministic generator (the seed is printed on failure).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn all_pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                all_pointers(
                    x,
                    format!("{at}/{}", xtask::normalise::escape_token(k)),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                all_pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn palette(rng: &mut Rng) -> Value {
    let choices = [
        json!(null),
        json!(true),
        json!(0),
        json!(1000),
        json!("x"),
        json!("null"),
        json!([]),
        json!({}),
        json!(["string", "null"]),
        json!(["string", "integer"]),
        json!({"type": "object", "properties": {"a": {"type": "string"}}}),
        json!({"type": "object", "title": "object (order)", "properties": {"b": {"type": "integer"}}}),
        json!({"$ref": "#/components/schemas/Nope"}),
        json!({"$ref": "#/components/schemas/PayRequest"}),
        json!({"$ref": "#/components/schemas/PayRequest", "maxLength": 3}),
        json!({"description": "html", "content": {"text/html": {"schema": {"type": "string"}}}}),
        json!({"description": "json", "content": {"application/json": {}}}),
        json!({"description": "none"}),
        json!({"allOf": [{"$ref": "#/components/schemas/PayRequest"}, {"type": "object", "properties": {"z": {"type": "string"}}}]}),
        json!({"oneOf": [{"type": "string"}, {"type": "null"}]}),
        json!({"application/xml": {"schema": {"type": "string"}}}),
        json!({"name": "p", "in": "path", "schema": {"type": "string"}}),
        json!({"name": "c", "in": "cookie", "schema": {"type": "string"}}),
        json!({"name": "q", "in": "query", "content": {"application/json": {}}}),
        json!("3.1.0"),
        json!("2XX"),
    ];
    choices[rng.below(choices.len())].clone()
}

const KEYS: &[&str] = &[
    "type",
    "nullable",
    "allOf",
    "oneOf",
    "anyOf",
    "const",
    "examples",
    "required",
    "$ref",
    "201",
    "202",
    "404",
    "4XX",
    "default",
    "operationId",
    "encoding",
    "items",
    "additionalProperties",
    "enum",
    "properties",
    "parameters",
    "requestBody",
    "content",
    "schema",
    "get",
    "webhooks",
    "exclusiveMinimum",
    "prefixItems",
    "title",
];

fn mutate(doc: &mut Value, rng: &mut Rng) {
    let mut ptrs = Vec::new();
    all_pointers(doc, String::new(), &mut ptrs);
    let at = ptrs[rng.below(ptrs.len())].clone();
    match rng.below(4) {
        0 if !at.is_empty() => {
            let (parent, last) = at.rsplit_once('/').unwrap();
            let last = last.replace("~1", "/").replace("~0", "~");
            match doc.pointer_mut(parent) {
                Some(Value::Object(m)) => {
                    m.shift_remove(&last);
                }
                Some(Value::Array(a)) => {
                    if let Ok(i) = last.parse::<usize>() {
                        if i < a.len() {
                            a.remove(i);
                        }
                    }
                }
                _ => {}
            }
        }
        1 => {
            let v = palette(rng);
            if let Some(slot) = doc.pointer_mut(&at) {
                *slot = v;
            }
        }
        _ => {
            let key = KEYS[rng.below(KEYS.len())];
            let v = palette(rng);
            if let Some(Value::Object(m)) = doc.pointer_mut(&at) {
                m.insert(key.to_string(), v);
            }
        }
    }
}

/// The whole pipeline on a parsed document, as codegen runs it.
fn pipeline(doc: Value, rules: &str) -> Result<(), String> {
    let n = match normalise(doc) {
        Ok(n) => n,
        Err(e) => {
            for l in &e {
                assert!(l.pointer.starts_with('#'), "unlocated: {l}");
            }
            return Err(xtask::normalise::render_errors(&e));
        }
    };
    let api = xtask::spec::to_openapi(&n.doc)?;
    let (_, layouts) = xtask::rules::generate_rules_and_layouts(&api, rules)
        .map_err(|e| format!("{} rule problems", e.len()))?;
    let mut lenient = n.doc.clone();
    xtask::leniency::apply(&mut lenient);
    xtask::leniency::split_default_responses(&mut lenient);
    let client = xtask::codegen::generate_client(&lenient).map_err(|e| e.to_string())?;
    xtask::typed::generate_typed_module(&layouts, &client)?;
    Ok(())
}

#[test]
fn no_mutated_document_makes_the_pipeline_panic() {
    let base = load("xtask/tests/fixtures/mini-spec.yaml");
    let rules =
        std::fs::read_to_string(root().join("xtask/tests/fixtures/mini-rules.yaml")).unwrap();
    let runs: usize = std::env::var("VT4G_NORMALISE_MUTATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    let (mut generated, mut refused, mut located_panics) = (0, 0, 0);
    for seed in 1..=runs as u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut doc = base.clone();
        for _ in 0..1 + rng.below(3) {
            mutate(&mut doc, &mut rng);
        }
        if std::env::var_os("VT4G_NORMALISE_TRACE").is_some() {
            eprintln!("seed {seed}");
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pipeline(doc.clone(), &rules)
        }));
        match outcome {
            Err(_) => panic!(
                "seed {seed}: the pipeline panicked on\n{}",
                serde_json::to_string_pretty(&doc).unwrap()
            ),
            Ok(Err(e)) => {
                // A generator panic is caught and located.
                assert!(
                    !e.contains("progenitor panicked") || e.contains(" at #/"),
                    "seed {seed}: {e}\n{}",
                    serde_json::to_string_pretty(&doc).unwrap()
                );
                if e.contains("progenitor panicked") {
                    located_panics += 1;
                }
                refused += 1;
            }
            Ok(Ok(())) => generated += 1,
        }
    }
    // Both outcomes occur: the mutations are neither all harmless nor all fatal.
    assert!(
        generated > 0 && refused > 0,
        "{generated} generated, {refused} refused ({located_panics} located generator panics)"
    );
    eprintln!(
        "{generated} generated, {refused} refused ({located_panics} located generator panics)"
    );
}

#[test]
fn a_generator_panic_is_reported_at_the_schema_that_causes_it() {
    let mut doc = fixture("several-success-identical.yaml");
    // typify 0.8 has no conversion for a `not` of an object schema (a `todo!`).
    doc["components"]["schemas"]["Result"]["properties"]["odd"] =
        json!({"not": {"type": "object", "properties": {"a": {"type": "string"}}}});
    let n = ok(doc);
    let e = generate(&n.doc).unwrap_err();
    assert!(e.contains("progenitor panicked"), "{e}");
    assert!(
        e.contains(" at #/components/schemas/Result/properties/odd: "),
        "{e}"
    );
}

#[test]
fn dangling_and_external_references_are_located() {
    let mut doc = fixture("several-success-identical.yaml");
    doc["components"]["schemas"]["Result"]["properties"]["a"] =
        json!({"$ref": "#/components/schemas/Missing"});
    doc["components"]["schemas"]["Result"]["properties"]["b"] =
        json!({"$ref": "common.yaml#/Thing"});
    doc["components"]["schemas"]["Result"]["properties"]["c"] = json!({"$ref": "#/paths"});
    let e = errors(doc.clone());
    let p = "#/components/schemas/Result/properties";
    assert_has(&e, &format!("{p}/a/$ref"), "points at nothing");
    assert_has(&e, &format!("{p}/b/$ref"), "not a local reference");
    assert_eq!(e.len(), 2, "{e:#?}");
    doc["components"]["schemas"]["Result"]["properties"]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| k == "c");
    let e = errors(doc);
    assert_has(
        &e,
        &format!("{p}/c/$ref"),
        "must point into #/components/schemas/",
    );
}

#[test]
fn a_recursive_allof_is_refused_before_typify_overflows_its_stack() {
    let mut doc = load("xtask/tests/fixtures/mini-spec.yaml");
    doc["components"]["schemas"]["PayRequest"]["properties"]["item"]["items"] = json!({
        "allOf": [
            {"$ref": "#/components/schemas/PayRequest"},
            {"type": "object", "properties": {"z": {"type": "string"}}}
        ]
    });
    let e = errors(doc);
    assert_has(
        &e,
        "#/components/schemas/PayRequest/properties/item/items/allOf/0",
        "leads back to `#/components/schemas/PayRequest`",
    );
}

#[test]
fn a_recursive_request_schema_is_a_rules_error_not_a_stack_overflow() {
    let mut doc = load("xtask/tests/fixtures/mini-spec.yaml");
    doc["components"]["schemas"]["PayRequest"]["properties"]["item"]["items"] =
        json!({"$ref": "#/components/schemas/PayRequest"});
    let n = ok(doc);
    let api = xtask::spec::to_openapi(&n.doc).unwrap();
    let rules =
        std::fs::read_to_string(root().join("xtask/tests/fixtures/mini-rules.yaml")).unwrap();
    let errs = xtask::rules::generate_rules_and_layouts(&api, &rules).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.command == "pay" && e.problem.contains("nests deeper than 32 levels")),
        "{errs:#?}"
    );
}
