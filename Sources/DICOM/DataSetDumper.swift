/// Human-readable text for a data set, in the spirit of dcmdump: one line per element with tag,
/// VR, value, length, VM and keyword; sequences and items indented.
public struct DataSetDumper {
    /// Binary values show at most this many numbers before "...".
    public var maximumBinaryValues = 8
    /// Text values longer than this many characters are cut with "...".
    public var maximumTextLength = 64

    public init() {}

    public func dump(_ file: DICOMFile) -> String {
        var out = "# Dicom-File-Format\n"
        if let meta = file.meta {
            out += "\n# Dicom-Meta-Information-Header\n# Used TransferSyntax: Little Endian Explicit\n"
            dump(meta, indent: 0, into: &out)
        }
        out += "\n# Dicom-Data-Set\n# Used TransferSyntax: \(file.transferSyntax)\n"
        dump(file.dataSet, indent: 0, into: &out)
        return out
    }

    public func dump(_ dataSet: DataSet, indent: Int = 0, into out: inout String) {
        let pad = String(repeating: "  ", count: indent)
        for element in dataSet.elements {
            let keyword = DataDictionary.keyword(for: element.tag) ?? (element.tag.isPrivate ? "PrivateTag" : "Unknown Tag")
            switch element.value {
            case .sequence(let sequence):
                let kind = sequence.hasUndefinedLength ? "undefined" : "explicit"
                out += line(pad, element.tag, element.vr.description,
                            "(Sequence with \(kind) length #=\(sequence.items.count))",
                            length: sequence.hasUndefinedLength ? "u/l" : "", vm: 1, keyword: keyword)
                for item in sequence.items {
                    let itemKind = item.hasUndefinedLength ? "undefined" : "explicit"
                    out += line(pad + "  ", .item, "na", "(Item with \(itemKind) length #=\(item.count))",
                                length: item.hasUndefinedLength ? "u/l" : "", vm: nil, keyword: "Item")
                    dump(item, indent: indent + 2, into: &out)
                    if item.hasUndefinedLength {
                        out += line(pad + "  ", .itemDelimitationItem, "na", "(ItemDelimitationItem)",
                                    length: "0", vm: 0, keyword: "ItemDelimitationItem")
                    }
                }
                if sequence.hasUndefinedLength {
                    out += line(pad, .sequenceDelimitationItem, "na", "(SequenceDelimitationItem)",
                                length: "0", vm: 0, keyword: "SequenceDelimitationItem")
                }
            case .fragments(let pixels):
                out += line(pad, element.tag, element.vr.description, "(PixelSequence #=\(pixels.fragments.count + 1))",
                            length: "u/l", vm: 1, keyword: keyword)
                for fragment in CollectionOfOne(pixels.basicOffsetTable) + pixels.fragments {
                    out += line(pad + "  ", .item, "pi", binary(fragment, vr: .OB), length: String(fragment.count),
                                vm: 1, keyword: "Item")
                }
            case .bytes(let bytes):
                let text: String
                var vm = 0
                if bytes.isEmpty {
                    text = "(no value available)"
                } else if element.vr.isString {
                    let values = element.strings(characterSet: dataSet.characterSet)
                    vm = values.count
                    let joined = values.joined(separator: "\\")
                    text = "[" + (joined.count > maximumTextLength ? String(joined.prefix(maximumTextLength)) + "..." : joined) + "]"
                } else {
                    text = binary(bytes, vr: element.vr)
                    vm = element.vr.valueWidth.map { bytes.count / ($0 * (element.vr == .AT ? 2 : 1)) } ?? 1
                }
                out += line(pad, element.tag, element.vr.description, text, length: String(bytes.count), vm: vm, keyword: keyword)
            }
        }
    }

    func line(_ pad: String, _ tag: Tag, _ vr: String, _ value: String, length: String, vm: Int?, keyword: String) -> String {
        var head = pad + tag.description.lowercased() + " " + vr + " " + value
        if head.count < 52 { head += String(repeating: " ", count: 52 - head.count) }
        let vmText = vm.map { ", \($0)" } ?? ""
        return head + " # " + String(repeating: " ", count: max(0, 4 - length.count)) + length + vmText + " " + keyword + "\n"
    }

    func binary(_ bytes: ValueBytes, vr: VR) -> String {
        let element = DataElement(tag: Tag(0), vr: vr, value: .bytes(bytes))
        var parts: [String]
        switch vr {
        case .US, .SS, .UL, .SL, .SV, .UV: parts = element.ints.prefix(maximumBinaryValues + 1).map(String.init)
        case .FL, .FD: parts = element.doubles.prefix(maximumBinaryValues + 1).map { String($0) }
        case .AT: parts = element.tags.prefix(maximumBinaryValues + 1).map { $0.description.lowercased() }
        case .OW: parts = readLittleEndianArray(bytes.prefix(2 * (maximumBinaryValues + 1)), as: UInt16.self).map { hex($0, 4) }
        default: parts = bytes.prefix(maximumBinaryValues + 1).map { hex($0, 2) }
        }
        let cut = parts.count > maximumBinaryValues
        return parts.prefix(maximumBinaryValues).joined(separator: "\\") + (cut ? "..." : "")
    }

    func hex<T: BinaryInteger>(_ v: T, _ width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }
}
