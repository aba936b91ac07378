-- The join side (SIP front door, Pexip policy): a dialled address names its tenant only by
-- the tenant key, so a tenant key belongs to one tenant. Case-insensitive, as dialling is.
-- (A database holding the same key in two tenants fails here: fix the key of one first.)
CREATE UNIQUE INDEX providers_tenant_key ON providers (lower(tenant_key));

-- The domain of the tenant key, for Pexip's `<id>@<domain>` direct dial (no key in it).
-- rtrim strips the domain's characters back to the '@' on both SQLite and PostgreSQL.
ALTER TABLE providers ADD COLUMN key_domain TEXT NOT NULL DEFAULT '';
UPDATE providers SET key_domain =
    substr(tenant_key, length(rtrim(tenant_key, 'abcdefghijklmnopqrstuvwxyz0123456789.-')) + 1);
CREATE INDEX providers_key_domain ON providers (key_domain);

-- Where the SIP front door redirects a call (RFC 3261 302 Contact): templates, NULL = the
-- default (the partner's own direct-dial and IVR addresses).
ALTER TABLE providers ADD COLUMN sip_gateway TEXT;
ALTER TABLE providers ADD COLUMN sip_ivr TEXT;

-- Credentials a Pexip Infinity bridge presents (HTTP Basic) to the external policy endpoint:
-- scoped to one tenant and provider; the secret is kept as a SHA-256 hash and shown once.
CREATE TABLE bridges (
    username TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    secret_sha256 TEXT NOT NULL,
    -- Pexip's name of its Teams Connector (`teams_proxy_name`), when routes should name it.
    teams_connector TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX bridges_tenant ON bridges (tenant_id, provider);
