// swift-tools-version:6.0
import PackageDescription

// refdesk: chat reference gateways (SMS, AIM) for librarians on XMPP.
//
// Layout: pure codecs and rules (no I/O) sit at the bottom; the store and the
// transports wrap them; daemons are thin executables on top.
//
//   RefdeskCore      domain rules, no I/O, injected clock
//   BridgeProtocol   bridge frame codec and message types, no I/O
//   RefdeskStore     SQLite (system libsqlite3): state, inbox, outbox, history
//   BridgeTransport  the bridge protocol over a Unix socket (SwiftNIO), both ends
//   XMPP             XML stream parser (libxml2 push) and stanza model, no I/O
//   XMPPComponent    the router's XEP-0114 connection to its XMPP server (SwiftNIO)
//   DaemonSupport    config files, journald-friendly logging, sd_notify, signals
//   RefdeskMetrics   the metric families (emitted through swift-metrics) and /healthz, no exporter
//   MetricsExporter  the daemons' Prometheus exporter (swift-prometheus) and their /metrics listener
//   TimeZoneDatabase the system's compiled tz database (TZif) without Foundation
//   RouterService    the router: wires store, bridges and XMPP to the core rules
//   bridges/twilio   Twilio SMS codec (TwilioGateway) and the refdesk-twilio daemon
//   bridges/aim      OSCAR codec (OSCAR) and the refdesk-aim daemon

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
]
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let lifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let signals: Target.Dependency = .product(name: "UnixSignals", package: "swift-service-lifecycle")
let coreMetrics: Target.Dependency = .product(name: "CoreMetrics", package: "swift-metrics")

let package = Package(
    name: "refdesk",
    products: [
        .executable(name: "refdesk-router", targets: ["refdesk-router"]),
        .executable(name: "refdesk-twilio", targets: ["refdesk-twilio"]),
        .executable(name: "refdesk-aim", targets: ["refdesk-aim"]),
        .executable(name: "refdesk-testbridge", targets: ["refdesk-testbridge"]),
        .executable(name: "refdeskctl", targets: ["refdeskctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Metrics the Swift server way: libraries emit through swift-metrics' API, the daemons export them with
        // swift-prometheus (whose only other dependency, swift-atomics, SwiftNIO already brings).
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // System libraries (Debian -dev packages, found with pkg-config).
        .systemLibrary(name: "CRefdeskSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CRefdeskXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CRefdeskOpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CRefdeskCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // The release version every executable reports (--version, first log line, refdesk_build_info).
        .target(name: "RefdeskVersion", swiftSettings: swiftSettings),

        // Pure layers: no I/O.
        .target(name: "RefdeskCore", swiftSettings: swiftSettings),
        .target(name: "BridgeProtocol", swiftSettings: swiftSettings),
        .target(name: "XMPP", dependencies: ["CRefdeskXML2", "CRefdeskOpenSSL"], swiftSettings: swiftSettings),
        .target(name: "OSCAR", dependencies: ["CRefdeskOpenSSL"], path: "bridges/aim/OSCAR", swiftSettings: swiftSettings),
        .target(name: "TwilioGateway", dependencies: ["CRefdeskOpenSSL"], path: "bridges/twilio/TwilioGateway", swiftSettings: swiftSettings),

        // I/O layers.
        .target(name: "RefdeskStore", dependencies: ["CRefdeskSQLite", logging], swiftSettings: swiftSettings),
        .target(name: "DaemonSupport", dependencies: [logging, lifecycle], swiftSettings: swiftSettings),
        // The system's zoneinfo files (TZif, RFC 8536, and POSIX TZ footers; pure parsers, one reader):
        // the router's time zones without Foundation, whose ICU costs ~8.5 MiB per process.
        .target(name: "TimeZoneDatabase", swiftSettings: swiftSettings),
        // What refdesk measures, for libraries and daemons alike: the metric families (names, types, help, labels),
        // emitted through swift-metrics' API, and the health checks behind /healthz. No exporter, no I/O.
        .target(name: "RefdeskMetrics", dependencies: [coreMetrics], swiftSettings: swiftSettings),
        // The daemons' side: swift-metrics into a Prometheus registry (swift-prometheus), and the HTTP listener
        // that serves /metrics and /healthz. Only executables depend on it.
        .target(
            name: "MetricsExporter",
            dependencies: [
                "RefdeskMetrics", "RefdeskVersion", "HTTPServerSupport", coreMetrics, .product(name: "Prometheus", package: "swift-prometheus"),
                logging, lifecycle, .product(name: "NIOHTTP1", package: "swift-nio"),
            ] + nio,
            swiftSettings: swiftSettings
        ),
        .target(
            name: "BridgeTransport",
            dependencies: ["BridgeProtocol", "RefdeskStore", "DaemonSupport", "RefdeskMetrics", coreMetrics, logging, lifecycle] + nio,
            swiftSettings: swiftSettings
        ),
        // TLS over NIO with OpenSSL memory BIOs, one handler for both ends (admin API server, AIM client).
        .target(name: "TLSSupport", dependencies: ["CRefdeskOpenSSL", .product(name: "NIOCore", package: "swift-nio")], swiftSettings: swiftSettings),
        // What every HTTP listener shares: whole requests under a size cap and time limits (slowloris), early 413.
        .target(
            name: "HTTPServerSupport",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .target(name: "XMPPComponent", dependencies: ["XMPP", "DaemonSupport", logging, lifecycle] + nio, swiftSettings: swiftSettings),
        .target(
            name: "AdminAPI",
            dependencies: ["CRefdeskOpenSSL", "HTTPServerSupport", "TLSSupport", logging, lifecycle, .product(name: "NIOHTTP1", package: "swift-nio")] + nio,
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RouterService",
            dependencies: [
                "AdminAPI", "RefdeskCore", "RefdeskStore", "BridgeProtocol", "BridgeTransport", "XMPP", "XMPPComponent", "DaemonSupport", "RefdeskMetrics",
                "TimeZoneDatabase", coreMetrics, logging, lifecycle,
            ] + nio,
            swiftSettings: swiftSettings
        ),

        // Daemons.
        .executableTarget(
            name: "refdesk-router",
            dependencies: ["RouterService", "RefdeskVersion", "AdminAPI", "RefdeskStore", "XMPPComponent", "DaemonSupport", "RefdeskMetrics", "MetricsExporter", argumentParser, logging, lifecycle, signals],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "refdesk-twilio",
            dependencies: [
                "TwilioGateway", "BridgeTransport", "DaemonSupport", "HTTPServerSupport", "RefdeskMetrics", "MetricsExporter", "RefdeskStore", "RefdeskVersion",
                "CRefdeskCurl", coreMetrics, argumentParser, logging, lifecycle, signals,
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ] + nio,
            path: "bridges/twilio/refdesk-twilio",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "refdesk-aim",
            dependencies: ["OSCAR", "BridgeProtocol", "CRefdeskOpenSSL", "TLSSupport", "BridgeTransport", "DaemonSupport", "RefdeskMetrics", "MetricsExporter", "RefdeskStore", "RefdeskVersion", argumentParser, logging, lifecycle, signals] + nio,
            path: "bridges/aim/refdesk-aim",
            swiftSettings: swiftSettings
        ),
        // The admin CLI: the admin API from the shell.
        .executableTarget(name: "refdeskctl", dependencies: ["AdminAPI", "CRefdeskCurl", "RefdeskVersion", argumentParser], swiftSettings: swiftSettings),
        // A scriptable bridge for tests: JSON lines on stdin/stdout stand in for a network.
        .executableTarget(
            name: "refdesk-testbridge",
            dependencies: ["BridgeTransport", "DaemonSupport", "RefdeskVersion", argumentParser, logging, lifecycle, signals],
            path: "Tests/Peers/refdesk-testbridge",
            swiftSettings: swiftSettings
        ),

        // Loads a TOML file as the daemons do and prints it as toml-test's tagged JSON: the config corpus test's decoder.
        .executableTarget(name: "refdesk-configdecode", dependencies: ["DaemonSupport"], path: "Tests/Peers/refdesk-configdecode", swiftSettings: swiftSettings),

        // Unit tests.
        .testTarget(name: "RefdeskCoreTests", dependencies: ["RefdeskCore", "DaemonSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "BridgeProtocolTests", dependencies: ["BridgeProtocol"], swiftSettings: swiftSettings),
        .testTarget(name: "RefdeskStoreTests", dependencies: ["RefdeskStore", logging], swiftSettings: swiftSettings),
        .testTarget(name: "DaemonSupportTests", dependencies: ["DaemonSupport", logging], swiftSettings: swiftSettings),
        .testTarget(
            name: "MetricsTests",
            dependencies: ["RefdeskMetrics", "MetricsExporter", "RefdeskVersion", coreMetrics, .product(name: "MetricsTestKit", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "XMPPTests", dependencies: ["XMPP"], swiftSettings: swiftSettings),
        .testTarget(name: "OSCARTests", dependencies: ["OSCAR"], swiftSettings: swiftSettings),
        .testTarget(name: "TwilioGatewayTests", dependencies: ["TwilioGateway"], swiftSettings: swiftSettings),
        .testTarget(name: "RouterServiceTests", dependencies: ["RouterService", "RefdeskCore", "RefdeskStore", "XMPP", "BridgeProtocol", logging], swiftSettings: swiftSettings),
        .testTarget(name: "TimeZoneDatabaseTests", dependencies: ["TimeZoneDatabase"], swiftSettings: swiftSettings),
        .testTarget(name: "AdminAPITests", dependencies: ["AdminAPI", logging], swiftSettings: swiftSettings),
        .testTarget(
            name: "HTTPServerSupportTests",
            dependencies: [
                "HTTPServerSupport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BridgeTransportTests",
            dependencies: ["BridgeTransport", "BridgeProtocol", "RefdeskStore", logging, coreMetrics, .product(name: "MetricsTestKit", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),

        // Fuzzing (Fuzz/): one libFuzzer executable per boundary decoder, all calling FuzzHarness,
        // which the regression tests replay saved inputs through. See scripts/fuzz.sh.
        .target(name: "FuzzHarness", dependencies: ["BridgeProtocol", "XMPP", "OSCAR", "TwilioGateway", "DaemonSupport", "TimeZoneDatabase", "RefdeskCore"], path: "Fuzz/FuzzHarness", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzBridgeFrames", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzBridgeFrames", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzXMPPStream", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzXMPPStream", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzOSCAR", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzOSCAR", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzTwilioWebhook", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzTwilioWebhook", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzConfig", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzConfig", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzTimeZone", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzTimeZone", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzOperatorCommands", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzOperatorCommands", swiftSettings: swiftSettings),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzHarness"], swiftSettings: swiftSettings),
    ]
)
