// refdesk-twilio: the SMS bridge. Twilio's webhooks in (signed, spooled before the 200), the router's replies out
// through Twilio's REST API, delivery reports back; see docs/twilio-bridge.md.

import ArgumentParser
import BridgeTransport
import DaemonSupport
import FoundationEssentials
import Logging
import Metrics
import RefdeskStore
import RefdeskVersion
import ServiceLifecycle
import UnixSignals

@main
struct TwilioBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refdesk-twilio",
        abstract: "Connects Twilio SMS numbers to refdesk-router.",
        discussion: """
            Reads its settings from a TOML file (see config/twilio.example.toml); auth tokens come from files, \
            relative names resolved in $CREDENTIALS_DIRECTORY (systemd's LoadCredential=). Logs go to stderr, one \
            event per line, for journald. SIGTERM or SIGINT stops it cleanly.
            """,
        version: RefdeskVersion.number
    )

    @Option(name: .shortAndLong, help: "The configuration file.")
    var config: String = TwilioSettings.defaultPath

    @Flag(help: "Check the configuration file (and that the auth token files can be read) and exit.")
    var checkConfig = false

    func run() async throws {
        let settings: TwilioSettings
        do {
            settings = try TwilioSettings.load(path: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileOutput.standardError("refdesk-twilio: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        if checkConfig {
            FileOutput.standardOutput("\(config): ok")
            return
        }
        JournalLogHandler.bootstrap(level: settings.bridge.logLevel)
        let logger = Logger(label: "refdesk-twilio")
        logger.info("starting", metadata: ["version": "\(RefdeskVersion.number)", "config": "\(config)"])
        let notifier = SystemdNotifier.fromProcessEnvironment()
        CurlClient.globalInit()

        let spool: BridgeSpool
        do {
            spool = try BridgeSpool(path: settings.bridge.spoolPath, logger: logger)
        } catch {
            logger.critical("cannot open the spool", metadata: ["path": "\(settings.bridge.spoolPath)", "error": "\(error)"])
            throw ExitCode(1)
        }
        let (wakeups, wake) = OutboundSender.makeWakeups()
        let directory = GatewayDirectory(authTokens: settings.authTokens)
        let bridge = TwilioBridge(spool: spool, directory: directory, logger: logger, wakeSender: wake)
        let client = CurlClient(caFile: settings.apiCAFile)

        let observability = BridgeObservability(protocolName: "twilio", wrapping: bridge, spool: spool, logger: logger)
        let connector = BridgeConnector(
            configuration: BridgeConnectorConfiguration(socketPath: settings.bridge.routerSocket, protocolName: "twilio", instance: settings.bridge.instance),
            delegate: observability.delegate,
            logger: logger
        )
        var server = WebhookServer(
            host: settings.listenHost,
            port: settings.listenPort,
            maximumBodyBytes: settings.maximumBodyBytes,
            endpoints: WebhookEndpoints(settings: settings, bridge: bridge, logger: logger),
            logger: logger,
            onListening: { try? notifier.ready(status: "webhooks on \(settings.listenHost):\(settings.listenPort)") }
        )
        server.metrics = observability.endpoints
        server.rejects = observability.registry.counter(
            "refdesk_webhook_rejects_total", help: "Webhooks answered with an error status (bad signature, unknown number, too large), by endpoint and status.",
            labels: ["endpoint", "status"])
        let sender = OutboundSender(settings: settings, bridge: bridge, client: client, logger: logger, wakeups: wakeups, wake: wake)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: connector), .init(service: sender), .init(service: server), .init(service: observability.watchdog(notifier: notifier))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        var failed = false
        do {
            try await group.run()
        } catch {
            logger.critical("stopping after a failure", metadata: ["error": "\(error)"])
            failed = true
        }
        try? notifier.stopping()
        await client.shutdown()
        await spool.database.close()
        logger.info("stopped")
        if failed { throw ExitCode(1) }
    }
}

extension WebhookServer: CustomStringConvertible {
    var description: String { "WebhookServer(\(host):\(port))" }
}

extension OutboundSender: CustomStringConvertible {
    var description: String { "OutboundSender" }
}
