-- Emerging-issue detection, PostgreSQL part (see 0008_trends.sql).

-- Hourly counts per term and board: distinct askers (what the detector
-- compares) and posts. term_id 0 counts every question of the board, the
-- volume each term's share is measured against. hour is Unix seconds / 3600.
-- claimed counts the askers whose questions were grouped into an issue:
-- baselines leave them out, so that one burst neither inflates the volume
-- (which would make every other term look rarer than it is) nor its own
-- terms' rates. The recent windows themselves are counted from trend_docs.
CREATE TABLE trend_counts (
    scope INTEGER NOT NULL,
    board_id BIGINT NOT NULL,
    term_id BIGINT NOT NULL,
    hour BIGINT NOT NULL,
    askers INTEGER NOT NULL,
    posts INTEGER NOT NULL,
    claimed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, board_id, term_id, hour)
);
CREATE INDEX trend_counts_hour ON trend_counts (scope, hour);


-- The same counts by day (Unix days), which is what baselines read: a
-- week of a common word is 7 rows, not 168. Ingest and claims write both.
-- The counts ride in the key's index: a baseline is an index-only scan.
CREATE TABLE trend_daily (
    scope INTEGER NOT NULL,
    board_id BIGINT NOT NULL,
    term_id BIGINT NOT NULL,
    day BIGINT NOT NULL,
    askers INTEGER NOT NULL,
    posts INTEGER NOT NULL,
    claimed INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, board_id, term_id, day) INCLUDE (askers, claimed)
);
CREATE INDEX trend_daily_day ON trend_daily (scope, day);
