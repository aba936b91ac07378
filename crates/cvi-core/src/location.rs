//! The meeting's location field: the direct-dial SIP URI goes there when it fits, next to
//! whatever the organizer typed, and comes out again without touching the rest.

/// Outlook's limit for an appointment's location, in characters.
pub const MAX_LOCATION_CHARS: usize = 255;
const SEPARATOR: &str = "; ";

fn sip(uri: &str) -> String {
    if uri.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("sip:")) {
        uri.to_string()
    } else {
        format!("sip:{uri}")
    }
}

/// What adding the SIP URI to a location comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WithSip {
    /// The new location.
    Added(String),
    /// The URI is there already: nothing to write.
    AlreadyThere,
    /// It would not fit in [`MAX_LOCATION_CHARS`]: the organizer's text wins, the user is told.
    NoRoom,
}

/// The location with `sip:<uri>` added after what is there, unless it is there already or
/// the result would exceed [`MAX_LOCATION_CHARS`].
///
/// ```
/// use cvi_core::location::{with_sip, WithSip};
/// assert_eq!(with_sip("", "1.2@t.plcm.vc"), WithSip::Added("sip:1.2@t.plcm.vc".into()));
/// assert_eq!(with_sip("Room 4", "1.2@t.plcm.vc"), WithSip::Added("Room 4; sip:1.2@t.plcm.vc".into()));
/// assert_eq!(with_sip("Room 4; sip:1.2@t.plcm.vc", "1.2@t.plcm.vc"), WithSip::AlreadyThere);
/// assert_eq!(with_sip(&"x".repeat(250), "1.2@t.plcm.vc"), WithSip::NoRoom);
/// ```
#[must_use]
pub fn with_sip(location: &str, uri: &str) -> WithSip {
    let entry = sip(uri);
    if location
        .split(';')
        .any(|p| p.trim().eq_ignore_ascii_case(&entry))
    {
        return WithSip::AlreadyThere;
    }
    let typed = location.trim_end();
    let out = if typed.trim().is_empty() {
        entry
    } else {
        format!("{typed}{SEPARATOR}{entry}")
    };
    if out.chars().count() <= MAX_LOCATION_CHARS {
        WithSip::Added(out)
    } else {
        WithSip::NoRoom
    }
}

/// The location without `sip:<uri>` (and its separator). `None` when it is not there.
#[must_use]
pub fn without_sip(location: &str, uri: &str) -> Option<String> {
    let entry = sip(uri);
    let parts: Vec<&str> = location.split(';').collect();
    let keep: Vec<&str> = parts
        .iter()
        .copied()
        .filter(|p| !p.trim().eq_ignore_ascii_case(&entry))
        .collect();
    if keep.len() == parts.len() {
        return None;
    }
    Some(
        keep.iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(SEPARATOR),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const URI: &str = "813878896.1223269647@t.plcm.vc";

    #[test]
    fn adds_after_the_organizers_text_and_respects_the_limit() {
        assert_eq!(with_sip("  ", URI), WithSip::Added(format!("sip:{URI}")));
        assert_eq!(
            with_sip("Building 7", &format!("SIP:{URI}")),
            WithSip::Added(format!("Building 7; SIP:{URI}"))
        );
        let long = "x".repeat(MAX_LOCATION_CHARS - 5);
        assert_eq!(
            with_sip(&long, URI),
            WithSip::NoRoom,
            "does not fit: left alone"
        );
        assert_eq!(
            with_sip(&format!("Room; SIP:{URI}"), URI),
            WithSip::AlreadyThere
        );
    }

    #[test]
    fn removes_only_the_uri() {
        assert_eq!(
            without_sip(&format!("Room 4; sip:{URI}"), URI).unwrap(),
            "Room 4"
        );
        assert_eq!(without_sip(&format!("sip:{URI}"), URI).unwrap(), "");
        assert_eq!(without_sip("Room 4", URI), None);
    }

    proptest! {
        #[test]
        fn add_then_remove_gives_the_organizers_text(typed in "[^;]{0,80}") {
            let typed = typed.trim().to_string();
            if let WithSip::Added(added) = with_sip(&typed, URI) {
                prop_assert!(added.chars().count() <= MAX_LOCATION_CHARS);
                prop_assert_eq!(with_sip(&added, URI), WithSip::AlreadyThere);
                prop_assert_eq!(without_sip(&added, URI).unwrap(), typed);
            }
        }
    }
}
