import AdminAPI
import Logging
import RefdeskStore

/// `refdesk-router --create-admin NAME`: the first admin account, written straight into the database (the API
/// needs an admin to sign in before it can create one).
public enum AdminBootstrap {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Creates admin `name` with `password`, or fails if the name is taken or the password too weak.
    public static func createAdmin(configuration: RouterConfiguration, name: String, password: String, logger: Logger) async throws {
        do {
            try AdminService.checkName(name, what: "user")
            try PasswordHasher.checkStrength(password)
        } catch let refusal as RequestFields.Invalid {
            throw Failure(description: refusal.message)
        } catch {
            throw Failure(description: "\(error)")
        }
        let iterations = configuration.admin?.service.hashIterations ?? PasswordHasher.defaultIterations
        let hash = try await PasswordHasher.hashInBackground(password, iterations: iterations)
        let database = try DatabaseExecutor(path: configuration.databasePath, migrations: RouterSchema.migrations, logger: logger)
        do {
            let created = try await database.write { connection in
                if try connection.operatorRecord(named: name) != nil { return false }
                try connection.insertOperator(OperatorRecord(name: name, role: .admin, passwordHash: hash))
                return true
            }
            await database.close()
            guard created else { throw Failure(description: "a user named \(name) already exists") }
        } catch {
            await database.close()
            throw error
        }
    }
}
