-- Moderation: reports of posts, the moderators' decisions on them, and the
-- question states those decisions leave (locked, merged into another).

-- One report per reporter per post (a second report is refused). status is
-- open until a moderator dismisses it or acts on the post; resolution then
-- names the action.
CREATE TABLE reports (
    id {{pk}},
    post_id BIGINT NOT NULL REFERENCES posts(id),
    reporter_id BIGINT NOT NULL REFERENCES users(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    reason VARCHAR(20) NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    status VARCHAR(10) NOT NULL DEFAULT 'open',
    resolution VARCHAR(20) NOT NULL DEFAULT '',
    resolved_by BIGINT REFERENCES users(id),
    resolved_at {{ts}},
    created_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX reports_post_reporter ON reports (post_id, reporter_id);
CREATE INDEX reports_open ON reports (id) WHERE status = 'open';
CREATE INDEX reports_author ON reports (author_id, id);

-- Every moderation decision: what, by whom, on which post/question/user,
-- why. The audit log gets an entry too; this table is what the author's
-- history on the queue reads (warnings, suspensions, bans, hidden posts).
CREATE TABLE moderation_actions (
    id {{pk}},
    action VARCHAR(20) NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users(id),
    target_user_id BIGINT REFERENCES users(id),
    post_id BIGINT REFERENCES posts(id),
    question_id BIGINT REFERENCES questions(id),
    reason TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL
);
CREATE INDEX moderation_actions_target ON moderation_actions (target_user_id, id);
CREATE INDEX moderation_actions_post ON moderation_actions (post_id, id);

-- A locked question takes no new answers and no edits but moderators'.
ALTER TABLE questions ADD COLUMN locked_at {{ts}};
-- A duplicate merged into another question points at it (and is deleted).
ALTER TABLE questions ADD COLUMN merged_into_id BIGINT REFERENCES questions(id);
