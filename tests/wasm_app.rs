//! The add-in in a real browser (headless Chromium via wasm-bindgen-test-runner).
#![cfg(target_arch = "wasm32")]

use cvi_core::{dial_plan, VideoId};
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

#[wasm_bindgen_test]
fn app_renders_the_demo_coordinates() {
    leptos::mount::mount_to_body(cvi_addin::App);
    let expected = cvi_addin::sample::demo_coordinates();
    assert_eq!(field("tenant-key"), "813878896@t.plcm.vc");
    let shown = field("video-id");
    assert_eq!(shown, expected.video_id.clone().unwrap().grouped());
    // What the page shows is a Video ID with a valid check digit.
    assert!(VideoId::parse(&shown).unwrap().has_valid_check_digit());
    assert_eq!(field("direct-dial"), expected.direct_dial_uri.unwrap());
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
