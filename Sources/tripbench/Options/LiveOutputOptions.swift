import ArgumentParser
import Foundation
import LiveOutputs
import Workload

/// `--metrics-listen` and `--hlog`: the run's figures while it goes, for Prometheus and HdrHistogram's tools.
struct LiveOutputOptions: ParsableArguments {
    @Option(name: .customLong("metrics-listen"), help: ArgumentHelp("""
        Serve Prometheus metrics at http://ADDRESS/metrics during the run (HOST:PORT or PORT, IPv4; HOST \
        defaults to 127.0.0.1; port 0 takes a free one): requests and errors, latency histograms, in flight, \
        backlog, offered rate, phase and recall, per target and operation (docs/live-outputs.md).
        """, valueName: "address"))
    var metricsListen: String?

    @Option(name: .customLong("dashboard-listen"), help: ArgumentHelp("""
        Serve a live dashboard at http://ADDRESS/ during the run (HOST:PORT or PORT; HOST defaults to 127.0.0.1): \
        each operation's count, rate, percentiles and errors so far, and per-second charts, redrawn every second.
        """, valueName: "address"))
    var dashboardListen: String?

    @Option(help: ArgumentHelp("""
        Write HdrHistogram's interval log of the run to FILE: a compressed histogram a second per target and \
        operation (tag target.operation, microseconds), for HdrHistogram's log processors and plotters.
        """, valueName: "file"))
    var hlog: String?

    @Option(name: .customLong("out-requests"), help: ArgumentHelp("""
        Write one record per measured request to FILE (JSON Lines, or CSV for a name ending .csv): target, \
        operation, due, sent and end times, latency, service time, rows, outcome.
        """, valueName: "file"))
    var outRequests: String?

    @Option(name: .customLong("out-requests-sample"), help: "The share of requests --out-requests keeps, 0 to 1 (default 1: every one).")
    var outRequestsSample: Double = 1

    func validate() throws {
        guard self.outRequestsSample > 0, self.outRequestsSample <= 1 else {
            throw ValidationError("--out-requests-sample must be above 0 and at most 1, not \(self.outRequestsSample)")
        }
        if self.outRequests == nil, self.outRequestsSample != 1 { throw ValidationError("--out-requests-sample samples --out-requests: name its file") }
    }

    /// Opens the outputs asked for: the endpoint listens and the log's temporary file exists before the run.
    func open() throws -> LiveOutputs {
        do {
            let endpoint = try self.metricsListen.map { try MetricsEndpoint(address: $0) }
            if let endpoint { Console.info("metrics at http://\(endpoint.address)/metrics") }
            let dashboard = try self.dashboardListen.map { try DashboardServer(address: $0) }
            if let dashboard { Console.info("live dashboard at http://\(dashboard.address)/") }
            let log = try self.hlog.map { try IntervalLogWriter(path: $0) }
            let requests = try self.outRequests.map { try RequestLogWriter(path: $0) }
            return LiveOutputs(
                endpoint: endpoint, dashboard: dashboard, log: log, requests: requests, requestSample: requests == nil ? 0 : self.outRequestsSample)
        } catch let error as LiveOutputError {
            throw CommandFailure(error.kind == .badInput ? .badInput : .runtimeFailure, error.message)
        }
    }
}

/// The live outputs of one command, open for its runs.
struct LiveOutputs {
    var endpoint: MetricsEndpoint?
    var dashboard: DashboardServer?
    var log: IntervalLogWriter?
    var requests: RequestLogWriter?
    var requestSample: Double

    var sinks: [any RunSink] {
        [self.endpoint?.exporter as (any RunSink)?, self.dashboard?.dashboard, self.log, self.requests].compactMap { $0 }
    }

    /// Hands the runner its sinks.
    func attach(to runner: inout WorkloadRunner) {
        runner.sinks = self.sinks
        runner.requestSample = self.requestSample
    }

    /// Stops the endpoint and removes the logs' temporary files: the run failed before its report.
    func discard() {
        self.endpoint?.close()
        self.dashboard?.close()
        self.log?.discard()
        self.requests?.discard()
    }

    /// Waits for a last scrape and puts the logs in place.
    func close() throws {
        if let wait = self.endpoint?.finalScrapeWait {
            Console.info("waiting for a last scrape of /metrics (at most \(Int(wait.rounded(.up))) s)")
        }
        self.endpoint?.close()
        self.dashboard?.close()
        do {
            try self.log?.close()
            if let log { Console.info("interval log: \(log.path)") }
            try self.requests?.close()
            if let requests { Console.info("\(requests.written) requests: \(requests.path)") }
        } catch let error as LiveOutputError {
            throw CommandFailure(.runtimeFailure, error.message)
        }
    }
}
