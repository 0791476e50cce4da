-- Ratings and free text from customers, about an order or a conversation:
-- one per order and one per conversation for each customer, so a retry or
-- an edit replaces the first instead of counting twice.

CREATE TABLE feedback (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    order_id    TEXT REFERENCES orders(id),
    session_id  TEXT REFERENCES conversations(id),
    rating      BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    CHECK (order_id IS NOT NULL OR session_id IS NOT NULL)
);
CREATE UNIQUE INDEX feedback_per_order ON feedback(customer_id, order_id) WHERE order_id IS NOT NULL;
CREATE UNIQUE INDEX feedback_per_session ON feedback(customer_id, session_id)
    WHERE session_id IS NOT NULL AND order_id IS NULL;
