-- 0003: several `itabot run` workers on one database.
-- A worker is alive while its own session holds the advisory lock of the lease 'worker:<id>'
-- (storage/pg_lease.py): the server drops it the moment the worker's connection ends, so a killed worker
-- is known dead at once and its claims (chats, reminder work, sends) are taken over without waiting out a lease.
CREATE TABLE workers (
    id         text PRIMARY KEY,
    host       text NOT NULL,
    pid        integer NOT NULL,
    telegram   text NOT NULL DEFAULT '' CHECK (telegram IN ('', 'polling', 'webhook')),
    started_at timestamptz NOT NULL DEFAULT now()
);

-- is the lease `name` (pg_try_advisory_lock(hashtextextended('itabot-lease:' || name, 0))) held by anyone?
-- pg_locks shows a bigint key as its high half in classid and its low half in objid, objsubid 1.
CREATE FUNCTION itabot_lease_held(name text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 1
          AND classid = ((hashtextextended('itabot-lease:' || name, 0) >> 32) & 4294967295)::oid
          AND objid = (hashtextextended('itabot-lease:' || name, 0) & 4294967295)::oid
    )
$$;

-- who claimed a send: a "sending" left by a dead worker becomes "interrupted" (at most once), never resent
ALTER TABLE sends ADD COLUMN claimed_by text NOT NULL DEFAULT '';

-- reminder work per organization: the lease holder asks (wanted_at), any worker claims an organization
-- (FOR UPDATE SKIP LOCKED) and sends its due reminders; done once handled_at catches up with wanted_at
CREATE TABLE reminder_work (
    org_id        text PRIMARY KEY,
    wanted_at     timestamptz NOT NULL,
    handled_at    timestamptz,
    claimed_by    text NOT NULL DEFAULT '',
    claimed_until timestamptz
);
CREATE INDEX reminder_work_open ON reminder_work (wanted_at) WHERE handled_at IS NULL OR handled_at < wanted_at;
