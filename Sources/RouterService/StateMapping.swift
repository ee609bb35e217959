import FoundationEssentials
import RefdeskCore
import RefdeskStore

/// Translations between the store's rows and the core's values. Kept in one place so the two models can evolve
/// separately (the store knows nothing of the rules; the core knows nothing of SQL).
enum StateMapping {
    struct InvalidRow: Error, CustomStringConvertible {
        let description: String
    }

    static func configuration(
        queues: [QueueRecord],
        operators: [OperatorRecord],
        jids: [StaffingJIDRecord],
        assignments: [AssignmentRecord],
        gateways: [GatewayRecord],
        settings: RouterConfiguration
    ) throws -> Configuration {
        let coreQueues = try queues.map { record in
            var hours: OpeningHours?
            if let text = record.openingHours, !text.isEmpty {
                do {
                    hours = try OpeningHours(parsing: text, timeZone: record.timeZone ?? settings.timeZone)
                } catch {
                    throw InvalidRow(description: "opening hours of queue \(record.name) in the database: \(error)")
                }
            }
            return QueueConfiguration(
                name: QueueName(record.name),
                routing: record.routingPolicy == .leastBusy ? .leastBusy(limit: max(1, record.chatLimit)) : .ringAll,
                offlineReply: record.offlineReply.isEmpty ? nil : record.offlineReply,
                openingHours: hours,
                keepsTranscripts: record.keepsTranscripts
            )
        }
        var jidsByOperator: [String: [BareJID]] = [:]
        for record in jids {
            do {
                jidsByOperator[record.operatorName, default: []].append(try BareJID(parsing: record.jid))
            } catch {
                throw InvalidRow(description: "staffing JID \"\(record.jid)\" of \(record.operatorName) in the database: \(error)")
            }
        }
        return Configuration(
            queues: coreQueues,
            operators: operators.map { Operator(name: OperatorName($0.name), staffingJIDs: jidsByOperator[$0.name] ?? []) },
            assignments: assignments.map { Assignment(operator: OperatorName($0.operatorName), queue: QueueName($0.queueName)) },
            gateways: gateways.map { record in
                Gateway(
                    id: GatewayID(UInt64(record.id)),
                    protocol: GatewayProtocol(name: record.network),
                    account: record.username,
                    queue: QueueName(record.queueName)
                )
            },
            settleTime: settings.settleTime,
            defaultCountryCode: settings.defaultCountryCode,
            cannedReplies: settings.cannedReplies,
            timeZone: settings.timeZone
        )
    }

    static func offlineMessage(_ entry: OfflineEntry) -> OfflineMessage {
        OfflineMessage(
            id: UInt64(entry.id),
            queue: QueueName(entry.queueName),
            patron: PatronID(gatewayID: GatewayID(UInt64(entry.gatewayID)), address: entry.patron),
            text: entry.body,
            messageID: entry.messageID ?? "",
            sentAt: Timestamp(millisecondsSinceEpoch: entry.sentAt ?? entry.receivedAt),
            receivedAt: Timestamp(millisecondsSinceEpoch: entry.receivedAt),
            media: media(decoding: entry.media)
        )
    }

    /// Media links as a column keeps them: a JSON list, empty text for none.
    static func media(encoding links: [MediaLink]) -> String {
        guard !links.isEmpty, let bytes = try? JSONEncoder().encode(links) else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Links read back from a column; a value that does not decode reads as none (the text still holds the message).
    static func media(decoding column: String) -> [MediaLink] {
        guard !column.isEmpty else { return [] }
        return (try? JSONDecoder().decode([MediaLink].self, from: Data(column.utf8))) ?? []
    }

    static func offlineEntry(_ message: OfflineMessage) -> OfflineEntry {
        OfflineEntry(
            id: Int64(message.id),
            queueName: message.queue.rawValue,
            gatewayID: Int64(message.patron.gatewayID.rawValue),
            patron: message.patron.address,
            body: message.text,
            messageID: message.messageID.isEmpty ? nil : message.messageID,
            sentAt: message.sentAt.millisecondsSinceEpoch,
            receivedAt: message.receivedAt.millisecondsSinceEpoch,
            media: media(encoding: message.media)
        )
    }

    static func conversationRecord(_ conversation: Conversation) -> ConversationRecord {
        ConversationRecord(
            id: Int64(conversation.id.rawValue),
            queueName: conversation.queue.rawValue,
            gatewayID: Int64(conversation.gatewayID.rawValue),
            patron: conversation.patron.address,
            state: RefdeskStore.ConversationState(rawValue: conversation.state.rawValue) ?? .new,
            operatorName: conversation.operator?.rawValue,
            startedAt: conversation.startedAt.millisecondsSinceEpoch,
            answeredAt: conversation.answeredAt?.millisecondsSinceEpoch,
            endedAt: conversation.endedAt?.millisecondsSinceEpoch
        )
    }

    static func transcript(_ line: TranscriptLine, conversation: ConversationID) -> TranscriptRow {
        let (direction, sender): (MessageDirection, String) =
            switch line.speaker {
            case .patron: (.inbound, "patron")
            case .operator(let name): (.outbound, name.rawValue)
            }
        return TranscriptRow(
            conversation: Int64(conversation.rawValue),
            direction: direction,
            sender: sender,
            body: line.text,
            at: line.at.millisecondsSinceEpoch
        )
    }
}
