import HTTPServerSupport
import NIOCore
import Testing

@Suite("The time limits of an HTTP connection")
struct HTTPConnectionClockTests {
    let timeouts = HTTPServerTimeouts(request: .seconds(5), idle: .seconds(30), linger: .seconds(2), maximumLinger: .seconds(30))
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    @Test("a connection that sends nothing is closed without an answer when the request limit passes")
    func silentConnection() {
        var clock = HTTPConnectionClock(timeouts: timeouts)
        #expect(clock.connectionStarted(at: start) == .schedule(at(5)))
        #expect(clock.timerFired(at: at(5)) == .close)
        #expect(clock.dropsInput)
    }

    @Test("the first request's limit counts from the connection's start, so a slow first byte gains nothing")
    func firstRequestCountsFromTheStart() {
        var clock = HTTPConnectionClock(timeouts: timeouts)
        _ = clock.connectionStarted(at: start)
        #expect(clock.bytesReceived(at: at(4)) == .none)
        #expect(clock.timerFired(at: at(5)) == .answerTimeout(closeBy: at(7)))
        #expect(clock.dropsInput)
        #expect(clock.timerFired(at: at(7)) == .close)
    }

    @Test("a request handed to the server is under no limit while the server works on it")
    func handlingHasNoLimit() {
        var clock = HTTPConnectionClock(timeouts: timeouts)
        _ = clock.connectionStarted(at: start)
        _ = clock.bytesReceived(at: at(1))
        #expect(clock.requestReceived() == .cancel)
        #expect(clock.timerFired(at: at(60)) == .none)
        #expect(!clock.dropsInput)
    }

    @Test("between keep-alive requests the idle limit runs; a next request gets the request limit from its first byte")
    func keepAlive() {
        var clock = HTTPConnectionClock(timeouts: timeouts)
        _ = clock.connectionStarted(at: start)
        _ = clock.bytesReceived(at: at(0))
        _ = clock.requestReceived()
        #expect(clock.responseSent(at: at(1), refused: false) == .schedule(at(31)))
        #expect(clock.bytesReceived(at: at(29)) == .schedule(at(34)))
        #expect(clock.bytesReceived(at: at(30)) == .none)
        #expect(clock.timerFired(at: at(34)) == .answerTimeout(closeBy: at(36)))
    }

    @Test("an idle keep-alive connection is closed without an answer")
    func idleConnectionCloses() {
        var clock = HTTPConnectionClock(timeouts: timeouts)
        _ = clock.connectionStarted(at: start)
        _ = clock.requestReceived()
        _ = clock.responseSent(at: at(1), refused: false)
        #expect(clock.timerFired(at: at(31)) == .close)
    }

    @Test("a refused client still sending its body is heard out until it pauses for the linger time")
    func drainingWhileTheClientSends() {
        var clock = HTTPConnectionClock(timeouts: timeouts)
        _ = clock.connectionStarted(at: start)
        _ = clock.requestReceived()
        #expect(clock.responseSent(at: at(1), refused: true) == .schedule(at(3)))
        #expect(clock.bytesReceived(at: at(2)) == .none)
        #expect(clock.timerFired(at: at(3)) == .schedule(at(4)))
        #expect(clock.timerFired(at: at(4)) == .close)
    }

    @Test("a refused client that never stops sending is closed when the longest linger has passed")
    func drainingHasALimit() {
        var clock = HTTPConnectionClock(timeouts: timeouts)
        _ = clock.connectionStarted(at: start)
        _ = clock.requestReceived()
        _ = clock.responseSent(at: at(0), refused: true)
        for second in 1...40 {
            _ = clock.bytesReceived(at: at(Int64(second)))
        }
        #expect(clock.timerFired(at: at(29)) == .schedule(at(30)))
        #expect(clock.timerFired(at: at(30)) == .close)
    }

    @Test("after a refusal the connection drops input, and closes once the client has been quiet for the linger time")
    func drainingAfterARefusal() {
        var clock = HTTPConnectionClock(timeouts: timeouts)
        _ = clock.connectionStarted(at: start)
        _ = clock.bytesReceived(at: at(0))
        _ = clock.requestReceived()
        #expect(clock.responseSent(at: at(1), refused: true) == .schedule(at(3)))
        #expect(clock.isDraining && clock.dropsInput)
        #expect(clock.timerFired(at: at(3)) == .close)
    }

    @Test("a timer that goes off early is armed again for the real deadline")
    func earlyTimer() {
        var clock = HTTPConnectionClock(timeouts: timeouts)
        _ = clock.connectionStarted(at: start)
        #expect(clock.timerFired(at: at(3)) == .schedule(at(5)))
        #expect(clock.timerFired(at: at(5)) == .close)
    }

    @Test("a closed connection does nothing more")
    func closed() {
        var clock = HTTPConnectionClock(timeouts: timeouts)
        _ = clock.connectionStarted(at: start)
        #expect(clock.connectionClosed() == .cancel)
        #expect(clock.bytesReceived(at: at(1)) == .none)
        #expect(clock.timerFired(at: at(9)) == .none)
        #expect(clock.connectionClosed() == .none)
    }
}
