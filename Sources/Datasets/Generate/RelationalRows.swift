import Foundation
import Postgres
import VectorSearch

/// Writes the TripSage tables of a dataset as binary COPY files, row for row what `tripbench load` streams.
///
/// Everything is a function of the plan, the memory rows and the seed: dates start from 2025-01-01 (never
/// "now"), so the same inputs give byte-identical files.
struct RelationalRows {
    let plan: DatasetPlan
    let memories: MemoryRows
    /// The base vectors, mapped from `base.fbin`.
    let vectors: VectorStore
    let directory: URL
    var seed: UInt64 { self.plan.spec.seed }

    static let epoch = Date(timeIntervalSince1970: 1_735_689_600)  // 2025-01-01T00:00:00Z
    static let firstDay = PostgresDate(year: 2025, month: 1, day: 1)

    /// Writes every table; returns the row count of each.
    func write() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        counts["users"] = try self.table("users") { try self.users(&$0) }
        counts["trips"] = try self.table("trips") { try self.trips(&$0) }
        counts["flights"] = try self.table("flights") { try self.flights(&$0) }
        counts["accommodations"] = try self.table("accommodations") { try self.accommodations(&$0) }
        counts["chat_sessions"] = try self.table("chat_sessions") { try self.sessions(&$0) }
        counts["chat_messages"] = try self.table("chat_messages") { try self.messages(&$0) }
        counts["memory_embeddings"] = try self.table("memory_embeddings") { try self.memoryEmbeddings(&$0) }
        return counts
    }

    private func table(_ name: String, _ body: (inout PostgresCopyWriter) throws -> Void) throws -> Int {
        let path = self.directory.appendingPathComponent(TripSageTables.fileName(name)).path
        return try PostgresCopyFile.write(to: path, columnCount: TripSageTables.columns(of: name).count, body)
    }

    private func random(_ stream: DatasetPlan.Stream, _ index: Int) -> SplitMix64 {
        SplitMix64(seed: self.seed ^ (stream.rawValue << 48), stream: UInt64(index))
    }

    private func pick<T>(_ values: [T], _ random: inout SplitMix64) -> T { values[Int(random.next() % UInt64(values.count))] }

    private func between(_ low: Int, _ high: Int, _ random: inout SplitMix64) -> Int {
        low + Int(random.next() % UInt64(high - low + 1))
    }

    private func money(_ cents: Int) -> Decimal { Decimal(cents) / 100 }

    /// Midnight UTC at the start of `day`.
    private func midnight(_ day: PostgresDate) -> Date {
        Self.epoch.addingTimeInterval(Double(day.daysSince2000 - Self.firstDay.daysSince2000) * 86_400)
    }

    /// A user's home: the destination they fly from.
    private func home(_ user: Int) -> TravelVocabulary.Destination {
        TravelVocabulary.destinations[(user * 31 + 7) % TravelVocabulary.destinations.count]
    }

    /// The topic of trip `slot` of `user`: one of their home clusters.
    func tripTopic(user: Int, slot: Int) -> (destination: TravelVocabulary.Destination, activity: String, category: String) {
        let home = self.memories.homeClusters[user]
        return ClusterMixture.topic(home[slot % home.count])
    }

    private func users(_ writer: inout PostgresCopyWriter) throws {
        for user in 0..<self.plan.spec.users {
            var random = self.random(.users, user)
            let first = self.pick(TravelVocabulary.firstNames, &random), last = self.pick(TravelVocabulary.lastNames, &random)
            let interests = (0..<3).map { _ in JSONText.string(self.pick(TravelVocabulary.activities, &random).category) }
            let created = Self.epoch.addingTimeInterval(Double(self.between(0, 300 * 86_400, &random)))
            try writer.beginRow()
            try writer.append(DatasetIDs.uuid(seed: self.seed, table: .users, index: user))
            try writer.append("\(first).\(last).\(user)@example.com")
            try writer.append("supabase")
            try writer.append(PostgresJSONB(JSONText.object([
                ("name", .string("\(first.capitalized) \(last.capitalized)")), ("home_city", .string(self.home(user).city)),
                ("language", .string("en")),
            ]).encoded))
            try writer.append(PostgresJSONB(JSONText.object([
                ("budget", .string(self.pick(TravelVocabulary.budgetWords, &random))), ("interests", .array(interests)),
            ]).encoded))
            try writer.append(PostgresJSONB(JSONText.object([
                ("seat", .string(self.pick(["window", "aisle"], &random))), ("cabin", .string(self.pick(["economy", "premium", "business"], &random))),
            ]).encoded))
            try writer.append(created)
            try writer.append(created.addingTimeInterval(Double(self.between(0, 30 * 86_400, &random))))
            try writer.endRow()
        }
    }

    /// The dates of trip `index` (global), shared by its flights and accommodations.
    func tripDates(_ index: Int) -> (start: PostgresDate, days: Int) {
        var random = self.random(.trips, index)
        return (Self.firstDay.adding(days: self.between(0, 3 * 365, &random)), self.between(2, 16, &random))
    }

    private func trips(_ writer: inout PostgresCopyWriter) throws {
        for user in 0..<self.plan.spec.users {
            for slot in 0..<self.plan.trips[user] {
                let index = self.plan.firstTrip[user] + slot
                let topic = self.tripTopic(user: user, slot: slot)
                let (start, days) = self.tripDates(index)
                var random = self.random(.trips, 1 << 40 | index)
                let budget = self.pick(TravelVocabulary.budgetWords, &random)
                let duration = self.pick(TravelVocabulary.durations, &random)
                let other = self.pick(TravelVocabulary.activities, &random).name
                let season = self.pick(TravelVocabulary.seasons, &random)
                let perDay = (TravelVocabulary.budgetWords.firstIndex(of: budget)! + 1) * self.between(4_000, 9_000, &random)
                let created = self.midnight(start.adding(days: -self.between(7, 120, &random)))
                try writer.beginRow()
                try writer.append(DatasetIDs.uuid(seed: self.seed, table: .trips, index: index))
                try writer.append(DatasetIDs.uuid(seed: self.seed, table: .users, index: user))
                try writer.append("\(topic.destination.city) \(topic.activity) \(duration)")
                try writer.append("A \(budget) \(duration) in \(topic.destination.city), \(topic.destination.country): \(topic.activity) and \(other). Best in \(season).")
                try writer.append(start)
                try writer.append(start.adding(days: days))
                try writer.append(self.money(perDay * days))
                try writer.append(self.pick(TravelVocabulary.tripStatuses, &random))
                try writer.append(PostgresJSONB(JSONText.array([.object([
                    ("city", .string(topic.destination.city)), ("country", .string(topic.destination.country)),
                    ("airport", .string(topic.destination.airport)),
                ])]).encoded))
                try writer.append(PostgresJSONB(JSONText.object([("category", .string(topic.category)), ("season", .string(season))]).encoded))
                try writer.append(created)
                try writer.append(created.addingTimeInterval(Double(self.between(0, 5 * 86_400, &random))))
                try writer.endRow()
            }
        }
    }

    /// Calls `body(user, slot, tripIndex, count)` for each trip with `count` children drawn around `mean`.
    private func forEachTrip(_ stream: DatasetPlan.Stream, mean: Double, _ body: (Int, Int, Int, Int) throws -> Void) rethrows {
        for user in 0..<self.plan.spec.users {
            for slot in 0..<self.plan.trips[user] {
                let trip = self.plan.firstTrip[user] + slot
                var random = self.random(stream, trip)
                let whole = Int(mean)
                let count = whole + (Double(random.nextUnitFloat()) < mean - Double(whole) ? 1 : 0)
                try body(user, slot, trip, count)
            }
        }
    }

    private func flights(_ writer: inout PostgresCopyWriter) throws {
        var index = 0
        try self.forEachTrip(.flights, mean: self.plan.spec.flightsPerTrip) { user, slot, trip, count in
            let topic = self.tripTopic(user: user, slot: slot)
            let (start, days) = self.tripDates(trip)
            for leg in 0..<count {
                var random = self.random(.flights, 1 << 40 | index)
                let airline = self.pick(TravelVocabulary.airlines, &random)
                let outbound = leg % 2 == 0
                var from = self.home(user).airport, to = topic.destination.airport
                if from == to { from = TravelVocabulary.destinations[(user + 1) % TravelVocabulary.destinations.count].airport }
                if !outbound { swap(&from, &to) }
                let day = outbound ? start : start.adding(days: days)
                let departure = self.midnight(day).addingTimeInterval(Double(self.between(6, 22, &random)) * 3_600)
                let booked = random.nextUnitFloat() < 0.6
                try writer.beginRow()
                try writer.append(DatasetIDs.uuid(seed: self.seed, table: .flights, index: index))
                try writer.append(DatasetIDs.uuid(seed: self.seed, table: .trips, index: trip))
                try writer.append(airline.name)
                try writer.append("\(airline.code)\(self.between(100, 9_999, &random))")
                try writer.append(from)
                try writer.append(to)
                try writer.append(departure)
                try writer.append(departure.addingTimeInterval(Double(self.between(45, 14 * 60, &random)) * 60))
                try writer.append(self.money(self.between(4_900, 140_000, &random)))
                try writer.append("USD")
                if booked { try writer.append(self.bookingReference(&random)) } else { writer.appendNull() }
                try writer.append(booked ? "booked" : "searched")
                try writer.append(PostgresJSONB(JSONText.object([("cabin", .string(self.pick(["economy", "premium", "business"], &random))), ("stops", .integer(self.between(0, 2, &random)))]).encoded))
                try writer.append(departure.addingTimeInterval(-Double(self.between(1, 90, &random)) * 86_400))
                try writer.endRow()
                index += 1
            }
        }
    }

    private func accommodations(_ writer: inout PostgresCopyWriter) throws {
        var index = 0
        try self.forEachTrip(.accommodations, mean: self.plan.spec.accommodationsPerTrip) { user, slot, trip, count in
            let destination = self.tripTopic(user: user, slot: slot).destination
            let (start, days) = self.tripDates(trip)
            for _ in 0..<count {
                var random = self.random(.accommodations, 1 << 40 | index)
                let type = self.pick(TravelVocabulary.accommodationTypes, &random)
                let offset = self.between(0, days - 1, &random)
                let nights = self.between(1, days - offset, &random)
                let perNight = self.between(3_500, 60_000, &random)
                let booked = random.nextUnitFloat() < 0.6
                let amenities = Array(TravelVocabulary.amenities.shuffled(using: &random).prefix(self.between(2, 6, &random)))
                try writer.beginRow()
                try writer.append(DatasetIDs.uuid(seed: self.seed, table: .accommodations, index: index))
                try writer.append(DatasetIDs.uuid(seed: self.seed, table: .trips, index: trip))
                try writer.append("\(self.pick(TravelVocabulary.accommodationWords, &random)) \(destination.city) \(type.capitalized)")
                try writer.append(type)
                try writer.append("\(self.between(1, 250, &random)) \(self.pick(TravelVocabulary.streets, &random)), \(destination.city), \(destination.country)")
                try writer.append(PostgresPoint(
                    x: destination.longitude + Double(random.nextUnitFloat() - 0.5) * 0.1,
                    y: destination.latitude + Double(random.nextUnitFloat() - 0.5) * 0.1
                ))
                try writer.append(start.adding(days: offset))
                try writer.append(start.adding(days: offset + nights))
                try writer.append(self.money(perNight))
                try writer.append(self.money(perNight * nights))
                try writer.append("USD")
                if booked { try writer.append(self.bookingReference(&random)) } else { writer.appendNull() }
                try writer.append(PostgresJSONB(JSONText.array(amenities.map(JSONText.string)).encoded))
                try writer.append(PostgresJSONB(JSONText.object([("overall", .number(Double(self.between(30, 50, &random)) / 10)), ("reviews", .integer(self.between(3, 4_000, &random)))]).encoded))
                try writer.append(booked ? "booked" : "searched")
                try writer.append(PostgresJSONB(JSONText.object([("source", .string("tripbench"))]).encoded))
                try writer.append(self.midnight(start.adding(days: -self.between(1, 60, &random))))
                try writer.endRow()
                index += 1
            }
        }
    }

    private func bookingReference(_ random: inout SplitMix64) -> String {
        let letters = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<6).map { _ in letters[Int(random.next() % UInt64(letters.count))] })
    }

    /// When session `index` starts, and how many messages it has.
    func sessionShape(_ index: Int) -> (start: Date, messages: Int) {
        var random = self.random(.sessions, index)
        let mean = self.plan.spec.messagesPerSession
        let messages = max(1, Int((mean * (0.5 + Double(random.nextUnitFloat()))).rounded()))
        return (Self.epoch.addingTimeInterval(Double(self.between(0, 700 * 86_400, &random))), messages)
    }

    /// The gap before message `message` of session `session`, in seconds.
    private func messageGap(session: Int, message: Int) -> Double {
        var random = self.random(.messages, session << 20 | message)
        return Double(self.between(5, 600, &random))
    }

    private func sessions(_ writer: inout PostgresCopyWriter) throws {
        for user in 0..<self.plan.spec.users {
            for slot in 0..<self.plan.sessions[user] {
                let index = self.plan.firstSession[user] + slot
                let (start, messages) = self.sessionShape(index)
                let last = start.addingTimeInterval((0..<messages).reduce(0) { $0 + self.messageGap(session: index, message: $1) })
                let topic = self.tripTopic(user: user, slot: slot)
                var random = self.random(.sessions, 1 << 40 | index)
                try writer.beginRow()
                try writer.append(DatasetIDs.uuid(seed: self.seed, table: .chatSessions, index: index))
                try writer.append(DatasetIDs.uuid(seed: self.seed, table: .users, index: user))
                try writer.append("Planning \(topic.destination.city): \(topic.activity)")
                try writer.append(self.pick(TravelVocabulary.agents, &random))
                try writer.append(Int32(messages))
                try writer.append(PostgresJSONB(JSONText.object([("destination", .string(topic.destination.city)), ("stage", .string(self.pick(["exploring", "comparing", "booking", "done"], &random)))]).encoded))
                try writer.append(last)
                try writer.append(start)
                try writer.endRow()
            }
        }
    }

    private func messages(_ writer: inout PostgresCopyWriter) throws {
        var index = 0
        for user in 0..<self.plan.spec.users {
            for slot in 0..<self.plan.sessions[user] {
                let session = self.plan.firstSession[user] + slot
                let (start, count) = self.sessionShape(session)
                let topic = self.tripTopic(user: user, slot: slot)
                var time = start
                for message in 0..<count {
                    time = time.addingTimeInterval(self.messageGap(session: session, message: message))
                    var random = self.random(.messages, 1 << 40 | index)
                    let fromUser = message % 2 == 0
                    let budget = self.pick(TravelVocabulary.budgetWords, &random)
                    let season = self.pick(TravelVocabulary.seasons, &random)
                    let text = fromUser
                        ? "Can you find \(topic.activity) options in \(topic.destination.city) for a \(budget) trip in \(season)?"
                        : "Here are \(self.between(2, 5, &random)) \(budget) ideas for \(topic.activity) in \(topic.destination.city), \(topic.destination.country), with flights to \(topic.destination.airport)."
                    try writer.beginRow()
                    try writer.append(DatasetIDs.uuid(seed: self.seed, table: .chatMessages, index: index))
                    try writer.append(DatasetIDs.uuid(seed: self.seed, table: .chatSessions, index: session))
                    try writer.append(fromUser ? "user" : "assistant")
                    try writer.append(text)
                    try writer.append(PostgresJSONB(JSONText.object([("turn", .integer(message))]).encoded))
                    if !fromUser, random.nextUnitFloat() < 0.3 {
                        try writer.append(PostgresJSONB(JSONText.array([.object([("name", .string("search_flights")), ("arguments", .object([("to", .string(topic.destination.airport))]))])]).encoded))
                    } else {
                        writer.appendNull()
                    }
                    try writer.append(time)
                    try writer.endRow()
                    index += 1
                }
            }
        }
    }

    private func memoryEmbeddings(_ writer: inout PostgresCopyWriter) throws {
        let names = DatasetSpec.contentTypeNames
        let dimension = self.vectors.dimension
        for row in 0..<self.memories.users.count {
            // Rows are read once, in order: each block's pages leave the process once written.
            if row % 4096 == 0 {
                self.vectors.advise(.done, rows: max(0, row - 4096)..<row)
                self.vectors.advise(.sequential, rows: row..<min(row + 4096, self.vectors.count))
            }
            let user = Int(self.memories.users[row])
            let type = names[Int(self.memories.types[row])]
            let topic = ClusterMixture.topic(Int(self.memories.clusters[row]))
            var random = self.random(.memories, row)
            let budget = self.pick(TravelVocabulary.budgetWords, &random)
            let season = self.pick(TravelVocabulary.seasons, &random)
            var metadata: [(String, JSONText)] = [("category", .string(topic.category)), ("destination", .string(topic.destination.city))]
            var session: UUID?
            let text: String
            switch type {
            case "conversation":
                let slot = row % self.plan.sessions[user]
                session = DatasetIDs.uuid(seed: self.seed, table: .chatSessions, index: self.plan.firstSession[user] + slot)
                text = "Asked about \(topic.activity) in \(topic.destination.city), \(topic.destination.country): wants a \(budget) \(self.pick(TravelVocabulary.durations, &random)) in \(season)."
            case "preference":
                text = "Prefers \(budget) \(self.pick(TravelVocabulary.accommodationTypes, &random)) stays; loves \(topic.activity) and \(topic.category) trips, especially in \(topic.destination.city)."
            case "insight":
                text = "Books \(topic.category) trips to \(topic.destination.country) most in \(season); rated \(topic.activity) in \(topic.destination.city) highly."
            default:
                let slot = MemoryRows.tripSlot(row: row, user: user, plan: self.plan)
                let trip = self.plan.firstTrip[user] + slot
                metadata.append(("trip_id", .string(DatasetIDs.uuid(seed: self.seed, table: .trips, index: trip).uuidString.lowercased())))
                metadata.append(("action", .string("trip_created")))
                text = "Created a \(budget) trip to \(topic.destination.city), \(topic.destination.country) for \(topic.activity) in \(season)."
            }
            try writer.beginRow()
            try writer.append(DatasetIDs.uuid(seed: self.seed, table: .memoryEmbeddings, index: row))
            try writer.append(DatasetIDs.uuid(seed: self.seed, table: .users, index: user))
            try writer.append(type)
            try writer.append(text)
            try writer.append(PostgresVector(Array(UnsafeBufferPointer(start: self.vectors.row(row), count: dimension))))
            try writer.append(PostgresJSONB(JSONText.object(metadata).encoded))
            if let session { try writer.append(session) } else { writer.appendNull() }
            try writer.append(Self.epoch.addingTimeInterval(Double(self.between(0, 700 * 86_400, &random))))
            try writer.endRow()
        }
    }
}
