// refdesk-testbridge: a bridge whose "outside network" is its standard input and output, for tests and the demo.
//
// It speaks the real bridge protocol through the shared BridgeTransport code (spool, reconnects, acks), so a test
// that drives it exercises exactly what the Twilio and AIM bridges use. Commands arrive as JSON lines on stdin;
// events leave as JSON lines on stdout. Logs go to stderr.
//
// Commands:
//   {"op":"receive","id":"m1","gateway":1,"from":"+15551230000","body":"hi","sent_at":0,"offline":false,
//    "media":[{"url":"https://…","type":"image/jpeg"}]}
//       a patron's message arrives: spooled durably, then {"event":"spooled","id":"m1","duplicate":false}
//   {"op":"state","gateway":1,"state":"online","reason":""}     report a gateway's state to the router
//   {"op":"delivery","id":"rd-…","status":"failed","reason":"…"}   report what became of an outbound message
//   {"op":"chat_state","gateway":1,"peer":"+1555…","state":"composing"}   a patron's typing state (XEP-0085 names)
//   {"op":"notice","gateway":1,"from":"System","text":"…"}      a network's notice about the gateway
//   {"op":"quit"}                                               exit 0
// Events:
//   {"event":"connected","gateways":[{"id":1,"queue":"ask","username":"+1555…","online":false}]}
//   {"event":"attach","gateway":{…}}  {"event":"detach","gateway":1}  {"event":"online","gateway":1,"online":true}
//   {"event":"chatState","gateway":1,"peer":"+1555…","state":"composing"}   (the librarian's typing state)
//   {"event":"outbound","id":"…","gateway":1,"to":"+1555…","body":"…"}   (after it is durable in the spool)
//   {"event":"disconnected","reason":"…"}   {"event":"error","message":"…"}

import ArgumentParser
import BridgeProtocol
import BridgeTransport
import DaemonSupport
import Foundation
import Logging
import ServiceLifecycle
import RefdeskVersion
import Synchronization
import UnixSignals

@main
struct TestBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refdesk-testbridge",
        abstract: "A bridge driven by JSON lines on stdin/stdout, for tests and the demo.",
        version: RefdeskVersion.number
    )

    @Option(help: "The router's bridge socket.")
    var socket: String

    @Option(help: "This bridge's spool database (created if missing).")
    var spool: String

    @Option(name: .customLong("protocol"), help: "The protocol name to announce.")
    var protocolName: String = "test"

    @Option(help: "The instance name shown in the router's logs.")
    var instance: String = "testbridge"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func run() async throws {
        JournalLogHandler.bootstrap(level: Logger.Level(rawValue: logLevel) ?? .info)
        let logger = Logger(label: "refdesk-testbridge")
        let spoolStore = try BridgeSpool(path: spool, protocolName: protocolName, logger: logger)
        let bridge = TestBridge(spool: spoolStore, events: EventWriter())
        let connector = BridgeConnector(
            configuration: BridgeConnectorConfiguration(socketPath: socket, protocolName: protocolName, instance: instance),
            delegate: bridge,
            logger: logger
        )
        let commands = CommandReader(bridge: bridge, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: connector), .init(service: commands, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}

/// One JSON object per line on stdout, written atomically.
struct EventWriter: Sendable {
    func emit(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        var line = data
        line.append(0x0A)
        line.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                guard let base = buffer.baseAddress else { return }
                let written = write(1, base + offset, buffer.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}

final class TestBridge: BridgeConnectorDelegate {
    let spool: BridgeSpool
    let events: EventWriter
    private let current = Mutex<BridgeSession?>(nil)

    init(spool: BridgeSpool, events: EventWriter) {
        self.spool = spool
        self.events = events
    }

    var session: BridgeSession? { current.withLock { $0 } }

    func connected(gateways: [GatewayDescriptor], session: BridgeSession) async throws {
        current.withLock { $0 = session }
        events.emit(["event": "connected", "gateways": gateways.map(Self.json)])
    }

    func disconnected(reason: String) async {
        current.withLock { $0 = nil }
        events.emit(["event": "disconnected", "reason": reason])
    }

    func receiveReliable(_ messages: [BridgeMessage]) async throws {
        for message in try await spool.acceptOutbound(messages) {
            events.emit(["event": "outbound", "id": message.id, "gateway": message.gatewayID, "to": message.to, "body": message.body])
        }
    }

    func receiveControl(_ message: BridgeMessage) async throws {
        switch message {
        case .attachGateway(let gateway): events.emit(["event": "attach", "gateway": Self.json(gateway)])
        case .detachGateway(let id): events.emit(["event": "detach", "gateway": id])
        case .setGatewayOnline(let id, let online): events.emit(["event": "online", "gateway": id, "online": online])
        case .chatState(let id, let peer, let state): events.emit(["event": "chatState", "gateway": id, "peer": peer, "state": state.name])
        default: events.emit(["event": "control", "frame": message.kindName])
        }
    }

    func pendingReliable(afterSequence: Int64, limit: Int) async throws -> [SequencedMessage] {
        try await spool.pendingReliable(afterSequence: afterSequence, limit: limit)
    }

    func acknowledged(ids: [String]) async throws {
        try await spool.acknowledged(ids: ids)
    }

    static func json(_ gateway: GatewayDescriptor) -> [String: Any] {
        ["id": gateway.id, "queue": gateway.queue, "username": gateway.username, "protocol": gateway.protocolName, "online": gateway.online]
    }
}

/// Reads commands from stdin on a thread of its own (stdin reads block) and carries them out in order.
struct CommandReader: Service {
    let bridge: TestBridge
    let logger: Logger

    func run() async throws {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        let thread = Thread {
            while let line = readLine(strippingNewline: true) { continuation.yield(line) }
            continuation.finish()
        }
        thread.start()
        for await line in lines {
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            do {
                if try await perform(line) == false { return }
            } catch {
                bridge.events.emit(["event": "error", "message": "\(error)", "line": line])
            }
        }
    }

    /// Returns false for quit.
    private func perform(_ line: String) async throws -> Bool {
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let op = object["op"] as? String
        else {
            throw CommandError("expected a JSON object with an \"op\"")
        }
        switch op {
        case "receive":
            guard let id = object["id"] as? String, let gateway = object["gateway"] as? Int,
                let from = object["from"] as? String, let body = object["body"] as? String
            else { throw CommandError("receive needs id, gateway, from, body") }
            let message = InboundMessage(
                id: id,
                gatewayID: UInt64(gateway),
                from: from,
                body: body,
                sentAt: Int64(object["sent_at"] as? Int ?? 0),
                storedOffline: object["offline"] as? Bool ?? false,
                media: (object["media"] as? [[String: Any]] ?? []).map { Media(url: $0["url"] as? String ?? "", contentType: $0["type"] as? String ?? "") }
            )
            let fresh = try await bridge.spool.enqueue(.messageReceived(message))
            bridge.events.emit(["event": "spooled", "id": id, "duplicate": !fresh])
            bridge.session?.outboxChanged()
        case "state":
            guard let gateway = object["gateway"] as? Int, let name = object["state"] as? String,
                let state = ["connecting": GatewayState.connecting, "online": .online, "offline": .offline, "failed": .failed][name]
            else { throw CommandError("state needs gateway and state (connecting, online, offline, failed)") }
            bridge.session?.send(.gatewayState(id: UInt64(gateway), state: state, reason: object["reason"] as? String ?? ""))
        case "delivery":
            guard let id = object["id"] as? String, let name = object["status"] as? String,
                let status = ["sent": DeliveryStatus.sent, "delivered": .delivered, "failed": .failed][name]
            else { throw CommandError("delivery needs id and status (sent, delivered, failed)") }
            let report = DeliveryReport(id: "\(id)/\(name)", messageID: id, status: status, reason: object["reason"] as? String ?? "")
            let fresh = try await bridge.spool.enqueue(.deliveryStatus(report))
            bridge.events.emit(["event": "spooled", "id": report.id, "duplicate": !fresh])
            bridge.session?.outboxChanged()
        case "chat_state":
            guard let gateway = object["gateway"] as? Int, let peer = object["peer"] as? String, let name = object["state"] as? String,
                let state = ChatState.allCases.first(where: { $0.name == name })
            else { throw CommandError("chat_state needs gateway, peer and state (active, composing, paused, inactive, gone)") }
            bridge.session?.send(.chatState(gatewayID: UInt64(gateway), peer: peer, state: state))
        case "notice":
            guard let gateway = object["gateway"] as? Int, let from = object["from"] as? String, let text = object["text"] as? String
            else { throw CommandError("notice needs gateway, from and text") }
            bridge.session?.send(.gatewayNotice(id: UInt64(gateway), from: from, text: text))
        case "quit":
            return false
        default:
            throw CommandError("unknown op \"\(op)\"")
        }
        return true
    }
}

struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension CommandReader: CustomStringConvertible {
    var description: String { "CommandReader(stdin)" }
}
