-- "Coordinates in every Teams meeting": the server writes the block into Teams meetings its
-- users create from any client, through Microsoft Graph change notifications. Opted into
-- per tenant by its admin.
CREATE TABLE inject_tenants (
    tenant_id TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL,
    changed_at BIGINT NOT NULL,
    -- The last reconciliation: users whose subscription Graph refused, and the first reason.
    failed INTEGER NOT NULL DEFAULT 0,
    failure TEXT
);

-- Our Graph subscriptions, one per covered user, on that user's events. `client_state` is
-- the random secret Graph echoes in every notification of the subscription; `user_id` is
-- the user's directory object id, `upn` what grants name.
CREATE TABLE graph_subscriptions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    upn TEXT NOT NULL,
    client_state TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX graph_subscriptions_user ON graph_subscriptions (tenant_id, user_id);

-- Notifications as Graph delivered them, until processed: Graph gets its 202 only once a
-- notification is here, so none is lost to a crash. Only ids and times: nothing of the
-- event's content. `id` is time-ordered (zero-padded millis + random suffix), so claiming
-- in `id` order is arrival order.
CREATE TABLE graph_inbox (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    -- created / updated / deleted, or a lifecycle event (missed, subscriptionRemoved,
    -- reauthorizationRequired)
    kind TEXT NOT NULL,
    event_id TEXT,
    received_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- A server working on it until then (NULL: free).
    leased_until BIGINT
);
CREATE INDEX graph_inbox_tenant ON graph_inbox (tenant_id);

-- What processing made of each event: ids, times and the outcome only (no subject, no body),
-- for the console's "why not injected".
CREATE TABLE inject_outcomes (
    tenant_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    outcome TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);

-- Meetings found again by their calendar event (a deletion names only the event).
CREATE INDEX meetings_graph_event ON meetings (tenant_id, graph_event_id);

-- Work one server at a time does for all (reconciling a tenant's subscriptions): held by
-- `holder` until `until`, then free for any server.
CREATE TABLE inject_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until BIGINT NOT NULL
);
