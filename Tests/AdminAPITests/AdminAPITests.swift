import Foundation
import Testing

@testable import AdminAPI

@Suite("Routing table")
struct RoutingTests {
    static let p = AdminRoute.prefix

    @Test(
        "LibraryH3lp's gateway paths resolve to their operations",
        arguments: [
            ("GET", "/\(p)/queues/ask/gateways", AdminRoute.listGateways(queue: "ask")),
            ("POST", "/\(p)/queues/9347/gateways", .addGateway(queue: "9347")),
            ("DELETE", "/\(p)/queues/ask/gateways/aim/myusername%40aol.com", .deleteGatewayByAccount(queue: "ask", protocolName: "aim", username: "myusername@aol.com")),
            ("DELETE", "/\(p)/queues/ask/gateways/8724", .deleteGatewayByID(queue: "ask", id: 8724)),
            ("GET", "/presence/ask.txt", .presence(queue: "ask", plainText: true)),
            ("GET", "/presence/ask", .presence(queue: "ask", plainText: false)),
            ("POST", "/\(p)/auth/login", .login),
            ("DELETE", "/\(p)/users/olive/staffing/olive%40example.org", .removeStaffing(user: "olive", jid: "olive@example.org")),
            ("GET", "/\(p)/queues/ask/gateways/8724", .showGateway(queue: "ask", gateway: .id(8724))),
            ("PUT", "/\(p)/queues/ask/gateways/8724", .updateGateway(queue: "ask", gateway: .id(8724))),
            ("PUT", "/\(p)/queues/ask/gateways/aim/desk%40aol.com", .updateGateway(queue: "ask", gateway: .account(protocolName: "aim", username: "desk@aol.com"))),
            ("GET", "/\(p)/gateways", .gatewayStates),
            ("GET", "/\(p)/status", .status),
        ]
    )
    func resolves(method: String, path: String, route: AdminRoute) {
        let request = AdminRequest(method: method, target: path, headers: [])
        #expect(AdminRoute.resolve(method: method, segments: request.pathSegments) == .route(route))
    }

    @Test("A wrong method names the allowed ones; an unknown path is not found; a bad escape is a bad path")
    func refusals() {
        #expect(AdminRoute.resolve(method: "PUT", segments: [Self.p, "queues", "ask", "gateways"]) == .methodNotAllowed(allowed: ["GET", "POST"]))
        #expect(AdminRoute.resolve(method: "GET", segments: [Self.p, "nothing"]) == .notFound)
        #expect(AdminRoute.resolve(method: "DELETE", segments: [Self.p, "queues", "ask", "gateways", "0"]) == .notFound)
        #expect(AdminRequest(method: "GET", target: "/queues/%zz", headers: []).pathSegments == nil)
    }

    @Test("POST with _method=DELETE in the query, a form or JSON counts as DELETE; other overrides do not")
    func methodOverride() {
        #expect(AdminRoute.effectiveMethod(of: AdminRequest(method: "POST", target: "/x?_method=DELETE", headers: [])) == "DELETE")
        let form = AdminRequest(method: "POST", target: "/x", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array("_method=delete".utf8))
        #expect(AdminRoute.effectiveMethod(of: form) == "DELETE")
        let json = AdminRequest(method: "POST", target: "/x", headers: [("Content-Type", "application/json")], body: Array(#"{"_method": "DELETE"}"#.utf8))
        #expect(AdminRoute.effectiveMethod(of: json) == "DELETE")
        #expect(AdminRoute.effectiveMethod(of: AdminRequest(method: "POST", target: "/x?_method=GET", headers: [])) == "POST")
        #expect(AdminRoute.effectiveMethod(of: AdminRequest(method: "GET", target: "/x?_method=DELETE", headers: [])) == "GET")
    }
}

@Suite("Request bodies")
struct BodyTests {
    func fields(_ body: String, type: String?) throws -> RequestFields {
        try RequestFields(request: AdminRequest(method: "POST", target: "/x", headers: type.map { [("Content-Type", $0)] } ?? [], body: Array(body.utf8)))
    }

    @Test("JSON and form bodies give the same fields")
    func bothEncodings() throws {
        let json = try fields(#"{"username": "me@aol.com", "password": "p w", "protocol": "aim", "limit": 3, "on": true}"#, type: "application/json")
        let form = try fields("username=me%40aol.com&password=p+w&protocol=aim&limit=3&on=true", type: "application/x-www-form-urlencoded")
        #expect(json.values == form.values)
        #expect(try json.integer("limit", in: 0...5) == form.integer("limit", in: 0...5))
        #expect(try json.flag("on") == form.flag("on"))
        #expect(try fields(#"{"a": "b"}"#, type: nil)["a"] == "b")
    }

    @Test("Malformed bodies are refused with what is wrong")
    func malformed() {
        #expect(throws: RequestFields.Invalid.self) { try fields(#"{"a": "#, type: "application/json") }
        #expect(throws: RequestFields.Invalid.self) { try fields(#"{"a": {"b": 1}}"#, type: "application/json") }
        #expect(throws: RequestFields.Invalid.self) { try fields("a=%zz", type: "application/x-www-form-urlencoded") }
        #expect(throws: RequestFields.Invalid(message: "Unsupported Content-Type text/xml; send application/json or application/x-www-form-urlencoded", status: 415)) {
            try fields("<a/>", type: "text/xml")
        }
        #expect(throws: RequestFields.Invalid(message: "Missing field username")) { try RequestFields().required("username") }
        #expect(throws: RequestFields.Invalid(message: "Field name contains control characters")) { try RequestFields(["name": "a\u{1}b"]).required("name") }
    }

    @Test("A number out of range is refused quoting a short excerpt of what was sent, never the \"inf\" it parses to")
    func numbersOutOfRange() throws {
        let huge = String(repeating: "9", count: 400)
        #expect(throws: RequestFields.Invalid(message: "Field chatLimit must be a whole number from 0 to 1000, got a number too large")) {
            try fields(#"{"chatLimit": \#(huge)}"#, type: "application/json").integer("chatLimit", in: 0...1000)
        }
        #expect(throws: RequestFields.Invalid(message: "Field chatLimit must be a whole number from 0 to 1000, got \"\(huge.prefix(40))… (400 characters)\"")) {
            try fields("chatLimit=\(huge)", type: "application/x-www-form-urlencoded").integer("chatLimit", in: 0...1000)
        }
        #expect(throws: RequestFields.Invalid(message: "Field chatLimit must be a whole number from 0 to 1000, got \"1001\"")) {
            try fields(#"{"chatLimit": 1001}"#, type: "application/json").integer("chatLimit", in: 0...1000)
        }
        #expect(try fields(#"{"chatLimit": 12}"#, type: "application/json").integer("chatLimit", in: 0...1000) == 12)
    }

    @Test("JSON is written with LibraryH3lp's separators and ASCII escapes, and parsed back")
    func jsonRoundTrip() throws {
        let value = JSONValue.object([("id", .integer(5915)), ("queue", .string("café \"q\"\n")), ("password", .null), ("ok", .bool(true))])
        #expect(value.serialized == #"{"id": 5915, "queue": "caf\u00e9 \"q\"\n", "password": null, "ok": true}"#)
        #expect(try JSONValue(parsing: Array(value.serialized.utf8)) == value)
        #expect(try JSONValue(parsing: Array(#""\ud83d\ude00""#.utf8)) == .string("😀"))
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: Array(String(repeating: "[", count: 100).utf8)) }
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: Array(#""\udc00""#.utf8)) }
    }
}

@Suite("Passwords, sessions and the login throttle")
struct AuthTests {
    @Test("PBKDF2-HMAC-SHA256 matches RFC 7914's test vector")
    func pbkdf2Vector() {
        // RFC 7914 section 11: P = "passwd", S = "salt", c = 1, dkLen = 64.
        let derived = PasswordHasher.derive("passwd", salt: Array("salt".utf8), iterations: 1, length: 64)
        #expect(derived.map(Hex.encode) == "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }

    @Test("A hash verifies its password only; malformed or weak hashes never match")
    func hashAndVerify() {
        let stored = PasswordHasher.hash("correct horse battery", iterations: 1_000)
        #expect(stored.hasPrefix("pbkdf2-sha256$1000$"))
        #expect(PasswordHasher.verify("correct horse battery", against: stored))
        #expect(!PasswordHasher.verify("correct horse batterY", against: stored))
        #expect(PasswordHasher.hash("same", iterations: 1_000) != PasswordHasher.hash("same", iterations: 1_000), "salts differ")
        #expect(!PasswordHasher.verify("x", against: nil))
        #expect(!PasswordHasher.verify("x", against: "pbkdf2-sha256$1$00$00"))
        #expect(!PasswordHasher.verify("x", against: "md5$whatever"))
        #expect(PasswordHasher.constantTimeEqual([1, 2, 3], [1, 2, 3]) && !PasswordHasher.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(throws: PasswordHasher.Refusal.self) { try PasswordHasher.checkStrength("short") }
    }

    @Test("Sessions expire, and end on logout or for every session of a user")
    func sessions() {
        var table = SessionTable(lifetime: 1_000)
        let token = table.open(user: "root", at: 0)
        let other = table.open(user: "root", at: 0)
        #expect(token.count == 64 && token != other)
        #expect(table.user(for: token, at: 999) == "root")
        #expect(table.user(for: token, at: 1_000) == nil)
        let fresh = table.open(user: "root", at: 2_000)
        table.closeAll(of: "root", except: fresh)
        #expect(table.user(for: fresh, at: 2_001) == "root")
        table.close(fresh)
        #expect(table.user(for: fresh, at: 2_001) == nil)
    }

    @Test("Five failures lock an account for the window; twenty lock an address")
    func throttle() {
        var throttle = LoginThrottle(policy: .init(window: 60_000, perAccount: 5, perAddress: 20))
        for time in 0..<5 { throttle.recordFailure(account: "Root", address: "10.0.0.1", at: Int64(time)) }
        #expect(throttle.check(account: "root", address: "10.0.0.2", at: 10) == .account(retryAfter: 59_990))
        #expect(throttle.check(account: "olive", address: "10.0.0.1", at: 10) == nil)
        #expect(throttle.check(account: "root", address: "10.0.0.1", at: 60_001) == nil)
        for index in 0..<20 { throttle.recordFailure(account: "user\(index)", address: "10.0.0.9", at: 70_000) }
        #expect(throttle.check(account: "anyone", address: "10.0.0.9", at: 70_001) == .address(retryAfter: 59_999))
    }

    @Test("The session cookie is HttpOnly and SameSite=Strict, and Secure when it was set over HTTPS")
    func cookie() {
        #expect(SessionCookie.set("abc", maxAge: 60, secure: true) == "refdesk_session=abc; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Strict")
        #expect(SessionCookie.set("abc", maxAge: 60, secure: false) == "refdesk_session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Strict")
        #expect(SessionCookie.clear(secure: false) == "refdesk_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict")
        let request = AdminRequest(method: "GET", target: "/", headers: [("Cookie", "a=1; refdesk_session=tok; b=2")])
        #expect(request.cookie("refdesk_session") == "tok")
    }

    @Test("Dates in filters are whole UTC days; times are ISO 8601")
    func civilTime() {
        #expect(CivilTime.parseDate("2024-05-01") == 1_714_521_600_000)
        #expect(CivilTime.parseDate("2024-02-30") == nil && CivilTime.parseDate("24-5-1") == nil)
        #expect(CivilTime.iso8601(1_714_525_200_000) == "2024-05-01T01:00:00Z")
    }

    @Test("Cleartext listeners are allowed on loopback only")
    func loopback() {
        #expect(AdminServerSettings.isLoopback("127.0.0.1") && AdminServerSettings.isLoopback("::1") && AdminServerSettings.isLoopback("127.1.2.3"))
        #expect(!AdminServerSettings.isLoopback("0.0.0.0") && !AdminServerSettings.isLoopback("10.0.0.1") && !AdminServerSettings.isLoopback("::"))
        let settings = AdminServerSettings(listeners: [.init(host: "0.0.0.0", port: 80, tls: false)], identity: nil)
        #expect(throws: TLSServerError.self) { try settings.validate() }
    }
}


@Suite("The OpenAPI document")
struct OpenAPIDocumentTests {
    /// `docs/admin-api.openapi.yaml`, found from this file's place in the repository.
    static func document() throws -> String {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]) }
        return try String(contentsOfFile: path + "/docs/admin-api.openapi.yaml", encoding: .utf8)
    }

    /// The operations the document lists: each `  /path:` line under `paths:`, then its `    method:` lines.
    static func documentedOperations() throws -> Set<String> {
        var operations: Set<String> = []
        var inPaths = false
        var path: String?
        for line in try document().split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, let first = line.first, first != " " { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.dropFirst(4).dropLast()
                if ["get", "put", "post", "delete", "options", "patch", "head"].contains(method) {
                    operations.insert("\(method.uppercased()) \(path)")
                }
            }
        }
        return operations
    }

    @Test("Every operation the router serves is in the document, and nothing else")
    func sameOperations() throws {
        let served = Set((AdminRoute.templates + ConsoleRoute.templates).map { "\($0.method) \($0.path)" })
        let documented = try Self.documentedOperations()
        #expect(served.subtracting(documented).isEmpty, "served but not documented")
        #expect(documented.subtracting(served).isEmpty, "documented but not served")
        #expect(served.count == AdminRoute.templates.count + ConsoleRoute.templates.count, "no operation is listed twice")
    }

    @Test("Every template resolves to an operation with its method, and other methods on it are refused with Allow")
    func templatesResolve() throws {
        let samples = ["{QueueId}": "ask", "{GatewayId}": "7", "{ProtocolName}": "aim", "{Username}": "desk%40aol.com", "{User}": "olive",
                       "{Jid}": "olive%40example.org", "{Queue}": "ask", "{ChatId}": "3"]
        for (method, template) in AdminRoute.templates {
            var path = template
            for (name, value) in samples { path = path.replacingOccurrences(of: name, with: value) }
            let segments = AdminRequest(method: method, target: path, headers: []).pathSegments
            guard case .route = AdminRoute.resolve(method: method, segments: segments) else {
                Issue.record("\(method) \(template) does not resolve")
                continue
            }
            let allowed = AdminRoute.templates.filter { $0.path == template }.map(\.method)
            if case .methodNotAllowed(let answer) = AdminRoute.resolve(method: "PATCH", segments: segments) {
                #expect(Set(answer) == Set(allowed), "\(template)")
            } else {
                Issue.record("PATCH \(template) is not refused")
            }
        }
    }
}

@Suite("Field rules")
struct FieldRuleTests {
    @Test("A queue name may not be all digits (it would read as a queue id); digits with a letter are fine")
    func allDigitQueueNames() throws {
        #expect(throws: RequestFields.Invalid.self) { try AdminService.checkQueueName("1") }
        #expect(throws: RequestFields.Invalid.self) { try AdminService.checkQueueName("9347") }
        try AdminService.checkQueueName("24x7")
        try AdminService.checkQueueName("ask")
    }

    @Test("Text fields must be JSON strings: a number or boolean is refused with the field's name; counts and flags take them")
    func textFieldsAreStrings() throws {
        let request = AdminRequest(
            method: "POST", target: "/x", headers: [("Content-Type", "application/json")],
            body: Array(#"{"name": 5, "jid": true, "chatLimit": 3, "keepsTranscripts": false, "password": 12345678901}"#.utf8)
        )
        let fields = try RequestFields(request: request)
        #expect(throws: RequestFields.Invalid(message: "Field name must be a string, got a number")) { try fields.required("name") }
        #expect(throws: RequestFields.Invalid(message: "Field jid must be a string, got a boolean")) { try fields.optional("jid") }
        #expect(throws: RequestFields.Invalid(message: "Field password must be a string, got a number")) { try fields.secret("password") }
        #expect(try fields.integer("chatLimit", in: 0...10) == 3)
        #expect(try fields.flag("keepsTranscripts") == false)
        let form = try RequestFields(
            request: AdminRequest(method: "POST", target: "/x", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array("name=5".utf8))
        )
        #expect(try form.required("name") == "5", "a form carries every value as text")
    }
}
