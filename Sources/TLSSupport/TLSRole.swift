import CRefdeskOpenSSL

/// Which end of the connection an ``OpenSSLHandler`` plays, with that end's setup.
///
/// The record layer is the same for both ends; only the context, the per-connection preparation and the wording
/// of failures differ, and those live here.
public enum TLSRole: Sendable {
    /// Connects to a server and verifies its certificate and name.
    case client(TLSClientContext)
    /// Accepts connections with a certificate and key.
    case server(TLSServerContext)

    func makeContext() throws(TLSError) -> OpaquePointer {
        switch self {
        case .client(let client): try client.makeContext()
        case .server(let server): try server.makeContext()
        }
    }

    /// Puts a new connection's `SSL` into the role's state (and, for a client, sets SNI and the expected name).
    func prepare(_ ssl: OpaquePointer) {
        switch self {
        case .client(let client):
            SSL_set_connect_state(ssl)
            client.prepare(ssl)
        case .server:
            SSL_set_accept_state(ssl)
        }
    }

    func setupFailure(_ detail: String) -> String {
        switch self {
        case .client(let client): client.setupFailure(detail)
        case .server: "cannot set up TLS for a connection: \(detail)"
        }
    }

    func handshakeFailure(_ ssl: OpaquePointer) -> String {
        switch self {
        case .client(let client): client.handshakeFailure(ssl)
        case .server: "TLS handshake failed: \(OpenSSLErrors.drain())"
        }
    }

    func readFailure() -> String {
        switch self {
        case .client(let client): "TLS error from \(client.host): \(OpenSSLErrors.drain())"
        case .server: "TLS error: \(OpenSSLErrors.drain())"
        }
    }

    func writeFailure() -> String {
        switch self {
        case .client(let client): "TLS write to \(client.host) failed: \(OpenSSLErrors.drain())"
        case .server: "TLS write failed: \(OpenSSLErrors.drain())"
        }
    }
}
