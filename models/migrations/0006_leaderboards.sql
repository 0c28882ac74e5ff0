-- Leaderboards and anti-gaming.
--
-- leaderboard_scores is the aggregate every leaderboard reads: points per
-- (period, period start, board, audience, user), kept current by the
-- leaderboard:refresh job from the append-only ledger. period is 'week',
-- 'month' or 'all'; period_start is the Unix time (seconds, UTC) of the
-- period's first instant (a Monday, the 1st of a month, 0 for all time);
-- board_id 0 is the overall board; audience is 'member' or 'staff'
-- (employees). Week and month rows are kept for the current and the
-- previous period only.
CREATE TABLE leaderboard_scores (
    period VARCHAR(5) NOT NULL,
    period_start BIGINT NOT NULL,
    board_id BIGINT NOT NULL,
    audience VARCHAR(6) NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id),
    points BIGINT NOT NULL,
    PRIMARY KEY (period, period_start, board_id, audience, user_id)
);
-- The top N of any board is a range scan of this index, in order.
CREATE INDEX leaderboard_scores_top ON leaderboard_scores (period, period_start, board_id, audience, points DESC, user_id);

-- The refresh job's watermark: the last point_events.id it has counted.
CREATE TABLE leaderboard_state (
    id INTEGER PRIMARY KEY,
    last_event_id BIGINT NOT NULL,
    updated_at {{ts}} NOT NULL
);
INSERT INTO leaderboard_state (id, last_event_id, updated_at) VALUES (1, 0, CURRENT_TIMESTAMP);

-- Cases of suspected kudos gaming found by the nightly kudos:audit job.
-- kind is 'serial' (one giver, one receiver, many kudos), 'ring' (two users
-- giving each other kudos) or 'ring3' (three users in a circle; third_id).
CREATE TABLE kudos_cases (
    id {{pk}},
    kind VARCHAR(10) NOT NULL,
    giver_id BIGINT NOT NULL REFERENCES users(id),
    receiver_id BIGINT NOT NULL REFERENCES users(id),
    third_id BIGINT REFERENCES users(id),
    kudos_count INTEGER NOT NULL,
    points_reversed INTEGER NOT NULL,
    window_start {{ts}} NOT NULL,
    window_end {{ts}} NOT NULL,
    status VARCHAR(10) NOT NULL DEFAULT 'open',
    decided_by BIGINT REFERENCES users(id),
    decided_at {{ts}},
    created_at {{ts}} NOT NULL
);
CREATE INDEX kudos_cases_status ON kudos_cases (status, id);
CREATE INDEX kudos_cases_giver ON kudos_cases (giver_id);
CREATE INDEX kudos_cases_receiver ON kudos_cases (receiver_id);

-- Each kudos belongs to at most one case: re-running the audit over the
-- same window finds nothing new, so no second case and no second reversal.
CREATE TABLE kudos_case_items (
    kudos_id BIGINT PRIMARY KEY REFERENCES kudos(id),
    case_id BIGINT NOT NULL REFERENCES kudos_cases(id)
);
CREATE INDEX kudos_case_items_case ON kudos_case_items (case_id);

-- Thresholds of the audit, editable like the other settings.
INSERT INTO settings (name, value, updated_at) VALUES
    ('kudos.serial_max', '5', CURRENT_TIMESTAMP),
    ('kudos.ring_min', '3', CURRENT_TIMESTAMP),
    ('kudos.audit_window_hours', '24', CURRENT_TIMESTAMP);
