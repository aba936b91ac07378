//! The invite block on realistic bodies, and its invariants as properties.

use cvi_core::{
    invite::{extract, find, remove, render, upsert, BodyKind, Extraction, Lang},
    Block, Coordinates, Provider, ProviderName, TenantKey, VideoId,
};
use proptest::prelude::*;

const DESKTOP: &str = include_str!("fixtures/outlook_desktop.html");
const OWA: &str = include_str!("fixtures/owa_stripped.html");
const MS_2019: &str = include_str!("fixtures/microsoft_2019.html");
const ICS: &str = include_str!("fixtures/invite.ics");

fn coords(body: u32) -> Coordinates {
    let p = Provider::new(
        ProviderName::Polycom,
        TenantKey::parse("813878896@t.plcm.vc").unwrap(),
    );
    Coordinates::for_provider(&p, VideoId::from_body(body))
}

fn block(body: u32) -> Block {
    render(&coords(body), Lang::En)
}

fn unquoted(body: &str, kind: BodyKind) -> usize {
    find(body, kind).iter().filter(|f| !f.quoted).count()
}

/// True when `after` is `before` with `added` inserted at one place.
fn is_insertion(before: &str, after: &str, added: &str) -> bool {
    after
        .match_indices(added)
        .any(|(p, _)| format!("{}{}", &after[..p], &after[p + added.len()..]) == before)
}

#[test]
fn outlook_desktop_invite_gets_one_block_and_keeps_every_other_byte() {
    let b = block(122_326_964);
    let once = upsert(DESKTOP, BodyKind::Html, &b);
    assert_eq!(unquoted(&once, BodyKind::Html), 1);
    assert!(
        is_insertion(DESKTOP, &once, &b.html),
        "only the block was added"
    );
    assert!(
        once.find(&b.html).unwrap() < once.find("</body>").unwrap(),
        "inside the body"
    );
    assert_eq!(upsert(&once, BodyKind::Html, &b), once);
    assert_eq!(remove(&once, BodyKind::Html), DESKTOP);
    // New coordinates replace the block in place.
    let b2 = block(555_000_111);
    let twice = upsert(&once, BodyKind::Html, &b2);
    assert_eq!(unquoted(&twice, BodyKind::Html), 1);
    assert_eq!(twice.find(&b2.html), once.find(&b.html));
    let Extraction::Found(c) = extract(&twice) else {
        panic!("{:?}", extract(&twice))
    };
    assert_eq!(c.video_id, Some(VideoId::from_body(555_000_111)));
    assert!(c
        .teams_join_url
        .unwrap()
        .starts_with("https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjQ4ZTk2"));
}

#[test]
fn outlook_on_the_web_x_prefixed_block_is_replaced_in_place() {
    let found = find(OWA, BodyKind::Html);
    assert_eq!(found.len(), 1);
    assert!(found[0].anchored);
    assert_eq!(
        found[0].coordinates.video_id.as_ref().map(VideoId::as_str),
        Some("1223269647")
    );
    // Safe Links: the real URL from originalsrc.
    assert_eq!(
        found[0].coordinates.more_info_url.as_deref(),
        Some("https://dialin.plcm.vc/teams/?key=813878896&conf=1223269647")
    );
    let b = block(987_654_321);
    let out = upsert(OWA, BodyKind::Html, &b);
    assert_eq!(unquoted(&out, BodyKind::Html), 1);
    assert!(out.starts_with("<div dir=\"ltr\"><div style=\"font-family:Calibri,Helvetica,sans-serif;font-size:12pt\">Quick sync before the offsite.</div>\n"));
    assert!(out.ends_with("\n<div style=\"font-family:Calibri,Helvetica,sans-serif;font-size:12pt\">Thanks, Ann</div></div>\n"));
    assert!(out.contains(&b.html));
    assert!(!out.contains("1223269647"));
}

#[test]
fn ids_and_classes_stripped_still_found_by_content() {
    // What remains when a client drops the id too: found by heading + lines.
    let stripped = OWA.replace(" id=\"x_cvi-vtc-block\"", "");
    let f = find(&stripped, BodyKind::Html);
    assert_eq!(f.len(), 1);
    assert!(!f[0].anchored);
    let out = upsert(&stripped, BodyKind::Html, &block(1));
    assert_eq!(unquoted(&out, BodyKind::Html), 1);
    assert!(
        !out.contains("1223269647") && out.contains("Thanks, Ann") && out.contains("Quick sync")
    );
}

#[test]
fn a_wrapper_whose_end_was_lost_goes_with_the_block() {
    // The fuzz target's fourth find, made readable: Outlook on the web's x_-prefixed block
    // whose end tag was lost (here two unclosed <div>s inside it), so the anchor never
    // closes and the block is found by its content. The new block used to go inside the
    // orphaned start tag; closing on the new block's end tag, it became the anchored block
    // of the next upsert, which replaced the wrapper too: not idempotent.
    let mangled = OWA.replacen(
        "<p style=\"margin:4px 0 0\">",
        "<div><div><p style=\"margin:4px 0 0\">",
        1,
    );
    assert!(!find(&mangled, BodyKind::Html)[0].anchored);
    let once = upsert(&mangled, BodyKind::Html, &block(1));
    assert_eq!(upsert(&once, BodyKind::Html, &block(1)), once);
    assert_eq!(unquoted(&once, BodyKind::Html), 1);
    assert!(!once.contains("x_cvi-vtc-block"), "{once}");
    assert!(once.contains("Quick sync before the offsite.") && once.contains("Thanks, Ann"));

    // Its heading and tenant key mangled too, so the block found by content starts at the
    // Video ID: the lines before it are still inside our element, and go with it.
    let worse = mangled
        .replacen(
            "Join on a video conferencing device",
            "Agenda, slides: see below",
            1,
        )
        .replacen("Tenant key:", "T-nant key:", 1);
    let f = find(&worse, BodyKind::Html);
    assert!(!f[0].anchored && worse[f[0].range.clone()].starts_with("<div id=\"x_cvi-vtc-block\""));
    let once = upsert(&worse, BodyKind::Html, &block(1));
    assert_eq!(upsert(&once, BodyKind::Html, &block(1)), once);
    assert!(
        !once.contains("x_cvi-vtc-block") && !once.contains("Agenda, slides"),
        "{once}"
    );
    assert!(once.contains("Quick sync before the offsite.") && once.contains("Thanks, Ann"));
}

#[test]
fn word_markup_split_across_spans() {
    let word = "<p class=MsoNormal><span style='color:red'>Join on a </span><span>video conferencing device</span></p>\
                <p class=MsoNormal><span>Tenant key:</span><span> 813878896@t.plcm.vc</span></p>\
                <p class=MsoNormal><span>Video&nbsp;ID: </span><b><span>122&nbsp;326&nbsp;964&nbsp;7</span></b></p>\
                <p class=MsoNormal>Next paragraph</p>";
    let f = find(word, BodyKind::Html);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].coordinates.video_id.as_ref().map(VideoId::as_str),
        Some("1223269647")
    );
    let out = upsert(word, BodyKind::Html, &block(3));
    assert!(
        out.ends_with("<p class=MsoNormal>Next paragraph</p>"),
        "{out}"
    );
    assert!(out.starts_with("<div id=\"cvi-vtc-block\""));
}

#[test]
fn microsoft_2019_block_is_extracted_and_replaced() {
    let Extraction::Found(c) = extract(MS_2019) else {
        panic!("{:?}", extract(MS_2019))
    };
    assert_eq!(c.tenant_key.unwrap().to_string(), "813878896@t.plcm.vc");
    assert_eq!(
        c.video_id.unwrap().as_str(),
        "118412603",
        "9-digit IDs without check digit"
    );
    assert_eq!(
        c.more_info_url.as_deref(),
        Some("https://dialin.plcm.vc/teams/?key=813878896&conf=118412603")
    );
    assert!(c
        .teams_join_url
        .unwrap()
        .starts_with("https://teams.microsoft.com/l/meetup-join/"));
    let out = upsert(MS_2019, BodyKind::Html, &block(4));
    assert_eq!(
        unquoted(&out, BodyKind::Html),
        1,
        "replaced, not added beside it"
    );
    assert!(
        !out.contains("VTC Conference ID")
            && out.contains("Learn more")
            && out.contains("Click here to join")
    );
}

#[test]
fn forwarded_blocks_belong_to_their_message() {
    let theirs = block(111_111_111);
    let fwd = format!(
        "<p>FYI</p><div id=\"divRplyFwdMsg\"><b>From:</b> Bob</div><div>{}</div>",
        theirs.html
    );
    let mine = block(222_222_222);
    let out = upsert(&fwd, BodyKind::Html, &mine);
    assert_eq!(
        out,
        format!("<p>FYI</p>{}{}", mine.html, &fwd["<p>FYI</p>".len()..])
    );
    assert_eq!(find(&out, BodyKind::Html).len(), 2);
    assert_eq!(unquoted(&out, BodyKind::Html), 1);
    assert_eq!(remove(&out, BodyKind::Html), fwd);
    // Extraction sees both meetings and says they conflict.
    let Extraction::Conflict { candidates } = extract(&out) else {
        panic!()
    };
    assert_eq!(candidates.len(), 2);
}

#[test]
fn plain_text_bodies() {
    let body = "Agenda:\n- numbers\n";
    let b = block(5);
    let once = upsert(body, BodyKind::Text, &b);
    assert_eq!(once, format!("{body}\n\n{}", b.text));
    assert_eq!(upsert(&once, BodyKind::Text, &b), once);
    assert_eq!(remove(&once, BodyKind::Text), body);
    let replied = "Sure.\n> On Monday Bob wrote:\n> hi";
    let out = upsert(replied, BodyKind::Text, &b);
    assert_eq!(
        out,
        format!("Sure.\n{}\n\n> On Monday Bob wrote:\n> hi", b.text)
    );
    assert_eq!(remove(&out, BodyKind::Text), replied);
    let Extraction::Found(c) = extract(&out) else {
        panic!()
    };
    assert_eq!(c.direct_dial_uri, coords(5).direct_dial_uri);
}

#[test]
fn a_quoted_line_naming_our_video_id_stays_out_of_the_block() {
    // Found by the invite fuzz target (seed fuzz/corpus/invite/regression-quoted-mention):
    // the block's reader took a quoted line that names its Video ID for a line of the block,
    // so a second upsert replaced it along with the block and the quoted text was lost.
    let b = block(123_456_789);
    let id = coords(123_456_789).video_id.unwrap();
    for quoted in [
        format!("> Bob: I dialled {} and it worked\n", id.as_str()),
        format!("> {}\n", id.grouped()),
    ] {
        let body = format!("Agenda\n{quoted}");
        let once = upsert(&body, BodyKind::Text, &b);
        assert_eq!(upsert(&once, BodyKind::Text, &b), once, "{once:?}");
        assert_eq!(remove(&once, BodyKind::Text), body);
        assert!(once.ends_with(&quoted), "{once:?}");
    }
}

#[test]
fn a_line_typed_under_the_block_stays_the_organizers() {
    // Found by the invite fuzz target (seed fuzz/corpus/invite/regression-line-after-block):
    // a line right under the block that names the tenant key was read as part of the
    // block, and Update replaced it along with the block. Every wording ends with its
    // more-info line; after it only the partner's link itself belongs to the block.
    let b = block(123_456_789);
    let mine = "Trouble? Dial 813878896@t.plcm.vc from any room and ask.";
    let text = format!("{}\n{mine}\n", upsert("Agenda\n", BodyKind::Text, &b));
    assert_eq!(upsert(&text, BodyKind::Text, &b), text);
    let html = upsert(
        "<html><body><p>Agenda</p></body></html>",
        BodyKind::Html,
        &b,
    )
    .replace("</body>", &format!("<p>{mine}</p></body>"));
    assert_eq!(upsert(&html, BodyKind::Html, &b), html);
    // Replacing another ID's block keeps the line too.
    let moved = upsert(&text, BodyKind::Text, &block(42));
    assert!(moved.ends_with(&format!("\n{mine}\n")), "{moved:?}");
    // A line with the partner's link in it is the organizer's as well (seed
    // regression-link-after-block); only the link alone on its line is the block's.
    let linked = format!(
        "{}\nSee <https://dialin.plcm.vc/teams/?key=813878896&conf=1234567894>\n",
        upsert("Agenda\n", BodyKind::Text, &b)
    );
    assert_eq!(upsert(&linked, BodyKind::Text, &b), linked);
}

#[test]
fn ics_description_is_extracted() {
    let Extraction::Found(c) = extract(ICS) else {
        panic!("{:?}", extract(ICS))
    };
    assert_eq!(c.video_id.unwrap().as_str(), "1223269647");
    assert_eq!(
        c.more_info_url.as_deref(),
        Some("https://dialin.plcm.vc/teams/?key=813878896&conf=1223269647")
    );
    assert_eq!(
        c.teams_join_url.as_deref(),
        Some("https://teams.microsoft.com/l/meetup-join/19%3ameeting_xyz%40thread.v2/0")
    );
    assert_eq!(extract("no block here"), Extraction::Absent);
    let json = serde_json::to_value(extract("no block")).unwrap();
    assert_eq!(json, serde_json::json!({"status": "none"}));
    let json = serde_json::to_value(extract(ICS)).unwrap();
    assert_eq!(
        (json["status"].as_str(), json["tenant_key"].as_str()),
        (Some("ok"), Some("813878896@t.plcm.vc"))
    );
}

#[test]
fn every_language_round_trips() {
    for lang in Lang::ALL {
        let b = render(&coords(6), lang);
        for (body, kind) in [("<p>x</p>", BodyKind::Html), ("x", BodyKind::Text)] {
            let out = upsert(body, kind, &b);
            let Extraction::Found(c) = extract(&out) else {
                panic!("{lang:?} {kind:?}: {out}")
            };
            assert_eq!(c.video_id, coords(6).video_id, "{lang:?}");
            assert_eq!(
                upsert(&out, kind, &render(&coords(7), Lang::En))
                    .matches("cvi-vtc-block")
                    .count(),
                usize::from(kind == BodyKind::Html)
            );
        }
    }
}

#[test]
fn broken_html_at_the_end_gets_the_block_at_the_start() {
    for body in [
        "<p>x</p><!-- unterminated",
        "<p>x</p><a href=\"",
        "<p>x</p><script>var a",
        "<body><p>x<textarea>",
    ] {
        let b = block(8);
        let once = upsert(body, BodyKind::Html, &b);
        assert_eq!(unquoted(&once, BodyKind::Html), 1, "{body}");
        assert_eq!(upsert(&once, BodyKind::Html, &b), once, "{body}");
        assert_eq!(remove(&once, BodyKind::Html), body);
    }
}

fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<script>alert(1)</script>".to_string()),
        Just("javascript:alert(1)".to_string()),
        Just("\"><img src=x onerror=alert(1)>".to_string()),
        Just("' onmouseover='x".to_string()),
        "\\PC{0,30}",
    ]
}

/// Body pieces: text, Word and Outlook markup, tag soup, quotes.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,20}",
        "[a-z <>/=\"'!&;-]{0,20}",
        Just("<p class=MsoNormal>Agenda<o:p></o:p></p>".to_string()),
        Just("<div><span style=\"color:red\">text</span></div>".to_string()),
        Just("<br>".to_string()),
        Just("&nbsp;".to_string()),
        Just("</body>".to_string()),
        Just("<blockquote>quoted</blockquote>".to_string()),
        Just("<table><tr><td>cell</td></tr></table>".to_string()),
        Just("\n".to_string()),
    ]
}

fn body() -> impl Strategy<Value = String> {
    proptest::collection::vec(piece(), 0..12).prop_map(|v| v.concat())
}

proptest! {
    #[test]
    fn upsert_is_idempotent_and_remove_inverts_it(b in body(), id in 0u32..1_000_000_000, text in any::<bool>()) {
        let kind = if text { BodyKind::Text } else { BodyKind::Html };
        prop_assume!(find(&b, kind).is_empty());
        let blk = block(id);
        let once = upsert(&b, kind, &blk);
        prop_assert_eq!(upsert(&once, kind, &blk), once.clone());
        prop_assert_eq!(unquoted(&once, kind), 1);
        prop_assert_eq!(remove(&once, kind), b.clone());
        // Only the block (and, in text, its blank line) was added.
        let added = if !text { blk.html.clone() } else if b.is_empty() { blk.text.clone() } else if once.starts_with(&b) { format!("\n\n{}", blk.text) } else { format!("{}\n\n", blk.text) };
        prop_assert!(is_insertion(&b, &once, &added), "{:?} -> {:?}", b, once);
    }

    #[test]
    fn lines_naming_our_values_outside_the_block_stay(pre in "[^>\n]{0,40}", said in "[^\n]{0,40}", id in 0u32..1_000_000_000, quoted in any::<bool>(), tk in any::<bool>()) {
        // The organizer's (or a quoted reply's) line right under a plain-text block, naming
        // its tenant key or Video ID: Update rewrites the block and keeps the line.
        let c = coords(id);
        let value = if tk { c.tenant_key.as_ref().unwrap().to_string() } else { c.video_id.as_ref().unwrap().as_str().to_string() };
        let line = format!("{}{said} {value}", if quoted { "> " } else { "" });
        let once = upsert(&pre, BodyKind::Text, &block(id));
        let body = format!("{once}\n{line}\n");
        prop_assert_eq!(upsert(&body, BodyKind::Text, &block(id)), body.clone());
        let moved = upsert(&body, BodyKind::Text, &block(id / 2 + 1));
        prop_assert!(moved.ends_with(&format!("\n{line}\n")), "{:?}", moved);
    }

    #[test]
    fn replacing_keeps_everything_outside(pre in body(), post in body(), a in 0u32..1_000_000_000, c in 0u32..1_000_000_000) {
        prop_assume!(find(&pre, BodyKind::Html).is_empty() && find(&post, BodyKind::Html).is_empty());
        let body = format!("{pre}{}{post}", block(a).html);
        // Only where the block is markup: `pre` may end inside a tag or comment.
        let found = find(&body, BodyKind::Html);
        prop_assume!(found.len() == 1 && found[0].range == (pre.len()..pre.len() + block(a).html.len()));
        let out = upsert(&body, BodyKind::Html, &block(c));
        prop_assert_eq!(out, format!("{pre}{}{post}", block(c).html));
    }

    #[test]
    fn nothing_panics(b in "\\PC{0,300}", junk in proptest::collection::vec(any::<u8>(), 0..200)) {
        let junk = String::from_utf8_lossy(&junk).into_owned();
        for s in [&b, &junk] {
            let _ = extract(s);
            for kind in [BodyKind::Html, BodyKind::Text] {
                let _ = remove(s, kind);
                let _ = upsert(s, kind, &block(9));
                let _ = find(s, kind);
            }
        }
    }

    #[test]
    fn fields_never_inject_markup(url in hostile(), ivr in hostile(), direct in hostile(), lang in 0usize..5) {
        let mut c = coords(10);
        c.more_info_url = Some(url.clone());
        c.ivr_uri = Some(ivr);
        c.direct_dial_uri = Some(direct);
        let b = render(&c, Lang::ALL[lang]);
        let lower = b.html.to_lowercase();
        prop_assert!(!lower.contains("<script"));
        prop_assert!(!lower.contains("<img"));
        prop_assert!(!lower.contains("href=\"javascript:"));
        prop_assert!(!lower.contains("onerror=") || lower.contains("onerror=alert(1)&gt;") || !lower.contains("<img"));
        // Exactly our own elements: every '<' in the block starts one of our tags.
        for tag in b.html.split('<').skip(1) {
            let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            prop_assert!(["div", "p", "b", "a"].contains(&name.as_str()), "unexpected tag {:?} in {}", name, b.html);
        }
        if !url.starts_with("https://") {
            prop_assert!(!b.html.contains("href="), "non-https URLs are not links");
        }
    }
}

proptest! {
    /// What the scheduler's "Download .ics" writes, `invite extract` reads back: the same
    /// coordinates from any subject, and every line stays within 75 octets.
    #[test]
    fn ics_written_is_extracted(subject in "\\PC{0,200}", body in 0u32..1_000_000_000) {
        let c = coords(body);
        let b = render(&c, Lang::Ja);
        let f = cvi_core::ics::write(&cvi_core::ics::Event {
            uid: "m-1", subject: &subject, start: "2027-01-23T09:00:00Z", end: "2027-01-23T10:00:00Z",
            stamp: "2026-11-25T00:00:00Z", organizer: None, attendees: &[],
            location: c.direct_dial_uri.as_deref(), block: &b,
        }).unwrap();
        prop_assert!(f.split("\r\n").all(|l| l.len() <= 75));
        let Extraction::Found(got) = extract(&f) else { panic!("{:?}", extract(&f)) };
        prop_assert_eq!(got.video_id, c.video_id);
        prop_assert_eq!(got.tenant_key, c.tenant_key);
        prop_assert_eq!(got.direct_dial_uri, c.direct_dial_uri);
    }
}

/// Every input the invite fuzz target once failed on (`fuzz/corpus/invite/regression-*`),
/// held to the target's invariants on every `cargo test`, not only when someone fuzzes.
#[test]
fn the_fuzzers_finds_stay_fixed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz/corpus/invite");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("regression-") {
            continue;
        }
        seen += 1;
        let body = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
        for kind in [BodyKind::Html, BodyKind::Text] {
            let had_block = !find(&body, kind).is_empty();
            let once = upsert(&body, kind, &block(123_456_789));
            assert_eq!(
                upsert(&once, kind, &block(123_456_789)),
                once,
                "{name} ({kind:?}): upsert is idempotent"
            );
            assert_eq!(unquoted(&once, kind), 1, "{name} ({kind:?}): one block");
            if !had_block {
                assert_eq!(
                    remove(&once, kind),
                    body,
                    "{name} ({kind:?}): remove restores"
                );
            }
        }
    }
    assert!(seen >= 5, "only {seen} regression inputs in {dir}");
}
