/// The fields of a request body, from JSON or from a form: LibraryH3lp accepted both, and so does refdesk.
///
/// Every value is text (JSON numbers and booleans are turned into their text), so one set of rules checks
/// both encodings, and a field that is not a scalar is refused with its name.
public struct RequestFields: Sendable, Equatable {
    public private(set) var values: [String: String]
    /// Fields sent as JSON numbers too large for any number type (their text in `values` would only say "inf").
    private var outOfRange: Set<String> = []
    /// Fields sent as JSON numbers or booleans, by what they were: text fields (names, accounts, passwords) must be
    /// strings, so `{"name": 5}` is refused rather than taken as the name "5".
    private var nonStrings: [String: String] = [:]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }

    /// Why a body could not be read; the message goes to the client as is.
    public struct Invalid: Error, Equatable, Sendable {
        public var message: String
        /// 400, or 415 for a body in a format the API does not read.
        public var status = 400

        public init(message: String, status: Int = 400) {
            self.message = message
            self.status = status
        }
    }

    /// Reads the body by its `Content-Type` (JSON, or a form when it is a form or says nothing and does not
    /// look like JSON), plus the query string, with body fields taking precedence.
    public init(request: AdminRequest) throws(Invalid) {
        var values: [String: String] = [:]
        for (name, value) in request.query where name != "_method" { values[name] = value }
        let contentType = (request.header("content-type") ?? "").lowercased()
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingSpaces() } ?? ""
        let body = request.body
        let isBlank = body.allSatisfy { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
        if isBlank {
            self.values = values
            return
        }
        var outOfRange: Set<String> = []
        var nonStrings: [String: String] = [:]
        let looksLikeJSON = body.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
        switch mediaType {
        case "application/json", "text/json":
            try Self.readJSON(body, into: &values, outOfRange: &outOfRange, nonStrings: &nonStrings)
        case "application/x-www-form-urlencoded":
            try Self.readForm(body, into: &values)
        case "", "text/plain":
            if looksLikeJSON {
                try Self.readJSON(body, into: &values, outOfRange: &outOfRange, nonStrings: &nonStrings)
            } else {
                try Self.readForm(body, into: &values)
            }
        default:
            throw Invalid(
                message: "Unsupported Content-Type \(mediaType); send application/json or application/x-www-form-urlencoded", status: 415
            )
        }
        self.values = values
        self.outOfRange = outOfRange
        self.nonStrings = nonStrings
    }

    private static func readJSON(
        _ body: [UInt8], into values: inout [String: String], outOfRange: inout Set<String>, nonStrings: inout [String: String]
    ) throws(Invalid) {
        let document: JSONValue
        do {
            document = try JSONValue(parsing: body)
        } catch {
            throw Invalid(message: "The body is not valid JSON: \(error)")
        }
        guard case .object(let members) = document else {
            throw Invalid(message: "The JSON body must be an object of fields")
        }
        for (name, value) in members {
            switch value {
            case .string(let text): values[name] = text
            case .integer(let number):
                values[name] = String(number)
                nonStrings[name] = "a number"
            case .number(let number):
                values[name] = "\(number)"
                nonStrings[name] = "a number"
                if !number.isFinite { outOfRange.insert(name) }
            case .bool(let flag):
                values[name] = flag ? "true" : "false"
                nonStrings[name] = "a boolean"
            case .null: values[name] = nil
            case .array, .object: throw Invalid(message: "Field \(name) must be a string, number or boolean")
            }
        }
    }

    private static func readForm(_ body: [UInt8], into values: inout [String: String]) throws(Invalid) {
        guard let text = String(validating: body, as: UTF8.self), let pairs = FormDecoding.decode(text) else {
            throw Invalid(message: "The form body is malformed (a bad %-escape or invalid UTF-8)")
        }
        for (name, value) in pairs where name != "_method" { values[name] = value }
    }

    public subscript(name: String) -> String? {
        values[name]
    }

    /// Refuses a text field that was sent as a JSON number or boolean.
    private func requireString(_ name: String) throws(Invalid) {
        if let kind = nonStrings[name] { throw Invalid(message: "Field \(name) must be a string, got \(kind)") }
    }

    /// A field that must be present and not blank; its text is trimmed of surrounding whitespace.
    public func required(_ name: String) throws(Invalid) -> String {
        guard let raw = values[name] else { throw Invalid(message: "Missing field \(name)") }
        try requireString(name)
        let value = raw.trimmingSpaces()
        guard !value.isEmpty else { throw Invalid(message: "Field \(name) is empty") }
        try Self.checkPrintable(value, name: name)
        return value
    }

    /// A field that may be absent; when present it is trimmed and checked like a required one.
    public func optional(_ name: String) throws(Invalid) -> String? {
        guard let raw = values[name] else { return nil }
        try requireString(name)
        let value = raw.trimmingSpaces()
        try Self.checkPrintable(value, name: name)
        return value
    }

    /// A secret is kept exactly as sent (spaces can be part of a password), but must not be empty.
    public func secret(_ name: String) throws(Invalid) -> String {
        guard let value = values[name], !value.isEmpty else { throw Invalid(message: "Missing field \(name)") }
        try requireString(name)
        guard !value.unicodeScalars.contains(where: { $0.value == 0 }) else { throw Invalid(message: "Field \(name) contains a NUL character") }
        return value
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off` from HTML forms).
    public func flag(_ name: String) throws(Invalid) -> Bool? {
        guard let raw = values[name] else { return nil }
        switch raw.trimmingSpaces().lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off", "": return false
        default: throw Invalid(message: "Field \(name) must be true or false, got \"\(raw)\"")
        }
    }

    /// A whole number within `range`.
    public func integer(_ name: String, in range: ClosedRange<Int>) throws(Invalid) -> Int? {
        guard let raw = values[name] else { return nil }
        guard !outOfRange.contains(name), let value = Int(raw.trimmingSpaces()), range.contains(value) else {
            let sent = outOfRange.contains(name) ? "a number too large" : "\"\(Self.excerpt(raw))\""
            throw Invalid(message: "Field \(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got \(sent)")
        }
        return value
    }

    /// At most the first 40 characters of `text`, marked as cut when longer, so an error quoting it stays short.
    static func excerpt(_ text: String) -> String {
        text.count <= 40 ? text : String(text.prefix(40)) + "… (\(text.count) characters)"
    }

    /// Control characters never belong in names, accounts or settings; refusing them keeps logs and tables sane.
    static func checkPrintable(_ value: String, name: String) throws(Invalid) {
        if value.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" || $0.value == 0x7F }) {
            throw Invalid(message: "Field \(name) contains control characters")
        }
        if value.unicodeScalars.count > 1000 {
            throw Invalid(message: "Field \(name) is longer than 1000 characters")
        }
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
