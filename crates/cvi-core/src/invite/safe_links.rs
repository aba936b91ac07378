//! Outlook's Safe Links: a link in a received invite may be wrapped as
//! `https://…safelinks.protection.outlook.com/?url=<the real link>&…`; readers of invites
//! look at the real link.

/// `%XX` and `+` decoded, as a query value is.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The real target of a link: Safe Links wrap it as `…safelinks.protection.outlook.com/?url=…`.
pub(crate) fn unwrap_link(url: &str) -> String {
    let is_safelink = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', '?']).next())
        .is_some_and(|host| {
            host.to_ascii_lowercase()
                .ends_with(".safelinks.protection.outlook.com")
        });
    if is_safelink {
        if let Some(q) = url.split_once('?').map(|(_, q)| q) {
            if let Some(v) = q.split('&').find_map(|kv| kv.strip_prefix("url=")) {
                return percent_decode(v);
            }
        }
    }
    url.to_string()
}
