-- 0001: itabot's first PostgreSQL schema.
-- Typed columns hold what queries select and de-duplicate by; `data` holds the whole record as JSON, so
-- fields added to the dataclasses in storage/models.py round-trip without a migration.
-- `seq` keeps creation order (TinyDB's insertion order); an upsert keeps a row's place.

CREATE TABLE orgs (
    id   text PRIMARY KEY,
    seq  bigint GENERATED ALWAYS AS IDENTITY,
    data jsonb NOT NULL
);

CREATE TABLE units (
    org_id text NOT NULL,
    id     text NOT NULL,
    seq    bigint GENERATED ALWAYS AS IDENTITY,
    data   jsonb NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE officers (
    org_id text NOT NULL,
    id     text NOT NULL,
    seq    bigint GENERATED ALWAYS AS IDENTITY,
    data   jsonb NOT NULL,
    PRIMARY KEY (org_id, id)
);

-- every incoming event asks which officer a chat account is: the primary key is that index
CREATE TABLE identities (
    platform   text NOT NULL,
    user_id    text NOT NULL,
    org_id     text NOT NULL,
    officer_id text NOT NULL,
    PRIMARY KEY (platform, user_id)
);

-- used_by = '' while the code is free; redeeming is UPDATE ... WHERE used_by = '' (one winner)
CREATE TABLE invites (
    code    text PRIMARY KEY,
    org_id  text NOT NULL,
    used_by text NOT NULL DEFAULT '',
    data    jsonb NOT NULL
);

CREATE TABLE measures (
    org_id      text    NOT NULL,
    fiscal_year integer NOT NULL,
    id          text    NOT NULL,
    data        jsonb   NOT NULL,
    PRIMARY KEY (org_id, fiscal_year, id)
);

-- append-only: one row per revision; the unique key makes a lost revision race impossible
CREATE TABLE reports (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      text    NOT NULL,
    fiscal_year integer NOT NULL,
    measure_id  text    NOT NULL,
    round       integer NOT NULL,
    unit_id     text    NOT NULL,
    revision    integer NOT NULL,
    id          text    NOT NULL,
    data        jsonb   NOT NULL,
    UNIQUE (org_id, fiscal_year, measure_id, round, unit_id, revision)
);
CREATE INDEX reports_by_year ON reports (org_id, fiscal_year, seq);

CREATE TABLE states (
    org_id     text NOT NULL,
    key        text NOT NULL,
    state      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);

-- the send log: its key is the reminder's idempotency key
CREATE TABLE sends (
    org_id      text    NOT NULL,
    fiscal_year integer NOT NULL,
    key         text    NOT NULL,
    seq         bigint GENERATED ALWAYS AS IDENTITY,
    data        jsonb   NOT NULL,
    PRIMARY KEY (org_id, fiscal_year, key)
);
CREATE INDEX sends_by_year ON sends (org_id, fiscal_year, seq);

CREATE TABLE settings (
    org_id text  NOT NULL,
    key    text  NOT NULL,
    value  jsonb NOT NULL,
    PRIMARY KEY (org_id, key)
);

-- durable inbox: webhook events keyed by the platform's event id (a redelivery is a no-op)
CREATE TABLE inbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    platform    text  NOT NULL,
    event_id    text  NOT NULL,
    chat_key    text  NOT NULL,
    payload     jsonb NOT NULL,
    state       text  NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'claimed', 'done')),
    received_at timestamptz NOT NULL DEFAULT now(),
    claimed_at  timestamptz,
    done_at     timestamptz,
    UNIQUE (platform, event_id)
);
CREATE INDEX inbox_open_by_chat ON inbox (chat_key, id) WHERE state <> 'done';

-- one row per chat: the row a worker locks (FOR UPDATE SKIP LOCKED) and leases to own the chat's events
CREATE TABLE inbox_chats (
    chat_key      text PRIMARY KEY,
    claimed_by    text NOT NULL DEFAULT '',
    claimed_until timestamptz
);
