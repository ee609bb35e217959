import CRefdeskOpenSSL

/// MD5 could not be computed; OpenSSL in FIPS mode refuses MD5, which OSCAR login needs.
public struct MD5UnavailableError: Error, Hashable, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "MD5 digest is unavailable from OpenSSL (FIPS mode?); OSCAR login needs it" }
}

/// The password proofs BUCP login accepts.
///
/// The server sends a per-login key; the client proves it knows the password by hashing the
/// key with it, so the password itself never crosses the wire.
public enum PasswordHash {
    /// The string both hashes end with, fixed by the protocol.
    public static let salt = Array("AOL Instant Messenger (SM)".utf8)

    /// The MD5 digest of `bytes`.
    public static func md5(_ bytes: [UInt8]) throws(MD5UnavailableError) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let status = bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_md5(), nil)
            }
        }
        guard status == 1, length == 16 else { throw MD5UnavailableError() }
        return Array(digest.prefix(16))
    }

    /// `md5(key + md5(password) + salt)`: the "strong" hash announced by the empty TLV 0x4C,
    /// which current servers expect.
    public static func strong(key: [UInt8], password: String) throws(MD5UnavailableError) -> [UInt8] {
        let passwordDigest = try md5(Array(password.utf8))
        return try md5(key + passwordDigest + salt)
    }

    /// `md5(key + password + salt)`: the older hash, used when TLV 0x4C is absent.
    public static func weak(key: [UInt8], password: String) throws(MD5UnavailableError) -> [UInt8] {
        try md5(key + Array(password.utf8) + salt)
    }
}
