-- A tenant's partner configuration (providers, consents) changes bump its version, in the
-- same transaction, so servers can keep that configuration in memory and notice changes
-- made through another server (src/tenant_config.rs).
CREATE TABLE tenant_config (
    tenant_id TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
