/// The user information item (type 0x50) of an A-ASSOCIATE-RQ or -AC (PS3.8 §9.3.2.3, Annex D;
/// PS3.7 Annex D.3.3).
///
/// The sub-items are kept as an ordered list so that a decoded item encodes to the same bytes,
/// whatever order the peer used. The accessors below read and write the list; a setter replaces
/// the first sub-item of its kind (dropping any repeats) or inserts it in the usual order
/// (0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59).
public struct UserInformation: Sendable, Hashable {
    public var subItems: [SubItem]

    public init(subItems: [SubItem]) {
        self.subItems = subItems
    }

    public init(
        maximumLength: UInt32?,
        implementationClassUID: String?,
        implementationVersionName: String? = nil,
        asynchronousOperationsWindow: AsynchronousOperationsWindow? = nil,
        roleSelections: [RoleSelection] = [],
        sopClassExtendedNegotiations: [SOPClassExtendedNegotiation] = [],
        sopClassCommonExtendedNegotiations: [SOPClassCommonExtendedNegotiation] = [],
        userIdentityRQ: UserIdentityRQ? = nil,
        userIdentityAC: UserIdentityAC? = nil
    ) {
        var items: [SubItem] = []
        if let maximumLength { items.append(.maximumLength(maximumLength)) }
        if let implementationClassUID { items.append(.implementationClassUID(implementationClassUID)) }
        if let asynchronousOperationsWindow { items.append(.asynchronousOperationsWindow(asynchronousOperationsWindow)) }
        items += roleSelections.map(SubItem.roleSelection)
        if let implementationVersionName { items.append(.implementationVersionName(implementationVersionName)) }
        items += sopClassExtendedNegotiations.map(SubItem.sopClassExtendedNegotiation)
        items += sopClassCommonExtendedNegotiations.map(SubItem.sopClassCommonExtendedNegotiation)
        if let userIdentityRQ { items.append(.userIdentityRQ(userIdentityRQ)) }
        if let userIdentityAC { items.append(.userIdentityAC(userIdentityAC)) }
        subItems = items
    }

    /// One sub-item of the user information item.
    public enum SubItem: Sendable, Hashable {
        /// 0x51 (PS3.8 D.1): the longest P-DATA-TF PDU-length the sender will receive; 0 means
        /// no limit.
        case maximumLength(UInt32)
        /// 0x52 (PS3.7 D.3.3.2).
        case implementationClassUID(String)
        /// 0x53 (PS3.7 D.3.3.3).
        case asynchronousOperationsWindow(AsynchronousOperationsWindow)
        /// 0x54 (PS3.7 D.3.3.4), one per SOP class.
        case roleSelection(RoleSelection)
        /// 0x55 (PS3.7 D.3.3.2), 1 to 16 characters.
        case implementationVersionName(String)
        /// 0x56 (PS3.7 D.3.3.5), one per SOP class.
        case sopClassExtendedNegotiation(SOPClassExtendedNegotiation)
        /// 0x57 (PS3.7 D.3.3.6), A-ASSOCIATE-RQ only.
        case sopClassCommonExtendedNegotiation(SOPClassCommonExtendedNegotiation)
        /// 0x58 (PS3.7 D.3.3.7.1), A-ASSOCIATE-RQ only.
        case userIdentityRQ(UserIdentityRQ)
        /// 0x59 (PS3.7 D.3.3.7.2), A-ASSOCIATE-AC only.
        case userIdentityAC(UserIdentityAC)
        /// Any other sub-item type, kept as received.
        case unknown(RawPDUItem)

        public var itemType: UInt8 {
            switch self {
            case .maximumLength: 0x51
            case .implementationClassUID: 0x52
            case .asynchronousOperationsWindow: 0x53
            case .roleSelection: 0x54
            case .implementationVersionName: 0x55
            case .sopClassExtendedNegotiation: 0x56
            case .sopClassCommonExtendedNegotiation: 0x57
            case .userIdentityRQ: 0x58
            case .userIdentityAC: 0x59
            case .unknown(let item): item.itemType
            }
        }
    }

    /// Asynchronous operations window sub-item (0x53). 0 means unlimited; 1 and 1 is the default
    /// (synchronous) mode.
    public struct AsynchronousOperationsWindow: Sendable, Hashable {
        public var maximumOperationsInvoked: UInt16
        public var maximumOperationsPerformed: UInt16

        public init(maximumOperationsInvoked: UInt16, maximumOperationsPerformed: UInt16) {
            self.maximumOperationsInvoked = maximumOperationsInvoked
            self.maximumOperationsPerformed = maximumOperationsPerformed
        }
    }

    /// SCP/SCU role selection sub-item (0x54). In an A-ASSOCIATE-RQ, whether the requestor
    /// proposes to act as SCU and SCP for the SOP class; in an -AC, what the acceptor accepts.
    public struct RoleSelection: Sendable, Hashable {
        public var sopClassUID: String
        public var scuRole: Bool
        public var scpRole: Bool

        public init(sopClassUID: String, scuRole: Bool, scpRole: Bool) {
            self.sopClassUID = sopClassUID
            self.scuRole = scuRole
            self.scpRole = scpRole
        }
    }

    /// SOP class extended negotiation sub-item (0x56): service-class specific bytes (e.g. the
    /// storage level-of-support fields of PS3.4 B.3.1).
    public struct SOPClassExtendedNegotiation: Sendable, Hashable {
        public var sopClassUID: String
        public var serviceClassApplicationInformation: [UInt8]

        public init(sopClassUID: String, serviceClassApplicationInformation: [UInt8]) {
            self.sopClassUID = sopClassUID
            self.serviceClassApplicationInformation = serviceClassApplicationInformation
        }
    }

    /// SOP class common extended negotiation sub-item (0x57, sub-item version 0).
    public struct SOPClassCommonExtendedNegotiation: Sendable, Hashable {
        public var sopClassUID: String
        public var serviceClassUID: String
        public var relatedGeneralSOPClassUIDs: [String]

        public init(sopClassUID: String, serviceClassUID: String, relatedGeneralSOPClassUIDs: [String] = []) {
            self.sopClassUID = sopClassUID
            self.serviceClassUID = serviceClassUID
            self.relatedGeneralSOPClassUIDs = relatedGeneralSOPClassUIDs
        }
    }

    /// User identity negotiation sub-item of an A-ASSOCIATE-RQ (0x58).
    public struct UserIdentityRQ: Sendable, Hashable {
        public var identityType: IdentityType
        /// Whether the requestor asks for a server response (0x59) in the A-ASSOCIATE-AC.
        public var positiveResponseRequested: Bool
        /// The username, Kerberos ticket, SAML assertion or JSON web token.
        public var primaryField: [UInt8]
        /// The passcode for ``IdentityType/usernameAndPasscode``; empty otherwise.
        public var secondaryField: [UInt8]

        public init(identityType: IdentityType, positiveResponseRequested: Bool, primaryField: [UInt8], secondaryField: [UInt8] = []) {
            self.identityType = identityType
            self.positiveResponseRequested = positiveResponseRequested
            self.primaryField = primaryField
            self.secondaryField = secondaryField
        }
    }

    /// User-Identity-Type of a 0x58 sub-item (PS3.7 Table D.3-14). Open: other values are kept.
    public struct IdentityType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let username = IdentityType(rawValue: 1)
        public static let usernameAndPasscode = IdentityType(rawValue: 2)
        public static let kerberos = IdentityType(rawValue: 3)
        public static let saml = IdentityType(rawValue: 4)
        public static let jsonWebToken = IdentityType(rawValue: 5)

        public var description: String {
            switch rawValue {
            case 1: "username"
            case 2: "username and passcode"
            case 3: "Kerberos service ticket"
            case 4: "SAML assertion"
            case 5: "JSON web token"
            default: "user identity type \(rawValue)"
            }
        }
    }

    /// User identity negotiation sub-item of an A-ASSOCIATE-AC (0x59): the server response
    /// (a Kerberos server ticket, SAML response or JWT; empty for the other types).
    public struct UserIdentityAC: Sendable, Hashable {
        public var serverResponse: [UInt8]

        public init(serverResponse: [UInt8]) {
            self.serverResponse = serverResponse
        }
    }
}

// MARK: - Accessors

extension UserInformation {
    /// Maximum length sub-item (0x51). Nil when absent, which a conformant peer never sends.
    public var maximumLength: UInt32? {
        get { first { if case .maximumLength(let v) = $0 { v } else { nil } } }
        set { replace(0x51, with: newValue.map { [.maximumLength($0)] } ?? []) }
    }

    public var implementationClassUID: String? {
        get { first { if case .implementationClassUID(let v) = $0 { v } else { nil } } }
        set { replace(0x52, with: newValue.map { [.implementationClassUID($0)] } ?? []) }
    }

    public var implementationVersionName: String? {
        get { first { if case .implementationVersionName(let v) = $0 { v } else { nil } } }
        set { replace(0x55, with: newValue.map { [.implementationVersionName($0)] } ?? []) }
    }

    public var asynchronousOperationsWindow: AsynchronousOperationsWindow? {
        get { first { if case .asynchronousOperationsWindow(let v) = $0 { v } else { nil } } }
        set { replace(0x53, with: newValue.map { [.asynchronousOperationsWindow($0)] } ?? []) }
    }

    public var roleSelections: [RoleSelection] {
        get { subItems.compactMap { if case .roleSelection(let v) = $0 { v } else { nil } } }
        set { replace(0x54, with: newValue.map(SubItem.roleSelection)) }
    }

    public var sopClassExtendedNegotiations: [SOPClassExtendedNegotiation] {
        get { subItems.compactMap { if case .sopClassExtendedNegotiation(let v) = $0 { v } else { nil } } }
        set { replace(0x56, with: newValue.map(SubItem.sopClassExtendedNegotiation)) }
    }

    public var sopClassCommonExtendedNegotiations: [SOPClassCommonExtendedNegotiation] {
        get { subItems.compactMap { if case .sopClassCommonExtendedNegotiation(let v) = $0 { v } else { nil } } }
        set { replace(0x57, with: newValue.map(SubItem.sopClassCommonExtendedNegotiation)) }
    }

    public var userIdentityRQ: UserIdentityRQ? {
        get { first { if case .userIdentityRQ(let v) = $0 { v } else { nil } } }
        set { replace(0x58, with: newValue.map { [.userIdentityRQ($0)] } ?? []) }
    }

    public var userIdentityAC: UserIdentityAC? {
        get { first { if case .userIdentityAC(let v) = $0 { v } else { nil } } }
        set { replace(0x59, with: newValue.map { [.userIdentityAC($0)] } ?? []) }
    }

    /// Sub-items of types this codec does not know.
    public var unknownSubItems: [RawPDUItem] {
        subItems.compactMap { if case .unknown(let v) = $0 { v } else { nil } }
    }

    private func first<T>(_ match: (SubItem) -> T?) -> T? {
        for item in subItems {
            if let value = match(item) { return value }
        }
        return nil
    }

    /// Replaces the sub-items of `itemType` with `items`: at the place of the first one, or
    /// before the first sub-item whose type sorts after `itemType`.
    private mutating func replace(_ itemType: UInt8, with items: [SubItem]) {
        let isKnown: (SubItem) -> Bool = {
            if case .unknown = $0 { return false }
            return true
        }
        if let index = subItems.firstIndex(where: { isKnown($0) && $0.itemType == itemType }) {
            subItems.removeAll { isKnown($0) && $0.itemType == itemType }
            subItems.insert(contentsOf: items, at: min(index, subItems.count))
            return
        }
        let index = subItems.firstIndex(where: { isKnown($0) && $0.itemType > itemType }) ?? subItems.count
        subItems.insert(contentsOf: items, at: index)
    }
}
