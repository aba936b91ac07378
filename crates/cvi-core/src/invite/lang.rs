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
    pub fn parse_strict(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// Like [`Lang::parse_strict`] but falls back to English (for hosts' display languages).
    #[must_use]
    pub fn parse(tag: &str) -> Lang {
        Lang::parse_strict(tag).unwrap_or_default()
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

/// Headings that open a block, besides each language's current one.
const OLDER_HEADINGS: [&str; 2] = [
    "Join with a video conferencing device",
    "Join with a video conference device",
];
/// Labels of the Video ID line in older invites.
const OLDER_VIDEO_ID_LABELS: [&str; 3] =
    ["VTC Conference ID", "VTC conference ID", "Conference ID"];
/// Link texts of the more-info line in older invites.
const OLDER_MORE_INFO: [&str; 1] = ["Alternate VTC instructions"];

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
        if gap {
            out.push(' ');
            gap = false;
        }
        match c {
            '\u{2019}' => out.push('\''),
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

fn normalized(candidates: impl Iterator<Item = &'static str>) -> Vec<String> {
    candidates.map(normalize).collect()
}

// Normalized once: recognition runs on every line of bodies up to megabytes long.
static HEADINGS: LazyLock<Vec<String>> =
    LazyLock::new(|| normalized(any_lang(|w| w.heading).chain(OLDER_HEADINGS)));
static TENANT_KEY_LABELS: LazyLock<Vec<String>> =
    LazyLock::new(|| normalized(any_lang(|w| w.tenant_key)));
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
pub(crate) fn label(line: &str) -> Option<(Label, &str)> {
    let (l, v) = line.split_once(':').or_else(|| line.split_once('：'))?;
    let l = l.trim();
    if l.len() > 60 {
        return None;
    }
    let kind = if matches(l, &TENANT_KEY_LABELS) {
        Label::TenantKey
    } else if matches(l, &VIDEO_ID_LABELS) {
        Label::VideoId
    } else if matches(l, &MORE_INFO_LABELS) {
        Label::MoreInfo
    } else {
        return None;
    };
    Some((kind, v.trim()))
}

/// Is this (normalized) line the more-info link text on its own?
pub(crate) fn is_more_info(line: &str) -> bool {
    line.len() < 80 && matches(line.trim_end_matches(['.', ':']), &MORE_INFO_LABELS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_language_tags() {
        assert_eq!(Lang::parse_strict("de-DE"), Some(Lang::De));
        assert_eq!(Lang::parse_strict("JA"), Some(Lang::Ja));
        assert_eq!(Lang::parse_strict("xx"), None);
        assert_eq!(Lang::parse("pt-BR"), Lang::En);
    }

    #[test]
    fn recognises_every_wording() {
        for l in Lang::ALL {
            assert!(is_heading(&normalize(l.words().heading)), "{l:?}");
            let line = normalize(&format!("{}: 122 326 964 4", l.words().video_id));
            assert_eq!(label(&line).map(|(k, _)| k), Some(Label::VideoId), "{l:?}");
        }
        assert!(is_heading(&normalize(
            "Join with a video conferencing device"
        )));
        assert!(is_heading(&normalize(
            "JOIN\u{a0}ON a video  conferencing device:"
        )));
        assert_eq!(
            label(&normalize("VTC Conference ID: 1223269647")).map(|(k, v)| (k, v.to_string())),
            Some((Label::VideoId, "1223269647".into()))
        );
        assert!(is_more_info(&normalize("Alternate VTC instructions")));
        assert_eq!(label("subject: hi"), None);
    }
}
