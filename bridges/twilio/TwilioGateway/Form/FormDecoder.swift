/// Decodes `application/x-www-form-urlencoded` bodies, the format of every Twilio webhook.
///
/// The decoder is deliberately strict: a body Twilio could not have produced (bad escapes,
/// bytes that are not UTF-8, NUL and other control characters, oversized fields, repeated
/// names) is refused with a `FormError` that says exactly what was wrong, rather than being
/// patched up into something that might then pass validation further down.
public struct FormDecoder: Sendable {
    /// How names that appear more than once are treated.
    public enum RepeatedNames: Sendable, Equatable {
        /// Every name is singular; a repeat is `FormError.duplicateName`. Right for webhooks.
        case reject
        /// Only the listed names may repeat (for example a list parameter).
        case allow(Set<String>)
        /// Any name may repeat; `FormFields.value(_:)` still refuses ambiguous reads.
        case allowAll
    }

    public var limits: FormLimits
    public var repeatedNames: RepeatedNames

    public init(limits: FormLimits = .webhook, repeatedNames: RepeatedNames = .reject) {
        self.limits = limits
        self.repeatedNames = repeatedNames
    }

    /// Decodes a body given as text.
    public func decode(_ body: String) throws(FormError) -> FormFields {
        try decode(bytes: Array(body.utf8))
    }

    /// Decodes a raw body as received from the network.
    public func decode(bytes body: [UInt8]) throws(FormError) -> FormFields {
        guard body.count <= limits.maximumBodyBytes else {
            throw .bodyTooLarge(size: body.count, limit: limits.maximumBodyBytes)
        }
        var pairs: [FormFields.Pair] = []
        var seen: Set<String> = []
        var start = 0
        while start <= body.count {
            var end = start
            while end < body.count, body[end] != ASCII.ampersand { end += 1 }
            if end > start {
                let index = pairs.count
                guard index < limits.maximumFieldCount else {
                    throw .tooManyFields(limit: limits.maximumFieldCount)
                }
                let pair = try decodeField(body, from: start, to: end, index: index)
                if seen.contains(pair.name), !mayRepeat(pair.name) {
                    throw .duplicateName(pair.name)
                }
                seen.insert(pair.name)
                pairs.append(pair)
            }
            start = end + 1
        }
        return FormFields(pairs: pairs)
    }

    private func mayRepeat(_ name: String) -> Bool {
        switch repeatedNames {
        case .reject: return false
        case let .allow(names): return names.contains(name)
        case .allowAll: return true
        }
    }

    private func decodeField(_ body: [UInt8], from start: Int, to end: Int, index: Int) throws(FormError) -> FormFields.Pair {
        var equals = start
        while equals < end, body[equals] != ASCII.equals { equals += 1 }
        let nameBytes = try Self.percentDecode(body, from: start, to: equals)
        guard nameBytes.count <= limits.maximumNameBytes else {
            throw .nameTooLong(fieldIndex: index, length: nameBytes.count, limit: limits.maximumNameBytes)
        }
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw .invalidUTF8(fieldIndex: index, part: .name)
        }
        guard !name.isEmpty else { throw .emptyName(fieldIndex: index) }
        if let bad = name.unicodeScalars.first(where: { Self.isControl($0, allowLineBreaks: false) }) {
            throw .controlCharacter(fieldIndex: index, part: .name, scalar: bad.value)
        }

        let valueBytes = equals < end ? try Self.percentDecode(body, from: equals + 1, to: end) : []
        guard valueBytes.count <= limits.maximumValueBytes else {
            throw .valueTooLong(name: name, length: valueBytes.count, limit: limits.maximumValueBytes)
        }
        guard let value = String(validating: valueBytes, as: UTF8.self) else {
            throw .invalidUTF8(fieldIndex: index, part: .value)
        }
        if let bad = value.unicodeScalars.first(where: { Self.isControl($0, allowLineBreaks: true) }) {
            throw .controlCharacter(fieldIndex: index, part: .value, scalar: bad.value)
        }
        return FormFields.Pair(name: name, value: value)
    }

    /// C0 controls, DEL and C1 controls. Values may hold tab, line feed and carriage return,
    /// because patrons send multi-line texts; names never do.
    static func isControl(_ scalar: Unicode.Scalar, allowLineBreaks: Bool) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return !allowLineBreaks
        case 0x00...0x1F, 0x7F...0x9F: return true
        default: return false
        }
    }

    static func percentDecode(_ body: [UInt8], from start: Int, to end: Int) throws(FormError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(end - start)
        var i = start
        while i < end {
            let byte = body[i]
            if byte == ASCII.plus {
                output.append(ASCII.space)
                i += 1
            } else if byte == ASCII.percent {
                if end - i - 1 < 2 {
                    let tail = body[(i + 1)..<end]
                    if tail.allSatisfy({ ASCII.hexValue($0) != nil }) {
                        throw .truncatedPercentEscape(offset: i)
                    }
                    throw .invalidPercentEscape(offset: i, escape: Self.describe(body[i..<end]))
                }
                guard let high = ASCII.hexValue(body[i + 1]), let low = ASCII.hexValue(body[i + 2]) else {
                    throw .invalidPercentEscape(offset: i, escape: Self.describe(body[i...(i + 2)]))
                }
                output.append(high << 4 | low)
                i += 3
            } else {
                output.append(byte)
                i += 1
            }
        }
        return output
    }

    /// Shows bytes of an escape readably in an error: printable ASCII as is, others as `\xNN`.
    private static func describe(_ bytes: ArraySlice<UInt8>) -> String {
        var text = ""
        for byte in bytes {
            if byte >= 0x21, byte < 0x7F {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                text += "\\x" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return text
    }
}

/// ASCII byte constants shared by the form codec.
enum ASCII {
    static let ampersand: UInt8 = 0x26
    static let equals: UInt8 = 0x3D
    static let plus: UInt8 = 0x2B
    static let percent: UInt8 = 0x25
    static let space: UInt8 = 0x20

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}
