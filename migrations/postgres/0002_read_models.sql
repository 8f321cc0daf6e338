-- Read models: plain SQL tables fed by the projection runner from the global log.
-- Portable types only (the same file serves SQLite): ids as text UUIDs, times as RFC 3339 text.

-- The user directory (no secrets).
CREATE TABLE users
(
    id         text PRIMARY KEY,
    email      text    NOT NULL,
    full_name  text    NOT NULL,
    role       text    NOT NULL,
    blocked    boolean NOT NULL DEFAULT false,
    created_at text    NOT NULL
);
CREATE INDEX users_role ON users (role);

-- The manager's order table; also what clients and authors list, scoped by the query.
CREATE TABLE order_list
(
    id               text PRIMARY KEY,
    number           bigint  NOT NULL UNIQUE,
    status           text    NOT NULL,
    work_type        text    NOT NULL,
    subject          text    NOT NULL,
    topic            text    NOT NULL,
    topic_lc         text    NOT NULL,
    pages            bigint  NOT NULL,
    deadline         text    NOT NULL,
    requirements     text    NOT NULL,
    currency         text    NOT NULL,
    price            bigint,
    author_fee       bigint,
    first_half       bigint,
    second_half      bigint,
    paid             bigint  NOT NULL DEFAULT 0,
    client_id        text    NOT NULL,
    manager_id       text,
    offered_to       text,
    offer_expires_at text,
    author_id        text,
    author_name      text,
    problem          boolean NOT NULL DEFAULT false,
    draft_rejections bigint  NOT NULL DEFAULT 0,
    guarantee_until  text,
    rating           bigint,
    failure_reason   text,
    placed_at        text    NOT NULL,
    updated_at       text    NOT NULL
);
CREATE INDEX order_list_status ON order_list (status, number);
CREATE INDEX order_list_client ON order_list (client_id, number);
CREATE INDEX order_list_manager ON order_list (manager_id, number);
CREATE INDEX order_list_author ON order_list (author_id, number);
CREATE INDEX order_list_offered ON order_list (offered_to, number);
CREATE INDEX order_list_deadline ON order_list (deadline, number);

-- Every author an order was ever offered to (an author sees only those orders).
CREATE TABLE order_offers
(
    order_id   text NOT NULL,
    author_id  text NOT NULL,
    offered_at text NOT NULL,
    PRIMARY KEY (order_id, author_id)
);

CREATE TABLE order_files
(
    id           text PRIMARY KEY,
    order_id     text   NOT NULL,
    position     bigint NOT NULL,
    kind         text   NOT NULL,
    name         text   NOT NULL,
    size         bigint NOT NULL,
    content_type text   NOT NULL,
    sha256       text   NOT NULL,
    uploaded_at  text   NOT NULL,
    -- set when the manager approves it: only approved files reach the client
    approved     boolean NOT NULL DEFAULT false
);
CREATE INDEX order_files_order ON order_files (order_id, position);

-- The client's history of each order: every status change the client may see.
CREATE TABLE client_order_history
(
    order_id  text   NOT NULL,
    position  bigint NOT NULL,
    client_id text   NOT NULL,
    number    bigint NOT NULL,
    at        text   NOT NULL,
    event     text   NOT NULL,
    status    text   NOT NULL,
    note      text,
    PRIMARY KEY (order_id, position)
);
CREATE INDEX client_order_history_client ON client_order_history (client_id, at);
