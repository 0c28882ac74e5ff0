-- Community health: saved replies for staff and moderators, and the
-- compliance archive exports admins start.

-- Replies an admin writes once for staff and moderators to insert into
-- the answer editor (Markdown, rendered when the answer is posted).
CREATE TABLE saved_replies (
    id {{pk}},
    title VARCHAR(120) NOT NULL,
    body_md TEXT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);

-- One archive export of a period [period_from, period_to): status is
-- queued, running, done or failed; rows_done of rows_total is its
-- progress; file_name is the zip under DATA_DIR/exports once done.
CREATE TABLE archive_exports (
    id {{pk}},
    requested_by BIGINT NOT NULL REFERENCES users(id),
    format VARCHAR(10) NOT NULL,
    period_from {{ts}} NOT NULL,
    period_to {{ts}} NOT NULL,
    status VARCHAR(10) NOT NULL,
    rows_total BIGINT NOT NULL DEFAULT 0,
    rows_done BIGINT NOT NULL DEFAULT 0,
    file_name VARCHAR(200) NOT NULL DEFAULT '',
    file_size BIGINT NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL,
    started_at {{ts}},
    finished_at {{ts}}
);

-- The archive reads posts and revisions of a period in (created_at, id)
-- keyset batches; audit_log_created already serves the audit log.
CREATE INDEX posts_created ON posts (created_at, id);
CREATE INDEX post_revisions_created ON post_revisions (created_at, id);

-- Community health finds each question's first answer and counts the
-- answers to a period's questions: an index-only scan per question with
-- this (live answers only) instead of a heap fetch per post.
CREATE INDEX posts_question_answers ON posts (question_id, created_at, id, author_id) WHERE kind = 'answer' AND deleted_at IS NULL;
