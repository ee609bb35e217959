import TLSSupport

/// Why TLS could not be set up or a TLS connection failed.
public struct TLSServerError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The server's certificate chain and private key, as PEM text held in memory.
///
/// Each connection builds its own OpenSSL context from these bytes (parsing a PEM key takes microseconds), so no
/// OpenSSL object is shared between event loops and nothing reads files once the server runs.
public struct TLSServerIdentity: Sendable {
    let context: TLSServerContext

    /// Checks that the certificate and key parse and belong together, so a mistake stops the router at start
    /// rather than failing every handshake.
    public init(certificatePEM: [UInt8], keyPEM: [UInt8]) throws(TLSServerError) {
        do {
            context = try TLSServerContext(certificatePEM: certificatePEM, keyPEM: keyPEM)
        } catch {
            throw TLSServerError(description: error.description)
        }
    }
}

/// Server-side TLS for the admin API: the shared OpenSSL handler in its server role.
typealias TLSServerHandler = OpenSSLHandler

extension OpenSSLHandler {
    convenience init(identity: TLSServerIdentity) throws(TLSServerError) {
        do {
            try self.init(role: .server(identity.context))
        } catch {
            throw TLSServerError(description: error.description)
        }
    }
}
