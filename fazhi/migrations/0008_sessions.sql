-- Issue 14 (登录保持): logins kept server-side, named by an HttpOnly cookie that holds a random token.
-- Only the token's SHA-256 is stored. A row starts with the SHA-256 of a one-time ticket the login page hands
-- the browser; the browser trades the ticket for its cookie (POST /auth/session), which sets token_hash.
-- A session ends at logout, password reset, disabling the account, an administrator's 结束, or a restore
-- (ended_at, end_reason), after 8 hours without activity (last_seen_at) or at expires_at (absolute).
CREATE SEQUENCE session_ids START 1;
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY DEFAULT nextval('session_ids'),
    user_id INTEGER NOT NULL,
    token_hash VARCHAR,
    ticket_hash VARCHAR,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    address VARCHAR NOT NULL,
    user_agent VARCHAR NOT NULL,
    ended_at TIMESTAMP,
    end_reason VARCHAR
);
