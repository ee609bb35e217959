/// The character set a text travels in over SMS, which decides how much fits in a segment.
///
/// A text made only of GSM 03.38 characters is sent as 7-bit GSM (160 per single segment,
/// 153 per segment of a multi-part message, characters of the extension table such as `€`
/// or `{` counting twice); one character outside it makes the whole text UCS-2 (70, or 67
/// per part, characters beyond the BMP counting twice). Carriers bill and Twilio paces per
/// segment, so the pacer needs the segment count rather than the character count.
public enum SMSEncoding: Sendable, Equatable {
    case gsm7
    case ucs2

    /// The encoding Twilio will use for `text` (without smart-encoding substitutions).
    public static func of(_ text: String) -> SMSEncoding {
        text.unicodeScalars.allSatisfy { GSM7.septets($0) != nil } ? .gsm7 : .ucs2
    }

    /// How many units fit in a message of one segment.
    public var singleSegmentCapacity: Int { self == .gsm7 ? 160 : 70 }
    /// How many units fit in each segment of a multi-part message (the rest is its header).
    public var multipartSegmentCapacity: Int { self == .gsm7 ? 153 : 67 }
}

/// The segment count of a text, and how it was reached.
public struct SegmentCount: Sendable, Equatable {
    public let encoding: SMSEncoding
    /// Septets for GSM-7, UTF-16 code units for UCS-2.
    public let units: Int
    public let segments: Int

    /// Counts the segments Twilio will send `text` in. An empty text still costs one.
    public init(_ text: String) {
        let encoding = SMSEncoding.of(text)
        let widths: [Int] = switch encoding {
        case .gsm7: text.unicodeScalars.map { GSM7.septets($0) ?? 2 }
        case .ucs2: text.unicodeScalars.map { $0.utf16.count }
        }
        let units = widths.reduce(0, +)
        self.encoding = encoding
        self.units = units
        if units <= encoding.singleSegmentCapacity {
            segments = 1
            return
        }
        // A character is never split between parts: one that does not fit opens the next part.
        let capacity = encoding.multipartSegmentCapacity
        var count = 1
        var used = 0
        for width in widths {
            if used + width > capacity {
                count += 1
                used = 0
            }
            used += width
        }
        segments = count
    }
}

/// The GSM 03.38 default alphabet and its extension table.
enum GSM7 {
    /// 1 for a basic character, 2 for an extension character (escape + code), nil if absent.
    static func septets(_ scalar: Unicode.Scalar) -> Int? {
        if basic.contains(scalar) { return 1 }
        if extensionTable.contains(scalar) { return 2 }
        return nil
    }

    private static let basic: Set<Unicode.Scalar> = {
        var set = Set<Unicode.Scalar>()
        let ranges: [ClosedRange<UInt32>] = [0x20...0x23, 0x25...0x3F, 0x41...0x5A, 0x61...0x7A]
        for range in ranges {
            for value in range {
                if let scalar = Unicode.Scalar(value) { set.insert(scalar) }
            }
        }
        // Everything else of the basic table, GSM positions 0x00-0x7F outside plain ASCII.
        let others = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà"
        set.formUnion(others.unicodeScalars)
        return set
    }()

    private static let extensionTable: Set<Unicode.Scalar> = Set("\u{0C}^{}\\[~]|€".unicodeScalars)
}
