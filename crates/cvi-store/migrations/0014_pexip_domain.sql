-- A Pexip provider receives every `<id>@<domain>` call on its tenant key's domain, so that
-- domain belongs to one tenant (#23 item 7). Before this, two tenants could both claim one:
-- the earlier claim (by created_at, then tenant) keeps the domain; a later one stops
-- matching by domain (its key_domain is cleared; its tenant key still names it for the
-- IVR) and is refused, with words, the next time its admin changes it.
UPDATE providers SET key_domain = ''
WHERE name = 'Pexip' AND key_domain <> '' AND EXISTS (
    SELECT 1 FROM providers AS first
    WHERE first.name = 'Pexip' AND first.key_domain = providers.key_domain
      AND (first.created_at < providers.created_at
           OR (first.created_at = providers.created_at AND first.tenant_id < providers.tenant_id))
);
CREATE UNIQUE INDEX providers_pexip_domain ON providers (key_domain)
    WHERE name = 'Pexip' AND key_domain <> '';
