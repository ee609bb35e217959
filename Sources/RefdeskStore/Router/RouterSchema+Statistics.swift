extension RouterSchema {
    /// Statistics are computed from the history (`conversations`, `messages`, `delivery_reports`) into a table of
    /// their own, one row per chat (`chat_statistics`), and a sum of those rows per queue, channel, librarian and
    /// local hour (`chat_hours`), so that a year of a busy desk is answered from a few tens of thousands of rows.
    ///
    /// Nothing in the router's own write path changes for them: triggers note which chats changed
    /// (`statistics_dirty`) and the statistics indexer brings their rows up to date, in the queue's time zone, which
    /// SQL cannot know. Two facts the history did not keep are kept from now on, also by triggers: the transfers of a
    /// chat (`conversation_transfers`: its owner or queue changed while it was open) and which chat a failed reply
    /// belonged to (`delivery_reports.conversation_id`, from `librarian_replies` or the outbox while they still hold
    /// the reply). Every existing chat is marked for indexing. (The triggers test for a row before inserting it: an
    /// `OR IGNORE` inside a trigger would give way to the conflict rule of the statement that fired it, an upsert.)
    static let version6 = """
        CREATE TABLE statistics_dirty (
            conversation_id INTEGER PRIMARY KEY
        );

        CREATE TRIGGER statistics_conversation_inserted AFTER INSERT ON conversations BEGIN
            INSERT INTO statistics_dirty (conversation_id)
                SELECT NEW.id WHERE NOT EXISTS (SELECT 1 FROM statistics_dirty WHERE conversation_id = NEW.id);
        END;
        CREATE TRIGGER statistics_conversation_updated AFTER UPDATE ON conversations BEGIN
            INSERT INTO statistics_dirty (conversation_id)
                SELECT NEW.id WHERE NOT EXISTS (SELECT 1 FROM statistics_dirty WHERE conversation_id = NEW.id);
        END;
        CREATE TRIGGER statistics_message_added AFTER INSERT ON messages BEGIN
            INSERT INTO statistics_dirty (conversation_id)
                SELECT NEW.conversation_id WHERE NOT EXISTS (SELECT 1 FROM statistics_dirty WHERE conversation_id = NEW.conversation_id);
        END;

        CREATE TABLE conversation_transfers (
            id              INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL,
            from_queue      TEXT NOT NULL,
            from_operator   TEXT NOT NULL,
            to_queue        TEXT NOT NULL,
            to_operator     TEXT
        );
        CREATE INDEX conversation_transfers_by_conversation ON conversation_transfers(conversation_id);

        -- A transfer is the only way an open chat that has an owner gets another owner, or none in another queue.
        CREATE TRIGGER conversation_transferred AFTER UPDATE OF queue, operator ON conversations
            WHEN OLD.operator IS NOT NULL AND NEW.state <> 'completed'
                AND (NEW.operator IS NULL OR NEW.operator <> OLD.operator OR NEW.queue <> OLD.queue)
        BEGIN
            INSERT INTO conversation_transfers (conversation_id, from_queue, from_operator, to_queue, to_operator)
                VALUES (NEW.id, OLD.queue, OLD.operator, NEW.queue, NEW.operator);
        END;

        ALTER TABLE delivery_reports ADD COLUMN conversation_id INTEGER;
        CREATE INDEX delivery_reports_failed_by_conversation ON delivery_reports(conversation_id) WHERE status = 'failed';
        CREATE TRIGGER delivery_report_conversation AFTER INSERT ON delivery_reports WHEN NEW.conversation_id IS NULL BEGIN
            UPDATE delivery_reports SET conversation_id = coalesce(
                (SELECT conversation_id FROM librarian_replies WHERE message_id = NEW.message_id),
                (SELECT conversation_id FROM outbox WHERE id = NEW.message_id)
            ) WHERE id = NEW.id;
            INSERT INTO statistics_dirty (conversation_id)
                SELECT conversation_id FROM delivery_reports WHERE id = NEW.id AND conversation_id IS NOT NULL
                    AND conversation_id NOT IN (SELECT conversation_id FROM statistics_dirty);
        END;

        -- One row per chat, as the statistics count it. `local_hour` is hours since 1970-01-01T00:00 on the wall
        -- clock of the queue's time zone when the patron first wrote; `outcome` is 0 waiting, 1 answered, 2 missed
        -- while offline, 3 missed unanswered, 4 missed abandoned; `first_reply_ms` is the wait of a chat answered that
        -- did not arrive offline (what the percentiles take), `wait_ms` that of any answered chat.
        CREATE TABLE chat_statistics (
            conversation_id INTEGER PRIMARY KEY,
            queue           TEXT NOT NULL,
            protocol        TEXT NOT NULL,
            operator        TEXT NOT NULL,
            local_hour      INTEGER NOT NULL,
            outcome         INTEGER NOT NULL,
            arrived_offline INTEGER NOT NULL,
            transfers       INTEGER NOT NULL,
            messages_in     INTEGER NOT NULL,
            messages_out    INTEGER NOT NULL,
            opted_out       INTEGER NOT NULL,
            failures        INTEGER NOT NULL,
            wait_ms         INTEGER,
            first_reply_ms  INTEGER,
            duration_ms     INTEGER
        );
        -- Answered chats' times, narrow, for percentiles over a queue (or every queue) and a range.
        CREATE INDEX chat_statistics_times ON chat_statistics(queue, local_hour, first_reply_ms, duration_ms) WHERE outcome = 1;
        CREATE INDEX chat_statistics_times_by_hour ON chat_statistics(local_hour, first_reply_ms, duration_ms) WHERE outcome = 1;
        -- The same by librarian and by channel, for reports about one (a breakdown reads one after the other).
        CREATE INDEX chat_statistics_times_by_operator
            ON chat_statistics(operator, local_hour, queue, protocol, first_reply_ms, duration_ms) WHERE outcome = 1;
        CREATE INDEX chat_statistics_times_by_protocol
            ON chat_statistics(protocol, local_hour, queue, first_reply_ms, duration_ms) WHERE outcome = 1;

        -- The sums the reports read: by queue, local hour and channel; by librarian, also per hour (reports about one
        -- librarian) and per local day (reports broken down by librarian).
        CREATE TABLE chat_hours (
            queue             TEXT NOT NULL,
            local_hour        INTEGER NOT NULL,
            protocol          TEXT NOT NULL,
            started           INTEGER NOT NULL,
            answered          INTEGER NOT NULL,
            waiting           INTEGER NOT NULL,
            missed_offline    INTEGER NOT NULL,
            missed_unanswered INTEGER NOT NULL,
            missed_abandoned  INTEGER NOT NULL,
            arrived_offline   INTEGER NOT NULL,
            transferred       INTEGER NOT NULL,
            messages_in       INTEGER NOT NULL,
            messages_out      INTEGER NOT NULL,
            opted_out         INTEGER NOT NULL,
            failures          INTEGER NOT NULL,
            PRIMARY KEY (queue, local_hour, protocol)
        ) WITHOUT ROWID;
        CREATE INDEX chat_hours_by_hour ON chat_hours(local_hour);

        CREATE TABLE chat_operator_hours (
            operator          TEXT NOT NULL,
            local_hour        INTEGER NOT NULL,
            queue             TEXT NOT NULL,
            protocol          TEXT NOT NULL,
            started           INTEGER NOT NULL,
            answered          INTEGER NOT NULL,
            waiting           INTEGER NOT NULL,
            missed_offline    INTEGER NOT NULL,
            missed_unanswered INTEGER NOT NULL,
            missed_abandoned  INTEGER NOT NULL,
            arrived_offline   INTEGER NOT NULL,
            transferred       INTEGER NOT NULL,
            messages_in       INTEGER NOT NULL,
            messages_out      INTEGER NOT NULL,
            opted_out         INTEGER NOT NULL,
            failures          INTEGER NOT NULL,
            PRIMARY KEY (operator, local_hour, queue, protocol)
        ) WITHOUT ROWID;

        CREATE TABLE chat_operator_days (
            local_day         INTEGER NOT NULL,
            queue             TEXT NOT NULL,
            protocol          TEXT NOT NULL,
            operator          TEXT NOT NULL,
            started           INTEGER NOT NULL,
            answered          INTEGER NOT NULL,
            waiting           INTEGER NOT NULL,
            missed_offline    INTEGER NOT NULL,
            missed_unanswered INTEGER NOT NULL,
            missed_abandoned  INTEGER NOT NULL,
            arrived_offline   INTEGER NOT NULL,
            transferred       INTEGER NOT NULL,
            messages_in       INTEGER NOT NULL,
            messages_out      INTEGER NOT NULL,
            opted_out         INTEGER NOT NULL,
            failures          INTEGER NOT NULL,
            PRIMARY KEY (local_day, queue, protocol, operator)
        ) WITHOUT ROWID;

        -- The time zone each queue's rows were computed in; a queue whose zone changes is computed again.
        CREATE TABLE statistics_zones (
            queue TEXT PRIMARY KEY,
            zone  TEXT NOT NULL
        ) WITHOUT ROWID;

        INSERT INTO statistics_dirty (conversation_id) SELECT id FROM conversations;
        """
}
