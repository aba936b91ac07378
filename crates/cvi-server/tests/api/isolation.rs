//! Tenant isolation on every operation of the OpenAPI document, generated from the
//! document itself: a new endpoint is covered without editing this test. Tenant `b` calls
//! each operation with each of its roles, naming tenant `a`'s things (its provider, meeting
//! key, organizer, bridge, Video ID, dial string) wherever a parameter or body field can
//! hold them. Whatever each answer is, it is never a 5xx, a success never shows `a`'s
//! data, and at the end nothing of `a` has changed.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::common::{self, Backend};
use crate::*;

/// What `a` has, by the parameter or field name that would carry it.
fn a_values(vid: &str, bridge: &str) -> BTreeMap<&'static str, Value> {
    BTreeMap::from([
        ("name", json!("Polycom")),
        ("provider", json!("Polycom")),
        ("key", json!("meet-a")),
        ("meeting_key", json!("meet-a")),
        ("upn", json!("ann@a.example")),
        ("identity", json!("ann@a.example")),
        ("username", json!(bridge)),
        ("video_id", json!(vid)),
        ("dial_string", json!(format!("813878896.{vid}@t.plcm.vc"))),
        ("tenant_key", json!("813878896@t.plcm.vc")),
        ("start", json!("2027-01-23T09:00:00Z")),
        ("end", json!("2027-01-23T11:00:00Z")),
        ("target", json!("global")),
        ("policy_name", json!("Tag:PolycomServiceProviderEnabled")),
    ])
}

/// The schema `s` points to, through `$ref`s.
fn resolve<'d>(doc: &'d Value, s: &'d Value) -> &'d Value {
    match s["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => resolve(doc, &doc["components"]["schemas"][name]),
        None => s,
    }
}

/// A value for `schema`: `a`'s value where the field's name carries one, else a plain one.
fn sample(doc: &Value, schema: &Value, values: &BTreeMap<&str, Value>) -> Value {
    let s = resolve(doc, schema);
    if let Some(first) = s["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    for alt in ["oneOf", "anyOf"] {
        if let Some(first) = s[alt]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["type"] != "null"))
        {
            return sample(doc, first, values);
        }
    }
    if let Some(parts) = s["allOf"].as_array() {
        let mut merged = Map::new();
        for p in parts {
            if let Value::Object(o) = sample(doc, p, values) {
                merged.extend(o);
            }
        }
        return Value::Object(merged);
    }
    let ty = match &s["type"] {
        Value::Array(t) => t
            .iter()
            .find(|x| *x != "null")
            .cloned()
            .unwrap_or(Value::Null),
        t => t.clone(),
    };
    match ty.as_str().unwrap_or(if s["properties"].is_object() {
        "object"
    } else {
        ""
    }) {
        "object" => {
            let required: Vec<&str> = s["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut o = Map::new();
            for (field, fs) in s["properties"].as_object().into_iter().flatten() {
                if let Some(v) = values.get(field.as_str()) {
                    o.insert(field.clone(), v.clone());
                } else if required.contains(&field.as_str()) {
                    o.insert(field.clone(), sample(doc, fs, values));
                }
            }
            Value::Object(o)
        }
        "array" => json!([sample(doc, &s["items"], values)]),
        "string" => json!("x"),
        "integer" | "number" => json!(1),
        "boolean" => json!(false),
        _ => Value::Null,
    }
}

fn encode(v: &Value) -> String {
    let s = v.as_str().map_or_else(|| v.to_string(), String::from);
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

on_both!(
    every_operation_in_the_openapi_document_keeps_tenants_apart,
    |b: Backend| {
        let s = common::start(b);
        let admin_a = provision(&s, "a");
        let org_a = s.token("a", "ann@a.example", "organizer");
        let (st, m) = issue(&s, &org_a, "meet-a");
        assert_eq!(st, 201, "{m}");
        let vid = m["video_id"].as_str().unwrap().to_string();
        let (st, bridge) = s.call(
            "POST",
            "/api/v1/bridges",
            Some(&admin_a),
            Some(json!({"provider": "Polycom"})),
        );
        assert_eq!(st, 201, "{bridge}");
        let bridge = bridge["username"].as_str().unwrap().to_string();
        let tables = [
            "providers",
            "grants",
            "consents",
            "meetings",
            "bridges",
            "audit_log",
        ];
        let before = tables.map(|t| s.count(t, "a"));
        // `a`'s things no answer to `b` may show (its subject is in no request).
        let secrets = [
            "Quarterly review",
            vid.as_str(),
            bridge.as_str(),
            "admin@a.example",
        ];

        let (st, doc) = s.call("GET", "/api/v1/openapi.json", None, None);
        assert_eq!(st, 200);
        let values = a_values(&vid, &bridge);
        let callers = [
            s.token("b", "admin@b.example", "admin"),
            s.token("b", "ann@a.example", "organizer"), // a's organizer's UPN, in b
            s.token_with(
                json!({"tenant": "b", "user": "ivr", "role": "partner", "app_id": POLY_APP}),
            ),
        ];
        let mut operations = 0;
        for (template, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().into_iter().flatten() {
                if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    continue;
                }
                operations += 1;
                let mut path = template.clone();
                let mut query = Vec::new();
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let name = p["name"].as_str().unwrap_or_default();
                    let v = values
                        .get(name)
                        .cloned()
                        .unwrap_or_else(|| sample(&doc, &p["schema"], &values));
                    match p["in"].as_str() {
                        Some("path") => path = path.replace(&format!("{{{name}}}"), &encode(&v)),
                        Some("query") if values.contains_key(name) || p["required"] == true => {
                            query.push(format!("{name}={}", encode(&v)))
                        }
                        _ => {}
                    }
                }
                if !query.is_empty() {
                    path = format!("{path}?{}", query.join("&"));
                }
                let body = op["requestBody"]["content"]["application/json"]["schema"]
                    .as_object()
                    .map(|schema| sample(&doc, &Value::Object(schema.clone()), &values));
                let sent = format!(
                    "{path} {}",
                    body.as_ref().map(Value::to_string).unwrap_or_default()
                );
                for token in &callers {
                    let m = method.to_uppercase();
                    let (st, v) = s.call(&m, &path, Some(token), body.clone());
                    assert!(st < 500, "{m} {sent}: {st} {v}");
                    if (200..300).contains(&st) {
                        let shown = v.to_string();
                        for secret in secrets.iter().filter(|x| !sent.contains(**x)) {
                            assert!(
                                !shown.contains(secret),
                                "{m} {sent} showed tenant a's {secret:?}: {v}"
                            );
                        }
                    }
                }
            }
        }
        assert!(
            operations >= 25,
            "the document lists every operation, saw {operations}"
        );
        assert_eq!(
            before,
            tables.map(|t| s.count(t, "a")),
            "tenant b changed nothing of tenant a"
        );
        let (st, own) = s.call("GET", "/api/v1/meetings/meet-a", Some(&org_a), None);
        assert_eq!((st, own["video_id"].as_str()), (200, Some(vid.as_str())));
    }
);
