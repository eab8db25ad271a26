import Postgres
import Testing

@Suite struct PostgresConnectionStringTests {
    @Test(arguments: [
        ("postgresql://alice:s3cret-pw@db.example:5432/app", "postgresql://alice:***@db.example:5432/app"),
        ("postgres://alice:s3cret%40pw@db.example/app", "postgres://alice:***@db.example/app"),
        ("postgresql://db.example/app?user=alice&password=s3cret-pw&sslmode=require", "postgresql://db.example/app?user=alice&password=***&sslmode=require"),
        ("host=db.example user=alice password=s3cret-pw dbname=app", "host=db.example user=alice password=*** dbname=app"),
        ("host=db.example password='s3cret pw' dbname=app", "host=db.example password=*** dbname=app"),
    ])
    func masksThePassword(raw: String, masked: String) throws {
        let connection = try PostgresConnectionString(raw)
        #expect(connection.masked == masked)
        #expect(!connection.description.contains("s3cret"))
    }

    @Test func redactsThePasswordInAnyText() throws {
        let connection = try PostgresConnectionString("postgresql://alice:s3cret-pw@db.example/app")
        #expect(connection.password == "s3cret-pw")
        #expect(connection.redact("server said: s3cret-pw rejected") == "server said: *** rejected")
    }

    @Test func summaryNamesTheServerWithoutThePassword() throws {
        let connection = try PostgresConnectionString("postgresql://alice:s3cret-pw@db.example:6543/app?sslmode=require")
        #expect(connection.summary == "alice@db.example:6543/app")
        #expect(connection.options["sslmode"] == "require")
    }

    @Test func rejectsAMalformedStringWithoutShowingThePassword() {
        #expect {
            try PostgresConnectionString("postgresql://alice:s3cret-pw@[broken")
        } throws: { error in
            let error = error as! PostgresError
            return error.code == .invalidConnectionString && !error.description.contains("s3cret")
                && error.description.contains("alice:***@")
        }
    }
}
