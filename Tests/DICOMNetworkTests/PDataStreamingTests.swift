import NIOCore
import NIOEmbedded
import Testing
import TestSupport
@testable import DICOMNetwork

/// The decoder's streaming mode (`streamsPData`, used by the SCP): P-DATA-TF PDUs come out piece
/// by piece as their bytes arrive, with the same bytes, the same checks and the same errors.
@Suite struct PDataStreamingTests {
    /// A PDU, or the data of one message's run of presentation data values (consecutive values of
    /// one context and kind, up to the one with the last-fragment bit), so that a whole PDU and
    /// its streamed pieces compare equal.
    enum Unit: Equatable {
        case other(PDU)
        case data(contextID: UInt8, isCommand: Bool, bytes: [UInt8], isLast: Bool)
    }

    static func units(_ pdus: [PDU]) -> [Unit] {
        var out: [Unit] = []
        for pdu in pdus {
            guard case .pData(let values) = pdu else { out.append(.other(pdu)); continue }
            for value in values {
                let bytes = Array(value.data.readableBytesView)
                if case .data(let id, let command, let previous, false)? = out.last,
                   id == value.presentationContextID, command == value.isCommand {
                    out[out.count - 1] = .data(contextID: id, isCommand: command, bytes: previous + bytes, isLast: value.isLast)
                } else {
                    out.append(.data(contextID: value.presentationContextID, isCommand: value.isCommand, bytes: bytes,
                                     isLast: value.isLast))
                }
            }
        }
        return out
    }

    static func streamingChannel(maximum: UInt32 = 16384) -> EmbeddedChannel {
        EmbeddedChannel(handler: ByteToMessageHandler(PDUDecoder(maximumPDataLength: maximum, streamsPData: true)))
    }

    /// Feeds `stream` in chunks of the given sizes (cycled) and returns every PDU that came out.
    static func feed(_ stream: [UInt8], chunks: [Int], maximum: UInt32 = 16384) throws -> [PDU] {
        let channel = streamingChannel(maximum: maximum)
        var decoded: [PDU] = []
        var index = 0, chunk = 0
        while index < stream.count {
            let count = min(chunks[chunk % chunks.count], stream.count - index)
            chunk += 1
            try channel.writeInbound(ByteBuffer(bytes: stream[index..<index + count]))
            index += count
            while let pdu = try channel.readInbound(as: PDU.self) { decoded.append(pdu) }
        }
        #expect(try channel.finish().isClean)
        return decoded
    }

    @Test func fixturesDripFedAndInRandomChunksGiveTheSameBytes() throws {
        let stream = fixtureCases.flatMap(\.bytes)
        let expected = Self.units(fixtureCases.map(\.pdu))
        #expect(Self.units(try Self.feed(stream, chunks: [1])) == expected)
        var rng = SplitMix64(seed: 11)
        let sizes = (0..<200).map { _ in Int.random(in: 1...300, using: &rng) }
        #expect(Self.units(try Self.feed(stream, chunks: sizes)) == expected)
        #expect(Self.units(try Self.feed(stream, chunks: [stream.count])) == expected)
    }

    @Test func aWholePDUComesOutAsOneSliceOfTheInputPerValue() throws {
        let values = [
            PresentationDataValue(presentationContextID: 1, isCommand: true, isLast: true, data: ByteBuffer(bytes: [1, 2, 3, 4])),
            PresentationDataValue(presentationContextID: 1, isCommand: false, isLast: false, data: ByteBuffer(bytes: [5, 6])),
        ]
        let input = ByteBuffer(bytes: try encode(.pData(values)))
        var buffer = input
        var decoder = PDUDecoder(maximumPDataLength: 16384, streamsPData: true)
        #expect(try decoder.decodeStreaming(from: &buffer) == .pData([values[0]]))
        let second = try decoder.decodeStreaming(from: &buffer)
        #expect(second == .pData([values[1]]))
        #expect(try decoder.decodeStreaming(from: &buffer) == nil)
        #expect(buffer.readableBytes == 0)
        // Zero copy: the value's bytes are the input's (PDU header 6 + two PDV headers 6 + 4 bytes).
        if case .pData(let out)? = second {
            let inputBase = input.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
            #expect(out[0].data.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } == inputBase + 22)
        }
    }

    @Test func aLargeValueIsPassedOnBeforeItsEndArrives() throws {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let pdu = PDU.pData([PresentationDataValue(presentationContextID: 3, isCommand: false, isLast: true, data: ByteBuffer(bytes: data))])
        let pieces = try Self.feed(try encode(pdu), chunks: [30_000], maximum: 131072)
        #expect(pieces.count == 4)  // 29,988 + 30,000 + 30,000 + 10,012 bytes
        var received: [UInt8] = []
        for (i, piece) in pieces.enumerated() {
            guard case .pData(let values) = piece, values.count == 1 else { Issue.record("not one value: \(piece)"); continue }
            #expect(values[0].presentationContextID == 3 && !values[0].isCommand)
            #expect(values[0].isLast == (i == pieces.count - 1), "only the last piece ends the data set")
            received += values[0].data.readableBytesView
        }
        #expect(received == data)
        // Less than minimumStreamedPiece of a value that goes on waits for more.
        let small = try Self.feed(try encode(pdu), chunks: [1000], maximum: 131072)
        #expect(small.allSatisfy { if case .pData(let v) = $0 { v[0].data.readableBytes >= PDUDecoder.minimumStreamedPiece || v[0].isLast } else { false } })
    }

    @Test(arguments: [
        // PDU-length 0: a P-DATA-TF without any value.
        ([0x04, 0, 0, 0, 0, 0], PDUDecodingError(.missingItem(nil), pduType: 4, offset: 6)),
        // A PDV item length of 1 (less than its two header bytes).
        ([0x04, 0, 0, 0, 0, 6, 0, 0, 0, 1, 1, 3], PDUDecodingError(.invalidItemLength(1), pduType: 4, offset: 6)),
        // A PDV item longer than the PDU.
        ([0x04, 0, 0, 0, 0, 8, 0, 0, 0, 9, 1, 3, 0xAA, 0xBB], PDUDecodingError(.itemOverrun(length: 9, remaining: 4), pduType: 4, offset: 6)),
        // Three bytes left after a value: not room for another item header.
        ([0x04, 0, 0, 0, 0, 10, 0, 0, 0, 3, 1, 3, 0xAA, 1, 2, 3], PDUDecodingError(.truncatedItemHeader(remaining: 3), pduType: 4, offset: 13)),
        // Over the announced maximum.
        ([0x04, 0, 0, 0, 0x40, 1], PDUDecodingError(.pduTooLong(length: 16385, limit: 16384), pduType: 4, offset: 2)),
    ] as [([UInt8], PDUDecodingError)])
    func malformedPDataFailsAsAWholePDUWould(bytes: [UInt8], expected: PDUDecodingError) throws {
        let channel = Self.streamingChannel()
        #expect(throws: expected) {
            for byte in bytes { try channel.writeInbound(ByteBuffer(bytes: [byte])) }
        }
        _ = try? channel.finish()
    }

    @Test func connectionClosedInsideAStreamedPDU() throws {
        let channel = Self.streamingChannel()
        // A 20-byte P-DATA-TF (one value of 14 data bytes), cut after 16 bytes.
        let bytes: [UInt8] = [0x04, 0, 0, 0, 0, 20, 0, 0, 0, 16, 1, 0] + Array(repeating: 0xCD, count: 4)
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        #expect(throws: PDUDecodingError(.truncatedPDU(received: 16, expected: 26), pduType: 4, offset: 16)) {
            _ = try channel.finish()
        }
    }
}
