import DICOMNetwork
import Foundation
import Logging
import Synchronization

/// The modality whitelist: `DicomModalities` from the configuration, edited at runtime through
/// `PUT/DELETE /modalities/{id}` and persisted next to the index (no restart needed), and the
/// access rules of Orthanc's `DicomAlwaysAllow*`, `DicomCheckCalledAet` and `DicomCheckModalityHost`,
/// except that host names are resolved to addresses (Orthanc compares strings).
public final class ModalityRegistry: AccessPolicy, Sendable {
    public struct Rules: Sendable {
        public var ourAET = "SWIFTPACS"
        public var checkCalledAET = false
        public var checkModalityHost = false
        public var strictAETComparison = false
        public var alwaysAllowEcho = true
        public var alwaysAllowStore = true
        public var alwaysAllowFind = false
        public var alwaysAllowMove = false
        public var alwaysAllowGet = false
        public init() {}

        func alwaysAllows(_ service: DIMSEService) -> Bool {
            switch service {
            case .echo: alwaysAllowEcho
            case .store: alwaysAllowStore
            case .find: alwaysAllowFind
            case .move: alwaysAllowMove
            case .get: alwaysAllowGet
            }
        }
    }

    public let rules: Rules
    private let modalities: Mutex<[String: Modality]>
    private let persistencePath: String?
    private let resolver: @Sendable (String) -> [String]

    public init(modalities: [String: Modality], rules: Rules, persistencePath: String? = nil,
                resolver: @escaping @Sendable (String) -> [String] = ModalityRegistry.resolve) {
        var initial = modalities
        if let path = persistencePath, let data = FileManager.default.contents(atPath: path),
           let stored = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            initial = [:]
            for (name, value) in stored { if let m = try? Modality(json: value, name: name) { initial[name] = m } }
        }
        self.modalities = Mutex(initial)
        self.rules = rules
        self.persistencePath = persistencePath
        self.resolver = resolver
    }

    public var all: [String: Modality] { modalities.withLock { $0 } }
    public subscript(name: String) -> Modality? { modalities.withLock { $0[name] } }

    public func set(_ modality: Modality, name: String) throws {
        try modalities.withLock { $0[name] = modality; try persist($0) }
    }

    @discardableResult public func remove(name: String) throws -> Bool {
        try modalities.withLock {
            guard $0.removeValue(forKey: name) != nil else { return false }
            try persist($0)
            return true
        }
    }

    private func persist(_ all: [String: Modality]) throws {
        guard let path = persistencePath else { return }
        let object = all.mapValues { $0.json }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    func sameAET(_ a: String, _ b: String) -> Bool {
        rules.strictAETComparison ? a == b : a.caseInsensitiveCompare(b) == .orderedSame
    }

    /// The modalities with this AE title (several entries may share one, on different hosts).
    public func modalities(withAET aet: String) -> [Modality] {
        modalities.withLock { $0.values.filter { sameAET($0.aet, aet) } }
    }

    /// The destination of a C-MOVE: the modality whose AE title is `aet`.
    public func destination(aet: String) -> Modality? { modalities(withAET: aet).first }

    func hostMatches(_ modality: Modality, _ address: String) -> Bool {
        modality.host == address || resolver(modality.host).contains(address)
    }

    // MARK: AccessPolicy

    public func evaluate(_ peer: AssociationPeer) -> AssociationRefusal? {
        if rules.checkCalledAET, !sameAET(peer.calledAETitle, rules.ourAET) {
            return AssociationRefusal(.calledAETitleNotRecognized,
                                      explanation: "called AE title \"\(peer.calledAETitle)\" is not ours (\"\(rules.ourAET)\"; DicomCheckCalledAet is on)")
        }
        let anyAlways = DIMSEService.allCases.contains { rules.alwaysAllows($0) }
        if anyAlways { return nil }
        let known = modalities(withAET: peer.callingAETitle)
        if known.isEmpty {
            return AssociationRefusal(.callingAETitleNotRecognized,
                                      explanation: "calling AE title \"\(peer.callingAETitle)\" is not in DicomModalities")
        }
        if rules.checkModalityHost, !known.contains(where: { hostMatches($0, peer.address) }) {
            return AssociationRefusal(.callingAETitleNotRecognized,
                                      explanation: "calling AE title \"\(peer.callingAETitle)\" is known, but not from \(peer.address) (DicomCheckModalityHost is on; configured host: \(known.map(\.host).joined(separator: ", ")))")
        }
        return nil
    }

    public func allows(_ service: DIMSEService, from peer: AssociationPeer) -> Bool {
        if rules.alwaysAllows(service) { return true }
        var candidates = modalities(withAET: peer.callingAETitle)
        if rules.checkModalityHost { candidates = candidates.filter { hostMatches($0, peer.address) } }
        guard !candidates.isEmpty else { return false }
        if candidates.count == 1 { return candidates[0].allows(service) }
        // Several entries with this AE title: one from this very host decides; otherwise all must agree.
        if let exact = candidates.first(where: { hostMatches($0, peer.address) }) { return exact.allows(service) }
        return candidates.allSatisfy { $0.allows(service) }
    }

    /// Numeric addresses of a host name (getaddrinfo); the name itself when it is already numeric.
    public static func resolve(_ host: String) -> [String] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { return [host] }
        defer { freeaddrinfo(result) }
        var out: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                out.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            cursor = entry.pointee.ai_next
        }
        return out
    }
}
