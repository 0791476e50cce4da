-- Background work that must run on one replica at a time (the lifecycle
-- simulator): who holds it and until when. A holder renews its lease on
-- every step; another replica takes it over only once it has lapsed.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
