-- 0003: reserved for a migration of another branch in flight (issue 16) so 0004_review applies in order.
-- When that branch's 0003 lands, delete this file (the numbering must stay without gaps or duplicates).
SELECT 1;
