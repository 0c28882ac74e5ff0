-- The expert program: tiers, experts and the boards they know, applications
-- and nominations, answer verification and official answers, routing of
-- unanswered questions to experts, in-app notifications, and time-limited
-- manual badges.

CREATE TABLE expert_tiers (
    id {{pk}},
    name VARCHAR(40) NOT NULL,
    position INTEGER NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX expert_tiers_name ON expert_tiers (LOWER(name));
INSERT INTO expert_tiers (name, position, description, created_at) VALUES
    ('Expert', 1, 'Volunteers whose answers the community trusts: they verify answers, read the experts-only boards and hear about products early.', CURRENT_TIMESTAMP),
    ('Champion', 2, 'Long-standing experts who help the most: everything an expert has, and an invitation to the yearly community summit.', CURRENT_TIMESTAMP);

-- One row per person who is or was in the program. status is active,
-- paused or removed; the expert role in user_roles is held exactly while
-- status is active.
CREATE TABLE experts (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    tier_id BIGINT NOT NULL REFERENCES expert_tiers(id),
    status VARCHAR(10) NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    since {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE INDEX experts_status ON experts (status, tier_id);

-- The boards an expert answers in: they verify answers there and see its
-- unanswered queue on their dashboard.
CREATE TABLE expert_boards (
    user_id BIGINT NOT NULL REFERENCES users(id),
    board_id BIGINT NOT NULL REFERENCES boards(id),
    PRIMARY KEY (user_id, board_id)
);
CREATE INDEX expert_boards_board ON expert_boards (board_id);

-- Applications (nominated_by NULL) and nominations by staff. status is
-- pending, approved, declined or withdrawn; at most one pending per person.
-- guidelines_accepted_at is when the person accepted the program's
-- guidelines: on applying, or later for a nomination; approval needs it.
CREATE TABLE expert_applications (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    nominated_by BIGINT REFERENCES users(id),
    statement TEXT NOT NULL,
    status VARCHAR(10) NOT NULL,
    tier_id BIGINT REFERENCES expert_tiers(id),
    decided_by BIGINT REFERENCES users(id),
    decision_note TEXT NOT NULL DEFAULT '',
    guidelines_accepted_at {{ts}},
    created_at {{ts}} NOT NULL,
    decided_at {{ts}}
);
CREATE UNIQUE INDEX expert_applications_pending ON expert_applications (user_id) WHERE status = 'pending';
CREATE INDEX expert_applications_queue ON expert_applications (status, created_at, id);
CREATE INDEX expert_applications_user ON expert_applications (user_id, created_at);

CREATE TABLE expert_application_boards (
    application_id BIGINT NOT NULL REFERENCES expert_applications(id),
    board_id BIGINT NOT NULL REFERENCES boards(id),
    PRIMARY KEY (application_id, board_id)
);

-- Verification by an expert of the board or an employee, distinct from the
-- asker's accepted answer; official answers speak for the company.
ALTER TABLE posts ADD COLUMN verified_by BIGINT REFERENCES users(id);
ALTER TABLE posts ADD COLUMN verified_at {{ts}};
ALTER TABLE posts ADD COLUMN official BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX posts_verified_by ON posts (verified_by) WHERE verified_by IS NOT NULL;

-- How soon a question on the board should get its first answer; a question
-- still unanswered after it is routed to experts. 0: no target.
ALTER TABLE boards ADD COLUMN first_response_minutes INTEGER NOT NULL DEFAULT 0;

-- A question offered to an expert. closed_at is set once the question is
-- answered (or the offer expired), which frees the expert for another.
CREATE TABLE question_routes (
    id {{pk}},
    question_id BIGINT NOT NULL REFERENCES questions(id),
    expert_id BIGINT NOT NULL REFERENCES users(id),
    score INTEGER NOT NULL,
    created_at {{ts}} NOT NULL,
    closed_at {{ts}},
    close_reason VARCHAR(10) NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX question_routes_pair ON question_routes (question_id, expert_id);
CREATE INDEX question_routes_open ON question_routes (expert_id, created_at) WHERE closed_at IS NULL;
CREATE INDEX question_routes_open_question ON question_routes (question_id) WHERE closed_at IS NULL;

-- In-app notifications. dedup_key makes each one idempotent (a retried job
-- notifies once). A notification about a question is shown only while the
-- reader may still see that question's board.
CREATE TABLE notifications (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind VARCHAR(40) NOT NULL,
    question_id BIGINT REFERENCES questions(id),
    actor_id BIGINT REFERENCES users(id),
    detail TEXT NOT NULL DEFAULT '',
    url VARCHAR(300) NOT NULL DEFAULT '',
    dedup_key VARCHAR(160) NOT NULL,
    created_at {{ts}} NOT NULL,
    read_at {{ts}}
);
CREATE UNIQUE INDEX notifications_dedup ON notifications (user_id, dedup_key);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- Time-limited recognition ("Summit guest 2027"): a manual badge may be
-- granted until a date, after which it is no longer shown.
ALTER TABLE user_badges ADD COLUMN expires_at {{ts}};

-- experts.apply_min_rank is the id of the lowest rank that may apply
-- (Helper by default); experts.route_* bound routing.
INSERT INTO settings (name, value, updated_at)
    SELECT 'experts.apply_min_rank', CAST(id AS VARCHAR(20)), CURRENT_TIMESTAMP FROM ranks WHERE name = 'Helper';
INSERT INTO settings (name, value, updated_at) VALUES
    ('experts.route_per_question', '3', CURRENT_TIMESTAMP),
    ('experts.route_max_open', '5', CURRENT_TIMESTAMP),
    ('experts.route_expire_hours', '48', CURRENT_TIMESTAMP),
    ('experts.guidelines_md', '', CURRENT_TIMESTAMP),
    ('experts.guidelines_html', '', CURRENT_TIMESTAMP);
