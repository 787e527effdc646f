import PfnModel
import Testing

/// One raw entry on one architecture and what each helper must answer for it
/// at one level; `nil` means "not asserted". `source` names the facts-file
/// section and tag the answer comes from.
struct HelperVector: Sendable, CustomTestStringConvertible {
  var arch: String = "x86_64"
  var name: String
  var raw: UInt64
  var level: PageLevel
  var none: Bool? = nil
  var present: Bool? = nil
  var leaf: Bool? = nil
  var bad: Bool? = nil
  var transHuge: Bool? = nil
  var pfn: UInt64? = nil
  var write: Bool? = nil
  var special: Bool? = nil
  var pgprot: UInt64? = nil
  var source: String

  var testDescription: String { "\(arch) \(level): \(name) (0x\(String(raw, radix: 16)))" }

  /// Checks every asserted answer against the architecture named `arch`.
  func check() throws {
    let a = try #require(Architectures.named(arch), "no architecture \(arch)")
    let where_ = "\(testDescription) [\(source)]"
    if let none { #expect(a.isNone(raw, level) == none, "none: \(where_)") }
    if let present { #expect(a.isPresent(raw, level) == present, "present: \(where_)") }
    if let leaf { #expect(a.isLeaf(raw, level) == leaf, "leaf: \(where_)") }
    if let bad { #expect(a.isBad(raw, level) == bad, "bad: \(where_)") }
    if let transHuge { #expect(a.isTransHuge(raw, level) == transHuge, "trans_huge: \(where_)") }
    if let pfn { #expect(a.pfn(raw, level) == pfn, "pfn: \(where_)") }
    if let write { #expect(a.isWrite(raw, level) == write, "write: \(where_)") }
    if let special { #expect(a.isSpecial(raw, level) == special, "special: \(where_)") }
    if let pgprot { #expect(a.pgprot(raw, level) == pgprot, "pgprot: \(where_)") }
  }
}

/// The geometry an architecture must have: `PAGE_SHIFT`, the shift and table
/// size of each level, and which levels fold.
struct GeometryVector: Sendable, CustomTestStringConvertible {
  var arch: String
  var pageShift: Int
  /// pgd, p4d, pud, pmd, pte.
  var shifts: [Int]
  var entries: [Int]
  var folded: Set<PageLevel>
  var userLimit: UInt64
  var source: String

  var testDescription: String { arch }

  func check() throws {
    let a = try #require(Architectures.named(arch), "no architecture \(arch)")
    #expect(a.pageShift == pageShift, "\(arch) PAGE_SHIFT [\(source)]")
    for (index, level) in PageLevel.allCases.enumerated() {
      #expect(a.shift(level) == shifts[index], "\(arch) \(level) shift [\(source)]")
      #expect(a.entriesPerTable(level) == entries[index], "\(arch) \(level) entries [\(source)]")
      #expect(a.isFolded(level) == folded.contains(level), "\(arch) \(level) folded [\(source)]")
    }
    #expect(a.userAddressLimit == userLimit, "\(arch) user limit [\(source)]")
  }
}
