/// Signed-in sessions, by cookie token. In memory: a router restart signs everyone out, which is acceptable
/// for an admin tool and keeps tokens off the disk.
public struct SessionTable: Sendable {
    public struct Session: Sendable, Equatable {
        public var user: String
        public var expiresAt: Int64
    }

    private var sessions: [String: Session] = [:]
    /// How long a session lasts from login (ms).
    public let lifetime: Int64
    /// At most this many sessions are kept; the oldest go first.
    public let capacity: Int

    public init(lifetime: Int64, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// Starts a session and returns its token.
    public mutating func open(user: String, at now: Int64, token: String = SessionToken.generate()) -> String {
        purge(at: now)
        if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.expiresAt < $1.value.expiresAt })?.key {
            sessions[oldest] = nil
        }
        sessions[token] = Session(user: user, expiresAt: now + lifetime)
        return token
    }

    /// The user of a live session; expired sessions are forgotten.
    public mutating func user(for token: String, at now: Int64) -> String? {
        guard let session = sessions[token] else { return nil }
        guard session.expiresAt > now else {
            sessions[token] = nil
            return nil
        }
        return session.user
    }

    public mutating func close(_ token: String) {
        sessions[token] = nil
    }

    /// Ends every session of a user (deleted, or their password changed).
    public mutating func closeAll(of user: String, except keep: String? = nil) {
        sessions = sessions.filter { $0.value.user != user || $0.key == keep }
    }

    public var count: Int { sessions.count }

    private mutating func purge(at now: Int64) {
        sessions = sessions.filter { $0.value.expiresAt > now }
    }
}

/// Limits password guessing: after too many failed logins for one account, or from one address, within a
/// window, further attempts are refused until the window has passed.
public struct LoginThrottle: Sendable {
    public struct Policy: Sendable, Equatable {
        public var window: Int64
        public var perAccount: Int
        public var perAddress: Int

        /// 5 failures per account, 20 per address, in 15 minutes.
        public init(window: Int64 = 15 * 60_000, perAccount: Int = 5, perAddress: Int = 20) {
            self.window = window
            self.perAccount = perAccount
            self.perAddress = perAddress
        }
    }

    public let policy: Policy
    private var accountFailures: [String: [Int64]] = [:]
    private var addressFailures: [String: [Int64]] = [:]

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Which limit stops an attempt now.
    public enum Block: Equatable, Sendable {
        case account(retryAfter: Int64)
        case address(retryAfter: Int64)
    }

    /// Whether a login for `account` from `address` may be tried at `now`.
    public mutating func check(account: String, address: String, at now: Int64) -> Block? {
        prune(at: now)
        if let failures = accountFailures[account.lowercased()], failures.count >= policy.perAccount, let first = failures.first {
            return .account(retryAfter: first + policy.window - now)
        }
        if let failures = addressFailures[address], failures.count >= policy.perAddress, let first = failures.first {
            return .address(retryAfter: first + policy.window - now)
        }
        return nil
    }

    public mutating func recordFailure(account: String, address: String, at now: Int64) {
        accountFailures[account.lowercased(), default: []].append(now)
        addressFailures[address, default: []].append(now)
    }

    /// A successful login clears the account's failures (not the address's: one right password does not excuse
    /// guessing at other accounts).
    public mutating func recordSuccess(account: String) {
        accountFailures[account.lowercased()] = nil
    }

    private mutating func prune(at now: Int64) {
        let cutoff = now - policy.window
        accountFailures = accountFailures.compactMapValues { list in
            let kept = list.filter { $0 > cutoff }
            return kept.isEmpty ? nil : kept
        }
        addressFailures = addressFailures.compactMapValues { list in
            let kept = list.filter { $0 > cutoff }
            return kept.isEmpty ? nil : kept
        }
    }
}

/// The sessions and the throttle, shared by every connection.
actor AuthState {
    var sessions: SessionTable
    var throttle: LoginThrottle

    init(sessionLifetime: Int64, policy: LoginThrottle.Policy) {
        sessions = SessionTable(lifetime: sessionLifetime)
        throttle = LoginThrottle(policy: policy)
    }

    func check(account: String, address: String, at now: Int64) -> LoginThrottle.Block? {
        throttle.check(account: account, address: address, at: now)
    }

    func failed(account: String, address: String, at now: Int64) {
        throttle.recordFailure(account: account, address: address, at: now)
    }

    func succeeded(account: String, at now: Int64) -> String {
        throttle.recordSuccess(account: account)
        return sessions.open(user: account, at: now)
    }

    func user(for token: String, at now: Int64) -> String? {
        sessions.user(for: token, at: now)
    }

    func close(_ token: String) {
        sessions.close(token)
    }

    func closeAll(of user: String, except keep: String?) {
        sessions.closeAll(of: user, except: keep)
    }
}

/// The session cookie's attributes: unreadable from scripts and sent only to this site; `Secure` (sent only over
/// HTTPS) when it was set over HTTPS. On the loopback cleartext listener a `Secure` cookie would never come back
/// from clients that honour the flag, and that listener's traffic never leaves the machine.
public enum SessionCookie {
    public static let name = "refdesk_session"

    public static func set(_ token: String, maxAge seconds: Int64, secure: Bool) -> String {
        "\(name)=\(token); Path=/; Max-Age=\(seconds); HttpOnly\(secure ? "; Secure" : ""); SameSite=Strict"
    }

    public static func clear(secure: Bool) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly\(secure ? "; Secure" : ""); SameSite=Strict"
    }
}
