//! `cargo xtask package [--url https://HOST] [--sso-app-id GUID]`: the Teams / Outlook app
//! package — the unified manifest filled for the URL, with its colour and outline icons, in
//! one zip with no folder inside (what Teams' "Upload an app" and the admin center take) —
//! validated offline with `office-addin-manifest`, then read back.

use std::{fs, io::Write};

use crate::{
    manifest::{self, Params},
    run::{root, run, step, Result},
    tools,
};

/// The files of the package, in the zip's root.
const FILES: [&str; 3] = ["manifest.json", "color.png", "outline.png"];

pub fn package(args: &[String]) -> Result<()> {
    package_with(&tools::setup()?, args)
}

/// [`package`] with already set-up tools (`cargo xtask test`).
pub fn package_with(tools: &tools::Toolbox, args: &[String]) -> Result<()> {
    let params = Params::from_args(args)?;
    let work = root().join("target/package");
    let _ = fs::remove_dir_all(&work);
    step("unified manifest and icons", || {
        manifest::write(&params, &work)
    })?;
    step("office-addin-manifest validate (offline)", || {
        run(tools
            .command("office-addin-manifest")
            .arg("validate")
            .arg(work.join("manifest.json")))
    })?;
    let out = root().join("dist/cvi-app-package.zip");
    step(&format!("zip {}", out.display()), || {
        fs::create_dir_all(root().join("dist")).map_err(|e| e.to_string())?;
        let file = fs::File::create(&out).map_err(|e| format!("{}: {e}", out.display()))?;
        let mut zip = zip::ZipWriter::new(file);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for name in FILES {
            let bytes = fs::read(work.join(name)).map_err(|e| format!("{name}: {e}"))?;
            zip.start_file(name, opts).map_err(|e| e.to_string())?;
            zip.write_all(&bytes).map_err(|e| e.to_string())?;
        }
        zip.finish().map_err(|e| e.to_string())?;
        check(&out, &params)
    })?;
    println!(
        "\n{} is ready: upload it in Teams (Apps → Manage your apps → Upload an app) or in the Teams admin center.",
        out.display()
    );
    Ok(())
}

/// Reads the zip back: exactly the three files at its root, the manifest naming the URL.
fn check(zip_path: &std::path::Path, p: &Params) -> Result<()> {
    let file = fs::File::open(zip_path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| e.to_string())?;
    let mut names: Vec<String> = zip.file_names().map(String::from).collect();
    names.sort();
    let mut want: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    want.sort();
    if names != want {
        return Err(format!("the package holds {names:?}, not {want:?}"));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("manifest.json").map_err(|e| e.to_string())?,
        &mut text,
    )
    .map_err(|e| e.to_string())?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("manifest.json: {e}"))?;
    let tabs = json["staticTabs"].as_array().cloned().unwrap_or_default();
    let urls: Vec<&str> = tabs
        .iter()
        .filter_map(|t| t["contentUrl"].as_str())
        .collect();
    if !urls.iter().all(|u| u.starts_with(&p.base_url)) || urls.len() != 2 {
        return Err(format!(
            "the manifest's tabs {urls:?} do not all point at {}",
            p.base_url
        ));
    }
    println!("    {} files, tabs {urls:?}", names.len());
    Ok(())
}
