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
fn preview_shows_the_block_that_cvi_core_renders() {
    leptos::mount::mount_to_body(cvi_addin::App);
    let doc = web_sys::window().unwrap().document().unwrap();
    let preview = doc
        .query_selector("[data-testid=block-preview]")
        .unwrap()
        .unwrap();
    // The anchor element the upsert finds again, with the grouped Video ID inside.
    let block = preview
        .query_selector("#cvi-vtc-block")
        .unwrap()
        .expect("the block's root element");
    let id = cvi_addin::sample::demo_coordinates().video_id.unwrap();
    assert!(block.text_content().unwrap().contains(&id.grouped()));
    let text = doc
        .query_selector("[data-testid=block-text]")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert!(text.lines().any(|l| l.ends_with(&id.grouped())), "{text}");
}

#[wasm_bindgen_test]
fn upsert_and_extract_run_in_the_browser() {
    use cvi_core::invite::{extract, remove, render, upsert, BodyKind, Extraction, Lang};
    let c = cvi_addin::sample::demo_coordinates();
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
