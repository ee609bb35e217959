import XMPP

/// Feeding helpers: the same bytes delivered whole, byte by byte, or in random pieces.
enum ParserHarness {
    /// Feeds `bytes` in pieces of the given sizes (the last piece takes the rest).
    static func events(_ bytes: [UInt8], pieces sizes: [Int], limits: XMPPStreamLimits = XMPPStreamLimits()) throws -> [XMPPStreamEvent] {
        var parser = XMPPStreamParser(limits: limits)
        var events: [XMPPStreamEvent] = []
        var start = 0
        for size in sizes where start < bytes.count {
            let end = min(start + size, bytes.count)
            events += try parser.feed(Array(bytes[start..<end]))
            start = end
        }
        if start < bytes.count {
            events += try parser.feed(Array(bytes[start...]))
        }
        return events
    }

    static func eventsWhole(_ text: String, limits: XMPPStreamLimits = XMPPStreamLimits()) throws -> [XMPPStreamEvent] {
        try events(Array(text.utf8), pieces: [], limits: limits)
    }

    static func eventsByteByByte(_ text: String) throws -> [XMPPStreamEvent] {
        let bytes = Array(text.utf8)
        return try events(bytes, pieces: Array(repeating: 1, count: bytes.count))
    }

    static func eventsInRandomPieces(_ text: String, seed: UInt64, maximumPiece: Int = 64) throws -> [XMPPStreamEvent] {
        let bytes = Array(text.utf8)
        var generator = SeededGenerator(seed: seed)
        var sizes: [Int] = []
        var covered = 0
        while covered < bytes.count {
            let size = Int.random(in: 1...maximumPiece, using: &generator)
            sizes.append(size)
            covered += size
        }
        return try events(bytes, pieces: sizes)
    }

    /// The error the parser throws for `bytes` fed whole, or nil when it accepts them.
    static func error(_ bytes: [UInt8], pieces sizes: [Int] = [], limits: XMPPStreamLimits = XMPPStreamLimits()) -> XMPPStreamError? {
        do {
            _ = try events(bytes, pieces: sizes, limits: limits)
            return nil
        } catch let error as XMPPStreamError {
            return error
        } catch {
            return nil
        }
    }

    static func stanzas(_ events: [XMPPStreamEvent]) -> [XMLElement] {
        events.compactMap { event in
            if case .stanza(let element) = event { return element }
            return nil
        }
    }
}
