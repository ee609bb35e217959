/// What the I/O layer must do after feeding the session an event.
public enum ClientSessionAction: Sendable, Hashable {
    /// Write this frame to the current connection.
    case send(FLAPFrame)
    /// Stop reading the authorization connection, close it, and connect to the BOS server;
    /// report the outcome with `connectionEstablished()` or `connectionClosed()`.
    case connectBOS(host: String, port: Int, cookie: [UInt8])
    /// The session is signed on and will now receive IMs.
    case online
    /// Pass an IM on. `text` is plain text (HTML removed); `sentAt` is seconds since 1970
    /// for stored messages; `offline` marks messages stored while this client was away
    /// (those carrying a send time), which the bridge may want to label as late. `cookie` is
    /// the sender's ICBM cookie: with the sender it identifies the message, so a redelivery
    /// (stored messages fetched again after a lost connection) can be recognised.
    case deliverIncoming(cookie: UInt64, from: ScreenName, text: String, sentAt: UInt32?, offline: Bool)
    /// A server's notice (``SystemNotice``): "You just received 2 IM(s) while you were offline…". Not a person's
    /// IM, so not a conversation; `text` is plain text.
    case deliverNotice(from: ScreenName, text: String)
    /// Someone the session talks to started or stopped typing (0x04/0x14).
    case typingReceived(from: ScreenName, event: TypingEvent)
    /// The rate classes arrived; pace sends with a `RateBook` made from them.
    case rateLimitsReceived(RateParametersReply)
    /// The server's standing in a rate class changed (alert, limited, clear); the notice carries its level.
    case rateChanged(RateChangeNotice)
    /// The server's ICBM parameters arrived: `maximumMessageLength` is the longest message text it takes.
    case messageLimitReceived(maximumMessageLength: Int)
    /// The server accepted the IM sent with this cookie.
    case messageAccepted(cookie: UInt64)
    /// The server refused the IM sent with this cookie (nil if it could not be matched),
    /// e.g. `SNACError.recipientNotLoggedIn`.
    case messageRejected(cookie: UInt64?, error: SNACError)
    /// A watched screen name came online or changed state.
    case buddyOnline(ScreenName)
    /// A watched screen name went offline.
    case buddyOffline(ScreenName)
    /// A SNAC that should have been understood was malformed and was skipped; the session
    /// carries on because one bad message must not cost every patron their chat.
    case discardedMalformed(family: UInt16, subtype: UInt16, error: OSCARDecodingError)
    /// The session is over; close the connection. Reconnect later only if `retryable`, and
    /// then with capped backoff since servers limit logins per address.
    case failed(SessionFailure, retryable: Bool)
}
