import CRefdeskOpenSSL
import NIOPosix

/// Password hashes for admin API accounts: PBKDF2-HMAC-SHA256 from OpenSSL with a random per-user salt.
///
/// Stored as `pbkdf2-sha256$ITERATIONS$SALT_HEX$HASH_HEX`, so the iteration count can be raised later
/// without invalidating existing hashes. Hashing is deliberately slow (hundreds of milliseconds): callers run
/// it on a thread pool, never on an event loop or the cooperative pool.
public enum PasswordHasher {
    /// OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
    public static let defaultIterations = 600_000
    static let scheme = "pbkdf2-sha256"
    static let saltBytes = 16
    public static let hashBytes = 32
    /// The least a stored hash may use; anything weaker is treated as not matching.
    static let minimumIterations = 1_000

    /// Why a password cannot be set.
    public struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Passwords must be long enough to resist guessing, and short enough not to make hashing a denial of service.
    public static func checkStrength(_ password: String) throws(Refusal) {
        if password.unicodeScalars.count < 10 { throw Refusal(description: "The password must have at least 10 characters") }
        if password.utf8.count > 1024 { throw Refusal(description: "The password must be at most 1024 bytes") }
    }

    /// Hashes `password` with a fresh random salt. Blocking and slow on purpose.
    public static func hash(_ password: String, iterations: Int = defaultIterations) -> String {
        var salt = [UInt8](repeating: 0, count: saltBytes)
        if RAND_bytes(&salt, Int32(saltBytes)) != 1 {
            // OpenSSL's generator failed (it never does once seeded); fall back to the system generator.
            var generator = SystemRandomNumberGenerator()
            for index in salt.indices { salt[index] = generator.next() }
        }
        let derived = derive(password, salt: salt, iterations: iterations) ?? []
        return "\(scheme)$\(iterations)$\(Hex.encode(salt))$\(Hex.encode(derived))"
    }

    /// ``hash(_:iterations:)`` on NIO's blocking thread pool, so the slow derivation never holds up an event loop
    /// or the cooperative pool.
    public static func hashInBackground(_ password: String, iterations: Int = defaultIterations) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { hash(password, iterations: iterations) }
    }

    /// Reads one line from standard input (a password piped in) on the blocking thread pool; the line end is
    /// removed. `nil` at end of input.
    public static func readLineFromStandardInput() async throws -> String? {
        try await NIOThreadPool.singleton.runIfActive { readLine(strippingNewline: true) }
    }

    /// PBKDF2-HMAC-SHA256; `nil` only if OpenSSL refuses (which it does not for these parameters).
    public static func derive(_ password: String, salt: [UInt8], iterations: Int, length: Int = hashBytes) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: length)
        let bytes = Array(password.utf8)
        let result = bytes.withUnsafeBufferPointer { passwordBuffer in
            passwordBuffer.withMemoryRebound(to: CChar.self) { passwordChars in
                PKCS5_PBKDF2_HMAC(
                    passwordChars.baseAddress, Int32(bytes.count), salt, Int32(salt.count), Int32(iterations), EVP_sha256(),
                    Int32(length), &output
                )
            }
        }
        return result == 1 ? output : nil
    }

    /// Whether `password` matches `stored`, compared in constant time. A malformed or missing hash never matches
    /// (but still costs a full derivation, so timing does not reveal which accounts exist).
    public static func verify(_ password: String, against stored: String?) -> Bool {
        guard let stored, let parsed = parse(stored) else {
            _ = derive(password, salt: [UInt8](repeating: 0, count: saltBytes), iterations: defaultIterations)
            return false
        }
        guard let derived = derive(password, salt: parsed.salt, iterations: parsed.iterations, length: parsed.hash.count) else { return false }
        return constantTimeEqual(derived, parsed.hash)
    }

    static func parse(_ stored: String) -> (iterations: Int, salt: [UInt8], hash: [UInt8])? {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == scheme, let iterations = Int(parts[1]), iterations >= minimumIterations, iterations <= 10_000_000,
            let salt = Hex.decode(parts[2]), let hash = Hex.decode(parts[3]), !salt.isEmpty, hash.count >= 16
        else { return nil }
        return (iterations, salt, hash)
    }

    /// Compares without an early exit, so the time taken does not say how many leading bytes matched.
    public static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}

/// Lower-case hexadecimal.
enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var output = [UInt8]()
        output.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func decode(_ text: Substring) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            output.append(high << 4 | low)
            index += 2
        }
        return output
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Random tokens for session cookies.
public enum SessionToken {
    /// 32 random bytes from OpenSSL's CSPRNG, hex-encoded.
    public static func generate() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        if RAND_bytes(&bytes, 32) != 1 {
            var generator = SystemRandomNumberGenerator()
            for index in bytes.indices { bytes[index] = generator.next() }
        }
        return Hex.encode(bytes)
    }
}
