-- Experiments on recommendations (`[[commerce.experiments]]`): who was shown
-- which product in which variant (the first time only), and what followed a
-- showing: a click, an add to cart, an order of that product (once each, so
-- a retried request never counts twice).
CREATE TABLE experiment_exposures (
    experiment  TEXT NOT NULL,
    variant     TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (experiment, customer_id, product_id)
);
CREATE INDEX experiment_exposures_by_customer ON experiment_exposures(customer_id, product_id);

CREATE TABLE experiment_outcomes (
    experiment  TEXT NOT NULL,
    variant     TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    product_id  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('click', 'add_to_cart', 'order')),
    at          TEXT NOT NULL,
    PRIMARY KEY (experiment, customer_id, product_id, kind)
);
