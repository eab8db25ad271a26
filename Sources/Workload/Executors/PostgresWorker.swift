import CPoll
import Foundation
import Glibc
import Postgres
import Results
import VectorSearch

/// One load-driver thread: a few PostgreSQL clients multiplexed over non-blocking libpq, waiting in `ppoll`,
/// as pgbench's `threadRun` does. Each client has one request in flight at most. Made and used on its thread.
final class PostgresWorker {
    private let context: RunContext
    private let group: PostgresClientGroup
    private let clients: [PostgresClient]
    /// The worker's own copy of each operation's shape (see ``OperationSQL/Shape``).
    private let shapes: [OperationSQL.Shape]
    private let stream: RequestStream
    private let runTag: String
    private var recorder: WorkerRecorder
    /// Open loop: the worker's share of the schedule, taken by whichever client is idle.
    private var schedule: WorkerSchedule?
    /// Connection churn: the settings new connections start with.
    private let startupOptions: String?

    init(index: Int, group: PostgresClientGroup, context: RunContext, runTag: String) {
        self.context = context
        self.group = group
        self.clients = group.clients
        self.shapes = group.sql.map(\.shape)
        self.stream = context.stream
        self.runTag = runTag
        self.recorder = WorkerRecorder(context: context, worker: index, catalog: group.catalog, operations: group.scenario.operations.count)
        self.schedule = context.schedule(ofWorker: index)
        self.startupOptions = context.reconnectEvery > 0 ? group.startupOptions : nil
    }

    /// Runs the load until the end (or a stop), then waits for requests in flight, and returns the measurements.
    ///
    /// Each pass moves every client on by at most one request, as pgbench's `threadRun` does: a client whose
    /// answer came in is read and finished, an idle client whose next request is due sends it and reads at
    /// once (the kernel often runs the woken backend during the send, so the answer is already there). A
    /// client finished in a pass sends again in the next, after the others have had their turn: going on with
    /// the same client while its answers keep coming at once gives more requests per second but leaves the
    /// other clients' answers unread meanwhile (docs/benchmarks.md). The thread waits in `ppoll` only when no
    /// client can act now, and reads only the sockets that poll found readable.
    func run() -> WorkerResult {
        // A closed loop starts at the run's start like an open one: sending as soon as the thread runs made the
        // first tens of milliseconds an unplanned warm-up whose requests took numbers from the stream.
        for client in self.clients {
            client.nextSlot = client.id
            client.thinkUntil = self.context.start
            // Connection churn: every request of the run opens its connection, the first ones too (the
            // sessions opened before the run described the statements the new ones send).
            if self.context.reconnectEvery > 0 { client.session = nil }
        }
        var descriptors: [pollfd] = []
        var polled: [Int] = []
        var readable = [Bool](repeating: false, count: self.clients.count)
        descriptors.reserveCapacity(self.clients.count)
        polled.reserveCapacity(self.clients.count)
        let context = self.context
        let grace = context.timeoutNanos + 1_000_000_000
        // When a stop (Ctrl-C, SIGTERM) was first seen: requests still in flight half a second later are
        // abandoned (counted as `cancelled`), so a stop takes effect within a second whatever the statement
        // timeout.
        var stopSeen: Int64?
        while true {
            var now = RunClock.now()
            self.recorder.roll(to: now)
            let stopped = context.shouldStop
            if stopped {
                let seen = stopSeen ?? now
                stopSeen = seen
                if now - seen > 500_000_000 {
                    for client in self.clients where client.inFlight {
                        client.error = "cancelled"
                        self.complete(client, now: now)
                    }
                    break
                }
            }
            let stopping = stopped || now >= context.end + context.drainNanos
            var wake = Int64.max
            var active = false
            var waiting = false
            for (position, client) in self.clients.enumerated() {
                if client.inFlight {
                    if now - client.sentAt > grace {
                        // The server never answered, even past statement_timeout: drop the connection. The
                        // server has been out of reach since the unanswered request went out, as far as anyone
                        // can tell. The client reconnects: it is still active (a pass in which every client
                        // timed out ended the worker, and so the run, early).
                        client.lostAt = client.sentAt
                        self.fail(client, kind: "timeout", now: now)
                        readable[position] = false
                        active = true
                        continue
                    }
                    guard readable[position] else {
                        active = true
                        waiting = true
                        continue
                    }
                    readable[position] = false
                    self.advance(client, now: &now)
                } else {
                    if stopping || client.finished { continue }
                    if client.session == nil, context.reconnectEvery == 0 {
                        active = true
                        guard let retry = self.reconnect(client, now: now) else {
                            wake = now
                            continue
                        }
                        wake = min(wake, retry)
                        continue
                    }
                    self.startIfReady(client, now: now)
                    if client.finished { continue }
                    if client.inFlight, !client.flushPending { self.advance(client, now: &now) }
                }
                active = true
                if client.inFlight {
                    waiting = true
                } else if !stopping {
                    wake = min(wake, self.nextStart(of: client, now: now))
                }
            }
            if !active || (stopping && !waiting) { break }
            // Some client can act now: go round again without waiting (and without reading, as pgbench).
            if wake <= now { continue }
            now = RunClock.now()
            if wake <= now { continue }
            // Wake for the next due request, the next second of the series, or within 100 ms to notice a stop.
            wake = min(wake, now >= context.measureStart ? self.recorder.nextSecondBoundary : context.measureStart, now + 100_000_000)
            if !stopping { wake = min(wake, max(context.end, now)) }
            descriptors.removeAll(keepingCapacity: true)
            polled.removeAll(keepingCapacity: true)
            for (position, client) in self.clients.enumerated() where client.inFlight {
                descriptors.append(client.pollDescriptor)
                polled.append(position)
            }
            let ready = descriptors.withUnsafeMutableBufferPointer {
                tripbench_poll_nanos($0.baseAddress, UInt($0.count), max(wake - now, 0))
            }
            guard ready > 0 else { continue }
            for (index, position) in polled.enumerated() where descriptors[index].revents != 0 { readable[position] = true }
        }
        self.recorder.finish()
        self.context.followedBy?.close()
        if let schedule = self.schedule {
            // Requests that came due before the end but were not sent even in the drain after it: a backlog the
            // server never caught up on (k6's dropped iterations). Every request due in the measured part is
            // either counted (answered, failed or cancelled) or unsent: the schedule says how many were due.
            let before = min(RunClock.now(), context.end)
            let backlog = schedule.backlog(from: context.measureStart, before: before)
            self.recorder.countUnsent(first: backlog.first, count: backlog.count, stride: context.slotWorkers)
            self.recorder.result.scheduled = context.schedule(ofWorker: self.recorder.worker)?.backlog(from: context.measureStart, before: before).count ?? 0
        }
        let end = RunClock.now()
        for client in self.clients {
            client.session = nil
            if let lost = client.lostAt { self.recorder.result.outages.append(lost..<max(end, lost)) }
        }
        return self.recorder.result
    }

    /// When an idle client could start its next request: the worker's next due slot (open loop), or the end
    /// of its think time (closed loop); `Int64.max` when the schedule is used up.
    private func nextStart(of client: PostgresClient, now: Int64) -> Int64 {
        if let probes = self.context.probes { return probes.nextLook(now: now) ?? .max }
        // Optional chaining reads the one field; `if let` would copy the schedule (and retain what it holds).
        if self.context.openLoop { return self.schedule?.due ?? .max }
        return max(client.thinkUntil, now)
    }

    /// Starts the next request of the worker's schedule on the client when it is due (open loop), or the
    /// client's next request when its think time is over and the request count allows it (closed loop); marks
    /// the client finished when there is none left. ``nextStart(of:now:)`` says when to look again otherwise.
    private func startIfReady(_ client: PostgresClient, now: Int64) {
        let context = self.context
        if let probes = context.probes {
            guard let due = probes.nextDue else {
                client.finished = true
                return
            }
            guard due <= now, let probe = probes.take(now: now) else { return }
            client.probe = probe
            self.start(client, draw: self.stream.probeDraw(probe.number, row: probe.row, operation: context.lane!), intended: probe.committed, now: now)
        } else if context.openLoop {
            while true {
                guard let due = self.schedule?.due else {
                    client.finished = true
                    return
                }
                guard due <= now else { return }
                let slot = self.schedule!.slot
                self.schedule!.advance()
                // Requests that waited the application pool's timeout fail; the client takes the next due one.
                if now - due >= context.poolTimeoutNanos {
                    self.timeOutInPool(slot, due: due)
                    continue
                }
                self.start(client, index: slot, intended: due, now: now)
                return
            }
        } else {
            guard client.thinkUntil <= now else { return }
            if now >= context.measureStart, !context.claimMeasuredRequest() {
                client.finished = true
                return
            }
            self.start(client, index: client.nextSlot, intended: now, now: now)
            client.nextSlot += context.executor.clients
        }
    }

    /// Fails request `index`, due at `due`, that waited the application pool's timeout for a connection: the
    /// application gives up on it then, unsent (SQLAlchemy's `TimeoutError`).
    private func timeOutInPool(_ index: Int, due: Int64) {
        guard due >= self.context.measureStart else { return }
        let draw = self.context.draw(index, asUser: nil)
        let gaveUp = due + self.context.poolTimeoutNanos
        self.recorder.result.poolTimeouts += 1
        if gaveUp >= self.context.measureStart, gaveUp < self.context.end { self.recorder.result.completedInWindow += 1 }
        self.recorder.record(
            draw.operation, intended: due, sent: gaveUp, now: gaveUp, error: PoolSpec.timeoutError, rows: 0, memoryRows: nil, actingUser: nil)
    }

    /// Draws request `index` and sends its first statement.
    private func start(_ client: PostgresClient, index: Int, intended: Int64, now: Int64) {
        self.start(client, draw: self.context.draw(index, asUser: client.actingUser), intended: intended, now: now)
    }

    /// Sends the first statement of `draw`, due at `intended`.
    private func start(_ client: PostgresClient, draw: RequestDraw, intended: Int64, now: Int64) {
        let context = self.context
        client.operation = draw.operation
        if let classifier = context.planClassifier { client.planClass = classifier.classify(draw) }
        client.step = 0
        client.intended = intended
        client.sentAt = now
        client.measured = intended >= context.measureStart
        // A probe reads the rows its search returned, as a recall sample does.
        client.sampled = client.measured && (client.probe != nil || context.samplesRecall(draw.index))
        client.probeFound = false
        // Most requests are one statement without a recall sample: their draw is used here and dropped.
        if client.sampled || self.shapes[draw.operation].statementCount > 1 || context.followedBy != nil { client.draw = draw }
        client.rows = 0
        client.memoryRows = nil
        client.previousID = nil
        client.rollingBack = false
        client.error = nil
        client.inFlight = true
        if client.measured { self.recorder.noteSent() }
        // A probe is timed from its row's commit: how late its search went out is part of what it measures.
        if client.measured, context.openLoop, context.probes == nil { self.recorder.result.scheduleLag.record(nanos: now - intended) }
        if client.session == nil, context.reconnectEvery > 0 {
            client.draw = draw
            self.connect(client, now: now)
            return
        }
        self.send(client, draw: draw, now: now)
    }

    /// Connection churn: starts opening the client's connection for the request it has just begun; the
    /// worker's loop waits on its socket with the others' (``continueConnecting(_:now:)``).
    private func connect(_ client: PostgresClient, now: Int64) {
        client.attemptStarted = now
        do {
            client.attempt = try PostgresConnectionAttempt(self.group.target, options: self.startupOptions)
        } catch {
            self.failToConnect(client, now: now)
        }
    }

    /// Moves a connection attempt on; once open, the client's session is made on it (no round trip) and the
    /// request's first statement goes out. The connection's setup time is recorded apart, and is part of the
    /// request's latency as it is of the application's.
    private func continueConnecting(_ client: PostgresClient, now: inout Int64) {
        do {
            guard let connection = try client.attempt?.poll() else { return }
            client.attempt = nil
            now = RunClock.now()
            if client.measured { self.recorder.result.connectTime.record(nanos: now - client.attemptStarted) }
            client.session = try self.group.session(on: connection)
            client.requestsOnConnection = 0
            if let lost = client.lostAt {
                self.recorder.result.outages.append(lost..<max(now, lost))
                client.lostAt = nil
            }
            self.send(client, draw: client.draw, now: now)
        } catch {
            self.failToConnect(client, now: RunClock.now())
        }
    }

    /// Ends a request whose connection could not be opened (`connect_failed`).
    private func failToConnect(_ client: PostgresClient, now: Int64) {
        client.attempt = nil
        if client.measured { self.recorder.result.connectFailures += 1 }
        client.error = "connect_failed"
        self.complete(client, now: now)
    }

    /// Sends the client's next statement of `draw` (its ROLLBACK while rolling back).
    private func send(_ client: PostgresClient, draw: borrowing RequestDraw, now: Int64) {
        guard let session = client.session else { return }
        let operation = client.operation
        do {
            let parameters = client.rollingBack ? [] : OperationSQL.bind(
                draw, kind: self.shapes[operation].kind, statement: client.step, previous: client.previousID,
                stream: self.stream, runTag: self.runTag)
            let use = self.resultUse(of: client)
            client.flushPending = !(try session.send(
                operation: operation, step: client.step, rollback: client.rollingBack, parameters,
                keepingResult: use.needsID || use.memoryColumn != nil))
        } catch let error as PostgresError {
            self.finishWithError(client, error, now: now)
        } catch {
            self.finishWithError(client, PostgresError(.encoding, "\(error)"), now: now)
        }
    }

    /// What the result of the client's current statement feeds: the id a later statement of its transaction
    /// binds, and the memory rows of a recall sample or an RLS check. The result is kept only for these.
    private func resultUse(of client: PostgresClient) -> (needsID: Bool, memoryColumn: Int?) {
        let shape = self.shapes[client.operation]
        guard !client.rollingBack, client.step == shape.resultStatement else { return (false, nil) }
        return (shape.statementCount > 1, client.sampled || client.actingUser != nil ? shape.memoryIDColumn : nil)
    }

    /// Handles readiness of a client's socket: flushes, reads, and moves the request on when a statement ends.
    private func advance(_ client: PostgresClient, now: inout Int64) {
        if client.attempt != nil {
            self.continueConnecting(client, now: &now)
            return
        }
        guard let session = client.session else { return }
        if client.flushPending {
            do { client.flushPending = !(try session.connection.flushOutput()) } catch let error as PostgresError {
                self.finishWithError(client, error, now: now)
                return
            } catch { return }
        }
        let outcome = session.connection.pollResult()
        if case .pending = outcome { return }
        now = RunClock.now()
        if client.rollingBack {
            self.complete(client, now: now)
            return
        }
        let sql = self.shapes[client.operation]
        switch consume outcome {
        case .pending: return
        case .failed(let error):
            if sql.isTransaction, client.step > 0, session.connection.isHealthy {
                client.error = ErrorKind.of(error)
                client.rollingBack = true
                self.send(client, draw: client.draw, now: now)
            } else {
                self.finishWithError(client, error, now: now)
            }
        case .finished(let rows, let result):
            if client.step == sql.resultStatement { client.rows = rows }
            if let result {
                let (needsID, memoryColumn) = self.resultUse(of: client)
                if needsID, result.count > 0, result.columnCount > 0 {
                    client.previousID = try? result.decode(UUID.self, row: 0, column: 0)
                }
                if let column = memoryColumn, let probe = client.probe {
                    let id = self.stream.catalog.memoryID(probe.row)
                    client.probeFound = (0..<result.count).contains { (try? result.decode(UUID.self, row: $0, column: column)) == id }
                } else if let column = memoryColumn {
                    client.memoryRows = (0..<result.count).map { row in
                        (try? result.decode(UUID.self, row: row, column: column)).flatMap { self.stream.catalog.row(ofMemory: $0) } ?? -1
                    }
                }
            }
            client.step += 1
            if client.step < sql.statementCount {
                self.send(client, draw: client.draw, now: now)
            } else {
                self.complete(client, now: now)
            }
        }
    }

    private func finishWithError(_ client: PostgresClient, _ error: PostgresError, now: Int64) {
        let kind = ErrorKind.of(error)
        if kind == "connection_lost" || !(client.session?.connection.isHealthy ?? false) {
            self.fail(client, kind: kind == "connection_lost" ? kind : "connection_lost", now: now)
            return
        }
        client.error = kind
        self.complete(client, now: now)
    }

    /// Ends the request in flight with `kind` and drops the connection; the client reconnects with back-off.
    private func fail(_ client: PostgresClient, kind: String, now: Int64) {
        client.attempt = nil
        client.error = kind
        self.complete(client, now: now)
        client.session = nil
        if client.lostAt == nil { client.lostAt = now }
        client.backOff(now: now)
    }

    /// Moves a client without a session towards one: the session is opened on a thread of its own, so the
    /// worker's other clients go on meanwhile (connecting and preparing takes round trips, and a server
    /// coming back may be slow to accept).
    /// - Returns: when to look again; nil when the client has its session back.
    private func reconnect(_ client: PostgresClient, now: Int64) -> Int64? {
        if let attempt = client.reconnection {
            // Still connecting: look again soon.
            guard let outcome = attempt.take() else { return now + 2_000_000 }
            client.reconnection = nil
            switch outcome {
            case .success(let session):
                client.session = session
                client.backoff = PostgresClient.firstBackoff
                self.recorder.result.reconnects += 1
                if let lost = client.lostAt { self.recorder.result.outages.append(lost..<max(now, lost)) }
                client.lostAt = nil
                return nil
            case .failure:
                client.backOff(now: now)
                return client.reconnectAt
            }
        }
        guard now >= client.reconnectAt else { return client.reconnectAt }
        let attempt = Reconnection()
        client.reconnection = attempt
        let group = self.group
        let actingUser = client.actingUser
        let thread = Thread { attempt.finish(Result { try group.openSession(actingUser: actingUser) }) }
        thread.name = "tripbench-reconnect"
        thread.start()
        return now + 2_000_000
    }

    /// Records a finished request; a probe's search that did not find its row goes back to its queue.
    private func complete(_ client: PostgresClient, now: Int64) {
        client.inFlight = false
        client.flushPending = false
        client.attempt = nil
        if self.context.reconnectEvery > 0, client.session != nil {
            // Connection churn: the connection goes once it has served its requests.
            client.requestsOnConnection += 1
            if client.requestsOnConnection >= self.context.reconnectEvery { client.session = nil }
        }
        if self.context.thinkNanos > 0 { client.thinkUntil = now + self.context.thinkNanos }
        if now >= self.context.measureStart, now < self.context.end { self.recorder.result.completedInWindow += 1 }
        if let probes = self.context.probes, let probe = client.probe {
            client.probe = nil
            if client.measured { self.recorder.result.operations[client.operation].polls += 1 }
            if client.error == nil {
                guard let settled = probes.settle(probe, found: client.probeFound, sent: client.sentAt, now: now) else { return }
                client.error = settled
            }
        } else if let queue = self.context.followedBy, client.measured, client.error == nil {
            queue.inserted(client.draw.index, row: client.draw.row, committed: now)
        }
        guard client.measured else { return }
        self.recorder.record(
            client.operation, intended: client.intended, sent: client.sentAt, now: now, error: client.error,
            rows: client.rows, memoryRows: client.memoryRows, actingUser: client.actingUser, planClass: client.planClass)
        if client.sampled, client.error == nil, let rows = client.memoryRows, self.context.probes == nil {
            self.recorder.keepRecallSample(client.operation, draw: client.draw, rows: rows)
        }
    }
}
