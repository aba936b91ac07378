//! Invites as Microsoft and the partners have really sent them since 2019 (fixtures in
//! `tests/fixtures/real/`, each with its source in its header): what extraction must find
//! in each, and that upsert never leaves two blocks beside one another.

use cvi_core::{
    invite::{extract, extract_as, find, render, upsert, BodyKind, Extraction, Lang},
    Coordinates, Provider, ProviderName, TenantKey, VideoId,
};
use serde_json::{json, Value};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real");

/// A fixture's body: the file without its `# …` header (ended by `#---`).
fn body(file: &str) -> String {
    let raw = std::fs::read_to_string(format!("{DIR}/{file}")).unwrap();
    let (header, body) = raw.split_once("#---\n").expect("a #--- header end");
    assert!(header.contains("# source: "), "{file} names its source");
    body.to_string()
}

/// The body kind Outlook would report: `.txt` text, `.html` HTML, `.ics` sniffed.
fn kind(file: &str) -> Option<BodyKind> {
    match file.rsplit('.').next() {
        Some("txt") => Some(BodyKind::Text),
        Some("html") => Some(BodyKind::Html),
        _ => None,
    }
}

/// One expected block: provider, tenant key, Video ID, direct dial, more-info link.
fn block(
    provider: Option<&str>,
    tenant_key: &str,
    video_id: &str,
    direct: Option<&str>,
    more_info: Option<&str>,
) -> Value {
    let mut v = json!({ "tenant_key": tenant_key, "ivr_uri": tenant_key, "video_id": video_id });
    for (k, x) in [
        ("provider", provider),
        ("direct_dial_uri", direct),
        ("more_info_url", more_info),
    ] {
        if let Some(x) = x {
            v[k] = json!(x);
        }
    }
    v
}

const POLY: Option<&str> = Some("Polycom");
const CISCO: Option<&str> = Some("Cisco");
const PEXIP: Option<&str> = Some("Pexip");

/// (fixture, expected blocks (one = ok, two or more = conflict, none = none), quoted).
fn table() -> Vec<(&'static str, Vec<Value>, bool)> {
    let poly = |tk: &str, id: &str, info: Option<&str>| {
        let key = tk.split('@').next().unwrap();
        block(POLY, tk, id, Some(&format!("{key}.{id}@t.plcm.vc")), info)
    };
    let dialin = |key: &str, id: &str| format!("https://dialin.plcm.vc/teams/?key={key}&conf={id}");
    let webex = |key: &str, id: &str, info: bool| {
        let link =
            format!("https://www.webex.com/msteams?confid={id}&tenantkey={key}&domain=m.webex.com");
        block(
            CISCO,
            &format!("{key}@m.webex.com"),
            id,
            Some(&format!("{id}.{key}@m.webex.com")),
            info.then_some(link.as_str()),
        )
    };
    let pexip_me = |domain: &str, id: &str| {
        block(
            PEXIP,
            &format!("teams@{domain}"),
            id,
            Some(&format!("{id}@{domain}")),
            Some(&format!("https://pexip.me/teams/{domain}/{id}")),
        )
    };
    let ms2019 = |id: &str| poly("813878896@t.plcm.vc", id, Some(&dialin("813878896", id)));
    vec![
        ("01-ms2019-poly-text-crlf.txt", vec![ms2019("017988591")], false),
        ("02-ms2019-poly-outlook.html", vec![ms2019("017988591")], false),
        ("03-ms2019-gmail-reply-quoted.txt", vec![ms2019("017920684")], true),
        ("04-ms2020-poly-10-digits.txt", vec![ms2019("0148964757")], false),
        ("05-ms2019-poly-cancel.ics", vec![ms2019("017988591")], false),
        (
            "06-ms2019-bluejeans-text.txt",
            vec![block(
                Some("BlueJeans"),
                "130885042@teams.bjn.vc",
                "1291418361",
                Some("130885042.1291418361@teams.bjn.vc"),
                None,
            )],
            false,
        ),
        ("07-ms2019-forwarded.html", vec![ms2019("016528037")], true),
        (
            "08-ms2022-pexip-infinity-prefix.txt",
            vec![block(
                PEXIP,
                "mfa.teams@video.fabrikam.fi",
                "1260851038",
                Some("mfa.1260851038@video.fabrikam.fi"),
                Some("https://meet.video.fabrikam.fi/teams/?conf=1260851038&ivr=mfa.teams&d=video.fabrikam.fi&prefix=mfa."),
            )],
            false,
        ),
        ("09-ms2022-webex-blank-lines-no-links.txt", vec![webex("att", "1142134150", false)], false),
        (
            "10-ms2022-custom-domain-trailing-spaces.txt",
            vec![block(None, "453426348@teamsconnect.contoso.com", "1238879810", None, None)],
            false,
        ),
        (
            "11-ms2022-pexip-infinity-numeric-prefix.txt",
            vec![block(
                PEXIP,
                "teams@vc.fabrikam.com",
                "1127180739",
                Some("551127180739@vc.fabrikam.com"),
                Some("https://vc.fabrikam.com/teams/?conf=1127180739&ivr=teams&d=vc.fabrikam.com&ip=127.0.0.1&prefix=55"),
            )],
            false,
        ),
        ("12-ms2021-webex-sql-dump.txt", vec![webex("everyonematters", "1185526379", false)], false),
        ("13-ms2024-webex-middle-layout.txt", vec![webex("wbg", "1144605295", true)], false),
        (
            "14-ms2022-pexip-br-mangled-link.html",
            vec![block(None, "email@yyyy.zzz", "1172827458", None, None)],
            false,
        ),
        (
            "15-ms2025-poly-outlook-me-email.html",
            vec![poly("522621028@t.plcm.vc", "1143016284", Some(&dialin("522621028", "1143016284")))],
            false,
        ),
        ("16-ms2024-pexip-service-text.txt", vec![pexip_me("meet.fabrikam.dk", "1242444194")], false),
        ("17-ms2024-webex-new-layout.txt", vec![webex("contoso2", "1263778225", true)], false),
        ("18-ms2024-danish.txt", vec![pexip_me("meet.fabrikam.dk", "1251818072")], false),
        ("19-ms2024-values-on-next-line.txt", vec![webex("cdw", "1198563286", false)], false),
        ("20-ms2024-poly-trailing-spaces.txt", vec![poly("330319201@t.plcm.vc", "1145281098", None)], false),
        ("21-ms2024-webex-gmail-html.html", vec![webex("wbg", "1178331335", true)], false),
        ("22-ms2024-pexip-onpexip.txt", vec![pexip_me("fabrikam2.onpexip.com", "1214535359")], false),
        ("23-ms-german.html", vec![pexip_me("vc.fabrikam.de", "1192043775")], false),
        ("24-ms-finnish-webex.html", vec![webex("fabrikam", "1259772026", true)], false),
        ("25-unknown-language-structure.txt", vec![webex("contoso", "1144605295", false)], false),
        (
            "26-pexip-infinity-outlook-html.html",
            vec![block(
                PEXIP,
                "vmr@video.contoso.com",
                "1186423630",
                Some("1186423630@video.contoso.com"),
                Some("https://gw.video.contoso.com/teams/?conf=1186423630&ivr=vmr&d=video.contoso.com&ip=127.0.0.1&test=test_call&w"),
            )],
            false,
        ),
        (
            "27-pexip-infinity-2023-no-prefix.txt",
            vec![block(
                PEXIP,
                "teams@vc.contoso.com",
                "1173186780",
                Some("1173186780@vc.contoso.com"),
                Some("https://teamsjoin.contoso.com/teams/?conf=1173186780&ivr=teams&d=vc.contoso.com&test=test_call&w"),
            )],
            false,
        ),
        (
            "28-poly-realconnect-2023.txt",
            vec![poly("888888@t.plcm.vc", "1120324757", Some(&dialin("888888", "1120324757")))],
            false,
        ),
        ("29-nbsp-thin-spaces.txt", vec![webex("contoso", "1223269644", false)], false),
        ("30-hard-wrapped-crlf.txt", vec![webex("wbg", "1144605295", false)], false),
        ("31-reply-quoted-2023.txt", vec![pexip_me("meet.fabrikam.dk", "1242444194")], true),
        ("32-nested-quote.txt", vec![webex("everyonematters", "1185526379", false)], true),
        ("33-outlook-text-reply-rule.txt", vec![webex("contoso2", "1263778225", true)], true),
        ("34-nested-tables-signature.html", vec![webex("wbg", "1144605295", true)], false),
        (
            "35-organizer-note-inside.html",
            vec![poly("813878896@t.plcm.vc", "1160274913", Some(&dialin("813878896", "1160274913")))],
            false,
        ),
        (
            "36-word-run-splitting.html",
            vec![block(
                PEXIP,
                "teams@vc.contoso.com",
                "1173186780",
                Some("1173186780@vc.contoso.com"),
                Some("https://pexip.me/teams/vc.contoso.com/1173186780"),
            )],
            false,
        ),
        ("37-owa-x-ids-safelinks.html", vec![webex("contoso2", "1263778225", true)], false),
        ("38-more-info-javascript.html", vec![webex("contoso2", "1263778225", false)], false),
        ("39-more-info-tab-in-https.html", vec![webex("contoso2", "1263778225", true)], false),
        (
            "40-ours-and-microsoft-2022.html",
            vec![
                poly("813878896@t.plcm.vc", "1223269647", Some(&dialin("813878896", "1223269647"))),
                webex("fabrikam", "1192043775", true),
            ],
            false,
        ),
        (
            "41-link-disagrees-with-id.txt",
            vec![
                block(
                    CISCO,
                    "fabrikam@m.webex.com",
                    "1192043775",
                    Some("1192043775.fabrikam@m.webex.com"),
                    Some("https://www.webex.com/msteams?confid=1192043776&tenantkey=fabrikam&domain=m.webex.com"),
                ),
                block(
                    CISCO,
                    "fabrikam@m.webex.com",
                    "1192043776",
                    None,
                    Some("https://www.webex.com/msteams?confid=1192043776&tenantkey=fabrikam&domain=m.webex.com"),
                ),
            ],
            false,
        ),
        (
            "42-lookalike-domain.txt",
            vec![block(
                None,
                "813878896@t.plcm.vc.evil.invalid",
                "1160274913",
                None,
                Some("https://dialin.plcm.vc.evil.invalid/teams/?key=813878896&conf=1160274913"),
            )],
            false,
        ),
        ("43-phone-only-no-block.txt", vec![], false),
        ("44-ms2023-ics-alt-desc.ics", vec![pexip_me("meet.fabrikam.dk", "1242444194")], false),
        ("45-text-with-angle-brackets.txt", vec![webex("everyonematters", "1185526379", false)], false),
    ]
}

/// The extraction as JSON without the Teams join link (checked on its own below).
fn actual(file: &str) -> Value {
    let mut v = serde_json::to_value(extract_as(&body(file), kind(file))).unwrap();
    let strip = |c: &mut Value| {
        c.as_object_mut().unwrap().remove("teams_join_url");
    };
    match v["status"].as_str() {
        Some("ok") => strip(&mut v),
        Some("conflict") => v["candidates"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .for_each(strip),
        _ => {}
    }
    v
}

#[test]
fn every_fixture_is_listed() {
    let mut files: Vec<String> = std::fs::read_dir(DIR)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let listed: Vec<&str> = table().iter().map(|(f, _, _)| *f).collect();
    assert_eq!(files, listed);
    assert!(listed.len() >= 40);
}

#[test]
fn extraction_of_real_invites() {
    let mut failures = Vec::new();
    for (file, blocks, quoted) in table() {
        let expected = match blocks.len() {
            0 => json!({"status": "none"}),
            1 => {
                let mut v = blocks[0].clone();
                v["status"] = json!("ok");
                v
            }
            _ => json!({"status": "conflict", "candidates": blocks}),
        };
        let got = actual(file);
        if got != expected {
            failures.push(format!("{file}\n  expected {expected}\n  got      {got}"));
            continue;
        }
        if let Some(k) = kind(file) {
            let found = find(&body(file), k);
            if !found.is_empty() && found.iter().all(|f| f.quoted) != quoted {
                failures.push(format!("{file}: quoted should be {quoted}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_teams_join_link_comes_along() {
    for (file, join) in [
        ("01-ms2019-poly-text-crlf.txt", "https://teams.microsoft.com/l/meetup-join/19%3ameeting_Zm9vYmFyLWZpeHR1cmUtbWVldGluZw%40thread.v2/0?context="),
        ("05-ms2019-poly-cancel.ics", "https://teams.microsoft.com/l/meetup-join/19%3ameeting_Y2FuY2Vs%40thread.v2/0"),
        ("16-ms2024-pexip-service-text.txt", "https://teams.microsoft.com/l/meetup-join/19%3ameeting_Zm9vYmFyLWZpeHR1cmUtbWVldGluZw%40thread.v2/0?context="),
    ] {
        let Extraction::Found(c) = extract_as(&body(file), kind(file)) else {
            panic!("{file}")
        };
        assert!(c.teams_join_url.as_deref().unwrap_or("").starts_with(join), "{file}: {:?}", c.teams_join_url);
    }
}

#[test]
fn a_text_body_is_text_when_the_caller_says_so() {
    let b = body("45-text-with-angle-brackets.txt");
    assert!(matches!(
        extract_as(&b, Some(BodyKind::Text)),
        Extraction::Found(_)
    ));
    // Sniffed, `<draft>` makes it look like HTML, where newlines are no line breaks.
    assert_eq!(extract(&b), Extraction::Absent);
}

/// What the add-in would write for a Polycom tenant.
fn ours() -> (Coordinates, cvi_core::Block) {
    let p = Provider::new(
        ProviderName::Polycom,
        TenantKey::parse("813878896@t.plcm.vc").unwrap(),
    );
    let c = Coordinates::for_provider(&p, VideoId::from_body(122_326_964));
    let b = render(&c, Lang::En);
    (c, b)
}

#[test]
fn upsert_replaces_the_one_block_or_adds_one_and_never_two() {
    let (c, ours_block) = ours();
    for (file, blocks, quoted) in table() {
        let Some(k) = kind(file) else { continue };
        let b = body(file);
        let before: Vec<_> = find(&b, k).into_iter().filter(|f| !f.quoted).collect();
        // What the add-in sees before it writes: a foreign block is reported (it asks).
        assert_eq!(
            before.is_empty(),
            blocks.is_empty() || quoted,
            "{file}: the add-in must see the block (and ask) before writing"
        );
        let after = upsert(&b, k, &ours_block);
        let unquoted: Vec<_> = find(&after, k).into_iter().filter(|f| !f.quoted).collect();
        assert_eq!(
            unquoted.len(),
            1,
            "{file}: exactly one block after upsert\n{after}"
        );
        assert_eq!(
            unquoted[0].coordinates.video_id, c.video_id,
            "{file}: the one block is ours"
        );
        assert_eq!(upsert(&after, k, &ours_block), after, "{file}: idempotent");
        if !quoted {
            let Extraction::Found(e) = extract_as(&after, Some(k)) else {
                panic!(
                    "{file}: after upsert extraction sees one meeting: {:?}",
                    extract_as(&after, Some(k))
                )
            };
            assert_eq!(e.video_id, c.video_id, "{file}");
        }
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Lines an organizer could have typed around the invite (no quoting, no block words).
    fn typed() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec("[a-zA-Z0-9 ,.;!?()&'-]{0,40}", 0..4)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Whatever surrounds a real invite, upsert leaves exactly one unquoted block and it
        /// is ours; a foreign block there was seen first (the add-in asks before writing).
        #[test]
        fn never_two_blocks(i in 0usize..45, before in typed(), after in typed()) {
            let table = table();
            let (file, blocks, quoted) = &table[i % table.len()];
            let Some(k) = kind(file) else { return Ok(()) };
            let wrap = |lines: &[String]| match k {
                BodyKind::Text => lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
                BodyKind::Html => lines
                    .iter()
                    .map(|l| format!("<p>{}</p>", l.replace('&', "&amp;")))
                    .collect(),
            };
            let b = format!("{}{}{}", wrap(&before), body(file), wrap(&after));
            let foreign = find(&b, k).into_iter().filter(|f| !f.quoted).count();
            prop_assert_eq!(foreign > 0, !blocks.is_empty() && !quoted, "{}", file);
            let (c, ours_block) = ours();
            let out = upsert(&b, k, &ours_block);
            let unquoted: Vec<_> = find(&out, k).into_iter().filter(|f| !f.quoted).collect();
            prop_assert_eq!(unquoted.len(), 1, "{}", file);
            prop_assert_eq!(&unquoted[0].coordinates.video_id, &c.video_id);
        }
    }
}

#[test]
fn removing_ours_leaves_theirs() {
    let b = body("40-ours-and-microsoft-2022.html");
    let out = cvi_core::invite::remove_where(&b, BodyKind::Html, |f| f.anchored);
    let left = find(&out, BodyKind::Html);
    assert_eq!(left.len(), 1, "{out}");
    assert!(!left[0].anchored);
    assert_eq!(
        left[0].coordinates.video_id.as_ref().map(VideoId::as_str),
        Some("1192043775")
    );
    assert!(
        out.starts_with("<html><body><p>Design review</p>\n<div>"),
        "{out}"
    );
}
