//! Which tenants a dialled SIP URI names, from the tenant key in it. The providers on a
//! domain are kept briefly, so an INVITE costs no query here: every direct dial carries its
//! Video ID in the local part, so the candidate keys are new on every call and a cache by
//! key would always miss. Safe to keep: a tenant found here is then decided on with its
//! versioned configuration (a key that moved away gives the one 404); a key added
//! elsewhere is seen within [`TTL`].

use std::{sync::Arc, time::Duration};

use crate::kept::Kept;
use cvi_store::db::Db;
use cvi_store::{self as store, providers::Dialled, FastReads};

/// How long a domain's providers are kept.
const TTL: Duration = Duration::from_secs(5);
/// Domains kept; random domains (enumeration) evict each other, not real ones alone.
const CAPACITY: usize = 10_000;
/// Providers kept per domain; a domain with more is asked per address.
const PER_DOMAIN: i64 = 10_000;

pub struct Directory {
    /// By domain (lower case); `None`: more than [`PER_DOMAIN`] providers, ask per address.
    domains: Kept<Option<Arc<Vec<Dialled>>>>,
}

impl Default for Directory {
    fn default() -> Self {
        Directory {
            domains: Kept::new(CAPACITY, TTL),
        }
    }
}

/// The tenant keys a dialled `local@domain` may carry: the IVR key, Polycom/BlueJeans
/// `<key>.<id>`, Cisco `<id>.<key>` (a Pexip `<id>@<domain>` is matched by its domain).
fn candidates(local: &str, domain: &str) -> [String; 3] {
    let key = |k: Option<&str>| k.map_or_else(String::new, |k| [k, "@", domain].concat());
    [
        key(Some(local)),
        key(local.rsplit_once('.').map(|(k, _)| k)),
        key(local.split_once('.').map(|(_, k)| k)),
    ]
}

/// Does `d` answer a call to `keys` on `domain` (as `store::providers::dialled` matches)?
fn named(d: &Dialled, keys: &[String; 3], domain: &str) -> bool {
    keys.iter().any(|k| !k.is_empty() && d.tenant_key == *k)
        || (d.name == "Pexip" && d.key_domain == domain)
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
        let keys = candidates(&local, &domain);
        let kept = self
            .domains
            .get_or_fetch(&domain, || async {
                let mut found = store::providers::on_domain(db, &domain, PER_DOMAIN + 1).await?;
                Ok::<_, sqlx::Error>((found.len() as i64 <= PER_DOMAIN).then(|| {
                    found.shrink_to_fit();
                    Arc::new(found)
                }))
            })
            .await?;
        let matched: Vec<Dialled> = match &kept {
            Some(all) => {
                // The key's own tenant first, then Pexip's domain matches (as `dialled`).
                let (mut by_key, by_domain): (Vec<Dialled>, Vec<Dialled>) = all
                    .iter()
                    .filter(|d| named(d, &keys, &domain))
                    .cloned()
                    .partition(|d| keys.contains(&d.tenant_key));
                by_key.extend(by_domain);
                by_key
            }
            None => store::providers::dialled(db, fast, &keys, &domain).await?,
        };
        // At most one tenant per candidate key (keys are unique) and one by its Pexip
        // domain (a domain is one tenant's): none is dropped.
        let mut out: Vec<String> = Vec::new();
        for d in matched {
            if !out.contains(&d.tenant) {
                out.push(d.tenant);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{candidates, named};
    use cvi_store::providers::Dialled;

    #[test]
    fn every_dial_plan_names_its_key() {
        let k = candidates("813878896.1223269647", "t.plcm.vc");
        assert_eq!(k[1], "813878896@t.plcm.vc", "Polycom/BlueJeans <key>.<id>");
        let k = candidates("1223269647.contoso", "m.webex.com");
        assert_eq!(k[2], "contoso@m.webex.com", "Cisco <id>.<key>");
        let k = candidates("teams", "video.contoso.com");
        assert_eq!(k[0], "teams@video.contoso.com", "an IVR");
    }

    #[test]
    fn a_domains_providers_answer_only_their_own_calls() {
        let p = |name: &str, key: &str, domain: &str| Dialled {
            tenant: "t".into(),
            tenant_key: key.into(),
            name: name.into(),
            key_domain: domain.into(),
        };
        let poly = p("Polycom", "813878896@t.plcm.vc", "t.plcm.vc");
        let pexip = p("Pexip", "contoso@vc.example.invalid", "vc.example.invalid");
        let to = |local: &str, domain: &str| candidates(local, domain);
        assert!(named(
            &poly,
            &to("813878896.1223269647", "t.plcm.vc"),
            "t.plcm.vc"
        ));
        assert!(!named(
            &poly,
            &to("813878897.1223269647", "t.plcm.vc"),
            "t.plcm.vc"
        ));
        assert!(
            !named(&poly, &to("1223269647", "t.plcm.vc"), "t.plcm.vc"),
            "no key, not Pexip"
        );
        assert!(named(
            &pexip,
            &to("1223269647", "vc.example.invalid"),
            "vc.example.invalid"
        ));
        assert!(!named(&pexip, &to("1223269647", "t.plcm.vc"), "t.plcm.vc"));
    }
}
