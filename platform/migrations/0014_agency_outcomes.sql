-- Agencies answer in more ways than "done" (tenants/agencies/outcomes.py): a dispatch keeps
-- the agency's final outcome and note. Only DONE resolves (status RESOLVED); every other
-- outcome makes the dispatch RETURNED and sends the report back to the operators' queue.
-- A returned dispatch is no longer live: the report may be sent to that agency again
-- (with the information it asked for, say).
-- Open311 servers that host several jurisdictions need a jurisdiction_id on every request.

ALTER TABLE agencies
    ADD COLUMN jurisdiction_id text CHECK (jurisdiction_id ~ '^[A-Za-z0-9._:/-]{1,100}$');

ALTER TABLE dispatches DROP CONSTRAINT dispatches_status_check;
ALTER TABLE dispatches
    ADD CONSTRAINT dispatches_status_check CHECK (status IN (
        'PENDING', 'DELIVERING', 'DELIVERED', 'AWAITING_LIAISON', 'ACCEPTED',
        'IN_PROGRESS', 'RESOLVED', 'RETURNED', 'DEAD')),
    ADD COLUMN outcome text CHECK (outcome IN (
        'DONE', 'DECLINED', 'DUPLICATE', 'NOT_THEIRS', 'NEEDS_INFO')),
    ADD COLUMN outcome_note text CHECK (length(outcome_note) <= 2000),
    ADD COLUMN answered_at timestamptz,
    -- DONE only on a RESOLVED dispatch, and a RETURNED one always says why. (Dispatches
    -- resolved before this migration keep a NULL outcome.)
    ADD CONSTRAINT dispatches_outcome_status CHECK (
        (outcome IS DISTINCT FROM 'DONE' OR status = 'RESOLVED')
        AND (status = 'RETURNED') = (outcome IS NOT NULL AND outcome <> 'DONE'));

DROP INDEX dispatches_live_once;
CREATE UNIQUE INDEX dispatches_live_once ON dispatches (tenant_id, report_id, agency_id)
    WHERE status NOT IN ('DEAD', 'RETURNED');
