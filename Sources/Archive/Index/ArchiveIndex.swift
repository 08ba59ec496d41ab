import Dispatch
import Foundation
import Logging
import Synchronization

/// The SQLite index: one writer connection owned by `IndexWriter` (group commit), and a small
/// pool of reader connections (WAL mode lets them read while a write is in progress).
public final class ArchiveIndex: Sendable {
    public let path: String
    let writer: IndexWriter
    private let readers: Mutex<[SQLiteConnection]>
    private let readerCount: Int

    /// Opens (creating and migrating when needed) the index at `path`.
    ///
    /// The WAL runs with `synchronous=NORMAL` (as Orthanc's index does): a commit survives a crash
    /// of the process at once, and reaches the disk at the next checkpoint. Power-cut durability
    /// of acknowledged stores does not depend on it: every file is durable before its row is
    /// written (`HashedFileStore`), and after an unclean stop the start-up recovery indexes any
    /// stored file the index lost.
    public init(path: String, readers: Int = 4, logger: Logger = Logger(label: "swiftpacs.index")) throws {
        self.path = path
        let db = try SQLiteConnection(path: path)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("PRAGMA synchronous=NORMAL")
        try db.execute("PRAGMA foreign_keys=ON")
        try db.execute("PRAGMA temp_store=MEMORY")
        try db.execute("PRAGMA cache_size=-32768")
        // Checkpoint every 8,192 pages (32 MiB of WAL) rather than SQLite's 1,000: a checkpoint
        // syncs twice and copies each page once, and an ingest commit rewrites the same hot pages
        // (index leaves, page 1, the tables' last leaves) again and again, so fewer, larger
        // checkpoints copy far fewer pages per instance (one association, tiny instances: +3 %).
        try db.execute("PRAGMA wal_autocheckpoint=8192")
        try Schema.migrate(db, logger: logger)
        writer = IndexWriter(db: db)
        self.readers = Mutex([])
        readerCount = readers
    }

    /// Runs `body` on a reader connection (a consistent snapshot for its duration).
    public func read<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        let pooled = readers.withLock { $0.popLast() }
        let db: SQLiteConnection
        if let pooled {
            db = pooled
        } else {
            db = try SQLiteConnection(path: path, readOnly: true)
            try db.execute("PRAGMA query_only=ON")
            try db.execute("PRAGMA cache_size=-16384")
        }
        defer {
            readers.withLock { pool in if pool.count < readerCount { pool.append(db) } }
        }
        try db.execute("BEGIN")
        defer { try? db.execute("COMMIT") }
        return try body(db)
    }

    /// Runs `body` in the writer's next group commit: it shares one transaction (and one fsync)
    /// with every other write queued meanwhile, inside its own savepoint so a failure rolls back
    /// only its own changes.
    public func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await writer.submit(durable: nil, body)
    }

    /// Copies the WAL into the database file and truncates it (at a clean shutdown, once no
    /// writes are coming). Waits for writes queued before it.
    public func checkpoint() {
        writer.checkpoint()
    }

    /// Like `write`, for the row of a stored file: the file is made durable first, together with
    /// the other files of the same batch (in parallel), and `body` runs only if that succeeded.
    /// One hand-off to the writer covers both the fsync and the commit.
    public func write<T: Sendable>(durable file: StoredFile,
                                   _ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await writer.submit(durable: file, body)
    }
}

/// Owns the write connection. Writes queue up while a commit is in flight and then go in the
/// next batch together: throughput grows with concurrent clients instead of serialising on commits.
///
/// An ingest's write (one with a stored file) that finds the writer idle is committed by its
/// caller, on the caller's thread: no hand-off at all, which is what a single client storing
/// hundreds of instances per second (and waiting for each) needs. That blocks one thread of the
/// cooperative pool for the file's fsync and a small transaction, but never more than one: while
/// it runs, every other write queues, and the queue's batches (their fsyncs in parallel on GCD's
/// threads, then one commit) run off the pool, as do other writes (deletes can be long).
/// A lock and a serial queue rather than an actor: an actor would add two hand-offs per write.
final class IndexWriter: Sendable {
    /// Used by one thread at a time: whoever set `flushing` (an inline writer or the queue), or
    /// `checkpoint`, which takes `connection` to run between them.
    private let connection: Mutex<SQLiteConnection>
    private let queue = DispatchQueue(label: "swiftpacs.index-writer")
    /// Jobs waiting for the next commit, and whether someone (the queue or an inline writer) is
    /// committing.
    private let state = Mutex<(pending: [Job], flushing: Bool)>(([], false))

    typealias Body = @Sendable (SQLiteConnection) throws -> any Sendable

    struct Job: Sendable {
        /// Made durable before the batch's transaction; the job fails if that fails.
        let durable: StoredFile?
        let body: Body
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    init(db: SQLiteConnection) {
        connection = Mutex(db)
    }

    func submit<T: Sendable>(durable: StoredFile?, _ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let erased: Body = { try body($0) }
        if let durable, state.withLock({ Self.claim(&$0) }) {
            let result = commitAlone(durable: durable, erased)
            handOver()
            return try result.get() as! T
        }
        let result = try await withCheckedThrowingContinuation { (c: CheckedContinuation<any Sendable, any Error>) in
            let startFlush = state.withLock { state in
                state.pending.append(Job(durable: durable, body: erased, continuation: c))
                return Self.claim(&state)
            }
            if startFlush { queue.async { self.flushLoop() } }
        }
        return result as! T
    }

    /// Marks the writer as committing; false when someone already is.
    private static func claim(_ state: inout (pending: [Job], flushing: Bool)) -> Bool {
        if state.flushing { return false }
        state.flushing = true
        return true
    }

    /// After an inline commit: writes that queued meanwhile go to the queue as one batch.
    private func handOver() {
        let more = state.withLock { state in
            if state.pending.isEmpty { state.flushing = false }
            return !state.pending.isEmpty
        }
        if more { queue.async { self.flushLoop() } }
    }

    /// A TRUNCATE checkpoint, after the writes queued before it. Readers still open keep the
    /// frames they use; then the WAL is only shortened at the next one.
    func checkpoint() {
        queue.sync {
            connection.withLock { try? $0.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        }
    }

    /// Commits batches until nothing is pending.
    private func flushLoop() {
        while true {
            let batch = state.withLock { state in
                let batch = state.pending
                state.pending = []
                if batch.isEmpty { state.flushing = false }
                return batch
            }
            if batch.isEmpty { return }
            let durable = Self.makeDurable(batch)
            if durable.isEmpty { continue }
            let results = connection.withLock { Self.commit(durable.map(\.body), on: $0) }
            for (job, result) in zip(durable, results) { job.continuation.resume(with: result) }
        }
    }

    /// One write on the caller's thread: its file's fsync, then its own transaction.
    private func commitAlone(durable: StoredFile, _ body: @escaping Body) -> Result<any Sendable, any Error> {
        do { try durable.makeDurable() } catch { return .failure(error) }
        return connection.withLock { Self.commit([body], on: $0)[0] }
    }

    /// fsyncs the batch's files, in parallel when there are several (their device flushes then
    /// merge), and fails the jobs whose file could not be made durable; returns the others.
    private static func makeDurable(_ batch: [Job]) -> [Job] {
        let files = batch.indices.filter { batch[$0].durable != nil }
        guard !files.isEmpty else { return batch }
        let failures = Mutex<[Int: any Error]>([:])
        DispatchQueue.concurrentPerform(iterations: files.count) { i in
            let index = files[i]
            do { try batch[index].durable!.makeDurable() } catch { failures.withLock { $0[index] = error } }
        }
        let failed = failures.withLock { $0 }
        guard !failed.isEmpty else { return batch }
        for (index, error) in failed { batch[index].continuation.resume(throwing: error) }
        return batch.indices.filter { failed[$0] == nil }.map { batch[$0] }
    }

    /// One transaction for the batch; with several jobs, a savepoint each, so a failing job rolls
    /// back only its own changes. The results are handed out by the caller only after COMMIT
    /// returned, so nobody is told "stored" before it is durable.
    private static func commit(_ bodies: [Body], on db: SQLiteConnection) -> [Result<any Sendable, any Error>] {
        do {
            try db.execute("BEGIN IMMEDIATE")
        } catch {
            return bodies.map { _ in .failure(error) }
        }
        var results: [Result<any Sendable, any Error>] = []
        results.reserveCapacity(bodies.count)
        if bodies.count == 1 {
            // Alone in its transaction: a failure rolls back the transaction, no savepoint needed.
            do {
                results.append(.success(try bodies[0](db)))
            } catch {
                try? db.execute("ROLLBACK")
                return [.failure(error)]
            }
        } else {
            for body in bodies {
                do {
                    try db.execute("SAVEPOINT job")
                    let value = try body(db)
                    try db.execute("RELEASE job")
                    results.append(.success(value))
                } catch {
                    try? db.execute("ROLLBACK TO job")
                    try? db.execute("RELEASE job")
                    results.append(.failure(error))
                }
            }
        }
        do {
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            return bodies.map { _ in .failure(error) }
        }
        return results
    }
}
