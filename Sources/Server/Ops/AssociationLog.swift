import DICOMNetwork
import Foundation
import Logging
import Synchronization

/// The last associations, for `GET /associations` and the log: a test partner sees exactly why
/// their client was refused, what was negotiated, and each operation's status.
public final class AssociationLog: AssociationObserver, Sendable {
    public let capacity: Int
    private let entries = Mutex<[AssociationTrace]>([])
    private let nextID = Mutex(1)
    let logger: Logger

    public init(capacity: Int = 100, logger: Logger = Logger(label: "swiftpacs.associations")) {
        self.capacity = capacity
        self.logger = logger
    }

    /// A fresh id for a new association's trace.
    public func makeID() -> Int {
        nextID.withLock { id in
            defer { id += 1 }
            return id
        }
    }

    public func associationEnded(_ trace: AssociationTrace) {
        entries.withLock {
            $0.append(trace)
            if $0.count > capacity { $0.removeFirst($0.count - capacity) }
        }
        switch trace.outcome {
        case .rejected, .abortedByUs, .abortedByPeer: logger.warning("\(trace.summary)")
        default: logger.info("\(trace.summary)")
        }
    }

    /// Newest first.
    public var recent: [AssociationTrace] { entries.withLock { Array($0.reversed()) } }
}
