-- Safety: private threads (visible to the asker and staff only) and posts
-- held for review (a new member's post with links, visible to its author
-- and moderators until approved).
ALTER TABLE questions ADD COLUMN private BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE questions ADD COLUMN held BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE posts ADD COLUMN held BOOLEAN NOT NULL DEFAULT FALSE;
-- The review queue reads only the few held posts, oldest first.
CREATE INDEX posts_held_queue ON posts (created_at, id) WHERE held;
