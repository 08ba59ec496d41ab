import NIOCore

/// One protocol data unit of the DICOM upper layer (PS3.8 §9.3): the wire view. The service
/// primitives (A-ASSOCIATE request, P-DATA indication, …) are built from these by the layer above.
public enum PDU: Sendable, Equatable {
    /// Type 0x01.
    case associateRQ(AssociateRQ)
    /// Type 0x02.
    case associateAC(AssociateAC)
    /// Type 0x03.
    case associateRJ(AssociateRJ)
    /// Type 0x04: one or more presentation data value items.
    case pData([PresentationDataValue])
    /// Type 0x05.
    case releaseRQ
    /// Type 0x06.
    case releaseRP
    /// Type 0x07.
    case abort(Abort)

    public var type: PDUType {
        switch self {
        case .associateRQ: .associateRQ
        case .associateAC: .associateAC
        case .associateRJ: .associateRJ
        case .pData: .pData
        case .releaseRQ: .releaseRQ
        case .releaseRP: .releaseRP
        case .abort: .abort
        }
    }
}

/// The PDU-type field, the first byte of every PDU (PS3.8 Table 9-11 ff.).
public enum PDUType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case associateRQ = 0x01
    case associateAC = 0x02
    case associateRJ = 0x03
    case pData = 0x04
    case releaseRQ = 0x05
    case releaseRP = 0x06
    case abort = 0x07

    public var description: String {
        switch self {
        case .associateRQ: "A-ASSOCIATE-RQ"
        case .associateAC: "A-ASSOCIATE-AC"
        case .associateRJ: "A-ASSOCIATE-RJ"
        case .pData: "P-DATA-TF"
        case .releaseRQ: "A-RELEASE-RQ"
        case .releaseRP: "A-RELEASE-RP"
        case .abort: "A-ABORT"
        }
    }
}

/// An application entity title as carried in the A-ASSOCIATE-RQ/AC fixed fields: 16 bytes of the
/// default character repertoire, padded with spaces (PS3.8 §9.3.2). Leading and trailing spaces
/// are not significant, so compare ``trimmed`` when matching titles.
public struct AETitle: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The field's text: the 16 bytes as received (each byte read as one ISO 8859-1 character, so
    /// any byte survives a round trip), or the title given to `init` padded with spaces to 16.
    public var raw: String

    /// A title padded with trailing spaces to 16 characters. A longer title is kept as given and
    /// the encoder rejects it.
    public init(_ title: String) {
        let count = title.unicodeScalars.count
        raw = count < 16 ? title + String(repeating: " ", count: 16 - count) : title
    }

    public init(stringLiteral value: String) { self.init(value) }

    init(rawField: String) { raw = rawField }

    /// The title without leading and trailing spaces (nor the NUL padding some peers send).
    public var trimmed: String {
        let scalars = raw.unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\0" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\0" })
        else { return "" }
        return String(scalars[first...last])
    }

    public var description: String { trimmed }
}

/// A PS3.8 item or sub-item this codec does not interpret, kept so that it can be inspected and
/// sent on unchanged.
public struct RawPDUItem: Sendable, Hashable {
    public var itemType: UInt8
    public var value: [UInt8]

    public init(itemType: UInt8, value: [UInt8]) {
        self.itemType = itemType
        self.value = value
    }
}

extension PDU {
    /// The UID of the DICOM application context (PS3.7 Annex A.2.1), the only one defined.
    public static let dicomApplicationContextName = "1.2.840.10008.3.1.1.1"
}

// MARK: - A-ASSOCIATE-RQ

/// A-ASSOCIATE-RQ PDU (PS3.8 §9.3.2).
public struct AssociateRQ: Sendable, Equatable {
    /// Bit 0 set means protocol version 1, the only version defined (PS3.8 Table 9-11).
    public var protocolVersion: UInt16
    public var calledAETitle: AETitle
    public var callingAETitle: AETitle
    public var applicationContextName: String
    public var presentationContexts: [PresentationContext]
    public var userInformation: UserInformation
    /// Variable items of types this codec does not know, in the order received; encoded after
    /// the user information item.
    public var unknownItems: [RawPDUItem]

    public init(
        protocolVersion: UInt16 = 1,
        calledAETitle: AETitle,
        callingAETitle: AETitle,
        applicationContextName: String = PDU.dicomApplicationContextName,
        presentationContexts: [PresentationContext],
        userInformation: UserInformation,
        unknownItems: [RawPDUItem] = []
    ) {
        self.protocolVersion = protocolVersion
        self.calledAETitle = calledAETitle
        self.callingAETitle = callingAETitle
        self.applicationContextName = applicationContextName
        self.presentationContexts = presentationContexts
        self.userInformation = userInformation
        self.unknownItems = unknownItems
    }

    /// Presentation context item of an A-ASSOCIATE-RQ (item type 0x20, PS3.8 §9.3.2.2): one
    /// abstract syntax (sub-item 0x30) and one or more transfer syntaxes (sub-items 0x40).
    public struct PresentationContext: Sendable, Hashable {
        /// Odd, 1 through 255.
        public var id: UInt8
        public var abstractSyntax: String
        public var transferSyntaxes: [String]

        public init(id: UInt8, abstractSyntax: String, transferSyntaxes: [String]) {
            self.id = id
            self.abstractSyntax = abstractSyntax
            self.transferSyntaxes = transferSyntaxes
        }
    }
}

// MARK: - A-ASSOCIATE-AC

/// A-ASSOCIATE-AC PDU (PS3.8 §9.3.3).
public struct AssociateAC: Sendable, Equatable {
    public var protocolVersion: UInt16
    /// Reserved fields that the acceptor fills with the values of the A-ASSOCIATE-RQ; a receiver
    /// does not test them (PS3.8 Table 9-17).
    public var calledAETitle: AETitle
    public var callingAETitle: AETitle
    public var applicationContextName: String
    public var presentationContexts: [PresentationContext]
    public var userInformation: UserInformation
    /// Variable items of types this codec does not know, in the order received; encoded after
    /// the user information item.
    public var unknownItems: [RawPDUItem]

    public init(
        protocolVersion: UInt16 = 1,
        calledAETitle: AETitle,
        callingAETitle: AETitle,
        applicationContextName: String = PDU.dicomApplicationContextName,
        presentationContexts: [PresentationContext],
        userInformation: UserInformation,
        unknownItems: [RawPDUItem] = []
    ) {
        self.protocolVersion = protocolVersion
        self.calledAETitle = calledAETitle
        self.callingAETitle = callingAETitle
        self.applicationContextName = applicationContextName
        self.presentationContexts = presentationContexts
        self.userInformation = userInformation
        self.unknownItems = unknownItems
    }

    /// Presentation context item of an A-ASSOCIATE-AC (item type 0x21, PS3.8 §9.3.3.2).
    public struct PresentationContext: Sendable, Hashable {
        public var id: UInt8
        public var result: Result
        /// The accepted transfer syntax (sub-item 0x40). When the context is not accepted the
        /// field is not significant; nil when the sub-item is absent.
        public var transferSyntax: String?

        public init(id: UInt8, result: Result, transferSyntax: String?) {
            self.id = id
            self.result = result
            self.transferSyntax = transferSyntax
        }
    }

    /// Result/Reason field of a presentation context item (PS3.8 Table 9-18).
    public enum Result: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case acceptance = 0
        case userRejection = 1
        /// No reason (provider rejection).
        case noReason = 2
        case abstractSyntaxNotSupported = 3
        case transferSyntaxesNotSupported = 4

        public var description: String {
            switch self {
            case .acceptance: "acceptance"
            case .userRejection: "user-rejection"
            case .noReason: "no-reason (provider rejection)"
            case .abstractSyntaxNotSupported: "abstract-syntax-not-supported (provider rejection)"
            case .transferSyntaxesNotSupported: "transfer-syntaxes-not-supported (provider rejection)"
            }
        }
    }
}

// MARK: - A-ASSOCIATE-RJ

/// A-ASSOCIATE-RJ PDU (PS3.8 §9.3.4).
public struct AssociateRJ: Sendable, Hashable {
    public var result: Result
    /// The Source and Reason/Diag. fields together: the reasons are defined per source.
    public var reason: Reason

    public init(result: Result, reason: Reason) {
        self.result = result
        self.reason = reason
    }

    public var source: Source { reason.source }

    /// Result field (PS3.8 Table 9-21).
    public enum Result: UInt8, Sendable, Hashable, CaseIterable {
        case rejectedPermanent = 1
        case rejectedTransient = 2
    }

    /// Source field (PS3.8 Table 9-21).
    public enum Source: UInt8, Sendable, Hashable, CaseIterable {
        /// DICOM UL service-user.
        case serviceUser = 1
        /// DICOM UL service-provider (ACSE related function).
        case serviceProviderACSE = 2
        /// DICOM UL service-provider (presentation related function).
        case serviceProviderPresentation = 3
    }

    /// Source with Reason/Diag. (PS3.8 Table 9-21).
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        /// Service-user (1), reason 1.
        case noReasonGiven
        /// Service-user (1), reason 2.
        case applicationContextNameNotSupported
        /// Service-user (1), reason 3.
        case callingAETitleNotRecognized
        /// Service-user (1), reason 7.
        case calledAETitleNotRecognized
        /// Service-provider ACSE (2), reason 1.
        case providerNoReasonGiven
        /// Service-provider ACSE (2), reason 2.
        case protocolVersionNotSupported
        /// Service-provider presentation (3), reason 1.
        case temporaryCongestion
        /// Service-provider presentation (3), reason 2.
        case localLimitExceeded
        /// A combination the standard reserves (e.g. service-user reasons 4-6 and 8-10), kept as
        /// received.
        case reserved(source: Source, reason: UInt8)

        public init(source: Source, reason: UInt8) {
            switch (source, reason) {
            case (.serviceUser, 1): self = .noReasonGiven
            case (.serviceUser, 2): self = .applicationContextNameNotSupported
            case (.serviceUser, 3): self = .callingAETitleNotRecognized
            case (.serviceUser, 7): self = .calledAETitleNotRecognized
            case (.serviceProviderACSE, 1): self = .providerNoReasonGiven
            case (.serviceProviderACSE, 2): self = .protocolVersionNotSupported
            case (.serviceProviderPresentation, 1): self = .temporaryCongestion
            case (.serviceProviderPresentation, 2): self = .localLimitExceeded
            default: self = .reserved(source: source, reason: reason)
            }
        }

        public var source: Source {
            switch self {
            case .noReasonGiven, .applicationContextNameNotSupported, .callingAETitleNotRecognized,
                 .calledAETitleNotRecognized: .serviceUser
            case .providerNoReasonGiven, .protocolVersionNotSupported: .serviceProviderACSE
            case .temporaryCongestion, .localLimitExceeded: .serviceProviderPresentation
            case .reserved(let source, _): source
            }
        }

        /// The Reason/Diag. byte.
        public var code: UInt8 {
            switch self {
            case .noReasonGiven, .providerNoReasonGiven, .temporaryCongestion: 1
            case .applicationContextNameNotSupported, .protocolVersionNotSupported, .localLimitExceeded: 2
            case .callingAETitleNotRecognized: 3
            case .calledAETitleNotRecognized: 7
            case .reserved(_, let reason): reason
            }
        }

        public var description: String {
            switch self {
            case .noReasonGiven: "no-reason-given"
            case .applicationContextNameNotSupported: "application-context-name-not-supported"
            case .callingAETitleNotRecognized: "calling-AE-title-not-recognized"
            case .calledAETitleNotRecognized: "called-AE-title-not-recognized"
            case .providerNoReasonGiven: "no-reason-given (ACSE)"
            case .protocolVersionNotSupported: "protocol-version-not-supported"
            case .temporaryCongestion: "temporary-congestion"
            case .localLimitExceeded: "local-limit-exceeded"
            case .reserved(let source, let reason): "reserved (source \(source.rawValue), reason \(reason))"
            }
        }
    }
}

// MARK: - A-ABORT

/// A-ABORT PDU (PS3.8 §9.3.8).
public struct Abort: Sendable, Hashable {
    public var source: Source
    /// Significant only when ``source`` is ``Source/serviceProvider``; sent as 0 otherwise.
    public var reason: Reason

    public init(source: Source, reason: Reason = .notSpecified) {
        self.source = source
        self.reason = reason
    }

    /// Source field (PS3.8 Table 9-26).
    public enum Source: UInt8, Sendable, Hashable, CaseIterable {
        /// DICOM UL service-user (initiated abort).
        case serviceUser = 0
        /// Reserved by the standard; a receiver accepts it.
        case reserved = 1
        /// DICOM UL service-provider (initiated abort).
        case serviceProvider = 2
    }

    /// Reason/Diag. field (PS3.8 Table 9-26); value 3 is reserved.
    public enum Reason: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case notSpecified = 0
        case unrecognizedPDU = 1
        case unexpectedPDU = 2
        case unrecognizedPDUParameter = 4
        case unexpectedPDUParameter = 5
        case invalidPDUParameterValue = 6

        public var description: String {
            switch self {
            case .notSpecified: "reason-not-specified"
            case .unrecognizedPDU: "unrecognized-PDU"
            case .unexpectedPDU: "unexpected-PDU"
            case .unrecognizedPDUParameter: "unrecognized-PDU-parameter"
            case .unexpectedPDUParameter: "unexpected-PDU-parameter"
            case .invalidPDUParameterValue: "invalid-PDU-parameter-value"
            }
        }
    }
}
