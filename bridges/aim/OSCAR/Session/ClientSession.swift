/// The client side of an OSCAR session as a pure state machine.
///
/// The I/O layer feeds it events (a connection opened or closed, a frame arrived, the
/// bridge wants to send) and performs the actions it returns; it never touches a socket or
/// a clock, so every path, including the failures, is testable with scripted frames.
///
/// The walk is: authorization connection (`authConnecting` → `awaitingKey` →
/// `awaitingLoginReply`), then the BOS connection (`bosConnecting` → `signingOn` steps →
/// `online`), ending in `signedOff` or `failed`.
public struct ClientSession: Sendable {
    /// What the session signs on with.
    public struct Configuration: Sendable {
        public var screenName: String
        public var password: String
        /// Identifies this software in the login request.
        public var clientID: String
        /// Screen names to watch; also needed for the server to announce this client.
        public var buddies: [String]
        /// The profile others see; nil sends an empty one.
        public var profile: String?
        /// First FLAP sequence number on each connection. Use a random value in
        /// `0..<0x8000` in production, as AIM clients did.
        public var initialSequence: UInt16
        /// Ask for IMs stored while offline once signed on.
        public var fetchOfflineMessages: Bool

        public init(
            screenName: String, password: String, clientID: String = "refdesk", buddies: [String] = [],
            profile: String? = nil, initialSequence: UInt16 = 0, fetchOfflineMessages: Bool = true
        ) {
            self.screenName = screenName
            self.password = password
            self.clientID = clientID
            self.buddies = buddies
            self.profile = profile
            self.initialSequence = initialSequence
            self.fetchOfflineMessages = fetchOfflineMessages
        }
    }

    /// The steps of signing on to a BOS server, each waiting for one server message.
    public enum SignOnStep: Sendable, Hashable {
        /// Waiting for the BOS server's channel-1 greeting, to answer with the cookie.
        case awaitingServerHello
        /// Waiting for 0x01/0x03 (families hosted).
        case awaitingHostOnline
        /// Waiting for 0x01/0x18 (versions agreed).
        case awaitingHostVersions
        /// Waiting for 0x01/0x07 (rate classes); then the rest is sent up to client ready.
        case awaitingRateClasses
    }

    public enum State: Sendable, Hashable {
        case authConnecting
        case awaitingKey
        case awaitingLoginReply
        case bosConnecting
        case signingOn(SignOnStep)
        case online
        case signedOff
        case failed(SessionFailure)
    }

    public private(set) var state: State = .authConnecting
    /// The server's own info (0x01/0x0F), once received: how it spells this screen name.
    public private(set) var ownInfo: UserInfo?

    private let configuration: Configuration
    private var sequence: UInt16
    private var nextRequestID: UInt32 = 1
    private var cookie: [UInt8] = []
    /// Request ids of sends awaiting an ack or error, oldest first, bounded.
    private var pendingSends: [(requestID: UInt32, cookie: UInt64)] = []
    private static let maximumPendingSends = 256

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.sequence = configuration.initialSequence & 0x7FFF
    }

    // MARK: - Events

    /// A connection opened: the authorization connection at first, the BOS one after
    /// `.connectBOS`. Sequence numbers restart on each connection.
    public mutating func connectionEstablished() -> [ClientSessionAction] {
        sequence = configuration.initialSequence & 0x7FFF
        if state == .bosConnecting {
            state = .signingOn(.awaitingServerHello)
        }
        return []
    }

    /// The current connection closed (or could not be opened).
    public mutating func connectionClosed() -> [ClientSessionAction] {
        switch state {
        case .signedOff, .failed:
            return []
        default:
            return fail(.connectionLost(phase: phaseDescription))
        }
    }

    /// A frame arrived on the current connection.
    public mutating func received(_ frame: FLAPFrame) -> [ClientSessionAction] {
        switch frame.channel {
        case .keepalive, .error:
            return []
        case .signOff:
            return receivedSignOff(frame)
        case .signOn:
            return receivedSignOn()
        case .snac:
            return receivedSNACFrame(frame)
        }
    }

    // MARK: - Requests

    /// Sends an IM of plain `text`, written as the HTML AIM clients render (``AIMMarkup``); lay long text out
    /// with ``IMLayout`` first. `cookie` identifies the message in later `.messageAccepted` /
    /// `.messageRejected` actions; pick it at random, and send it again with the same cookie when no answer came.
    public mutating func sendMessage(
        to recipient: String, text: String, cookie: UInt64, requestServerAck: Bool = true, storeIfOffline: Bool = true
    ) throws(ClientSessionError) -> [ClientSessionAction] {
        guard state == .online else { throw .notOnline(state: phaseDescription) }
        let message = ICBMSendMessage(
            cookie: cookie, recipient: recipient, body: ICBMMessageBody(text: AIMMarkup.html(fromPlainText: text)),
            requestServerAck: requestServerAck, storeIfOffline: storeIfOffline
        )
        let requestID = takeRequestID()
        let frame: FLAPFrame
        do {
            frame = try message.frame(sequence: sequence, requestID: requestID)
        } catch {
            throw .encodingFailed(error)
        }
        advanceSequence()
        if requestServerAck || storeIfOffline {
            pendingSends.append((requestID, cookie))
            if pendingSends.count > Self.maximumPendingSends {
                pendingSends.removeFirst()
            }
        }
        return [.send(frame)]
    }

    /// Tells `recipient` that this side is typing, paused or finished (0x04/0x14).
    public mutating func sendTypingNotification(to recipient: String, event: TypingEvent) throws(ClientSessionError) -> [ClientSessionAction] {
        guard state == .online else { throw .notOnline(state: phaseDescription) }
        let notification = ICBMTypingNotification(screenName: recipient, event: event)
        do {
            return [.send(try notification.frame(sequence: takeSequence(), requestID: takeRequestID()))]
        } catch {
            throw .encodingFailed(error)
        }
    }

    /// A keepalive frame for an idle connection; nothing once the session has ended.
    public mutating func keepalive() -> [ClientSessionAction] {
        switch state {
        case .signedOff, .failed, .bosConnecting:
            return []
        default:
            return [.send(.keepalive(sequence: takeSequence()))]
        }
    }

    /// Signs off cleanly with an empty channel-4 frame; close the connection after sending.
    public mutating func signOff() -> [ClientSessionAction] {
        switch state {
        case .signedOff, .failed:
            return []
        case .bosConnecting:
            state = .signedOff
            return []
        default:
            let frame = FLAPFrame(channel: .signOff, sequence: takeSequence(), payload: [])
            state = .signedOff
            return [.send(frame)]
        }
    }

    // MARK: - Channels 1 and 4

    private mutating func receivedSignOn() -> [ClientSessionAction] {
        switch state {
        case .authConnecting:
            var actions: [ClientSessionAction] = []
            actions.append(.send(signOnFrame(SignOnPayload())))
            guard let request = snacFrame(BUCPKeyRequest(screenName: configuration.screenName)) else {
                return fail(.protocolError("screen name \"\(configuration.screenName)\" cannot be encoded"))
            }
            actions.append(.send(request))
            state = .awaitingKey
            return actions
        case .signingOn(.awaitingServerHello):
            state = .signingOn(.awaitingHostOnline)
            return [.send(signOnFrame(.bosSignOn(cookie: cookie)))]
        default:
            // A repeated greeting changes nothing; servers do not send one mid-session.
            return []
        }
    }

    private mutating func receivedSignOff(_ frame: FLAPFrame) -> [ClientSessionAction] {
        switch state {
        case .bosConnecting, .signedOff, .failed:
            // The authorization server always signs off after the login reply.
            return []
        default:
            let payload = (try? SignOffPayload(decoding: frame.payload)) ?? SignOffPayload()
            return fail(.signedOffByServer(reason: payload.reason, url: payload.url))
        }
    }

    // MARK: - Channel 2

    private mutating func receivedSNACFrame(_ frame: FLAPFrame) -> [ClientSessionAction] {
        let snac: SNAC
        do {
            snac = try SNAC(frame: frame)
        } catch {
            return malformed(family: 0, subtype: 0, error)
        }
        do throws(OSCARDecodingError) {
            return try receivedSNAC(snac)
        } catch {
            return malformed(family: snac.family, subtype: snac.subtype, error)
        }
    }

    private mutating func receivedSNAC(_ snac: SNAC) throws(OSCARDecodingError) -> [ClientSessionAction] {
        switch state {
        case .authConnecting, .bosConnecting, .signedOff, .failed:
            return []
        case .awaitingKey, .awaitingLoginReply:
            return try receivedAuthorizationSNAC(snac)
        case let .signingOn(step):
            return try receivedSignOnSNAC(snac, step: step)
        case .online:
            return try receivedOnlineSNAC(snac)
        }
    }

    private mutating func receivedAuthorizationSNAC(_ snac: SNAC) throws(OSCARDecodingError) -> [ClientSessionAction] {
        if snac.is(BUCPLoginReply.self) {
            // Servers answer an unknown screen name's key request with a failed login reply.
            return receivedLoginReply(try snac.decode(as: BUCPLoginReply.self))
        }
        if let error = try snac.errorReply() {
            return fail(.protocolError("authorization server replied with \(error)"))
        }
        guard state == .awaitingKey, snac.is(BUCPKeyReply.self) else { return [] }
        let key = try snac.decode(as: BUCPKeyReply.self).key
        let hash: [UInt8]
        do {
            hash = try PasswordHash.strong(key: key, password: configuration.password)
        } catch {
            return fail(.md5Unavailable)
        }
        let login = BUCPLoginRequest(screenName: configuration.screenName, passwordHash: hash, clientID: configuration.clientID)
        guard let frame = snacFrame(login) else {
            return fail(.protocolError("login request for \"\(configuration.screenName)\" cannot be encoded"))
        }
        state = .awaitingLoginReply
        return [.send(frame)]
    }

    private mutating func receivedLoginReply(_ reply: BUCPLoginReply) -> [ClientSessionAction] {
        switch reply.outcome {
        case let .failure(code, url):
            return fail(.loginRejected(LoginErrorCode(rawValue: code), url: url))
        case let .success(address, cookie):
            let endpoint: BOSEndpoint
            do {
                endpoint = try BOSEndpoint(parsing: address)
            } catch {
                return fail(.protocolError(error.description))
            }
            self.cookie = cookie
            state = .bosConnecting
            return [.connectBOS(host: endpoint.host, port: endpoint.port, cookie: cookie)]
        }
    }

    private mutating func receivedSignOnSNAC(_ snac: SNAC, step: SignOnStep) throws(OSCARDecodingError) -> [ClientSessionAction] {
        if snac.is(OwnInfoReply.self) {
            ownInfo = try snac.decode(as: OwnInfoReply.self).userInfo
            return []
        }
        switch step {
        case .awaitingServerHello:
            return []
        case .awaitingHostOnline:
            guard snac.is(HostOnline.self) else { return [] }
            _ = try snac.decode(as: HostOnline.self)
            state = .signingOn(.awaitingHostVersions)
            return sendAll([ClientVersions.instantMessaging])
        case .awaitingHostVersions:
            guard snac.is(HostVersions.self) else { return [] }
            _ = try snac.decode(as: HostVersions.self)
            state = .signingOn(.awaitingRateClasses)
            return sendAll([RateParametersRequest()])
        case .awaitingRateClasses:
            guard snac.is(RateParametersReply.self) else { return [] }
            let rates = try snac.decode(as: RateParametersReply.self)
            return finishSignOn(rates: rates)
        }
    }

    /// Sends everything from the rate acknowledgement to client ready in the order AIM
    /// clients did; the server needs no replies in between, so nothing waits.
    private mutating func finishSignOn(rates: RateParametersReply) -> [ClientSessionAction] {
        var messages: [any SNACMessage] = [
            RateParametersAck(classIDs: rates.classes.map(\.id)),
            OwnInfoRequest(),
            LocateRightsRequest(),
            BuddyRightsRequest(),
            ICBMParametersRequest(),
            PermitDenyRightsRequest(),
            LocateSetInfo(profile: configuration.profile ?? ""),
            ICBMParameters.standard,
            BuddyAdd(screenNames: configuration.buddies),
            ClientReady.instantMessaging,
        ]
        if configuration.fetchOfflineMessages {
            messages.append(OfflineMessagesRequest())
        }
        var actions: [ClientSessionAction] = [.rateLimitsReceived(rates)]
        actions += sendAll(messages)
        if case .failed = state { return actions }
        state = .online
        actions.append(.online)
        return actions
    }

    private mutating func receivedOnlineSNAC(_ snac: SNAC) throws(OSCARDecodingError) -> [ClientSessionAction] {
        if snac.family == ICBM.family, let error = try snac.errorReply() {
            return [.messageRejected(cookie: takePendingSend(requestID: snac.requestID), error: error)]
        }
        switch (snac.family, snac.subtype) {
        case (ICBMIncomingMessage.family, ICBMIncomingMessage.subtype):
            return try receivedIncomingMessage(try snac.decode(as: ICBMIncomingMessage.self))
        case (ICBMServerAck.family, ICBMServerAck.subtype):
            let ack = try snac.decode(as: ICBMServerAck.self)
            pendingSends.removeAll { $0.cookie == ack.cookie }
            return [.messageAccepted(cookie: ack.cookie)]
        case (OfflineMessagesDone.family, OfflineMessagesDone.subtype):
            // Stored messages are recognised by their send time, so the end needs no action.
            return []
        case (BuddyArrived.family, BuddyArrived.subtype):
            return try snac.decode(as: BuddyArrived.self).users.map { .buddyOnline(ScreenName($0.screenName)) }
        case (BuddyDeparted.family, BuddyDeparted.subtype):
            return try snac.decode(as: BuddyDeparted.self).users.map { .buddyOffline(ScreenName($0.screenName)) }
        case (OwnInfoReply.family, OwnInfoReply.subtype):
            ownInfo = try snac.decode(as: OwnInfoReply.self).userInfo
            return []
        case (ICBMTypingNotification.family, ICBMTypingNotification.subtype):
            let notification = try snac.decode(as: ICBMTypingNotification.self)
            return [.typingReceived(from: ScreenName(notification.screenName), event: notification.event)]
        case (ICBMParametersReply.family, ICBMParametersReply.subtype):
            return [.messageLimitReceived(maximumMessageLength: try snac.decode(as: ICBMParametersReply.self).maximumMessageLength)]
        case (RateChangeNotice.family, RateChangeNotice.subtype):
            return [.rateChanged(try snac.decode(as: RateChangeNotice.self))]
        default:
            return []
        }
    }

    private func receivedIncomingMessage(_ message: ICBMIncomingMessage) throws(OSCARDecodingError) -> [ClientSessionAction] {
        guard let body = try message.body() else { return [] }
        let sender = ScreenName(message.sender.screenName)
        if SystemNotice.isNotice(cookie: message.cookie, sender: sender) {
            return [.deliverNotice(from: sender, text: HTMLText.plainText(fromHTML: body.text))]
        }
        let sentAt = message.offlineSentAt
        return [.deliverIncoming(
            cookie: message.cookie,
            from: sender,
            text: HTMLText.plainText(fromHTML: body.text),
            sentAt: sentAt,
            offline: sentAt != nil
        )]
    }

    // MARK: - Helpers

    private mutating func fail(_ failure: SessionFailure) -> [ClientSessionAction] {
        state = .failed(failure)
        return [.failed(failure, retryable: failure.isRetryable)]
    }

    /// A malformed SNAC ends the session while signing on (nothing later can work), but is
    /// skipped once online.
    private mutating func malformed(family: UInt16, subtype: UInt16, _ error: OSCARDecodingError) -> [ClientSessionAction] {
        if state == .online {
            return [.discardedMalformed(family: family, subtype: subtype, error: error)]
        }
        return fail(.protocolError("SNAC \(hex(family))/\(hex(subtype)): \(error)"))
    }

    private var phaseDescription: String {
        switch state {
        case .authConnecting: "connecting to the authorization server"
        case .awaitingKey: "waiting for the login key"
        case .awaitingLoginReply: "waiting for the login reply"
        case .bosConnecting: "connecting to the BOS server"
        case .signingOn: "signing on to the BOS server"
        case .online: "online"
        case .signedOff: "signed off"
        case .failed: "failed"
        }
    }

    /// Sequence numbers stay within 15 bits, wrapping as AIM clients did.
    private mutating func takeSequence() -> UInt16 {
        defer { advanceSequence() }
        return sequence
    }

    private mutating func advanceSequence() {
        sequence = (sequence &+ 1) & 0x7FFF
    }

    /// Request ids stay below 0x80000000, which marks server-initiated SNACs.
    private mutating func takeRequestID() -> UInt32 {
        defer { nextRequestID = nextRequestID >= 0x7FFF_FFFF ? 1 : nextRequestID + 1 }
        return nextRequestID
    }

    private mutating func takePendingSend(requestID: UInt32) -> UInt64? {
        guard let index = pendingSends.firstIndex(where: { $0.requestID == requestID }) else { return nil }
        return pendingSends.remove(at: index).cookie
    }

    private mutating func signOnFrame(_ payload: SignOnPayload) -> FLAPFrame {
        // The only TLV is the cookie, which the login reply's u16-length TLV already bounded.
        let bytes = (try? payload.encoded()) ?? []
        return FLAPFrame(channel: .signOn, sequence: takeSequence(), payload: bytes)
    }

    private mutating func snacFrame(_ message: some SNACMessage) -> FLAPFrame? {
        guard let snac = try? SNAC(message, requestID: takeRequestID()) else { return nil }
        return FLAPFrame(channel: .snac, sequence: takeSequence(), payload: snac.encoded())
    }

    private mutating func sendAll(_ messages: [any SNACMessage]) -> [ClientSessionAction] {
        var actions: [ClientSessionAction] = []
        for message in messages {
            guard let frame = snacFrame(message) else {
                return fail(.protocolError("\(type(of: message)) cannot be encoded"))
            }
            actions.append(.send(frame))
        }
        return actions
    }
}

extension ClientSession.Configuration: CustomStringConvertible {
    /// Leaves the password out, so logging a configuration never leaks it.
    public var description: String {
        "ClientSession.Configuration(screenName: \(screenName), clientID: \(clientID), buddies: \(buddies.count), password: <redacted>)"
    }
}
