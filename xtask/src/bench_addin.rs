//! The add-in's rows of `cargo xtask bench`: what a user downloads (raw, gzip, brotli),
//! how long the page takes to become usable in headless Chromium, and cvi-core's upsert
//! inside wasm.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use crate::{
    run::{root, Result},
    tools::Toolbox,
};

/// Sizes of a set of files: raw, gzip -9 and brotli q11 (what `cvi serve` sends).
pub struct Transfer {
    pub files: Vec<String>,
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

/// The files a page loads from `dist/` (its Trunk-hashed wasm, JS and CSS).
fn page_files(dist: &Path, html: &str) -> Result<Vec<PathBuf>> {
    let page = fs::read_to_string(dist.join(html)).map_err(|e| format!("{html}: {e}"))?;
    let mut files: Vec<PathBuf> = fs::read_dir(dist)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            let stem = name.trim_end_matches("_bg.wasm");
            [".wasm", ".js", ".css"].iter().any(|x| name.ends_with(x))
                && (page.contains(name) || page.contains(stem))
        })
        .collect();
    files.sort();
    if !files
        .iter()
        .any(|f| f.extension().is_some_and(|x| x == "wasm"))
    {
        return Err(format!("{html} loads no wasm from {}", dist.display()));
    }
    Ok(files)
}

/// What a page's files weigh: as built, and as `cvi serve` sends them (the gzip -9 and
/// brotli q11 copies `cargo xtask build` wrote beside each).
pub fn transfer(dist: &Path, html: &str) -> Result<Transfer> {
    let files = page_files(dist, html)?;
    let size = |path: &Path| {
        fs::metadata(path).map(|m| m.len()).map_err(|e| {
            format!(
                "{}: {e} (`cargo xtask build` writes every page's files and their .gz and .br copies)",
                path.display()
            )
        })
    };
    let (mut raw, mut gzip, mut brotli) = (0, 0, 0);
    for f in &files {
        let copy = |ext: &str| {
            let mut name = f.as_os_str().to_owned();
            name.push(ext);
            PathBuf::from(name)
        };
        raw += size(f)?;
        gzip += size(&copy(".gz"))?;
        brotli += size(&copy(".br"))?;
    }
    Ok(Transfer {
        files: files
            .iter()
            .filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect(),
        raw,
        gzip,
        brotli,
    })
}

/// The pages whose downloads the bench reports, as its rows name them. Each is a page of
/// its own: the Outlook pane carries none of the others.
const PAGES: [(&str, &str); 6] = [
    (
        "Outlook pane, initial transfer (wasm + JS + CSS)",
        "pane.html",
    ),
    (
        "standalone scheduler, its own page (wasm + JS + CSS)",
        "index.html",
    ),
    ("no-UI command page (wasm + JS)", "command.html"),
    ("Teams tab, its own page (wasm + JS + CSS)", "teams.html"),
    ("admin console, set-up page (wasm + JS + CSS)", "admin.html"),
    (
        "admin console, usage page (wasm + JS + CSS)",
        "admin-usage.html",
    ),
];

/// [`transfer`] of every page in [`PAGES`]: (row name, page, sizes).
pub fn transfers(dist: &Path) -> Result<Vec<(&'static str, &'static str, Transfer)>> {
    PAGES
        .iter()
        .map(|&(name, page)| Ok((name, page, transfer(dist, page)?)))
        .collect()
}

/// One table row per page: `| name: raw / gzip / brotli | sizes |` then `rest`.
pub fn transfer_rows(transfers: &[(&str, &str, Transfer)], rest: &str) -> String {
    let kb = |b: u64| format!("{:.1} KB", b as f64 / 1024.0);
    transfers
        .iter()
        .map(|(name, _, t)| {
            format!(
                "| {name}: raw / gzip / brotli | {} / {} / **{}** {rest}\n",
                kb(t.raw),
                kb(t.gzip),
                kb(t.brotli)
            )
        })
        .collect()
}

fn wait_for(url: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while ureq::get(url).call().is_err() {
        if Instant::now() > deadline {
            return Err(format!("{url} did not answer"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

fn post(url: &str, body: Value) -> Result<Value> {
    ureq::post(url)
        .send_json(body)
        .map_err(|e| format!("{url}: {e}"))?
        .body_mut()
        .read_json()
        .map_err(|e| format!("{url}: {e}"))
}

/// Which page [`time_to_interactive`] loads.
#[derive(Clone, Copy, PartialEq)]
pub enum Page {
    /// The standalone scheduler, signed in by the `#token=` link `cargo xtask serve` prints;
    /// interactive when "Get video conferencing details" is there.
    Scheduler,
    /// The Outlook task pane on an appointment, inside the recording Office.js stand-in
    /// (`static/stubs/office-stub.js`, as the browser tests use it); interactive when the
    /// user's policy has been read and "Add video conferencing details" is there.
    OutlookPane,
    /// The no-UI command page (command.html) in the same stand-in: interactive when its
    /// function is associated; its action is Outlook running it until `completed()`, with
    /// the block written into the item.
    Command,
}

/// The link a page is loaded over.
#[derive(Clone, Copy, PartialEq)]
pub enum Link {
    /// Loopback, the browser's cache as it comes.
    Local,
    /// Chromium's "Fast 3G" preset (DevTools: 562.5 ms latency, 180,000 B/s down, 84,375
    /// B/s up) with the HTTP cache off: every load is a cold first load.
    Fast3g,
    /// The same link with the HTTP cache on and warmed by one load first, as for a user
    /// who opens the page again (what `cvi serve`'s caching headers let the browser keep).
    Fast3gWarm,
}

/// What [`time_to_interactive`] measured, in milliseconds: each load until the page could
/// be used, and (for [`Page::Command`]) each run of its action.
pub struct Timings {
    pub ready: Vec<f64>,
    pub action: Vec<f64>,
}

/// The median of `v` (NaN when empty).
pub fn median(v: &[f64]) -> f64 {
    let mut sorted = v.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Milliseconds from navigation start until `page` can be used, `runs` times in one
/// headless Chromium over `link` (and for the command page, its action). The page is served
/// by `cvi`.
pub fn time_to_interactive(cvi: &Path, page: Page, runs: usize, link: Link) -> Result<Timings> {
    let dir = root().join("target/bench/tti");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let site = match page {
        Page::Scheduler => root().join("dist"),
        Page::OutlookPane | Page::Command => {
            // dist/ plus the stand-in, loaded before the add-in as Outlook loads Office.js.
            let site = dir.join("site");
            cvi_testkit::copy_dir(&root().join("dist"), &site)?;
            cvi_testkit::copy_dir(&root().join("static/stubs"), &site.join("stubs"))?;
            let index = site.join(match page {
                Page::Command => "command.html",
                _ => "pane.html",
            });
            let html = fs::read_to_string(&index).map_err(|e| e.to_string())?;
            fs::write(
                &index,
                html.replacen(
                    "<head>",
                    "<head><script src=\"/stubs/office-stub.js\"></script>",
                    1,
                ),
            )
            .map_err(|e| e.to_string())?;
            site
        }
    };
    let db = format!("sqlite://{}", dir.join("cvi.db").display());
    let server = cvi_testkit::CviServe::start(
        cvi,
        &[
            "--listen".as_ref(),
            "127.0.0.1:0".as_ref(),
            "--dev-issuer".as_ref(),
            "--demo".as_ref(),
            "--database".as_ref(),
            db.as_ref(),
            "--dist".as_ref(),
            site.as_os_str(),
        ] as &[&std::ffi::OsStr],
    )?;
    let base = server.base.clone();
    let token = post(
        &format!("{base}/api/v1/dev/token"),
        json!({"tenant": "demo", "user": "organizer@demo.example", "role": "organizer"}),
    )?["token"]
        .as_str()
        .ok_or("no token")?
        .to_string();

    let (url, ready) = match page {
        Page::Scheduler => (format!("{base}/#token={token}"), "[data-action=get]"),
        Page::OutlookPane | Page::Command => {
            let item = json!({
                "token": token, "subject": "Q1 planning",
                "start": "2027-01-23T09:00:00Z", "end": "2027-01-23T10:00:00Z",
                "location": "Room 4.12", "bodyType": "html", "body": "<p>Agenda</p>", "locale": "en-US",
            });
            fs::write(site.join("stubs/config.json"), item.to_string())
                .map_err(|e| e.to_string())?;
            match page {
                // The command page has no element to wait for; the script gets the block's
                // anchor id to find in the written body instead.
                Page::Command => (format!("{base}/command.html"), cvi_core::invite::ANCHOR_ID),
                _ => (format!("{base}/pane"), "[data-action=add]"),
            }
        }
    };

    let dport = cvi_testkit::free_port()?;
    let _driver = cvi_testkit::KillOnDrop(
        Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={dport}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("chromedriver: {e}"))?,
    );
    let wd = format!("http://127.0.0.1:{dport}");
    wait_for(&format!("{wd}/status"))?;
    let session = post(
        &format!("{wd}/session"),
        json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=480,900"]
        }}}}),
    )?;
    let id = session["value"]["sessionId"]
        .as_str()
        .ok_or_else(|| format!("no WebDriver session: {session}"))?
        .to_string();
    let s = format!("{wd}/session/{id}");
    if matches!(link, Link::Fast3g | Link::Fast3gWarm) {
        // Chrome DevTools Protocol through ChromeDriver; the conditions hold for the tab.
        let cdp = |cmd: &str, params: Value| {
            post(
                &format!("{s}/goog/cdp/execute"),
                json!({"cmd": cmd, "params": params}),
            )
        };
        cdp("Network.enable", json!({}))?;
        cdp(
            "Network.setCacheDisabled",
            json!({"cacheDisabled": link == Link::Fast3g}),
        )?;
        cdp(
            "Network.emulateNetworkConditions",
            json!({"offline": false, "latency": 562.5, "downloadThroughput": 180_000,
                   "uploadThroughput": 84_375}),
        )?;
    }
    // Until `ready` is on the page; for the command page, until Outlook could run the
    // command, then that run until `completed()` with the block in the item's body.
    let script = match page {
        Page::Command => {
            "const [anchor, done] = arguments;
             const poll = () => {
               const run = window.__officeActions && window.__officeActions.addVtcDetails;
               if (!run) return requestAnimationFrame(poll);
               const ready = performance.now();
               run({ completed: () => {
                 const written = (window.__cviStub.body || '').includes(anchor);
                 done(written ? [ready, performance.now() - ready] : 'no block was written');
               } });
             };
             poll();"
        }
        _ => {
            "const [css, done] = arguments;
             const poll = () => document.querySelector(css)
               ? done([performance.now()]) : requestAnimationFrame(poll);
             poll();"
        }
    };
    let measure = || -> Result<Vec<f64>> {
        post(&format!("{s}/url"), json!({"url": "about:blank"}))?;
        post(&format!("{s}/url"), json!({"url": url}))?;
        let v = post(
            &format!("{s}/execute/async"),
            json!({"script": script, "args": [ready]}),
        )?;
        v["value"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .ok_or_else(|| format!("the page never became usable, or its action failed: {v}"))
    };
    let mut timings = Timings {
        ready: Vec::new(),
        action: Vec::new(),
    };
    let result = (|| -> Result<()> {
        if link == Link::Fast3gWarm {
            measure()?; // fills the cache; not counted
        }
        for _ in 0..runs {
            let t = measure()?;
            timings.ready.extend(t.first());
            timings.action.extend(t.get(1));
        }
        Ok(())
    })();
    let _ = ureq::delete(&s).call();
    result?;
    Ok(timings)
}

/// cvi-core's 1 MB upsert in wasm in headless Chromium (tests/wasm_bench.rs): (insert, replace) ms.
pub fn wasm_upsert(tools: &Toolbox) -> Result<(f64, f64)> {
    let out = tools
        .command("cargo")
        .args([
            "test",
            "--release",
            "-p",
            "cvi-addin",
            "--target",
            "wasm32-unknown-unknown",
            "--features",
            "wasm-bench",
            "--test",
            "wasm_bench",
            "--",
            "--nocapture",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.split_once("WASM_UPSERT_MS ").map(|(_, v)| v.to_string()))
        .ok_or_else(|| format!("tests/wasm_bench.rs printed no timing:\n{text}"))?;
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    Ok((field("insert="), field("replace=")))
}
