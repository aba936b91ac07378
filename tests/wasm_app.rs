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
            <CoordinatesCard coords=shown.clone() lang=Lang::De />
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
fn every_ui_string_exists_in_every_language() {
    use cvi_addin::i18n::{t, Key};
    let keys = [
        Key::Title,
        Key::Add,
        Key::NotEnabled,
        Key::ConsentMissing,
        Key::Unreachable,
        Key::BodyTooLarge,
        Key::Foreign,
        Key::DownloadIcs,
    ];
    for k in keys {
        for l in Lang::ALL {
            assert!(!t(l, k).trim().is_empty(), "{k:?} in {l:?}");
        }
        assert_ne!(t(Lang::En, k), t(Lang::Ja, k), "{k:?} is translated");
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
