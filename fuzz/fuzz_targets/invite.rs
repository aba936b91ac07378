//! The invite surgery on arbitrary bodies: no panic; upsert is idempotent and leaves one
//! unquoted block; removing an inserted block restores the body byte for byte; extraction
//! never panics.
#![no_main]

use cvi_core::{
    invite::{extract, find, remove, render, upsert, BodyKind, Lang},
    Coordinates, Provider, ProviderName, TenantKey, VideoId,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let _ = extract(body);
    let p = Provider::new(
        ProviderName::Polycom,
        TenantKey::parse("813878896@t.plcm.vc").unwrap(),
    );
    let block = render(
        &Coordinates::for_provider(&p, VideoId::from_body(123_456_789)),
        Lang::En,
    );
    for kind in [BodyKind::Html, BodyKind::Text] {
        let had_block = !find(body, kind).is_empty();
        let once = upsert(body, kind, &block);
        assert_eq!(upsert(&once, kind, &block), once, "upsert is idempotent");
        assert_eq!(
            find(&once, kind).iter().filter(|f| !f.quoted).count(),
            1,
            "one unquoted block"
        );
        if !had_block {
            assert_eq!(remove(&once, kind), body, "remove restores the body");
        }
    }
});
