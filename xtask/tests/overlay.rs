//! Overlay 1.0.0 application: update merge, append, remove, drift and located errors.

use serde_json::{json, Value};
use xtask::overlay::{self, ActionKind};

fn overlay_of(actions: Value) -> overlay::Overlay {
    overlay::parse(&json!({
        "overlay": "1.0.0",
        "info": {"title": "test", "version": "1"},
        "actions": actions,
    }))
    .expect("valid overlay")
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn update_merges_objects_recursively_appends_arrays_and_replaces_primitives() {
    let mut doc = json!({
        "schema": {
            "type": "string",
            "description": "vendor text",
            "enum": ["a"],
            "nested": {"keep": 1, "change": 2},
            "maxLength": 10
        }
    });
    let ov = overlay_of(json!([{
        "target": "$.schema",
        "update": {
            "description": "our text",
            "enum": ["b"],
            "nested": {"change": 3, "add": 4},
            "x-vt4g-format": "URL format"
        }
    }]));
    overlay::apply(&mut doc, &ov).unwrap();
    assert_eq!(
        doc,
        json!({
            "schema": {
                "type": "string",
                "description": "our text",
                "enum": ["a", "b"],
                "nested": {"keep": 1, "change": 3, "add": 4},
                "maxLength": 10,
                "x-vt4g-format": "URL format"
            }
        })
    );
    // A replaced member keeps its place; new members come last.
    assert_eq!(
        keys(&doc["schema"]),
        [
            "type",
            "description",
            "enum",
            "nested",
            "maxLength",
            "x-vt4g-format"
        ]
    );
    assert_eq!(keys(&doc["schema"]["nested"]), ["keep", "change", "add"]);
}

#[test]
fn update_on_an_array_target_appends_one_entry() {
    let mut doc = json!({"oneOf": [{"$ref": "#/a"}]});
    let ov = overlay_of(json!([{"target": "$.oneOf", "update": {"$ref": "#/b"}}]));
    overlay::apply(&mut doc, &ov).unwrap();
    assert_eq!(doc, json!({"oneOf": [{"$ref": "#/a"}, {"$ref": "#/b"}]}));
}

#[test]
fn update_applies_to_every_node_a_filter_selects() {
    let mut doc = json!({
        "a": {"pattern": "URL format"},
        "b": {"properties": {"c": {"pattern": "URL format"}, "d": {"pattern": "other"}}}
    });
    let ov = overlay_of(json!([
        {"target": "$..[?@.pattern == 'URL format']", "update": {"x-vt4g-format": "URL format"}},
        {"target": "$..[?@.pattern == 'URL format'].pattern", "remove": true}
    ]));
    overlay::apply(&mut doc, &ov).unwrap();
    assert_eq!(
        doc,
        json!({
            "a": {"x-vt4g-format": "URL format"},
            "b": {"properties": {"c": {"x-vt4g-format": "URL format"}, "d": {"pattern": "other"}}}
        })
    );
}

#[test]
fn remove_deletes_members_and_array_entries_without_shifting_the_others() {
    let mut doc = json!({
        "list": [{"drop": true}, {"drop": false}, {"drop": true}, {"drop": true}],
        "schema": {"title": "order", "format": "date", "type": "string"}
    });
    let ov = overlay_of(json!([
        {"target": "$.list[?@.drop == true]", "remove": true},
        {"target": "$.schema.format", "remove": true, "update": {"ignored": 1}}
    ]));
    assert_eq!(ov.actions[1].kind, ActionKind::Remove);
    overlay::apply(&mut doc, &ov).unwrap();
    assert_eq!(
        doc,
        json!({"list": [{"drop": false}], "schema": {"title": "order", "type": "string"}})
    );
}

#[test]
fn an_action_that_matches_nothing_is_drift_naming_index_description_and_target() {
    let mut doc = json!({"components": {"schemas": {"PayOrder": {"type": "object"}}}});
    let ov = overlay_of(json!([
        {"target": "$.components.schemas.PayOrder", "update": {"description": "ours"}},
        {
            "target": "$.components.schemas.CancelProtocol",
            "description": "CancelProtocol: our notes",
            "update": {"description": "ours"}
        }
    ]));
    let errors = overlay::apply(&mut doc, &ov).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(e.pointer, "#/actions/1");
    let text = e.to_string();
    assert!(text.contains("action 1"), "{text}");
    assert!(text.contains("CancelProtocol: our notes"), "{text}");
    assert!(
        text.contains("$.components.schemas.CancelProtocol"),
        "{text}"
    );
    assert!(text.contains("drift"), "{text}");
    // The other actions were still applied.
    assert_eq!(
        doc["components"]["schemas"]["PayOrder"]["description"],
        "ours"
    );
}

#[test]
fn update_of_a_primitive_is_a_located_error() {
    let mut doc = json!({"info": {"version": "1.1.3"}});
    let ov = overlay_of(json!([{"target": "$.info.version", "update": {"x": 1}}]));
    let errors = overlay::apply(&mut doc, &ov).unwrap_err();
    assert_eq!(errors[0].pointer, "#/info/version");
    assert!(errors[0].message.contains("primitive"), "{errors:?}");
}

#[test]
fn malformed_overlays_are_reported_with_pointers() {
    let errors = overlay::parse(&json!({
        "overlay": "2.0.0",
        "info": {"title": "t"},
        "actions": [
            {"target": "$.paths[", "update": {}},
            {"target": "$.info"},
            {"update": {}}
        ]
    }))
    .unwrap_err();
    let pointers: Vec<&str> = errors.iter().map(|e| e.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "#/overlay",
            "#/info/version",
            "#/actions/0/target",
            "#/actions/1",
            "#/actions/2/target"
        ]
    );
    assert!(errors[2].message.contains("RFC 9535"), "{errors:?}");
}

#[test]
fn the_workspace_overlay_parses_and_extends_the_vendor_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("openapi/vt4g.overlay.yaml")).unwrap();
    let ov = overlay::parse(&xtask::spec::parse_yaml(&text).unwrap()).unwrap();
    assert_eq!(ov.extends.as_deref(), Some("vendor/unified-api-1.1.3.yaml"));
    assert!(ov.actions.iter().all(|a| a.description.is_some()));
}

#[test]
fn merging_incompatible_kinds_is_a_located_error() {
    let mut doc = json!({"schema": {"example": "indoor", "type": "string"}});
    let ov = overlay_of(json!([{
        "target": "$.schema",
        "description": "tag is an array",
        "update": {"type": "array", "example": ["indoor"]}
    }]));
    let errors = overlay::apply(&mut doc, &ov).unwrap_err();
    assert_eq!(errors[0].pointer, "#/schema/example");
    assert!(errors[0].message.contains("tag is an array"), "{errors:?}");
    assert!(errors[0].message.contains("incompatible"), "{errors:?}");
}
