-- 0006: a chat's arrivals counter, so a worker never lets a chat go while an event it could not see waits.
--
-- Storing an event bumps its chat's counter (a row lock held until the event is committed). A done mark lets the
-- chat go only if the counter is still the one its statement read: one that waited for that lock and found the
-- counter moved keeps the chat and looks at its events again (storage/pg_inbox.py), so no event is left for the
-- next sweep however the two statements interleave.

ALTER TABLE inbox_chats ADD COLUMN arrivals bigint NOT NULL DEFAULT 0;
