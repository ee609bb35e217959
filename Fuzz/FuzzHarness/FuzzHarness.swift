import BridgeProtocol
import DaemonSupport
import OSCAR
import TimeZoneDatabase
import TwilioGateway
import XMPP

/// What one hostile input did to a decoder.
///
/// Every fuzz target and the regression tests call the same entry points, so an input that once
/// crashed a fuzzer is replayed through exactly the code that crashed.
public enum FuzzOutcome: Sendable, Equatable, CustomStringConvertible {
    /// The input was accepted; the text says what it decoded to (counts, not content).
    case value(String)
    /// The input was refused with this error message.
    case refused(String)
    /// An invariant of the decoder did not hold (for example a value it decoded could not be
    /// re-encoded and decoded again). Fuzz targets trap on this so libFuzzer keeps the input.
    case invariantBroken(String)

    public var description: String {
        switch self {
        case .value(let text): return "value: \(text)"
        case .refused(let text): return "refused: \(text)"
        case .invariantBroken(let text): return "invariant broken: \(text)"
        }
    }

    /// True unless an invariant was broken.
    public var isAcceptable: Bool {
        if case .invariantBroken = self { return false }
        return true
    }
}

/// Entry points that feed untrusted bytes to each boundary decoder.
///
/// Inputs are split into pieces whose sizes come from the input's first byte, so incremental
/// decoders are exercised at arbitrary split points as a transport would deliver them.
public enum FuzzHarness {
    /// The names of the fuzz targets, which are also the folder names under `Fuzz/corpus/` and
    /// `Fuzz/regressions/`.
    public static let targetNames = ["FuzzBridgeFrames", "FuzzXMPPStream", "FuzzOSCAR", "FuzzTwilioWebhook", "FuzzConfig", "FuzzTimeZone"]

    /// Runs the entry point of the target called `name`; nil for an unknown name.
    public static func run(target name: String, _ data: [UInt8]) -> FuzzOutcome? {
        switch name {
        case "FuzzBridgeFrames": return bridgeFrames(data)
        case "FuzzXMPPStream": return xmppStream(data)
        case "FuzzOSCAR": return oscar(data)
        case "FuzzTwilioWebhook": return twilioWebhook(data)
        case "FuzzConfig": return config(data)
        case "FuzzTimeZone": return timeZone(data)
        default: return nil
        }
    }

    /// Splits `data` after its first byte into pieces of 1...(first byte + 1) bytes.
    static func pieces(_ data: [UInt8]) -> (chunkSize: Int, body: ArraySlice<UInt8>) {
        guard let first = data.first else { return (1, data[...]) }
        return (Int(first) + 1, data.dropFirst())
    }

    // MARK: Bridge frames

    /// Feeds bytes to a ``BridgeFrameDecoder`` in pieces, then checks the end of the stream; every
    /// decoded message must survive an encode/decode round trip unchanged.
    public static func bridgeFrames(_ data: [UInt8]) -> FuzzOutcome {
        let (chunkSize, body) = pieces(data)
        var decoder = BridgeFrameDecoder(maximumFrameLength: 64 * 1024)
        var messages: [BridgeMessage] = []
        var start = body.startIndex
        do {
            while start < body.endIndex {
                let end = min(body.endIndex, start + chunkSize)
                decoder.append(body[start..<end])
                start = end
                while let message = try decoder.next() {
                    messages.append(message)
                }
            }
            try decoder.checkEndOfStream()
        } catch {
            return .refused(error.reason)
        }
        for message in messages {
            var again = BridgeFrameDecoder(maximumFrameLength: Int.max)
            again.append(BridgeFrameEncoder.encode(message))
            do {
                guard let decoded = try again.next(), decoded == message else {
                    return .invariantBroken("a decoded message did not survive re-encoding: \(message)")
                }
            } catch {
                return .invariantBroken("a decoded message re-encoded to a bad frame: \(error.reason)")
            }
        }
        return .value("\(messages.count) messages")
    }

    // MARK: XMPP

    /// Feeds bytes to an ``XMPPStreamParser`` in pieces and parses every stanza it reports.
    public static func xmppStream(_ data: [UInt8]) -> FuzzOutcome {
        let (chunkSize, body) = pieces(data)
        var parser = XMPPStreamParser(limits: XMPPStreamLimits(maximumStanzaBytes: 16 * 1024, maximumDepth: 16))
        var stanzas = 0
        var refusedStanzas = 0
        var start = body.startIndex
        do {
            while start < body.endIndex {
                let end = min(body.endIndex, start + chunkSize)
                let events = try parser.feed(Array(body[start..<end]))
                start = end
                for case .stanza(let element) in events {
                    stanzas += 1
                    do {
                        _ = try IncomingStanza(element: element)
                    } catch {
                        refusedStanzas += 1
                    }
                }
            }
        } catch {
            return .refused(String(describing: error))
        }
        return .value("\(stanzas) stanzas, \(refusedStanzas) refused")
    }

    // MARK: OSCAR

    /// Feeds bytes to a ``FLAPDecoder`` in pieces; each frame's payload goes through the SNAC
    /// header decoder, every SNAC body type, the sign-on/off payloads and the three TLV list layouts.
    public static func oscar(_ data: [UInt8]) -> FuzzOutcome {
        let (chunkSize, body) = pieces(data)
        var decoder = FLAPDecoder()
        var frames = 0
        var decoded = 0
        var start = body.startIndex
        do {
            while start < body.endIndex {
                let end = min(body.endIndex, start + chunkSize)
                decoder.append(body[start..<end])
                start = end
                while let frame = try decoder.next() {
                    frames += 1
                    decoded += decodePayload(frame.payload)
                }
            }
        } catch {
            // A bad FLAP header ends the connection; the rest of the input still exercises the
            // payload decoders directly, as if it had arrived inside a frame.
            return .refused("\(error) (payload decoders accepted \(decodePayload(Array(body))) parts)")
        }
        return .value("\(frames) frames, \(decoded) parts decoded")
    }

    /// Runs every payload decoder over `payload`; returns how many accepted it.
    static func decodePayload(_ payload: [UInt8]) -> Int {
        var accepted = 0
        for format in [TLVListFormat.countPrefixed, .lengthPrefixed, .toEnd] {
            if (try? [TLV].decode(payload, format: format)) != nil { accepted += 1 }
        }
        if (try? SignOnPayload(decoding: payload)) != nil { accepted += 1 }
        if (try? SignOffPayload(decoding: payload)) != nil { accepted += 1 }
        guard let snac = try? SNAC(decoding: payload) else { return accepted }
        accepted += 1
        if (try? snac.errorReply()) != nil { accepted += 1 }
        let types: [any SNACMessage.Type] = [
            HostOnline.self, MessageOfTheDay.self, OwnInfoReply.self, ClientReady.self, LocateSetInfo.self,
            BUCPKeyRequest.self, BUCPKeyReply.self, BUCPLoginRequest.self, BUCPLoginReply.self,
            ICBMParameters.self, ICBMSendMessage.self, ICBMIncomingMessage.self, ICBMServerAck.self,
            RateParametersReply.self, RateParametersAck.self, BuddyAdd.self, HostVersions.self, ClientVersions.self,
            ICBMTypingNotification.self, ICBMParametersReply.self, RateChangeNotice.self,
        ]
        for type in types {
            if decodeBody(snac.data, as: type) { accepted += 1 }
        }
        if let incoming = try? ICBMIncomingMessage(snacData: snac.data), let body = try? incoming.body() {
            accepted += 1
            // The text's HTML is hostile input too: tags, attributes and character references.
            _ = HTMLText.plainText(fromHTML: body.text)
        }
        // The payload as text: the HTML reader and the reply layout must take any of it.
        let text = String(decoding: payload, as: UTF8.self)
        _ = HTMLText.plainText(fromHTML: text)
        if payload.count <= 2048 {
            _ = IMLayout(maximumTextBytes: 128 + Int(payload.first ?? 0)).pieces(of: text)
        }
        return accepted
    }

    private static func decodeBody<Message: SNACMessage>(_ data: [UInt8], as type: Message.Type) -> Bool {
        (try? Message(snacData: data)) != nil
    }

    // MARK: Twilio webhooks

    /// Decodes bytes as a webhook form body, checks its signature against a fixed token, and parses
    /// it as an inbound SMS and as a status callback.
    public static func twilioWebhook(_ data: [UInt8]) -> FuzzOutcome {
        let account = "AC00000000000000000000000000000000"
        let url = "https://sms.example.org/twilio/sms"
        let verifier = WebhookVerifier(maximumBodyBytes: 64 * 1024, authTokens: [account: "fuzz-token"])
        let fields: FormFields
        do {
            fields = try FormDecoder().decode(bytes: data)
        } catch {
            return .refused(error.description)
        }
        let signature = (try? fields.value("FuzzSignature")) ?? nil
        let signatureResult: String
        do {
            _ = try verifier.verify(body: data, signature: signature, url: url)
            signatureResult = "signature valid"
        } catch {
            signatureResult = error.description
        }
        _ = TwilioSignature.isValid(signature: signature ?? "", url: url, fields: fields, authToken: "fuzz-token")
        do {
            let sms = try InboundSMS(fields: fields)
            _ = E164Number(sms.from.description)
            return .value("inbound SMS with \(sms.media.count) media; \(signatureResult)")
        } catch {
            do {
                _ = try StatusCallback(fields: fields)
                return .value("status callback; \(signatureResult)")
            } catch let statusError {
                return .refused("\(error); \(statusError); \(signatureResult)")
            }
        }
    }

    // MARK: Configuration

    /// Parses bytes as a configuration file and reads it the way a daemon does: typed reads of
    /// common keys, `[[entries]]`, then the unknown-key check.
    public static func config(_ data: [UInt8]) -> FuzzOutcome {
        let document: ConfigDocument
        do {
            document = try ConfigDocument(parsing: data, source: "fuzz.toml")
        } catch {
            return .refused(error.description)
        }
        var reader = ConfigReader(document)
        do {
            _ = try reader.string("bridge.socket")
            _ = try reader.int("bridge.spool_limit", in: 0...1_000_000, default: 10)
            _ = try reader.bool("log.debug", default: false)
            _ = try reader.strings("xmpp.admins", default: [])
            _ = try reader.duration("bridge.timeout", default: .seconds(5))
            _ = try reader.fileMode("bridge.mode", default: 0o660)
            for var entry in try reader.tables("gateway") {
                _ = try entry.string("name")
                try entry.rejectUnknownKeys()
            }
            try reader.rejectUnknownKeys()
        } catch {
            return .refused(error.description)
        }
        _ = document.value(at: "bridge.socket")
        return .value("configuration read")
    }

    // MARK: Time zones

    /// Parses bytes as a TZif file and, separately, as a POSIX TZ string, then evaluates whatever
    /// parsed at instants across its whole range: both transition lists and footers must answer
    /// for every `Int64`. A TZ rule repeats every 400 years and has at most two offsets.
    public static func timeZone(_ data: [UInt8]) -> FuzzOutcome {
        var results: [String] = []
        var refusals: [String] = []
        do {
            let rules = try ZoneRules(parsing: data)
            var instants: [Int64] = [.min, .min + 1, -1, 0, 1, .max - 1, .max]
            instants += stride(from: Int64(-2_208_988_800), through: 4_102_444_800, by: 7_776_000)
            let offsets = instants.map { rules.offset(atUnixTime: $0) }
            results.append("TZif with \(rules), \(Set(offsets).count) offsets seen")
        } catch {
            refusals.append(error.message)
        }
        let text = String(decoding: data.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        do {
            let rule = try POSIXTimeZoneRule(parsing: text)
            if let broken = checkPOSIXRule(rule) { return .invariantBroken("TZ string \"\(text)\": \(broken)") }
            results.append("TZ string")
        } catch {
            refusals.append(error.message)
        }
        return results.isEmpty ? .refused(refusals.joined(separator: "; ")) : .value(results.joined(separator: "; "))
    }

    /// Checks a POSIX TZ rule's invariants at instants across two centuries and at the ends of `Int64`.
    static func checkPOSIXRule(_ rule: POSIXTimeZoneRule) -> String? {
        let cycle: Int64 = 146_097 * 86_400
        var seen: Set<Int64> = [rule.offset(atUnixTime: .min), rule.offset(atUnixTime: .max)]
        for instant in stride(from: Int64(-2_208_988_800), through: 4_102_444_800, by: 86_400 * 17 + 3_601) {
            let offset = rule.offset(atUnixTime: instant)
            seen.insert(offset)
            guard rule.offset(atUnixTime: instant + cycle) == offset, rule.offset(atUnixTime: instant - cycle) == offset else {
                return "the offset at \(instant) differs 400 years later or earlier"
            }
        }
        guard seen.count <= 2 else { return "more than two offsets: \(seen.sorted())" }
        return nil
    }
}
