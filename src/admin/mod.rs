//! The admin console (`/admin`): the seed's Provision and Consent steps in a browser, and
//! what the CLI cannot show — who gets which provider and why, what is missing before
//! coordinates can be issued, and how they are used.
//!
//! Two pages of its own, each its own wasm bundle, so the organizer's pane does not carry
//! it: set-up (`src/bin/admin.rs`, `admin.html`, `/admin`) and usage
//! (`src/bin/admin_usage.rs`, `admin-usage.html`, `/admin-usage`). Signing in is the
//! scheduler's: `/admin#token=…` or the demo sign-in (as an admin), remembered across both.
//! Everything shown comes from the API; values from the tenant (names, UPNs, group ids,
//! audit details, consent errors) are always text, never markup.

mod audit;
mod charts;
pub mod client;
mod consent;
mod grants;
mod inject;
mod meetings;
mod providers;
mod wire;

use cvi_core::api::{endpoints::DevToken, ProblemKind, Role, TokenRequest};
use leptos::{prelude::*, task::spawn_local};
use std::future::Future;
use wasm_bindgen::JsCast;

use crate::words::{self, en, tr, tr_with};
use crate::{
    api::{Api, ApiError},
    host::{self, browser::remember_token},
};
use client::{AdminApi, Setup};

/// What went wrong, for a status line: the server's words when it said something.
pub(crate) fn problem_text(e: &ApiError) -> String {
    match e {
        ApiError::Unreachable(_) => {
            tr("The policy API cannot be reached. Check the connection and try again.").into()
        }
        e if e.kind() == Some(ProblemKind::Forbidden) => format!(
            "{} — {}",
            e.detail(),
            tr("this sign-in is not a tenant admin of this console.")
        ),
        e => e.detail(),
    }
}

/// The part of a problem's detail that names `field` (`tenant_key: …`), to show next to it.
pub(crate) fn field_error(detail: &str, field: &str) -> Option<String> {
    detail
        .strip_prefix(field)
        .and_then(|rest| rest.strip_prefix(':'))
        .map(|rest| rest.trim().to_string())
}

/// Opens (`true`) or closes the modal `<dialog id=…>`; a modal dialog keeps focus inside
/// it and closes on Escape (the browser's own focus trap).
pub(crate) fn dialog(id: &str, open: bool) {
    let Some(d) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlDialogElement>().ok())
    else {
        return;
    };
    if open {
        let _ = d.show_modal();
    } else {
        d.close();
    }
}

/// A status line: announced politely, or at once for errors.
#[component]
pub(crate) fn Note(#[prop(into)] text: Signal<Option<(bool, String)>>) -> impl IntoView {
    move || {
        text.get().map(|(error, t)| {
            if error {
                view! { <p class="status error" role="alert">{t}</p> }.into_any()
            } else {
                view! { <p class="status success" role="status">{t}</p> }.into_any()
            }
        })
    }
}

/// The console's two pages, each its own page and wasm bundle: the tenant's set-up
/// (`/admin`: providers, policies, consent) and how coordinates reach and are used in
/// meetings (`/admin-usage`). One bundle with every section was 140 KB brotli, over the
/// console's budget of 120; apart, each page carries only its own sections' code.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Setup,
    Usage,
}

impl Page {
    /// Where the page is served, relative: the pages are siblings (of each other and of
    /// the word files) wherever the server mounts them.
    fn path(self) -> &'static str {
        match self {
            Page::Setup => "admin",
            Page::Usage => "admin-usage",
        }
    }
}

/// What every section of a page is given.
#[derive(Clone, Copy)]
struct Ctx {
    api: StoredValue<AdminApi>,
    /// The tenant's set-up (the set-up page only), read once and again after every change.
    setup: RwSignal<Option<Setup>>,
    refresh: Callback<()>,
    shown: RwSignal<&'static str>,
    opened: RwSignal<Vec<&'static str>>,
    /// The page's first read succeeded: the caller is an admin of the tenant.
    admin: RwSignal<bool>,
}

/// What makes one page of the console. Functions, not a choice made at run time, so that
/// each page's bundle links only its own sections and reads. `first` is the page's first
/// read, before its sections show: `Some` set-up when the page shows it. Only an admin may
/// make it, so it also tells an admin from anyone else. (Generic, not a boxed future: each
/// bundle has one page, and its read stays inlined in the task that awaits it.)
#[derive(Clone, Copy)]
struct PageParts<F> {
    page: Page,
    first: F,
    sections: fn(Ctx) -> AnyView,
}

/// A page's first read.
trait FirstRead: Fn(AdminApi) -> Self::Read + Copy + Send + Sync + 'static {
    type Read: Future<Output = Result<Option<Setup>, ApiError>> + 'static;
}

impl<F, R> FirstRead for F
where
    F: Fn(AdminApi) -> R + Copy + Send + Sync + 'static,
    R: Future<Output = Result<Option<Setup>, ApiError>> + 'static,
{
    type Read = R;
}

/// The root of `admin.html` (`/admin`), mounted by `app::start` (its words are already in
/// the host's language).
pub fn setup_page(_lang: cvi_core::invite::Lang) -> impl IntoView {
    let parts = PageParts {
        page: Page::Setup,
        first: |api: AdminApi| async move { api.setup().await.map(Some) },
        sections: setup_sections,
    };
    view! { <AdminApp parts=parts /> }
}

/// The root of `admin-usage.html` (`/admin-usage`).
pub fn usage_page(_lang: cvi_core::invite::Lang) -> impl IntoView {
    let parts = PageParts {
        page: Page::Usage,
        // Its sections read on their own: one request tells whether the caller is an
        // admin, not the set-up page's four (one of which asks Graph about consent).
        first: |api: AdminApi| async move { api.providers().await.map(|_| None) },
        sections: usage_sections,
    };
    view! { <AdminApp parts=parts /> }
}

/// A console page.
#[component]
fn AdminApp(parts: PageParts<impl FirstRead>) -> impl IntoView {
    let token = RwSignal::new(None::<String>);
    let checked = RwSignal::new(false);
    spawn_local(async move {
        token.set(host::current().token().await.ok().flatten());
        checked.set(true);
    });
    view! {
        <main class="console">
            <header>
                <h1>{tr("Cloud Video Interop — admin console")}</h1>
                <p class="hint">{tr("Providers, policies, consent and meetings of your tenant.")}</p>
            </header>
            <crate::components::SwitchAccount token=token />
            <Show when=move || checked.get() fallback=|| view! { <p role="status">{tr("Loading…")}</p> }>
                {move || match token.get() {
                    Some(t) => view! { <Console api=AdminApi(Api::new(Some(t))) token=token parts=parts /> }.into_any(),
                    None => view! { <AdminSignIn token=token /> }.into_any(),
                }}
            </Show>
        </main>
    }
}

/// The demo sign-in as a tenant admin (servers started with `--dev-issuer`).
#[component]
fn AdminSignIn(token: RwSignal<Option<String>>) -> impl IntoView {
    let tenant = RwSignal::new("demo".to_string());
    let user = RwSignal::new("admin@demo.example".to_string());
    let note = RwSignal::new(None::<(bool, String)>);
    let submit = move || {
        let req = TokenRequest {
            tenant: tenant.get().trim().to_string(),
            user: user.get().trim().to_string(),
            role: Role::Admin,
            app_id: None,
            groups: Vec::new(),
            oid: None,
        };
        spawn_local(async move {
            match Api::new(None)
                .call::<DevToken>(&[], &[], Some(&req))
                .await
            {
                Ok(r) => {
                    remember_token(Some(&r.token));
                    token.set(Some(r.token));
                }
                Err(e) if e.kind() == Some(ProblemKind::NotFound) => note.set(Some((
                    true,
                    tr("This server has no demo sign-in: open the console from the link your identity set-up gives (/admin#token=…).").into(),
                ))),
                Err(e) => note.set(Some((true, problem_text(&e)))),
            }
        });
    };
    view! {
        <form class="signin" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <h2>{tr("Sign in")}</h2>
            <p class="hint">{tr("Demo sign-in: this server runs the development issuer.")}</p>
            <label>{tr("Tenant")}
                <input type="text" name="tenant" prop:value=move || tenant.get() on:input=move |ev| tenant.set(event_target_value(&ev)) />
            </label>
            <label>{tr("Admin e-mail address")}
                <input type="email" name="user" prop:value=move || user.get() on:input=move |ev| user.set(event_target_value(&ev)) />
            </label>
            <div class="actions"><button class="primary" type="submit" data-action="signin">{tr("Sign in")}</button></div>
            <Note text=note />
        </form>
    }
}

/// A signed-in console page: its navigation (every section of both pages), then `page`'s
/// own sections.
#[component]
fn Console(
    api: AdminApi,
    token: RwSignal<Option<String>>,
    parts: PageParts<impl FirstRead>,
) -> impl IntoView {
    let PageParts {
        page,
        first,
        sections,
    } = parts;
    let setup = RwSignal::new(None::<Setup>);
    let note = RwSignal::new(None::<(bool, String)>);
    let not_admin = RwSignal::new(false);
    let admin = RwSignal::new(false);
    let api = StoredValue::new(api);
    // Arriving at a section by its address (from the console's other page, a bookmark),
    // its heading takes focus once the set-up is read and it shows, as when it is opened
    // from the navigation: the browser looked for the fragment before the section existed.
    let arrived_at = StoredValue::new(named_section(page));
    let refresh = move || {
        spawn_local(async move {
            match first(api.get_value()).await {
                Ok(s) => {
                    if s.is_some() {
                        setup.set(s);
                    }
                    admin.set(true);
                    if let Some(id) = arrived_at.try_update_value(Option::take).flatten() {
                        focus_heading(id);
                    }
                }
                Err(e) if e.kind() == Some(ProblemKind::Forbidden) => {
                    // One sentence, not one role error per section.
                    let who = token
                        .get_untracked()
                        .and_then(|t| crate::host::browser::who(&t))
                        .map(|w| {
                            tr_with(
                                "You are signed in as {user} (tenant {tenant}).",
                                &[("user", &w.user), ("tenant", &w.tenant)],
                            )
                        });
                    not_admin.set(true);
                    note.set(Some((
                        true,
                        [
                            Some(tr("This console is for tenant admins.").to_string()),
                            who,
                            Some(tr("Sign out and sign in with an admin account.").to_string()),
                        ]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" "),
                    )));
                }
                Err(e) => {
                    if e.kind() == Some(ProblemKind::Unauthenticated) {
                        remember_token(None);
                        token.set(None);
                    }
                    note.set(Some((true, problem_text(&e))));
                }
            }
        });
    };
    refresh();
    let sign_out = move |_| {
        remember_token(None);
        token.set(None);
    };
    let shown = RwSignal::new(section_in_address(page));
    // Sections that read on their own are made when first opened, then kept (hidden), so
    // what the admin typed in them stays while they look at another.
    let opened = RwSignal::new(vec![shown.get_untracked()]);
    let listener = window_event_listener(leptos::ev::hashchange, move |_| {
        let id = section_in_address(page);
        if id != shown.get_untracked() {
            shown.set(id);
            opened.update(|o| {
                if !o.contains(&id) {
                    o.push(id);
                }
            });
            focus_heading(id);
        }
    });
    on_cleanup(move || listener.remove());
    let cx = Ctx {
        api,
        setup,
        refresh: Callback::new(move |()| refresh()),
        shown,
        opened,
        admin,
    };
    view! {
        <nav aria-label=tr("Sections")>
            <Show when=move || !not_admin.get()>
                {SECTIONS
                    .map(|(id, title, on)| {
                        // A section of the other page is a link to that page, with this
                        // page's query (`?host=teams` says which host it runs in).
                        let href = if on == page {
                            format!("#{id}")
                        } else {
                            let query = web_sys::window()
                                .and_then(|w| w.location().search().ok())
                                .unwrap_or_default();
                            format!("{}{query}#{id}", on.path())
                        };
                        view! {
                            <a
                                href=href
                                aria-current=move || (on == page && shown.get() == id).then_some("page")
                            >
                                {tr(title)}
                            </a>
                        }
                    })
                    .collect_view()}
            </Show>
            <button type="button" data-action="signout" on:click=sign_out>{tr("Sign out")}</button>
        </nav>
        <Note text=note />
        {sections(cx)}
    }
}

/// The set-up page's sections (`/admin`).
fn setup_sections(cx: Ctx) -> AnyView {
    let Ctx {
        api,
        setup,
        refresh,
        shown,
        ..
    } = cx;
    let refresh = move || refresh.run(());
    view! {
        <Part id="ready" shown=shown>
            {move || setup.get().map(|s| view! { <Ready setup=s /> })}
        </Part>
        // Created once the set-up is first read, then kept: their forms keep what the admin
        // typed while their tables follow each refresh.
        <Show when=move || setup.with(Option::is_some)>
            <Part id="providers" shown=shown>
                <providers::Providers api=api setup=setup refresh=refresh />
            </Part>
            <Part id="grants" shown=shown>
                <grants::Grants api=api setup=setup refresh=refresh />
            </Part>
        </Show>
        <Part id="consent" shown=shown>
            {move || setup.get().map(|s| view! { <consent::Consent api=api setup=s refresh=refresh /> })}
        </Part>
    }
    .into_any()
}

/// The usage page's sections (`/admin-usage`): coordinates in every Teams meeting, and what
/// the tenant's meetings and admins did. Each reads the API on its own, once opened; all
/// wait for the page's first read, so that a caller who is no admin sees the one sentence,
/// not a role error per section.
fn usage_sections(cx: Ctx) -> AnyView {
    let Ctx {
        api,
        shown,
        opened,
        admin,
        ..
    } = cx;
    view! {
        <Show when=move || admin.get()>
            <LazyPart id="inject" shown=shown opened=opened>
                <inject::Inject api=api />
            </LazyPart>
            <LazyPart id="meetings" shown=shown opened=opened>
                <meetings::Meetings api=api />
            </LazyPart>
            <LazyPart id="activity" shown=shown opened=opened>
                <charts::Activity api=api />
            </LazyPart>
            <LazyPart id="audit" shown=shown opened=opened>
                <audit::Audit api=api />
            </LazyPart>
        </Show>
    }
    .into_any()
}

/// One section's place in the page: hidden unless it is the one shown. (Children are
/// boxed views, so every section shares this one wrapper's code.)
#[component]
fn Part(id: &'static str, shown: RwSignal<&'static str>, children: Children) -> impl IntoView {
    view! { <div hidden=move || shown.get() != id>{children()}</div> }
}

/// A section that reads the API on its own: made the first time it is opened.
#[component]
fn LazyPart(
    id: &'static str,
    shown: RwSignal<&'static str>,
    opened: RwSignal<Vec<&'static str>>,
    children: ChildrenFn,
) -> impl IntoView {
    // A memo: opening another section must not make this one again.
    let open = Memo::new(move |_| opened.with(|o| o.contains(&id)));
    view! { <Part id=id shown=shown>{move || open.get().then(|| children())}</Part> }
}

/// The console's sections, as its navigation lists them, and the page each is on. One
/// shows at a time, chosen by the address's fragment (`/admin#grants`): a section can be
/// linked, and the browser's Back goes to the one before.
const SECTIONS: [(&str, &str, Page); 8] = [
    ("ready", en("Ready"), Page::Setup),
    ("providers", en("Providers"), Page::Setup),
    ("grants", en("Policies and grants"), Page::Setup),
    ("consent", en("Consent"), Page::Setup),
    ("inject", en("Every Teams meeting"), Page::Usage),
    ("meetings", en("Meetings"), Page::Usage),
    ("activity", en("Activity"), Page::Usage),
    ("audit", en("Audit log"), Page::Usage),
];

/// The section of `page` the address names (`#audit`), or the page's first.
fn section_in_address(page: Page) -> &'static str {
    named_section(page).unwrap_or_else(|| {
        SECTIONS
            .iter()
            .find(|s| s.2 == page)
            .map_or("ready", |s| s.0)
    })
}

/// The section of `page` the address names, if it names one.
fn named_section(page: Page) -> Option<&'static str> {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    SECTIONS
        .iter()
        .filter(|s| s.2 == page)
        .map(|s| s.0)
        .find(|id| hash.strip_prefix('#') == Some(id))
}

/// Moves focus to the heading of the section just opened (once it shows), as a new page
/// would: keyboard and screen-reader users go on from there, not from the navigation.
fn focus_heading(id: &'static str) {
    request_animation_frame(move || {
        let heading = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&format!("{id}-h")))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(h) = heading {
            h.set_tab_index(-1);
            let _ = h.focus();
        }
    });
}

/// What has to be true before an organizer gets coordinates, and whether it is.
#[component]
fn Ready(setup: Setup) -> impl IntoView {
    let provider = !setup.providers.is_empty();
    // A grant whose policy hands out a configured provider.
    let granted = setup.grants.iter().any(|g| {
        setup.provider_of(&g.policy_name).is_some_and(|p| {
            setup
                .providers
                .iter()
                .any(|x| x.name.eq_ignore_ascii_case(p))
        })
    });
    let consented = !setup.consent.is_empty()
        && setup
            .consent
            .iter()
            .any(|c| c.missing.is_empty() && !c.apps.is_empty());
    let ready = provider && granted && consented;
    let item = move |ok: bool,
                     what: &'static str,
                     (section, todo): (&'static str, &'static str)| {
        view! {
            <li class=if ok { "done" } else { "todo" }>
                <span aria-hidden="true">{if ok { "✓ " } else { "○ " }}</span>
                {tr(what)}
                <span class="visually-hidden">" ("{if ok { tr("done") } else { tr("missing") }}")"</span>
                {(!ok).then(|| view! { <span class="hint">" — " <a href=format!("#{section}")>{tr(todo)}</a></span> })}
            </li>
        }
    };
    view! {
        <section id="ready" aria-labelledby="ready-h">
            <h2 id="ready-h">{tr("Ready to issue")}</h2>
            <ul class="checklist">
                {item(provider, en("A video interop provider"), ("providers", en("create one under Providers")))}
                {item(granted, en("A grant that gives users a policy of that provider"), ("grants", en("grant a policy under Policies and grants")))}
                {item(consented, en("Admin consent for the provider's partner apps"), ("consent", en("follow the consent links under Consent")))}
            </ul>
            <p data-testid="ready" class=if ready { "status success" } else { "status warning" } role="status">
                {if ready {
                    tr("Ready: organizers with a granted policy get video conferencing details.")
                } else {
                    tr("Not ready yet: organizers get no video conferencing details until every item is done.")
                }}
            </p>
        </section>
    }
}
