//! "Coordinates in every Teams meeting": the admin's switch and status, and the door Graph's
//! change notifications come in by (validation handshake; each notification checked against
//! our subscription and kept, or dropped).

use cvi_store::inject::{put_subscription, Subscription};
use cvi_testkit::request;
use serde_json::{json, Value};

use crate::common::{self, Backend, Server};
use crate::on_both;

on_both!(an_admin_turns_it_on_and_off, |b: Backend| {
    let s = common::start(b);
    let admin = s.token("t", "admin@t.example", "admin");
    let (st, v) = s.call("GET", "/api/v1/inject", Some(&admin), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["enabled"], false);
    assert_eq!(v["graph_configured"], false);
    // Without Graph access the status says what the operator must do.
    assert!(
        v["missing"][0]
            .as_str()
            .unwrap()
            .contains("--client-id and --client-secret-file"),
        "{v}"
    );
    let (st, v) = s.call(
        "PUT",
        "/api/v1/inject",
        Some(&admin),
        Some(json!({"enabled": true})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["enabled"], true);
    // The switch is recorded; turning it on twice records it once.
    s.call(
        "PUT",
        "/api/v1/inject",
        Some(&admin),
        Some(json!({"enabled": true})),
    );
    let (_, audit) = s.call("GET", "/api/v1/audit?action=inject", Some(&admin), None);
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["inject.enable"], "{audit}");
    // Another tenant's admin sees its own tenant, still off.
    let other = s.token("u", "admin@u.example", "admin");
    let (_, v) = s.call("GET", "/api/v1/inject", Some(&other), None);
    assert_eq!(v["enabled"], false);
    // Organizers may not switch it.
    let ann = s.token("t", "ann@t.example", "organizer");
    let (st, v) = s.call(
        "PUT",
        "/api/v1/inject",
        Some(&ann),
        Some(json!({"enabled": false})),
    );
    assert_eq!(st, 403, "{v}");
    // A body that is not `{"enabled": bool}` is refused, saying what was wrong.
    let (st, v) = s.call(
        "PUT",
        "/api/v1/inject",
        Some(&admin),
        Some(json!({"enabled": "yes"})),
    );
    assert_eq!(st, 400, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("enabled"), "{v}");
    let (st, v) = s.call(
        "PUT",
        "/api/v1/inject",
        Some(&admin),
        Some(json!({"enabled": false})),
    );
    assert_eq!((st, &v["enabled"]), (200, &json!(false)), "{v}");
});

#[test]
fn graph_validation_token_is_echoed_as_plain_text() {
    let s = common::start(Backend::Sqlite);
    // As Graph sends it: URL-encoded in the query, to be answered decoded, as text/plain.
    let r = request(
        &format!(
            "{}/graph/notifications?validationToken=Validation%3A%20Testing%20client%20application%20reachability%20for%20subscription%20Request-Id%3A%2025d3a4a2",
            s.url
        ),
        "POST",
        None,
        None,
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(
        r.content_type.starts_with("text/plain"),
        "{}",
        r.content_type
    );
    assert_eq!(
        r.body,
        json!("Validation: Testing client application reachability for subscription Request-Id: 25d3a4a2")
    );
}

const USER: &str = "8f2b1c3d-0e4a-4b5c-9d6e-7f8091a2b3c4";
const SUBSCRIPTION: &str = "7f105c7d-2dc5-4530-97cd-4e7ae6534c07";
const STATE: &str = "secretClientValue-5c1e";

/// A delivery in the shape of "Receive change notifications through webhooks"
/// (learn.microsoft.com/graph/change-notifications-delivery-webhooks, "Change notification
/// example"), for an event of `user` instead of the page's message.
fn delivery(tenant: &str, subscription: &str, state: &str, user: &str, change: &str) -> Value {
    json!({"value": [{
        "id": "lsgTZMr9KwAAA",
        "subscriptionId": subscription,
        "subscriptionExpirationDateTime": "2027-01-25T22:11:09.952Z",
        "clientState": state,
        "changeType": change,
        "resource": format!("Users/{user}/Events/AAMkAGUwNjQ4ZjIxAAA="),
        "tenantId": tenant,
        "resourceData": {
            "@odata.type": "#Microsoft.Graph.Event",
            "@odata.id": format!("Users/{user}/Events/AAMkAGUwNjQ4ZjIxAAA="),
            "@odata.etag": "W/\"CQAAABYAAADkrWGo7bouTKlsgTZMr9KwAAAUWRHf\"",
            "id": "AAMkAGUwNjQ4ZjIxAAA="
        }
    }]})
}

fn subscribe(s: &Server, tenant: &str, id: &str, user: &str) {
    s.block_on(async {
        let mut conn = s.db.acquire().await.unwrap();
        put_subscription(
            &mut conn,
            &Subscription {
                id: id.into(),
                tenant: tenant.into(),
                user: user.into(),
                upn: "ann@t.example".into(),
                client_state: STATE.into(),
                expires_at_ms: cvi_store::db::now_ms() + 3 * 86_400_000,
            },
        )
        .await
        .unwrap();
    });
}

fn waiting(s: &Server, admin: &str) -> i64 {
    let (st, v) = s.call("GET", "/api/v1/inject", Some(admin), None);
    assert_eq!(st, 200, "{v}");
    v["queue_depth"].as_i64().unwrap()
}

on_both!(
    notifications_of_our_subscriptions_are_kept_forged_ones_dropped,
    |b: Backend| {
        let s = common::start(b);
        let admin = s.token("t", "admin@t.example", "admin");
        subscribe(&s, "t", SUBSCRIPTION, USER);
        let post = |body: Value| {
            request(
                &format!("{}/graph/notifications", s.url),
                "POST",
                None,
                Some(body),
            )
        };
        // Forged: unknown subscription, wrong clientState, another tenant, another user's
        // event, a change Graph does not send. Each is answered 202 (Graph retries anything
        // else) and nothing is kept.
        for forged in [
            delivery(
                "t",
                "00000000-0000-0000-0000-000000000000",
                STATE,
                USER,
                "created",
            ),
            delivery("t", SUBSCRIPTION, "guessed", USER, "created"),
            delivery("u", SUBSCRIPTION, STATE, USER, "created"),
            delivery("t", SUBSCRIPTION, STATE, "someone-else", "created"),
            delivery("t", SUBSCRIPTION, STATE, USER, "renamed"),
        ] {
            let r = post(forged.clone());
            assert_eq!(r.status, 202, "{forged}: {:?}", r.body);
        }
        assert_eq!(waiting(&s, &admin), 0);
        assert_eq!(s.count("graph_inbox", "t") + s.count("graph_inbox", "u"), 0);
        let metrics = request(&format!("{}/metrics", s.url), "GET", None, None);
        let text = metrics.body.as_str().unwrap().to_string();
        for why in [
            "unknown-subscription",
            "wrong-client-state",
            "wrong-tenant",
            "odd-resource",
            "unknown-change",
        ] {
            assert!(
                text.contains(&format!(
                    "cvi_graph_notifications_total{{outcome=\"{why}\"}} 1"
                )),
                "{why} counted: {text}"
            );
        }

        // Ours: kept until processed, whether Graph names the user alone or with its tenant.
        assert_eq!(
            post(delivery("t", SUBSCRIPTION, STATE, USER, "created")).status,
            202
        );
        let with_tenant = format!("{USER}@t");
        assert_eq!(
            post(delivery("t", SUBSCRIPTION, STATE, &with_tenant, "updated")).status,
            202
        );
        assert_eq!(waiting(&s, &admin), 2);
        // A lifecycle notification (no event) is kept too.
        let lifecycle = json!({"value": [{
            "subscriptionId": SUBSCRIPTION,
            "subscriptionExpirationDateTime": "2027-01-25T22:11:09.952Z",
            "tenantId": "t",
            "clientState": STATE,
            "lifecycleEvent": "reauthorizationRequired"
        }]});
        assert_eq!(post(lifecycle).status, 202);
        assert_eq!(waiting(&s, &admin), 3);
        // What is kept: ids and times, no content.
        let kinds: Vec<(String, Option<String>)> = s.block_on(async {
            sqlx::query_as("SELECT kind, event_id FROM graph_inbox ORDER BY id")
                .fetch_all(&s.db)
                .await
                .unwrap()
        });
        assert_eq!(
            kinds,
            [
                (
                    "created".to_string(),
                    Some("AAMkAGUwNjQ4ZjIxAAA=".to_string())
                ),
                (
                    "updated".to_string(),
                    Some("AAMkAGUwNjQ4ZjIxAAA=".to_string())
                ),
                ("reauthorizationRequired".to_string(), None),
            ]
        );
        // Another tenant's admin sees none of it.
        let other = s.token("u", "admin@u.example", "admin");
        assert_eq!(waiting(&s, &other), 0);
    }
);

#[test]
fn a_body_that_is_not_a_notification_collection_is_refused() {
    let s = common::start(Backend::Sqlite);
    let r = request(
        &format!("{}/graph/notifications", s.url),
        "POST",
        None,
        Some(json!({"hello": "world"})),
    );
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("change notification"),
        "{:?}",
        r.body
    );
}
