import BridgeProtocol
import BridgeTransport
import Foundation
import Logging
import Testing

/// Both ends of the transport in one process, over a real Unix socket in a temporary directory.
@Suite("Bridge transport: listener and connector over a Unix socket")
struct BridgeTransportTests {
    @Test("the bridge is welcomed with its protocol's gateways")
    func welcomeCarriesGateways() async throws {
        let gateway = GatewayDescriptor(id: 7, protocolName: "test", queue: "ask", username: "+15550000001", secret: "s", online: true)
        let router = RouterSide(gateways: [gateway])
        let bridge = BridgeSide(pending: [])
        try await withConnectedPair(router: router, bridge: bridge) {
            let welcomed = try await bridge.waitForWelcome()
            #expect(welcomed == [gateway])
        }
    }

    @Test("reliable frames arrive in order, are acknowledged, and the sender forgets them")
    func reliableFramesAreAcknowledged() async throws {
        let messages = patronMessages(700)
        let router = RouterSide(gateways: [])
        let bridge = BridgeSide(pending: messages)
        try await withConnectedPair(router: router, bridge: bridge) {
            try await eventually { await bridge.acknowledgedCount == messages.count }
            #expect(await router.received == messages)
            #expect(await bridge.acknowledged == messages.compactMap(\.reliableID))
        }
    }

    @Test("frames are read on while earlier ones wait to be durable, and each run is acked only once it is, in order")
    func readsOnWhileCommitting() async throws {
        let messages = patronMessages(700)
        let router = RouterSide(gateways: [], durability: .held)
        let bridge = BridgeSide(pending: messages)
        try await withConnectedPair(router: router, bridge: bridge) {
            // The bridge may have 512 frames unacked: all of them reach the router although none is durable yet.
            try await eventually { await router.received.count == 512 }
            #expect(await bridge.acknowledgedCount == 0)
            await router.setDurability(.immediate)
            try await eventually { await bridge.acknowledgedCount == messages.count }
            #expect(await router.received == messages)
            #expect(await bridge.acknowledged == messages.compactMap(\.reliableID))
        }
    }

    @Test("a run that cannot be made durable is not acked: the session ends and the bridge sends it again")
    func failedDurabilityEndsTheSession() async throws {
        let messages = patronMessages(20)
        let router = RouterSide(gateways: [], durability: .failOnce)
        let bridge = BridgeSide(pending: messages)
        try await withConnectedPair(router: router, bridge: bridge) {
            try await eventually { await bridge.acknowledgedCount == messages.count }
            #expect(await !bridge.disconnects.isEmpty)
            #expect(Set(await bridge.acknowledged) == Set(messages.compactMap(\.reliableID)))
            #expect(await router.received.count > messages.count)
        }
    }

    @Test("both ends agree version 2, and chat states pass between them as control frames")
    func versionTwoCarriesChatStates() async throws {
        let router = RouterSide(gateways: [])
        let bridge = BridgeSide(pending: [])
        try await withConnectedPair(router: router, bridge: bridge) {
            _ = try await bridge.waitForWelcome()
            let session = try #require(await bridge.session)
            #expect(session.version == 2)
            session.send(.chatState(gatewayID: 1, peer: "patron", state: .composing))
            session.send(.gatewayNotice(id: 1, from: "OOS System Msg", text: "hello"))
            try await eventually { await router.controls.count == 2 }
            #expect(await router.controls == [
                .chatState(gatewayID: 1, peer: "patron", state: .composing), .gatewayNotice(id: 1, from: "OOS System Msg", text: "hello"),
            ])
        }
    }

    @Test("an unknown protocol is refused with a goodbye that says why")
    func unknownProtocolIsRefused() async throws {
        let router = RouterSide(gateways: [], refuse: true)
        let bridge = BridgeSide(pending: [])
        try await withConnectedPair(router: router, bridge: bridge) {
            try await eventually { await bridge.disconnects.contains { $0.contains("refused by the router") } }
            #expect(await bridge.welcomed == nil)
        }
    }

    // MARK: Harness

    /// `count` patron messages on gateway 1, ids `m1`, `m2`, …
    private func patronMessages(_ count: Int) -> [BridgeMessage] {
        (1...count).map { index in
            BridgeMessage.messageReceived(InboundMessage(id: "m\(index)", gatewayID: 1, from: "+1555000\(index)", body: "question \(index)"))
        }
    }

    private func withConnectedPair(router: RouterSide, bridge: BridgeSide, _ body: () async throws -> Void) async throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("rdt-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socket = directory.appendingPathComponent("r.sock").path
        let logger = Logger(label: "test")
        var listenerConfiguration = BridgeListenerConfiguration(
            socketPath: socket,
            peerPolicy: PeerPolicy(allowedUIDs: [getuid()], allowedGIDs: [getgid()])
        )
        listenerConfiguration.session.pingInterval = .seconds(1)
        let listening = AsyncStream.makeStream(of: Void.self)
        let listener = BridgeListener(
            configuration: listenerConfiguration,
            acceptor: router,
            logger: logger,
            onListening: { listening.continuation.yield() }
        )
        var connectorConfiguration = BridgeConnectorConfiguration(socketPath: socket, protocolName: "test", instance: "unit")
        connectorConfiguration.session.pingInterval = .seconds(1)
        let connector = BridgeConnector(configuration: connectorConfiguration, delegate: bridge, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await listener.run() }
            var iterator = listening.stream.makeAsyncIterator()
            _ = await iterator.next()
            group.addTask { try await connector.run() }
            try await body()
            group.cancelAll()
        }
    }

    private func eventually(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("condition not met within \(timeout)")
    }
}

/// The router's end, keeping what it receives in memory; `durability` says when a run it takes counts as durable.
private actor RouterSide: BridgeAcceptor, BridgeSessionDelegate {
    enum Durability {
        case immediate
        /// Not until set to `.immediate`.
        case held
        /// The first run fails to become durable; later ones are durable at once.
        case failOnce
    }

    struct NotDurable: Error {}

    let gateways: [GatewayDescriptor]
    let refuse: Bool
    private(set) var received: [BridgeMessage] = []
    private(set) var controls: [BridgeMessage] = []
    private var durability: Durability

    init(gateways: [GatewayDescriptor], refuse: Bool = false, durability: Durability = .immediate) {
        self.gateways = gateways
        self.refuse = refuse
        self.durability = durability
    }

    func setDurability(_ durability: Durability) { self.durability = durability }

    func submitReliable(_ messages: [BridgeMessage]) async throws -> DurableWait {
        received += messages
        switch durability {
        case .immediate:
            return {}
        case .failOnce:
            durability = .immediate
            return { throw NotDurable() }
        case .held:
            return { [self] in
                while await self.isHeld { try await Task.sleep(for: .milliseconds(5)) }
            }
        }
    }

    private var isHeld: Bool {
        if case .held = durability { return true }
        return false
    }

    nonisolated func accept(protocolName: String, instance: String, peer: PeerCredentials) async -> BridgeAcceptance {
        refuse ? .refuse(.unknownProtocol, reason: "unknown protocol \"\(protocolName)\"") : .proceed(self)
    }

    nonisolated func sessionStarted(_ session: BridgeSession, protocolName: String) async throws -> [GatewayDescriptor] { gateways }
    nonisolated func sessionEnded(_ session: BridgeSession, protocolName: String, reason: BridgeSessionEnd) async {}

    func receiveReliable(_ messages: [BridgeMessage]) async throws { received += messages }
    func receiveControl(_ message: BridgeMessage) async throws { controls.append(message) }
    func pendingReliable(afterSequence: Int64, limit: Int) async throws -> [SequencedMessage] { [] }
    func acknowledged(ids: [String]) async throws {}
}

/// The bridge's end, with an in-memory "spool" of frames to send.
private actor BridgeSide: BridgeConnectorDelegate {
    private var pending: [SequencedMessage]
    private(set) var acknowledged: [String] = []
    private(set) var welcomed: [GatewayDescriptor]?
    private(set) var disconnects: [String] = []
    private(set) var session: BridgeSession?

    init(pending: [BridgeMessage]) {
        self.pending = pending.enumerated().map { SequencedMessage(sequence: Int64($0.offset + 1), message: $0.element) }
    }

    var acknowledgedCount: Int { acknowledged.count }

    func waitForWelcome() async throws -> [GatewayDescriptor] {
        for _ in 0..<500 {
            if let welcomed { return welcomed }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CancellationError()
    }

    func connected(gateways: [GatewayDescriptor], session: BridgeSession) async throws {
        self.session = session
        welcomed = gateways
    }
    func disconnected(reason: String) async { disconnects.append(reason) }
    func receiveReliable(_ messages: [BridgeMessage]) async throws {}
    func receiveControl(_ message: BridgeMessage) async throws {}

    func pendingReliable(afterSequence: Int64, limit: Int) async throws -> [SequencedMessage] {
        Array(pending.filter { $0.sequence > afterSequence }.prefix(limit))
    }

    func acknowledged(ids: [String]) async throws {
        acknowledged += ids
        pending.removeAll { message in message.message.reliableID.map(ids.contains) ?? false }
    }
}
