-- Emerging-issue detection: the trends:detect job tokenises the questions
-- that arrived since its last run, counts terms per board and hour, compares
-- the recent window with each term's own baseline and groups the questions
-- behind a burst into one emerging issue.
--
-- scope separates the live detector (0) from replays: `crowdcare trends
-- backtest` runs the same code under another scope inside one transaction
-- that it rolls back, so committed rows always have scope 0 and a replay
-- never sees or disturbs the live state.

-- The language a question is written in, when known ('' otherwise): imports
-- carry it; the product dashboard lists an issue's languages.
ALTER TABLE questions ADD COLUMN lang VARCHAR(16) NOT NULL DEFAULT '';

-- The term dictionary: counts and documents refer to terms by number.
CREATE TABLE trend_terms (
    id {{pk}},
    term VARCHAR(100) NOT NULL
);
CREATE UNIQUE INDEX trend_terms_term ON trend_terms (term);

-- The watermark: the (created_at, id) of the last question the detector
-- processed, so each run reads only what is new. The batch and its
-- watermark commit together, so a redelivered task processes nothing twice.
CREATE TABLE trend_state (
    scope INTEGER PRIMARY KEY,
    last_created_at {{ts}},
    last_question_id BIGINT NOT NULL DEFAULT 0,
    updated_at {{ts}} NOT NULL
);
INSERT INTO trend_state (scope, last_question_id, updated_at) VALUES (0, 0, CURRENT_TIMESTAMP);

-- One row per processed question of the recent past (pruned after a few
-- days): what the detector needs to group questions and to count each asker
-- once per term and hour. terms holds the question's distinct term ids,
-- space-separated.
CREATE TABLE trend_docs (
    scope INTEGER NOT NULL,
    question_id BIGINT NOT NULL REFERENCES questions(id),
    board_id BIGINT NOT NULL,
    author_id BIGINT NOT NULL,
    hour BIGINT NOT NULL,
    created_at {{ts}} NOT NULL,
    terms TEXT NOT NULL,
    PRIMARY KEY (scope, question_id)
);
-- The recent window of one board, in time order.
CREATE INDEX trend_docs_window ON trend_docs (scope, board_id, created_at);
-- Has this asker already been counted in this hour? (distinct askers)
CREATE INDEX trend_docs_author ON trend_docs (scope, author_id, hour);
-- Pruning.
CREATE INDEX trend_docs_created ON trend_docs (scope, created_at);

-- trend_counts and trend_daily (counts per term, board and hour or day) are
-- in the dialect files: on SQLite they are clustered by their keys and on
-- PostgreSQL the daily counts ride in the key's index, so a baseline is one
-- range read.

-- Emerging issues. status: new, acknowledged, investigating, fixed or
-- dismissed. An issue keeps claiming the questions that match it while it
-- is active (a question within the quiet period), whatever its status, so a
-- dismissed issue does not come back as a new one for the same burst.
CREATE TABLE emerging_issues (
    id {{pk}},
    scope INTEGER NOT NULL DEFAULT 0,
    board_id BIGINT NOT NULL REFERENCES boards(id),
    status VARCHAR(15) NOT NULL DEFAULT 'new',
    title VARCHAR(200) NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    question_count INTEGER NOT NULL DEFAULT 0,
    asker_count INTEGER NOT NULL DEFAULT 0,
    first_question_at {{ts}} NOT NULL,
    last_question_at {{ts}} NOT NULL,
    detected_at {{ts}} NOT NULL,
    -- The days [baseline_from, baseline_to) (Unix days) that each term's
    -- background rate is measured on: before the burst, so its own
    -- questions never raise its baseline.
    baseline_from BIGINT NOT NULL,
    baseline_to BIGINT NOT NULL,
    notes TEXT NOT NULL DEFAULT '',
    external_url VARCHAR(500) NOT NULL DEFAULT '',
    status_changed_by BIGINT REFERENCES users(id),
    status_changed_at {{ts}},
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
-- The active issues of a board (the detector) and the dashboard's lists.
CREATE INDEX emerging_issues_active ON emerging_issues (scope, board_id, last_question_at);
CREATE INDEX emerging_issues_recent ON emerging_issues (scope, last_question_at);
CREATE INDEX emerging_issues_status ON emerging_issues (scope, status, last_question_at);

-- The questions grouped into an issue; a question belongs to at most one
-- issue per scope. created_at and author_id are the question's, for the
-- trend chart and the count of distinct askers.
CREATE TABLE emerging_issue_questions (
    issue_id BIGINT NOT NULL REFERENCES emerging_issues(id),
    question_id BIGINT NOT NULL REFERENCES questions(id),
    scope INTEGER NOT NULL,
    author_id BIGINT NOT NULL,
    created_at {{ts}} NOT NULL,
    linked_at {{ts}} NOT NULL,
    PRIMARY KEY (issue_id, question_id)
);
CREATE UNIQUE INDEX emerging_issue_questions_question ON emerging_issue_questions (scope, question_id);
CREATE INDEX emerging_issue_questions_time ON emerging_issue_questions (issue_id, created_at);

-- The terms of an issue's questions: in how many of them each occurs, and
-- its background rate on the board before the burst. The detector matches
-- new questions against these; the dashboard shows the strongest.
CREATE TABLE emerging_issue_terms (
    issue_id BIGINT NOT NULL REFERENCES emerging_issues(id),
    term_id BIGINT NOT NULL REFERENCES trend_terms(id),
    docs INTEGER NOT NULL,
    background DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (issue_id, term_id)
);
