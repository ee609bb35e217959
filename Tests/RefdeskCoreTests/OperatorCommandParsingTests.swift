import Testing
@testable import RefdeskCore

/// What operators type, read as commands on its own (no switchboard): the syntax every client lets through.
@Suite("Reading operator commands")
struct OperatorCommandParsingTests {
    @Test(
        "every command reads from its typed form, with either prefix and in any case",
        arguments: [
            ("!help", OperatorCommand.help), ("!", .help), ("/HELP", .help),
            ("!transfer bob", .transfer(to: "bob")), ("/transfer  Reference Desk ", .transfer(to: "Reference Desk")),
            ("!close", .close), ("!CLOSE now", .close), ("/close", .close),
            ("!canned", .canned(nil)), ("!canned hours", .canned("hours")),
            ("!who", .who(queue: nil)), ("!who archives", .who(queue: "archives")),
            ("!logout", .logout(.status)), ("!logout OFF", .logout(.off)), ("!logout 30", .logout(.minutes(30))),
            ("!logout 1440", .logout(.minutes(1440))), ("transfer carol", .transfer(to: "carol")),
        ]
    )
    func reads(typed: String, command: OperatorCommand) throws {
        #expect(try OperatorCommand(parsing: typed) == command)
    }

    @Test("a command reads back from the form it is shown in")
    func roundTrip() throws {
        let commands: [OperatorCommand] = [
            .help, .transfer(to: "Reference Desk"), .close, .canned(nil), .canned("hours"), .who(queue: nil), .who(queue: "archives"),
            .logout(.status), .logout(.off), .logout(.minutes(45)),
        ]
        for command in commands {
            #expect(try OperatorCommand(parsing: command.typed) == command, "\(command.typed)")
        }
    }

    @Test(
        "a command typed wrong says what was wrong",
        arguments: [
            ("!frobnicate now", CommandMistake.unknownCommand("!frobnicate")),
            ("/me waves", .unknownCommand("/me")),
            ("!transfer", .missingArgument(usage: "Usage: !transfer NAME, where NAME is an operator or a queue.")),
            ("!transfer   ", .missingArgument(usage: "Usage: !transfer NAME, where NAME is an operator or a queue.")),
            ("!logout soon", .notMinutes("soon")), ("!logout 0", .notMinutes("0")), ("!logout 1441", .notMinutes("1441")),
            ("!logout -5", .notMinutes("-5")), ("!logout ٣٠", .notMinutes("٣٠")),
        ]
    )
    func mistakes(typed: String, mistake: CommandMistake) {
        #expect(throws: mistake) { try OperatorCommand(parsing: typed) }
    }

    @Test("the answer to a mistake names it and shows the help or the usage")
    func mistakeTexts() {
        #expect(CommandMistake.unknownCommand("!frobnicate").description == "Unknown command !frobnicate. " + OperatorCommand.helpText)
        #expect(CommandMistake.notMinutes("soon").description == "\"soon\" is not a number of minutes from 1 to 1440. Usage: !logout MINUTES (1 to 1440) or !logout off.")
    }

    @Test(
        "a typed line is words for the patron unless it starts with a single ! or /",
        arguments: [
            ("Yes, we have it.", OperatorLine.text("Yes, we have it.")),
            ("!!Important: we close at 5", .text("!Important: we close at 5")),
            ("//usr/share is a path", .text("/usr/share is a path")),
            ("!!", .text("!")), ("", .text("")), (" !close", .text(" !close")), ("Hi! /close", .text("Hi! /close")),
            ("!close", .command(.close)), ("/transfer bob", .command(.transfer(to: "bob"))),
            ("!nope", .mistake(.unknownCommand("!nope"))),
        ]
    )
    func lines(typed: String, line: OperatorLine) {
        #expect(OperatorLine(parsing: typed) == line)
    }

    @Test("the help names every command with the prefix that always gets through, and how to escape it")
    func help() {
        for command in ["!transfer NAME", "!close", "!canned [NAME]", "!who [QUEUE]", "!logout MINUTES", "!logout off", "!help", "!!", "//"] {
            #expect(OperatorCommand.helpText.contains(command), "\(command)")
        }
    }
}
