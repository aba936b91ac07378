//! The no-UI command ("Add VTC details" on the appointment ribbon): the same workflow as
//! the task pane's primary action, reported in Outlook's notification bar. No Leptos here,
//! so the page stays small: cvi-core, the host, the API client and the glue.

use cvi_addin::{
    api::Api,
    host::{self, Appointment, Host, Notice, OutlookHost},
    i18n::rows,
    words::{self, tr},
    workflow::{self, Failure},
};
use cvi_core::invite::Lang;
use std::rc::Rc;

/// The function name both manifests give the command.
const COMMAND: &str = "addVtcDetails";

async fn add(outlook: &OutlookHost, lang: Lang) -> Result<workflow::Written, Failure> {
    let token = outlook
        .token()
        .await
        .map_err(|e| Failure::SignIn(e.0))?
        .ok_or_else(|| Failure::SignIn(String::new()))?;
    workflow::add(outlook, &Api::new(Some(token)), lang, false).await
}

fn main() {
    wasm_bindgen_futures::spawn_local(async {
        let Some(outlook) = OutlookHost::detect(true).await else {
            return;
        };
        host::apply_theme(outlook.theme());
        let lang = Lang::for_display(&outlook.locale());
        let outlook = Rc::new(outlook);
        host::associate_command(COMMAND, move || {
            let outlook = outlook.clone();
            async move {
                let (kind, message) = match add(&outlook, lang).await {
                    Ok(w) if w.location_full => (
                        Notice::Info,
                        format!("{} {}", tr(rows::Added), tr(rows::LocationFull)),
                    ),
                    Ok(_) => (Notice::Info, tr(rows::Added).to_string()),
                    Err(f) => {
                        let (words, detail) = f.text();
                        let text = if detail.is_empty() {
                            words.to_string()
                        } else {
                            format!("{words} {detail}")
                        };
                        (Notice::Error, text)
                    }
                };
                let _ = outlook.notify(kind, message).await;
            }
        });
        // After the association: Outlook runs the command as soon as it is associated, and
        // a slow words file must not hold that up (until it is here, outcomes are in English).
        words::load(words::ADDIN, lang).await;
    });
}
