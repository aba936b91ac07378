//! The add-in's own words (the block's words live in cvi-core): English here, the other
//! languages in `static/words/<lang>.json`, loaded by [`crate::words::load`] before a page
//! shows, so a bundle carries one language and not five.

use crate::words::{en, tr};

/// Declares [`Key`], each key's English as a constant of [`rows`] and the lookup by key,
/// from one list. `t(key)` is how pages say things; a page that must stay small and says
/// few (the command) names its rows (`tr(rows::Added)`), and so links those rows and not
/// the whole table.
macro_rules! table {
    ($($key:ident => $en:expr,)*) => {
        /// Every UI string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Key {
            $($key,)*
        }

        /// Each key's English.
        #[allow(non_upper_case_globals)]
        pub mod rows {
            use super::en;
            $(pub const $key: &str = $en;)*
        }

        fn english(key: Key) -> &'static str {
            match key {
                $(Key::$key => rows::$key,)*
            }
        }
    };
}

table! {
    Title => en("Video conferencing details"),
    Intro => en("Room systems (SIP/H.323) join this Teams meeting with these details."),
    Loading => en("Loading…"),
    Working => en("Working…"),
    Provider => en("Provider"),
    Add => en("Add video conferencing details"),
    Update => en("Update"),
    Remove => en("Remove"),
    Added => en("Video conferencing details added to the invite."),
    Updated => en("Video conferencing details updated."),
    Removed => en("Video conferencing details removed."),
    NotEnabled => en("Video conferencing is not enabled for you — ask your admin for a video interop policy."),
    ProviderMissing => en("Your organization has not set up its video conferencing provider yet — ask your admin."),
    ConsentMissing => en("Your admin still has to approve the video conferencing partner’s apps (admin consent)."),
    Unreachable => en("The video conferencing service cannot be reached. Check your connection and try again."),
    BodyTooLarge => en("The invite is too long to add the details (Outlook allows 1,000,000 characters). Shorten it and try again."),
    SignInFailed => en("You could not be signed in to the video conferencing service."),
    Failed => en("That did not work:"),
    TryAgain => en("Try again"),
    Foreign => en("This invite already has video conferencing details that your organization’s scheduler did not issue. Replace them with yours?"),
    TimesChanged => en("The meeting’s time changed after its details were added. Select Update so the video conferencing service knows."),
    Replace => en("Replace them"),
    ForeignOnRemove => en("Your video conferencing details are removed. The invite also has details that your organization’s scheduler did not issue. Remove them too?"),
    LocationFull => en("The address room systems dial did not fit in the location (Outlook allows 255 characters), so it is only in the invite."),
    RemoveToo => en("Remove them too"),
    Keep => en("Keep them"),
    TenantKey => en("Tenant key"),
    VideoId => en("Video ID"),
    DirectDial => en("Direct dial"),
    MoreInfo => en("More info"),
    Subject => en("Subject"),
    Start => en("Start"),
    End => en("End"),
    Attendees => en("Attendees (e-mail addresses, separated by commas)"),
    GetDetails => en("Get video conferencing details"),
    DownloadIcs => en("Download .ics"),
    Copy => en("Copy"),
    Copied => en("Copied"),
    Preview => en("Invite preview"),
    PlainText => en("Plain-text version"),
    BadTimes => en("Enter a start and an end; the end must be after the start."),
    SignIn => en("Sign in"),
    SignInHint => en("Demo sign-in: this server runs the development issuer."),
    Tenant => en("Tenant"),
    Email => en("E-mail address"),
    NoSignIn => en("Open the scheduler from the link your admin gave you; it signs you in."),
    // {who}/{tenant}: the link's account; {me}/{my}: the one signed in.
    SwitchPrompt => en("A link would sign you in as {who} in tenant {tenant}, but you are signed in as {me} in tenant {my}. Switch only if you opened this link yourself."),
    SwitchAccount => en("Switch account"),
    StaySignedIn => en("Stay signed in"),
}

/// `key` in the page's language.
pub fn t(key: Key) -> &'static str {
    tr(english(key))
}
