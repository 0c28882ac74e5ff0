-- Core forum schema: users and sessions, boards, questions and their posts,
-- revisions, tags, and the outbox that feeds background jobs.
-- {{...}} placeholders are replaced per dialect by models.Migrate.

CREATE TABLE users (
    id {{pk}},
    handle VARCHAR(40) NOT NULL,
    display_name VARCHAR(80) NOT NULL,
    email VARCHAR(254) NOT NULL DEFAULT '',
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    avatar_url VARCHAR(500) NOT NULL DEFAULT '',
    locale VARCHAR(10) NOT NULL DEFAULT '',
    time_zone VARCHAR(64) NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX users_handle_lower ON users (LOWER(handle));

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role VARCHAR(20) NOT NULL,
    created_at {{ts}} NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
    token_hash VARCHAR(64) PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at {{ts}} NOT NULL,
    expires_at {{ts}} NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE boards (
    id {{pk}},
    slug VARCHAR(60) NOT NULL UNIQUE,
    name VARCHAR(80) NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    visibility VARCHAR(10) NOT NULL DEFAULT 'public',
    position INTEGER NOT NULL DEFAULT 0,
    question_count INTEGER NOT NULL DEFAULT 0,
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);

CREATE TABLE questions (
    id {{pk}},
    board_id BIGINT NOT NULL REFERENCES boards(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    title VARCHAR(200) NOT NULL,
    accepted_answer_id BIGINT,
    answer_count INTEGER NOT NULL DEFAULT 0,
    external_id VARCHAR(100),
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL,
    last_activity_at {{ts}} NOT NULL,
    deleted_at {{ts}}
);
-- Keyset pagination indexes: every list orders by (time, id).
CREATE INDEX questions_latest ON questions (created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX questions_board_latest ON questions (board_id, created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX questions_unanswered ON questions (created_at, id) WHERE deleted_at IS NULL AND answer_count = 0;
CREATE INDEX questions_solved ON questions (created_at DESC, id DESC) WHERE deleted_at IS NULL AND accepted_answer_id IS NOT NULL;
CREATE INDEX questions_author_id ON questions (author_id);
CREATE UNIQUE INDEX questions_external_id ON questions (external_id);

-- posts holds the question body (kind 'question') and every answer (kind 'answer').
CREATE TABLE posts (
    id {{pk}},
    question_id BIGINT NOT NULL REFERENCES questions(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    kind VARCHAR(10) NOT NULL,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    revision_count INTEGER NOT NULL DEFAULT 0,
    external_id VARCHAR(100),
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL,
    edited_at {{ts}},
    deleted_at {{ts}}
);
CREATE INDEX posts_question_id ON posts (question_id, created_at, id);
CREATE INDEX posts_author_id ON posts (author_id, created_at);
CREATE UNIQUE INDEX posts_external_id ON posts (external_id);

CREATE TABLE post_revisions (
    id {{pk}},
    post_id BIGINT NOT NULL REFERENCES posts(id),
    editor_id BIGINT NOT NULL REFERENCES users(id),
    title VARCHAR(200) NOT NULL DEFAULT '',
    body_md TEXT NOT NULL,
    created_at {{ts}} NOT NULL
);
CREATE INDEX post_revisions_post_id ON post_revisions (post_id, id);

CREATE TABLE tags (
    id {{pk}},
    name VARCHAR(40) NOT NULL UNIQUE,
    question_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE question_tags (
    question_id BIGINT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags(id),
    created_at {{ts}} NOT NULL,
    PRIMARY KEY (question_id, tag_id)
);
CREATE INDEX question_tags_tag ON question_tags (tag_id, created_at DESC, question_id DESC);

-- Transactional outbox: rows are written in the same transaction as the change
-- that caused them and moved to the job queue by the relay.
CREATE TABLE outbox (
    id {{pk}},
    kind VARCHAR(60) NOT NULL,
    payload TEXT NOT NULL,
    created_at {{ts}} NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    sent_at {{ts}},
    done_at {{ts}}
);
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;
