// refdesk-configdecode: loads a TOML file as the daemons load their configuration (DaemonSupport's ConfigDocument)
// and prints what it holds as JSON in the toml-test "tagged" form, so the test suite can hold refdesk's parser
// against a reference TOML parser on a corpus of documents (Tests/integration/test_config_corpus.py).
//
//   refdesk-configdecode FILE
//
// On success: the JSON on stdout, exit 0. Strings, integers and booleans are {"type": "string"|"integer"|"bool",
// "value": "<text>"}; arrays are JSON arrays; tables are JSON objects; [[arrays of tables]] are arrays of objects.
// On a refusal: the error as the daemons print it (file:line:column: message) on stderr, exit 1.

import DaemonSupport

#if canImport(Glibc)
import Glibc
#endif

func json(_ tree: ConfigTree) -> String {
    switch tree {
    case .value(let value):
        return json(value)
    case .table(let keys, let entries):
        let members = keys.compactMap { key in entries[key].map { "\(quoted(key)):\(json($0))" } }
        return "{" + members.joined(separator: ",") + "}"
    case .arrayOfTables(let tables):
        return "[" + tables.map(json).joined(separator: ",") + "]"
    }
}

func json(_ value: ConfigValue) -> String {
    switch value {
    case .string(let text): return "{\"type\":\"string\",\"value\":\(quoted(text))}"
    case .integer(let number): return "{\"type\":\"integer\",\"value\":\"\(number)\"}"
    case .boolean(let flag): return "{\"type\":\"bool\",\"value\":\"\(flag)\"}"
    case .array(let elements): return "[" + elements.map(json).joined(separator: ",") + "]"
    }
}

/// A JSON string literal: quote, backslash and control characters escaped, everything else as UTF-8.
func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

let arguments = CommandLine.arguments.dropFirst()
guard arguments.count == 1, let path = arguments.first else {
    FileOutput.standardError("usage: refdesk-configdecode FILE")
    exit(64)
}
do {
    let document = try ConfigDocument.load(path: path)
    FileOutput.standardOutput(json(document.tree))
} catch {
    FileOutput.standardError("\(error)")
    exit(1)
}
