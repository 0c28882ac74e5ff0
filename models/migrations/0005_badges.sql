-- Badges: bronze/silver/gold achievements. Automatic badges follow a rule
-- over the user's answers; manual ones are granted by admins with a reason.
--
-- rule and threshold drive the automatic evaluation (models.EvaluateBadges):
--   first_answer      live answers to other people's questions >= threshold
--   first_solution    accepted answers >= threshold (1)
--   accepted_answers  accepted answers >= threshold
--   answer_kudos      one answer with kudos_count >= threshold; earned once
--                     per answer (award key post:<id>)
--   distinct_boards   answers in >= threshold different boards
--   distinct_days     answers on >= threshold different UTC days
--   fast_answer       the first answer to a question, within threshold
--                     minutes of the question
-- Manual badges have rule '' and threshold 0.
CREATE TABLE badges (
    id {{pk}},
    slug VARCHAR(60) NOT NULL UNIQUE,
    name VARCHAR(80) NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    tier VARCHAR(10) NOT NULL,
    kind VARCHAR(10) NOT NULL,
    rule VARCHAR(40) NOT NULL DEFAULT '',
    threshold INTEGER NOT NULL DEFAULT 0,
    created_at {{ts}} NOT NULL
);
INSERT INTO badges (slug, name, description, tier, kind, rule, threshold, created_at) VALUES
    ('first-answer', 'First answer', 'Answered someone else''s question for the first time.', 'bronze', 'auto', 'first_answer', 1, CURRENT_TIMESTAMP),
    ('first-solution', 'First solution', 'Wrote an answer that was accepted as the solution.', 'bronze', 'auto', 'first_solution', 1, CURRENT_TIMESTAMP),
    ('nice-answer', 'Nice answer', 'An answer received 10 kudos. Earned again for every such answer.', 'bronze', 'auto', 'answer_kudos', 10, CURRENT_TIMESTAMP),
    ('good-answer', 'Good answer', 'An answer received 25 kudos. Earned again for every such answer.', 'silver', 'auto', 'answer_kudos', 25, CURRENT_TIMESTAMP),
    ('great-answer', 'Great answer', 'An answer received 50 kudos. Earned again for every such answer.', 'gold', 'auto', 'answer_kudos', 50, CURRENT_TIMESTAMP),
    ('helper', 'Helper', '10 answers accepted as the solution.', 'bronze', 'auto', 'accepted_answers', 10, CURRENT_TIMESTAMP),
    ('problem-solver', 'Problem solver', '50 answers accepted as the solution.', 'silver', 'auto', 'accepted_answers', 50, CURRENT_TIMESTAMP),
    ('hero', 'Hero', '100 answers accepted as the solution.', 'gold', 'auto', 'accepted_answers', 100, CURRENT_TIMESTAMP),
    ('versatile', 'Versatile', 'Answered questions in 5 different boards.', 'silver', 'auto', 'distinct_boards', 5, CURRENT_TIMESTAMP),
    ('regular', 'Regular', 'Answered questions on 30 different days.', 'gold', 'auto', 'distinct_days', 30, CURRENT_TIMESTAMP),
    ('quick-draw', 'Quick draw', 'Gave the first answer to a question within an hour of it being asked.', 'bronze', 'auto', 'fast_answer', 60, CURRENT_TIMESTAMP),
    ('expert', 'Expert', 'Recognised by the community team as a volunteer expert.', 'gold', 'manual', '', 0, CURRENT_TIMESTAMP),
    ('employee', 'Employee', 'Works for the company and helps customers here.', 'silver', 'manual', '', 0, CURRENT_TIMESTAMP),
    ('summit-guest', 'Summit guest', 'Invited to the community summit for outstanding help.', 'gold', 'manual', '', 0, CURRENT_TIMESTAMP);

-- One row per award. award_key is 'once' for one-time badges, 'post:<id>'
-- for a badge earned per answer, 'manual' for a manual grant; the unique
-- key makes awarding twice a no-op, whoever races.
CREATE TABLE user_badges (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users(id),
    badge_id BIGINT NOT NULL REFERENCES badges(id),
    award_key VARCHAR(80) NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    granted_by BIGINT REFERENCES users(id),
    created_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX user_badges_award ON user_badges (user_id, badge_id, award_key);
CREATE INDEX user_badges_holders ON user_badges (badge_id, created_at, id);
-- A user's badges are found through user_badges_award (user_id leads it).

-- The nightly sweep finds the users active since its last run through
-- these, without scanning every answer or kudos.
CREATE INDEX posts_answers_created ON posts (created_at) WHERE kind = 'answer';
CREATE INDEX kudos_created ON kudos (created_at);
