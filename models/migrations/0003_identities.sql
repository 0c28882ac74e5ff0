-- Social sign-in: external identities linked to accounts, sign-ups waiting
-- for the person to confirm a handle, suspensions, and the audit log.

CREATE TABLE identities (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider VARCHAR(40) NOT NULL,
    provider_user_id VARCHAR(255) NOT NULL,
    email VARCHAR(254) NOT NULL DEFAULT '',
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    nickname VARCHAR(100) NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL,
    last_login_at {{ts}} NOT NULL
);
-- An external account is linked by (provider, provider user id), never by email.
CREATE UNIQUE INDEX identities_provider_uid ON identities (provider, provider_user_id);
CREATE INDEX identities_user_id ON identities (user_id);

-- A first sign-in waits here until the person confirms a handle and accepts
-- the guidelines; abandoned ones expire without creating an account.
CREATE TABLE pending_signups (
    token_hash VARCHAR(64) PRIMARY KEY,
    provider VARCHAR(40) NOT NULL,
    provider_user_id VARCHAR(255) NOT NULL,
    email VARCHAR(254) NOT NULL DEFAULT '',
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    nickname VARCHAR(100) NOT NULL DEFAULT '',
    display_name VARCHAR(100) NOT NULL DEFAULT '',
    avatar_url VARCHAR(500) NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL,
    expires_at {{ts}} NOT NULL
);
CREATE INDEX pending_signups_expires_at ON pending_signups (expires_at);

ALTER TABLE users ADD COLUMN guidelines_accepted_at {{ts}};
ALTER TABLE users ADD COLUMN suspended_until {{ts}};
ALTER TABLE users ADD COLUMN suspend_reason TEXT NOT NULL DEFAULT '';

CREATE TABLE audit_log (
    id {{pk}},
    actor_id BIGINT REFERENCES users(id),
    action VARCHAR(60) NOT NULL,
    target_user_id BIGINT REFERENCES users(id),
    detail TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at DESC, id DESC);
CREATE INDEX audit_log_target ON audit_log (target_user_id, created_at DESC);
CREATE INDEX audit_log_actor ON audit_log (actor_id);
