import CRefdeskOpenSSL

/// A contact's picture for vCard-based avatars (XEP-0153, XEP-0054): the image is in the vCard, and presence carries
/// its SHA-1 so clients know when to fetch it again.
public struct Avatar: Sendable, Hashable {
    public var bytes: [UInt8]
    /// `image/png` or `image/jpeg`, as the bytes say.
    public var mimeType: String
    /// Lowercase hex SHA-1 of the bytes.
    public var hash: String

    /// The largest picture taken: clients expect small avatars (XEP-0153 suggests a few kilobytes), and it travels in
    /// every vCard request.
    public static let maximumBytes = 64 * 1024

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case tooLarge(Int)
        case notAnImage

        public var description: String {
            switch self {
            case .tooLarge(let size): "the avatar is \(size) bytes; at most \(Avatar.maximumBytes) are taken (a 96×96 PNG is a few kilobytes)"
            case .notAnImage: "the avatar is neither a PNG nor a JPEG image"
            }
        }
    }

    public init(bytes: [UInt8]) throws(Problem) {
        guard bytes.count <= Self.maximumBytes else { throw .tooLarge(bytes.count) }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            mimeType = "image/png"
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            mimeType = "image/jpeg"
        } else {
            throw .notAnImage
        }
        self.bytes = bytes
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = bytes.withUnsafeBytes { EVP_Digest($0.baseAddress, $0.count, &digest, &length, EVP_sha1(), nil) }
        hash = digest.prefix(Int(length)).map { ($0 < 0x10 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// The `<x xmlns='vcard-temp:x:update'><photo>HASH</photo></x>` presence carries.
    public var presenceUpdate: XMLElement {
        var x = XMLElement(name: "x", namespace: XMPPNamespace.vCardUpdate)
        x.append(XMLElement(name: "photo", namespace: XMPPNamespace.vCardUpdate, text: hash))
        return x
    }
}

/// A vCard (XEP-0054) with a full name, a nickname and an optional photo.
public enum VCard {
    public static func element(fullName: String, nickname: String, photo: Avatar?) -> XMLElement {
        let ns = XMPPNamespace.vCard
        var card = XMLElement(name: "vCard", namespace: ns)
        card.append(XMLElement(name: "FN", namespace: ns, text: fullName))
        card.append(XMLElement(name: "NICKNAME", namespace: ns, text: nickname))
        if let photo {
            var element = XMLElement(name: "PHOTO", namespace: ns)
            element.append(XMLElement(name: "TYPE", namespace: ns, text: photo.mimeType))
            element.append(XMLElement(name: "BINVAL", namespace: ns, text: Base64.encode(photo.bytes)))
            card.append(element)
        }
        return card
    }
}

/// Standard base64 (RFC 4648 §4) with padding, as vCard photos carry images.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let b0 = chunk[chunk.startIndex]
            let b1 = chunk.count > 1 ? chunk[chunk.startIndex + 1] : 0
            let b2 = chunk.count > 2 ? chunk[chunk.startIndex + 2] : 0
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            output.append(chunk.count > 1 ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            output.append(chunk.count > 2 ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
