/// BUCP (family 0x17): the MD5 challenge login on the authorization connection.
public enum BUCP {
    public static let family: UInt16 = 0x0017

    /// TLV types used by BUCP login.
    public enum TLVType {
        public static let screenName: UInt16 = 0x0001
        public static let clientID: UInt16 = 0x0003
        public static let errorURL: UInt16 = 0x0004
        public static let bosAddress: UInt16 = 0x0005
        public static let cookie: UInt16 = 0x0006
        public static let errorCode: UInt16 = 0x0008
        public static let passwordHash: UInt16 = 0x0025
        public static let multiConnectionFlags: UInt16 = 0x004A
        public static let strongHash: UInt16 = 0x004C
    }
}

/// 0x17/0x06: asks for the key to hash the password with.
public struct BUCPKeyRequest: SNACMessage, Hashable {
    public static let family = BUCP.family
    public static let subtype: UInt16 = 0x0006

    public var screenName: String

    public init(screenName: String) {
        self.screenName = screenName
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        let tlvs = try [TLV].decode(snacData, format: .toEnd)
        guard let name = tlvs.first(type: BUCP.TLVType.screenName) else {
            throw .missingTLV(type: BUCP.TLVType.screenName, in: "BUCP key request")
        }
        screenName = name.stringValue
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        try [TLV.string(BUCP.TLVType.screenName, screenName)].encode(into: &buffer, format: .toEnd)
    }
}

/// 0x17/0x07: the server's login key, a u16-length string.
public struct BUCPKeyReply: SNACMessage, Hashable {
    public static let family = BUCP.family
    public static let subtype: UInt16 = 0x0007

    public var key: [UInt8]

    public init(key: [UInt8]) {
        self.key = key
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        var reader = ByteReader(snacData)
        key = try reader.readU16Prefixed("BUCP login key")
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        try buffer.appendU16Prefixed(key, field: "BUCP login key")
    }
}

/// 0x17/0x02: the login itself, proving the password with an MD5 hash of the key.
public struct BUCPLoginRequest: SNACMessage, Hashable {
    public static let family = BUCP.family
    public static let subtype: UInt16 = 0x0002

    public var screenName: String
    /// `PasswordHash.strong` (when `strongHash`) or `PasswordHash.weak` of the server's key.
    public var passwordHash: [UInt8]
    /// Sends the empty TLV 0x4C telling the server which hash `passwordHash` is.
    public var strongHash: Bool
    /// Free-form client identification shown in server logs.
    public var clientID: String
    /// TLV 0x4A; 0x01 asks for the modern behaviour (new sessions do not kick older ones).
    public var multiConnectionFlags: UInt8

    public init(screenName: String, passwordHash: [UInt8], strongHash: Bool = true, clientID: String, multiConnectionFlags: UInt8 = 0x01) {
        self.screenName = screenName
        self.passwordHash = passwordHash
        self.strongHash = strongHash
        self.clientID = clientID
        self.multiConnectionFlags = multiConnectionFlags
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        let tlvs = try [TLV].decode(snacData, format: .toEnd)
        guard let name = tlvs.first(type: BUCP.TLVType.screenName) else {
            throw .missingTLV(type: BUCP.TLVType.screenName, in: "BUCP login request")
        }
        guard let hash = tlvs.first(type: BUCP.TLVType.passwordHash) else {
            throw .missingTLV(type: BUCP.TLVType.passwordHash, in: "BUCP login request")
        }
        screenName = name.stringValue
        passwordHash = hash.value
        strongHash = tlvs.contains(type: BUCP.TLVType.strongHash)
        clientID = tlvs.first(type: BUCP.TLVType.clientID)?.stringValue ?? ""
        multiConnectionFlags = try tlvs.first(type: BUCP.TLVType.multiConnectionFlags)?.u8Value() ?? 0
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        var tlvs: [TLV] = [
            .string(BUCP.TLVType.screenName, screenName),
            TLV(type: BUCP.TLVType.passwordHash, value: passwordHash),
        ]
        if strongHash {
            tlvs.append(.flag(BUCP.TLVType.strongHash))
        }
        tlvs.append(.string(BUCP.TLVType.clientID, clientID))
        tlvs.append(.u8(BUCP.TLVType.multiConnectionFlags, multiConnectionFlags))
        try tlvs.encode(into: &buffer, format: .toEnd)
    }
}

/// 0x17/0x03: where to sign on, or why not.
public struct BUCPLoginReply: SNACMessage, Hashable {
    public static let family = BUCP.family
    public static let subtype: UInt16 = 0x0003

    /// The outcome of a login attempt.
    public enum Outcome: Sendable, Hashable {
        /// Connect to `bosAddress` (`"host:port"`) and present `cookie`.
        case success(bosAddress: String, cookie: [UInt8])
        /// The server refused; `code` is a `LoginErrorCode` raw value.
        case failure(code: UInt16, url: String?)
    }

    /// The screen name as the server formats it, if it sent one.
    public var screenName: String?
    public var outcome: Outcome

    public init(screenName: String?, outcome: Outcome) {
        self.screenName = screenName
        self.outcome = outcome
    }

    public init(snacData: [UInt8]) throws(OSCARDecodingError) {
        let tlvs = try [TLV].decode(snacData, format: .toEnd)
        screenName = tlvs.first(type: BUCP.TLVType.screenName)?.stringValue
        if let error = tlvs.first(type: BUCP.TLVType.errorCode) {
            outcome = .failure(code: try error.u16Value(), url: tlvs.first(type: BUCP.TLVType.errorURL)?.stringValue)
            return
        }
        guard let address = tlvs.first(type: BUCP.TLVType.bosAddress) else {
            throw .missingTLV(type: BUCP.TLVType.bosAddress, in: "BUCP login reply without an error code")
        }
        guard let cookie = tlvs.first(type: BUCP.TLVType.cookie) else {
            throw .missingTLV(type: BUCP.TLVType.cookie, in: "BUCP login reply without an error code")
        }
        outcome = .success(bosAddress: address.stringValue, cookie: cookie.value)
    }

    public func encode(into buffer: inout [UInt8]) throws(OSCAREncodingError) {
        var tlvs: [TLV] = []
        if let screenName {
            tlvs.append(.string(BUCP.TLVType.screenName, screenName))
        }
        switch outcome {
        case let .success(address, cookie):
            tlvs.append(.string(BUCP.TLVType.bosAddress, address))
            tlvs.append(TLV(type: BUCP.TLVType.cookie, value: cookie))
        case let .failure(code, url):
            if let url {
                tlvs.append(.string(BUCP.TLVType.errorURL, url))
            }
            tlvs.append(.u16(BUCP.TLVType.errorCode, code))
        }
        try tlvs.encode(into: &buffer, format: .toEnd)
    }
}

/// Login error codes (TLV 0x08 of 0x17/0x03) and what they imply for retrying.
public struct LoginErrorCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let invalidNameOrPassword = LoginErrorCode(rawValue: 0x0001)
    public static let invalidPassword = LoginErrorCode(rawValue: 0x0005)
    public static let suspended = LoginErrorCode(rawValue: 0x0011)
    public static let rateLimited = LoginErrorCode(rawValue: 0x001D)

    /// Whether trying again later can succeed. Wrong credentials and suspensions need a
    /// person to act; retrying them only burns the per-address login allowance.
    public var isRetryable: Bool {
        switch self {
        case .invalidNameOrPassword, .invalidPassword, .suspended: false
        default: true
        }
    }

    public var description: String {
        switch self {
        case .invalidNameOrPassword: "invalid screen name or password (0x0001)"
        case .invalidPassword: "invalid password (0x0005)"
        case .suspended: "account suspended (0x0011)"
        case .rateLimited: "login rate limited or too many sessions (0x001D)"
        default: "login error \(hex(rawValue))"
        }
    }
}

/// A BOS server endpoint parsed from the login reply's `"host:port"`.
public struct BOSEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// OSCAR's customary port, used when the address names only a host.
    public static let defaultPort = 5190

    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host`, `host:port` or `[v6]:port`.
    public init(parsing address: String) throws(OSCARDecodingError) {
        var hostPart = Substring(address)
        var portPart: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else {
                throw .invalidValue(field: "BOS address \"\(address)\"", reason: "unterminated IPv6 bracket")
            }
            let rest = hostPart[hostPart.index(after: close)...]
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else {
                    throw .invalidValue(field: "BOS address \"\(address)\"", reason: "unexpected text after the IPv6 host")
                }
                portPart = rest.dropFirst()
            }
        } else if let colon = hostPart.lastIndex(of: ":") {
            portPart = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty else {
            throw .invalidValue(field: "BOS address \"\(address)\"", reason: "no host")
        }
        var port = Self.defaultPort
        if let portPart {
            guard let parsed = Int(portPart), (1...65535).contains(parsed) else {
                throw .invalidValue(field: "BOS address \"\(address)\"", reason: "port is not a number in 1...65535")
            }
            port = parsed
        }
        host = String(hostPart)
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
