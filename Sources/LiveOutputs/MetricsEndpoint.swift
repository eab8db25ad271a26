import Foundation
import Synchronization

/// `--metrics-listen`: ``PrometheusExporter``'s figures at `/metrics` while the command runs.
///
/// A scraper that reads the endpoint during the run would miss the last seconds if it closed with the run:
/// ``close()`` waits for one more scrape, as long as two of the scraper's intervals (at most 30 s), when
/// something scraped it before; a run nobody scraped closes at once.
public final class MetricsEndpoint: Sendable {
    public let exporter: PrometheusExporter
    private let listener: HTTPListener
    private let scrapes: ScrapeTimes
    private let closed = Atomic<Bool>(false)

    public init(address: String) throws {
        let exporter = PrometheusExporter()
        let scrapes = ScrapeTimes()
        self.exporter = exporter
        self.scrapes = scrapes
        self.listener = try HTTPListener(address: address, option: "--metrics-listen") { path in
            guard path == "/metrics" else { return .notFound }
            let body = exporter.render()
            scrapes.note(Date())
            return HTTPListener.Response(contentType: "text/plain; version=0.0.4; charset=utf-8", body: body)
        }
    }

    /// Where it listens, `host:port`.
    public var address: String { self.listener.address }

    /// How long ``close()`` may wait for a last scrape: nil when nothing has scraped the endpoint.
    public var finalScrapeWait: TimeInterval? {
        let seen = self.scrapes.last(2)
        guard let last = seen.last else { return nil }
        let interval = seen.count == 2 ? last.timeIntervalSince(seen[0]) : 15
        return min(max(2 * interval, 2), 30)
    }

    /// Waits for a scrape after now if the endpoint has been scraped (see the type's note), then stops listening.
    public func close() {
        guard !self.closed.exchange(true, ordering: .relaxed) else { return }
        if let wait = self.finalScrapeWait {
            let closing = Date()
            let deadline = closing.addingTimeInterval(wait)
            while Date() < deadline, (self.scrapes.last(1).first ?? .distantPast) <= closing {
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        self.listener.stop()
    }
}

/// When the endpoint was last scraped.
private final class ScrapeTimes: Sendable {
    private let times = Mutex<[Date]>([])

    func note(_ time: Date) { self.times.withLock { $0 = Array(($0 + [time]).suffix(2)) } }
    func last(_ count: Int) -> [Date] { self.times.withLock { Array($0.suffix(count)) } }
}
