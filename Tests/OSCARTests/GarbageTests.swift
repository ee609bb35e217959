import OSCAR
import Testing

/// Random bytes from a seeded generator must produce errors, never crashes.
@Suite("Garbage input")
struct GarbageTests {
    static let seeds: [UInt64] = [1, 2, 3, 0xDEAD_BEEF, 0x5EED]

    static func randomBytes(_ count: Int, using random: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
    }

    @Test(arguments: seeds)
    func `the FLAP decoder rejects or waits on random bytes`(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var rejected = 0
        for _ in 0..<500 {
            var decoder = FLAPDecoder()
            decoder.append(Self.randomBytes(Int.random(in: 1...64, using: &random), using: &random))
            do {
                while try decoder.next() != nil {}
            } catch {
                rejected += 1
            }
        }
        // Almost every random first byte is not 0x2A.
        #expect(rejected > 450)
    }

    @Test(arguments: seeds)
    func `every message decoder survives random bodies`(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var decoded = 0
        for _ in 0..<300 {
            let data = Self.randomBytes(Int.random(in: 0...48, using: &random), using: &random)
            let attempts: [() throws -> Void] = [
                { _ = try SNAC(decoding: data) },
                { _ = try [TLV].decode(data, format: .toEnd) },
                { _ = try [TLV].decode(data, format: .countPrefixed) },
                { _ = try [TLV].decode(data, format: .lengthPrefixed) },
                { _ = try BUCPKeyReply(snacData: data) },
                { _ = try BUCPLoginReply(snacData: data) },
                { _ = try BUCPLoginRequest(snacData: data) },
                { _ = try HostOnline(snacData: data) },
                { _ = try HostVersions(snacData: data) },
                { _ = try RateParametersReply(snacData: data) },
                { _ = try OwnInfoReply(snacData: data) },
                { _ = try ClientReady(snacData: data) },
                { _ = try ICBMIncomingMessage(snacData: data).body()?.text },
                { _ = try ICBMSendMessage(snacData: data) },
                { _ = try ICBMServerAck(snacData: data) },
                { _ = try ICBMParameters(snacData: data) },
                { _ = try BuddyArrived(snacData: data) },
                { _ = try SignOnPayload(decoding: data) },
                { _ = try SignOffPayload(decoding: data) },
                { _ = try ICBMMessageBody(decoding: data).text },
                { _ = HTMLText.plainText(fromHTML: MessageTextCoding.decode(data, charset: .ucs2BigEndian)) },
            ]
            for attempt in attempts {
                do {
                    try attempt()
                    decoded += 1
                } catch {
                    #expect(error is OSCARDecodingError)
                }
            }
        }
        #expect(decoded > 0)
    }

    @Test(arguments: seeds)
    func `a session fed random SNACs at every step never crashes`(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let families: [UInt16] = [0x01, 0x03, 0x04, 0x17]
        let subtypes: [UInt16] = [0x01, 0x02, 0x03, 0x06, 0x07, 0x0B, 0x0C, 0x0F, 0x17, 0x18]
        var server = ScriptedServer()
        var online = try ClientSessionTests.signedOn(server: &server)
        var fresh = ClientSession(configuration: ClientSessionTests.configuration)
        _ = fresh.received(server.hello())
        for _ in 0..<400 {
            var payload: [UInt8] = []
            payload.appendBigEndian(families.randomElement(using: &random) ?? 1)
            payload.appendBigEndian(subtypes.randomElement(using: &random) ?? 1)
            payload += Self.randomBytes(Int.random(in: 0...40, using: &random), using: &random)
            let frame = server.frame(.snac, payload)
            _ = online.received(frame)
            _ = fresh.received(frame)
        }
        // Whatever happened, the session ended in a defined state.
        #expect(online.state == .online || { if case .failed = online.state { true } else { false } }())
    }
}

extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xFF))
    }
}
