-- Servers on this database, by heartbeat: a rate limit is split between the live ones, so
-- N servers together allow what one would (not N times as much).
CREATE TABLE servers (
    id TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
