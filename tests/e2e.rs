//! The add-in end to end: the release build (dist/) served by a real `cvi serve` on SQLite,
//! driven in headless Chromium through chromedriver. Outlook cannot run here, so the page
//! gets a recording stand-in for Office.js (static/stubs/office-stub.js) holding a
//! realistic Outlook-on-the-web invite; the assertions are on the body, location and
//! custom properties that the stub received, and on what the server stored.
//!
//! One test per step of the journey (`cargo test --features e2e --test e2e -- <name>` runs
//! one). The steps share one browser, one server and one Microsoft stand-in, started by the
//! first step that runs; each step starts from a clean page (no Office stand-in, storage
//! cleared, the pane's window size) and makes what it needs (its own tenant or meeting), so
//! a failing step hides no other. They run one at a time: there is one browser.
//!
//! Run by `cargo xtask test` (it builds dist/ and the `cvi` binary first). Screenshots of
//! each state go to target/e2e/.
#![cfg(not(target_arch = "wasm32"))]

use std::{
    future::Future,
    path::{Path, PathBuf},
    pin::Pin,
    process::{Command, Stdio},
    sync::{LazyLock, Mutex, PoisonError},
    time::{Duration, Instant},
};

use cvi_core::invite::{self, BodyKind, Extraction};
use cvi_testkit::{
    copy_dir, free_port,
    microsoft::{Fault, Microsoft, PARTNER_APP_ROLES},
    provision, state_of, CviServe, KillOnDrop,
};
use fantoccini::{Client, ClientBuilder, Locator};
use libtest_mimic::{Arguments, Trial};
use serde_json::{json, Value};

/// WebDriver's Enter and Tab keys.
const ENTER: &str = "\u{e007}";
const TAB: &str = "\u{e004}";
const OWA_COMPOSE: &str = include_str!("fixtures/owa_compose.html");
const MS_2019: &str = include_str!("../crates/cvi-core/tests/fixtures/microsoft_2019.html");
const TYPED_LOCATION: &str = "Conference room 4.12";
/// Our app's client secret, as the Microsoft stand-in knows it.
const SECRET: &str = "e2e-client-secret";
/// Our app's client id (`--client-id`).
const OUR_APP: &str = "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f";
/// Graph's application permission Calendars.ReadWrite (its app role id).
const CALENDARS_READ_WRITE: &str = "ef54d2bf-783f-4e0f-bca1-3210c0444d99";
/// The partner app the console's tenants consent to. The Microsoft stand-in gives it a
/// service principal holding the four application permissions of SPEC §2, so the server's
/// check of consent through Graph finds them once the admin has consented.
const CONSOLE_APP: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/// A real-shaped invite of cvi-core's fixture table, without its source header.
fn real_invite(name: &str) -> String {
    let raw = std::fs::read_to_string(
        root()
            .join("crates/cvi-core/tests/fixtures/real")
            .join(name),
    )
    .unwrap();
    raw.split_once("#---\n").unwrap().1.to_string()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn site(dir: &Path) -> PathBuf {
    let dist = std::env::var_os("CVI_DIST").map_or_else(|| root().join("dist"), PathBuf::from);
    assert!(
        dist.join("index.html").exists() && dist.join("pane.html").exists(),
        "no add-in build in {}: run `cargo xtask build` (cargo xtask test does)",
        dist.display()
    );
    let site = dir.join("site");
    copy_dir(&dist, &site).unwrap();
    std::fs::create_dir_all(site.join("stubs")).unwrap();
    for stub in ["office-stub.js", "teams-stub.js"] {
        std::fs::copy(
            root().join("static/stubs").join(stub),
            site.join("stubs").join(stub),
        )
        .unwrap();
    }
    // Every page of the build gets the stand-ins.
    let pages = std::fs::read_dir(&site).unwrap().filter_map(|e| {
        let p = e.unwrap().path();
        p.extension().is_some_and(|x| x == "html").then_some(p)
    });
    for p in pages {
        let html = std::fs::read_to_string(&p).unwrap();
        let html = html.replacen(
            "<head>",
            "<head><script src=\"/stubs/office-stub.js\"></script><script src=\"/stubs/teams-stub.js\"></script>",
            1,
        );
        std::fs::write(p, html).unwrap();
    }
    site
}

/// What the stub starts with for the next page load (`None`: no Office, the browser page).
fn configure(site: &Path, cfg: Option<Value>) {
    let json = cfg.unwrap_or(Value::Null).to_string();
    std::fs::write(site.join("stubs/config.json"), json).unwrap();
}

/// A real `cvi serve` on SQLite with the demo tenant, serving `site`.
struct Server {
    base: String,
    process: CviServe,
}

impl Server {
    /// With Graph access through the Microsoft stand-in at `microsoft` (client secret
    /// [`SECRET`]), so the Teams tab can schedule.
    fn start(site: &Path, dir: &Path, microsoft: &str) -> Server {
        let bin = std::env::var_os("CVI_BIN")
            .map_or_else(|| root().join("target/debug/cvi"), PathBuf::from);
        assert!(
            bin.exists(),
            "no cvi binary at {}: run `cargo build -p cvi-server` (cargo xtask test does)",
            bin.display()
        );
        std::fs::create_dir_all(dir).unwrap();
        let db = format!("sqlite://{}", dir.join("cvi.db").display());
        let secret = dir.join("client-secret");
        std::fs::write(&secret, SECRET).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let process = CviServe::start(
            &bin,
            &[
                "--listen".as_ref(),
                "127.0.0.1:0".as_ref(),
                "--database".as_ref(),
                db.as_ref(),
                "--dist".as_ref(),
                site.as_os_str(),
                "--dev-issuer".as_ref(),
                "--demo".as_ref(),
                "--client-id".as_ref(),
                OUR_APP.as_ref(),
                "--client-secret-file".as_ref(),
                secret.as_os_str(),
                "--authority-url".as_ref(),
                microsoft.as_ref(),
                "--graph-url".as_ref(),
                microsoft.as_ref(),
                "--allow-loopback-http-issuer".as_ref(),
            ] as &[&std::ffi::OsStr],
        )
        .expect("cvi serve starts");
        Server {
            base: process.base.clone(),
            process,
        }
    }

    fn token(&self, tenant: &str, user: &str, role: &str) -> String {
        self.process.token(tenant, user, role).unwrap()
    }

    fn call(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
        self.process
            .call(method, &format!("/api/v1{path}"), Some(token), body)
    }
}

struct Browser {
    client: Client,
    _driver: KillOnDrop,
    downloads: PathBuf,
}

impl Browser {
    async fn start(downloads: &Path) -> Browser {
        let port = free_port().unwrap();
        let mut driver = Command::new(
            std::env::var_os("CHROMEDRIVER").unwrap_or_else(|| "/usr/bin/chromedriver".into()),
        );
        let driver = driver
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts (apt chromium-driver; cargo xtask setup installs it)");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=480,900", "--lang=en-US"],
                "prefs": {"download.default_directory": downloads, "download.prompt_for_download": false}
            }),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => break c,
                Err(e) => {
                    assert!(Instant::now() < deadline, "no WebDriver session: {e}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        Browser {
            client,
            _driver: KillOnDrop(driver),
            downloads: downloads.to_path_buf(),
        }
    }

    async fn wait_css(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => {
                self.screenshot("failure").await;
                let page = self.js("return document.body.innerHTML").await;
                let stub = self
                    .js("return JSON.stringify(window.__officeCalls || null)")
                    .await;
                panic!("{css} did not appear ({e}); target/e2e/failure.png; page: {page}; Office calls: {stub}")
            }
        }
    }

    /// Sets the form field `name` as a user would (the field first waited for), firing
    /// `event` (`input` or `change`).
    async fn set(&self, name: &str, value: &str, event: &str) {
        self.wait_css(&format!("[name='{name}']")).await;
        self.js(&format!(
            "const e = document.querySelector(\"[name='{name}']\"); e.value = {}; \
             e.dispatchEvent(new Event('{event}', {{bubbles: true}})); return null;",
            serde_json::to_string(value).unwrap()
        ))
        .await;
    }

    /// The text of `css` once `ok` holds for it (an answer may replace an older message).
    async fn wait_text(&self, css: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let t = self.text(css).await;
            if ok(&t) {
                return t;
            }
            if Instant::now() > deadline {
                self.screenshot("failure").await;
                panic!("{css} never showed what was expected; it says {t:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks `css`; an element the page re-rendered between finding and clicking it
    /// (stale) is found again.
    async fn click(&self, css: &str) {
        for _ in 0..20 {
            match self.wait_css(css).await.click().await {
                Ok(()) => return,
                Err(fantoccini::error::CmdError::Standard(e))
                    if e.error == fantoccini::error::ErrorStatus::StaleElementReference =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => panic!("click {css}: {e}"),
            }
        }
        panic!("{css} kept being replaced while clicking it");
    }

    /// The text of `css` (found again if the page re-rendered it meanwhile).
    async fn text(&self, css: &str) -> String {
        for _ in 0..20 {
            match self.wait_css(css).await.text().await {
                Ok(t) => return t,
                Err(fantoccini::error::CmdError::Standard(e))
                    if e.error == fantoccini::error::ErrorStatus::StaleElementReference =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => panic!("text of {css}: {e}"),
            }
        }
        panic!("{css} kept being replaced while reading it");
    }

    async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Opens a section of the admin console from its navigation, as an admin does, and
    /// waits until it shows (the others are hidden). A section on the console's other page
    /// is a link to that page (`/admin-usage#audit`): the wait spans its loading.
    async fn section(&self, id: &str) {
        self.click(&format!("nav a[href$='#{id}']")).await;
        let shown = format!(
            "const s = document.getElementById('{id}'); const a = document.querySelector('nav a[aria-current=page]'); \
             return !!s && !s.closest('[hidden]') && !!a && a.getAttribute('href') === '#{id}';"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        // While the other page loads, a script may find no document to run in.
        while !matches!(self.client.execute(&shown, vec![]).await, Ok(v) if v == json!(true)) {
            if Instant::now() > deadline {
                let at = self
                    .js("return location.href + ' shows: ' + document.body.innerText.slice(0, 400);")
                    .await;
                panic!("section {id} never showed; {at}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the element with `id` has focus. Focus moves on the frame after a
    /// section shows (or, arriving from another page, once the set-up is read), so it is
    /// waited for, not read at once.
    async fn wait_focus(&self, id: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let focused = self
                .client
                .execute("return document.activeElement.id", vec![])
                .await;
            if matches!(&focused, Ok(f) if f == id) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "focus moves to {id}; it is on {focused:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Presses Tab (as a keyboard user does) until the focused element matches `css`;
    /// fails if it is never reached, or if it shows no focus ring.
    async fn tab_to(&self, css: &str) {
        self.wait_css(css).await;
        let matches = format!(
            "return !!document.activeElement && document.activeElement.matches({})",
            serde_json::to_string(css).unwrap()
        );
        for _ in 0..40 {
            if self.js(&matches).await == json!(true) {
                let outline = self
                    .js("return getComputedStyle(document.activeElement).outlineStyle")
                    .await;
                assert_ne!(outline, "none", "{css} has focus but shows no focus ring");
                return;
            }
            self.keys(TAB).await;
        }
        let at = self
            .js("return document.activeElement && document.activeElement.outerHTML.slice(0, 200)")
            .await;
        panic!("Tab never reached {css} (focus stayed at {at})");
    }

    /// Types `keys` into the focused element (WebDriver key codes: [`ENTER`], [`TAB`]).
    async fn keys(&self, keys: &str) {
        let focused = match self.client.active_element().await {
            Ok(e) => e,
            Err(e) => panic!("no focused element to type into: {e}"),
        };
        focused.send_keys(keys).await.unwrap();
    }

    /// axe-core's rules (WCAG 2.x A/AA and best practices) on the page as it is now:
    /// fails on any serious or critical violation, naming the rule and the elements.
    async fn assert_accessible(&self, page: &str) {
        let path = std::env::var_os("CVI_AXE_JS").expect(
            "CVI_AXE_JS is not set: run the browser tests through `cargo xtask test` \
             (its setup installs axe-core from npm)",
        );
        let axe = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("axe-core at {}: {e}", path.to_string_lossy()));
        self.client.execute(&axe, vec![]).await.unwrap();
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {resultTypes: ['violations']})
                   .then(r => {
                     const say = v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3)
                       .map(n => n.target.join(' ') + ' ' + n.failureSummary).join('; ')})`;
                     const grave = v => v.impact === 'serious' || v.impact === 'critical';
                     done({passed: r.passes.length,
                           found: r.violations.filter(grave).map(say),
                           minor: r.violations.filter(v => !grave(v)).map(v => `${v.impact} ${v.id}`)});
                   })
                   .catch(e => done({passed: 0, found: [`axe did not run: ${e}`]}));",
                vec![],
            )
            .await
            .unwrap();
        // Rules that passed: none would mean axe looked at nothing.
        assert!(
            found["passed"].as_u64() > Some(0),
            "{page}: axe checked nothing ({found})"
        );
        if let Some(minor) = found["minor"].as_array().filter(|m| !m.is_empty()) {
            eprintln!("{page}: axe-core, moderate or minor: {minor:?}");
        }
        let found: Vec<String> = serde_json::from_value(found["found"].clone()).unwrap();
        if !found.is_empty() {
            self.screenshot(&format!("axe-{page}")).await;
        }
        assert!(
            found.is_empty(),
            "{page}: accessibility violations (axe-core):\n{}",
            found.join("\n")
        );
    }

    async fn stub(&self) -> Value {
        self.js("return window.__cviStub;").await
    }

    async fn screenshot(&self, name: &str) {
        let dir = root().join("target/e2e");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

fn stub_config(token: &str, body: &str) -> Value {
    json!({
        "token": token,
        "subject": "Q1 planning",
        "start": "2027-01-23T09:00:00Z",
        "end": "2027-01-23T10:00:00Z",
        "location": TYPED_LOCATION,
        "bodyType": "html",
        "body": body,
        "locale": "en-US",
    })
}

fn unquoted_blocks(body: &str) -> Vec<invite::Found> {
    invite::find(body, BodyKind::Html)
        .into_iter()
        .filter(|f| !f.quoted)
        .collect()
}

/// What every step shares: started once, by the first step that runs.
struct Fixture {
    dir: tempfile::TempDir,
    site: PathBuf,
    microsoft: Microsoft,
    server: Server,
    b: Browser,
}

/// The demo tenant's partner app (`cvi_server::demo::APP_ID`).
const DEMO_APP: &str = "7f3c2a10-5b1e-4c8d-9a6f-2e4b8c1d0a93";

impl Fixture {
    async fn start() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let site = site(dir.path());
        configure(&site, None);
        let microsoft = Microsoft::start(SECRET).unwrap();
        microsoft.service_principal(CONSOLE_APP, &PARTNER_APP_ROLES);
        // The demo tenant's partner app: `--demo` seeds its consent, and a server with Graph
        // access counts it once Graph shows the app's permissions.
        microsoft.service_principal(DEMO_APP, &PARTNER_APP_ROLES);
        let server = Server::start(&site, &dir.path().join("server"), &microsoft.base);
        let downloads = dir.path().join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let b = Browser::start(&downloads).await;
        Fixture {
            dir,
            site,
            microsoft,
            server,
            b,
        }
    }

    /// A clean start for the next step: no Office stand-in, nobody signed in, the pane's
    /// window size.
    async fn reset(&self) {
        configure(&self.site, None);
        self.b.client.set_window_size(480, 900).await.unwrap();
        self.b
            .client
            .goto(&format!("{}/stubs/config.json", self.server.base))
            .await
            .unwrap();
        self.b
            .js("localStorage.clear(); sessionStorage.clear(); return null;")
            .await;
        self.b.client.delete_all_cookies().await.unwrap();
    }

    /// Ann, an organizer of the demo tenant (which `--demo` provisions and consents).
    fn organizer(&self) -> String {
        self.server.token("demo", "ann@demo.example", "organizer")
    }

    /// Opens the pane in Outlook with `cfg` as the item.
    async fn open_pane(&self, cfg: Value) {
        configure(&self.site, Some(cfg));
        self.b
            .client
            .goto(&format!("{}/pane", self.server.base))
            .await
            .unwrap();
    }

    /// Opens the pane on a new item holding Outlook on the web's Teams invite, and adds our
    /// coordinates; the item as the stand-in then holds it.
    async fn added(&self, organizer: &str) -> Value {
        self.open_pane(stub_config(organizer, OWA_COMPOSE)).await;
        self.b.click("[data-action=add]").await;
        self.b.wait_css("[data-status=Added]").await;
        self.b.stub().await
    }
}

type Step = for<'a> fn(&'a Fixture) -> Pin<Box<dyn Future<Output = ()> + 'a>>;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
});
static FIXTURE: Mutex<Option<Fixture>> = Mutex::new(None);

/// Runs one step on the shared fixture (started on first use).
fn run(step: Step) {
    let mut fixture = FIXTURE.lock().unwrap_or_else(PoisonError::into_inner);
    let f = fixture.get_or_insert_with(|| RUNTIME.block_on(Fixture::start()));
    RUNTIME.block_on(async {
        f.reset().await;
        step(f).await;
    });
}

macro_rules! steps {
    ($($step:ident),* $(,)?) => {
        [$((stringify!($step), {
            fn boxed(f: &Fixture) -> Pin<Box<dyn Future<Output = ()> + '_>> {
                Box::pin($step(f))
            }
            boxed as Step
        })),*]
    };
}

fn main() {
    let mut args = Arguments::from_args();
    // One browser: one step at a time.
    args.test_threads = Some(1);
    let trials = steps![
        outlook_add_writes_one_block_and_keeps_the_invite,
        outlook_update_sends_moved_times_and_keeps_the_block,
        outlook_remove_restores_the_invite_and_cancels,
        outlook_add_on_cancelled_coordinates_issues_new_ones,
        outlook_asks_before_replacing_microsofts_block,
        outlook_asks_before_replacing_other_wordings,
        outlook_update_and_remove_beside_a_foreign_block,
        outlook_full_location_keeps_the_organizers_text,
        outlook_add_reuses_the_meeting_of_a_copied_block,
        outlook_disabled_policy_shows_no_action,
        outlook_missing_consent_writes_nothing,
        outlook_keyboard_only_adds,
        browser_page_keyboard_only_gets_coordinates,
        teams_tab_keyboard_only_schedules,
        console_keyboard_only_creates_a_provider,
        outlook_series_lives_until_60_days_after_its_end,
        outlook_endless_series_is_renewed_near_expiry,
        outlook_follows_japanese_and_dark,
        teams_tab_schedules_a_series_through_graph,
        teams_tab_saves_and_cancels,
        command_page_adds_like_the_pane,
        browser_page_schedules_and_downloads_ics,
        browser_page_keeps_typing_when_the_server_is_gone,
        browser_page_asks_before_a_link_replaces_the_session,
        console_provisions_a_new_tenant,
        console_consent_makes_the_tenant_ready,
        console_edits_finds_and_shows_the_record,
        console_turns_on_coordinates_in_every_teams_meeting,
        console_tells_an_organizer_it_is_for_admins,
        console_follows_the_teams_language,
    ]
    .into_iter()
    .map(|(name, step)| {
        Trial::test(name, move || {
            run(step);
            Ok(())
        })
    })
    .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    let fixture = FIXTURE
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    if let Some(f) = fixture {
        let _ = RUNTIME.block_on(f.b.client.clone().close());
        // Dropping it stops chromedriver, the server and the stand-in.
        drop(f);
    }
    conclusion.exit();
}

// ---- Outlook: the task pane ------------------------------------------------------------

async fn outlook_add_writes_one_block_and_keeps_the_invite(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let organizer = f.organizer();
    // 1. Outlook, a new Teams meeting from Outlook on the web: Add. The pane URL of older
    // manifests (`/?host=outlook`) arrives at the pane's own page.
    configure(site, Some(stub_config(&organizer, OWA_COMPOSE)));
    b.client
        .goto(&format!("{}/?host=outlook", server.base))
        .await
        .unwrap();
    let provider = b.text("[data-testid=provider]").await;
    assert!(provider.contains("Polycom"), "{provider}");
    let url = b.client.current_url().await.unwrap();
    assert_eq!(
        (url.path(), url.query()),
        ("/pane", Some("host=outlook")),
        "{url}"
    );
    b.screenshot("1-outlook-ready").await;
    b.assert_accessible("pane").await;
    b.click("[data-action=add]").await;
    b.wait_css("[data-status=Added]").await;
    b.screenshot("2-outlook-added").await;
    b.assert_accessible("pane, added").await;
    let stub = b.stub().await;
    let body = stub["body"].as_str().unwrap().to_string();
    let blocks = unquoted_blocks(&body);
    assert_eq!(blocks.len(), 1, "exactly one block in {body}");
    let key = stub["props"]["cviMeetingKey"]
        .as_str()
        .expect("meeting key kept")
        .to_string();
    let (status, meeting) = server.call("GET", &format!("/meetings/{key}"), &organizer, None);
    assert_eq!(status, 200, "{meeting}");
    let video_id = meeting["video_id"].as_str().unwrap().to_string();
    assert_eq!(
        meeting["expires_at"], "2027-03-24T10:00:00Z",
        "a single meeting: end + 60 days"
    );
    // The Teams join link that Teams' add-in wrote into the invite travels with the meeting.
    assert_eq!(
        meeting["teams_join_url"].as_str(),
        Some("https://teams.microsoft.com/l/meetup-join/19%3ameeting_NzQ3ZTFmNzEtMDE3Zi00YjFmLWI4ZjMtNTUxYzg2YmI1NzQx%40thread.v2/0?context=%7b%22Tid%22%3a%2272f988bf-86f1-41af-91ab-2d7cd011db47%22%2c%22Oid%22%3a%22d0a8c5a4-1d0b-4f5e-9c7f-7b1a0d8c5e21%22%7d"),
        "{meeting}"
    );
    assert_eq!(
        blocks[0]
            .coordinates
            .video_id
            .as_ref()
            .map(|v| v.as_str().to_string()),
        Some(video_id.clone()),
        "the body carries the Video ID the server issued"
    );
    let shown = b.text("[data-field=video-id]").await;
    assert_eq!(shown.replace(' ', ""), video_id, "the pane shows it too");
    assert_eq!(
        invite::remove(&body, BodyKind::Html),
        OWA_COMPOSE,
        "user text unchanged"
    );
    let direct = meeting["direct_dial_uri"].as_str().unwrap();
    assert_eq!(
        stub["location"].as_str().unwrap(),
        format!("{TYPED_LOCATION}; sip:{direct}"),
        "SIP URI added after the organizer's location"
    );
    assert_eq!(stub["notices"][0]["type"], "informationalMessage");
    let Extraction::Found(found) = invite::extract(&body) else {
        panic!("a room system finds no coordinates in {body}")
    };
    assert!(found
        .teams_join_url
        .unwrap()
        .starts_with("https://teams.microsoft.com/l/meetup-join/"));
}

async fn outlook_update_sends_moved_times_and_keeps_the_block(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let organizer = f.organizer();
    let added = f.added(&organizer).await;
    let body = added["body"].as_str().unwrap().to_string();
    let key = added["props"]["cviMeetingKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, meeting) = server.call("GET", &format!("/meetings/{key}"), &organizer, None);
    let video_id = meeting["video_id"].as_str().unwrap().to_string();
    // 2. The organizer moves the meeting: Update sends the new times, the block stays one.
    // Opening the pane again (the item as Outlook saved it) notices when the item's times
    // no longer match the server's.
    let mut moved = b.stub().await;
    configure(site, Some(moved.clone()));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.wait_css("[data-action=update]").await;
    assert!(b
        .client
        .find(Locator::Css("[data-status=TimesChanged]"))
        .await
        .is_err());
    moved["start"] = json!("2027-01-24T14:00:00Z");
    moved["end"] = json!("2027-01-24T15:30:00Z");
    configure(site, Some(moved));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.wait_css("[data-status=TimesChanged]").await;
    b.screenshot("2b-outlook-times-changed").await;
    b.click("[data-action=update]").await;
    b.wait_css("[data-status=Updated]").await;
    let stub = b.stub().await;
    let body2 = stub["body"].as_str().unwrap();
    assert_eq!(unquoted_blocks(body2).len(), 1);
    assert_eq!(body2, body, "same coordinates: the block is unchanged");
    let (_, meeting) = server.call("GET", &format!("/meetings/{key}"), &organizer, None);
    assert_eq!(meeting["start"], "2027-01-24T14:00:00Z");
    assert_eq!(meeting["end"], "2027-01-24T15:30:00Z");
    assert_eq!(
        meeting["video_id"].as_str().unwrap(),
        video_id,
        "same Video ID"
    );
    assert_eq!(
        stub["location"].as_str().unwrap().matches("sip:").count(),
        1
    );
}

async fn outlook_remove_restores_the_invite_and_cancels(f: &Fixture) {
    let (b, server) = (&f.b, &f.server);
    let organizer = f.organizer();
    let added = f.added(&organizer).await;
    let key = added["props"]["cviMeetingKey"]
        .as_str()
        .unwrap()
        .to_string();
    // 3. Remove: body and location back to what the organizer wrote; the ID is cancelled.
    b.click("[data-action=remove]").await;
    b.wait_css("[data-status=Removed]").await;
    b.screenshot("3-outlook-removed").await;
    let stub = b.stub().await;
    assert_eq!(stub["body"].as_str().unwrap(), OWA_COMPOSE, "byte for byte");
    assert_eq!(stub["location"].as_str().unwrap(), TYPED_LOCATION);
    assert!(stub["props"].get("cviMeetingKey").is_none());
    let (_, meeting) = server.call("GET", &format!("/meetings/{key}"), &organizer, None);
    assert_eq!(meeting["cancelled"], true);
}

async fn outlook_add_on_cancelled_coordinates_issues_new_ones(f: &Fixture) {
    let (b, server) = (&f.b, &f.server);
    let organizer = f.organizer();
    let added = f.added(&organizer).await;
    let key = added["props"]["cviMeetingKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, meeting) = server.call("GET", &format!("/meetings/{key}"), &organizer, None);
    let video_id = meeting["video_id"].as_str().unwrap().to_string();
    b.click("[data-action=remove]").await;
    b.wait_css("[data-status=Removed]").await;
    // 3b. An item still carrying the key of cancelled coordinates (another client removed
    // them) gets new coordinates under a new key instead of an error.
    b.js(&format!(
        "window.__cviStub.props.cviMeetingKey = {key:?}; return null;"
    ))
    .await;
    b.click("[data-action=add]").await;
    b.wait_css("[data-status=Added]").await;
    let stub = b.stub().await;
    let new_key = stub["props"]["cviMeetingKey"].as_str().unwrap();
    assert_ne!(new_key, key, "a new meeting key");
    let blocks = unquoted_blocks(stub["body"].as_str().unwrap());
    assert_eq!(blocks.len(), 1);
    assert_ne!(
        blocks[0]
            .coordinates
            .video_id
            .as_ref()
            .map(|v| v.as_str().to_string()),
        Some(video_id.clone()),
        "a cancelled Video ID is never written again"
    );
}

async fn outlook_asks_before_replacing_microsofts_block(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let organizer = f.organizer();
    // 4. A body that already has Microsoft's own block: the pane asks, then replaces it.
    configure(site, Some(stub_config(&organizer, MS_2019)));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.click("[data-action=add]").await;
    b.wait_css("[data-status=Foreign]").await;
    b.screenshot("4-outlook-foreign-block").await;
    // What the found block says is shown; what it lacks is left out, not shown empty.
    assert_eq!(b.text("[data-field=video-id]").await, "118 412 603");
    // Not printed in the block: derived by Poly's dial plan from its tenant key.
    assert_eq!(
        b.text("[data-field=direct-dial]").await,
        "813878896.118412603@t.plcm.vc"
    );
    assert_eq!(
        b.stub().await["body"].as_str().unwrap(),
        MS_2019,
        "nothing written before the user agrees"
    );
    b.click("[data-action=replace]").await;
    b.wait_css("[data-status=Added]").await;
    let body = b.stub().await["body"].as_str().unwrap().to_string();
    let blocks = unquoted_blocks(&body);
    assert_eq!(blocks.len(), 1, "never two blocks: {body}");
    assert!(blocks[0].anchored, "ours replaced Microsoft's");
}

async fn outlook_asks_before_replacing_other_wordings(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let organizer = f.organizer();
    // 4b/4c. Microsoft's 2021–22 wording (tenant key alone, "Video Conference ID") and its
    // German block: shown as foreign, nothing written until "Replace them".
    for (n, (fixture, video_id, direct)) in [
        (
            "26-pexip-infinity-outlook-html.html",
            "118 642 363 0",
            "1186423630@video.contoso.com",
        ),
        (
            "23-ms-german.html",
            "119 204 377 5",
            "1192043775@vc.fabrikam.de",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let original = real_invite(fixture);
        configure(site, Some(stub_config(&organizer, &original)));
        b.client
            .goto(&format!("{}/pane", server.base))
            .await
            .unwrap();
        b.click("[data-action=add]").await;
        b.wait_css("[data-status=Foreign]").await;
        b.screenshot(&format!("4{}-outlook-foreign-{fixture}", ["b", "c"][n]))
            .await;
        assert_eq!(b.text("[data-field=video-id]").await, video_id, "{fixture}");
        assert_eq!(
            b.text("[data-field=direct-dial]").await,
            direct,
            "{fixture}"
        );
        assert_eq!(
            b.stub().await["body"].as_str().unwrap(),
            original,
            "{fixture}: nothing written before the user agrees"
        );
        b.click("[data-action=replace]").await;
        b.wait_css("[data-status=Added]").await;
        let body = b.stub().await["body"].as_str().unwrap().to_string();
        let blocks = unquoted_blocks(&body);
        assert_eq!(blocks.len(), 1, "{fixture}: never two blocks: {body}");
        assert!(blocks[0].anchored, "{fixture}: ours replaced theirs");
        assert!(
            !body.contains(&video_id.replace(' ', "")),
            "{fixture}: their ID is gone"
        );
    }
}

async fn outlook_update_and_remove_beside_a_foreign_block(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let organizer = f.organizer();
    // 4d. Update and Remove beside a block we did not issue (Microsoft's 2021–22 Webex block,
    // as in cvi-core's fixture 40): asked first, never dropped silently.
    const THEIRS: &str = "<div><p>Join with a video conferencing device</p><p><a href=\"mailto:fabrikam@m.webex.com\">fabrikam@m.webex.com</a> Video Conference ID: 119 204 377 5</p><p><a href=\"https://www.webex.com/msteams?confid=1192043775&amp;tenantkey=fabrikam&amp;domain=m.webex.com\">Alternate VTC instructions</a></p></div>";
    configure(site, Some(stub_config(&organizer, OWA_COMPOSE)));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.click("[data-action=add]").await;
    b.wait_css("[data-status=Added]").await;
    // Someone pastes their block into the invite; the pane opens again on the item.
    let with_theirs = |stub: &Value| {
        let mut cfg = stub.clone();
        let body = stub["body"]
            .as_str()
            .unwrap()
            .replace("</body>", &format!("{THEIRS}</body>"));
        cfg["body"] = json!(body);
        cfg
    };
    let cfg = with_theirs(&b.stub().await);
    let ours_id = unquoted_blocks(cfg["body"].as_str().unwrap())
        .into_iter()
        .find(|f| f.anchored)
        .and_then(|f| f.coordinates.video_id)
        .unwrap();
    configure(site, Some(cfg.clone()));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.click("[data-action=update]").await;
    b.wait_css("[data-status=Foreign]").await;
    assert_eq!(b.text("[data-field=video-id]").await, "119 204 377 5");
    assert_eq!(
        b.stub().await["body"],
        cfg["body"],
        "Update wrote nothing before asking"
    );
    b.click("[data-action=replace]").await;
    b.wait_css("[data-status=Updated]").await;
    let body = b.stub().await["body"].as_str().unwrap().to_string();
    let blocks = unquoted_blocks(&body);
    assert_eq!(blocks.len(), 1, "{body}");
    assert_eq!(
        blocks[0].coordinates.video_id.as_ref(),
        Some(&ours_id),
        "ours kept its Video ID"
    );

    let cfg = with_theirs(&b.stub().await);
    let key = cfg["props"]["cviMeetingKey"].as_str().unwrap().to_string();
    configure(site, Some(cfg.clone()));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.click("[data-action=remove]").await;
    b.wait_css("[data-status=ForeignOnRemove]").await;
    b.screenshot("4d-outlook-remove-beside-foreign").await;
    let body = b.stub().await["body"].as_str().unwrap().to_string();
    let blocks = unquoted_blocks(&body);
    assert_eq!(blocks.len(), 1, "only theirs is left: {body}");
    assert!(
        !blocks[0].anchored && body.contains("119 204 377 5"),
        "{body}"
    );
    let (_, meeting) = server.call("GET", &format!("/meetings/{key}"), &organizer, None);
    assert_eq!(meeting["cancelled"], true, "ours is cancelled");
    b.click("[data-action=remove-foreign]").await;
    b.wait_css("[data-status=Removed]").await;
    let body = b.stub().await["body"].as_str().unwrap().to_string();
    assert!(unquoted_blocks(&body).is_empty(), "{body}");
}

async fn outlook_full_location_keeps_the_organizers_text(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let organizer = f.organizer();
    // 4e. A location with no room for the SIP URI: the pane says so; the organizer's text stays.
    let mut cfg = stub_config(&organizer, OWA_COMPOSE);
    let typed = format!("Conference room 4.12 — {}", "x".repeat(220));
    cfg["location"] = json!(typed);
    configure(site, Some(cfg));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.click("[data-action=add]").await;
    b.wait_css("[data-status=Added]").await;
    let note = b.text("[data-status=LocationFull]").await;
    assert!(note.contains("255"), "{note}");
    assert_eq!(
        b.stub().await["location"],
        json!(typed),
        "the organizer's text is kept"
    );
}

async fn outlook_add_reuses_the_meeting_of_a_copied_block(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let organizer = f.organizer();
    // 4f. The item lost its meeting key (opened on another device, or copied) but carries
    // our block: Add recognises it by its Video ID and reuses that meeting.
    configure(site, Some(stub_config(&organizer, OWA_COMPOSE)));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.click("[data-action=add]").await;
    b.wait_css("[data-status=Added]").await;
    let mut copied = b.stub().await;
    let original_key = copied["props"]["cviMeetingKey"]
        .as_str()
        .unwrap()
        .to_string();
    let copied_body = copied["body"].as_str().unwrap().to_string();
    copied["props"] = json!({});
    configure(site, Some(copied));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.click("[data-action=add]").await;
    b.wait_css("[data-status=Added]").await;
    let stub = b.stub().await;
    assert_eq!(
        stub["props"]["cviMeetingKey"].as_str(),
        Some(original_key.as_str()),
        "the meeting is reused, not a second one minted"
    );
    assert_eq!(
        stub["body"].as_str(),
        Some(copied_body.as_str()),
        "the body keeps its one block"
    );
}

async fn outlook_disabled_policy_shows_no_action(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    // 5. A user whose policy is disabled sees the policy message and no action.
    let admin = server.token("demo", "admin@demo.example", "admin");
    let (status, _) = server.call(
        "PUT",
        "/grants",
        &admin,
        Some(json!({"target": "user", "identity": "off@demo.example", "policy_name": "Tag:ServiceProviderDisabled"})),
    );
    assert_eq!(status, 200);
    let off = server.token("demo", "off@demo.example", "organizer");
    configure(site, Some(stub_config(&off, OWA_COMPOSE)));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    let msg = b.text("[data-status=NotEnabled]").await;
    assert!(
        msg.contains("Video conferencing is not enabled for you"),
        "{msg}"
    );
    assert!(b
        .client
        .find(Locator::Css("[data-action=add]"))
        .await
        .is_err());
    b.screenshot("5-outlook-not-enabled").await;
}

async fn outlook_missing_consent_writes_nothing(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    // 6. Consent missing: a tenant whose provider's partner app is not consented yet.
    let admin2 = server.token("fabrikam", "admin@fabrikam.example", "admin");
    let (s1, _) = server.call("POST", "/providers", &admin2, Some(json!({"name": "Cisco", "tenant_key": "fabrikam@m.webex.com", "aad_application_ids": ["7e9a9c4d-1b2a-4c3d-8e5f-6a7b8c9d0e1f"]})));
    let (s2, _) = server.call(
        "PUT",
        "/grants",
        &admin2,
        Some(json!({"target": "global", "policy_name": "Tag:CiscoServiceProviderEnabled"})),
    );
    assert_eq!((s1, s2), (201, 200));
    let bob = server.token("fabrikam", "bob@fabrikam.example", "organizer");
    configure(site, Some(stub_config(&bob, OWA_COMPOSE)));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.click("[data-action=add]").await;
    b.wait_css("[data-status=ConsentMissing]").await;
    b.screenshot("6-outlook-consent-missing").await;
    assert_eq!(b.stub().await["body"].as_str().unwrap(), OWA_COMPOSE);
}

async fn outlook_keyboard_only_adds(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let organizer = f.organizer();
    // 6k. Keyboard only: Tab reaches the primary action, its focus ring shows, Enter runs it.
    configure(site, Some(stub_config(&organizer, OWA_COMPOSE)));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.tab_to("[data-action=add]").await;
    b.keys(ENTER).await;
    b.wait_css("[data-status=Added]").await;
    let keyed = b.stub().await["body"].as_str().unwrap().to_string();
    assert_eq!(unquoted_blocks(&keyed).len(), 1);
}

/// The standalone page's main task by keyboard alone: sign in, a subject and an attendee,
/// coordinates.
async fn browser_page_keyboard_only_gets_coordinates(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    configure(site, None);
    b.client.goto(&server.base).await.unwrap();
    b.tab_to("[data-action=signin]").await;
    b.keys(ENTER).await;
    b.tab_to("input[name=subject]").await;
    b.keys("Keyboard review").await;
    b.tab_to("textarea[name=attendees]").await;
    b.keys("bob@demo.example").await;
    b.tab_to("[data-action=get]").await;
    b.keys(ENTER).await;
    let shown = b.text("[data-field=video-id]").await;
    assert!(
        shown.chars().filter(char::is_ascii_digit).count() >= 6,
        "a Video ID shows: {shown:?}"
    );
}

/// The Teams tab's main task by keyboard alone: a subject, an attendee, the default
/// times, Schedule.
async fn teams_tab_keyboard_only_schedules(f: &Fixture) {
    let (b, server, site, microsoft) = (&f.b, &f.server, &f.site, &f.microsoft);
    let organizer = f.organizer();
    configure(
        site,
        Some(json!({"teams": {"theme": "light", "locale": "en-US", "token": organizer}})),
    );
    b.client
        .goto(&format!("{}/teams.html", server.base))
        .await
        .unwrap();
    b.tab_to("input[name=subject]").await;
    b.keys("Keyboard standup").await;
    b.tab_to("textarea[name=attendees]").await;
    b.keys("bob@demo.example").await;
    b.tab_to("[data-action=schedule]").await;
    b.keys(ENTER).await;
    b.wait_css("[data-status=Scheduled]").await;
    assert!(
        microsoft
            .events()
            .iter()
            .any(|e| e["subject"] == "Keyboard standup"),
        "the event is in the organizer's calendar"
    );
}

/// The console's first task by keyboard alone: sign in, create a provider.
async fn console_keyboard_only_creates_a_provider(f: &Fixture) {
    let (b, server) = (&f.b, &f.server);
    b.client
        .goto(&format!("{}/admin", server.base))
        .await
        .unwrap();
    b.tab_to("input[name=tenant]").await;
    b.keys("keyboard").await;
    b.tab_to("input[name=user]").await;
    b.keys("admin@keyboard.example").await;
    b.keys(ENTER).await;
    // The sections are a navigation: Providers, then on from its heading.
    b.tab_to("nav a[href='#providers']").await;
    b.keys(ENTER).await;
    b.wait_text("#providers-h", |t| !t.is_empty()).await;
    b.wait_focus("providers-h").await;
    b.tab_to("input[name=tenant_key]").await;
    b.keys("3344556677@t.plcm.vc").await;
    b.tab_to("input[name=aad_application_ids]").await;
    b.keys(CONSOLE_APP).await;
    b.tab_to("[data-action=create-provider]").await;
    b.keys(ENTER).await;
    b.wait_css("tr[data-provider=Polycom]").await;
    // The audit log is on the console's other page: the keyboard user lands on its
    // heading there too, and the new provider is in it.
    b.tab_to("nav a[href$='#audit']").await;
    b.keys(ENTER).await;
    b.wait_focus("audit-h").await;
    b.wait_text("#audit tbody", |t| t.contains("provider.new"))
        .await;
}

async fn outlook_series_lives_until_60_days_after_its_end(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let organizer = f.organizer();
    // 6a. A recurring series: its coordinates live until 60 days after the series ends.
    let mut series = stub_config(&organizer, OWA_COMPOSE);
    series["seriesEnd"] = json!("2027-06-30");
    configure(site, Some(series));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.click("[data-action=add]").await;
    b.wait_css("[data-status=Added]").await;
    let series_key = b.stub().await["props"]["cviMeetingKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, meeting) = server.call("GET", &format!("/meetings/{series_key}"), &organizer, None);
    assert_eq!(meeting["expires_at"], "2027-08-29T23:59:59Z", "{meeting}");
}

async fn outlook_endless_series_is_renewed_near_expiry(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let organizer = f.organizer();
    // 6a'. A series without an end date holds its coordinates a year from its start…
    let mut endless = stub_config(&organizer, OWA_COMPOSE);
    endless["endless"] = json!(true);
    configure(site, Some(endless));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.click("[data-action=add]").await;
    b.wait_css("[data-status=Added]").await;
    let endless_key = b.stub().await["props"]["cviMeetingKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, meeting) = server.call("GET", &format!("/meetings/{endless_key}"), &organizer, None);
    assert_eq!(meeting["expires_at"], "2028-03-23T09:00:00Z", "{meeting}");
    // …and the pane renews them when it opens on the series close to their expiry.
    let (st, old) = server.call(
        "POST",
        "/meetings",
        &organizer,
        Some(json!({"meeting_key": "endless-old", "start": "2026-01-05T09:00:00Z", "end": "2026-01-05T10:00:00Z", "series_end": "2026-06-01T00:00:00Z"})),
    );
    assert_eq!(
        (st, old["expires_at"].as_str()),
        (201, Some("2026-07-31T00:00:00Z")),
        "{old}"
    );
    let mut opened = stub_config(&organizer, OWA_COMPOSE);
    opened["endless"] = json!(true);
    opened["start"] = json!("2026-01-05T09:00:00Z");
    opened["end"] = json!("2026-01-05T10:00:00Z");
    opened["props"] = json!({"cviMeetingKey": "endless-old"});
    configure(site, Some(opened));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    b.wait_css("[data-action=update]").await;
    let (_, renewed) = server.call("GET", "/meetings/endless-old", &organizer, None);
    let expires = renewed["expires_at"].as_str().unwrap().to_string();
    assert!(
        expires.as_str() > "2027-12-31",
        "renewed a year ahead: {renewed}"
    );
    assert_eq!(renewed["video_id"], old["video_id"], "same Video ID");
}

async fn outlook_follows_japanese_and_dark(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let organizer = f.organizer();
    // 6b. Outlook in Japanese with a dark theme: the pane follows both.
    let mut ja = stub_config(&organizer, OWA_COMPOSE);
    ja["locale"] = json!("ja-JP");
    ja["background"] = json!("#1f1f1f");
    configure(site, Some(ja));
    b.client
        .goto(&format!("{}/pane", server.base))
        .await
        .unwrap();
    assert_eq!(b.text("[data-action=add]").await, "ビデオ会議の詳細を追加");
    let root_attrs = b
        .js("return [document.documentElement.lang, document.documentElement.dataset.theme];")
        .await;
    assert_eq!(root_attrs, json!(["ja", "dark"]));
    b.screenshot("6b-outlook-ja-dark").await;
}

// ---- Teams: the tab --------------------------------------------------------------------

/// A partner's token for the demo tenant's Polycom app (to resolve as a room system would).
fn partner_token(server: &Server) -> String {
    let (_, partner) = server.process.call(
        "POST",
        "/api/v1/dev/token",
        None,
        Some(
            json!({"tenant": "demo", "user": "poly-ivr", "role": "partner",
                    "app_id": "7f3c2a10-5b1e-4c8d-9a6f-2e4b8c1d0a93"}),
        ),
    );
    partner["token"].as_str().unwrap().to_string()
}

async fn teams_tab_schedules_a_series_through_graph(f: &Fixture) {
    let (b, server, site, microsoft) = (&f.b, &f.server, &f.site, &f.microsoft);
    let organizer = f.organizer();
    let events_before = microsoft.events().len();
    let posts = || {
        microsoft
            .requests()
            .iter()
            .filter(|r| *r == "POST /me/events")
            .count()
    };
    let posts_before = posts();
    // 6c. A Teams tab: teams-js detected, its SSO token used (no sign-in form), its theme
    // and language followed; the meeting is scheduled into the calendar through Graph (the
    // Microsoft stand-in).
    configure(
        site,
        Some(json!({"teams": {"theme": "dark", "locale": "de-DE", "token": organizer}})),
    );
    // Opened at / (as an older manifest would): the pane hands over to the tab's page.
    b.client
        .goto(&format!("{}/?host=teams", server.base))
        .await
        .unwrap();
    assert_eq!(
        b.text("[data-action=schedule]").await,
        "Teams-Besprechung planen"
    );
    let root_attrs = b
        .js("return [document.documentElement.lang, document.documentElement.dataset.theme];")
        .await;
    assert_eq!(root_attrs, json!(["de", "dark"]));
    // Nothing typed yet: the tab says what is missing and asks nothing of the server.
    b.click("[data-action=schedule]").await;
    b.wait_css("[data-status=NeedSubject]").await;
    b.wait_css("input[name=subject]")
        .await
        .send_keys("Quartalsplanung")
        .await
        .unwrap();
    b.wait_css("textarea[name=attendees]")
        .await
        .send_keys("bob@demo.example; carol@demo.example")
        .await
        .unwrap();
    // Date inputs are typed as the browser's locale wants: `set` fills them as a picker would.
    b.set("start", "2027-01-25T09:00", "input").await;
    b.set("end", "2027-01-25T10:00", "input").await;
    b.set("repeat", "weekly", "change").await;
    b.set("until", "2027-01-01", "input").await;
    b.click("[data-action=schedule]").await;
    b.wait_css("[data-status=BadUntil]").await;
    b.set("until", "2027-02-22", "input").await;

    // Graph refuses (no calendar consent): the tab says what to ask the admin for.
    microsoft.fail_next(&[Fault::Denied]);
    b.click("[data-action=schedule]").await;
    let denied = b.text("[data-status=CalendarDenied]").await;
    assert!(denied.contains("Administrator"), "{denied}");
    b.screenshot("6c-teams-tab-denied").await;
    assert_eq!(microsoft.events().len(), events_before, "nothing created");
    // Scheduling again (Graph throttles once; the server waits as Retry-After says) makes
    // exactly one event, with the coordinates issued on the first try.
    microsoft.fail_next(&[Fault::Throttled]);
    b.click("[data-action=schedule]").await;
    b.wait_css("[data-status=Scheduled]").await;
    let shown = b.text("[data-field=video-id]").await;
    b.screenshot("6c-teams-tab-de-dark").await;
    let events = microsoft.events();
    assert_eq!(events.len(), events_before + 1, "{events:?}");
    let event = events
        .iter()
        .find(|e| e["subject"] == "Quartalsplanung")
        .expect("the event is in the calendar");
    assert_eq!(
        posts() - posts_before,
        3,
        "denied, throttled, created: {:?}",
        microsoft.requests()
    );
    let html = event["body"]["content"].as_str().unwrap();
    assert_eq!(event["body"]["contentType"], "HTML");
    let blocks = unquoted_blocks(html);
    assert_eq!(blocks.len(), 1, "exactly one block in {html}");
    assert_eq!(
        blocks[0].coordinates.video_id.as_ref().unwrap().grouped(),
        shown
    );
    assert_eq!(event["subject"], "Quartalsplanung");
    assert_eq!(event["isOnlineMeeting"], true);
    assert_eq!(event["onlineMeetingProvider"], "teamsForBusiness");
    let direct = blocks[0].coordinates.direct_dial_uri.clone().unwrap();
    assert_eq!(event["location"]["displayName"], format!("sip:{direct}"));
    let invited: Vec<&str> = event["attendees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["emailAddress"]["address"].as_str().unwrap())
        .collect();
    assert_eq!(invited, ["bob@demo.example", "carol@demo.example"]);
    assert_eq!(event["recurrence"]["pattern"]["type"], "weekly");
    assert_eq!(event["recurrence"]["range"]["endDate"], "2027-02-22");
    // Graph's join link is the meeting's, and resolution hands it to the room system.
    let join = event["onlineMeeting"]["joinUrl"].as_str().unwrap();
    assert_eq!(
        b.wait_css("[data-field=join-url]")
            .await
            .attr("href")
            .await
            .unwrap()
            .as_deref(),
        Some(join)
    );
    let key = event["transactionId"].as_str().unwrap();
    let (status, m) = server.call("GET", &format!("/meetings/{key}"), &organizer, None);
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["teams_join_url"], join);
    assert_eq!(
        m["expires_at"], "2027-04-23T23:59:59Z",
        "series end + 60 days"
    );
    let partner = partner_token(server);
    let (status, r) = server.call(
        "POST",
        "/resolve",
        &partner,
        Some(json!({"dial_string": direct})),
    );
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["teams_join_url"], join, "{r}");
}

async fn teams_tab_saves_and_cancels(f: &Fixture) {
    let (b, server, site, microsoft) = (&f.b, &f.server, &f.site, &f.microsoft);
    let organizer = f.organizer();
    configure(
        site,
        Some(json!({"teams": {"theme": "light", "locale": "en-US", "token": organizer}})),
    );
    b.client
        .goto(&format!("{}/teams.html", server.base))
        .await
        .unwrap();
    b.wait_css("input[name=subject]")
        .await
        .send_keys("Retro")
        .await
        .unwrap();
    b.wait_css("textarea[name=attendees]")
        .await
        .send_keys("bob@demo.example")
        .await
        .unwrap();
    b.set("start", "2027-02-01T09:00", "input").await;
    b.set("end", "2027-02-01T10:00", "input").await;
    b.assert_accessible("Teams tab").await;
    b.click("[data-action=schedule]").await;
    b.wait_css("[data-status=Scheduled]").await;
    b.assert_accessible("Teams tab, scheduled").await;
    let event = microsoft
        .events()
        .into_iter()
        .find(|e| e["subject"] == "Retro")
        .expect("the event is in the calendar");
    let html = event["body"]["content"].as_str().unwrap();
    let direct = unquoted_blocks(html)[0]
        .coordinates
        .direct_dial_uri
        .clone()
        .unwrap();
    let partner = partner_token(server);
    // Save changes: a new subject reaches the event; the body still holds one block.
    b.wait_css("input[name=subject]")
        .await
        .send_keys(" Q1")
        .await
        .unwrap();
    b.click("[data-action=save]").await;
    b.wait_css("[data-status=Saved]").await;
    let event = microsoft
        .events()
        .into_iter()
        .find(|e| e["subject"] == "Retro Q1")
        .expect("the new subject reached the event");
    assert_eq!(
        unquoted_blocks(event["body"]["content"].as_str().unwrap()).len(),
        1
    );

    // Cancel meeting, confirmed: the event leaves the calendar and the Video ID stops
    // resolving.
    b.click("[data-action=cancel-meeting]").await;
    b.wait_css("[role=alertdialog]").await;
    b.screenshot("6c-teams-tab-cancel").await;
    b.click("[data-action=confirm-cancel]").await;
    b.wait_css("[data-status=Cancelled]").await;
    assert!(
        !microsoft
            .events()
            .iter()
            .any(|e| e["subject"] == "Retro Q1"),
        "the event left the calendar"
    );
    let (status, r) = server.call(
        "POST",
        "/resolve",
        &partner,
        Some(json!({"dial_string": direct})),
    );
    assert_eq!(status, 404, "{r}");

    b.js("window.__teamsThemeHandler('contrast'); return null;")
        .await;
    assert_eq!(
        b.js("return document.documentElement.dataset.theme;").await,
        json!("contrast")
    );
    let calls = b.js("return window.__teamsCalls;").await;
    assert!(
        calls
            .as_array()
            .unwrap()
            .contains(&json!("authentication.getAuthToken")),
        "{calls}"
    );
}

// ---- The command, the standalone page ---------------------------------------------------

async fn command_page_adds_like_the_pane(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let organizer = f.organizer();
    // 7. The no-UI command (command.html, no Leptos) does the same as the pane's Add.
    configure(site, Some(stub_config(&organizer, OWA_COMPOSE)));
    b.client
        .goto(&format!("{}/command.html", server.base))
        .await
        .unwrap();
    b.assert_accessible("command page").await;
    let done = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const wait = () => window.__officeActions && window.__officeActions.addVtcDetails
               ? window.__officeActions.addVtcDetails({ completed: () => done(window.__cviStub) })
               : setTimeout(wait, 20);
             wait();",
            vec![],
        )
        .await
        .unwrap();
    let body = done["body"].as_str().unwrap();
    assert_eq!(unquoted_blocks(body).len(), 1, "{body}");
    assert_eq!(invite::remove(body, BodyKind::Html), OWA_COMPOSE);
}

async fn browser_page_schedules_and_downloads_ics(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    // 8. The standalone page: demo sign-in, a meeting, its coordinates, Download .ics.
    configure(site, None);
    b.client.goto(&server.base).await.unwrap();
    b.screenshot("7-browser-sign-in").await;
    b.assert_accessible("browser page, sign-in").await;
    b.click("[data-action=signin]").await;
    let subject = b.wait_css("input[name=subject]").await;
    subject.send_keys("Design review").await.unwrap();
    b.wait_css("textarea[name=attendees]")
        .await
        .send_keys("bob@demo.example, carol@demo.example")
        .await
        .unwrap();
    b.click("[data-action=get]").await;
    let shown = b.text("[data-field=video-id]").await;
    b.screenshot("8-browser-scheduled").await;
    b.assert_accessible("browser page, scheduled").await;
    b.click("[data-action=ics]").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let ics_path = loop {
        let found = std::fs::read_dir(&b.downloads)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "ics"));
        if let Some(p) = found {
            break p;
        }
        assert!(Instant::now() < deadline, "no .ics was downloaded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(ics_path.file_name().unwrap(), "Design-review.ics");
    let ics = std::fs::read_to_string(&ics_path).unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    assert!(
        ics.split("\r\n").all(|l| l.len() <= 75),
        "folded at 75 octets"
    );
    assert!(ics.contains("\r\nSUMMARY:Design review\r\n"));
    assert!(
        ics.contains("\r\nATTENDEE;ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:carol@demo.example\r\n")
    );
    let Extraction::Found(c) = invite::extract(&ics) else {
        panic!("no coordinates in {ics}")
    };
    assert_eq!(c.video_id.unwrap().grouped(), shown);
    let unfolded = ics.replace("\r\n ", "");
    assert!(
        unfolded.contains(&format!(
            "\r\nLOCATION:sip:{}\r\n",
            c.direct_dial_uri.unwrap()
        )),
        "{unfolded}"
    );
}

/// #23 item 14: a `#token=` link does not silently replace a signed-in session (login CSRF):
/// the page says who the link would sign in and who is signed in, and asks.
async fn browser_page_asks_before_a_link_replaces_the_session(f: &Fixture) {
    let (b, server) = (&f.b, &f.server);
    configure(&f.site, None);
    let ann = server.token("demo", "ann@demo.example", "organizer");
    let mallory = server.token("fabrikam", "mallory@fabrikam.example", "organizer");
    let session = || b.js("return sessionStorage.getItem('cvi.token');");
    b.client
        .goto(&format!("{}/#token={ann}", server.base))
        .await
        .unwrap();
    b.wait_css("input[name=subject]").await;
    assert_eq!(session().await, json!(ann), "a first link signs in");
    // Another link while Ann is signed in (one an attacker sent her, say).
    b.client
        .goto(&format!("{}/?again#token={mallory}", server.base))
        .await
        .unwrap();
    let prompt = b.text(".switch-account").await;
    for who in [
        "mallory@fabrikam.example",
        "fabrikam",
        "ann@demo.example",
        "demo",
    ] {
        assert!(prompt.contains(who), "{who} in {prompt:?}");
    }
    assert_eq!(
        session().await,
        json!(ann),
        "nothing changed before she answers"
    );
    b.screenshot("8b-browser-switch-account").await;
    b.click(".switch-account .stay").await;
    let gone = b
        .js("return document.querySelector('.switch-account') === null;")
        .await;
    assert_eq!(gone, json!(true));
    assert_eq!(session().await, json!(ann));
    assert_eq!(
        b.js("return sessionStorage.getItem('cvi.token.pending');")
            .await,
        Value::Null,
        "the link's token is forgotten"
    );
    // Asked again, and this time she switches.
    b.client
        .goto(&format!("{}/?third#token={mallory}", server.base))
        .await
        .unwrap();
    b.click(".switch-account .switch").await;
    b.wait_css("input[name=subject]").await;
    assert_eq!(session().await, json!(mallory));
}

async fn browser_page_keeps_typing_when_the_server_is_gone(f: &Fixture) {
    let b = &f.b;
    let server = Server::start(&f.site, &f.dir.path().join("gone"), &f.microsoft.base);
    b.client.goto(&server.base).await.unwrap();
    b.click("[data-action=signin]").await;
    b.wait_css("input[name=subject]")
        .await
        .send_keys("Design review")
        .await
        .unwrap();
    // 9. The server goes away: the page says so in words, and keeps what the user typed.
    drop(server);
    b.click("[data-action=get]").await;
    let msg = b.text("[data-status=Unreachable]").await;
    assert!(msg.contains("cannot be reached"), "{msg}");
    let typed = b
        .js("return document.querySelector('input[name=subject]').value;")
        .await;
    assert_eq!(typed, json!("Design review"));
    b.screenshot("9-browser-unreachable").await;
}

// ---- The admin console -----------------------------------------------------------------

/// #24: an organizer who opens the console reads one sentence saying it is for tenant
/// admins (it showed a role error per section).
async fn console_tells_an_organizer_it_is_for_admins(f: &Fixture) {
    let (b, server) = (&f.b, &f.server);
    b.client.set_window_size(1280, 1200).await.unwrap();
    let ann = server.token("demo", "ann@demo.example", "organizer");
    // Both pages of the console; the sign-in from the link is remembered for the second.
    for (page, sections) in [
        (
            "/admin-usage#token={ann}",
            "#inject, #meetings, #activity, #audit",
        ),
        ("/admin", "#providers, #grants, #consent"),
    ] {
        b.client
            .goto(&format!("{}{}", server.base, page.replace("{ann}", &ann)))
            .await
            .unwrap();
        let said = b.text("[role=alert]").await;
        assert!(
            said.starts_with("This console is for tenant admins.")
                && said.contains("ann@demo.example"),
            "{page}: {said}"
        );
        // Give the sections time to have asked, had they been shown.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let alerts = b
            .js("return document.querySelectorAll('[role=alert]').length;")
            .await;
        assert_eq!(
            alerts,
            json!(1),
            "{page}: one sentence, not one error per section"
        );
        let shown = b
            .js(&format!(
                "return document.querySelectorAll('{sections}').length;"
            ))
            .await;
        assert_eq!(shown, json!(0), "{page}");
    }
    b.screenshot("console-organizer").await;
    b.assert_accessible("console, organizer").await;
}

/// The console as the Teams app's "Admin console" tab in German: the host's language and
/// theme, its words fetched then (only German's), every section's name in German.
async fn console_follows_the_teams_language(f: &Fixture) {
    let (b, server, site) = (&f.b, &f.server, &f.site);
    let admin = server.token("demo", "admin@demo.example", "admin");
    configure(
        site,
        Some(json!({"teams": {"theme": "dark", "locale": "de-DE", "token": admin}})),
    );
    b.client.set_window_size(1280, 1400).await.unwrap();
    b.client
        .goto(&format!("{}/admin?host=teams", server.base))
        .await
        .unwrap();
    b.wait_text("h1", |t| t == "Cloud Video Interop – Verwaltungskonsole")
        .await;
    let ready = b.text("[data-testid=ready]").await;
    assert!(
        ready.starts_with("Bereit:") || ready.starts_with("Noch nicht bereit:"),
        "{ready}"
    );
    let root = b
        .js("return [document.documentElement.lang, document.documentElement.dataset.theme];")
        .await;
    assert_eq!(root, json!(["de", "dark"]));
    assert_eq!(
        b.js("return [...document.querySelectorAll('nav a')].map(a => a.textContent);")
            .await,
        json!([
            "Bereit",
            "Anbieter",
            "Richtlinien und Zuweisungen",
            "Zustimmung",
            "Jede Teams-Besprechung",
            "Besprechungen",
            "Aktivität",
            "Überwachungsprotokoll"
        ])
    );
    let fetched = b
        .js("return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('admin-words'));")
        .await;
    assert_eq!(
        fetched,
        json!([format!("{}/admin-words/de.json", server.base)])
    );
    b.section("grants").await;
    assert_eq!(b.text("#grants-h").await, "Richtlinien und Zuweisungen");
    b.assert_accessible("console, German").await;
    b.screenshot("console-de-dark").await;
    // The usage page, another page of the console, is still inside Teams: signed in by
    // Teams, in its language.
    b.section("audit").await;
    assert_eq!(
        b.js("return [location.pathname + location.search, document.getElementById('audit-h').textContent, document.documentElement.dataset.theme];")
            .await,
        json!(["/admin-usage?host=teams", "Überwachungsprotokoll", "dark"])
    );
    configure(site, None);
}

/// Signs in to the console as the admin of `tenant`, at desktop size.
async fn console_sign_in(f: &Fixture, tenant: &str) {
    f.b.client.set_window_size(1280, 2400).await.unwrap();
    f.b.client
        .goto(&format!("{}/admin", f.server.base))
        .await
        .unwrap();
    f.b.set("tenant", tenant, "input").await;
    f.b.set("user", &format!("admin@{tenant}.example"), "input")
        .await;
    f.b.click("[data-action=signin]").await;
}

/// The guide's Provision step in the console: providers, grants, the why of a policy.
async fn console_provisions_a_new_tenant(f: &Fixture) {
    let (b, server) = (&f.b, &f.server);
    const APP: &str = CONSOLE_APP;
    // Sign in as the admin of a new tenant: nothing is ready.
    console_sign_in(f, "contoso").await;
    let ready = b.text("[data-testid=ready]").await;
    assert!(ready.starts_with("Not ready"), "{ready}");
    b.screenshot("console-1-empty").await;
    b.assert_accessible("console").await;
    // In English the console fetches no words: they are in its bundle.
    let fetched = b
        .js("return performance.getEntriesByType('resource').filter(e => e.name.includes('admin-words')).length;")
        .await;
    assert_eq!(fetched, json!(0));
    // One section at a time: the others are in the page but hidden.
    let visible = b
        .js("return [...document.querySelectorAll('main section')].filter(s => !s.closest('[hidden]')).map(s => s.id);")
        .await;
    assert_eq!(visible, json!(["ready"]));

    // A provider: a bad tenant key is named next to its field; the demo tenant's key is
    // taken; then one that works.
    b.section("providers").await;
    b.assert_accessible("console, providers").await;
    b.set("tenant_key", "not a key", "input").await;
    b.set("aad_application_ids", APP, "input").await;
    b.click("[data-action=create-provider]").await;
    let near = b.text("label .field-error").await;
    assert!(
        !near.is_empty(),
        "the tenant key's problem is shown at its field"
    );
    b.set("tenant_key", "813878896@t.plcm.vc", "input").await;
    b.click("[data-action=create-provider]").await;
    b.wait_text(".provider-form [role=alert]", |t| {
        t.contains("813878896@t.plcm.vc") && t.contains("already in use")
    })
    .await;
    b.set("tenant_key", "4455667788@t.plcm.vc", "input").await;
    b.click("[data-action=create-provider]").await;
    b.wait_css("tr[data-provider=Polycom]").await;

    // Grants: everyone gets Polycom; the group g-lab (rank 1) gets the disabled policy.
    b.section("grants").await;
    b.set("policy", "Tag:PolycomServiceProviderEnabled", "change")
        .await;
    b.click("[data-action=grant]").await;
    b.wait_css("tr[data-grant='global:everyone']").await;
    b.set("target", "group", "change").await;
    b.wait_css("input[name=identity]").await;
    b.set("identity", "g-lab", "input").await;
    b.set("rank", "1", "input").await;
    b.set("policy", "Tag:ServiceProviderDisabled", "change")
        .await;
    b.click("[data-action=grant]").await;
    b.wait_css("tr[data-grant='group:g-lab']").await;
    // The table followed the change; the form kept what was typed.
    assert_eq!(
        b.js("return [document.querySelector('[name=target]').value, document.querySelector('[name=identity]').value];")
            .await,
        json!(["group", "g-lab"])
    );
    // Markup in a group id is text wherever it shows (the table, or the problem that
    // refuses it), never an element.
    b.set("target", "group", "change").await;
    b.set("identity", "<img src=x onerror=alert(1)>", "input")
        .await;
    b.click("[data-action=grant]").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let injected = b
        .js("return document.querySelectorAll('main img, main script').length;")
        .await;
    assert_eq!(injected, json!(0));
    // A javascript: more-info link is refused at its field and never becomes a link.
    b.section("providers").await;
    b.set("name", "BlueJeans", "change").await;
    b.set("tenant_key", "5566@bjn.vc", "input").await;
    b.set("instruction_uri", "javascript:alert(1)", "input")
        .await;
    b.click("[data-action=create-provider]").await;
    b.wait_text("label .field-error", |t| t.contains("https"))
        .await;

    // Why, for two users.
    b.section("grants").await;
    b.assert_accessible("console, grants").await;
    b.set("why-user", "ann@contoso.example", "input").await;
    b.click("[data-action=why]").await;
    let why_ann = b
        .wait_text("[data-testid=why]", |t| {
            t.contains("ann@contoso.example") || t.contains("global")
        })
        .await;
    assert!(
        why_ann.starts_with("Tag:PolycomServiceProviderEnabled"),
        "{why_ann}"
    );
    b.set("why-user", "bob@contoso.example", "input").await;
    b.set("why-groups", "g-lab", "input").await;
    b.click("[data-action=why]").await;
    let why_bob = b
        .wait_text("[data-testid=why]", |t| {
            t.starts_with("Tag:ServiceProviderDisabled")
        })
        .await;
    assert!(
        why_bob.contains("g-lab"),
        "the group grant decides: {why_bob}"
    );

    // A second group, then g-lab moved down: the two swap ranks (ranks are distinct, so
    // the console goes through a free rank).
    b.set("target", "group", "change").await;
    b.set("identity", "g-ops", "input").await;
    b.set("rank", "2", "input").await;
    b.set("policy", "Tag:PolycomServiceProviderEnabled", "change")
        .await;
    b.click("[data-action=grant]").await;
    b.wait_css("tr[data-grant='group:g-ops']").await;
    b.click("tr[data-grant='group:g-lab'] [data-action=move-down]")
        .await;
    let admin_token = server.token("contoso", "admin@contoso.example", "admin");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, g) = server.call("GET", "/grants", &admin_token, None);
        let rank = |id: &str| {
            g.as_array()
                .unwrap()
                .iter()
                .find(|x| x["identity"] == id)
                .map(|x| x["rank"].clone())
        };
        if rank("g-lab") == Some(json!(2)) && rank("g-ops") == Some(json!(1)) {
            break;
        }
        assert!(Instant::now() < deadline, "ranks not swapped: {g}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The guide's Consent step in the console: declined, then given; the tenant is ready.
async fn console_consent_makes_the_tenant_ready(f: &Fixture) {
    let (b, server) = (&f.b, &f.server);
    const APP: &str = CONSOLE_APP;
    let admin = server.token("northwind", "admin@northwind.example", "admin");
    let (s1, p) = server.call(
        "POST",
        "/providers",
        &admin,
        Some(json!({"name": "Polycom", "tenant_key": "5566778899@t.plcm.vc", "aad_application_ids": [APP]})),
    );
    let (s2, g) = server.call(
        "PUT",
        "/grants",
        &admin,
        Some(json!({"target": "global", "policy_name": "Tag:PolycomServiceProviderEnabled"})),
    );
    assert_eq!((s1, s2), (201, 200), "{p} {g}");
    console_sign_in(f, "northwind").await;
    let ready = b.text("[data-testid=ready]").await;
    assert!(ready.starts_with("Not ready"), "{ready}");
    // Consent: the link as a button; Entra sends the admin back to the callback.
    let href = b
        .wait_css("a[data-action=consent]")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        href.starts_with("https://login.microsoftonline.com/"),
        "{href}"
    );
    b.section("consent").await;
    b.screenshot("console-2-before-consent").await;
    b.assert_accessible("console, consent").await;
    // The admin first declines; Entra's error description (markup here) is shown as text.
    b.client
        .goto(&format!(
            "{}/api/v1/consent/callback?error=access_denied&error_description=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&state={}",
            server.base,
            state_of(&href)
        ))
        .await
        .unwrap();
    b.client
        .goto(&format!("{}/admin#consent", server.base))
        .await
        .unwrap();
    b.wait_text(".consent-provider", |t| {
        t.contains("<img src=x onerror=alert(1)>")
    })
    .await;
    let href = b
        .wait_css("a[data-action=consent]")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    b.client
        .goto(&format!(
            "{}/api/v1/consent/callback?admin_consent=True&tenant=northwind&state={}",
            server.base,
            state_of(&href)
        ))
        .await
        .unwrap();
    b.client
        .goto(&format!("{}/admin", server.base))
        .await
        .unwrap();
    b.wait_text("[data-testid=ready]", |t| t.starts_with("Ready"))
        .await;

    // An organizer now gets coordinates; the API holds what the console did.
    let admin = server.token("northwind", "admin@northwind.example", "admin");
    let ann = server.token("northwind", "ann@northwind.example", "organizer");
    let (st, m) = server.call(
        "POST",
        "/meetings",
        &ann,
        Some(json!({"meeting_key": "c-1", "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z"})),
    );
    assert_eq!(st, 201, "{m}");
    let (_, providers) = server.call("GET", "/providers", &admin, None);
    assert_eq!(providers[0]["tenant_key"], "5566778899@t.plcm.vc");
    assert_eq!(providers[0]["aad_application_ids"], json!([APP]));
    let (_, grants) = server.call("GET", "/grants", &admin, None);
    assert_eq!(grants.as_array().unwrap().len(), 1, "{grants}");
    let (_, consent) = server.call("GET", "/consent/status", &admin, None);
    assert_eq!(consent[0]["missing"], json!([]), "{consent}");
}

/// A provisioned tenant in the console: a provider edited, meetings found, the record.
/// Screenshots at 1280 and 400 px, light and dark.
async fn console_edits_finds_and_shows_the_record(f: &Fixture) {
    let (b, server) = (&f.b, &f.server);
    provision(
        &server.base,
        "tailspin",
        "6677889900@t.plcm.vc",
        &[CONSOLE_APP],
    )
    .expect("the tenant is provisioned");
    let ann = server.token("tailspin", "ann@tailspin.example", "organizer");
    let (st, m) = server.call(
        "POST",
        "/meetings",
        &ann,
        Some(json!({"meeting_key": "c-1", "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z"})),
    );
    assert_eq!(st, 201, "{m}");
    let admin = server.token("tailspin", "admin@tailspin.example", "admin");
    console_sign_in(f, "tailspin").await;
    b.wait_css("tr[data-provider=Polycom]").await;
    // Edit the provider: its more-info link (the name stays).
    b.client.refresh().await.unwrap();
    b.section("providers").await;
    b.click("tr[data-provider=Polycom] [data-action=edit-provider]")
        .await;
    b.wait_text(".provider-form h3", |t| t == "Edit Polycom")
        .await;
    b.set(
        "instruction_uri",
        "https://vc.tailspin.example/join",
        "input",
    )
    .await;
    b.click("[data-action=create-provider]").await;
    b.wait_text("tr[data-provider=Polycom]", |t| {
        t.contains("https://vc.tailspin.example/join")
    })
    .await;
    let (_, p) = server.call("GET", "/providers/Polycom", &admin, None);
    assert_eq!(
        p["instruction_uri"], "https://vc.tailspin.example/join",
        "{p}"
    );
    assert_eq!(p["tenant_key"], "6677889900@t.plcm.vc", "{p}");

    // An organizer's meetings; then the meeting found by its Video ID; the activity chart
    // counts it. They are on the console's usage page, a bundle of its own: the set-up
    // page's sections are not on it.
    b.section("meetings").await;
    assert_eq!(
        b.js("return [location.pathname, !!document.getElementById('providers'), \
              performance.getEntriesByType('resource').some(e => /cvi-admin-usage-[0-9a-f]{8,16}_bg\\.wasm$/.test(e.name))];")
            .await,
        json!(["/admin-usage", false, true])
    );
    // It asked only whether its caller is an admin (the providers), not for the set-up
    // page's policies, grants and consent.
    assert_eq!(
        b.js(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)\
              .filter(p => /^\\/api\\/v1\\/(providers|policies|grants|consent)/.test(p));"
        )
        .await,
        json!(["/api/v1/providers"])
    );
    // Its JS snippets came from the copies named by their content (the page's import map),
    // which a browser keeps; not from the crate-named folder it would ask about each time.
    assert_eq!(
        b.js("return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)\
              .filter(p => p.startsWith('/snippets/')).map(p => p.replace(/^\\/snippets\\/[0-9a-f]{16}\\//, '<content>/')).sort();")
            .await,
        json!(["<content>/src/host/office.js", "<content>/src/host/teams.js"])
    );
    b.set("meeting", "ann@tailspin.example", "input").await;
    b.click("[data-action=find-meeting]").await;
    b.wait_text("[data-testid=meetings] tbody", |t| t.contains("c-1"))
        .await;
    b.set("meeting", m["video_id"].as_str().unwrap(), "input")
        .await;
    b.click("[data-action=find-meeting]").await;
    let card = b.text("[data-testid=meeting]").await;
    assert!(card.contains("ann@tailspin.example"), "{card}");
    b.section("activity").await;
    b.click("[data-action=stats-reload]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let t = b.text("[data-testid=chart-summary]").await;
        if t.starts_with("Coordinates issued per day: 1 ") {
            break;
        }
        assert!(Instant::now() < deadline, "{t}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        b.click("[data-action=stats-reload]").await;
    }
    // Today's one meeting is the issued chart's only bar: the last of 30 days (the axis
    // at 36, each day 18.8 wide with 1 on each side) and the full 120 high.
    let bars = b
        .js(
            "return [...document.querySelectorAll('#activity figure:first-of-type rect')]\
             .map(r => ['x', 'y', 'width', 'height'].map(a => r.getAttribute(a)).join(' '));",
        )
        .await;
    assert_eq!(bars, json!(["582.2 0.0 16.8 120.0"]));
    b.screenshot("console-activity").await;
    b.section("audit").await;
    b.assert_accessible("console, audit log").await;
    let audit = b.text("#audit tbody").await;
    for action in [
        "provider.new",
        "grant.assign",
        "consent.record",
        "meeting.issue",
    ] {
        assert!(audit.contains(action), "{action} in {audit}");
    }
    // Filtered by the server: only grant changes.
    b.set("action", "grant", "input").await;
    b.click("[data-action=audit-filter]").await;
    b.wait_text("#audit tbody", |t| {
        t.contains("grant.assign") && !t.contains("provider.new") && !t.contains("meeting.issue")
    })
    .await;
    // A section left keeps what was typed in it (it is hidden, not made again).
    b.section("meetings").await;
    assert_eq!(
        b.js("return document.querySelector('[name=meeting]').value;")
            .await,
        m["video_id"]
    );
    b.section("audit").await;

    let injected = b
        .js("return document.querySelectorAll('main img, main script, a[href^=\"javascript\"]').length;")
        .await;
    assert_eq!(
        injected,
        json!(0),
        "no markup from tenant data became elements"
    );
    for (w, h) in [(1280, 2400), (400, 4200)] {
        b.client.set_window_size(w, h).await.unwrap();
        for theme in ["light", "dark"] {
            b.js(&format!(
                "document.documentElement.dataset.theme = '{theme}'; return null;"
            ))
            .await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            b.screenshot(&format!("console-{w}-{theme}")).await;
        }
    }
}

/// "Coordinates in every Teams meeting" in the console: what is missing (our app's consent,
/// as a button), then on: the covered user's calendar subscribed, and a meeting made in the
/// Teams client given its block, its outcome shown.
async fn console_turns_on_coordinates_in_every_teams_meeting(f: &Fixture) {
    let (b, server, microsoft) = (&f.b, &f.server, &f.microsoft);
    const ANN: &str = "3a4b5c6d-7e8f-4a0b-9c1d-2e3f4a5b6c7d";
    provision(
        &server.base,
        "woodgrove",
        "7788990011@t.plcm.vc",
        &[CONSOLE_APP],
    )
    .expect("the tenant is provisioned");
    microsoft.user(ANN, "ann@woodgrove.example");
    console_sign_in(f, "woodgrove").await;
    b.section("inject").await;
    b.wait_text("[data-testid=inject-state]", |t| t.starts_with("Off"))
        .await;
    let missing = b.text("[data-testid=inject-missing]").await;
    assert!(missing.contains("Calendars.ReadWrite"), "{missing}");
    let href = b
        .wait_css("a[data-action=inject-consent]")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(
        href.starts_with("https://login.microsoftonline.com/woodgrove/v2.0/adminconsent?")
            && href.contains(OUR_APP),
        "{href}"
    );
    b.screenshot("console-inject-off").await;
    // The Global Administrator consents; Entra returns to the partners' callback, and Graph
    // shows our app holding Calendars.ReadWrite.
    microsoft.service_principal(OUR_APP, &[CALENDARS_READ_WRITE]);
    b.client
        .goto(&format!(
            "{}/api/v1/consent/callback?admin_consent=True&tenant=woodgrove&state={}",
            server.base,
            state_of(&href)
        ))
        .await
        .unwrap();
    b.client
        .goto(&format!("{}/admin-usage#inject", server.base))
        .await
        .unwrap();
    b.click("[data-action=inject-toggle]").await;
    b.wait_text("[data-testid=inject-state]", |t| t.starts_with("On"))
        .await;
    assert!(
        b.client
            .find(Locator::Css("[data-testid=inject-missing]"))
            .await
            .is_err(),
        "nothing missing once consented"
    );
    // The status moves as the subscriptions are made.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        b.click("[data-action=inject-reload]").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        if b.text("[data-testid=inject-subscriptions]").await == "1" {
            break;
        }
        assert!(Instant::now() < deadline, "no subscription shown");
    }
    // A meeting made in the Teams client gets its block; the console lists it.
    let id = microsoft.client_creates(
        ANN,
        json!({
            "subject": "Standup",
            "body": {"contentType": "html", "content": OWA_COMPOSE},
            "start": {"dateTime": "2027-02-03T09:00:00.0000000", "timeZone": "UTC"},
            "end": {"dateTime": "2027-02-03T09:15:00.0000000", "timeZone": "UTC"},
            "location": {"displayName": ""},
            "isOnlineMeeting": true,
            "onlineMeetingProvider": "teamsForBusiness",
        }),
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        b.click("[data-action=inject-reload]").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let row = b
            .js(&format!(
                "const r = document.querySelector('tr[data-event=\"{id}\"]'); return r && r.dataset.outcome;"
            ))
            .await;
        if row == json!("written") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the meeting's outcome never showed: {row}"
        );
    }
    let body = microsoft.event_of(ANN, &id).unwrap()["body"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(unquoted_blocks(&body).len(), 1, "{body}");
    b.screenshot("console-inject-on").await;
    b.assert_accessible("console, every Teams meeting").await;
}
