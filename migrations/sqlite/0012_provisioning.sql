-- Provisioning modules: each product's module, endpoint and signing secret,
-- the actions sent to it (in order per service) and every attempt.
-- Keep in step with ../postgres/0012_provisioning.sql.

-- `module` is now `manual` or `http`; earlier versions stored any name
-- (nothing called it), which means manual.
UPDATE product_provisioning SET module = 'manual' WHERE module NOT IN ('manual', 'http');
-- The operator's endpoint (http only) and the Standard Webhooks secret its
-- calls are signed with, sealed like the settings.
ALTER TABLE product_provisioning ADD COLUMN url TEXT;
ALTER TABLE product_provisioning ADD COLUMN sealed_secret TEXT;

-- What a reseller may see of its service's provisioning: the latest
-- action's {state, action, updated_at}, and the details the module returned.
ALTER TABLE services ADD COLUMN provisioning TEXT;
ALTER TABLE services ADD COLUMN details TEXT NOT NULL DEFAULT '{}';

-- One action for one service. `seq` orders a service's actions (one runs
-- at a time, in order). State: queued (waiting for its turn or its next
-- attempt), running (an attempt under way), waiting (the endpoint answered
-- 202 and reports later), done, failed (the schedule ran out).
CREATE TABLE provisioning_actions (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    service_id      TEXT NOT NULL REFERENCES services (id),
    reseller_id     TEXT NOT NULL REFERENCES reseller_profiles (id),
    product_id      TEXT NOT NULL REFERENCES products (id),
    action          TEXT NOT NULL CHECK (action IN ('create', 'suspend', 'unsuspend', 'terminate', 'change')),
    state           TEXT NOT NULL CHECK (state IN ('queued', 'running', 'waiting', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    change          TEXT,
    last_error      TEXT,
    note            TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX provisioning_actions_by_service ON provisioning_actions (service_id, seq);
CREATE INDEX provisioning_actions_by_state ON provisioning_actions (state, seq);

CREATE TABLE provisioning_attempts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id     TEXT NOT NULL REFERENCES provisioning_actions (id),
    attempt_no    INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    url           TEXT NOT NULL,
    status_code   INTEGER,
    duration_ms   INTEGER NOT NULL,
    error         TEXT,
    response_body TEXT
);
CREATE INDEX provisioning_attempts_by_action ON provisioning_attempts (action_id, id);
