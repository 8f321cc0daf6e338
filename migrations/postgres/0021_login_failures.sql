-- Failed log-ins (issue 17): per account (`account:<email>`) and per client address
-- (`address:<ip>`), counted from the first failure of a window; a key at its limit is
-- refused (429, Retry-After) until the window has passed. Kept in the database, so every
-- instance counts the same tries. Not a read model: nothing replays it.
CREATE TABLE login_failures
(
    key      text PRIMARY KEY,
    failures bigint NOT NULL,
    since    text   NOT NULL
);
