-- Alerts for product teams: a subscription of a product team member to the
-- new emerging issues of one board (board_id 0: every board they may
-- read), by email and/or by a webhook signed with its own secret.
CREATE TABLE alert_subscriptions (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    board_id BIGINT NOT NULL DEFAULT 0,
    email BOOLEAN NOT NULL DEFAULT FALSE,
    webhook_url VARCHAR(500) NOT NULL DEFAULT '',
    webhook_secret VARCHAR(100) NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX alert_subscriptions_user_board ON alert_subscriptions (user_id, board_id);
CREATE INDEX alert_subscriptions_board ON alert_subscriptions (board_id);

-- When the subscribers of a new issue were queued their alerts: set once,
-- in the transaction that queues them, so a redelivered alert job queues
-- nothing twice.
ALTER TABLE emerging_issues ADD COLUMN alerted_at {{ts}};
