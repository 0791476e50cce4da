-- Agentic Commerce Protocol checkout sessions. A session drives the
-- customer's open cart (`cart_id`) and completes through the same pay-once
-- checkout; `shown_total_minor` is the total last returned to the agent,
-- the only total `complete` may charge.

CREATE TABLE checkout_sessions (
    id                TEXT PRIMARY KEY,
    customer_id       TEXT NOT NULL REFERENCES customers(id),
    cart_id           TEXT NOT NULL REFERENCES carts(id),
    status            TEXT NOT NULL CHECK (status IN ('open', 'completed', 'canceled')),
    shown_total_minor BIGINT,
    -- The checkout's result (JSON) once completed.
    result            TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX checkout_sessions_by_customer ON checkout_sessions(customer_id);
