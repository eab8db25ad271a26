import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server for live outputs: GET only, one thread accepting and a thread per connection
/// (a scraper or a browser or two, not a load), `Connection: close` after each answer. It listens on the
/// address given (tripbench's own use: 127.0.0.1) until ``stop()``.
public final class HTTPListener: Sendable {
    public struct Response: Sendable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]

        public init(status: Int = 200, contentType: String, body: String) {
            self.status = status
            self.contentType = contentType
            self.body = Array(body.utf8)
        }

        static let notFound = Response(status: 404, contentType: "text/plain; charset=utf-8", body: "not found\n")
    }

    /// Answers a GET of a path (query string removed).
    public typealias Handler = @Sendable (String) -> Response

    /// The address it listens on, as `host:port` (the port the kernel chose when 0 was asked for).
    public let address: String
    private let socket: Int32
    private let handler: Handler
    private let stopped = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    /// Listens on `address` (`HOST:PORT` or `PORT`, IPv4; HOST defaults to 127.0.0.1).
    public init(address: String, option: String, handler: @escaping Handler) throws {
        let (host, port) = try Self.parse(address, option: option)
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LiveOutputError("\(option): cannot open a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else {
            close(fd)
            throw LiveOutputError("\(option) \(address): \(host) is not an IPv4 address", kind: .badInput)
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw LiveOutputError("\(option) \(address): cannot listen there: \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.address = "\(host):\(UInt16(bigEndian: actual.sin_port))"
        self.socket = fd
        self.handler = handler
        let thread = Thread { [self] in self.acceptLoop() }
        thread.name = "tripbench-http"
        thread.start()
    }

    /// Stops accepting and closes the socket (answers being written finish on their own threads).
    public func stop() {
        guard !self.stopped.exchange(true, ordering: .relaxed) else { return }
        self.done.wait()
        close(self.socket)
    }

    static func parse(_ address: String, option: String) throws -> (host: String, port: UInt16) {
        let parts = address.split(separator: ":", omittingEmptySubsequences: false)
        let host = parts.count == 2 ? (parts[0].isEmpty ? "127.0.0.1" : String(parts[0])) : "127.0.0.1"
        guard parts.count <= 2, let port = UInt16(parts.last ?? "") else {
            throw LiveOutputError("\(option) \(address): expected HOST:PORT or PORT, e.g. 127.0.0.1:9464", kind: .badInput)
        }
        return (host, port)
    }

    private func acceptLoop() {
        defer { self.done.signal() }
        while !self.stopped.load(ordering: .relaxed) {
            var entry = pollfd(fd: self.socket, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 200) > 0 else { continue }
            let client = accept(self.socket, nil, nil)
            guard client >= 0 else { continue }
            let handler = self.handler
            let thread = Thread { Self.serve(client, handler: handler) }
            thread.name = "tripbench-http-client"
            thread.start()
        }
    }

    /// Reads the request head (2 s at most), answers and closes.
    private static func serve(_ client: Int32, handler: Handler) {
        defer { close(client) }
        var head = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(2)
        while head.count < 16_384, !head.ends(with: [13, 10, 13, 10]) {
            var entry = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            let wait = Int32(max(deadline.timeIntervalSinceNow * 1000, 0))
            guard wait > 0, poll(&entry, 1, wait) > 0 else { return }
            let count = read(client, &buffer, buffer.count)
            guard count > 0 else { return }
            head += buffer[0..<count]
        }
        let line = String(decoding: head.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        let response: Response
        if line.count >= 2, line[0] == "GET" {
            response = handler(String(line[1].split(separator: "?", maxSplits: 1).first ?? ""))
        } else {
            response = Response(status: 405, contentType: "text/plain; charset=utf-8", body: "only GET\n")
        }
        let reason = [200: "OK", 404: "Not Found", 405: "Method Not Allowed"][response.status] ?? "Error"
        let header = "HTTP/1.1 \(response.status) \(reason)\r\nContent-Type: \(response.contentType)\r\n"
            + "Content-Length: \(response.body.count)\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
        Self.writeAll(client, Array(header.utf8) + response.body)
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return }
            offset += written
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool { self.count >= suffix.count && Array(self.suffix(suffix.count)) == suffix }
}
