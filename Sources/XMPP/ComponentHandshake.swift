import CRefdeskOpenSSL

/// XEP-0114 component authentication: the stream header the component opens with and the
/// `<handshake>` it proves the shared secret with.
public enum ComponentHandshake {
    /// The handshake value: lowercase hex SHA-1 of the server's stream id followed by the shared
    /// secret. The secret itself never crosses the wire. Nil only if libcrypto cannot compute
    /// SHA-1 (a broken OpenSSL installation), which the session reports as a failure.
    public static func hash(streamID: String, secret: String) -> String? {
        let input = Array((streamID + secret).utf8)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let status = input.withUnsafeBytes { inputBytes in
            EVP_Digest(inputBytes.baseAddress, inputBytes.count, &digest, &length, EVP_sha1(), nil)
        }
        guard status == 1, length == 20 else { return nil }
        return digest.prefix(Int(length)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
    }

    /// The opening tag the component sends, addressed to the domain it serves:
    /// `<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='…'>`.
    public static func streamHeader(componentDomain: String) -> String {
        "<stream:stream xmlns='\(XMPPNamespace.component)' xmlns:stream='\(XMPPNamespace.streams)' to='"
            + XMLEscaping.escapeAttribute(componentDomain) + "'>"
    }

    /// The closing tag of the component's stream.
    public static let streamFooter = "</stream:stream>"

    /// The `<handshake>` element carrying the hash.
    public static func handshakeElement(hash: String) -> XMLElement {
        XMLElement(name: "handshake", namespace: XMPPNamespace.component, text: hash)
    }
}
