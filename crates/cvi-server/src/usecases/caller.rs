//! Who asks a use case: the tenant, the person or app, and their roles, as the HTTP door's
//! token verification (`auth.rs`) found them.

pub use cvi_core::api::Role;

use super::{Error, Result};

/// A verified caller. Every row a use case reads or writes is scoped by `tenant`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: String,
    /// UPN for users, the app id for apps: what the audit log records as actor.
    pub actor: String,
    pub upn: Option<String>,
    /// The immutable object id (`oid`), which owns meetings when the token has one.
    pub oid: Option<String>,
    pub roles: Vec<Role>,
    pub groups: Vec<String>,
    pub app_id: Option<String>,
}

impl Caller {
    /// Refuses unless the caller holds `role`.
    pub fn require(&self, role: Role) -> Result<()> {
        if self.roles.contains(&role) {
            return Ok(());
        }
        let name = |r: &Role| {
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        };
        Err(Error::NotAllowed(format!(
            "this needs the {} role; your token has {}",
            name(&role),
            if self.roles.is_empty() {
                "no role".to_string()
            } else {
                format!("{:?}", self.roles)
            }
        )))
    }

    /// Refuses unless the caller holds one of `roles`.
    pub fn require_any(&self, roles: &[Role]) -> Result<()> {
        match roles.iter().find(|r| self.roles.contains(r)) {
            Some(_) => Ok(()),
            None => self.require(roles[0]),
        }
    }

    /// The caller's UPN; apps have none.
    pub fn user(&self) -> Result<&str> {
        self.upn.as_deref().ok_or_else(|| {
            Error::NotAllowed("this needs a user token (with upn or preferred_username)".into())
        })
    }
}
