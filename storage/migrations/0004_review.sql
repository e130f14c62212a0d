-- 0004: review decisions on answers and approvals of a round's document (issue 18).
-- Append-only like reports: every decision is a row, the newest one counts, the history stays.
CREATE TABLE reviews (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      text    NOT NULL,
    fiscal_year integer NOT NULL,
    round       integer NOT NULL,
    data        jsonb   NOT NULL
);
CREATE INDEX reviews_by_year ON reviews (org_id, fiscal_year, round, seq);

CREATE TABLE approvals (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      text    NOT NULL,
    fiscal_year integer NOT NULL,
    round       integer NOT NULL,
    data        jsonb   NOT NULL
);
CREATE INDEX approvals_by_year ON approvals (org_id, fiscal_year, round, seq);
