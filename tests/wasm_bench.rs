//! cvi-core's upsert on a 1 MB invite inside wasm, in headless Chromium: a benchmark that
//! `cargo xtask bench` runs (feature `wasm-bench`), never part of the tests. It prints one
//! `WASM_UPSERT_MS insert=… replace=…` line (medians of 9 runs) for xtask to read.
#![cfg(all(target_arch = "wasm32", feature = "wasm-bench"))]

use cvi_core::{
    invite::{render, upsert, BodyKind, Lang},
    Coordinates, Provider, ProviderName, TenantKey, VideoId,
};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A Word-style HTML body of about `size` bytes (paragraphs with spans and entities).
fn body(size: usize) -> String {
    let para = "<p class=MsoNormal><span style='font-size:11.0pt;font-family:\"Calibri\",sans-serif'>Agenda item &amp; notes for the quarterly review, room 4.12 &#8211; bring the numbers<o:p></o:p></span></p>\r\n";
    let mut b = String::from(
        "<html><head><meta charset=utf-8></head><body lang=EN-US><div class=WordSection1>\r\n",
    );
    while b.len() < size {
        b.push_str(para);
    }
    b.push_str("</div></body></html>");
    b
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[wasm_bindgen_test]
fn upsert_1mb() {
    let perf = web_sys::window().unwrap().performance().unwrap();
    let p = Provider::new(
        ProviderName::Polycom,
        TenantKey::parse("813878896@t.plcm.vc").unwrap(),
    );
    let block = render(
        &Coordinates::for_provider(&p, VideoId::from_body(122_326_964)),
        Lang::En,
    );
    let other = render(
        &Coordinates::for_provider(&p, VideoId::from_body(555_000_111)),
        Lang::En,
    );
    let b = body(1 << 20);
    let with_block = upsert(&b, BodyKind::Html, &block);
    let (mut insert, mut replace) = (Vec::new(), Vec::new());
    for _ in 0..9 {
        let t = perf.now();
        let out = upsert(&b, BodyKind::Html, &block);
        insert.push(perf.now() - t);
        assert_eq!(out.len(), with_block.len());
        let t = perf.now();
        let out = upsert(&with_block, BodyKind::Html, &other);
        replace.push(perf.now() - t);
        assert_eq!(out.len(), with_block.len());
    }
    console_log!(
        "WASM_UPSERT_MS insert={:.2} replace={:.2}",
        median(insert),
        median(replace)
    );
}
