-- Actions proposed for a ticket by assist mode; they run only when an agent approves.
CREATE TABLE ticket_actions (
    id          TEXT PRIMARY KEY,
    ticket_id   TEXT NOT NULL REFERENCES tickets(id),
    kind        TEXT NOT NULL CHECK (kind IN ('reblast', 'refund', 'cancel', 'escalate')),
    params      TEXT NOT NULL, -- JSON
    reason      TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'executing', 'executed', 'rejected', 'failed')),
    result      TEXT,          -- JSON
    decided_by  TEXT,
    decided_at  TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX ticket_actions_by_ticket ON ticket_actions(ticket_id, created_at);
