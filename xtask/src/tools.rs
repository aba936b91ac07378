//! `cargo xtask setup`: every tool the project needs, pinned, installed once into a
//! versioned cache outside the clone (`~/.cache/cvi/tools/<tool>-<version>`), so a fresh
//! clone on a warm machine skips them and a fresh machine installs them. Only package
//! registries are used (crates.io, npm, Debian); nothing is downloaded from anywhere else.

use std::{
    env,
    ffi::OsString,
    fs,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use crate::run::{human, read, root, run, Result};

/// Trunk 0.22 needs a newer rustc than this machine's 1.95; 0.21.14 is known good.
pub const TRUNK_VERSION: &str = "0.21.14";
/// npm `binaryen` (Debian's binaryen 108 produced a wasm that failed to load).
pub const BINARYEN_VERSION: &str = "132";
/// npm `office-addin-manifest`: validates the unified manifest offline (its JSON schemas
/// ship in the package; only XML validation needs Microsoft's online service).
pub const OFFICE_ADDIN_MANIFEST_VERSION: &str = "3.0.0";
/// npm `axe-core`: the accessibility rules the browser end-to-end tests run on every page.
pub const AXE_CORE_VERSION: &str = "4.14.1";
/// cargo-fuzz (crates.io), for `cargo xtask fuzz` on the installed nightly toolchain.
pub const CARGO_FUZZ_VERSION: &str = "0.13.1";
/// schemathesis (PyPI), for API conformance against the served OpenAPI document.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Debian packages and a file each installs: the browser for wasm and end-to-end tests, a
/// Japanese font so screenshots of the ja UI are readable, the PostgreSQL 15 server that
/// the API tests start a throwaway cluster of, wrk for `cargo xtask bench`, and two real SIP
/// clients (SIPp, sipsak) that the SIP front door is tested and measured with, and Kamailio,
/// the reference SIP server the bench sets beside it.
const APT_PACKAGES: [(&str, &str); 8] = [
    ("chromium", "/usr/bin/chromium"),
    ("chromium-driver", "/usr/bin/chromedriver"),
    (
        "fonts-ipafont-gothic",
        "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    ),
    ("postgresql-15", "/usr/lib/postgresql/15/bin/initdb"),
    ("wrk", "/usr/bin/wrk"),
    ("sip-tester", "/usr/bin/sipp"),
    ("sipsak", "/usr/bin/sipsak"),
    ("kamailio", "/usr/sbin/kamailio"),
];

/// Packages only the bench uses (`cargo xtask test` does without them).
const BENCH_ONLY: [&str; 2] = ["wrk", "kamailio"];

/// Where the installed tools are, for building PATH.
pub struct Toolbox {
    pub bin_dirs: Vec<PathBuf>,
    /// axe-core's `axe.min.js`, when installed (tests), for the browser tests.
    pub axe_js: Option<PathBuf>,
}

impl Toolbox {
    /// PATH with the cached tools first, so Trunk and cargo find the pinned versions.
    pub fn path(&self) -> OsString {
        let mut dirs = self.bin_dirs.clone();
        dirs.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
        env::join_paths(dirs).expect("tool paths hold no separator")
    }

    /// A command with PATH and the tool environment (offline Trunk, chromedriver) set.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("PATH", self.path())
            .env("TRUNK_SKIP_VERSION_CHECK", "true")
            .env("CHROMEDRIVER", "/usr/bin/chromedriver")
            .current_dir(root());
        if let Some(axe) = &self.axe_js {
            c.env("CVI_AXE_JS", axe);
        }
        c
    }
}

/// The tool cache: `$CVI_TOOLS_DIR`, else `$XDG_CACHE_HOME/cvi/tools`, else `~/.cache/cvi/tools`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = env::var_os("CVI_TOOLS_DIR") {
        return PathBuf::from(d);
    }
    let base = env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| env::temp_dir().join("cvi-cache"));
    base.join("cvi").join("tools")
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
pub fn wasm_bindgen_version() -> Result<String> {
    let text = fs::read_to_string(root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock ({e}); run `cargo generate-lockfile`"))?;
    let lock: toml::Table = text
        .parse()
        .map_err(|e| format!("Cargo.lock is not TOML: {e}"))?;
    lock.get("package")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .find(|p| p.get("name").and_then(toml::Value::as_str) == Some("wasm-bindgen"))
        .and_then(|p| p.get("version").and_then(toml::Value::as_str))
        .map(String::from)
        .ok_or_else(|| "Cargo.lock has no wasm-bindgen package".into())
}

/// Prints one progress line per tool: cached, or installed and how long it took.
fn ensure(
    name: &str,
    present: bool,
    hint: &str,
    install: impl FnOnce() -> Result<()>,
) -> Result<()> {
    if present {
        println!("setup: {name:<28} cached");
        return Ok(());
    }
    println!("setup: {name:<28} installing ({hint}) ...");
    let t = Instant::now();
    install().map_err(|e| format!("installing {name}: {e}"))?;
    println!("setup: {name:<28} installed in {}", human(t.elapsed()));
    Ok(())
}

/// `<dest>.partial`: where an install is assembled before it is renamed into place.
fn partial(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    dest.with_file_name(name)
}

/// How a crate from crates.io is built for the tool cache.
#[derive(Clone, Copy)]
struct Install {
    /// `--locked`: the crate's own Cargo.lock (trunk's is known good; wasm-bindgen-cli's is not
    /// used, as measured on this machine kind, shared/TOOLCHAIN.md).
    locked: bool,
    /// A build tool, not a program we measure: no TLS (nothing is downloaded, Trunk runs
    /// offline and chromedriver comes from Debian) and no optimisation. Trunk's own release
    /// profile (fat LTO, one codegen unit) took 7 m 44 s here; unoptimised, 2 m 46 s.
    quick: bool,
}

/// `cargo install` into a temporary root, then renamed into place, so an interrupted
/// install never leaves a half-written tool that a later run would take as cached.
fn cargo_install(dest: &Path, krate: &str, version: &str, how: Install) -> Result<()> {
    let tmp = partial(dest);
    let _ = fs::remove_dir_all(&tmp);
    let mut c = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.args(["install", krate, "--version", version, "--root"])
        .arg(&tmp);
    if how.locked {
        c.arg("--locked");
    }
    if how.quick {
        // The environment outranks the crate's [profile.release] (cargo's config precedence).
        c.arg("--no-default-features")
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    }
    run(&mut c)?;
    fs::rename(&tmp, dest).map_err(|e| format!("moving {} into place: {e}", tmp.display()))
}

fn is_root() -> bool {
    read(Command::new("id").arg("-u")).as_deref() == Some("0")
}

/// What a command needs installed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Building the add-in (wasm target, wasm-bindgen, Trunk, wasm-opt): `serve`, `build`.
    AddinBuild,
    /// What `cargo xtask test` runs: the add-in build, browsers, PostgreSQL, SIP clients,
    /// axe-core, the manifest validator, schemathesis.
    Tests,
    /// Everything: tests, and the bench's load tools (wrk, Kamailio) and cargo-fuzz.
    Everything,
}

/// Installs everything that is missing and returns where it is.
pub fn setup() -> Result<Toolbox> {
    setup_for(Needs::Everything)
}

/// Installs what `needs` asks for, when missing, and returns where the tools are.
pub fn setup_for(needs: Needs) -> Result<Toolbox> {
    let all = needs == Needs::Everything;
    let tests = needs != Needs::AddinBuild;
    let started = Instant::now();
    let cache = cache_dir();
    fs::create_dir_all(&cache).map_err(|e| format!("cannot create {}: {e}", cache.display()))?;
    println!("setup: tool cache {}", cache.display());

    let installed =
        read(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    ensure(
        "rust target wasm32",
        installed.contains("wasm32-unknown-unknown"),
        "~2 s",
        || run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"])),
    )?;

    let wanted: Vec<(&str, &str)> = APT_PACKAGES
        .into_iter()
        .filter(|(pkg, _)| all || !BENCH_ONLY.contains(pkg))
        .collect();
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(_, bin)| !Path::new(bin).exists())
        .map(|(pkg, _)| *pkg)
        .collect();
    if tests {
        let names: Vec<&str> = wanted.iter().map(|(pkg, _)| *pkg).collect();
        ensure(
            &format!("apt: {}", names.join(", ")),
            missing.is_empty(),
            "Debian, ~1 min",
            || {
                if !is_root() {
                    return Err(format!(
                        "needs root: run `sudo apt-get update && sudo apt-get install -y {}`",
                        missing.join(" ")
                    ));
                }
                run(Command::new("apt-get")
                    .arg("update")
                    .env("DEBIAN_FRONTEND", "noninteractive"))?;
                run(Command::new("apt-get")
                    .args(["install", "-y", "--no-install-recommends"])
                    .args(&missing)
                    .env("DEBIAN_FRONTEND", "noninteractive"))
            },
        )?;
    }

    let wb_version = wasm_bindgen_version()?;
    let wb = cache.join(format!("wasm-bindgen-{wb_version}"));
    let trunk = cache.join(format!("trunk-{TRUNK_VERSION}"));
    // The two compile side by side: each build's serial tail (its last crates, the link)
    // then overlaps the other's parallel part on the two cores.
    let (wb_done, trunk_done) = std::thread::scope(|s| {
        let wb_job = s.spawn(|| {
            ensure(
                &format!("wasm-bindgen-cli {wb_version}"),
                wb.join("bin/wasm-bindgen-test-runner").exists(),
                "crates.io, ~1.5 min",
                || {
                    let how = Install {
                        locked: false,
                        quick: true,
                    };
                    cargo_install(&wb, "wasm-bindgen-cli", &wb_version, how)
                },
            )
        });
        let trunk_done = ensure(
            &format!("trunk {TRUNK_VERSION}"),
            trunk.join("bin/trunk").exists(),
            "crates.io, ~3 min cold",
            || {
                let how = Install {
                    locked: true,
                    quick: true,
                };
                cargo_install(&trunk, "trunk", TRUNK_VERSION, how)
            },
        );
        let wb_done = wb_job
            .join()
            .unwrap_or_else(|_| Err("the wasm-bindgen-cli install panicked".into()));
        (wb_done, trunk_done)
    });
    wb_done?;
    trunk_done?;

    let binaryen = cache.join(format!("binaryen-{BINARYEN_VERSION}"));
    let wasm_opt_bin = binaryen.join("node_modules/.bin");
    ensure(
        &format!("binaryen {BINARYEN_VERSION} (wasm-opt)"),
        wasm_opt_bin.join("wasm-opt").exists(),
        "npm, ~5 s",
        || npm_install(&binaryen, &format!("binaryen@{BINARYEN_VERSION}")),
    )?;

    let oam = cache.join(format!(
        "office-addin-manifest-{OFFICE_ADDIN_MANIFEST_VERSION}"
    ));
    let oam_bin = oam.join("node_modules/.bin");
    if tests {
        ensure(
            &format!("office-addin-manifest {OFFICE_ADDIN_MANIFEST_VERSION}"),
            oam_bin.join("office-addin-manifest").exists(),
            "npm, ~5 s",
            || {
                npm_install(
                    &oam,
                    &format!("office-addin-manifest@{OFFICE_ADDIN_MANIFEST_VERSION}"),
                )
            },
        )?;
    }

    let axe = cache.join(format!("axe-core-{AXE_CORE_VERSION}"));
    let axe_js = axe.join("node_modules/axe-core/axe.min.js");
    if tests {
        ensure(
            &format!("axe-core {AXE_CORE_VERSION}"),
            axe_js.exists(),
            "npm, ~5 s",
            || npm_install(&axe, &format!("axe-core@{AXE_CORE_VERSION}")),
        )?;
    }

    let fuzz = cache.join(format!("cargo-fuzz-{CARGO_FUZZ_VERSION}"));
    if all {
        ensure(
            &format!("cargo-fuzz {CARGO_FUZZ_VERSION}"),
            fuzz.join("bin/cargo-fuzz").exists(),
            "crates.io, ~1 min",
            || {
                let how = Install {
                    locked: true,
                    quick: false,
                };
                cargo_install(&fuzz, "cargo-fuzz", CARGO_FUZZ_VERSION, how)
            },
        )?;
    }

    let st = cache.join(format!("schemathesis-{SCHEMATHESIS_VERSION}"));
    // A venv cannot be moved after creation, so it is built in place and marked complete last.
    let st_done = st.join(".complete");
    if tests {
        ensure(
            &format!("schemathesis {SCHEMATHESIS_VERSION}"),
            st_done.exists(),
            "PyPI, ~30 s",
            || {
                let _ = fs::remove_dir_all(&st);
                run(Command::new("python3").args(["-m", "venv"]).arg(&st))?;
                run(Command::new(st.join("bin/pip"))
                    .args(["install", "--quiet", "--disable-pip-version-check"])
                    .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}")))?;
                fs::write(&st_done, SCHEMATHESIS_VERSION).map_err(|e| e.to_string())
            },
        )?;
    }

    println!("setup: all tools ready in {}", human(started.elapsed()));
    Ok(Toolbox {
        axe_js: tests.then_some(axe_js),
        bin_dirs: vec![
            wb.join("bin"),
            trunk.join("bin"),
            wasm_opt_bin,
            oam_bin,
            fuzz.join("bin"),
            st.join("bin"),
        ],
    })
}

/// `npm install spec` into `dir`, built aside and moved into place when complete.
fn npm_install(dir: &Path, spec: &str) -> Result<()> {
    let tmp = partial(dir);
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&tmp)
        .arg(spec))?;
    fs::rename(&tmp, dir).map_err(|e| e.to_string())
}
