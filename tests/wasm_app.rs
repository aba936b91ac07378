//! The add-in in a real browser (headless Chromium via wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

use cvi_core::{
    dial_plan,
    invite::{render, Lang},
    Coordinates, Provider, ProviderName, TenantKey, VideoId,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn field(name: &str) -> String {
    let doc = web_sys::window().unwrap().document().unwrap();
    doc.query_selector(&format!("[data-field={name}]"))
        .unwrap()
        .unwrap_or_else(|| panic!("no [data-field={name}] in the page"))
        .text_content()
        .unwrap_or_default()
}

fn demo_coordinates() -> Coordinates {
    let p = Provider::new(
        ProviderName::Polycom,
        TenantKey::parse("813878896@t.plcm.vc").unwrap(),
    );
    Coordinates::for_provider(&p, VideoId::from_body(122_326_964))
}

#[wasm_bindgen_test]
fn card_and_preview_show_what_cvi_core_renders() {
    use cvi_addin::components::{BlockPreview, CoordinatesCard};
    use leptos::prelude::*;
    let c = demo_coordinates();
    let shown = c.clone();
    leptos::mount::mount_to_body(move || {
        view! {
            <CoordinatesCard coords=shown.clone() />
            <BlockPreview coords=shown.clone() lang=Lang::De />
        }
    });
    assert_eq!(field("tenant-key"), "813878896@t.plcm.vc");
    let id = field("video-id");
    assert_eq!(id, c.video_id.clone().unwrap().grouped());
    assert!(VideoId::parse(&id).unwrap().has_valid_check_digit());
    assert_eq!(field("direct-dial"), c.direct_dial_uri.clone().unwrap());
    let doc = web_sys::window().unwrap().document().unwrap();
    let block = doc
        .query_selector("[data-testid=block-preview] #cvi-vtc-block")
        .unwrap()
        .expect("the block's root element");
    assert_eq!(
        block.outer_html(),
        render(&c, Lang::De).html,
        "the preview is the block itself"
    );
    assert!(doc
        .body()
        .unwrap()
        .text_content()
        .unwrap()
        .contains("Mandantenschlüssel"));
}

#[wasm_bindgen_test]
fn every_failure_says_its_own_words() {
    use cvi_addin::{
        api::{ApiError, Problem, ProblemKind},
        i18n::t,
        workflow::Failure,
    };
    let mut failures = vec![
        Failure::from(ApiError::Unreachable("offline".into())),
        Failure::from(ApiError::Unexpected("not JSON".into())),
        Failure::Host("the host refused".into()),
        Failure::BodyTooLarge,
        Failure::Foreign(Box::default()),
        Failure::SignIn("no token".into()),
    ];
    failures.extend(ProblemKind::ALL.map(|kind| {
        Failure::from(ApiError::Problem(Problem {
            kind,
            title: kind.title().into(),
            status: kind.status(),
            detail: "why".into(),
            missing_app_ids: None,
        }))
    }));
    // The command's lookup by row says what the pane's lookup by key says (the other
    // languages are files, held to these keys by tests/words.rs).
    for f in &failures {
        let (key, detail) = f.message();
        assert_eq!(f.text(), (t(key), detail), "{f:?}");
    }
}

#[wasm_bindgen_test]
fn theme_follows_the_hosts_background() {
    use cvi_addin::host::Theme;
    assert_eq!(Theme::from_background("#1f1f1f"), Theme::Dark);
    assert_eq!(Theme::from_background("#FFFFFF"), Theme::Light);
    assert_eq!(Theme::from_background("not a colour"), Theme::Light);
}

#[wasm_bindgen_test]
fn upsert_and_extract_run_in_the_browser() {
    use cvi_core::invite::{extract, remove, upsert, BodyKind, Extraction};
    let c = demo_coordinates();
    let body = "<html><body><p class=MsoNormal>Agenda &amp; notes<o:p></o:p></p></body></html>";
    let once = upsert(body, BodyKind::Html, &render(&c, Lang::Ja));
    assert_eq!(upsert(&once, BodyKind::Html, &render(&c, Lang::Ja)), once);
    assert_eq!(remove(&once, BodyKind::Html), body);
    let Extraction::Found(found) = extract(&once) else {
        panic!("no block found in {once}")
    };
    assert_eq!(found.video_id, c.video_id);
}

#[wasm_bindgen_test]
fn domain_code_runs_in_wasm() {
    // Rejection sampling and the Damm digit behave the same in wasm32 as natively.
    let id = VideoId::from_body(999_999_999);
    assert!(id.has_valid_check_digit());
    let configured = vec![(
        cvi_core::ProviderName::Polycom,
        cvi_core::TenantKey::parse("813878896@t.plcm.vc").unwrap(),
    )];
    let m = dial_plan::match_direct_dial(&format!("sip:813878896.{id}@t.plcm.vc"), &configured)
        .unwrap();
    assert_eq!(m.video_id, id);
}

/// `value` as the server writes it (serde_json), parsed by the browser.
fn as_server_writes<T: serde::Serialize>(value: &T) -> wasm_bindgen::JsValue {
    js_sys::JSON::parse(&serde_json::to_string(value).unwrap()).unwrap()
}

/// Reads what serde_json wrote for each of `values` and gets the same value back.
fn reads_back<T>(values: &[T])
where
    T: serde::Serialize + cvi_addin::api::wire::FromJs + PartialEq + std::fmt::Debug,
{
    for v in values {
        assert_eq!(&T::from_js(&as_server_writes(v)).unwrap(), v);
    }
}

/// Writes each of `values` as exactly the JSON serde_json writes (absent fields absent).
fn writes_as_serde<T>(values: &[T])
where
    T: serde::Serialize + cvi_addin::api::wire::ToJs,
{
    for v in values {
        let ours = String::from(js_sys::JSON::stringify(&v.to_js()).unwrap());
        let ours: serde_json::Value = serde_json::from_str(&ours).unwrap();
        assert_eq!(ours, serde_json::to_value(v).unwrap());
    }
}

fn demo_meeting(cancelled: bool) -> cvi_core::api::Meeting {
    let mut coordinates = demo_coordinates();
    coordinates.meeting_key = Some("AAMkAGI2TG93AAA=".into());
    coordinates.teams_join_url =
        Some("https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0".into());
    coordinates.expires_at = Some("2027-02-04T10:00:00Z".into());
    coordinates.block = Some(render(&coordinates, Lang::En));
    cvi_core::api::Meeting {
        coordinates,
        subject: cancelled.then(|| "Quarterly review — Zürich".into()),
        start: "2026-12-06T09:00:00Z".into(),
        end: "2026-12-06T10:00:00Z".into(),
        organizer: "ann@fabrikam.example".into(),
        cancelled,
    }
}

#[wasm_bindgen_test]
fn replies_read_by_hand_are_what_the_server_wrote() {
    use cvi_core::api::*;
    let bare = Meeting {
        coordinates: Coordinates::default(),
        ..demo_meeting(false)
    };
    reads_back(&[demo_meeting(false), demo_meeting(true), bare]);
    reads_back(&[Scheduled {
        meeting: demo_meeting(false),
        event_id: "AAMkAGI2THVSAAA=".into(),
    }]);
    let policy = PolicyView {
        identity: "Tag:PolycomServiceProviderEnabled".into(),
        description: "Polycom".into(),
        provider_name: "Polycom".into(),
        enabled: true,
    };
    let grant = |target, identity: Option<&str>, rank| GrantView {
        target,
        identity: identity.map(str::to_string),
        rank,
        policy_name: policy.identity.clone(),
    };
    reads_back(
        &[
            Some(grant(TargetKind::User, Some("ann@fabrikam.example"), None)),
            Some(grant(TargetKind::Group, Some("5f2c"), Some(2))),
            Some(grant(TargetKind::Global, None, None)),
            None,
        ]
        .map(|g| EffectiveView {
            user: "ann@fabrikam.example".into(),
            policy: policy.clone(),
            source: "group".into(),
            grant: g,
            reason: "the group 5f2c's grant (rank 2)".into(),
        }),
    );
    let problems: Vec<_> = ProblemKind::ALL
        .into_iter()
        .map(|kind| Problem {
            kind,
            title: kind.title().into(),
            status: kind.status(),
            detail: "what was wrong".into(),
            missing_app_ids: (kind == ProblemKind::ConsentMissing)
                .then(|| vec!["a07fc3a5-1e3c-4a2b-9f1e-2d6b8c4e9a10".into()]),
        })
        .collect();
    reads_back(&problems);
    reads_back(&[TokenReply {
        token: "eyJhbGciOi.x.y".into(),
        expires_in: 3600,
    }]);
}

#[wasm_bindgen_test]
fn a_reply_off_contract_names_the_field() {
    use cvi_addin::api::wire::{Bad, FromJs};
    use cvi_core::api::{Meeting, Problem};
    let with = |field: &str, value: serde_json::Value| {
        let mut m = serde_json::to_value(demo_meeting(false)).unwrap();
        m[field] = value;
        Meeting::from_js(&js_sys::JSON::parse(&m.to_string()).unwrap())
    };
    assert_eq!(with("video_id", "12345".into()), Err(Bad("video_id")));
    assert_eq!(
        with("tenant_key", "no-at-sign".into()),
        Err(Bad("tenant_key"))
    );
    assert_eq!(with("provider", "polycom".into()), Err(Bad("provider")));
    assert_eq!(with("start", 7.into()), Err(Bad("start")));
    assert_eq!(
        with("organizer", serde_json::Value::Null),
        Err(Bad("organizer"))
    );
    assert_eq!(with("cancelled", "no".into()), Err(Bad("cancelled")));
    assert_eq!(
        with("block", serde_json::json!({"html": "<p>x</p>"})),
        Err(Bad("text"))
    );
    assert!(with("subject", serde_json::Value::Null).is_ok());
    let list = js_sys::JSON::parse("[]").unwrap();
    assert_eq!(Meeting::from_js(&list), Err(Bad("meeting")));
    let problem = |status: &str| {
        let text = format!(
            r#"{{"type":"urn:cvi:problem:not-found","title":"t","status":{status},"detail":"d"}}"#
        );
        Problem::from_js(&js_sys::JSON::parse(&text).unwrap())
    };
    assert!(problem("404").is_ok());
    assert_eq!(problem("404.5"), Err(Bad("status")));
    assert_eq!(problem("70000"), Err(Bad("status")));
    assert_eq!(problem("\"404\""), Err(Bad("status")));
}

#[wasm_bindgen_test]
fn requests_written_by_hand_are_what_serde_writes() {
    use cvi_core::api::*;
    writes_as_serde(&[
        IssueRequest {
            meeting_key: "k1".into(),
            subject: None,
            start: "2026-12-06T09:00:00Z".into(),
            end: "2026-12-06T10:00:00Z".into(),
            series_end: None,
            lang: None,
            teams_join_url: None,
        },
        IssueRequest {
            meeting_key: "k2".into(),
            subject: Some("Review \"Q4\" <draft>".into()),
            start: "2026-12-06T09:00:00Z".into(),
            end: "2026-12-06T10:00:00Z".into(),
            series_end: Some("2027-03-01T10:00:00Z".into()),
            lang: Some("de".into()),
            teams_join_url: Some("https://teams.microsoft.com/l/meetup-join/x".into()),
        },
    ]);
    writes_as_serde(&[
        UpdateRequest {
            subject: None,
            start: Some("2026-12-07T09:00:00Z".into()),
            end: Some("2026-12-07T10:00:00Z".into()),
            series_end: None,
            lang: None,
            teams_join_url: None,
        },
        UpdateRequest {
            subject: Some("s".into()),
            start: None,
            end: None,
            series_end: Some("2027-01-01T00:00:00Z".into()),
            lang: Some("fr".into()),
            teams_join_url: Some("https://teams.microsoft.com/l/meetup-join/y".into()),
        },
    ]);
    let schedule = |recurrence, attendees: &[&str]| ScheduleRequest {
        meeting_key: "k3".into(),
        subject: "Weekly sync".into(),
        start: "2026-12-07T09:00:00Z".into(),
        end: "2026-12-07T09:30:00Z".into(),
        attendees: attendees.iter().map(|a| a.to_string()).collect(),
        recurrence,
        lang: Some("ja".into()),
    };
    writes_as_serde(&[
        schedule(None, &[]),
        schedule(
            Some(Recurrence {
                pattern: RecurrencePattern::Weekly,
                until: "2027-03-01".into(),
            }),
            &["bob@fabrikam.example", "room-4@fabrikam.example"],
        ),
        schedule(
            Some(Recurrence {
                pattern: RecurrencePattern::Daily,
                until: "2026-12-20".into(),
            }),
            &["bob@fabrikam.example"],
        ),
    ]);
    let token = |role, groups: &[&str], extra: bool| TokenRequest {
        tenant: "fabrikam".into(),
        user: "ann@fabrikam.example".into(),
        role,
        app_id: extra.then(|| "a07fc3a5-1e3c-4a2b-9f1e-2d6b8c4e9a10".into()),
        groups: groups.iter().map(|g| g.to_string()).collect(),
        oid: extra.then(|| "00000000-0000-0000-0000-0000000000aa".into()),
    };
    writes_as_serde(&[
        token(Role::Organizer, &[], false),
        token(Role::Admin, &["g1", "g2"], true),
        token(Role::Partner, &[], true),
    ]);
}

fn demo_provider(ids: &[&str]) -> cvi_core::api::ProviderView {
    cvi_core::api::ProviderView {
        name: "Polycom".into(),
        tenant_key: "813878896@t.plcm.vc".into(),
        instruction_uri: (!ids.is_empty()).then(|| "https://www.polycom.com/vtc".into()),
        aad_application_ids: ids.iter().map(|i| i.to_string()).collect(),
        allow_app_guest_joins_as_authenticated: !ids.is_empty(),
        sip_gateway: "sip:{direct_dial}".into(),
        sip_ivr: "sip:{tenant_key}".into(),
    }
}

const POLYCOM_APP: &str = "a07fc3a5-1e3c-4a2b-9f1e-2d6b8c4e9a10";

#[wasm_bindgen_test]
fn console_replies_read_by_hand_are_what_the_server_wrote() {
    use cvi_core::api::*;
    let grant = GrantView {
        target: TargetKind::Group,
        identity: Some("5f2c".into()),
        rank: Some(1),
        policy_name: "Tag:PolycomServiceProviderEnabled".into(),
    };
    reads_back(&[
        vec![],
        vec![demo_provider(&[]), demo_provider(&[POLYCOM_APP, "b1"])],
    ]);
    reads_back(&[Removed {
        removed: demo_provider(&[POLYCOM_APP]),
        orphaned_grants: vec![grant.clone()],
        message: "removed Polycom; 1 grant names it".into(),
    }]);
    reads_back(&[
        GrantOutcome {
            grant: Some(grant.clone()),
            previous: None,
        },
        GrantOutcome {
            grant: None,
            previous: Some(grant),
        },
    ]);
    reads_back(&[ConsentLinks {
        provider: "Polycom".into(),
        links: vec![ConsentLink {
            app_id: POLYCOM_APP.into(),
            url: "https://login.microsoftonline.com/fabrikam/adminconsent?client_id=a07f".into(),
            consented: false,
        }],
        permissions: vec!["OnlineMeetings.Read.All".into()],
    }]);
    let app = |verified: bool| AppConsent {
        app_id: POLYCOM_APP.into(),
        consented: verified,
        error: (!verified).then(|| "access_denied".into()),
        verified,
        permissions: if verified {
            vec![PermissionState {
                name: "OnlineMeetings.Read.All".into(),
                granted: true,
            }]
        } else {
            vec![]
        },
    };
    reads_back(&[vec![
        ProviderConsent {
            provider: "Polycom".into(),
            apps: vec![app(true), app(false)],
            missing: vec![POLYCOM_APP.into()],
            warning: None,
        },
        ProviderConsent {
            provider: "Pexip".into(),
            apps: vec![],
            missing: vec![],
            warning: Some(no_partner_app_warning("Pexip")),
        },
    ]]);
    let status = |on: bool| InjectStatus {
        enabled: on,
        graph_configured: on,
        missing: if on {
            vec![]
        } else {
            vec!["admin consent for this server's app".into()]
        },
        consent_url: (!on).then(|| "https://login.microsoftonline.com/common/adminconsent".into()),
        subscriptions: if on { 1_250 } else { 0 },
        subscriptions_expiring: 3,
        subscriptions_failed: i64::from(on),
        last_failure: on.then(|| "MailboxNotEnabledForRESTAPI".into()),
        queue_depth: 0,
        oldest_waiting: on.then(|| "2026-12-07T09:00:00Z".into()),
        recent: vec![InjectOutcome {
            user: "ann@fabrikam.example".into(),
            event_id: "AAMkAGI2TG93AAA=".into(),
            outcome: "written".into(),
            at: "2026-12-07T09:00:01Z".into(),
        }],
    };
    reads_back(&[status(true), status(false)]);
    reads_back(&[DailyStats {
        days: vec!["2026-12-06".into(), "2026-12-07".into()],
        series: vec![DailySeries {
            metric: "issued".into(),
            provider: "Polycom".into(),
            counts: vec![0, 9_007_199_254_740_991],
        }],
    }]);
    reads_back(&[vec![demo_meeting(false), demo_meeting(true)]]);
}

#[wasm_bindgen_test]
fn the_audit_log_keeps_the_records_json_as_the_server_wrote_it() {
    use cvi_addin::{admin::client::AuditPage, api::wire::FromJs};
    let before = serde_json::json!({"name": "Polycom", "aad_application_ids": [POLYCOM_APP]});
    let page = cvi_core::api::AuditPage {
        entries: vec![cvi_core::api::AuditEntry {
            id: "01JEX".into(),
            at: 1_796_000_000_000,
            actor: "admin@fabrikam.example".into(),
            action: "provider.set".into(),
            target: "Polycom".into(),
            before: Some(before.clone()),
            after: None,
        }],
        next: Some("01JEW".into()),
    };
    let read = AuditPage::from_js(&as_server_writes(&page)).unwrap();
    assert_eq!(read.next.as_deref(), Some("01JEW"));
    let e = &read.entries[0];
    assert_eq!(
        (
            e.id.as_str(),
            e.at,
            e.actor.as_str(),
            e.action.as_str(),
            e.target.as_str()
        ),
        (
            "01JEX",
            1_796_000_000_000,
            "admin@fabrikam.example",
            "provider.set",
            "Polycom"
        )
    );
    let text = String::from(js_sys::JSON::stringify(&e.before.as_ref().unwrap().0).unwrap());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).unwrap(),
        before
    );
    assert!(e.after.is_none());
}

#[wasm_bindgen_test]
fn console_replies_off_contract_name_the_field() {
    use cvi_addin::api::wire::{Bad, FromJs};
    use cvi_core::api::{InjectStatus, ProviderView};
    let provider = |field: &str, value: serde_json::Value| {
        let mut p = serde_json::to_value(demo_provider(&[POLYCOM_APP])).unwrap();
        p[field] = value;
        ProviderView::from_js(&js_sys::JSON::parse(&p.to_string()).unwrap())
    };
    assert_eq!(
        provider("aad_application_ids", serde_json::Value::Null),
        Err(Bad("aad_application_ids"))
    );
    assert_eq!(
        provider("aad_application_ids", "a;b".into()),
        Err(Bad("aad_application_ids"))
    );
    assert_eq!(provider("sip_ivr", 5.into()), Err(Bad("sip_ivr")));
    assert!(provider("instruction_uri", serde_json::Value::Null).is_ok());
    let list = js_sys::JSON::parse(r#"[{"name": 1}]"#).unwrap();
    assert_eq!(Vec::<ProviderView>::from_js(&list), Err(Bad("name")));
    let status = |queue: &str| {
        let text = format!(
            r#"{{"enabled":true,"graph_configured":true,"missing":[],"subscriptions":1,"subscriptions_expiring":0,"queue_depth":{queue}}}"#
        );
        InjectStatus::from_js(&js_sys::JSON::parse(&text).unwrap())
    };
    // serde's defaults: a server before these fields existed is still read.
    assert_eq!(
        status("0").map(|s| (s.subscriptions_failed, s.recent.len())),
        Ok((0, 0))
    );
    assert_eq!(status("1.5"), Err(Bad("queue_depth")));
    assert_eq!(status("\"3\""), Err(Bad("queue_depth")));
}

#[wasm_bindgen_test]
fn console_requests_written_by_hand_are_what_serde_writes() {
    use cvi_core::api::*;
    let new = |ids: Option<AppIds>, all: bool| NewProvider {
        name: "Polycom".into(),
        tenant_key: "813878896@t.plcm.vc".into(),
        instruction_uri: all.then(|| "https://www.polycom.com/vtc".into()),
        aad_application_ids: ids,
        allow_app_guest_joins_as_authenticated: all.then_some(false),
        sip_gateway: all.then(|| "sip:{video_id}@gw.example.com".into()),
        sip_ivr: all.then(|| "sip:{tenant_key}".into()),
    };
    writes_as_serde(&[
        new(None, false),
        new(
            Some(AppIds::List(vec![POLYCOM_APP.into(), "b1".into()])),
            true,
        ),
        new(Some(AppIds::Joined(format!("{POLYCOM_APP};b1"))), true),
    ]);
    writes_as_serde(&[
        SetProvider::default(),
        SetProvider {
            tenant_key: Some("813878897@t.plcm.vc".into()),
            instruction_uri: Some(String::new()),
            aad_application_ids: Some(AppIds::List(vec![])),
            allow_app_guest_joins_as_authenticated: Some(true),
            sip_gateway: Some(String::new()),
            sip_ivr: Some("sip:ivr@gw.example.com".into()),
        },
    ]);
    writes_as_serde(&[
        GrantRequest {
            target: TargetKind::User,
            identity: Some("ann@fabrikam.example".into()),
            rank: None,
            policy_name: Some("Tag:PolycomServiceProviderEnabled".into()),
        },
        GrantRequest {
            target: TargetKind::Group,
            identity: Some("5f2c".into()),
            rank: Some(3),
            policy_name: Some("Tag:PexipServiceProviderEnabled".into()),
        },
        // A removal: `policy_name` written as null.
        GrantRequest {
            target: TargetKind::Global,
            identity: None,
            rank: None,
            policy_name: None,
        },
    ]);
    writes_as_serde(&[
        InjectRequest { enabled: true },
        InjectRequest { enabled: false },
    ]);
}
