-- One schema for SQLite and PostgreSQL: only TEXT, BIGINT and INTEGER columns (flags are
-- INTEGER 0/1: sqlx's Any driver cannot map SQLite BOOLEAN), times as BIGINT Unix
-- milliseconds, every row scoped by tenant_id.

CREATE TABLE providers (
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    tenant_key TEXT NOT NULL,
    instruction_uri TEXT,
    -- ';'-joined lower-case GUIDs, as the cmdlet takes them
    aad_application_ids TEXT NOT NULL DEFAULT '',
    allow_app_guest_joins_as_authenticated INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE grants (
    tenant_id TEXT NOT NULL,
    target_kind TEXT NOT NULL,  -- 'user' | 'group' | 'global'
    target_id TEXT NOT NULL,    -- lower-case UPN, group id, or '' for global
    group_rank INTEGER,         -- groups only; 1 = highest
    policy_name TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, target_kind, target_id)
);
-- Ranks are distinct per tenant (NULLs, for user and global grants, never collide).
CREATE UNIQUE INDEX grants_rank ON grants (tenant_id, group_rank);

CREATE TABLE consents (
    tenant_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    granted INTEGER NOT NULL,
    error TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, app_id)
);

-- CSRF state of an admin-consent round trip; single use, short-lived.
CREATE TABLE consent_states (
    state TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    app_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE meetings (
    tenant_id TEXT NOT NULL,
    meeting_key TEXT NOT NULL,
    organizer TEXT NOT NULL,
    provider TEXT NOT NULL,
    tenant_key TEXT NOT NULL,
    video_id TEXT NOT NULL,
    subject TEXT,
    lang TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    cancelled INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, meeting_key)
);
-- A Video ID names one meeting of a provider in a tenant; expired rows are purged before reuse.
CREATE UNIQUE INDEX meetings_video_id ON meetings (tenant_id, provider, video_id);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,        -- time-ordered: zero-padded millis + random suffix
    tenant_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);

-- Signing keys of the local dev issuer (`cvi serve --dev-issuer`), so tokens survive restarts
-- and every server on one database accepts them.
CREATE TABLE dev_issuer_keys (
    kid TEXT PRIMARY KEY,
    pkcs8_hex TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
