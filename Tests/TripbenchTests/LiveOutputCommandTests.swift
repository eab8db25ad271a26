import Foundation
import LocalServer
import Logging
import Postgres
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `tripbench run --metrics-listen --hlog` read by the real tools: a Prometheus (Debian's) scraping the run every
/// second, whose `rate()` and `histogram_quantile()` must agree with report.json, and HdrHistogram's Python
/// package reading the interval log back to the report's counts and P99.
@Suite(.serialized) struct LiveOutputCommandTests {
    static var environment: [String: String] { ["TRIPBENCH_STATE_DIR": TestServer.stateDirectory.path] }

    /// A socket bound to a port of the kernel's choice on 127.0.0.1 (listening when asked), and the port.
    static func boundSocket(listening: Bool = false) throws -> (descriptor: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && (!listening || listen(fd, 1) == 0) && getsockname(fd, $0, &length) == 0
            }
        }
        try #require(bound)
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A port nothing listens on now.
    static func freePort() throws -> Int {
        let (fd, port) = try Self.boundSocket()
        close(fd)
        return port
    }

    /// One value of an instant query (nil when the result is empty).
    static func query(_ prometheus: LocalPrometheus, _ expression: String, at time: Date? = nil) throws -> Double? {
        var components = URLComponents(url: prometheus.url.appendingPathComponent("api/v1/query"), resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "query", value: expression)] + (time.map { [URLQueryItem(name: "time", value: String(format: "%.3f", $0.timeIntervalSince1970))] } ?? [])
        let body = try Data(contentsOf: components.url!)
        let json = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let result = try #require((json["data"] as? [String: Any])?["result"] as? [[String: Any]], "\(String(decoding: body, as: UTF8.self))")
        guard let value = result.first?["value"] as? [Any], let text = value.last as? String else { return nil }
        return Double(text)
    }

    @Test func prometheusAndHdrHistogramReadTheRunAsItsReportDoes() async throws {
        _ = try await TestServer.connectionString()
        let logger = Logger(label: "tests")
        let metricsPort = try Self.freePort()
        let prometheus = LocalPrometheus(stateDirectory: TestServer.stateDirectory, port: try Self.freePort())
        try await DedicatedThread.run { try prometheus.up(scraping: ["127.0.0.1:\(metricsPort)"], interval: .seconds(1), logger: logger) }
        defer { _ = try? prometheus.down(logger: logger) }
        let (status, standardError, report, hlog) = try await GateIntegrityTests.withScenario("live-outputs", """
            name: live-outputs
            dataset: tiny
            executor: {type: constant-arrival-rate, rate: 100, clients: 8}
            warmup: 1s
            duration: 20s
            recallSample: 0.2
            operations:
              - {name: vector_search, weight: 3}
              - {name: preference_lookup, weight: 1}
            """) { file, out in
            let hlog = out.appendingPathComponent("run.hlog")
            let run = try await DedicatedThread.run {
                try TripbenchCLI.run(
                    ["run", file.path, "--out", out.path, "--quiet", "--metrics-listen", "127.0.0.1:\(metricsPort)", "--hlog", hlog.path],
                    environment: Self.environment)
            }
            let report = try? JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any]
            let read = try await DedicatedThread.run { try Self.readBack(hlog, report: out.appendingPathComponent("report.json")) }
            return (run.status, run.standardError, report, read)
        }
        #expect(status == 0, "\(standardError)")
        let operations = try #require(report?["operations"] as? [[String: Any]])
        let vector = try #require(operations.first { $0["operation"] as? String == "vector_search" })
        let vectorLatency = try #require(vector["latency_us"] as? [String: Any])
        let total = try #require((report?["totals"] as? [[String: Any]])?.first)
        let count = try #require(total["count"] as? Int)

        // The endpoint waited for a scrape after the run: Prometheus holds every request.
        let scraped = try await DedicatedThread.run {
            try Self.query(prometheus, #"sum(max_over_time(tripbench_requests_total{target="postgres"}[5m]))"#)
        }
        #expect(scraped.map(Int.init) == count, "Prometheus counted \(scraped ?? -1) requests, the report \(count)")

        // P95 in the bucket that holds the report's: histogram_quantile interpolates within it.
        let p95 = Double(try #require(vectorLatency["p95"] as? Int)) / 1e6
        let quantile = try #require(try await DedicatedThread.run {
            try Self.query(prometheus, #"histogram_quantile(0.95, sum by (le) (max_over_time(tripbench_request_duration_seconds_bucket{operation="vector_search"}[5m])))"#)
        })
        let bounds = Self.metricBounds
        let upper = bounds.first { $0 >= p95 } ?? .infinity
        let lower = bounds.last { $0 < p95 } ?? 0
        #expect(quantile >= lower * 0.999 && quantile <= upper * 1.001, "Prometheus P95 \(quantile) s, report \(p95) s (bucket \(lower)–\(upper))")

        // rate() over ten seconds in the middle of the measured window is the served rate.
        let environment = try #require(report?["environment"] as? [String: Any])
        let dates = ISO8601DateFormatter()
        dates.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let start = try #require((environment["start_time"] as? String).flatMap { dates.date(from: $0) })
        let rate = try #require(try await DedicatedThread.run {
            try Self.query(prometheus, #"sum(rate(tripbench_requests_total{target="postgres"}[10s]))"#, at: start.addingTimeInterval(15))
        })
        let qps = try #require(total["qps"] as? Double)
        #expect(abs(rate - qps) / qps < 0.15, "rate() \(rate)/s, report \(qps)/s")

        // The interval log, merged per tag by HdrHistogram's own Python reader.
        let logged = try #require(hlog["postgres.vector_search"])
        let vectorCount = try #require(vector["count"] as? Int)
        #expect(logged.count == vectorCount, "hlog \(logged.count) requests, report \(vectorCount)")
        #expect(logged.sameBuckets, "the log's intervals do not add up to report.json's histogram")
        #expect(logged.p99 == logged.reportP99, "hlog P99 \(logged.p99) µs, report.json's histogram \(logged.reportP99) µs (report: \(vectorLatency["p99"] ?? "?"))")
        #expect(hlog["postgres.preference_lookup"] != nil)
    }

    /// The bounds the exporter uses, read from its exposition's `le` labels would need a run; they are
    /// Prometheus-conventional, 13 a decade (see PrometheusExporter.bounds).
    static var metricBounds: [Double] {
        let steps: [Double] = [1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 7.5, 8, 9]
        return (1...5).reversed().flatMap { exponent in steps.map { $0 / pow(10, Double(exponent)) } } + steps + [10, 12.5, 15, 20, 25, 30, 40, 50, 60]
    }

    /// Reads an interval log with the `hdrhistogram` package: per tag, the merged count, its P99 (µs), the P99 the
    /// package computes from report.json's own histogram of the same operation (the package rounds the rank of a
    /// percentile to the nearest count where report.json, as HdrHistogram's Java, rounds up: compared like with
    /// like), and whether the two histograms hold the same counts in every bucket.
    static func readBack(_ log: URL, report: URL) throws -> [String: (count: Int, p99: Int, reportP99: Int, sameBuckets: Bool)] {
        let script = """
            import json, sys
            from hdrh.histogram import HdrHistogram
            from hdrh.log import HistogramLogReader
            reader = HistogramLogReader(sys.argv[1], HdrHistogram(1, 3600000000, 3))
            merged = {}
            while True:
                interval = reader.get_next_interval_histogram()
                if interval is None:
                    break
                merged.setdefault(interval.get_tag(), HdrHistogram(1, 3600000000, 3)).add(interval)
            report = json.load(open(sys.argv[2]))
            out = {}
            for entry in report["histograms"]:
                tag = entry["target"] + "." + entry["operation"]
                if entry["measure"] != "latency" or tag not in merged:
                    continue
                reference = HdrHistogram(1, 3600000000, 3)
                for value, count in entry["buckets"]:
                    reference.record_value(value, count)
                logged = merged[tag]
                same = all(logged.get_count_at_value(value) == reference.get_count_at_value(value) for value, _ in entry["buckets"]) \\
                    and logged.get_total_count() == reference.get_total_count()
                out[tag] = [logged.get_total_count(), logged.get_value_at_percentile(99), reference.get_value_at_percentile(99), same]
            print(json.dumps(out))
            """
        let python = ProjectLocator.projectRoot().appendingPathComponent(".venv/bin/python").path
        let output = try CommandRunner().run(python, ["-c", script, log.path, report.path])
        try #require(output.succeeded, "\(output.text)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: [Any]])
        return json.mapValues { ($0[0] as? Int ?? -1, $0[1] as? Int ?? -1, $0[2] as? Int ?? -2, $0[3] as? Bool ?? false) }
    }

    /// GET `url`'s body, nil when nothing answers.
    static func fetch(_ url: String) -> Data? { try? Data(contentsOf: URL(string: url)!) }

    /// The page as headless Chromium has it after running its script for `budget` of virtual time.
    static func dump(_ url: String, budget: Int = 2500) throws -> String {
        let chromium = try #require(["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                    "chromium is not installed: make setup installs it")
        let output = try CommandRunner().run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=\(budget)", "--dump-dom", url])
        try #require(output.succeeded, "\(output.text)")
        return output.standardOutput
    }

    /// The first operation row's count in a dumped page, and the redraws it had.
    static func figures(_ dom: String) -> (count: Int?, updates: Int?) {
        func first(_ pattern: String) -> Int? {
            guard let match = dom.firstMatch(of: try! Regex(pattern)), let group = match.output[1].substring else { return nil }
            return Int(group)
        }
        return (first(#"<td class="count">(\d+)</td>"#), first(#"data-updates="(\d+)""#))
    }

    @Test func theDashboardMovesInChromiumAndEndsOnTheReportsFigures() async throws {
        _ = try await TestServer.connectionString()
        let port = try Self.freePort()
        let base = "http://127.0.0.1:\(port)"
        let (status, standardError, report, doms, last) = try await GateIntegrityTests.withScenario("live-dashboard", """
            name: live-dashboard
            dataset: tiny
            executor: {type: constant-arrival-rate, rate: 100, clients: 8}
            warmup: 1s
            duration: 15s
            recallSample: 0.2
            operations:
              - {name: vector_search, weight: 3}
              - {name: preference_lookup, weight: 1}
            """) { file, out in
            let run = try TripbenchCLI.start(["run", file.path, "--out", out.path, "--quiet", "--dashboard-listen", "127.0.0.1:\(port)"], environment: Self.environment)
            let (doms, lastData) = try await DedicatedThread.run { () -> ([String], Data?) in
                // Once the first second is in: the page twice, four seconds apart, then the figures until the end.
                let deadline = Date().addingTimeInterval(120)
                while run.isRunning, Date() < deadline {
                    if let data = Self.fetch(base + "/live.json"), String(decoding: data, as: UTF8.self).contains("vector_search") { break }
                    usleep(200_000)
                }
                var doms = [try Self.dump(base + "/")]
                Thread.sleep(forTimeInterval: 4)
                doms.append(try Self.dump(base + "/"))
                var last: Data?
                while run.isRunning {
                    if let data = Self.fetch(base + "/live.json") { last = data }
                    usleep(200_000)
                }
                return (doms, last)
            }
            let last = lastData.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
            let (status, standardError) = run.finish()
            let report = try? JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("report.json"))) as? [String: Any]
            return (status, standardError, report, doms, last)
        }
        #expect(status == 0, "\(standardError)")
        let (first, second) = (Self.figures(doms[0]), Self.figures(doms[1]))
        #expect((first.updates ?? 0) >= 1 && (second.updates ?? 0) >= 1, "the page's script never drew the figures")
        #expect(doms[0].contains("vector_search") && doms[0].contains("<svg"))
        let (before, after) = (try #require(first.count), try #require(second.count))
        #expect(after > before, "the count did not move in four seconds: \(before), then \(after)")

        // The page's last fetch, after the run: the finished figures, which are report.json's.
        let final = try #require(last)
        #expect(final["finished"] as? Bool == true)
        let target = try #require((final["targets"] as? [[String: Any]])?.first)
        let shown = try #require((target["operations"] as? [[String: Any]])?.first { $0["operation"] as? String == "vector_search" })
        let reported = try #require((report?["operations"] as? [[String: Any]])?.first { $0["operation"] as? String == "vector_search" })
        let latency = try #require(reported["latency_us"] as? [String: Any])
        #expect(shown["count"] as? Int == reported["count"] as? Int)
        #expect(shown["p95_us"] as? Int == latency["p95"] as? Int && shown["p99_us"] as? Int == latency["p99"] as? Int)
        #expect((shown["recall"] as? Double).map { abs($0 - ((reported["recall"] as? [String: Any])?["mean"] as? Double ?? -1)) < 1e-9 } == true)
    }

    @Test func everyRequestIsRecordedOnceAndASampleKeepsItsShare() async throws {
        _ = try await TestServer.connectionString()
        let (runs, reports) = try await GateIntegrityTests.withScenario("live-requests", """
            name: live-requests
            dataset: tiny
            executor: {type: constant-arrival-rate, rate: 200, clients: 4}
            warmup: 1s
            duration: 4s
            recallSample: 0
            operations:
              - {name: vector_search, weight: 1}
              - {name: preference_lookup, weight: 1}
            """) { file, out in
            var runs: [(status: Int32, text: String, lines: [String])] = []
            var reports: [[String: Any]] = []
            for (name, sample) in [("requests.jsonl", "1"), ("requests.csv", "0.5")] {
                let directory = out.appendingPathComponent(name + "-run")
                let path = out.appendingPathComponent(name).path
                let run = try await DedicatedThread.run {
                    try TripbenchCLI.run(
                        ["run", file.path, "--out", directory.path, "--quiet", "--out-requests", path, "--out-requests-sample", sample],
                        environment: Self.environment)
                }
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                runs.append((run.status, run.standardError, text.split(separator: "\n").map(String.init)))
                reports.append((try? JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("report.json"))) as? [String: Any]) ?? [:])
                #expect(!FileManager.default.fileExists(atPath: path + ".partial-\(getpid())"))
            }
            return (runs, reports)
        }
        for run in runs { #expect(run.status == 0, "\(run.text)") }
        let count = try #require((reports[0]["totals"] as? [[String: Any]])?.first?["count"] as? Int)
        let records = try runs[0].lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(records.count == count, "\(records.count) records, \(count) requests in the report")
        #expect(Set(records.compactMap { $0["operation"] as? String }) == ["vector_search", "preference_lookup"])
        #expect(records.allSatisfy {
            ($0["latency_us"] as? Int) == ($0["end_us"] as? Int ?? 0) - ($0["due_us"] as? Int ?? 0) && ($0["outcome"] as? String) == "ok"
                && ($0["due_us"] as? Int ?? -1) >= 0 && ($0["sent_us"] as? Int ?? -1) >= ($0["due_us"] as? Int ?? 0)
        })
        // Open loop at 200/s: the due times are the schedule's, 5 ms apart on average.
        let dues = records.compactMap { $0["due_us"] as? Int }.sorted()
        let meanGap = Double(dues.last! - dues.first!) / Double(dues.count - 1)
        #expect(abs(meanGap - 5_000) < 500, "mean gap between due times \(meanGap) µs")

        let csv = runs[1].lines
        #expect(csv.first == "target,operation,due_us,sent_us,end_us,latency_us,service_us,rows,outcome,end_unix")
        let sampledOf = try #require((reports[1]["totals"] as? [[String: Any]])?.first?["count"] as? Int)
        let share = Double(csv.count - 1) / Double(sampledOf)
        #expect(share > 0.4 && share < 0.6, "--out-requests-sample 0.5 kept \(csv.count - 1) of \(sampledOf)")
    }

    @Test(arguments: [
        (["--metrics-listen", "localhost:nine"], "--metrics-listen localhost:nine: expected HOST:PORT or PORT"),
        (["--dashboard-listen", "example:80"], "example is not an IPv4 address"),
        (["--out-requests-sample", "2", "--out-requests", "/tmp/x.jsonl"], "--out-requests-sample must be above 0 and at most 1"),
        (["--hlog", "/nonexistent-directory/run.hlog"], "--hlog /nonexistent-directory/run.hlog: cannot create a file there"),
    ])
    func badLiveOutputsAreRefusedBeforeTheRun(arguments: [String], message: String) async throws {
        let run = try await DedicatedThread.run {
            try TripbenchCLI.run(["run", "ci-smoke", "--target", "index", "--duration", "1s", "--quiet"] + arguments, environment: Self.environment)
        }
        #expect(run.status == 2, "\(run.standardError)")
        #expect(run.standardError.contains(message), "\(run.standardError)")
        #expect(!run.standardError.contains("running ci-smoke"), "the run started: \(run.standardError)")
    }

    @Test func aPortAlreadyTakenIsARuntimeFailure() async throws {
        let (fd, port) = try Self.boundSocket(listening: true)
        defer { close(fd) }
        let run = try await DedicatedThread.run {
            try TripbenchCLI.run(["run", "ci-smoke", "--target", "index", "--duration", "1s", "--quiet", "--metrics-listen", "127.0.0.1:\(port)"], environment: Self.environment)
        }
        #expect(run.status == 3 && run.standardError.contains("cannot listen there"), "\(run.status): \(run.standardError)")
    }
}
