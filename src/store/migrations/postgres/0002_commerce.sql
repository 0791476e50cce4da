-- The commerce engine: payments, stock, drivers, lifecycle bookkeeping, ride quotes.

-- Units sold since the catalog was loaded; available = catalog stock - sold.
CREATE TABLE stock_sold (
    product_id TEXT PRIMARY KEY,
    sold       BIGINT NOT NULL CHECK (sold >= 0)
);

-- One row per payment attempt that reached the provider.
CREATE TABLE payments (
    id           TEXT PRIMARY KEY,
    checkout_id  TEXT NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency     TEXT NOT NULL,
    card_last4   TEXT NOT NULL,
    status       TEXT NOT NULL,
    provider_ref TEXT,
    created_at   TEXT NOT NULL
);

CREATE TABLE drivers (
    id       TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    vehicle  TEXT NOT NULL,
    lat      DOUBLE PRECISION NOT NULL,
    lon      DOUBLE PRECISION NOT NULL,
    -- 'order:<id>' or 'ride:<id>' while busy
    busy_with TEXT
);

ALTER TABLE orders ADD COLUMN lat DOUBLE PRECISION;
ALTER TABLE orders ADD COLUMN lon DOUBLE PRECISION;
-- The simulator's planned hold-up for this order ('restaurant_not_accepting',
-- 'no_driver', 'driver_not_moving'), cleared by the action that resolves it.
ALTER TABLE orders ADD COLUMN stuck TEXT;
ALTER TABLE orders ADD COLUMN reblasts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN breakup TEXT; -- JSON: this merchant's part of the checkout

CREATE TABLE ride_quotes (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL REFERENCES customers(id),
    quote       TEXT NOT NULL, -- JSON
    expires_at  TEXT NOT NULL
);

ALTER TABLE rides ADD COLUMN driver_id TEXT;
ALTER TABLE rides ADD COLUMN eta_minutes BIGINT;
