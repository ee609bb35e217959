/// A bridge's spool: a small database that lets a bridge accept messages from the outside network
/// (and acknowledge them there) while the router is down, and hold the router's outbound messages until
/// the outside network took them.
///
/// Times are milliseconds since the Unix epoch.
public enum SpoolSchema {
    /// Every spool migration, oldest first; pass to `DatabaseExecutor.init`.
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "initial spool schema", sql: version1),
        Migration(version: 2, name: "opt-outs and sent parts", sql: version2),
        Migration(version: 3, name: "queued outbound by patron", sql: version3),
    ]

    static let version1 = """
        CREATE TABLE pending (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            id         TEXT NOT NULL UNIQUE,
            payload    BLOB NOT NULL,
            created_at INTEGER NOT NULL
        );

        CREATE TABLE forwarded_ids (
            id TEXT PRIMARY KEY,
            at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX forwarded_ids_by_age ON forwarded_ids(at);

        CREATE TABLE outbound (
            seq             INTEGER PRIMARY KEY AUTOINCREMENT,
            id              TEXT NOT NULL UNIQUE,
            gateway_id      INTEGER NOT NULL,
            recipient       TEXT NOT NULL,
            body            TEXT NOT NULL,
            state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            last_error      TEXT,
            created_at      INTEGER NOT NULL
        );
        CREATE INDEX outbound_due ON outbound(next_attempt_at, seq) WHERE state = 'queued';
        CREATE INDEX outbound_finished ON outbound(created_at) WHERE state <> 'queued';
        """

    /// Version 2, for the SMS bridge:
    /// - `opt_outs`: patrons who texted STOP to a gateway; nothing is sent to them from it until START.
    /// - `sent_parts`: the parts of an outbound message the outside network accepted, with the id it gave
    ///   each (Twilio's MessageSid), so a retry never resends an accepted part and a delivery report
    ///   quoting that id finds its message.
    static let version2 = """
        CREATE TABLE opt_outs (
            gateway_id INTEGER NOT NULL,
            patron     TEXT NOT NULL,
            at         INTEGER NOT NULL,
            PRIMARY KEY (gateway_id, patron)
        ) WITHOUT ROWID;

        CREATE TABLE sent_parts (
            network_id  TEXT PRIMARY KEY,
            outbound_id TEXT NOT NULL,
            part        INTEGER NOT NULL,
            delivered   INTEGER NOT NULL DEFAULT 0,
            at          INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX sent_parts_by_outbound ON sent_parts(outbound_id, part);
        """

    /// Version 3: each patron's queued outbound messages in order, so the sender can read just the oldest one of
    /// each patron (`nextOutboundPerPatron`). It used to read every queued message, after every sent message the
    /// spool still keeps (a day's), once per send: at a thousand replies a second, most of the SMS bridge's CPU.
    static let version3 = """
        CREATE INDEX outbound_queued_by_patron ON outbound(gateway_id, recipient, seq) WHERE state = 'queued';
        """
}
