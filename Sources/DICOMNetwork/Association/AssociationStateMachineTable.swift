extension AssociationStateMachine {

    /// The actions of PS3.8 Tables 9-6 (association establishment), 9-7 (data transfer), 9-8
    /// (association release) and 9-9 (association abort), named as the standard names them.
    /// ``Action`` is what each one asks of the driver.
    public enum StandardAction: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// AE-1: Issue TRANSPORT CONNECT request primitive to local transport service. Next
        /// state: Sta4.
        case ae1 = "AE-1"
        /// AE-2: Send A-ASSOCIATE-RQ-PDU. Next state: Sta5.
        case ae2 = "AE-2"
        /// AE-3: Issue A-ASSOCIATE confirmation (accept) primitive. Next state: Sta6.
        case ae3 = "AE-3"
        /// AE-4: Issue A-ASSOCIATE confirmation (reject) primitive and close transport
        /// connection. Next state: Sta1.
        case ae4 = "AE-4"
        /// AE-5: Issue Transport connection response primitive; start ARTIM timer. Next state:
        /// Sta2.
        case ae5 = "AE-5"
        /// AE-6: Stop ARTIM timer and if A-ASSOCIATE-RQ acceptable by service-provider: issue
        /// A-ASSOCIATE indication primitive (next state: Sta3); otherwise issue
        /// A-ASSOCIATE-RJ-PDU and start ARTIM timer (next state: Sta13).
        case ae6 = "AE-6"
        /// AE-7: Send A-ASSOCIATE-AC PDU. Next state: Sta6.
        case ae7 = "AE-7"
        /// AE-8: Send A-ASSOCIATE-RJ PDU and start ARTIM timer. Next state: Sta13.
        case ae8 = "AE-8"
        /// DT-1: Send P-DATA-TF PDU. Next state: Sta6.
        case dt1 = "DT-1"
        /// DT-2: Send P-DATA indication primitive. Next state: Sta6.
        case dt2 = "DT-2"
        /// AR-1: Send A-RELEASE-RQ PDU. Next state: Sta7.
        case ar1 = "AR-1"
        /// AR-2: Issue A-RELEASE indication primitive. Next state: Sta8.
        case ar2 = "AR-2"
        /// AR-3: Issue A-RELEASE confirmation primitive, and close transport connection. Next
        /// state: Sta1.
        case ar3 = "AR-3"
        /// AR-4: Issue A-RELEASE-RP PDU and start ARTIM timer. Next state: Sta13.
        case ar4 = "AR-4"
        /// AR-5: Stop ARTIM timer. Next state: Sta1.
        case ar5 = "AR-5"
        /// AR-6: Issue P-DATA indication. Next state: Sta7.
        case ar6 = "AR-6"
        /// AR-7: Issue P-DATA-TF PDU. Next state: Sta8.
        case ar7 = "AR-7"
        /// AR-8: Issue A-RELEASE indication (release collision): if association-requestor, next
        /// state is Sta9, if not next state is Sta10.
        case ar8 = "AR-8"
        /// AR-9: Send A-RELEASE-RP PDU. Next state: Sta11.
        case ar9 = "AR-9"
        /// AR-10: Issue A-RELEASE confirmation primitive. Next state: Sta12.
        case ar10 = "AR-10"
        /// AA-1: Send A-ABORT PDU (service-user source) and start (or restart if already
        /// started) ARTIM timer. Next state: Sta13.
        case aa1 = "AA-1"
        /// AA-2: Stop ARTIM timer if running. Close transport connection. Next state: Sta1.
        case aa2 = "AA-2"
        /// AA-3: If (service-user initiated abort): issue A-ABORT indication and close transport
        /// connection; otherwise (service-provider initiated abort): issue A-P-ABORT indication
        /// and close transport connection. Next state: Sta1.
        case aa3 = "AA-3"
        /// AA-4: Issue A-P-ABORT indication primitive. Next state: Sta1.
        case aa4 = "AA-4"
        /// AA-5: Stop ARTIM timer. Next state: Sta1.
        case aa5 = "AA-5"
        /// AA-6: Ignore PDU. Next state: Sta13.
        case aa6 = "AA-6"
        /// AA-7: Send A-ABORT PDU. Next state: Sta13.
        case aa7 = "AA-7"
        /// AA-8: Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication, and
        /// start ARTIM timer. Next state: Sta13.
        case aa8 = "AA-8"

        public var description: String { rawValue }
    }

    /// PS3.8 Table 9-10, "DICOM Upper Layer Protocol State Transition Table", as literal data:
    /// one row per event, one column per state; `nil` where the standard's cell is empty.
    ///
    /// `transitionTable[e - 1][s - 1]` is the action for Evt*e* in Sta*s*.
    public static let transitionTable: [[StandardAction?]] = [
        //           Sta1  Sta2  Sta3  Sta4  Sta5  Sta6  Sta7  Sta8  Sta9  Sta10 Sta11 Sta12 Sta13
        /* Evt1  */ [.ae1, nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil ],
        /* Evt2  */ [nil,  nil,  nil,  .ae2, nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil ],
        /* Evt3  */ [nil,  .aa1, .aa8, nil,  .ae3, .aa8, .aa8, .aa8, .aa8, .aa8, .aa8, .aa8, .aa6],
        /* Evt4  */ [nil,  .aa1, .aa8, nil,  .ae4, .aa8, .aa8, .aa8, .aa8, .aa8, .aa8, .aa8, .aa6],
        /* Evt5  */ [.ae5, nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil ],
        /* Evt6  */ [nil,  .ae6, .aa8, nil,  .aa8, .aa8, .aa8, .aa8, .aa8, .aa8, .aa8, .aa8, .aa7],
        /* Evt7  */ [nil,  nil,  .ae7, nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil ],
        /* Evt8  */ [nil,  nil,  .ae8, nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil ],
        /* Evt9  */ [nil,  nil,  nil,  nil,  nil,  .dt1, nil,  .ar7, nil,  nil,  nil,  nil,  nil ],
        /* Evt10 */ [nil,  .aa1, .aa8, nil,  .aa8, .dt2, .ar6, .aa8, .aa8, .aa8, .aa8, .aa8, .aa6],
        /* Evt11 */ [nil,  nil,  nil,  nil,  nil,  .ar1, nil,  nil,  nil,  nil,  nil,  nil,  nil ],
        /* Evt12 */ [nil,  .aa1, .aa8, nil,  .aa8, .ar2, .ar8, .aa8, .aa8, .aa8, .aa8, .aa8, .aa6],
        /* Evt13 */ [nil,  .aa1, .aa8, nil,  .aa8, .aa8, .ar3, .aa8, .aa8, .ar10, .ar3, .aa8, .aa6],
        /* Evt14 */ [nil,  nil,  nil,  nil,  nil,  nil,  nil,  .ar4, .ar9, nil,  nil,  .ar4, nil ],
        /* Evt15 */ [nil,  nil,  .aa1, .aa2, .aa1, .aa1, .aa1, .aa1, .aa1, .aa1, .aa1, .aa1, nil ],
        /* Evt16 */ [nil,  .aa2, .aa3, nil,  .aa3, .aa3, .aa3, .aa3, .aa3, .aa3, .aa3, .aa3, .aa2],
        /* Evt17 */ [nil,  .aa5, .aa4, .aa4, .aa4, .aa4, .aa4, .aa4, .aa4, .aa4, .aa4, .aa4, .ar5],
        /* Evt18 */ [nil,  .aa2, nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  nil,  .aa2],
        /* Evt19 */ [nil,  .aa1, .aa8, nil,  .aa8, .aa8, .aa8, .aa8, .aa8, .aa8, .aa8, .aa8, .aa7],
    ]

    /// The action PS3.8 Table 9-10 prescribes for `event` in `state`, or `nil` for an empty
    /// cell (see ``handle(_:)`` for what the machine does then).
    public static func standardAction(for event: Event, in state: State) -> StandardAction? {
        transitionTable[event.rawValue - 1][state.rawValue - 1]
    }
}
