/// Status (0000,0900) of a DIMSE response: the PS3.7 Annex C category of the code and, for the
/// C-services, its PS3.4 meaning.
public struct DIMSEStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// PS3.7 Annex C.
    public enum Category: String, Sendable, CustomStringConvertible {
        case success = "Success"
        case pending = "Pending"
        case cancel = "Cancel"
        case warning = "Warning"
        case failure = "Failure"
        /// A code PS3.7 does not assign. An SCU should treat it as a failure.
        case unknown = "Unknown"
        public var description: String { rawValue }
    }

    /// The service a code is interpreted for: the same code means different things to
    /// different services (0xB000 is a coercion warning for C-STORE, failed sub-operations for C-MOVE).
    public enum Service: Sendable {
        case verification, storage, find, get, move
        /// Only the general codes of PS3.7 Annex C.
        case general

        /// The service of a command (request or response).
        public init(_ command: CommandField) {
            switch command.rawValue & 0x7FFF {
            case 0x0030: self = .verification
            case 0x0001: self = .storage
            case 0x0020: self = .find
            case 0x0010: self = .get
            case 0x0021: self = .move
            default: self = .general
            }
        }
    }

    public var category: Category {
        switch rawValue {
        case 0x0000: .success
        case 0xFF00, 0xFF01: .pending
        case 0xFE00: .cancel
        case 0x0001, 0x0107, 0x0116, 0xB000...0xBFFF: .warning
        case 0x0100...0x02FF, 0xA000...0xAFFF, 0xC000...0xCFFF: .failure
        default: .unknown
        }
    }

    public var isSuccess: Bool { rawValue == 0x0000 }
    public var isPending: Bool { category == .pending }
    public var isWarning: Bool { category == .warning }
    public var isCancel: Bool { category == .cancel }
    /// Failure, or a code PS3.7 does not define (which an SCU treats as one).
    public var isFailure: Bool { category == .failure || category == .unknown }
    /// Success, warning, failure or cancel: the last response to a request.
    public var isFinal: Bool { !isPending }

    // MARK: Codes

    public static let success = DIMSEStatus(0x0000)
    /// PS3.7 C.3: "Requested optional attributes are not supported".
    public static let warning = DIMSEStatus(0x0001)
    public static let cancel = DIMSEStatus(0xFE00)
    /// C-FIND matches, C-GET/C-MOVE sub-operations continuing.
    public static let pending = DIMSEStatus(0xFF00)
    /// C-FIND: matches continuing, one or more optional keys not supported.
    public static let pendingWithWarnings = DIMSEStatus(0xFF01)

    // PS3.7 Annex C general codes.
    public static let noSuchAttribute = DIMSEStatus(0x0105)
    public static let invalidAttributeValue = DIMSEStatus(0x0106)
    public static let attributeListError = DIMSEStatus(0x0107)
    public static let processingFailure = DIMSEStatus(0x0110)
    public static let duplicateSOPInstance = DIMSEStatus(0x0111)
    public static let noSuchSOPInstance = DIMSEStatus(0x0112)
    public static let noSuchEventType = DIMSEStatus(0x0113)
    public static let noSuchArgument = DIMSEStatus(0x0114)
    public static let invalidArgumentValue = DIMSEStatus(0x0115)
    public static let attributeValueOutOfRange = DIMSEStatus(0x0116)
    public static let invalidObjectInstance = DIMSEStatus(0x0117)
    public static let noSuchSOPClass = DIMSEStatus(0x0118)
    public static let classInstanceConflict = DIMSEStatus(0x0119)
    public static let missingAttribute = DIMSEStatus(0x0120)
    public static let missingAttributeValue = DIMSEStatus(0x0121)
    public static let sopClassNotSupported = DIMSEStatus(0x0122)
    public static let noSuchAction = DIMSEStatus(0x0123)
    public static let notAuthorized = DIMSEStatus(0x0124)
    public static let duplicateInvocation = DIMSEStatus(0x0210)
    public static let unrecognizedOperation = DIMSEStatus(0x0211)
    public static let mistypedArgument = DIMSEStatus(0x0212)
    public static let resourceLimitation = DIMSEStatus(0x0213)

    // PS3.4 B.2.3 (C-STORE) and C.4 (Query/Retrieve).
    public static let outOfResources = DIMSEStatus(0xA700)
    public static let outOfResourcesNumberOfMatches = DIMSEStatus(0xA701)
    public static let outOfResourcesSubOperations = DIMSEStatus(0xA702)
    public static let moveDestinationUnknown = DIMSEStatus(0xA801)
    /// C-STORE: data set does not match SOP class; C-FIND/GET/MOVE: identifier does not match.
    public static let dataSetDoesNotMatchSOPClass = DIMSEStatus(0xA900)
    /// C-STORE: cannot understand; C-FIND/GET/MOVE: unable to process (C000H-CFFFH).
    public static let cannotUnderstand = DIMSEStatus(0xC000)
    /// C-STORE: coercion of data elements; C-GET/MOVE: sub-operations complete with failures.
    public static let coercionOfDataElements = DIMSEStatus(0xB000)
    public static let subOperationsCompleteWithFailures = DIMSEStatus(0xB000)
    public static let elementsDiscarded = DIMSEStatus(0xB006)
    public static let dataSetDoesNotMatchSOPClassWarning = DIMSEStatus(0xB007)

    // MARK: Meanings

    /// What the code means to `service`: the PS3.4 service-specific meaning, else the PS3.7
    /// Annex C general one; nil for a code neither defines.
    public func meaning(for service: Service) -> String? {
        if let specific = Self.specificMeaning(rawValue, service) { return specific }
        return Self.generalMeaning(rawValue)
    }

    /// `0xA700 Failure: Refused: Out of resources`, as logs and the association trace print it.
    public func description(for service: Service) -> String {
        let head = "0x\(dimseHex(rawValue)) \(category)"
        guard let meaning = meaning(for: service) else { return head }
        return "\(head): \(meaning)"
    }

    public func description(for command: CommandField) -> String { description(for: Service(command)) }

    /// The general meaning only (the service is not known here).
    public var description: String { description(for: .general) }

    private static func generalMeaning(_ code: UInt16) -> String? {
        switch code {
        case 0x0000: "Success"
        case 0x0001: "Requested optional attributes are not supported"
        case 0x0105: "No such attribute"
        case 0x0106: "Invalid attribute value"
        case 0x0107: "Attribute list error"
        case 0x0110: "Processing failure"
        case 0x0111: "Duplicate SOP Instance"
        case 0x0112: "No such SOP Instance"
        case 0x0113: "No such event type"
        case 0x0114: "No such argument"
        case 0x0115: "Invalid argument value"
        case 0x0116: "Attribute value out of range"
        case 0x0117: "Invalid object instance"
        case 0x0118: "No such SOP Class"
        case 0x0119: "Class-instance conflict"
        case 0x0120: "Missing attribute"
        case 0x0121: "Missing attribute value"
        case 0x0122: "Refused: SOP Class not supported"
        case 0x0123: "No such action"
        case 0x0124: "Refused: not authorized"
        case 0x0210: "Duplicate invocation"
        case 0x0211: "Unrecognized operation"
        case 0x0212: "Mistyped argument"
        case 0x0213: "Resource limitation"
        case 0xFE00: "Cancel"
        case 0xFF00: "Pending"
        case 0xFF01: "Pending with warnings"
        default: nil
        }
    }

    private static func specificMeaning(_ code: UInt16, _ service: Service) -> String? {
        switch service {
        case .general, .verification:
            return nil
        case .storage:  // PS3.4 B.2.3
            switch code {
            case 0xA700...0xA7FF: return "Refused: Out of resources"
            case 0xA900...0xA9FF: return "Error: Data set does not match SOP Class"
            case 0xC000...0xCFFF: return "Error: Cannot understand"
            case 0xB000: return "Coercion of data elements"
            case 0xB007: return "Data set does not match SOP Class"
            case 0xB006: return "Elements discarded"
            default: return nil
            }
        case .find:  // PS3.4 C.4.1.1.4
            switch code {
            case 0xA700: return "Refused: Out of resources"
            case 0xA900: return "Identifier does not match SOP Class"
            case 0xC000...0xCFFF: return "Unable to process"
            case 0xFE00: return "Matching terminated due to cancel"
            case 0xFF00: return "Matches are continuing: current match supplied"
            case 0xFF01: return "Matches are continuing: one or more optional keys not supported"
            default: return nil
            }
        case .get, .move:  // PS3.4 C.4.2.1.5, C.4.3.1.4
            switch code {
            case 0xA700: return "Refused: Out of resources"
            case 0xA701: return "Refused: Out of resources, unable to calculate number of matches"
            case 0xA702: return "Refused: Out of resources, unable to perform sub-operations"
            case 0xA801 where service == .move: return "Refused: Move destination unknown"
            case 0xA900: return "Identifier does not match SOP Class"
            case 0xAA00: return "None of the frames requested were found in the SOP Instance"
            case 0xAA01: return "Unable to create new object for this SOP Class"
            case 0xAA02: return "Unable to extract frames"
            case 0xAA03: return "Time-based request received for a non-time-based original SOP Instance"
            case 0xAA04: return "Invalid request"
            case 0xC000...0xCFFF: return "Unable to process"
            case 0xB000: return "Sub-operations complete: one or more failures or warnings"
            case 0xFE00: return "Sub-operations terminated due to cancel"
            case 0xFF00: return "Sub-operations are continuing"
            default: return nil
            }
        }
    }
}
