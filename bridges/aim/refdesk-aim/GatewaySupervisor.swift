import Logging
import ServiceLifecycle

/// Runs one worker per gateway as child tasks, so every AIM session lives inside the service group: on a
/// graceful shutdown every session signs off before the group (and the router connection) stops.
struct GatewaySupervisor: Service {
    let bridge: AIMBridge
    let settings: AIMConfiguration
    let logger: Logger

    func run() async {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for await start in bridge.startRequests {
                    let bridge = bridge
                    let settings = settings
                    let logger = logger
                    group.addTask {
                        await GatewayWorker(start: start, settings: settings, bridge: bridge, logger: logger).run()
                    }
                }
            }
        } onGracefulShutdown: {
            bridge.shutDown()
        }
        logger.info("every AIM session is signed off")
    }
}

extension GatewaySupervisor: CustomStringConvertible {
    var description: String { "GatewaySupervisor(AIM sessions)" }
}
