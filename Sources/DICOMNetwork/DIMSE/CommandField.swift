/// Command Field (0000,0100), PS3.7 Table E.1-1. Responses are the request value with bit 15 set.
public struct CommandField: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let cStoreRQ = CommandField(rawValue: 0x0001)
    public static let cStoreRSP = CommandField(rawValue: 0x8001)
    public static let cGetRQ = CommandField(rawValue: 0x0010)
    public static let cGetRSP = CommandField(rawValue: 0x8010)
    public static let cFindRQ = CommandField(rawValue: 0x0020)
    public static let cFindRSP = CommandField(rawValue: 0x8020)
    public static let cMoveRQ = CommandField(rawValue: 0x0021)
    public static let cMoveRSP = CommandField(rawValue: 0x8021)
    public static let cEchoRQ = CommandField(rawValue: 0x0030)
    public static let cEchoRSP = CommandField(rawValue: 0x8030)
    public static let nEventReportRQ = CommandField(rawValue: 0x0100)
    public static let nEventReportRSP = CommandField(rawValue: 0x8100)
    public static let nGetRQ = CommandField(rawValue: 0x0110)
    public static let nGetRSP = CommandField(rawValue: 0x8110)
    public static let nSetRQ = CommandField(rawValue: 0x0120)
    public static let nSetRSP = CommandField(rawValue: 0x8120)
    public static let nActionRQ = CommandField(rawValue: 0x0130)
    public static let nActionRSP = CommandField(rawValue: 0x8130)
    public static let nCreateRQ = CommandField(rawValue: 0x0140)
    public static let nCreateRSP = CommandField(rawValue: 0x8140)
    public static let nDeleteRQ = CommandField(rawValue: 0x0150)
    public static let nDeleteRSP = CommandField(rawValue: 0x8150)
    public static let cCancelRQ = CommandField(rawValue: 0x0FFF)

    /// Bit 15 marks a response; C-CANCEL-RQ (0FFFH) is a request.
    public var isResponse: Bool { rawValue & 0x8000 != 0 }

    /// The response to this request (nil for C-CANCEL-RQ and for responses).
    public var response: CommandField? {
        guard !isResponse, self != .cCancelRQ else { return nil }
        return CommandField(rawValue: rawValue | 0x8000)
    }

    /// `C-STORE-RQ`, `N-ACTION-RSP`, ... or the hex value for one PS3.7 does not define.
    public var name: String? {
        let base: String
        switch rawValue & 0x7FFF {
        case 0x0001: base = "C-STORE"
        case 0x0010: base = "C-GET"
        case 0x0020: base = "C-FIND"
        case 0x0021: base = "C-MOVE"
        case 0x0030: base = "C-ECHO"
        case 0x0100: base = "N-EVENT-REPORT"
        case 0x0110: base = "N-GET"
        case 0x0120: base = "N-SET"
        case 0x0130: base = "N-ACTION"
        case 0x0140: base = "N-CREATE"
        case 0x0150: base = "N-DELETE"
        case 0x0FFF where !isResponse: base = "C-CANCEL"
        default: return nil
        }
        return base + (isResponse ? "-RSP" : "-RQ")
    }

    public var description: String { name ?? "command 0x\(dimseHex(rawValue))" }
}

/// Priority (0000,0700), PS3.7 §9.1: LOW = 0002H, MEDIUM = 0000H, HIGH = 0001H. Kept as received,
/// so a value outside the three round-trips.
public struct DIMSEPriority: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let medium = DIMSEPriority(rawValue: 0x0000)
    public static let high = DIMSEPriority(rawValue: 0x0001)
    public static let low = DIMSEPriority(rawValue: 0x0002)

    public var description: String {
        switch rawValue {
        case 0: "MEDIUM"
        case 1: "HIGH"
        case 2: "LOW"
        default: "priority 0x\(dimseHex(rawValue))"
        }
    }
}

/// Four upper-case hex digits (DIMSE logs write status codes and command fields this way).
func dimseHex(_ value: UInt16) -> String {
    let s = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - s.count) + s
}
