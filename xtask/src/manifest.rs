//! `cargo xtask manifest`: the Outlook XML manifest and the unified (JSON) manifest from
//! the templates in static/manifest/, filled in with the server URL, into dist/manifest/.
//! The XML one is checked here against the elements Outlook requires (a test runs the same
//! check); the unified one is validated by `office-addin-manifest` in `cargo xtask test`.

use std::{fs, path::Path};

use crate::run::{root, Result};

/// This add-in's id: fixed, so sideloading a newer manifest updates the same add-in.
pub const ADDIN_ID: &str = "6f1b5c39-2c1e-4f0b-9a57-3d6a3c1e8b42";
/// Placeholder for the Entra app registration that Office SSO uses (`--sso-app-id`).
pub const SSO_PLACEHOLDER: &str = "00000000-0000-0000-0000-000000000000";
/// Where `cvi serve` is reachable over https (Office requires https) when no `--url` is given.
pub const DEFAULT_URL: &str = "https://localhost:8443";

/// What the templates are filled with.
pub struct Params {
    pub base_url: String,
    pub sso_app_id: String,
}

impl Params {
    /// `--url URL` and `--sso-app-id GUID` from the command line.
    pub fn from_args(args: &[String]) -> Result<Params> {
        let mut p = Params {
            base_url: DEFAULT_URL.into(),
            sso_app_id: SSO_PLACEHOLDER.into(),
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = |name: &str| {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match a.as_str() {
                "--url" => p.base_url = value("--url")?,
                "--sso-app-id" => p.sso_app_id = value("--sso-app-id")?,
                other => {
                    return Err(format!(
                    "unknown option {other:?}; use --url https://host[:port] and --sso-app-id GUID"
                ))
                }
            }
        }
        p.base_url = p.base_url.trim_end_matches('/').to_string();
        if !p.base_url.starts_with("https://") || p.base_url[8..].is_empty() {
            return Err(format!(
                "--url {:?}: Outlook loads add-ins only over https; give the https address of cvi serve (behind your TLS proxy)",
                p.base_url
            ));
        }
        if !is_guid(&p.sso_app_id) {
            return Err(format!(
                "--sso-app-id {:?} is not a GUID like {SSO_PLACEHOLDER}",
                p.sso_app_id
            ));
        }
        Ok(p)
    }

    fn host(&self) -> &str {
        let rest = &self.base_url["https://".len()..];
        rest.split('/').next().unwrap_or(rest)
    }
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The no-UI command's function name, read from the command's source so the manifests and
/// the code cannot disagree.
pub fn command_name() -> Result<String> {
    let src = fs::read_to_string(root().join("src/bin/command.rs")).map_err(|e| e.to_string())?;
    src.lines()
        .find_map(|l| l.trim().strip_prefix("const COMMAND: &str = \""))
        .and_then(|rest| rest.split('"').next())
        .map(String::from)
        .ok_or_else(|| "src/bin/command.rs has no `const COMMAND: &str = \"…\"`".into())
}

fn fill(template: &str, p: &Params, command: &str) -> String {
    template
        .replace("{{BASE_URL}}", &p.base_url)
        .replace("{{HOST}}", p.host())
        .replace("{{ADDIN_ID}}", ADDIN_ID)
        .replace("{{SSO_APP_ID}}", &p.sso_app_id)
        .replace("{{COMMAND}}", command)
}

/// The Outlook XML manifest for `p`.
pub fn outlook_xml(p: &Params) -> Result<String> {
    let dir = root().join("static/manifest");
    let read = |f: &str| fs::read_to_string(dir.join(f)).map_err(|e| format!("{f}: {e}"));
    let xml =
        read("outlook.xml")?.replace("{{COMMANDS}}", read("outlook-commands.xml")?.trim_end());
    Ok(fill(&xml, p, &command_name()?))
}

/// The unified manifest for `p`.
pub fn unified_json(p: &Params) -> Result<String> {
    let t = fs::read_to_string(root().join("static/manifest/unified.json"))
        .map_err(|e| format!("static/manifest/unified.json: {e}"))?;
    Ok(fill(&t, p, &command_name()?))
}

/// Checks an Outlook add-in-only manifest for what Outlook needs: a MailApp with a GUID id,
/// version, names, https icons and pages, the Mailbox requirement set, ReadWriteItem, an
/// appointment-organizer rule and command surface with a task pane button and the
/// ExecuteFunction command, and every `resid` defined. Returns every problem found.
pub fn check_outlook_xml(xml: &str, command: &str) -> std::result::Result<(), Vec<String>> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| vec![format!("not XML: {e}")])?;
    let mut errors = Vec::new();
    let root = doc.root_element();
    let xsi = "http://www.w3.org/2001/XMLSchema-instance";
    let xsi_type = |n: roxmltree::Node| n.attribute((xsi, "type")).unwrap_or_default().to_string();
    if root.tag_name().name() != "OfficeApp" || xsi_type(root) != "MailApp" {
        errors.push("the root must be <OfficeApp xsi:type=\"MailApp\">".into());
    }
    let child = |name: &str| root.children().find(|c| c.tag_name().name() == name);
    for name in [
        "Id",
        "Version",
        "ProviderName",
        "DefaultLocale",
        "DisplayName",
        "Description",
        "IconUrl",
        "HighResolutionIconUrl",
        "SupportUrl",
        "Hosts",
        "Requirements",
        "FormSettings",
        "Permissions",
        "Rule",
        "VersionOverrides",
    ] {
        if child(name).is_none() {
            errors.push(format!("<{name}> is missing"));
        }
    }
    if let Some(id) = child("Id").and_then(|n| n.text()) {
        if !is_guid(id) {
            errors.push(format!("<Id> {id:?} is not a GUID"));
        }
    }
    let all = || doc.descendants().filter(|n| n.is_element());
    let named = |name: &'static str| all().filter(move |n| n.tag_name().name() == name);
    if !named("Set")
        .any(|n| n.attribute("Name") == Some("Mailbox") && n.attribute("MinVersion").is_some())
    {
        errors.push("no <Set Name=\"Mailbox\" MinVersion=…> requirement".into());
    }
    if child("Permissions").and_then(|n| n.text()) != Some("ReadWriteItem") {
        errors.push("<Permissions> must be ReadWriteItem (the add-in writes the body)".into());
    }
    if !named("Rule").any(|n| {
        n.attribute("ItemType") == Some("Appointment") && n.attribute("FormType") == Some("Edit")
    }) {
        errors.push("no <Rule ItemType=\"Appointment\" FormType=\"Edit\">".into());
    }
    if !named("ExtensionPoint").any(|n| xsi_type(n) == "AppointmentOrganizerCommandSurface") {
        errors.push("no AppointmentOrganizerCommandSurface extension point".into());
    }
    if !named("Action").any(|n| xsi_type(n) == "ShowTaskpane") {
        errors.push("no ShowTaskpane button".into());
    }
    if !named("FunctionName").any(|n| n.text() == Some(command)) {
        errors.push(format!("no ExecuteFunction for {command:?}"));
    }
    if named("FunctionFile").next().is_none() {
        errors.push("no <FunctionFile> for the command".into());
    }
    let defined: Vec<&str> = all().filter_map(|n| n.attribute("id")).collect();
    for n in all() {
        if let Some(r) = n.attribute("resid") {
            if !defined.contains(&r) {
                errors.push(format!("resid {r:?} is not defined in <Resources>"));
            }
        }
        for url in ["DefaultValue", "Value"]
            .iter()
            .filter_map(|a| n.attribute(*a))
        {
            if url.contains("://") && !url.starts_with("https://") {
                errors.push(format!("{url:?} is not https"));
            }
        }
        if n.text().is_some_and(|t| t.contains("{{"))
            || n.attributes().any(|a| a.value().contains("{{"))
        {
            errors.push(format!(
                "an unfilled placeholder in <{}>",
                n.tag_name().name()
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Writes both manifests into `out`, checking the XML one.
pub fn write(p: &Params, out: &Path) -> Result<()> {
    fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let xml = outlook_xml(p)?;
    check_outlook_xml(&xml, &command_name()?)
        .map_err(|e| format!("static/manifest/outlook.xml: {}", e.join("; ")))?;
    fs::write(out.join("outlook.xml"), xml).map_err(|e| e.to_string())?;
    fs::write(out.join("manifest.json"), unified_json(p)?).map_err(|e| e.to_string())?;
    // The unified manifest's package holds its icons next to it.
    for (from, to) in [
        ("icon-192.png", "color.png"),
        ("outline-32.png", "outline.png"),
    ] {
        fs::copy(root().join("static/assets").join(from), out.join(to))
            .map_err(|e| format!("{from}: {e}"))?;
    }
    println!(
        "wrote {0}/outlook.xml and {0}/manifest.json (+ color.png, outline.png) for {1}",
        out.display(),
        p.base_url
    );
    Ok(())
}

/// `office-addin-manifest validate` on the built unified manifest, and on a copy without its
/// `id`, which must fail (so a validator that checks nothing cannot pass).
pub fn validate_unified(tools: &crate::tools::Toolbox) -> Result<()> {
    let good = root().join("dist/manifest/manifest.json");
    crate::run::run(
        tools
            .command("office-addin-manifest")
            .arg("validate")
            .arg(&good),
    )?;
    let text = fs::read_to_string(&good).map_err(|e| format!("{}: {e}", good.display()))?;
    let broken = root().join("target/manifest-without-id.json");
    let id_line = format!("\"id\": \"{ADDIN_ID}\"");
    let without_id: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with(&id_line))
        .collect::<Vec<_>>()
        .join("\n");
    if without_id == text.replace("\r\n", "\n") {
        return Err("could not find the manifest's id line to remove".into());
    }
    fs::write(&broken, without_id).map_err(|e| e.to_string())?;
    let status = tools
        .command("office-addin-manifest")
        .arg("validate")
        .arg(&broken)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("office-addin-manifest: {e}"))?;
    if status.success() {
        return Err(
            "office-addin-manifest accepted a manifest without an id: it is not validating".into(),
        );
    }
    println!(
        "    {} is valid; the same without its id is refused",
        good.display()
    );
    Ok(())
}

/// `cargo xtask manifest [--url https://…] [--sso-app-id GUID]`.
pub fn manifest(args: &[String]) -> Result<()> {
    write(&Params::from_args(args)?, &root().join("dist/manifest"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        Params::from_args(&["--url".into(), "https://cvi.fabrikam.example/".into()]).unwrap()
    }

    #[test]
    fn the_outlook_manifest_has_what_outlook_requires() {
        let xml = outlook_xml(&params()).unwrap();
        assert_eq!(check_outlook_xml(&xml, &command_name().unwrap()), Ok(()));
        assert!(xml.contains(
            "<SourceLocation DefaultValue=\"https://cvi.fabrikam.example/pane?host=outlook\"/>"
        ));
        assert!(xml.contains("<Resource>api://cvi.fabrikam.example/"));
    }

    #[test]
    fn the_check_names_what_is_missing() {
        let xml = outlook_xml(&params()).unwrap();
        let broken = xml
            .replace("<Permissions>ReadWriteItem</Permissions>", "")
            .replace(
                "AppointmentOrganizerCommandSurface",
                "MessageReadCommandSurface",
            )
            .replace("resid=\"Pane.Url\"", "resid=\"Nope.Url\"");
        let errors = check_outlook_xml(&broken, "addVtcDetails").unwrap_err();
        assert!(
            errors.iter().any(|e| e == "<Permissions> is missing"),
            "{errors:?}"
        );
        assert!(errors
            .iter()
            .any(|e| e.contains("AppointmentOrganizerCommandSurface")));
        assert!(errors.iter().any(|e| e.contains("\"Nope.Url\"")));
        let wrong = check_outlook_xml(&xml, "somethingElse").unwrap_err();
        assert_eq!(
            wrong,
            vec!["no ExecuteFunction for \"somethingElse\"".to_string()]
        );
    }

    #[test]
    fn bad_options_are_refused_with_a_reason() {
        let e = Params::from_args(&["--url".into(), "http://x".into()])
            .err()
            .unwrap();
        assert!(e.contains("https"), "{e}");
        let e = Params::from_args(&["--sso-app-id".into(), "abc".into()])
            .err()
            .unwrap();
        assert!(e.contains("GUID"), "{e}");
        assert!(Params::from_args(&["--bogus".into()]).is_err());
    }

    /// What the manifests tell an admin must be what ships: the Teams tab does not create
    /// meetings (Graph scheduling is not built), so no description may say it does.
    #[test]
    fn descriptions_claim_only_what_ships() {
        let p = params();
        for text in [unified_json(&p).unwrap(), outlook_xml(&p).unwrap()] {
            let lower = text.to_lowercase();
            for claim in [
                "schedules meetings",
                "creates the meeting",
                "creates meetings",
            ] {
                assert!(!lower.contains(claim), "the manifest claims {claim:?}");
            }
        }
        assert!(unified_json(&p)
            .unwrap()
            .contains("does not create the Teams meeting"));
    }

    #[test]
    fn the_unified_manifest_is_json_with_the_url_and_command() {
        let json = unified_json(&params()).unwrap();
        assert!(!json.contains("{{"), "unfilled placeholder");
        assert!(json.contains("https://cvi.fabrikam.example/pane?host=outlook"));
        assert!(json.contains(&command_name().unwrap()));
    }
}
