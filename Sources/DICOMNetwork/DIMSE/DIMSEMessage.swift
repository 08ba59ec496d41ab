import DICOM

/// One DIMSE-C message type (PS3.7 §9.3): its typed fields, how it maps to and from a command set,
/// and whether a data set follows it.
public protocol DIMSEMessageType: Sendable, Equatable, CustomStringConvertible {
    static var commandField: CommandField { get }
    /// Reads the message from a decoded command set, checking the fields PS3.7 makes mandatory.
    init(command: CommandSet) throws(DIMSEError)
    /// The command set to send.
    var command: CommandSet { get }
    /// Whether a data set (or identifier) follows the command.
    var hasDataSet: Bool { get }
}

extension DIMSEMessageType {
    public var description: String { command.description }

    static func check(_ command: CommandSet) throws(DIMSEError) {
        guard command.commandField == Self.commandField else {
            throw .invalidCommandValue(tag: .commandField,
                                       reason: "\(command.commandField) where \(Self.commandField) is expected")
        }
    }

    static func required<T>(_ value: T?, _ tag: Tag) throws(DIMSEError) -> T {
        guard let value else { throw .missingCommandElement(tag: tag, command: Self.commandField) }
        return value
    }

    /// For messages that always (or never) carry a data set.
    static func requireDataSet(_ command: CommandSet, _ expected: Bool) throws(DIMSEError) {
        guard command.hasDataSet == expected else {
            throw .invalidCommandValue(tag: .commandDataSetType,
                                       reason: "\(Self.commandField) \(expected ? "requires a data set" : "has no data set")")
        }
    }
}

/// The Number of Remaining/Completed/Failed/Warning Sub-operations of a C-GET or C-MOVE response
/// (0000,1020-1023); each is optional (PS3.7 Table 9.3-5 and 9.3-7: pending responses carry
/// remaining, final ones need not).
public struct SubOperationCounts: Sendable, Equatable {
    public var remaining: UInt16?
    public var completed: UInt16?
    public var failed: UInt16?
    public var warning: UInt16?

    public init(remaining: UInt16? = nil, completed: UInt16? = nil, failed: UInt16? = nil, warning: UInt16? = nil) {
        self.remaining = remaining
        self.completed = completed
        self.failed = failed
        self.warning = warning
    }

    init(_ command: CommandSet) {
        self.init(remaining: command.numberOfRemainingSuboperations, completed: command.numberOfCompletedSuboperations,
                  failed: command.numberOfFailedSuboperations, warning: command.numberOfWarningSuboperations)
    }

    func apply(to command: inout CommandSet) {
        command.numberOfRemainingSuboperations = remaining
        command.numberOfCompletedSuboperations = completed
        command.numberOfFailedSuboperations = failed
        command.numberOfWarningSuboperations = warning
    }
}

// MARK: - C-ECHO (PS3.7 §9.3.5)

public struct CEchoRequest: DIMSEMessageType {
    public static let commandField = CommandField.cEchoRQ
    /// Verification SOP Class.
    public static let verificationSOPClassUID = "1.2.840.10008.1.1"

    public var messageID: UInt16
    public var affectedSOPClassUID: String

    public init(messageID: UInt16, affectedSOPClassUID: String = CEchoRequest.verificationSOPClassUID) {
        self.messageID = messageID
        self.affectedSOPClassUID = affectedSOPClassUID
    }

    public init(command: CommandSet) throws(DIMSEError) {
        try Self.check(command)
        try Self.requireDataSet(command, false)
        messageID = try Self.required(command.messageID, .messageID)
        affectedSOPClassUID = try Self.required(command.affectedSOPClassUID, .affectedSOPClassUID)
    }

    public var command: CommandSet {
        var c = CommandSet(commandField: Self.commandField)
        c.messageID = messageID
        c.affectedSOPClassUID = affectedSOPClassUID
        return c
    }

    public var hasDataSet: Bool { false }

    public func response(status: DIMSEStatus = .success, errorComment: String? = nil) -> CEchoResponse {
        CEchoResponse(messageIDBeingRespondedTo: messageID, affectedSOPClassUID: affectedSOPClassUID,
                      status: status, errorComment: errorComment)
    }
}

public struct CEchoResponse: DIMSEMessageType {
    public static let commandField = CommandField.cEchoRSP

    public var messageIDBeingRespondedTo: UInt16
    public var affectedSOPClassUID: String?
    public var status: DIMSEStatus
    public var errorComment: String?

    public init(messageIDBeingRespondedTo: UInt16, affectedSOPClassUID: String? = CEchoRequest.verificationSOPClassUID,
                status: DIMSEStatus = .success, errorComment: String? = nil) {
        self.messageIDBeingRespondedTo = messageIDBeingRespondedTo
        self.affectedSOPClassUID = affectedSOPClassUID
        self.status = status
        self.errorComment = errorComment
    }

    public init(command: CommandSet) throws(DIMSEError) {
        try Self.check(command)
        try Self.requireDataSet(command, false)
        messageIDBeingRespondedTo = try Self.required(command.messageIDBeingRespondedTo, .messageIDBeingRespondedTo)
        affectedSOPClassUID = command.affectedSOPClassUID
        status = try Self.required(command.status, .status)
        errorComment = command.errorComment
    }

    public var command: CommandSet {
        var c = CommandSet(commandField: Self.commandField)
        c.messageIDBeingRespondedTo = messageIDBeingRespondedTo
        c.affectedSOPClassUID = affectedSOPClassUID
        c.status = status
        c.errorComment = errorComment
        return c
    }

    public var hasDataSet: Bool { false }
}

// MARK: - C-STORE (PS3.7 §9.3.1)

public struct CStoreRequest: DIMSEMessageType {
    public static let commandField = CommandField.cStoreRQ

    public var messageID: UInt16
    public var affectedSOPClassUID: String
    public var affectedSOPInstanceUID: String
    public var priority: DIMSEPriority
    /// Set when the store is a sub-operation of a C-MOVE (PS3.7 §9.1.1.1).
    public var moveOriginatorApplicationEntityTitle: String?
    public var moveOriginatorMessageID: UInt16?

    public init(messageID: UInt16, affectedSOPClassUID: String, affectedSOPInstanceUID: String,
                priority: DIMSEPriority = .medium, moveOriginatorApplicationEntityTitle: String? = nil,
                moveOriginatorMessageID: UInt16? = nil) {
        self.messageID = messageID
        self.affectedSOPClassUID = affectedSOPClassUID
        self.affectedSOPInstanceUID = affectedSOPInstanceUID
        self.priority = priority
        self.moveOriginatorApplicationEntityTitle = moveOriginatorApplicationEntityTitle
        self.moveOriginatorMessageID = moveOriginatorMessageID
    }

    public init(command: CommandSet) throws(DIMSEError) {
        try Self.check(command)
        try Self.requireDataSet(command, true)
        messageID = try Self.required(command.messageID, .messageID)
        affectedSOPClassUID = try Self.required(command.affectedSOPClassUID, .affectedSOPClassUID)
        affectedSOPInstanceUID = try Self.required(command.affectedSOPInstanceUID, .affectedSOPInstanceUID)
        priority = command.priority ?? .medium
        moveOriginatorApplicationEntityTitle = command.moveOriginatorApplicationEntityTitle
        moveOriginatorMessageID = command.moveOriginatorMessageID
    }

    public var command: CommandSet {
        var c = CommandSet(commandField: Self.commandField, hasDataSet: true)
        c.messageID = messageID
        c.affectedSOPClassUID = affectedSOPClassUID
        c.affectedSOPInstanceUID = affectedSOPInstanceUID
        c.priority = priority
        c.moveOriginatorApplicationEntityTitle = moveOriginatorApplicationEntityTitle
        c.moveOriginatorMessageID = moveOriginatorMessageID
        return c
    }

    public var hasDataSet: Bool { true }

    public func response(status: DIMSEStatus, offendingElements: [Tag]? = nil,
                         errorComment: String? = nil) -> CStoreResponse {
        CStoreResponse(messageIDBeingRespondedTo: messageID, affectedSOPClassUID: affectedSOPClassUID,
                       affectedSOPInstanceUID: affectedSOPInstanceUID, status: status,
                       offendingElements: offendingElements, errorComment: errorComment)
    }
}

public struct CStoreResponse: DIMSEMessageType {
    public static let commandField = CommandField.cStoreRSP

    public var messageIDBeingRespondedTo: UInt16
    public var affectedSOPClassUID: String?
    public var affectedSOPInstanceUID: String?
    public var status: DIMSEStatus
    public var offendingElements: [Tag]?
    public var errorComment: String?

    public init(messageIDBeingRespondedTo: UInt16, affectedSOPClassUID: String?, affectedSOPInstanceUID: String?,
                status: DIMSEStatus, offendingElements: [Tag]? = nil, errorComment: String? = nil) {
        self.messageIDBeingRespondedTo = messageIDBeingRespondedTo
        self.affectedSOPClassUID = affectedSOPClassUID
        self.affectedSOPInstanceUID = affectedSOPInstanceUID
        self.status = status
        self.offendingElements = offendingElements
        self.errorComment = errorComment
    }

    public init(command: CommandSet) throws(DIMSEError) {
        try Self.check(command)
        try Self.requireDataSet(command, false)
        messageIDBeingRespondedTo = try Self.required(command.messageIDBeingRespondedTo, .messageIDBeingRespondedTo)
        affectedSOPClassUID = command.affectedSOPClassUID
        affectedSOPInstanceUID = command.affectedSOPInstanceUID
        status = try Self.required(command.status, .status)
        offendingElements = command.offendingElements
        errorComment = command.errorComment
    }

    public var command: CommandSet {
        var c = CommandSet(commandField: Self.commandField)
        c.messageIDBeingRespondedTo = messageIDBeingRespondedTo
        c.affectedSOPClassUID = affectedSOPClassUID
        c.affectedSOPInstanceUID = affectedSOPInstanceUID
        c.status = status
        c.offendingElements = offendingElements
        c.errorComment = errorComment
        return c
    }

    public var hasDataSet: Bool { false }
}

// MARK: - C-FIND (PS3.7 §9.3.2)

public struct CFindRequest: DIMSEMessageType {
    public static let commandField = CommandField.cFindRQ

    public var messageID: UInt16
    public var affectedSOPClassUID: String
    public var priority: DIMSEPriority

    public init(messageID: UInt16, affectedSOPClassUID: String, priority: DIMSEPriority = .medium) {
        self.messageID = messageID
        self.affectedSOPClassUID = affectedSOPClassUID
        self.priority = priority
    }

    public init(command: CommandSet) throws(DIMSEError) {
        try Self.check(command)
        try Self.requireDataSet(command, true)
        messageID = try Self.required(command.messageID, .messageID)
        affectedSOPClassUID = try Self.required(command.affectedSOPClassUID, .affectedSOPClassUID)
        priority = command.priority ?? .medium
    }

    public var command: CommandSet {
        var c = CommandSet(commandField: Self.commandField, hasDataSet: true)
        c.messageID = messageID
        c.affectedSOPClassUID = affectedSOPClassUID
        c.priority = priority
        return c
    }

    /// The identifier (the query keys).
    public var hasDataSet: Bool { true }

    /// A response; pending responses carry an identifier (a match), final ones do not.
    public func response(status: DIMSEStatus, offendingElements: [Tag]? = nil,
                         errorComment: String? = nil) -> CFindResponse {
        CFindResponse(messageIDBeingRespondedTo: messageID, affectedSOPClassUID: affectedSOPClassUID,
                      status: status, hasDataSet: status.isPending,
                      offendingElements: offendingElements, errorComment: errorComment)
    }
}

public struct CFindResponse: DIMSEMessageType {
    public static let commandField = CommandField.cFindRSP

    public var messageIDBeingRespondedTo: UInt16
    public var affectedSOPClassUID: String?
    public var status: DIMSEStatus
    /// A match follows (pending responses, PS3.4 C.4.1.1.4).
    public var hasDataSet: Bool
    public var offendingElements: [Tag]?
    public var errorComment: String?

    public init(messageIDBeingRespondedTo: UInt16, affectedSOPClassUID: String?, status: DIMSEStatus,
                hasDataSet: Bool, offendingElements: [Tag]? = nil, errorComment: String? = nil) {
        self.messageIDBeingRespondedTo = messageIDBeingRespondedTo
        self.affectedSOPClassUID = affectedSOPClassUID
        self.status = status
        self.hasDataSet = hasDataSet
        self.offendingElements = offendingElements
        self.errorComment = errorComment
    }

    public init(command: CommandSet) throws(DIMSEError) {
        try Self.check(command)
        messageIDBeingRespondedTo = try Self.required(command.messageIDBeingRespondedTo, .messageIDBeingRespondedTo)
        affectedSOPClassUID = command.affectedSOPClassUID
        status = try Self.required(command.status, .status)
        hasDataSet = command.hasDataSet
        offendingElements = command.offendingElements
        errorComment = command.errorComment
    }

    public var command: CommandSet {
        var c = CommandSet(commandField: Self.commandField, hasDataSet: hasDataSet)
        c.messageIDBeingRespondedTo = messageIDBeingRespondedTo
        c.affectedSOPClassUID = affectedSOPClassUID
        c.status = status
        c.offendingElements = offendingElements
        c.errorComment = errorComment
        return c
    }
}

// MARK: - C-GET (PS3.7 §9.3.3)

public struct CGetRequest: DIMSEMessageType {
    public static let commandField = CommandField.cGetRQ

    public var messageID: UInt16
    public var affectedSOPClassUID: String
    public var priority: DIMSEPriority

    public init(messageID: UInt16, affectedSOPClassUID: String, priority: DIMSEPriority = .medium) {
        self.messageID = messageID
        self.affectedSOPClassUID = affectedSOPClassUID
        self.priority = priority
    }

    public init(command: CommandSet) throws(DIMSEError) {
        try Self.check(command)
        try Self.requireDataSet(command, true)
        messageID = try Self.required(command.messageID, .messageID)
        affectedSOPClassUID = try Self.required(command.affectedSOPClassUID, .affectedSOPClassUID)
        priority = command.priority ?? .medium
    }

    public var command: CommandSet {
        var c = CommandSet(commandField: Self.commandField, hasDataSet: true)
        c.messageID = messageID
        c.affectedSOPClassUID = affectedSOPClassUID
        c.priority = priority
        return c
    }

    public var hasDataSet: Bool { true }

    public func response(status: DIMSEStatus, subOperations: SubOperationCounts = .init(), hasDataSet: Bool = false,
                         offendingElements: [Tag]? = nil, errorComment: String? = nil) -> CGetResponse {
        CGetResponse(messageIDBeingRespondedTo: messageID, affectedSOPClassUID: affectedSOPClassUID, status: status,
                     subOperations: subOperations, hasDataSet: hasDataSet,
                     offendingElements: offendingElements, errorComment: errorComment)
    }
}

public struct CGetResponse: DIMSEMessageType {
    public static let commandField = CommandField.cGetRSP

    public var messageIDBeingRespondedTo: UInt16
    public var affectedSOPClassUID: String?
    public var status: DIMSEStatus
    public var subOperations: SubOperationCounts
    /// An identifier with Failed SOP Instance UID List (0008,0058) follows (PS3.4 C.4.3.1.3.1).
    public var hasDataSet: Bool
    public var offendingElements: [Tag]?
    public var errorComment: String?

    public init(messageIDBeingRespondedTo: UInt16, affectedSOPClassUID: String?, status: DIMSEStatus,
                subOperations: SubOperationCounts = .init(), hasDataSet: Bool = false,
                offendingElements: [Tag]? = nil, errorComment: String? = nil) {
        self.messageIDBeingRespondedTo = messageIDBeingRespondedTo
        self.affectedSOPClassUID = affectedSOPClassUID
        self.status = status
        self.subOperations = subOperations
        self.hasDataSet = hasDataSet
        self.offendingElements = offendingElements
        self.errorComment = errorComment
    }

    public init(command: CommandSet) throws(DIMSEError) {
        try Self.check(command)
        messageIDBeingRespondedTo = try Self.required(command.messageIDBeingRespondedTo, .messageIDBeingRespondedTo)
        affectedSOPClassUID = command.affectedSOPClassUID
        status = try Self.required(command.status, .status)
        subOperations = SubOperationCounts(command)
        hasDataSet = command.hasDataSet
        offendingElements = command.offendingElements
        errorComment = command.errorComment
    }

    public var command: CommandSet {
        var c = CommandSet(commandField: Self.commandField, hasDataSet: hasDataSet)
        c.messageIDBeingRespondedTo = messageIDBeingRespondedTo
        c.affectedSOPClassUID = affectedSOPClassUID
        c.status = status
        subOperations.apply(to: &c)
        c.offendingElements = offendingElements
        c.errorComment = errorComment
        return c
    }
}

// MARK: - C-MOVE (PS3.7 §9.3.4)

public struct CMoveRequest: DIMSEMessageType {
    public static let commandField = CommandField.cMoveRQ

    public var messageID: UInt16
    public var affectedSOPClassUID: String
    public var priority: DIMSEPriority
    /// The AE title to send the matches to.
    public var moveDestination: String

    public init(messageID: UInt16, affectedSOPClassUID: String, moveDestination: String,
                priority: DIMSEPriority = .medium) {
        self.messageID = messageID
        self.affectedSOPClassUID = affectedSOPClassUID
        self.moveDestination = moveDestination
        self.priority = priority
    }

    public init(command: CommandSet) throws(DIMSEError) {
        try Self.check(command)
        try Self.requireDataSet(command, true)
        messageID = try Self.required(command.messageID, .messageID)
        affectedSOPClassUID = try Self.required(command.affectedSOPClassUID, .affectedSOPClassUID)
        moveDestination = try Self.required(command.moveDestination, .moveDestination)
        priority = command.priority ?? .medium
    }

    public var command: CommandSet {
        var c = CommandSet(commandField: Self.commandField, hasDataSet: true)
        c.messageID = messageID
        c.affectedSOPClassUID = affectedSOPClassUID
        c.priority = priority
        c.moveDestination = moveDestination
        return c
    }

    public var hasDataSet: Bool { true }

    public func response(status: DIMSEStatus, subOperations: SubOperationCounts = .init(), hasDataSet: Bool = false,
                         offendingElements: [Tag]? = nil, errorComment: String? = nil) -> CMoveResponse {
        CMoveResponse(messageIDBeingRespondedTo: messageID, affectedSOPClassUID: affectedSOPClassUID, status: status,
                      subOperations: subOperations, hasDataSet: hasDataSet,
                      offendingElements: offendingElements, errorComment: errorComment)
    }
}

public struct CMoveResponse: DIMSEMessageType {
    public static let commandField = CommandField.cMoveRSP

    public var messageIDBeingRespondedTo: UInt16
    public var affectedSOPClassUID: String?
    public var status: DIMSEStatus
    public var subOperations: SubOperationCounts
    /// An identifier with Failed SOP Instance UID List (0008,0058) follows (PS3.4 C.4.2.1.3.1).
    public var hasDataSet: Bool
    public var offendingElements: [Tag]?
    public var errorComment: String?

    public init(messageIDBeingRespondedTo: UInt16, affectedSOPClassUID: String?, status: DIMSEStatus,
                subOperations: SubOperationCounts = .init(), hasDataSet: Bool = false,
                offendingElements: [Tag]? = nil, errorComment: String? = nil) {
        self.messageIDBeingRespondedTo = messageIDBeingRespondedTo
        self.affectedSOPClassUID = affectedSOPClassUID
        self.status = status
        self.subOperations = subOperations
        self.hasDataSet = hasDataSet
        self.offendingElements = offendingElements
        self.errorComment = errorComment
    }

    public init(command: CommandSet) throws(DIMSEError) {
        try Self.check(command)
        messageIDBeingRespondedTo = try Self.required(command.messageIDBeingRespondedTo, .messageIDBeingRespondedTo)
        affectedSOPClassUID = command.affectedSOPClassUID
        status = try Self.required(command.status, .status)
        subOperations = SubOperationCounts(command)
        hasDataSet = command.hasDataSet
        offendingElements = command.offendingElements
        errorComment = command.errorComment
    }

    public var command: CommandSet {
        var c = CommandSet(commandField: Self.commandField, hasDataSet: hasDataSet)
        c.messageIDBeingRespondedTo = messageIDBeingRespondedTo
        c.affectedSOPClassUID = affectedSOPClassUID
        c.status = status
        subOperations.apply(to: &c)
        c.offendingElements = offendingElements
        c.errorComment = errorComment
        return c
    }
}

// MARK: - C-CANCEL (PS3.7 §9.3.2.3, §9.3.3.3, §9.3.4.3)

public struct CCancelRequest: DIMSEMessageType {
    public static let commandField = CommandField.cCancelRQ

    /// The C-FIND, C-GET or C-MOVE request to cancel.
    public var messageIDBeingRespondedTo: UInt16

    public init(messageIDBeingRespondedTo: UInt16) {
        self.messageIDBeingRespondedTo = messageIDBeingRespondedTo
    }

    public init(command: CommandSet) throws(DIMSEError) {
        try Self.check(command)
        try Self.requireDataSet(command, false)
        messageIDBeingRespondedTo = try Self.required(command.messageIDBeingRespondedTo, .messageIDBeingRespondedTo)
    }

    public var command: CommandSet {
        var c = CommandSet(commandField: Self.commandField)
        c.messageIDBeingRespondedTo = messageIDBeingRespondedTo
        return c
    }

    public var hasDataSet: Bool { false }
}

// MARK: - The family

/// Any DIMSE message. Commands this layer does not type (the N-services, anything unknown) are
/// `.other` with their command set, so the service layer can answer them (0x0211 Unrecognized
/// operation) rather than abort.
public enum DIMSEMessage: Sendable, Equatable, CustomStringConvertible {
    case cEchoRequest(CEchoRequest)
    case cEchoResponse(CEchoResponse)
    case cStoreRequest(CStoreRequest)
    case cStoreResponse(CStoreResponse)
    case cFindRequest(CFindRequest)
    case cFindResponse(CFindResponse)
    case cGetRequest(CGetRequest)
    case cGetResponse(CGetResponse)
    case cMoveRequest(CMoveRequest)
    case cMoveResponse(CMoveResponse)
    case cCancelRequest(CCancelRequest)
    case other(CommandSet)

    /// Types a decoded command set by its Command Field.
    public init(command: CommandSet) throws(DIMSEError) {
        switch command.commandField {
        case .cEchoRQ: self = .cEchoRequest(try CEchoRequest(command: command))
        case .cEchoRSP: self = .cEchoResponse(try CEchoResponse(command: command))
        case .cStoreRQ: self = .cStoreRequest(try CStoreRequest(command: command))
        case .cStoreRSP: self = .cStoreResponse(try CStoreResponse(command: command))
        case .cFindRQ: self = .cFindRequest(try CFindRequest(command: command))
        case .cFindRSP: self = .cFindResponse(try CFindResponse(command: command))
        case .cGetRQ: self = .cGetRequest(try CGetRequest(command: command))
        case .cGetRSP: self = .cGetResponse(try CGetResponse(command: command))
        case .cMoveRQ: self = .cMoveRequest(try CMoveRequest(command: command))
        case .cMoveRSP: self = .cMoveResponse(try CMoveResponse(command: command))
        case .cCancelRQ: self = .cCancelRequest(try CCancelRequest(command: command))
        default: self = .other(command)
        }
    }

    /// Decodes and types an encoded command set.
    public init(decoding bytes: [UInt8]) throws(DIMSEError) {
        try self.init(command: CommandSet(decoding: bytes))
    }

    /// The typed message; nil for `.other`.
    public var typed: (any DIMSEMessageType)? {
        switch self {
        case .cEchoRequest(let m): m
        case .cEchoResponse(let m): m
        case .cStoreRequest(let m): m
        case .cStoreResponse(let m): m
        case .cFindRequest(let m): m
        case .cFindResponse(let m): m
        case .cGetRequest(let m): m
        case .cGetResponse(let m): m
        case .cMoveRequest(let m): m
        case .cMoveResponse(let m): m
        case .cCancelRequest(let m): m
        case .other: nil
        }
    }

    public var command: CommandSet {
        if case .other(let command) = self { return command }
        return typed!.command
    }

    public var commandField: CommandField {
        guard let typed else { return command.commandField }
        return type(of: typed).commandField
    }

    public var hasDataSet: Bool { typed?.hasDataSet ?? command.hasDataSet }

    public var isResponse: Bool { commandField.isResponse }

    /// Message ID (0000,0110) of a request.
    public var messageID: UInt16? { command.messageID }
    /// Message ID Being Responded To (0000,0120) of a response or C-CANCEL-RQ.
    public var messageIDBeingRespondedTo: UInt16? { command.messageIDBeingRespondedTo }
    /// Status of a response.
    public var status: DIMSEStatus? { command.status }

    public var description: String { command.description }
}
