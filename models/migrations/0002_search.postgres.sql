-- Full-text search. Lexemes are produced by models.Tokenize (Unicode-aware, the
-- same for every language) and stored with array_to_tsvector, so PostgreSQL's
-- own parser never splits Devanagari, Tamil or Telugu words at vowel signs.
ALTER TABLE posts ADD COLUMN search_vector tsvector;
CREATE INDEX posts_search ON posts USING GIN (search_vector);
