-- Feedback triage: each feedback keeps what triage made of it (class,
-- aspects, team, the cues that decided, and the rules' version, so a rule
-- change re-triages it), and the ticket a complaint opened or joined.
-- A rating is optional now: feedback said in the chat has only words.
-- Tickets carry the team they are routed to and who routed them.

CREATE TABLE feedback_new (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    order_id     TEXT REFERENCES orders(id),
    session_id   TEXT REFERENCES conversations(id),
    rating       BIGINT CHECK (rating BETWEEN 1 AND 5),
    text         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    class        TEXT,
    aspects      TEXT,  -- JSON array of aspect ids
    team         TEXT,
    because      TEXT,  -- JSON array of {cue, reads_as}
    triaged_with TEXT,
    ticket_id    TEXT REFERENCES tickets(id),
    seeded       BIGINT NOT NULL DEFAULT 0,
    CHECK (order_id IS NOT NULL OR session_id IS NOT NULL),
    CHECK (rating IS NOT NULL OR text != '')
);
INSERT INTO feedback_new (id, customer_id, order_id, session_id, rating, text, created_at, updated_at)
    SELECT id, customer_id, order_id, session_id, rating, text, created_at, updated_at FROM feedback;
DROP TABLE feedback;
ALTER TABLE feedback_new RENAME TO feedback;
CREATE UNIQUE INDEX feedback_per_order ON feedback(customer_id, order_id) WHERE order_id IS NOT NULL;
CREATE UNIQUE INDEX feedback_per_session ON feedback(customer_id, session_id)
    WHERE session_id IS NOT NULL AND order_id IS NULL;
CREATE INDEX feedback_by_time ON feedback(created_at);

ALTER TABLE tickets ADD COLUMN team TEXT;
ALTER TABLE tickets ADD COLUMN routed_by TEXT;
