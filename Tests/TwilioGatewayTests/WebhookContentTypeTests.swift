import Testing
import TwilioGateway

/// Both webhook endpoints take Twilio's form encoding and nothing else (docs/twilio-bridge.md, "Endpoints").
@Suite struct WebhookContentTypeTests {
    @Test(arguments: [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
        "Application/X-WWW-Form-URLEncoded",
        "  application/x-www-form-urlencoded ;charset=UTF-8",
    ])
    func theFormTypeIsTakenWithOrWithoutParameters(header: String) {
        #expect(WebhookContentType.isForm(header))
    }

    @Test(arguments: [
        "multipart/form-data; boundary=x",
        "text/plain",
        "application/json",
        "application/x-www-form-urlencodedx",
        "application/x-www-form",
        "",
    ])
    func otherTypesAreRefused(header: String) {
        #expect(!WebhookContentType.isForm(header))
    }

    @Test func aBodyWithoutAContentTypeIsRefused() {
        #expect(!WebhookContentType.isForm(nil))
    }

    @Test func theRefusalIs415AndSaysWhatWasExpected() {
        let refusal = WebhookRefusal.unsupportedContentType("text/plain")
        #expect(refusal.httpStatus == 415)
        #expect(refusal.description.contains("application/x-www-form-urlencoded"))
        #expect(refusal.description.contains("'text/plain'"))
        #expect(WebhookRefusal.unsupportedContentType(nil).description.contains("without a Content-Type"))
    }
}
