//! Every string parser of cvi-core on arbitrary input: no panic, and what parses round-trips.
#![no_main]

use cvi_core::{
    dial_plan::match_direct_dial, AppId, InstructionUri, ProviderName, TenantKey, VideoId,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(tk) = TenantKey::parse(s) {
        assert_eq!(TenantKey::parse(&tk.to_string()).as_ref(), Ok(&tk));
    }
    if let Ok(id) = VideoId::parse(s) {
        assert!(id.has_valid_check_digit());
        assert_eq!(VideoId::parse(&id.grouped()).as_ref(), Ok(&id));
    }
    let _ = VideoId::parse_any(s);
    if let Ok(u) = InstructionUri::parse(s) {
        assert!(u.as_str().starts_with("https://"));
        assert!(!u.as_str().contains(['<', '>', '"', '\'']));
    }
    let _ = AppId::parse_list(s);
    let _ = s.parse::<ProviderName>();
    let configured = [
        (
            ProviderName::Polycom,
            TenantKey::parse("813878896@t.plcm.vc").unwrap(),
        ),
        (
            ProviderName::Cisco,
            TenantKey::parse("contoso@m.webex.com").unwrap(),
        ),
        (
            ProviderName::Pexip,
            TenantKey::parse("teams@video.contoso.com").unwrap(),
        ),
    ];
    if let Some(m) = match_direct_dial(s, &configured) {
        assert!(configured
            .iter()
            .any(|(n, t)| *n == m.provider && *t == m.tenant_key));
    }
});
