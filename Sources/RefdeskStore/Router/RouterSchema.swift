/// The router's database: configuration (queues, operators, gateways), conversations and their
/// history, the offline inbox, and the durable outbox towards the bridges.
///
/// Times are integers: milliseconds since the Unix epoch, as in the bridge protocol.
/// Configuration rows refer to queues and operators by name (renames cascade), so the rows read like
/// the admin API that fills them; history (`conversations`, `messages`) keeps plain names and no
/// foreign key to configuration, so deleting a queue never deletes a library's records.
public enum RouterSchema {
    /// Every router migration, oldest first; pass to `DatabaseExecutor.init`.
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "initial router schema", sql: version1),
        Migration(version: 2, name: "pending messages of open conversations as rows", sql: version2),
        Migration(version: 3, name: "lines to librarians kept until delivered; replies kept until reported", sql: version3),
        Migration(version: 4, name: "queue, user and gateway ids are never reused", sql: version4, rebuildsTables: true),
        Migration(version: 5, name: "lines to librarians carry media links and say when refdesk speaks", sql: version5),
        Migration(version: 6, name: "statistics of chats, kept up to date from the history", sql: version6),
    ]

    /// A patron's MMS picture travels with their message (the offline inbox, a waiting chat's pending lines) and
    /// reaches the librarian as an out-of-band link (XEP-0066) their client shows in place; refdesk's own lines (a
    /// hand-over waiting in a queue, answers and notices) are marked so no one takes them for the patron's words, and
    /// lines from a patron name them (XEP-0172: "SMS +1 555-123-4567") where clients show raw addresses. `media` holds the router's JSON list of links, empty when there are none.
    static let version5 = """
        ALTER TABLE librarian_outbox ADD COLUMN from_refdesk INTEGER NOT NULL DEFAULT 0 CHECK (from_refdesk IN (0, 1));
        ALTER TABLE librarian_outbox ADD COLUMN media_url TEXT;
        ALTER TABLE librarian_outbox ADD COLUMN nick TEXT;
        ALTER TABLE switchboard_pending ADD COLUMN media TEXT NOT NULL DEFAULT '';
        ALTER TABLE switchboard_pending ADD COLUMN from_refdesk INTEGER NOT NULL DEFAULT 0 CHECK (from_refdesk IN (0, 1));
        ALTER TABLE offline_inbox ADD COLUMN media TEXT NOT NULL DEFAULT '';
        """

    /// Lines to librarians are made durable in the same commit as the decision that sends them, and kept until
    /// their librarian has them: until a delivery receipt comes for clients that answer receipts (listed in
    /// `receipt_clients`), until written to the XMPP server for the others. A restart, or a lost link, sends
    /// what is left again under the same id. `librarian_replies` remembers who wrote each reply to a patron, so
    /// a failure the network reports later (minutes or hours on) reaches its writer; rows go after three days.
    static let version3 = """
        CREATE TABLE librarian_outbox (
            seq        INTEGER PRIMARY KEY,
            id         TEXT NOT NULL UNIQUE,
            recipient  TEXT NOT NULL,
            to_jid     TEXT NOT NULL,
            from_jid   TEXT NOT NULL,
            body       TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX librarian_outbox_by_recipient ON librarian_outbox(recipient, seq);

        CREATE TABLE receipt_clients (
            jid   TEXT PRIMARY KEY,
            since INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE librarian_replies (
            message_id      TEXT PRIMARY KEY,
            conversation_id INTEGER,
            gateway_id      INTEGER NOT NULL,
            patron          TEXT NOT NULL,
            operator        TEXT NOT NULL,
            body            TEXT NOT NULL,
            created_at      INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX librarian_replies_by_age ON librarian_replies(created_at);
        """

    /// SQLite gives a new row the highest id plus one, so deleting the newest gateway and adding another gave the
    /// new one the old id, and a retried `DELETE …/gateways/4` removed a different account. `AUTOINCREMENT` keeps
    /// the highest id ever used (in `sqlite_sequence`), so an id names one queue, user or gateway for good. The
    /// tables are rebuilt with their rows and ids (the copy sets the sequence to the highest id present; ids
    /// deleted above it before this migration cannot be known). Chat ids come from the router's own counter, which
    /// starts past the highest id in the history, and history rows are never deleted.
    static let version4 = """
        CREATE TABLE queues_v4 (
            id                INTEGER PRIMARY KEY AUTOINCREMENT,
            name              TEXT NOT NULL UNIQUE,
            routing_policy    TEXT NOT NULL CHECK (routing_policy IN ('ring-all', 'least-busy')),
            chat_limit        INTEGER NOT NULL CHECK (chat_limit >= 0),
            offline_reply     TEXT NOT NULL DEFAULT '',
            keeps_transcripts INTEGER NOT NULL DEFAULT 1 CHECK (keeps_transcripts IN (0, 1)),
            opening_hours     TEXT,
            time_zone         TEXT
        );
        INSERT INTO queues_v4 (id, name, routing_policy, chat_limit, offline_reply, keeps_transcripts, opening_hours, time_zone)
            SELECT id, name, routing_policy, chat_limit, offline_reply, keeps_transcripts, opening_hours, time_zone FROM queues;
        DROP TABLE queues;
        ALTER TABLE queues_v4 RENAME TO queues;

        CREATE TABLE operators_v4 (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            name          TEXT NOT NULL UNIQUE,
            role          TEXT NOT NULL CHECK (role IN ('admin', 'operator')),
            password_hash TEXT
        );
        INSERT INTO operators_v4 (id, name, role, password_hash) SELECT id, name, role, password_hash FROM operators;
        DROP TABLE operators;
        ALTER TABLE operators_v4 RENAME TO operators;

        CREATE TABLE gateways_v4 (
            id                  INTEGER PRIMARY KEY AUTOINCREMENT,
            protocol            TEXT NOT NULL,
            queue               TEXT NOT NULL REFERENCES queues(name) ON DELETE RESTRICT ON UPDATE CASCADE,
            username            TEXT NOT NULL,
            normalised_username TEXT NOT NULL,
            secret              TEXT NOT NULL DEFAULT '',
            created_at          INTEGER NOT NULL,
            UNIQUE (protocol, normalised_username)
        );
        INSERT INTO gateways_v4 (id, protocol, queue, username, normalised_username, secret, created_at)
            SELECT id, protocol, queue, username, normalised_username, secret, created_at FROM gateways;
        DROP TABLE gateways;
        ALTER TABLE gateways_v4 RENAME TO gateways;
        CREATE INDEX gateways_by_queue ON gateways(queue);
        """

    /// A conversation nobody has answered yet keeps every patron message for operators offered it later. Kept in
    /// its own rows, appended as they come, so a message to a long unanswered chat costs one insert instead of
    /// rewriting the whole list. A conversation saved before this table existed keeps its list inside its
    /// `switchboard_conversations` state until it next changes.
    static let version2 = """
        CREATE TABLE switchboard_pending (
            conversation INTEGER NOT NULL,
            position     INTEGER NOT NULL CHECK (position >= 0),
            body         TEXT NOT NULL,
            received_at  INTEGER NOT NULL,
            PRIMARY KEY (conversation, position)
        ) WITHOUT ROWID;
        """

    static let version1 = """
        CREATE TABLE queues (
            id                INTEGER PRIMARY KEY,
            name              TEXT NOT NULL UNIQUE,
            routing_policy    TEXT NOT NULL CHECK (routing_policy IN ('ring-all', 'least-busy')),
            chat_limit        INTEGER NOT NULL CHECK (chat_limit >= 0),
            offline_reply     TEXT NOT NULL DEFAULT '',
            keeps_transcripts INTEGER NOT NULL DEFAULT 1 CHECK (keeps_transcripts IN (0, 1)),
            opening_hours     TEXT,
            time_zone         TEXT
        );

        CREATE TABLE operators (
            id            INTEGER PRIMARY KEY,
            name          TEXT NOT NULL UNIQUE,
            role          TEXT NOT NULL CHECK (role IN ('admin', 'operator')),
            password_hash TEXT
        );

        CREATE TABLE staffing_jids (
            jid      TEXT PRIMARY KEY,
            operator TEXT NOT NULL REFERENCES operators(name) ON DELETE CASCADE ON UPDATE CASCADE
        );
        CREATE INDEX staffing_jids_by_operator ON staffing_jids(operator);

        CREATE TABLE assignments (
            operator TEXT NOT NULL REFERENCES operators(name) ON DELETE CASCADE ON UPDATE CASCADE,
            queue    TEXT NOT NULL REFERENCES queues(name) ON DELETE CASCADE ON UPDATE CASCADE,
            PRIMARY KEY (operator, queue)
        ) WITHOUT ROWID;
        CREATE INDEX assignments_by_queue ON assignments(queue);

        CREATE TABLE gateways (
            id                  INTEGER PRIMARY KEY,
            protocol            TEXT NOT NULL,
            queue               TEXT NOT NULL REFERENCES queues(name) ON DELETE RESTRICT ON UPDATE CASCADE,
            username            TEXT NOT NULL,
            normalised_username TEXT NOT NULL,
            secret              TEXT NOT NULL DEFAULT '',
            created_at          INTEGER NOT NULL,
            UNIQUE (protocol, normalised_username)
        );
        CREATE INDEX gateways_by_queue ON gateways(queue);

        CREATE TABLE patrons (
            id            INTEGER PRIMARY KEY,
            gateway_id    INTEGER NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
            address       TEXT NOT NULL,
            first_seen_at INTEGER NOT NULL,
            last_seen_at  INTEGER NOT NULL,
            UNIQUE (gateway_id, address)
        );

        CREATE TABLE conversations (
            id          INTEGER PRIMARY KEY,
            queue       TEXT NOT NULL,
            gateway_id  INTEGER REFERENCES gateways(id) ON DELETE SET NULL,
            patron      TEXT NOT NULL,
            state       TEXT NOT NULL CHECK (state IN ('new', 'ongoing', 'completed')),
            operator    TEXT,
            started_at  INTEGER NOT NULL,
            answered_at INTEGER,
            ended_at    INTEGER
        );
        CREATE INDEX conversations_open ON conversations(state) WHERE state <> 'completed';
        CREATE INDEX conversations_by_patron ON conversations(gateway_id, patron);
        CREATE INDEX conversations_by_queue ON conversations(queue, started_at);

        CREATE TABLE messages (
            id              INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            direction       TEXT NOT NULL CHECK (direction IN ('in', 'out', 'note')),
            sender          TEXT NOT NULL,
            body            TEXT NOT NULL,
            message_id      TEXT,
            at              INTEGER NOT NULL
        );
        CREATE INDEX messages_by_conversation ON messages(conversation_id, id);

        CREATE TABLE offline_inbox (
            id          INTEGER PRIMARY KEY,
            queue       TEXT NOT NULL REFERENCES queues(name) ON DELETE CASCADE ON UPDATE CASCADE,
            gateway_id  INTEGER NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
            patron      TEXT NOT NULL,
            body        TEXT NOT NULL,
            message_id  TEXT,
            sent_at     INTEGER,
            received_at INTEGER NOT NULL
        );
        CREATE INDEX offline_inbox_by_queue ON offline_inbox(queue, id);
        CREATE INDEX offline_inbox_by_gateway ON offline_inbox(gateway_id);

        CREATE TABLE auto_replies (
            queue      TEXT NOT NULL REFERENCES queues(name) ON DELETE CASCADE ON UPDATE CASCADE,
            gateway_id INTEGER NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
            patron     TEXT NOT NULL,
            spell      INTEGER NOT NULL,
            PRIMARY KEY (queue, gateway_id, patron, spell)
        ) WITHOUT ROWID;
        CREATE INDEX auto_replies_by_gateway ON auto_replies(gateway_id);

        CREATE TABLE seen_ids (
            id TEXT PRIMARY KEY,
            at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX seen_ids_by_age ON seen_ids(at);

        CREATE TABLE outbox (
            seq             INTEGER PRIMARY KEY AUTOINCREMENT,
            id              TEXT NOT NULL UNIQUE,
            protocol        TEXT NOT NULL,
            gateway_id      INTEGER NOT NULL REFERENCES gateways(id) ON DELETE CASCADE,
            recipient       TEXT NOT NULL,
            body            TEXT NOT NULL,
            conversation_id INTEGER REFERENCES conversations(id) ON DELETE SET NULL,
            created_at      INTEGER NOT NULL
        );
        CREATE INDEX outbox_by_protocol ON outbox(protocol, seq);
        CREATE INDEX outbox_by_gateway ON outbox(gateway_id);
        CREATE INDEX outbox_by_conversation ON outbox(conversation_id);

        CREATE TABLE delivery_reports (
            id         INTEGER PRIMARY KEY,
            message_id TEXT NOT NULL,
            status     TEXT NOT NULL,
            reason     TEXT,
            at         INTEGER NOT NULL
        );
        CREATE INDEX delivery_reports_by_message ON delivery_reports(message_id, id);

        CREATE TABLE subscriptions (
            local_jid   TEXT NOT NULL,
            contact_jid TEXT NOT NULL,
            state       TEXT NOT NULL CHECK (state IN ('none', 'to', 'from', 'both')),
            PRIMARY KEY (local_jid, contact_jid)
        ) WITHOUT ROWID;
        CREATE INDEX subscriptions_by_contact ON subscriptions(contact_jid);

        -- The router's in-memory rules state (open conversations with their offers, which patrons got the
        -- offline reply this spell, reported queue states, counters), saved with every change it makes.
        -- The offline inbox is kept in its own table because it can grow large.
        CREATE TABLE switchboard_state (
            id       INTEGER PRIMARY KEY CHECK (id = 1),
            snapshot BLOB NOT NULL
        );

        -- Each open conversation's rules state (offers, pending messages, recent lines), saved when it changes and
        -- deleted when it closes, so a commit costs what changed, not everything that is open.
        CREATE TABLE switchboard_conversations (
            id    INTEGER PRIMARY KEY,
            state BLOB NOT NULL
        );
        """
}
