-- 0005: per-office change stamps, so a conversation step learns whether the office's units, plans or answers
-- changed with one index lookup instead of aggregating their rows (storage/pg_step.py).
--
-- Every statement that writes units, measures or reports (INSERT, UPDATE, DELETE, COPY, TRUNCATE) gives the
-- stamp of each (office, kind, fiscal year) it touched a new version, in the same transaction, from one
-- sequence: a version is never given twice, so an equal version means no change was committed in between.
-- Statement-level triggers with transition tables: a COPY of a thousand offices bumps each office once.
-- A missing stamp reads as version 0, and the next write of its rows makes a new one: deleting stamps costs readers
-- one re-read. Restarting the sequence would not be safe (a version given again): after restoring a backup over a
-- live database, restart the workers, as their caches hold versions of the database they read before.

CREATE SEQUENCE org_stamp_versions;

CREATE TABLE org_stamps (
    org_id      text    NOT NULL,
    kind        text    NOT NULL CHECK (kind IN ('u', 'm', 'r')),  -- units, measures (plans), reports (answers)
    fiscal_year integer NOT NULL,                                   -- 0 for units
    version     bigint  NOT NULL,
    rewritten   bigint  NOT NULL DEFAULT 0,  -- the version of the last UPDATE, DELETE or TRUNCATE (0: only INSERTs)
    PRIMARY KEY (org_id, kind, fiscal_year)
);

-- TG_ARGV[0]: the kind ('u' has no fiscal_year column). Three triggers per table (transition tables allow one event
-- each). Each distinct (office, year) written gets a new version, and `rewritten` too when rows were changed or
-- removed (not only added: readers that append what is new then read everything again). The stamps are locked in
-- key order, so bulk writers of many offices cannot deadlock each other. PL/pgSQL keeps the statements planned.
CREATE FUNCTION org_stamps_bump() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    _kind    text := TG_ARGV[0];
    _rewrite boolean := TG_OP <> 'INSERT';
    _orgs    text[];
    _years   integer[];
    _o2      text[];
    _y2      integer[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE org_stamps SET version = nextval('org_stamp_versions') WHERE kind = _kind;
        UPDATE org_stamps SET rewritten = version WHERE kind = _kind;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' AND _kind <> 'u' THEN  -- a report saved: one statement
        INSERT INTO org_stamps AS s (org_id, kind, fiscal_year, version)
        SELECT d.org_id, _kind, d.fiscal_year, nextval('org_stamp_versions')
        FROM (SELECT DISTINCT org_id, fiscal_year FROM new_rows ORDER BY org_id, fiscal_year) AS d
        ON CONFLICT (org_id, kind, fiscal_year) DO UPDATE SET version = EXCLUDED.version;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        IF _kind = 'u' THEN
            SELECT array_agg(DISTINCT org_id) INTO _orgs FROM new_rows;
        ELSE
            SELECT array_agg(org_id), array_agg(fiscal_year) INTO _orgs, _years
            FROM (SELECT DISTINCT org_id, fiscal_year FROM new_rows) AS d;
        END IF;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        IF _kind = 'u' THEN
            SELECT array_agg(DISTINCT org_id) INTO _o2 FROM old_rows;
        ELSE
            SELECT array_agg(org_id), array_agg(fiscal_year) INTO _o2, _y2
            FROM (SELECT DISTINCT org_id, fiscal_year FROM old_rows) AS d;
        END IF;
        _orgs := coalesce(_orgs, '{}') || coalesce(_o2, '{}');
        _years := coalesce(_years, '{}') || coalesce(_y2, '{}');
    END IF;
    IF coalesce(cardinality(_orgs), 0) = 0 THEN
        RETURN NULL;
    END IF;
    IF _kind = 'u' THEN
        _years := array_fill(0, ARRAY[cardinality(_orgs)]);
    END IF;
    INSERT INTO org_stamps AS s (org_id, kind, fiscal_year, version, rewritten)
    SELECT k.o, _kind, k.y, k.v, CASE WHEN _rewrite THEN k.v ELSE 0 END
    FROM (SELECT d.o, d.y, nextval('org_stamp_versions') AS v
          FROM (SELECT DISTINCT o, y FROM unnest(_orgs, _years) AS t(o, y) ORDER BY o, y) AS d) AS k
    ON CONFLICT (org_id, kind, fiscal_year)
    DO UPDATE SET version = EXCLUDED.version, rewritten = CASE WHEN _rewrite THEN EXCLUDED.version ELSE s.rewritten END;
    RETURN NULL;
END
$$;

CREATE TRIGGER units_stamp_ins AFTER INSERT ON units REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION org_stamps_bump('u');
CREATE TRIGGER units_stamp_upd AFTER UPDATE ON units REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION org_stamps_bump('u');
CREATE TRIGGER units_stamp_del AFTER DELETE ON units REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION org_stamps_bump('u');
CREATE TRIGGER units_stamp_trunc AFTER TRUNCATE ON units FOR EACH STATEMENT EXECUTE FUNCTION org_stamps_bump('u');

CREATE TRIGGER measures_stamp_ins AFTER INSERT ON measures REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION org_stamps_bump('m');
CREATE TRIGGER measures_stamp_upd AFTER UPDATE ON measures REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION org_stamps_bump('m');
CREATE TRIGGER measures_stamp_del AFTER DELETE ON measures REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION org_stamps_bump('m');
CREATE TRIGGER measures_stamp_trunc AFTER TRUNCATE ON measures FOR EACH STATEMENT EXECUTE FUNCTION org_stamps_bump('m');

CREATE TRIGGER reports_stamp_ins AFTER INSERT ON reports REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION org_stamps_bump('r');
CREATE TRIGGER reports_stamp_upd AFTER UPDATE ON reports REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION org_stamps_bump('r');
CREATE TRIGGER reports_stamp_del AFTER DELETE ON reports REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION org_stamps_bump('r');
CREATE TRIGGER reports_stamp_trunc AFTER TRUNCATE ON reports FOR EACH STATEMENT EXECUTE FUNCTION org_stamps_bump('r');

-- the data already there gets its stamps (the triggers above already hold the tables against writers until commit)
INSERT INTO org_stamps (org_id, kind, fiscal_year, version)
SELECT org_id, kind, fiscal_year, nextval('org_stamp_versions') FROM (
    SELECT DISTINCT org_id, 'u' AS kind, 0 AS fiscal_year FROM units
    UNION SELECT DISTINCT org_id, 'm', fiscal_year FROM measures
    UNION SELECT DISTINCT org_id, 'r', fiscal_year FROM reports
) AS existing;
