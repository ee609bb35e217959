import BridgeProtocol
import RefdeskCore
import Testing

@testable import RouterService

@Suite("Gateway states as admins see them")
struct GatewayStateBookTests {
    @Test("without a bridge a gateway is offline, saying which bridge is missing, since the router started or the bridge left")
    func noBridge() {
        var book = GatewayStateBook(startedAt: 1_000)
        #expect(book.status(of: 1, protocol: "aim", createdAt: 500) == GatewayStatus(state: .offline, reason: "no refdesk-aim bridge is connected", since: 1_000))
        #expect(book.status(of: 2, protocol: "aim", createdAt: 4_000).since == 4_000, "a gateway added later: since it was added")
        book.bridgeConnected(protocol: "aim", at: 2_000)
        book.reported(1, state: .online, reason: "", at: 2_100)
        book.bridgeDisconnected(protocol: "aim", gateways: [1], at: 9_000)
        #expect(book.status(of: 1, protocol: "aim", createdAt: 500) == GatewayStatus(state: .offline, reason: "no refdesk-aim bridge is connected", since: 9_000))
    }

    @Test("a connected bridge's reports are kept with the time the state began; repeats with new reasons keep that time")
    func reports() {
        var book = GatewayStateBook(startedAt: 0)
        book.bridgeConnected(protocol: "aim", at: 100)
        #expect(book.status(of: 7, protocol: "aim", createdAt: 0) == GatewayStatus(state: .connecting, reason: "waiting for the bridge to report", since: 100))
        book.reported(7, state: .connecting, reason: "signing on", at: 200)
        book.reported(7, state: .connecting, reason: "connection refused; signing on again in 2 s", at: 300)
        #expect(book.status(of: 7, protocol: "aim", createdAt: 0) == GatewayStatus(state: .connecting, reason: "connection refused; signing on again in 2 s", since: 200))
        book.reported(7, state: .failed, reason: "wrong password", at: 400)
        #expect(book.status(of: 7, protocol: "aim", createdAt: 0) == GatewayStatus(state: .failed, reason: "wrong password", since: 400))
        #expect(book.status(of: 7, protocol: "aim", createdAt: 0).name == "failed")
        book.forget(7)
        #expect(book.status(of: 7, protocol: "aim", createdAt: 0).state == .connecting)
    }
}
