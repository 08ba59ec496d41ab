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
/// A lock and a serial queue rather than an actor: a write costs one hand-off to the queue and
/// one back to the caller, which matters when a single client stores hundreds of instances per
/// second and waits for each. The batch's file fsyncs and its SQLite work run on the queue (and
/// on GCD's threads for parallel fsyncs), off the cooperative thread pool, because they block
/// on the disk.
final class IndexWriter: Sendable {
    private let db: SQLiteConnection
    private let queue = DispatchQueue(label: "swiftpacs.index-writer")
    /// Jobs waiting for the next commit, and whether the queue is draining them.
    private let state = Mutex<(pending: [Job], flushing: Bool)>(([], false))

    struct Job: Sendable {
        /// Made durable before the batch's transaction; the job fails if that fails.
        let durable: StoredFile?
        let body: @Sendable (SQLiteConnection) throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    init(db: SQLiteConnection) {
        self.db = db
    }

    func submit<T: Sendable>(durable: StoredFile?, _ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let result = try await withCheckedThrowingContinuation { (c: CheckedContinuation<any Sendable, any Error>) in
            let startFlush = state.withLock { state in
                state.pending.append(Job(durable: durable, body: { try body($0) }, continuation: c))
                if state.flushing { return false }
                state.flushing = true
                return true
            }
            if startFlush { queue.async { self.flushLoop() } }
        }
        return result as! T
    }

    /// A TRUNCATE checkpoint on the writer's queue, after the writes queued before it. Readers
    /// still open keep the frames they use; then the WAL is only shortened at the next one.
    func checkpoint() {
        queue.sync { try? db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
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
            if !durable.isEmpty { Self.commit(durable, on: db) }
        }
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

    /// One transaction for the batch, one savepoint per job. Results are handed out only after
    /// COMMIT returns, so nobody is told "stored" before it is durable.
    private static func commit(_ batch: [Job], on db: SQLiteConnection) {
        var results: [Result<any Sendable, any Error>] = []
        results.reserveCapacity(batch.count)
        do {
            try db.execute("BEGIN IMMEDIATE")
        } catch {
            for job in batch { job.continuation.resume(throwing: error) }
            return
        }
        for job in batch {
            do {
                try db.execute("SAVEPOINT job")
                let value = try job.body(db)
                try db.execute("RELEASE job")
                results.append(.success(value))
            } catch {
                try? db.execute("ROLLBACK TO job")
                try? db.execute("RELEASE job")
                results.append(.failure(error))
            }
        }
        do {
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            for job in batch { job.continuation.resume(throwing: error) }
            return
        }
        for (job, result) in zip(batch, results) { job.continuation.resume(with: result) }
    }
}
