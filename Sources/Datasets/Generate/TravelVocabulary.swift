/// The words synthetic TripSage rows are made of: real destinations with their airports and coordinates,
/// activities, airlines, names. Full-text search and `pg_trgm` find things in the generated text because it
/// is built from these lists.
enum TravelVocabulary {
    struct Destination {
        let city: String
        let country: String
        let airport: String
        let latitude: Double
        let longitude: Double
    }

    static let destinations: [Destination] = [
        .init(city: "Lisbon", country: "Portugal", airport: "LIS", latitude: 38.72, longitude: -9.14),
        .init(city: "Porto", country: "Portugal", airport: "OPO", latitude: 41.15, longitude: -8.61),
        .init(city: "Barcelona", country: "Spain", airport: "BCN", latitude: 41.39, longitude: 2.17),
        .init(city: "Madrid", country: "Spain", airport: "MAD", latitude: 40.42, longitude: -3.70),
        .init(city: "Paris", country: "France", airport: "CDG", latitude: 48.86, longitude: 2.35),
        .init(city: "Nice", country: "France", airport: "NCE", latitude: 43.70, longitude: 7.27),
        .init(city: "Rome", country: "Italy", airport: "FCO", latitude: 41.90, longitude: 12.50),
        .init(city: "Florence", country: "Italy", airport: "FLR", latitude: 43.77, longitude: 11.26),
        .init(city: "Venice", country: "Italy", airport: "VCE", latitude: 45.44, longitude: 12.32),
        .init(city: "Amsterdam", country: "Netherlands", airport: "AMS", latitude: 52.37, longitude: 4.90),
        .init(city: "Berlin", country: "Germany", airport: "BER", latitude: 52.52, longitude: 13.40),
        .init(city: "Munich", country: "Germany", airport: "MUC", latitude: 48.14, longitude: 11.58),
        .init(city: "Vienna", country: "Austria", airport: "VIE", latitude: 48.21, longitude: 16.37),
        .init(city: "Prague", country: "Czechia", airport: "PRG", latitude: 50.08, longitude: 14.44),
        .init(city: "Budapest", country: "Hungary", airport: "BUD", latitude: 47.50, longitude: 19.04),
        .init(city: "Athens", country: "Greece", airport: "ATH", latitude: 37.98, longitude: 23.73),
        .init(city: "Santorini", country: "Greece", airport: "JTR", latitude: 36.39, longitude: 25.46),
        .init(city: "Istanbul", country: "Turkey", airport: "IST", latitude: 41.01, longitude: 28.98),
        .init(city: "Reykjavik", country: "Iceland", airport: "KEF", latitude: 64.15, longitude: -21.94),
        .init(city: "London", country: "United Kingdom", airport: "LHR", latitude: 51.51, longitude: -0.13),
        .init(city: "Edinburgh", country: "United Kingdom", airport: "EDI", latitude: 55.95, longitude: -3.19),
        .init(city: "Dublin", country: "Ireland", airport: "DUB", latitude: 53.35, longitude: -6.26),
        .init(city: "Copenhagen", country: "Denmark", airport: "CPH", latitude: 55.68, longitude: 12.57),
        .init(city: "Stockholm", country: "Sweden", airport: "ARN", latitude: 59.33, longitude: 18.07),
        .init(city: "Marrakech", country: "Morocco", airport: "RAK", latitude: 31.63, longitude: -7.99),
        .init(city: "Cairo", country: "Egypt", airport: "CAI", latitude: 30.04, longitude: 31.24),
        .init(city: "Cape Town", country: "South Africa", airport: "CPT", latitude: -33.92, longitude: 18.42),
        .init(city: "Nairobi", country: "Kenya", airport: "NBO", latitude: -1.29, longitude: 36.82),
        .init(city: "Dubai", country: "United Arab Emirates", airport: "DXB", latitude: 25.20, longitude: 55.27),
        .init(city: "Tokyo", country: "Japan", airport: "HND", latitude: 35.68, longitude: 139.69),
        .init(city: "Kyoto", country: "Japan", airport: "KIX", latitude: 35.01, longitude: 135.77),
        .init(city: "Seoul", country: "South Korea", airport: "ICN", latitude: 37.57, longitude: 126.98),
        .init(city: "Bangkok", country: "Thailand", airport: "BKK", latitude: 13.76, longitude: 100.50),
        .init(city: "Bali", country: "Indonesia", airport: "DPS", latitude: -8.41, longitude: 115.19),
        .init(city: "Singapore", country: "Singapore", airport: "SIN", latitude: 1.35, longitude: 103.82),
        .init(city: "Hanoi", country: "Vietnam", airport: "HAN", latitude: 21.03, longitude: 105.85),
        .init(city: "Sydney", country: "Australia", airport: "SYD", latitude: -33.87, longitude: 151.21),
        .init(city: "Queenstown", country: "New Zealand", airport: "ZQN", latitude: -45.03, longitude: 168.66),
        .init(city: "New York", country: "United States", airport: "JFK", latitude: 40.71, longitude: -74.01),
        .init(city: "San Francisco", country: "United States", airport: "SFO", latitude: 37.77, longitude: -122.42),
        .init(city: "New Orleans", country: "United States", airport: "MSY", latitude: 29.95, longitude: -90.07),
        .init(city: "Vancouver", country: "Canada", airport: "YVR", latitude: 49.28, longitude: -123.12),
        .init(city: "Mexico City", country: "Mexico", airport: "MEX", latitude: 19.43, longitude: -99.13),
        .init(city: "Cusco", country: "Peru", airport: "CUZ", latitude: -13.53, longitude: -71.97),
        .init(city: "Buenos Aires", country: "Argentina", airport: "EZE", latitude: -34.60, longitude: -58.38),
        .init(city: "Rio de Janeiro", country: "Brazil", airport: "GIG", latitude: -22.91, longitude: -43.17),
    ]

    /// Activities with the hybrid-search category they belong to.
    static let activities: [(name: String, category: String)] = [
        ("food tour", "food"), ("wine tasting", "food"), ("street food crawl", "food"), ("cooking class", "food"),
        ("museum visits", "culture"), ("architecture walk", "culture"), ("historic old town", "culture"),
        ("art galleries", "culture"), ("hiking", "nature"), ("national park", "nature"), ("whale watching", "nature"),
        ("beach days", "relaxation"), ("spa retreat", "relaxation"), ("island hopping", "relaxation"),
        ("live music", "nightlife"), ("rooftop bars", "nightlife"), ("jazz clubs", "nightlife"),
        ("scuba diving", "adventure"), ("surfing", "adventure"), ("skiing", "adventure"), ("kayaking", "adventure"),
        ("theme parks", "family"), ("zoo and aquarium", "family"), ("conference", "business"), ("client meetings", "business"),
    ]

    static let budgetWords = ["budget", "backpacking", "affordable", "mid-range", "comfortable", "luxury", "splurge"]
    static let durations = ["weekend", "long weekend", "week", "ten days", "two weeks", "getaway", "escape"]
    static let seasons = ["spring", "summer", "autumn", "winter"]

    static let airlines: [(name: String, code: String)] = [
        ("TAP Air Portugal", "TP"), ("Iberia", "IB"), ("Air France", "AF"), ("Lufthansa", "LH"), ("KLM", "KL"),
        ("British Airways", "BA"), ("ITA Airways", "AZ"), ("Turkish Airlines", "TK"), ("Emirates", "EK"),
        ("Singapore Airlines", "SQ"), ("Japan Airlines", "JL"), ("Delta Air Lines", "DL"), ("United Airlines", "UA"),
        ("Qantas", "QF"), ("LATAM", "LA"), ("Ryanair", "FR"), ("easyJet", "U2"),
    ]

    static let firstNames = [
        "ada", "alan", "amara", "ben", "carla", "chen", "dev", "elena", "farah", "grace", "hiro", "ines", "jonas",
        "kai", "lena", "leo", "maya", "mateo", "nadia", "omar", "priya", "quinn", "rosa", "sam", "sofia", "tariq",
        "uma", "victor", "wen", "yusuf", "zoe",
    ]
    static let lastNames = [
        "almeida", "becker", "costa", "dubois", "evans", "fischer", "garcia", "hansen", "ito", "jensen", "kim",
        "lopez", "moreau", "nakamura", "okafor", "patel", "quintero", "rossi", "silva", "tanaka", "umar", "varga",
        "weber", "xu", "yilmaz", "zhang",
    ]

    static let accommodationTypes = ["hotel", "airbnb", "hostel", "resort", "apartment", "guesthouse"]
    static let accommodationWords = ["Grand", "Casa", "Harbour", "Old Town", "Garden", "Riverside", "Central", "Boutique"]
    static let amenities = ["wifi", "breakfast", "pool", "gym", "parking", "air conditioning", "kitchen", "spa", "pet friendly", "sea view"]
    static let streets = ["Market Street", "Harbour Road", "Station Avenue", "Castle Lane", "Garden Row", "River Walk"]
    static let agents = ["travel_planner", "flight_agent", "accommodation_agent", "budget_agent", "itinerary_agent"]
    static let tripStatuses = ["planning", "planning", "booked", "booked", "completed", "cancelled"]
}

/// The words generated rows are made of, for the workload's search parameters: full-text queries that hit
/// generated text, and the hybrid search's `metadata->>'category'` values.
public enum TravelTerms {
    /// The hybrid-search categories, sorted.
    public static let categories = Array(Set(TravelVocabulary.activities.map(\.category))).sorted()
    /// Single words that occur in memory texts: cities, activity words, budget words and seasons.
    public static let words: [String] = {
        let phrases = TravelVocabulary.destinations.map(\.city) + TravelVocabulary.activities.map(\.name)
            + TravelVocabulary.budgetWords + TravelVocabulary.seasons
        var seen = Set<String>()
        return phrases.flatMap { $0.lowercased().split(separator: " ").map(String.init) }
            .filter { $0.count > 3 && seen.insert($0).inserted }
    }()
}
