-- Product options: a cart or order line is a product *with its options*, so
-- two lattes with different milk are two lines. `options` holds the
-- canonical selection (`size=large;milk=oat`, every group filled in, see
-- knowledge::options), '' for a product without options.

CREATE TABLE cart_items_new (
    cart_id    TEXT NOT NULL REFERENCES carts(id) ON DELETE CASCADE,
    product_id TEXT NOT NULL,
    options    TEXT NOT NULL DEFAULT '',
    quantity   INTEGER NOT NULL CHECK (quantity > 0),
    added_at   TEXT NOT NULL,
    PRIMARY KEY (cart_id, product_id, options)
);
INSERT INTO cart_items_new (cart_id, product_id, quantity, added_at)
    SELECT cart_id, product_id, quantity, added_at FROM cart_items ORDER BY added_at, rowid;
DROP TABLE cart_items;
ALTER TABLE cart_items_new RENAME TO cart_items;

CREATE TABLE order_items_new (
    order_id         TEXT NOT NULL REFERENCES orders(id),
    product_id       TEXT NOT NULL,
    options          TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL,
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (order_id, product_id, options)
);
INSERT INTO order_items_new (order_id, product_id, title, quantity, unit_price_minor)
    SELECT order_id, product_id, title, quantity, unit_price_minor FROM order_items ORDER BY rowid;
DROP TABLE order_items;
ALTER TABLE order_items_new RENAME TO order_items;
