-- Refund policy is an invariant over the order, not the request.

-- What a cancellation kept under the cancellation rules; only an agent may
-- give it back.
ALTER TABLE orders ADD COLUMN kept_fee_minor BIGINT NOT NULL DEFAULT 0 CHECK (kept_fee_minor >= 0);

-- 'cancellation' (what a cancel pays back) or 'refund' (asked for); the
-- customer limits count only the refunds customers asked for themselves.
ALTER TABLE refunds ADD COLUMN kind TEXT NOT NULL DEFAULT 'refund';
UPDATE refunds SET kind = 'cancellation' WHERE reason LIKE 'cancellation:%';

-- Approving now claims, runs and records an action in one transaction. An
-- action left `executing` by an older version is proposed again: its run is
-- keyed by the action id, so approving it again replays, never repeats.
UPDATE ticket_actions SET status = 'proposed', decided_by = NULL, decided_at = NULL WHERE status = 'executing';
