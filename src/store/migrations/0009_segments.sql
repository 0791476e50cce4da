-- Behavioural customer segments (`errand segments`): each run's choice of k,
-- its silhouette and named segments, and every customer's segment in the
-- latest run.
CREATE TABLE segment_runs (
    id          INTEGER PRIMARY KEY,
    computed_at TEXT NOT NULL,
    k           INTEGER NOT NULL,
    silhouette  REAL NOT NULL,
    tried       TEXT NOT NULL, -- JSON: [[k, silhouette], ...]
    segments    TEXT NOT NULL  -- JSON: the segments, their names, sizes and centroids
);

CREATE TABLE customer_segments (
    customer_id TEXT PRIMARY KEY REFERENCES customers(id),
    run_id      INTEGER NOT NULL REFERENCES segment_runs(id),
    segment     INTEGER NOT NULL
);
