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
    /// of acknowledged stores does not depend on it: `beforeCommit` (the file store's group sync)
    /// makes every file durable before its row commits, and after an unclean stop the start-up
    /// recovery indexes any durable file the index lost. `synchronous` = false skips that sync
    /// too (Orthanc's `SyncStorageArea: false`).
    /// `beforeCommit` runs before each group commit (the file store's group sync: every file the
    /// batch refers to is durable before the rows that refer to it are).
    public init(path: String, synchronous: Bool = true, readers: Int = 4,
                beforeCommit: @escaping @Sendable () throws -> Void = {}) throws {
        self.path = path
        let db = try SQLiteConnection(path: path)
        try db.execute("PRAGMA journal_mode=WAL")
        try db.execute("PRAGMA synchronous=NORMAL")
        try db.execute("PRAGMA foreign_keys=ON")
        try db.execute("PRAGMA temp_store=MEMORY")
        try db.execute("PRAGMA cache_size=-32768")
        try Schema.migrate(db)
        writer = IndexWriter(db: db, beforeCommit: beforeCommit)
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
        try await writer.submit(body)
    }
}

/// Owns the write connection. Writes queue up while a commit is in flight and then go in the
/// next batch together: throughput grows with concurrent clients instead of serialising on fsync.
actor IndexWriter {
    private let db: SQLiteConnection
    private var pending: [Job] = []
    private var flushing = false
    /// SQLite work runs here, off the cooperative thread pool, because it blocks on fsync.
    private let queue = DispatchQueue(label: "swiftpacs.index-writer")

    struct Job {
        let body: @Sendable (SQLiteConnection) throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    private let beforeCommit: @Sendable () throws -> Void

    init(db: SQLiteConnection, beforeCommit: @escaping @Sendable () throws -> Void) {
        self.db = db
        self.beforeCommit = beforeCommit
    }

    func submit<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let result = try await withCheckedThrowingContinuation { (c: CheckedContinuation<any Sendable, any Error>) in
            pending.append(Job(body: { try body($0) }, continuation: c))
            if !flushing {
                flushing = true
                Task { await self.flushLoop() }
            }
        }
        return result as! T
    }

    private func flushLoop() async {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            let db = self.db
            let beforeCommit = self.beforeCommit
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                queue.async {
                    Self.commit(batch, on: db, beforeCommit: beforeCommit)
                    done.resume()
                }
            }
        }
        flushing = false
    }

    /// One transaction for the batch, one savepoint per job. Results are handed out only after
    /// COMMIT returns, so nobody is told "stored" before it is durable.
    private static func commit(_ batch: [Job], on db: SQLiteConnection, beforeCommit: () throws -> Void) {
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
            try beforeCommit()
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            for job in batch { job.continuation.resume(throwing: error) }
            return
        }
        for (job, result) in zip(batch, results) { job.continuation.resume(with: result) }
    }
}
