/// The web console's pages, all under `/console`, all `GET`: the pages only show; every change is a request to the
/// admin API itself (sent by `console.js` from the page's forms), so the console has no second set of rules.
public enum ConsoleRoute: Equatable, Sendable {
    case desk
    case login
    case queues
    case queue(name: String)
    case gateways
    case staff
    case chats
    case chat(id: Int64)
    case statistics
    /// The desk as server-sent events.
    case events
    case stylesheet
    case script
    case icon

    /// Pages that need no session.
    public var isOpen: Bool {
        switch self {
        case .login, .stylesheet, .script, .icon: true
        default: false
        }
    }

    public static let prefix = "console"

    /// `nil` for a path outside the console; `.some(nil)` for an unknown page inside it.
    public static func resolve(_ segments: [String]) -> ConsoleRoute?? {
        guard segments.first == prefix else { return nil }
        let path = Array(segments.dropFirst())
        switch path.count {
        case 0: return .some(.desk)
        case 1:
            switch path[0] {
            case "login": return .some(.login)
            case "queues": return .some(.queues)
            case "gateways": return .some(.gateways)
            case "staff": return .some(.staff)
            case "chats": return .some(.chats)
            case "statistics": return .some(.statistics)
            case "events": return .some(.events)
            case "console.css": return .some(.stylesheet)
            case "console.js": return .some(.script)
            case "icon.svg": return .some(.icon)
            default: return .some(nil)
            }
        case 2 where path[0] == "queues":
            return .some(.queue(name: path[1]))
        case 2 where path[0] == "chats":
            guard path[1].allSatisfy({ ("0"..."9").contains($0) }), let id = Int64(path[1]), id > 0 else { return .some(nil) }
            return .some(.chat(id: id))
        default:
            return .some(nil)
        }
    }

    /// Every page as an OpenAPI path template (docs/admin-api.openapi.yaml lists them with the API's operations).
    public static let templates: [(method: String, path: String)] = [
        ("GET", "/console"), ("GET", "/console/login"), ("GET", "/console/queues"), ("GET", "/console/queues/{QueueName}"),
        ("GET", "/console/gateways"), ("GET", "/console/staff"), ("GET", "/console/chats"), ("GET", "/console/chats/{ChatId}"),
        ("GET", "/console/statistics"), ("GET", "/console/events"), ("GET", "/console/console.css"), ("GET", "/console/console.js"),
        ("GET", "/console/icon.svg"),
    ]
}
