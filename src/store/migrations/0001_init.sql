-- Durable state. Money is INTEGER minor units; timestamps are RFC 3339 UTC text.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE customers (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    area      TEXT NOT NULL,
    diet      TEXT NOT NULL,
    language  TEXT NOT NULL,
    segment   TEXT NOT NULL,
    addresses TEXT NOT NULL -- JSON array
);

CREATE TABLE carts (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'checked_out')),
    coupon      TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX carts_one_open_per_customer ON carts(customer_id) WHERE status = 'open';

CREATE TABLE cart_items (
    cart_id    TEXT NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL,
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    added_at   TEXT NOT NULL,
    PRIMARY KEY (cart_id, product_id)
);

CREATE TABLE checkouts (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    cart_id      TEXT NOT NULL REFERENCES carts(id),
    total_minor  INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL,
    payment_ref  TEXT,
    breakup      TEXT NOT NULL, -- JSON
    created_at   TEXT NOT NULL
);

CREATE TABLE orders (
    id             TEXT PRIMARY KEY,
    checkout_id    TEXT REFERENCES checkouts(id),
    customer_id    TEXT NOT NULL REFERENCES customers(id),
    merchant_id    TEXT NOT NULL,
    address        TEXT NOT NULL,
    status         TEXT NOT NULL,
    total_minor    INTEGER NOT NULL CHECK (total_minor >= 0),
    refunded_minor INTEGER NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= total_minor),
    driver_id      TEXT,
    placed_at      TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    seeded         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX orders_by_customer ON orders(customer_id, placed_at DESC);

CREATE TABLE order_items (
    order_id         TEXT NOT NULL REFERENCES orders(id),
    product_id       TEXT NOT NULL,
    title            TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (order_id, product_id)
);

CREATE TABLE order_events (
    id       INTEGER PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders(id),
    state    TEXT NOT NULL,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    note     TEXT
);
CREATE INDEX order_events_by_order ON order_events(order_id, id);

CREATE TABLE refunds (
    id              TEXT PRIMARY KEY,
    order_id        TEXT NOT NULL REFERENCES orders(id),
    amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),
    reason          TEXT NOT NULL,
    actor           TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

CREATE TABLE rides (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers(id),
    quote_id     TEXT NOT NULL UNIQUE,
    origin       TEXT NOT NULL, -- JSON place
    destination  TEXT NOT NULL, -- JSON place
    ride_type    TEXT NOT NULL,
    fare_minor   INTEGER NOT NULL CHECK (fare_minor >= 0),
    status       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE TABLE ride_events (
    id      INTEGER PRIMARY KEY,
    ride_id TEXT NOT NULL REFERENCES rides(id),
    state   TEXT NOT NULL,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL
);

CREATE TABLE tickets (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    order_id    TEXT REFERENCES orders(id),
    subject     TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open',
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE conversations (
    id          TEXT PRIMARY KEY,
    customer_id TEXT REFERENCES customers(id),
    agent_id    TEXT,
    mode        TEXT NOT NULL CHECK (mode IN ('customer', 'assist')),
    ticket_id   TEXT REFERENCES tickets(id),
    state       TEXT NOT NULL DEFAULT '{}', -- JSON dialogue state
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id),
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    content         TEXT NOT NULL,
    payload         TEXT, -- JSON: tool calls, cards
    created_at      TEXT NOT NULL
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, id);

-- Responses to writes a client may retry (checkout, refund, booking), keyed per caller.
CREATE TABLE idempotency (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
