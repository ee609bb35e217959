import Testing
@testable import RefdeskCore

@Suite("Normalisation")
struct NormalisationTests {
    @Test(
        "phone numbers normalise to E.164",
        arguments: [
            ("+1 (555) 123-4567", "+15551234567"),
            ("15551234567", "+15551234567"),
            ("+15551234567", "+15551234567"),
            ("555.123.4567", "+15551234567"),
            ("(555) 123 4567", "+15551234567"),
            ("tel:+44 20 7946 0958", "+442079460958"),
            ("0044 20 7946 0958", "+442079460958"),
            ("  +1-555-123-4567  ", "+15551234567"),
        ]
    )
    func phoneNumbers(input: String, expected: String) throws {
        #expect(try PhoneNumber.normalise(input) == expected)
    }

    @Test("a national number with a trunk zero takes the default country code")
    func trunkZero() throws {
        #expect(try PhoneNumber.normalise("020 7946 0958", defaultCountryCode: "44") == "+442079460958")
    }

    @Test(
        "garbage is not a phone number, and the reason says why",
        arguments: [
            ("", "it is empty"),
            ("call me", "it contains 'c', which is neither a digit nor a separator"),
            ("1-800-FLOWERS", "it contains 'F', which is neither a digit nor a separator"),
            ("+1 555 +1234567", "a '+' may only come first"),
            ("+12345", "it has 5 digits, at least 7 are needed"),
            ("+1234567890123456", "it has 16 digits, E.164 allows at most 15"),
            ("+0 555 123 4567", "a country code cannot start with 0"),
            ("()-", "it has no digits"),
        ]
    )
    func badPhoneNumbers(input: String, reason: String) {
        #expect(throws: NormalisationError(kind: .phoneNumber, input: input, reason: reason)) {
            try PhoneNumber.normalise(input)
        }
    }

    @Test(
        "AIM screen names fold case and spaces, and drop an aol.com-style domain",
        arguments: [
            ("My Library", "mylibrary"),
            ("mylibrary", "mylibrary"),
            ("MY LIBRARY@AOL.COM", "mylibrary"),
            ("mylibrary@aim.com", "mylibrary"),
            ("Ask A Librarian", "askalibrarian"),
            ("someone@Mac.com", "someone@mac.com"),
            ("123456789", "123456789"),
        ]
    )
    func screenNames(input: String, expected: String) throws {
        #expect(try AIMScreenName.normalise(input) == expected)
    }

    @Test(
        "malformed screen names are refused",
        arguments: [
            ("   ", "it is empty"),
            ("@aol.com", "there is nothing before the '@'"),
            ("my!library", "it contains '!', which a screen name cannot"),
            ("averyveryverylongname", "it is 21 characters long; a screen name has at most 16"),
            ("someone@localhost", "'localhost' is not a domain"),
        ]
    )
    func badScreenNames(input: String, reason: String) {
        #expect(throws: NormalisationError(kind: .screenName, input: input, reason: reason)) {
            try AIMScreenName.normalise(input)
        }
    }

    @Test(
        "bare JIDs drop the resource and lowercase node and domain",
        arguments: [
            ("Alice@Library.Example.org/Desk", "alice@library.example.org"),
            ("alice@library.example.org", "alice@library.example.org"),
            ("refdesk.example.org", "refdesk.example.org"),
            ("bob@example.org./phone/with/slashes", "bob@example.org"),
            ("alice@[::1]", "alice@[::1]"),
        ]
    )
    func bareJIDs(input: String, expected: String) throws {
        #expect(try BareJID(parsing: input).description == expected)
    }

    @Test("a full JID keeps its resource exactly as written")
    func fullJIDKeepsResourceCase() throws {
        let jid = try FullJID(parsing: "Alice@Example.org/Work Laptop")
        #expect(jid.bare.description == "alice@example.org")
        #expect(jid.resource == "Work Laptop")
        #expect(jid.description == "alice@example.org/Work Laptop")
    }

    @Test(
        "malformed JIDs are refused",
        arguments: [
            ("", "it is empty"),
            ("@example.org", "there is nothing before the '@'"),
            ("alice@", "it has no domain"),
            ("al ice@example.org", "its node contains whitespace"),
            ("al<ice@example.org", "its node contains '<'"),
            ("alice@exa mple.org", "its domain contains whitespace"),
            ("alice@example..org", "its domain has an empty label"),
            ("a@b@example.org", "its domain contains '@'"),
            ("alice@example.org/", "its resource is empty"),
        ]
    )
    func badJIDs(input: String, reason: String) {
        #expect(throws: NormalisationError(kind: .jid, input: input, reason: reason)) {
            try BareJID(parsing: input)
        }
    }

    @Test("a full JID needs a resource")
    func fullJIDNeedsResource() {
        #expect(throws: NormalisationError(kind: .jid, input: "alice@example.org", reason: "it has no resource")) {
            try FullJID(parsing: "alice@example.org")
        }
    }

    @Test("error messages name the input and the problem")
    func errorDescription() {
        let error = NormalisationError(kind: .phoneNumber, input: "12", reason: "it has 2 digits, at least 7 are needed")
        #expect(error.description == "'12' is not a valid phone number: it has 2 digits, at least 7 are needed")
    }

    @Test(
        "different spellings of one account have one key",
        arguments: [
            (GatewayProtocol.twilio, "+1 (555) 123-4567", "15551234567"),
            (GatewayProtocol.aim, "My Library", "mylibrary@aol.com"),
            (GatewayProtocol.other("xmpp"), "Ask@Library.example.org", "ask@library.example.org/home"),
        ]
    )
    func accountKeys(protocol gatewayProtocol: GatewayProtocol, first: String, second: String) throws {
        #expect(try AccountKey(protocol: gatewayProtocol, address: first) == AccountKey(protocol: gatewayProtocol, address: second))
    }

    @Test("protocol names from the admin API")
    func protocolNames() {
        #expect(GatewayProtocol(name: "twilio") == .twilio)
        #expect(GatewayProtocol(name: "AIM") == .aim)
        #expect(GatewayProtocol(name: "gtalk") == .other("gtalk"))
        #expect(GatewayProtocol.other("gtalk").name == "gtalk")
    }
}
