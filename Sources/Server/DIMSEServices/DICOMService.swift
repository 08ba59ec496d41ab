import Archive
import DICOMNetwork
import Logging
import NIOCore
import ServiceLifecycle

/// The DICOM listener as a service of the server's ServiceGroup: on SIGTERM it stops accepting
/// and lets associations in progress finish their stores.
struct DICOMService: Service {
    let listener: DICOMListener
    let onBound: @Sendable (Int) async -> Void

    init(configuration: Configuration, archive: Archive, modalities: ModalityRegistry, associations: AssociationLog,
         logger: Logger, onBound: @escaping @Sendable (Int) async -> Void = { _ in }) {
        var negotiation = PresentationNegotiation(abstractSyntaxes: PresentationNegotiation.verificationAndStorage,
                                                  transferSyntaxPatterns: configuration.acceptedTransferSyntaxes,
                                                  maximumPDULength: UInt32(configuration.maximumPduLength))
        negotiation.acceptUnknownAbstractSyntaxes = configuration.unknownSopClassAccepted
        let acceptor = AcceptorConfiguration(aeTitle: configuration.dicomAET, negotiation: negotiation,
                                             timeout: .seconds(Int64(max(configuration.dicomScpTimeout, 1))))
        listener = DICOMListener(host: "0.0.0.0", port: configuration.dicomPort, configuration: acceptor, policy: modalities,
                                 services: StorageService(archive: archive, ourAETitle: configuration.dicomAET),
                                 observer: associations, makeTraceID: { associations.makeID() }, logger: logger)
        self.onBound = onBound
    }

    func run() async throws {
        try await listener.run(onBound: onBound, shutdown: { try? await gracefulShutdown() })
    }
}
