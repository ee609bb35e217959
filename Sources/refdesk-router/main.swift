// refdesk-router: owns refdesk's state and decisions; bridges connect to it over a Unix socket.

import AdminAPI
import ArgumentParser
import BridgeTransport
import DaemonSupport
import Logging
import MetricsExporter
import RefdeskMetrics
import RefdeskVersion
import RouterService
import ServiceLifecycle
import UnixSignals
import XMPPComponent

@main
struct RouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refdesk-router",
        abstract: "Routes patrons' SMS and AIM messages to librarians on XMPP.",
        discussion: """
            Reads its settings from a TOML file (see config/router.example.toml), keeps all state in one SQLite \
            database, and serves bridges (refdesk-twilio, refdesk-aim) on a Unix socket. Logs go to stderr, one event \
            per line with a syslog priority prefix, for journald. SIGTERM or SIGINT stops it cleanly.
            """,
        version: RefdeskVersion.number
    )

    @Option(name: .shortAndLong, help: "The configuration file.")
    var config: String = "/etc/refdesk/router.toml"

    @Flag(help: "Check the configuration file and exit.")
    var checkConfig = false

    @Option(help: "Create the admin account NAME, with a password read from standard input, and exit.")
    var createAdmin: String?

    func run() async throws {
        let settings: RouterConfiguration
        do {
            settings = try RouterConfiguration.load(path: config)
        } catch {
            FileOutput.standardError("refdesk-router: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        if checkConfig {
            FileOutput.standardOutput("\(config): ok")
            return
        }
        if let createAdmin {
            guard let password = try await PasswordHasher.readLineFromStandardInput(), !password.isEmpty else {
                FileOutput.standardError("refdesk-router: --create-admin reads the password from standard input, which was empty")
                throw ExitCode(64)  // EX_USAGE
            }
            JournalLogHandler.bootstrap(level: .warning)
            do {
                try await AdminBootstrap.createAdmin(configuration: settings, name: createAdmin, password: password, logger: Logger(label: "refdesk-router"))
            } catch {
                FileOutput.standardError("refdesk-router: cannot create admin \(createAdmin): \(error)")
                throw ExitCode(1)
            }
            FileOutput.standardOutput("admin \(createAdmin) created")
            return
        }
        JournalLogHandler.bootstrap(level: settings.logLevel)
        let logger = Logger(label: "refdesk-router")
        logger.info("starting", metadata: ["version": "\(RefdeskVersion.number)", "config": "\(config)"])
        let notifier = SystemdNotifier.fromProcessEnvironment()
        let exporter = PrometheusExporter.bootstrap()

        let router: Router
        do {
            router = try await Router.open(configuration: settings, logger: logger)
        } catch {
            logger.critical("cannot open the database", metadata: ["path": "\(settings.databasePath)", "error": "\(error)"])
            throw ExitCode(1)
        }

        let observability = RouterObservability(router: router, xmppConfigured: settings.xmpp != nil, logger: logger)
        var listenerConfiguration = BridgeListenerConfiguration(
            socketPath: settings.bridgeSocket,
            peerPolicy: PeerPolicy(allowedUIDs: settings.allowedUIDs, allowedGIDs: settings.allowedGIDs)
        )
        listenerConfiguration.socketMode = settings.bridgeSocketMode
        do {
            listenerConfiguration.inheritedDescriptor = try SocketActivation.listenFileDescriptors().first?.fileDescriptor
        } catch {
            logger.critical("cannot take the socket from systemd", metadata: ["error": "\(error)"])
            throw ExitCode(1)
        }
        let listener = BridgeListener(
            configuration: listenerConfiguration,
            acceptor: RouterBridgeAcceptor(router: router),
            logger: logger,
            onListening: { try? notifier.ready(status: "serving bridges on \(settings.bridgeSocket)") }
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: listener), .init(service: RouterClock(router: router)), .init(service: await router.makeCommitCompletion()),
        ]
        if let xmpp = settings.xmpp {
            let component = ComponentConnection(
                configuration: ComponentConfiguration(host: xmpp.host, port: xmpp.port, domain: xmpp.domain, secret: xmpp.secret),
                delegate: observability.componentDelegate(wrapping: RouterComponentDelegate(router: router)),
                logger: logger
            )
            await router.attach(component: component, domain: xmpp.domain, avatar: xmpp.avatar)
            services.append(.init(service: component))
        } else {
            logger.notice("no [xmpp] domain configured: serving bridges only, no librarian can staff a queue")
        }
        if let listen = settings.metricsListen {
            let address = ListenAddress(host: listen.host, port: listen.port)
            services.append(.init(service: MetricsServer(address: address, endpoints: observability.endpoints(exporter), logger: logger)))
        }
        services += observability.services(notifier: notifier)
        let statistics: RouterStatistics
        do {
            statistics = try RouterStatistics(
                router: router, databasePath: settings.databasePath, libraryZone: settings.timeZone, logger: logger, now: { WallClock.milliseconds() }
            )
        } catch {
            logger.critical("cannot open the database for statistics", metadata: ["path": "\(settings.databasePath)", "error": "\(error)"])
            throw ExitCode(1)
        }
        services.append(.init(service: statistics))
        if let admin = settings.admin {
            let service = AdminService(
                backend: router, statistics: statistics, settings: admin.service, logger: logger, now: { WallClock.milliseconds() }
            )
            do {
                services.append(.init(service: try AdminServer(settings: admin.server, service: service, logger: logger)))
            } catch {
                logger.critical("cannot serve the admin API", metadata: ["error": "\(error)"])
                throw ExitCode(78)
            }
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            logger.critical("stopping after a failure", metadata: ["error": "\(error)"])
            try? notifier.stopping()
            await router.close()
            throw ExitCode(1)
        }
        try? notifier.stopping()
        await router.close()
        logger.info("stopped")
    }
}
