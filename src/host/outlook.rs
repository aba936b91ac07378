//! Outlook (appointment organizer) through Office.js, via the Promise wrappers in office.js.

use cvi_core::invite::BodyKind;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{
    Appointment, Body, Host, HostError, HostFuture, HostKind, Notice, Series, Theme, Times,
};

/// The custom property that keeps the meeting key with the Outlook item.
pub const KEY_PROPERTY: &str = "cviMeetingKey";

#[wasm_bindgen(module = "/src/host/office.js")]
extern "C" {
    #[wasm_bindgen(js_name = officeReady)]
    fn office_ready(load: bool) -> js_sys::Promise;
    #[wasm_bindgen(js_name = displayLanguage)]
    fn display_language() -> String;
    #[wasm_bindgen(js_name = themeBackground)]
    fn theme_background() -> Option<String>;
    #[wasm_bindgen(js_name = accessToken)]
    fn access_token() -> js_sys::Promise;
    #[wasm_bindgen(js_name = getSubject)]
    fn get_subject() -> js_sys::Promise;
    #[wasm_bindgen(js_name = getStart)]
    fn get_start() -> js_sys::Promise;
    #[wasm_bindgen(js_name = getEnd)]
    fn get_end() -> js_sys::Promise;
    #[wasm_bindgen(js_name = getSeriesEnd)]
    fn get_series_end() -> js_sys::Promise;
    #[wasm_bindgen(js_name = getBody)]
    fn get_body() -> js_sys::Promise;
    #[wasm_bindgen(js_name = setBody)]
    fn set_body(kind: &str, value: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = getLocation)]
    fn get_location() -> js_sys::Promise;
    #[wasm_bindgen(js_name = setLocation)]
    fn set_location(value: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = getCustomProperty)]
    fn get_custom_property(name: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = setCustomProperty)]
    fn set_custom_property(name: &str, value: Option<String>) -> js_sys::Promise;
    #[wasm_bindgen(js_name = notify)]
    fn notify_js(kind: &str, message: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = associate)]
    fn associate(name: &str, handler: &Closure<dyn FnMut() -> js_sys::Promise>);
}

async fn value(p: js_sys::Promise) -> Result<JsValue, HostError> {
    JsFuture::from(p).await.map_err(HostError::from)
}

async fn string(p: js_sys::Promise) -> Result<String, HostError> {
    Ok(value(p).await?.as_string().unwrap_or_default())
}

fn coercion(kind: BodyKind) -> &'static str {
    match kind {
        BodyKind::Html => "html",
        BodyKind::Text => "text",
    }
}

/// Outlook with an appointment in compose mode.
pub struct OutlookHost {
    locale: String,
    theme: Theme,
}

impl OutlookHost {
    /// `Some` when Office.js is (or, with `load`, can be) loaded and reports a mail item.
    pub async fn detect(load: bool) -> Option<OutlookHost> {
        let host = JsFuture::from(office_ready(load)).await.ok()?.as_string()?;
        (host == "Outlook").then(|| OutlookHost {
            locale: display_language(),
            theme: theme_background()
                .map_or_else(super::system_theme, |bg| Theme::from_background(&bg)),
        })
    }
}

impl Host for OutlookHost {
    fn kind(&self) -> HostKind {
        HostKind::Outlook
    }

    fn theme(&self) -> Theme {
        self.theme
    }

    fn locale(&self) -> String {
        self.locale.clone()
    }

    fn token(&self) -> HostFuture<'_, Option<String>> {
        Box::pin(async { Ok(Some(string(access_token()).await?)) })
    }

    fn appointment(&self) -> Option<&dyn Appointment> {
        Some(self)
    }
}

impl Appointment for OutlookHost {
    fn subject(&self) -> HostFuture<'_, String> {
        Box::pin(string(get_subject()))
    }

    fn times(&self) -> HostFuture<'_, Times> {
        Box::pin(async {
            Ok(Times {
                start: string(get_start()).await?,
                end: string(get_end()).await?,
            })
        })
    }

    fn series(&self) -> HostFuture<'_, Series> {
        Box::pin(async {
            Ok(match value(get_series_end()).await?.as_string() {
                None => Series::Single,
                Some(end) if end.is_empty() => Series::Endless,
                Some(end) => Series::Until(end),
            })
        })
    }

    fn body(&self) -> HostFuture<'_, Body> {
        Box::pin(async {
            let v = value(get_body()).await?;
            let field = |name: &str| {
                js_sys::Reflect::get(&v, &name.into())
                    .ok()
                    .and_then(|x| x.as_string())
                    .unwrap_or_default()
            };
            let kind = if field("kind") == "text" {
                BodyKind::Text
            } else {
                BodyKind::Html
            };
            Ok(Body {
                kind,
                value: field("value"),
            })
        })
    }

    fn set_body(&self, body: Body) -> HostFuture<'_, ()> {
        Box::pin(async move {
            value(set_body(coercion(body.kind), &body.value)).await?;
            Ok(())
        })
    }

    fn location(&self) -> HostFuture<'_, String> {
        Box::pin(string(get_location()))
    }

    fn set_location(&self, location: String) -> HostFuture<'_, ()> {
        Box::pin(async move {
            value(set_location(&location)).await?;
            Ok(())
        })
    }

    fn meeting_key(&self) -> HostFuture<'_, Option<String>> {
        Box::pin(async { Ok(value(get_custom_property(KEY_PROPERTY)).await?.as_string()) })
    }

    fn set_meeting_key(&self, key: Option<String>) -> HostFuture<'_, ()> {
        Box::pin(async move {
            value(set_custom_property(KEY_PROPERTY, key)).await?;
            Ok(())
        })
    }

    fn notify(&self, kind: Notice, message: String) -> HostFuture<'_, ()> {
        Box::pin(async move {
            let kind = match kind {
                Notice::Info => "info",
                Notice::Error => "error",
            };
            value(notify_js(kind, &message)).await?;
            Ok(())
        })
    }
}

/// Registers the no-UI command `name`; `run` is the whole command, Office's event is
/// completed when its future ends.
pub fn associate_command<F, Fut>(name: &str, run: F)
where
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let handler = Closure::<dyn FnMut() -> js_sys::Promise>::new(move || {
        let fut = run();
        wasm_bindgen_futures::future_to_promise(async move {
            fut.await;
            Ok(JsValue::UNDEFINED)
        })
    });
    associate(name, &handler);
    // Office may call the command any number of times while the page lives.
    handler.forget();
}
