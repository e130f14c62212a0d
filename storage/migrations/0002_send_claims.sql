-- 0002: several workers share the reminder send log. A worker claims a send by inserting it as
-- "sending" with a lease; another worker may take it over only once that lease has run out.
ALTER TABLE sends ADD COLUMN claimed_until timestamptz;
CREATE INDEX sends_open_claims ON sends (claimed_until) WHERE data->>'result' = 'sending';
