#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DICOM
import DICOMNetwork
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing
import TestSupport

/// The association requestor (SCU) against real peers: dcmtk's storescp and pynetdicom's, run
/// on free ports for each test and stopped after it; received files are compared with what was
/// sent (byte for byte when storescp preserves bits, attribute by attribute through pydicom
/// otherwise).
@Suite struct AssociationRequestorTests {
    @Test func echoAgainstDcmtk() async throws {
        try await withStorescp(["-aet", "STORESCP"]) { port, _ in
            let observer = SCUTestObserver()
            var requestor = SCUTest.requestor(port: port)
            requestor.observer = observer
            requestor.traceID = 42
            let association = try await requestor.open(proposing: [.verification])
            #expect(association.acceptedContexts.count == 1)
            #expect(association.acceptedContexts.first?.abstractSyntax == "1.2.840.10008.1.1")
            #expect(association.peerMaximumPDULength == 16384)
            #expect(association.peerImplementationClassUID?.hasPrefix("1.2.276.0.7230010.3") == true, "dcmtk's root")
            #expect(try await association.echo() == .success)
            #expect(try await association.echo() == .success)
            #expect(association.trace.operations.map(\.messageID) == [1, 2], "message IDs count up per association")
            try await association.release()
            #expect(!association.isEstablished)

            await #expect(throws: SCUError.self) { _ = try await association.echo() }
            let traces = observer.traces
            #expect(traces.count == 1)
            #expect(traces.first?.id == 42)
            #expect(traces.first?.outcome == .released, "\(String(describing: traces.first))")
            #expect(traces.first?.operations.allSatisfy { $0.service == "C-ECHO" && $0.status == 0 } == true)
            #expect(traces.first?.endedAt != nil)
        }
    }

    /// Every file goes as stored, in its own syntax (compressed ones included), and storescp
    /// in bit-preserving mode writes exactly the data set bytes it received.
    @Test func storeToDcmtkBitPreserving() async throws {
        let testFiles = try await SCUTest.pydicomTestFiles()
        let names = ["CT_small.dcm", "MR_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "JPEG2000.dcm",
                     "SC_rgb_rle.dcm", "rtplan.dcm", "image_dfl.dcm"]
        let files = names.map { testFiles + "/" + $0 }
        try await withStorescp(["-aet", "STORESCP", "+B", "+uf", "+xa"]) { port, directory in
            let association = try await SCUTest.requestor(port: port).open(proposing: try SCUTest.storageContexts(files))
            for file in files {
                let before = receivedFiles(in: directory)
                let (status, comment) = try await association.store(fileAt: file)
                #expect(status == .success, "\(file): \(status) \(comment ?? "")")
                let received = receivedFiles(in: directory).subtracting(before)
                #expect(received.count == 1, "\(file): \(received)")
                guard let copy = received.first else { continue }
                // The deflated file is re-deflated by us: its bytes differ, its content does not.
                let mode = file.hasSuffix("image_dfl.dcm") ? "semantic" : "bytes"
                #expect(try await SCUTest.compare(mode, [(file, directory + "/" + copy)]) == ["same"], "\(file)")
            }
            #expect(association.trace.operations.map(\.messageID) == Array(1...UInt16(files.count)))
            try await association.release()
        }
    }

    /// A 4 KiB maximum PDU (many fragments per file), a compressed file the peer accepts no
    /// context for (the association stays usable), then more files.
    @Test func storeWithSmallPDUAndUnacceptedSyntax() async throws {
        let testFiles = try await SCUTest.pydicomTestFiles()
        let ct = testFiles + "/CT_small.dcm", j2k = testFiles + "/JPEG2000.dcm", mr = testFiles + "/MR_small.dcm"
        try await withStorescp(["-aet", "STORESCP", "+B", "+uf", "-pdu", "4096"]) { port, directory in
            let association = try await SCUTest.requestor(port: port).open(proposing: try SCUTest.storageContexts([ct, j2k, mr]))
            #expect(association.peerMaximumPDULength == 4096)
            #expect(try await association.store(fileAt: ct).status == .success)

            do throws(SCUError) {
                _ = try await association.store(fileAt: j2k)
                Issue.record("JPEG 2000 was sent though storescp accepts uncompressed syntaxes only")
            } catch {
                guard case .noPresentationContext(let text) = error else { throw error }
                #expect(text.contains("JPEG 2000"), "\(text)")
                #expect(error.leavesAssociationUsable)
            }
            #expect(association.isEstablished)
            #expect(try await association.store(fileAt: mr).status == .success)
            try await association.release()

            let received = receivedFiles(in: directory).sorted()
            #expect(received.count == 2, "\(received)")
            let byUID = try receivedFilesByInstanceUID(in: directory)
            for original in [ct, mr] {
                let uid = try DICOMFile(contentsOf: original, stopAt: .pixelData).dataSet.string(.sopInstanceUID) ?? ""
                guard let copy = byUID[uid] else {
                    Issue.record("\(original) not received")
                    continue
                }
                #expect(try await SCUTest.compare("bytes", [(original, copy)]) == ["same"], "\(original)")
            }
        }
    }

    /// storescp accepting Implicit VR Little Endian only: explicit little and big endian files
    /// are converted, and arrive with the same content.
    @Test func storeConvertsToAcceptedNativeSyntax() async throws {
        let testFiles = try await SCUTest.pydicomTestFiles()
        let files = ["CT_small.dcm", "MR_small.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm"].map { testFiles + "/" + $0 }
        try await withStorescp(["-aet", "STORESCP", "+B", "+uf", "+xi"]) { port, directory in
            let association = try await SCUTest.requestor(port: port).open(proposing: try SCUTest.storageContexts(files))
            #expect(association.acceptedContexts.allSatisfy { $0.transferSyntax == "1.2.840.10008.1.2" })
            for file in files {
                let before = receivedFiles(in: directory)
                #expect(try await association.store(fileAt: file).status == .success, "\(file)")
                guard let copy = receivedFiles(in: directory).subtracting(before).first else {
                    Issue.record("\(file) not received")
                    continue
                }
                let path = directory + "/" + copy
                #expect(try DICOMFile(contentsOf: path, stopAt: .pixelData).transferSyntax == .implicitVRLittleEndian)
                #expect(try await SCUTest.compare("semantic", [(file, path)]) == ["same"], "\(file)")
            }
            try await association.release()
        }
    }

    /// pynetdicom's storescp (which re-encodes what it receives): echo, and files of several
    /// syntaxes compared through pydicom.
    @Test func echoAndStoreToPynetdicom() async throws {
        let testFiles = try await SCUTest.pydicomTestFiles()
        let files = ["CT_small.dcm", "MR_small_implicit.dcm", "JPEG2000.dcm", "rtplan.dcm", "SC_rgb_rle.dcm"].map { testFiles + "/" + $0 }
        try await withPeerProcess(SCUTest.python, arguments: { port, directory in
            ["python3", "-m", "pynetdicom", "storescp", String(port), "-aet", "STORESCP", "-od", directory]
        }) { port, directory in
            let contexts = [ProposedContext.verification] + (try SCUTest.storageContexts(files))
            let association = try await SCUTest.requestor(port: port).open(proposing: contexts)
            #expect(try await association.echo() == .success)
            for file in files {
                let before = receivedFiles(in: directory)
                let (status, comment) = try await association.store(fileAt: file)
                #expect(status == .success, "\(file): \(status) \(comment ?? "")")
                guard let copy = receivedFiles(in: directory).subtracting(before).first else {
                    Issue.record("\(file) not received")
                    continue
                }
                #expect(try await SCUTest.compare("semantic", [(file, directory + "/" + copy)]) == ["same"], "\(file)")
            }
            try await association.release()
        }
    }

    @Test func rejectedByDcmtk() async throws {
        try await withStorescp(["-aet", "STORESCP", "--refuse"]) { port, _ in
            let observer = SCUTestObserver()
            var requestor = SCUTest.requestor(port: port)
            requestor.observer = observer
            do throws(SCUError) {
                let association = try await requestor.open(proposing: [.verification])
                Issue.record("accepted: \(association.acceptedContexts)")
                await association.abort()
            } catch {
                guard case let .rejected(result, source, reason) = error else { throw error }
                #expect(result == .rejectedPermanent)
                #expect(source == .serviceUser)
                #expect(reason == .noReasonGiven)
                #expect(error.description.contains("rejected-permanent"), "\(error)")
                #expect(error.description.contains("no-reason-given"), "\(error)")
            }
            #expect(observer.traces.first?.outcome == .rejected)
            #expect(observer.traces.first?.reason?.contains("no-reason-given") == true)
        }
    }

    /// A pynetdicom SCP that knows one calling AE title and checks the called one.
    @Test func rejectedByPynetdicomForAETitles() async throws {
        let script = """
            import sys
            from pynetdicom import AE
            from pynetdicom.sop_class import Verification
            ae = AE(ae_title="STORESCP")
            ae.require_calling_aet = ["ALLOWED"]
            ae.require_called_aet = True
            ae.add_supported_context(Verification)
            ae.start_server(("127.0.0.1", int(sys.argv[1])), block=True)
            """
        try await withPeerProcess(SCUTest.python, arguments: { port, _ in ["python3", "-c", script, String(port)] }) { port, _ in
            var requestor = SCUTest.requestor(port: port)
            requestor.callingAETitle = "INTRUDER"
            do throws(SCUError) {
                _ = try await requestor.open(proposing: [.verification])
                Issue.record("an unknown calling AE title was accepted")
            } catch {
                guard case .rejected(_, let source, let reason) = error else { throw error }
                #expect(source == .serviceUser)
                #expect(reason == .callingAETitleNotRecognized)
                #expect(error.description.contains("calling-AE-title-not-recognized"), "\(error)")
            }

            requestor.callingAETitle = "ALLOWED"
            requestor.calledAETitle = "SOMEONEELSE"
            do throws(SCUError) {
                _ = try await requestor.open(proposing: [.verification])
                Issue.record("a wrong called AE title was accepted")
            } catch {
                guard case .rejected(_, _, let reason) = error else { throw error }
                #expect(reason == .calledAETitleNotRecognized)
                #expect(error.description.contains("called-AE-title-not-recognized"), "\(error)")
            }

            requestor.calledAETitle = "STORESCP"
            let association = try await requestor.open(proposing: [.verification])
            #expect(try await association.echo() == .success)
            try await association.release()
        }
    }

    /// storescp aborts after the C-STORE-RQ: the store fails saying the peer aborted.
    @Test func peerAbortDuringStore() async throws {
        let ct = try await SCUTest.pydicomTestFiles() + "/CT_small.dcm"
        try await withStorescp(["-aet", "STORESCP", "--abort-after", "--ignore"]) { port, _ in
            let observer = SCUTestObserver()
            var requestor = SCUTest.requestor(port: port)
            requestor.observer = observer
            let association = try await requestor.open(proposing: try SCUTest.storageContexts([ct]))
            do throws(SCUError) {
                _ = try await association.store(fileAt: ct)
                Issue.record("the store succeeded")
            } catch {
                guard case .aborted(let source, _) = error else { throw error }
                #expect(source == .serviceUser)
                #expect(error.description.contains("aborted"), "\(error)")
            }
            #expect(!association.isEstablished)
            await association.abort()  // nothing left to abort: returns at once
            #expect(observer.traces.first?.outcome == .abortedByPeer)
        }
    }

    @Test func connectionRefused() async throws {
        let port = try freePort()
        let observer = SCUTestObserver()
        var requestor = SCUTest.requestor(port: port)
        requestor.observer = observer
        do throws(SCUError) {
            _ = try await requestor.open(proposing: [.verification])
            Issue.record("connected to a closed port")
        } catch {
            guard case .connectionFailed(let text) = error else { throw error }
            #expect(text.lowercased().contains("refused"), "\(text)")
            #expect(text.contains("127.0.0.1:\(port)"), "\(text)")
        }
        #expect(observer.traces.first?.reason?.lowercased().contains("refused") == true)
    }

    /// A peer that accepts the TCP connection and never answers.
    @Test func timeoutWhenThePeerIsSilent() async throws {
        try await SCUTest.withFakePeer(replies: []) { port, _ in
            var requestor = SCUTest.requestor(port: port)
            requestor.timeout = .milliseconds(500)
            let started = ContinuousClock.now
            do throws(SCUError) {
                _ = try await requestor.open(proposing: [.verification])
                Issue.record("associated with a silent peer")
            } catch {
                guard case .timeout(let text) = error else { throw error }
                #expect(text.contains("A-ASSOCIATE-RQ"), "\(text)")
            }
            // 0.5 s alone; the bound is generous because the whole test suite runs in parallel
            // and can keep the cooperative pool busy for seconds.
            #expect(started.duration(to: .now) < .seconds(30))
        }
    }

    /// A peer that answers the A-ASSOCIATE-RQ with an A-RELEASE-RP: we abort (AA-8) and say why.
    @Test func unexpectedPDUAbortsTheAssociation() async throws {
        let releaseRP: [UInt8] = [0x06, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00]
        try await SCUTest.withFakePeer(replies: [releaseRP]) { port, received in
            do throws(SCUError) {
                _ = try await SCUTest.requestor(port: port).open(proposing: [.verification])
                Issue.record("associated with a peer that sent an A-RELEASE-RP")
            } catch {
                guard case .protocolError(let text) = error else { throw error }
                #expect(text.contains("unexpected A-RELEASE-RP"), "\(text)")
            }
            // The peer got our A-ASSOCIATE-RQ, then an A-ABORT with service-provider source and
            // reason unexpected-PDU.
            let deadline = ContinuousClock.now.advanced(by: .seconds(5))
            while received.bytes.count < 10 || received.bytes.last != 0x02, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let bytes = received.bytes
            #expect(bytes.first == 0x01)
            #expect(Array(bytes.suffix(10)) == [0x07, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x02, 0x02], "\(bytes.suffix(10))")
        }
    }

    /// A peer that answers with a PDU type that does not exist: A-ABORT with reason
    /// unrecognized-PDU, and an error that shows the decoder's finding.
    @Test func invalidPDUAbortsTheAssociation() async throws {
        try await SCUTest.withFakePeer(replies: [[0x09, 0x00, 0x00, 0x00, 0x00, 0x00]]) { port, received in
            do throws(SCUError) {
                _ = try await SCUTest.requestor(port: port).open(proposing: [.verification])
                Issue.record("associated with a peer that sent garbage")
            } catch {
                guard case .protocolError(let text) = error else { throw error }
                #expect(text.contains("invalid PDU") && text.contains("0x09"), "\(text)")
            }
            let abort: [UInt8] = [0x07, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x02, 0x01]
            let deadline = ContinuousClock.now.advanced(by: .seconds(5))
            while Array(received.bytes.suffix(10)) != abort, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(Array(received.bytes.suffix(10)) == abort, "\(received.bytes.suffix(10))")
        }
    }

    /// A peer that accepts, then answers the C-ECHO-RQ (message 1) with a response to message 99.
    @Test func responseToAnotherMessageAbortsTheAssociation() async throws {
        let ac = AssociateAC(calledAETitle: "STORESCP", callingAETitle: "SWIFTPACS",
                             presentationContexts: [.init(id: 1, result: .acceptance, transferSyntax: "1.2.840.10008.1.2")],
                             userInformation: UserInformation(maximumLength: 16384, implementationClassUID: "1.2.3.4"))
        let response = PresentationDataValue.fragment(CEchoResponse(messageIDBeingRespondedTo: 99).command.encoded(),
                                                      presentationContextID: 1, isCommand: true, maximumPDULength: 16384)
        let encoder = PDUEncoder()
        let replies = [Array(try encoder.encode(.associateAC(ac)).readableBytesView),
                       Array(try encoder.encode(response[0]).readableBytesView)]
        try await SCUTest.withFakePeer(replies: replies) { port, received in
            let association = try await SCUTest.requestor(port: port).open(proposing: [.verification])
            #expect(association.peerImplementationClassUID == "1.2.3.4")
            do throws(SCUError) {
                _ = try await association.echo()
                Issue.record("a response to another message was taken")
            } catch {
                guard case .protocolError(let text) = error else { throw error }
                #expect(text.contains("message 99") && text.contains("message 1"), "\(text)")
            }
            #expect(!association.isEstablished)
            let deadline = ContinuousClock.now.advanced(by: .seconds(5))
            let abort: [UInt8] = [0x07, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00]  // service-user source
            while Array(received.bytes.suffix(10)) != abort, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(Array(received.bytes.suffix(10)) == abort, "an A-ABORT went out")
        }
    }

    /// 8 MB of pixel data in 16 KiB PDUs, read from the file a fragment at a time.
    @Test func storeLargeFileStreams() async throws {
        let scratch = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let big = scratch + "/big.dcm"
        let make = try await runProcess(SCUTest.python, ["python3", "-c", """
            import pydicom, os, sys
            from pydicom.data import get_testdata_file
            ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
            ds.Rows = ds.Columns = 2048
            ds.PixelData = os.urandom(2048 * 2048 * 2)
            ds.save_as(sys.argv[1])
            """, big])
        #expect(make.status == 0, "\(make.err)")
        try await withStorescp(["-aet", "STORESCP", "+B", "+uf"]) { port, directory in
            let association = try await SCUTest.requestor(port: port).open(proposing: try SCUTest.storageContexts([big]))
            #expect(try await association.store(fileAt: big).status == .success)
            #expect(association.trace.operations.first?.bytes ?? 0 > 8_000_000)
            try await association.release()
            guard let copy = receivedFiles(in: directory).first else {
                Issue.record("nothing received")
                return
            }
            #expect(try await SCUTest.compare("bytes", [(big, directory + "/" + copy)]) == ["same"])
        }
    }

    @Test func invalidParametersAreRefusedBeforeConnecting() async throws {
        var requestor = SCUTest.requestor(port: 1)
        requestor.calledAETitle = "MUCH_TOO_LONG_AE_TITLE"
        await #expect(throws: SCUError.self) { _ = try await requestor.open(proposing: [.verification]) }
        requestor.calledAETitle = "OK"
        await #expect(throws: SCUError.self) { _ = try await requestor.open(proposing: []) }
    }

    @Test func storageContextsPerSyntax() {
        let ct = "1.2.840.10008.5.1.4.1.1.2", mr = "1.2.840.10008.5.1.4.1.1.4"
        let contexts = ProposedContext.storage(for: [
            (ct, "1.2.840.10008.1.2.1"), (ct, "1.2.840.10008.1.2.4.91"), (mr, "1.2.840.10008.1.2"), (ct, "1.2.840.10008.1.2.1"),
        ])
        #expect(contexts == [
            ProposedContext(abstractSyntax: ct, transferSyntaxes: ["1.2.840.10008.1.2.1"]),
            ProposedContext(abstractSyntax: ct, transferSyntaxes: ["1.2.840.10008.1.2.4.91"]),
            ProposedContext(abstractSyntax: ct, transferSyntaxes: ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]),
            ProposedContext(abstractSyntax: mr, transferSyntaxes: ["1.2.840.10008.1.2"]),
            ProposedContext(abstractSyntax: mr, transferSyntaxes: ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]),
        ])
        let many = (1...100).flatMap { i in
            [("1.2.3.\(i)", "1.2.840.10008.1.2.1"), ("1.2.3.\(i)", "1.2.840.10008.1.2.4.50")]
        }
        let folded = ProposedContext.storage(for: many)
        #expect(folded.count == 100)
        #expect(folded.first?.transferSyntaxes == ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2"])
    }
}

/// Collects the traces an association reports.
final class SCUTestObserver: AssociationObserver {
    private let collected = Mutex<[AssociationTrace]>([])
    func associationEnded(_ trace: AssociationTrace) { collected.withLock { $0.append(trace) } }
    var traces: [AssociationTrace] { collected.withLock { $0 } }
}

/// Bytes a fake peer received.
final class SCUTestBytes: Sendable {
    private let storage = Mutex<[UInt8]>([])
    func append(_ bytes: [UInt8]) { storage.withLock { $0 += bytes } }
    var bytes: [UInt8] { storage.withLock { $0 } }
}

/// Answers the n-th read with the n-th reply (and later ones with nothing).
private final class SCUTestFakePeerHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let replies: [[UInt8]]
    let received: SCUTestBytes
    private let reads = Mutex(0)

    init(replies: [[UInt8]], received: SCUTestBytes) {
        self.replies = replies
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received.append(Array(buffer.readableBytesView))
        let index = reads.withLock { count in
            defer { count += 1 }
            return count
        }
        guard index < replies.count else { return }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: replies[index])), promise: nil)
    }
}

enum SCUTest {
    static let python = "/usr/bin/env"

    static func requestor(port: Int) -> AssociationRequestor {
        AssociationRequestor(callingAETitle: "SWIFTPACS", calledAETitle: "STORESCP", host: "127.0.0.1", port: port)
    }

    /// Storage contexts for files, from their headers.
    static func storageContexts(_ files: [String]) throws -> [ProposedContext] {
        let pairs = try files.map { path -> (sopClassUID: String, transferSyntaxUID: String) in
            let file = try DICOMFile(contentsOf: path, stopAt: .pixelData)
            return (file.dataSet.string(.sopClassUID) ?? "", file.transferSyntax.uid)
        }
        return ProposedContext.storage(for: pairs)
    }

    /// A TCP server in this process that answers its n-th read with `replies[n]` and records
    /// what it receives.
    static func withFakePeer(replies: [[UInt8]], _ body: (Int, SCUTestBytes) async throws -> Void) async throws {
        let received = SCUTestBytes()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SCUTestFakePeerHandler(replies: replies, received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = server.localAddress?.port ?? 0
        do {
            try await body(port, received)
        } catch {
            try? await server.close()
            throw error
        }
        try await server.close()
    }

    static func pydicomTestFiles() async throws -> String {
        let result = try await runProcess(python, ["python3", "-c", "import pydicom,os;print(os.path.dirname(pydicom.__file__))"])
        guard result.status == 0 else { throw SCUTestFailure("pydicom is not installed: \(result.err)") }
        return result.out.trimmingCharacters(in: .whitespacesAndNewlines) + "/data/test_files"
    }

    /// pydicom's verdict on pairs (original, received): "bytes" compares the data set bytes after
    /// the File Meta Information; "semantic" compares the attributes (group lengths and trailing
    /// padding aside) and the decoded pixels.
    static func compare(_ mode: String, _ pairs: [(String, String)]) async throws -> [String] {
        let result = try await runProcess(python, ["python3", "-c", compareScript, mode] + pairs.flatMap { [$0.0, $0.1] })
        guard result.status == 0, let verdicts = try? JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String] else {
            throw SCUTestFailure("comparison failed: \(result.err)")
        }
        return verdicts
    }

    static let compareScript = #"""
        import sys, struct, json
        import pydicom
        from pydicom.filebase import DicomBytesIO
        from pydicom.filewriter import write_dataset

        def dataset_bytes(path):
            b = open(path, 'rb').read()
            off = 132 if len(b) >= 132 and b[128:132] == b'DICM' else 0
            while off + 8 <= len(b) and b[off:off + 2] == b'\x02\x00':
                vr = b[off + 4:off + 6]
                if vr in (b'OB', b'OD', b'OF', b'OL', b'OV', b'OW', b'SQ', b'SV', b'UC', b'UN', b'UR', b'UT', b'UV'):
                    off += 12 + struct.unpack('<I', b[off + 8:off + 12])[0]
                else:
                    off += 8 + struct.unpack('<H', b[off + 6:off + 8])[0]
            return b[off:]

        def strip(ds):
            for elem in list(ds):
                if elem.tag.element == 0 or elem.tag == 0xFFFCFFFC:
                    del ds[elem.tag]
                elif elem.VR == 'SQ':
                    for item in elem.value:
                        strip(item)

        def semantic(path):
            full = pydicom.dcmread(path)
            ds = full[0x00030000:]
            ds.file_meta = full.file_meta
            strip(ds)
            pixels = b''
            if 'PixelData' in ds:
                if full.file_meta.TransferSyntaxUID.is_compressed:
                    pixels = ds.PixelData
                else:
                    array = ds.pixel_array
                    pixels = array.astype(array.dtype.newbyteorder('<')).tobytes()
                del ds.PixelData
            fp = DicomBytesIO()
            fp.is_implicit_VR = True
            fp.is_little_endian = True
            write_dataset(fp, ds)
            return fp.getvalue() + pixels

        mode, args = sys.argv[1], sys.argv[2:]
        verdicts = []
        for original, received in zip(args[0::2], args[1::2]):
            f = dataset_bytes if mode == 'bytes' else semantic
            a, b = f(original), f(received)
            verdicts.append('same' if a == b else 'different (%d vs %d bytes)' % (len(a), len(b)))
        print(json.dumps(verdicts))
        """#

}

struct SCUTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
