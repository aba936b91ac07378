//! The block's languages, and every wording a parser must recognise (current ones in all
//! languages, and the older English ones that 2019-era invites carry).

use std::sync::LazyLock;

/// A language the block and the add-in are localized to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    De,
    Fr,
    Es,
    Ja,
}

/// The words of the block in one language.
pub(crate) struct Words {
    pub heading: &'static str,
    pub tenant_key: &'static str,
    pub video_id: &'static str,
    pub more_info: &'static str,
    /// `{ivr}` and `{direct}` are replaced by the (escaped) dial strings.
    pub dial_hint: &'static str,
}

impl Lang {
    /// Every supported language.
    pub const ALL: [Lang; 5] = [Lang::En, Lang::De, Lang::Fr, Lang::Es, Lang::Ja];

    /// The BCP 47 primary tag (`en`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::Ja => "ja",
        }
    }

    /// Parses `de`, `de-DE`, `DE_at`: `None` for a language we do not have.
    #[must_use]
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// The language to show for a host's display language: [`Lang::parse`], else English.
    #[must_use]
    pub fn for_display(tag: &str) -> Lang {
        Lang::parse(tag).unwrap_or_default()
    }

    pub(crate) fn words(self) -> &'static Words {
        match self {
            Lang::En => &Words {
                heading: "Join on a video conferencing device",
                tenant_key: "Tenant key",
                video_id: "Video ID",
                more_info: "More info",
                dial_hint: "Dial {ivr} and enter the Video ID, or dial {direct} to join directly.",
            },
            Lang::De => &Words {
                heading: "Über ein Videokonferenzgerät teilnehmen",
                tenant_key: "Mandantenschlüssel",
                video_id: "Video-ID",
                more_info: "Weitere Informationen",
                dial_hint: "Wählen Sie {ivr} und geben Sie die Video-ID ein, oder wählen Sie {direct} für die direkte Teilnahme.",
            },
            Lang::Fr => &Words {
                heading: "Rejoindre à partir d’un appareil de visioconférence",
                tenant_key: "Clé de locataire",
                video_id: "ID vidéo",
                more_info: "Plus d’informations",
                dial_hint: "Composez {ivr} puis saisissez l’ID vidéo, ou composez {direct} pour rejoindre directement.",
            },
            Lang::Es => &Words {
                heading: "Unirse desde un dispositivo de videoconferencia",
                tenant_key: "Clave de inquilino",
                video_id: "Id. de vídeo",
                more_info: "Más información",
                dial_hint: "Marque {ivr} e introduzca el Id. de vídeo, o marque {direct} para unirse directamente.",
            },
            Lang::Ja => &Words {
                heading: "ビデオ会議デバイスから参加する",
                tenant_key: "テナント キー",
                video_id: "ビデオ ID",
                more_info: "詳細情報",
                dial_hint: "{ivr} にダイヤルしてビデオ ID を入力するか、{direct} に直接ダイヤルしてください。",
            },
        }
    }
}

/// Wordings that Microsoft and the partners have put in real invites, besides the block's
/// own words in each of its languages. Each is seen in a public sample (sources in
/// the headers of `tests/fixtures/real/`): 2019–20 "VTC Conference ID" / "Alternate VTC dialing
/// instructions", 2021–22 "Video Conference ID" / "Alternate VTC instructions", 2023+
/// "Join on a video conferencing device" / "Tenant key" / "Video ID" / "More info", and
/// Microsoft's Danish, German and Finnish labels. A language not listed here is still found
/// by the block's structure (see `locate`).
const OLDER_HEADINGS: [&str; 4] = [
    "Join with a video conferencing device",
    "Join with a video conference device",
    "Mit einem Gerät für Videokonferenzen teilnehmen",
    "Tilmeld dig på en enhed til videomøder",
];
const OLDER_TENANT_KEY_LABELS: [&str; 1] = ["Lejernøgle"];
const OLDER_VIDEO_ID_LABELS: [&str; 4] = [
    "VTC Conference ID",
    "Video Conference ID",
    "Video-id",
    "Videoneuvottelun tunnus",
];
const OLDER_MORE_INFO: [&str; 4] = [
    "Alternate VTC instructions",
    "Alternate VTC dialing instructions",
    "Flere oplysninger",
    "Vaihtoehtoiset VTC-liittymisohjeet",
];
/// Words that a block's heading carries in (almost) every language: a short line with one
/// of them, followed by a tenant key and a Video ID, is a block in a wording we do not know.
/// The ASCII ones are looked for in every short line, the others only in lines that are not
/// ASCII (this test runs on every line of bodies up to megabytes long).
const HEADING_KEYWORDS_ASCII: [&str; 3] = ["video", "vtc", "wideo"];
const HEADING_KEYWORDS_OTHER: [&str; 7] =
    ["vidéo", "vídeo", "videó", "видео", "ビデオ", "视频", "視訊"];

fn any_lang(pick: fn(&Words) -> &'static str) -> impl Iterator<Item = &'static str> {
    Lang::ALL.into_iter().map(move |l| pick(l.words()))
}

/// Lower-cases and collapses whitespace (incl. no-break spaces) for wording comparisons.
pub(crate) fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for c in s.chars() {
        // `char::is_whitespace` covers the no-break space; Word also sprinkles zero-width spaces.
        if c.is_whitespace() || c == '\u{200b}' {
            gap = !out.is_empty();
            continue;
        }
        // Invisible in every rendering: soft hyphens, joiners, byte-order marks.
        if matches!(
            c,
            '\u{ad}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}'
        ) {
            continue;
        }
        if gap {
            out.push(' ');
            gap = false;
        }
        match c {
            '\u{2019}' => out.push('\''),
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => out.push(lower(c)),
        }
    }
    out
}

/// `c` lower-cased, for the scripts the block's words are written in: Latin (ASCII, Latin-1,
/// Latin Extended-A), basic Greek and Cyrillic; any other character is returned as it is. The
/// full Unicode mapping (`char::to_lowercase`) brings a ~12 KB table into every add-in
/// bundle; this one is a few comparisons, and it agrees with it on these blocks (tested).
fn lower(c: char) -> char {
    let n = c as u32;
    let to = match n {
        0x41..=0x5a => n + 0x20,
        // À..Þ but not ×.
        0xc0..=0xde if n != 0xd7 => n + 0x20,
        // İ: Unicode's lower case is i + combining dot, which no wording of ours has.
        0x130 => 0x69,
        // Latin Extended-A: upper cases are the even code points here…
        0x100..=0x137 | 0x14a..=0x177 if n & 1 == 0 => n + 1,
        // …and the odd ones here.
        0x139..=0x148 | 0x179..=0x17e if n & 1 == 1 => n + 1,
        0x178 => 0xff,
        // Greek capitals (0x3a2 is unassigned), then those with a tonos.
        0x391..=0x3ab if n != 0x3a2 => n + 0x20,
        0x386 => 0x3ac,
        0x388..=0x38a => n + 37,
        0x38c => 0x3cc,
        0x38e..=0x38f => n + 63,
        // Cyrillic: Ѐ..Џ, then А..Я.
        0x400..=0x40f => n + 0x50,
        0x410..=0x42f => n + 0x20,
        _ => n,
    };
    char::from_u32(to).unwrap_or(c)
}

fn normalized(candidates: impl Iterator<Item = &'static str>) -> Vec<String> {
    candidates.map(normalize).collect()
}

// Normalized once: recognition runs on every line of bodies up to megabytes long.
static HEADINGS: LazyLock<Vec<String>> =
    LazyLock::new(|| normalized(any_lang(|w| w.heading).chain(OLDER_HEADINGS)));
static TENANT_KEY_LABELS: LazyLock<Vec<String>> =
    LazyLock::new(|| normalized(any_lang(|w| w.tenant_key).chain(OLDER_TENANT_KEY_LABELS)));
static VIDEO_ID_LABELS: LazyLock<Vec<String>> =
    LazyLock::new(|| normalized(any_lang(|w| w.video_id).chain(OLDER_VIDEO_ID_LABELS)));
static MORE_INFO_LABELS: LazyLock<Vec<String>> =
    LazyLock::new(|| normalized(any_lang(|w| w.more_info).chain(OLDER_MORE_INFO)));

fn matches(text: &str, candidates: &[String]) -> bool {
    candidates.iter().any(|c| text == c)
}

/// Is this (normalized) line a block heading in any language or wording?
pub(crate) fn is_heading(line: &str) -> bool {
    // Cheap length test first: headings are short.
    line.len() < 120 && matches(line.trim_end_matches([':', '：']).trim_end(), &HEADINGS)
}

/// What a `label: value` line holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label {
    TenantKey,
    VideoId,
    MoreInfo,
}

/// Splits a (normalized) `label: value` line and names the label, if it is one of ours.
/// Microsoft's 2019–22 blocks put the tenant key before the label on the same line
/// (`fabrikam@m.webex.com video conference id: 119 204 377 5`): that form counts too, so
/// the caller reads the tenant key from the text before the label.
pub(crate) fn label(line: &str) -> Option<Label> {
    let (at, _) = label_colon(line)?;
    let l = line[..at].trim();
    if l.len() > 80 {
        return None;
    }
    let kind = |l: &str| {
        if matches(l, &TENANT_KEY_LABELS) {
            Some(Label::TenantKey)
        } else if matches(l, &VIDEO_ID_LABELS) {
            Some(Label::VideoId)
        } else if matches(l, &MORE_INFO_LABELS) {
            Some(Label::MoreInfo)
        } else {
            None
        }
    };
    kind(l).or_else(|| {
        // Plain text prints the address's link after it: `key@domain<mailto:key@domain>`.
        let before = l.split(' ').next()?;
        let rest = l[before.len()..].trim();
        (before.contains('@') && !before.starts_with('@'))
            .then(|| kind(rest))
            .flatten()
    })
}

/// Where a line's label colon is (byte offset and length): the first `:` or `：` that is
/// not inside a `<…>` link of a plain-text body (`<mailto:…>`, `<https://…>`).
pub(crate) fn label_colon(line: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    for (at, c) in line.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            ':' | '：' if depth == 0 => return Some((at, c.len_utf8())),
            _ => {}
        }
    }
    None
}

/// Could this (normalized) line be a block's heading in a wording we do not know? Short,
/// and naming video or VTC in one of many languages.
pub(crate) fn is_heading_like(line: &str) -> bool {
    line.len() < 100
        && (HEADING_KEYWORDS_ASCII.iter().any(|k| line.contains(k))
            || (!line.is_ascii() && HEADING_KEYWORDS_OTHER.iter().any(|k| line.contains(k))))
}

/// Is `first` + space + `second` (normalized lines) a heading hard-wrapped over two lines?
/// Compared in place: this runs on every short line.
pub(crate) fn is_wrapped_heading(first: &str, second: &str) -> bool {
    !first.is_empty()
        && HEADINGS.iter().any(|h| {
            h.len() == first.len() + 1 + second.len()
                && h.starts_with(first)
                && h.as_bytes()[first.len()] == b' '
                && h.ends_with(second)
        })
}

/// Is this (normalized) line the more-info link text on its own?
pub(crate) fn is_more_info(line: &str) -> bool {
    // Plain-text bodies keep the link after its text: `More info<https://…>`.
    let line = line.split('<').next().unwrap_or("").trim();
    line.len() < 80 && matches(line.trim_end_matches(['.', ':']), &MORE_INFO_LABELS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_agrees_with_unicode_where_it_maps() {
        // Every character `lower` changes is one Unicode lower-cases to exactly that
        // (İ aside), and every one-character mapping in the scripts it covers is made.
        let covered = (0..0x180).chain(0x386..0x3cf).chain(0x400..0x450);
        for c in covered.filter_map(char::from_u32) {
            let unicode: Vec<char> = c.to_lowercase().collect();
            if c == '\u{130}' {
                assert_eq!(lower(c), 'i');
            } else if unicode.len() == 1 {
                assert_eq!(lower(c), unicode[0], "{c:?} U+{:04X}", c as u32);
            }
        }
        // Outside those scripts a character is kept as it is.
        assert_eq!(lower('Ａ'), 'Ａ');
        assert_eq!(lower('Ɓ'), 'Ɓ');
        assert_eq!(lower('ビ'), 'ビ');
    }

    #[test]
    fn parses_language_tags() {
        assert_eq!(Lang::parse("de-DE"), Some(Lang::De));
        assert_eq!(Lang::parse("JA"), Some(Lang::Ja));
        assert_eq!(Lang::parse("xx"), None);
        assert_eq!(Lang::for_display("pt-BR"), Lang::En);
    }

    #[test]
    fn recognises_every_wording() {
        for l in Lang::ALL {
            assert!(is_heading(&normalize(l.words().heading)), "{l:?}");
            let line = normalize(&format!("{}: 122 326 964 4", l.words().video_id));
            assert_eq!(label(&line), Some(Label::VideoId), "{l:?}");
        }
        assert!(is_heading(&normalize(
            "Join with a video conferencing device"
        )));
        assert!(is_heading(&normalize(
            "JOIN\u{a0}ON a video  conferencing device:"
        )));
        assert_eq!(
            label(&normalize("VTC Conference ID: 1223269647")),
            Some(Label::VideoId)
        );
        assert_eq!(
            label(&normalize(
                "813878896@t.plcm.vc<mailto:813878896@t.plcm.vc> VTC Conference ID: 017988591"
            )),
            Some(Label::VideoId)
        );
        assert_eq!(label(&normalize("Phone Conference ID: 353 854 704#")), None);
        assert!(is_more_info(&normalize("Alternate VTC instructions")));
        assert_eq!(label("subject: hi"), None);
    }
}
