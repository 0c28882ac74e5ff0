-- Gamification core: the points ledger, its admin-editable rules, kudos and ranks.

-- Point rules: how many points each reason gives. daily_capped rules count
-- toward a user's daily cap; the others (accepted answers) never do.
CREATE TABLE point_rules (
    reason VARCHAR(40) PRIMARY KEY,
    points INTEGER NOT NULL,
    daily_capped BOOLEAN NOT NULL,
    updated_at {{ts}} NOT NULL
);
INSERT INTO point_rules (reason, points, daily_capped, updated_at) VALUES
    ('kudos_received', 10, TRUE, CURRENT_TIMESTAMP),
    ('answer_accepted', 15, FALSE, CURRENT_TIMESTAMP),
    ('accepted_an_answer', 2, FALSE, CURRENT_TIMESTAMP),
    ('answer_validated', 10, FALSE, CURRENT_TIMESTAMP),
    ('question_posted', 2, TRUE, CURRENT_TIMESTAMP),
    ('answer_posted', 2, TRUE, CURRENT_TIMESTAMP);

CREATE TABLE settings (
    name VARCHAR(60) PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at {{ts}} NOT NULL
);
INSERT INTO settings (name, value, updated_at) VALUES
    ('points.daily_cap', '200', CURRENT_TIMESTAMP),
    ('kudos.daily_limit', '50', CURRENT_TIMESTAMP),
    ('kudos.min_account_age_hours', '24', CURRENT_TIMESTAMP),
    ('kudos.min_points', '5', CURRENT_TIMESTAMP);

-- The ledger: every change of points is a row; nothing is ever updated or
-- deleted. award_key makes each award idempotent (a retried job or a double
-- click awards once); an undo is a compensating row with its own key.
CREATE TABLE point_events (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    points INTEGER NOT NULL,
    reason VARCHAR(40) NOT NULL,
    subject_type VARCHAR(20) NOT NULL DEFAULT '',
    subject_id BIGINT NOT NULL DEFAULT 0,
    board_id BIGINT,
    actor_id BIGINT REFERENCES users(id),
    award_key VARCHAR(160) NOT NULL,
    reverses_id BIGINT REFERENCES point_events(id),
    created_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX point_events_award_key ON point_events (award_key);
CREATE INDEX point_events_user ON point_events (user_id, created_at);
CREATE INDEX point_events_created ON point_events (created_at);
CREATE INDEX point_events_subject ON point_events (subject_type, subject_id);

-- Cached total of the ledger and the rank it reaches, updated in the same
-- transaction as every ledger row.
ALTER TABLE users ADD COLUMN points INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN rank_id BIGINT;

CREATE TABLE ranks (
    id {{pk}},
    name VARCHAR(40) NOT NULL,
    threshold INTEGER NOT NULL UNIQUE,
    perk_board_id BIGINT REFERENCES boards(id),
    created_at {{ts}} NOT NULL
);
INSERT INTO ranks (name, threshold, created_at) VALUES
    ('Newcomer', 0, CURRENT_TIMESTAMP),
    ('Contributor', 50, CURRENT_TIMESTAMP),
    ('Helper', 200, CURRENT_TIMESTAMP),
    ('Expert', 1000, CURRENT_TIMESTAMP),
    ('Guru', 5000, CURRENT_TIMESTAMP);

-- Kudos: one live kudos per giver per post. A withdrawn kudos keeps its row
-- (withdrawn_at) so its ledger rows stay explained; giving again adds a row.
-- counted is false when anti-gaming rules kept it from giving points.
CREATE TABLE kudos (
    id {{pk}},
    post_id BIGINT NOT NULL REFERENCES posts(id),
    giver_id BIGINT NOT NULL REFERENCES users(id),
    receiver_id BIGINT NOT NULL REFERENCES users(id),
    counted BOOLEAN NOT NULL,
    created_at {{ts}} NOT NULL,
    withdrawn_at {{ts}}
);
CREATE UNIQUE INDEX kudos_live ON kudos (post_id, giver_id) WHERE withdrawn_at IS NULL;
CREATE INDEX kudos_giver ON kudos (giver_id, created_at);
CREATE INDEX kudos_receiver ON kudos (receiver_id, created_at);

ALTER TABLE posts ADD COLUMN kudos_count INTEGER NOT NULL DEFAULT 0;
