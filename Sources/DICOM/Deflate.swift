import CZlibShim
#if canImport(Glibc)
import Glibc
#endif

/// Raw deflate for the Deflated Explicit VR Little Endian transfer syntax (PS3.5 A.5).
public enum Deflate {
    /// Inflation stops with an error beyond this size, so a crafted "deflate bomb" cannot
    /// exhaust memory. 4 GiB is above any real data set.
    public static let maximumInflatedSize = 4 << 30

    public static func inflate(_ input: ArraySlice<UInt8>) throws(DICOMError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var outLength = 0
        var consumed = 0
        let rc = input.withUnsafeBufferPointer { buffer in
            czlib_inflate_raw(buffer.baseAddress, buffer.count, &out, &outLength, maximumInflatedSize, &consumed)
        }
        guard rc == 0, let out else {
            throw .deflate(reason: "zlib error \(rc)", offset: input.startIndex + consumed)
        }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: outLength))
    }

    public static func deflate(_ input: [UInt8], level: Int32 = -1) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var outLength = 0
        let rc = input.withUnsafeBufferPointer { czlib_deflate_raw($0.baseAddress, $0.count, level, &out, &outLength) }
        precondition(rc == 0 && out != nil, "deflate into a deflateBound-sized buffer cannot fail (rc \(rc))")
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: outLength))
    }
}
