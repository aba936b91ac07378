//! A Teams tab through teams-js (teams.js): Teams' theme, language and SSO token for the
//! tab (`teams_tab`), whose token the server exchanges on-behalf-of for Graph.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{Host, HostError, HostFuture, HostKind, Theme};

#[wasm_bindgen(module = "/src/host/teams.js")]
extern "C" {
    #[wasm_bindgen(js_name = teamsReady)]
    fn teams_ready(load: bool, timeout_ms: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = onThemeChange)]
    fn on_theme_change(handler: &Closure<dyn FnMut(String)>);
    #[wasm_bindgen(js_name = authToken)]
    fn auth_token() -> js_sys::Promise;
}

/// teams-js' theme names.
fn theme(name: &str) -> Theme {
    match name {
        "dark" => Theme::Dark,
        "contrast" => Theme::Contrast,
        _ => Theme::Light,
    }
}

pub struct TeamsHost {
    locale: String,
    theme: Theme,
}

impl TeamsHost {
    /// `Some` inside Teams (teams-js initializes within a second).
    pub async fn detect(load: bool) -> Option<TeamsHost> {
        let ctx = JsFuture::from(teams_ready(load, 1500)).await.ok()?;
        if ctx.is_null() || ctx.is_undefined() {
            return None;
        }
        let field = |name: &str| {
            js_sys::Reflect::get(&ctx, &name.into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        let handler = Closure::<dyn FnMut(String)>::new(|t: String| super::apply_theme(theme(&t)));
        on_theme_change(&handler);
        handler.forget();
        Some(TeamsHost {
            locale: field("locale"),
            theme: theme(&field("theme")),
        })
    }
}

impl Host for TeamsHost {
    fn kind(&self) -> HostKind {
        HostKind::Teams
    }

    fn theme(&self) -> Theme {
        self.theme
    }

    fn locale(&self) -> String {
        self.locale.clone()
    }

    fn token(&self) -> HostFuture<'_, Option<String>> {
        Box::pin(async {
            let t = JsFuture::from(auth_token())
                .await
                .map_err(HostError::from)?;
            Ok(t.as_string())
        })
    }
}
