-- Full-text search with FTS5. Lexemes come pre-tokenised from models.Tokenize
-- joined by spaces; the ascii tokenizer keeps every non-ASCII rune inside a
-- token, so Indic words are never split at combining marks.
CREATE VIRTUAL TABLE post_search USING fts5(tokens, tokenize = "ascii tokenchars '-._'");
