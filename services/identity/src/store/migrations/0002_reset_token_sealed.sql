-- Password resets: the token sealed (AES-256-GCM, purpose 'reset-tokens') so the notifications side can
-- obtain the link to send through identity — never through an event or a log. Null for other purposes.
ALTER TABLE one_time_tokens ADD COLUMN token_enc text;
