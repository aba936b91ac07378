-- Coordinates issued and resolutions per tenant, provider and UTC day, for the admin
-- console's charts (`GET /api/v1/stats/daily`). Issuances are counted in the group-commit
-- transaction that inserts them; resolutions are summed in memory and added every few
-- seconds by each server, so several servers on one database add up.
CREATE TABLE daily_stats (
    tenant_id TEXT NOT NULL,
    day BIGINT NOT NULL,          -- days since 1970-01-01 (UTC)
    provider TEXT NOT NULL,
    metric TEXT NOT NULL,         -- 'issued' | 'resolved'
    count BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, provider, metric)
);
