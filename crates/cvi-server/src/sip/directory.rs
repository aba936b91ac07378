//! Which tenants a dialled SIP URI names, from the tenant key in it, kept briefly: every
//! INVITE would otherwise cost a second query. Safe to keep: a tenant found here is then
//! decided on with its versioned configuration (a key that moved away gives the one 404);
//! a key added elsewhere is seen within [`TTL`].

use std::time::{Duration, Instant};

use crate::{db::Db, store, store::FastReads};

/// How long an answer is kept, found or not.
const TTL: Duration = Duration::from_secs(5);
/// Entries kept; random addresses (enumeration) evict each other, not real ones alone.
const CAPACITY: usize = 100_000;

#[derive(Clone)]
struct Entry {
    at: Instant,
    tenants: Vec<String>,
}

pub struct Directory {
    /// By candidate tenant key (`key@domain`) or `*@domain` for Pexip's domain match.
    cache: quick_cache::sync::Cache<String, Entry>,
}

impl Default for Directory {
    fn default() -> Self {
        Directory {
            cache: quick_cache::sync::Cache::new(CAPACITY),
        }
    }
}

/// The lookups a dialled `local@domain` needs: the IVR key, Polycom/BlueJeans
/// `<key>.<id>`, Cisco `<id>.<key>` — and the Pexip domain.
fn candidates(local: &str, domain: &str) -> ([String; 3], String) {
    let key = |k: Option<&str>| k.map_or_else(String::new, |k| format!("{k}@{domain}"));
    (
        [
            key(Some(local)),
            key(local.rsplit_once('.').map(|(k, _)| k)),
            key(local.split_once('.').map(|(_, k)| k)),
        ],
        format!("*@{domain}"),
    )
}

impl Directory {
    /// The tenants `address` (`local@domain`, no scheme) may belong to.
    pub async fn tenants(
        &self,
        db: &Db,
        fast: Option<&FastReads>,
        address: &str,
    ) -> Result<Vec<String>, sqlx::Error> {
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Ok(vec![]);
        };
        if local.is_empty() || local.len() > 128 || domain.len() > 253 || local.contains('@') {
            return Ok(vec![]);
        }
        let (local, domain) = (local.to_ascii_lowercase(), domain.to_ascii_lowercase());
        let (keys, pexip) = candidates(&local, &domain);
        let lookups: Vec<&String> = keys
            .iter()
            .chain([&pexip])
            .filter(|k| !k.is_empty())
            .collect();
        // One cache read per lookup; any missing or stale one asks the database for all.
        let kept: Option<Vec<Vec<String>>> = lookups
            .iter()
            .map(|k| {
                self.cache
                    .get(*k)
                    .filter(|e| e.at.elapsed() < TTL)
                    .map(|e| e.tenants)
            })
            .collect();
        let lists = match kept {
            Some(lists) => lists,
            None => {
                let found = store::providers::dialled(db, fast, &keys, &domain).await?;
                let now = Instant::now();
                lookups
                    .iter()
                    .map(|k| {
                        let tenants: Vec<String> = found
                            .iter()
                            .filter(|d| {
                                if *k == &pexip {
                                    d.name == "Pexip" && d.key_domain == domain
                                } else {
                                    d.tenant_key == **k
                                }
                            })
                            .map(|d| d.tenant.clone())
                            .collect();
                        self.cache.insert(
                            (*k).clone(),
                            Entry {
                                at: now,
                                tenants: tenants.clone(),
                            },
                        );
                        tenants
                    })
                    .collect()
            }
        };
        let mut out: Vec<String> = Vec::new();
        for t in lists.into_iter().flatten() {
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out.truncate(4);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::candidates;

    #[test]
    fn every_dial_plan_names_its_key() {
        let (k, p) = candidates("813878896.1223269647", "t.plcm.vc");
        assert_eq!(k[1], "813878896@t.plcm.vc", "Polycom/BlueJeans <key>.<id>");
        let (k, _) = candidates("1223269647.contoso", "m.webex.com");
        assert_eq!(k[2], "contoso@m.webex.com", "Cisco <id>.<key>");
        let (k, _) = candidates("teams", "video.contoso.com");
        assert_eq!(k[0], "teams@video.contoso.com", "an IVR");
        assert_eq!(p, "*@t.plcm.vc", "Pexip <id>@<domain>");
    }
}
