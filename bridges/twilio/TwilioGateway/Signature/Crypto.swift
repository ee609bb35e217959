import CRefdeskOpenSSL

/// Thin, safe wrappers over the libcrypto primitives the gateway needs.
enum Crypto {
    /// HMAC-SHA1 of `message` under `key`: the MAC Twilio uses for `X-Twilio-Signature`.
    static func hmacSHA1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let produced = key.withUnsafeBufferPointer { keyBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                digest.withUnsafeMutableBufferPointer { digestBuffer in
                    HMAC(
                        EVP_sha1(),
                        keyBuffer.baseAddress, Int32(keyBuffer.count),
                        messageBuffer.baseAddress, messageBuffer.count,
                        digestBuffer.baseAddress, &length
                    )
                }
            }
        }
        guard produced != nil else { return [] }
        return Array(digest.prefix(Int(length)))
    }

    /// Standard base64 with padding and no line breaks.
    static func base64(_ bytes: [UInt8]) -> String {
        guard !bytes.isEmpty else { return "" }
        var output = [UInt8](repeating: 0, count: 4 * ((bytes.count + 2) / 3) + 1)
        let written = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                EVP_EncodeBlock(out.baseAddress, input.baseAddress, Int32(input.count))
            }
        }
        return String(decoding: output.prefix(Int(max(0, written))), as: UTF8.self)
    }

    /// Compares two byte strings without an early exit on the first difference, so the time
    /// taken does not reveal how much of a forged signature was right.
    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard !lhs.isEmpty else { return true }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
            }
        }
    }
}
