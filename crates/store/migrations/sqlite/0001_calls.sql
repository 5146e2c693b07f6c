-- The call log: one row per call through the gateway, successful or not.
--
-- Later migrations add nullable columns (tenant, app, cost, price version) and side tables
-- (payloads keyed by `calls.id`); nothing here assumes they are absent. `request_id` is not
-- unique: callers may send their own `x-request-id`, and a retried client reuses it.
CREATE TABLE calls (
    id                INTEGER PRIMARY KEY,  -- rowid: insertion order, the tiebreak for equal times
    request_id        TEXT    NOT NULL,
    started_at        INTEGER NOT NULL,     -- unix milliseconds
    key_name          TEXT,
    inbound_api       TEXT    NOT NULL,
    model             TEXT,
    route             TEXT,
    provider          TEXT,
    upstream_model    TEXT,
    status            INTEGER NOT NULL,
    error_kind        TEXT,
    error_message     TEXT,
    stream            INTEGER NOT NULL,     -- 0 or 1
    latency_ms        REAL    NOT NULL,
    ttfb_ms           REAL,
    upstream_ms       REAL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    cached_tokens     INTEGER,
    attempts          INTEGER NOT NULL,
    dropped_fields    TEXT,
    client_ip         TEXT,
    user_agent        TEXT,
    finish_reason     TEXT,
    request_bytes     INTEGER,
    response_bytes    INTEGER,
    config_generation INTEGER
) STRICT;

-- Every query is "newest first", optionally narrowed by one column: each index ends with
-- `started_at` so SQLite walks it backwards instead of sorting.
CREATE INDEX calls_started_at ON calls (started_at);
CREATE INDEX calls_status ON calls (status, started_at);
CREATE INDEX calls_model ON calls (model, started_at);
CREATE INDEX calls_key_name ON calls (key_name, started_at);
CREATE INDEX calls_provider ON calls (provider, started_at);
CREATE INDEX calls_request_id ON calls (request_id);
