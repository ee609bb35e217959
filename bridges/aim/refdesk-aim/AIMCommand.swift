import ArgumentParser
import BridgeTransport
import DaemonSupport
import Logging
import Metrics
import RefdeskVersion
import ServiceLifecycle
import UnixSignals

// refdesk-aim: the AIM (OSCAR) bridge. One OSCAR session per gateway screen name, signed on while the router
// wants that gateway online; IMs pass between patrons on AIM and the router over the bridge protocol.
@main
struct AIMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refdesk-aim",
        abstract: "Connects refdesk's AIM screen names to an OSCAR server.",
        discussion: """
            Reads its settings from a TOML file (see config/aim.example.toml), connects to the router's bridge \
            socket and signs each AIM gateway on or off as the router asks. Logs go to stderr for journald. \
            SIGTERM or SIGINT signs every screen name off and stops.
            """,
        version: RefdeskVersion.number
    )

    @Option(name: .shortAndLong, help: "The configuration file.")
    var config: String = "/etc/refdesk/aim.toml"

    @Flag(help: "Check the configuration file and exit.")
    var checkConfig = false

    func run() async throws {
        let settings: AIMConfiguration
        do {
            settings = try AIMConfiguration.load(path: config)
        } catch {
            FileOutput.standardError("refdesk-aim: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        if checkConfig {
            FileOutput.standardOutput("\(config): ok")
            return
        }
        JournalLogHandler.bootstrap(level: settings.bridge.logLevel)
        let logger = Logger(label: "refdesk-aim")
        logger.info("starting", metadata: ["version": "\(RefdeskVersion.number)", "config": "\(config)"])
        let notifier = SystemdNotifier.fromProcessEnvironment()

        let spool: BridgeSpool
        do {
            spool = try BridgeSpool(path: settings.bridge.spoolPath, logger: logger)
        } catch {
            logger.critical("cannot open the spool", metadata: ["path": "\(settings.bridge.spoolPath)", "error": "\(error)"])
            throw ExitCode(1)
        }
        let bridge = AIMBridge(spool: spool, notifier: notifier, logger: logger)
        let observability = BridgeObservability(protocolName: "aim", wrapping: bridge, spool: spool, logger: logger)
        let connector = BridgeConnector(
            configuration: BridgeConnectorConfiguration(
                socketPath: settings.bridge.routerSocket, protocolName: "aim", instance: settings.bridge.instance
            ),
            delegate: observability.delegate,
            logger: logger
        )
        let supervisor = GatewaySupervisor(bridge: bridge, settings: settings, logger: logger)
        // Shutdown runs in reverse: the sessions sign off (and report it) before the router connection closes.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: connector), .init(service: supervisor)]
        if let listen = settings.metricsListen {
            services.append(.init(service: MetricsServer(address: listen, endpoints: observability.endpoints, logger: logger)))
        }
        services.append(.init(service: observability.watchdog(notifier: notifier)))
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        logger.info("connecting", metadata: ["server": "\(settings.server)", "router": "\(settings.bridge.routerSocket)"])
        do {
            try await group.run()
        } catch {
            logger.critical("stopping after a failure", metadata: ["error": "\(error)"])
            try? notifier.stopping()
            throw ExitCode(1)
        }
        try? notifier.stopping()
        logger.info("stopped")
    }
}
