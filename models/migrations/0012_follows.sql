-- Notifications for members: what they follow, how they want to hear about
-- it by email, the digests already sent and the askers already reminded.

-- A member follows a board, a tag or a question (target_type board, tag or
-- question). The asker and answerers follow their question automatically.
CREATE TABLE follows (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    target_type VARCHAR(10) NOT NULL,
    target_id BIGINT NOT NULL,
    created_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX follows_user_target ON follows (user_id, target_type, target_id);
CREATE INDEX follows_target ON follows (target_type, target_id);

-- How a member hears by email: event (a mail per notification), daily,
-- weekly (a digest at 08:00 in their time zone) or none. No row: event.
CREATE TABLE notification_prefs (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    email_mode VARCHAR(10) NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE INDEX notification_prefs_mode ON notification_prefs (email_mode, user_id);

-- When a notification's own mail was queued: set once, in the transaction
-- that queues it, so a redelivered job mails nothing twice.
ALTER TABLE notifications ADD COLUMN emailed_at {{ts}};

-- One row per digest period of a member (d:YYYY-MM-DD or w:YYYY-MM-DD, the
-- local date of the day or of the week's Monday): written with the digest
-- mail in one transaction, so a period is mailed exactly once.
CREATE TABLE notification_digests (
    user_id BIGINT NOT NULL REFERENCES users(id),
    period VARCHAR(20) NOT NULL,
    items INTEGER NOT NULL,
    sent_at {{ts}} NOT NULL,
    PRIMARY KEY (user_id, period)
);

-- Questions whose asker was reminded to accept an answer: once, ever.
CREATE TABLE asker_reminders (
    question_id BIGINT PRIMARY KEY REFERENCES questions(id),
    reminded_at {{ts}} NOT NULL
);
