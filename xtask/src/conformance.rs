//! API conformance: schemathesis against a running `cvi serve`, once per role, checking
//! that no request gets a 5xx and that every response matches the OpenAPI document
//! (status codes, content types, bodies, headers).

use std::process::Command;

use crate::{
    run::{read, root, run, Result},
    tools::Toolbox,
};

/// The demo tenant's partner app (see crates/cvi-server/src/demo.rs).
const DEMO_APP_ID: &str = "7f3c2a10-5b1e-4c8d-9a6f-2e4b8c1d0a93";
/// What is checked: server errors and conformance of responses to the document. (Whether
/// the server accepts every schema-valid input is not: the schema cannot say "a valid
/// regular expression" or "end after start", and the API rightly answers 400.)
const CHECKS: &str =
    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance";

/// Runs schemathesis for the admin, organizer and partner roles.
pub fn conformance(tools: &Toolbox) -> Result<()> {
    let cvi = root().join("target/debug/cvi");
    if !cvi.exists() {
        return Err("target/debug/cvi is missing; the native tests build it".into());
    }
    let dir = std::env::temp_dir().join(format!("cvi-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = format!("sqlite://{}", dir.join("cvi.db").display());
    let server = cvi_testkit::CviServe::start(
        &cvi,
        &[
            "--dev-issuer",
            "--demo",
            "--listen",
            "127.0.0.1:0",
            "--database",
            &db,
        ],
    )?;
    let url = server.base.clone();
    for role in ["admin", "organizer", "partner"] {
        let token = read(Command::new(&cvi).args([
            "--server",
            &url,
            "token",
            "--tenant",
            "demo",
            "--user",
            &format!("{role}@demo.example"),
            "--role",
            role,
            "--app-id",
            DEMO_APP_ID,
        ]))
        .ok_or_else(|| format!("cvi token --role {role} failed"))?;
        println!("schemathesis as {role}:");
        run(tools.command("schemathesis").args([
            "run",
            &format!("{url}/api/v1/openapi.json"),
            "--header",
            &format!("Authorization: Bearer {token}"),
            "--checks",
            CHECKS,
            "--max-examples",
            "50",
            "--seed",
            "7",
            "--request-timeout",
            "10",
            "--no-color",
        ]))?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
