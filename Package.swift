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
        // Prometheus text-format metrics and /healthz for every daemon; counts messages at the bridge socket.
        .target(
            name: "Metrics",
            dependencies: ["BridgeProtocol", "BridgeTransport", "DaemonSupport", "HTTPServerSupport", "RefdeskStore", "RefdeskVersion", logging, lifecycle, .product(name: "NIOHTTP1", package: "swift-nio")] + nio,
            swiftSettings: swiftSettings
        ),
        .target(name: "BridgeTransport", dependencies: ["BridgeProtocol", "RefdeskStore", "DaemonSupport", logging, lifecycle] + nio, swiftSettings: swiftSettings),
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
                "AdminAPI", "RefdeskCore", "RefdeskStore", "BridgeProtocol", "BridgeTransport", "XMPP", "XMPPComponent", "DaemonSupport", "Metrics", "TimeZoneDatabase",
                logging, lifecycle,
            ] + nio,
            swiftSettings: swiftSettings
        ),

        // Daemons.
        .executableTarget(name: "refdesk-router", dependencies: ["RouterService", "RefdeskVersion", "AdminAPI", "RefdeskStore", "XMPPComponent", "DaemonSupport", "Metrics", argumentParser, logging, lifecycle, signals], swiftSettings: swiftSettings),
        .executableTarget(
            name: "refdesk-twilio",
            dependencies: [
                "TwilioGateway", "BridgeTransport", "DaemonSupport", "HTTPServerSupport", "Metrics", "RefdeskStore", "RefdeskVersion", "CRefdeskCurl", argumentParser, logging, lifecycle, signals,
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ] + nio,
            path: "bridges/twilio/refdesk-twilio",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "refdesk-aim",
            dependencies: ["OSCAR", "BridgeProtocol", "CRefdeskOpenSSL", "TLSSupport", "BridgeTransport", "DaemonSupport", "Metrics", "RefdeskStore", "RefdeskVersion", argumentParser, logging, lifecycle, signals] + nio,
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

        // Unit tests.
        .testTarget(name: "RefdeskCoreTests", dependencies: ["RefdeskCore", "DaemonSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "BridgeProtocolTests", dependencies: ["BridgeProtocol"], swiftSettings: swiftSettings),
        .testTarget(name: "RefdeskStoreTests", dependencies: ["RefdeskStore", logging], swiftSettings: swiftSettings),
        .testTarget(name: "DaemonSupportTests", dependencies: ["DaemonSupport", logging], swiftSettings: swiftSettings),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "RefdeskVersion"], swiftSettings: swiftSettings),
        .testTarget(name: "XMPPTests", dependencies: ["XMPP"], swiftSettings: swiftSettings),
        .testTarget(name: "OSCARTests", dependencies: ["OSCAR"], swiftSettings: swiftSettings),
        .testTarget(name: "TwilioGatewayTests", dependencies: ["TwilioGateway"], swiftSettings: swiftSettings),
        .testTarget(name: "RouterServiceTests", dependencies: ["RouterService", "RefdeskStore", "XMPP"], swiftSettings: swiftSettings),
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
        .testTarget(name: "BridgeTransportTests", dependencies: ["BridgeTransport", "BridgeProtocol", logging], swiftSettings: swiftSettings),

        // Fuzzing (Fuzz/): one libFuzzer executable per boundary decoder, all calling FuzzHarness,
        // which the regression tests replay saved inputs through. See scripts/fuzz.sh.
        .target(name: "FuzzHarness", dependencies: ["BridgeProtocol", "XMPP", "OSCAR", "TwilioGateway", "DaemonSupport", "TimeZoneDatabase"], path: "Fuzz/FuzzHarness", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzBridgeFrames", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzBridgeFrames", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzXMPPStream", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzXMPPStream", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzOSCAR", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzOSCAR", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzTwilioWebhook", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzTwilioWebhook", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzConfig", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzConfig", swiftSettings: swiftSettings),
        .executableTarget(name: "FuzzTimeZone", dependencies: ["FuzzHarness"], path: "Fuzz/FuzzTimeZone", swiftSettings: swiftSettings),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzHarness"], swiftSettings: swiftSettings),
    ]
)
