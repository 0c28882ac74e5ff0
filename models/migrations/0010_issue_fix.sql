-- "Fixed": the product team's message to everyone behind an issue. Each
-- move into fixed starts a round (fix_round); the message is posted as an
-- official reply in every linked question by a job, fix_posted counting the
-- questions done in the current round (the page shows the progress).
ALTER TABLE emerging_issues ADD COLUMN fix_message TEXT NOT NULL DEFAULT '';
ALTER TABLE emerging_issues ADD COLUMN fix_round INTEGER NOT NULL DEFAULT 0;
ALTER TABLE emerging_issues ADD COLUMN fix_posted INTEGER NOT NULL DEFAULT 0;
