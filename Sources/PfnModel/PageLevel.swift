/// A level of the page-table hierarchy, top first.
///
/// Every architecture is described with the kernel's five generic levels; an
/// architecture with fewer hardware levels folds some of them (see
/// ``Architecture/isFolded(_:)``), as the kernel's `pgtable-nop4d.h` and
/// `pgtable-nopud.h` do.
public enum PageLevel: Int, Sendable, Hashable, CaseIterable, Comparable, Codable,
  CustomStringConvertible
{
  case pgd = 0
  case p4d = 1
  case pud = 2
  case pmd = 3
  case pte = 4

  public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

  public var description: String {
    switch self {
    case .pgd: "pgd"
    case .p4d: "p4d"
    case .pud: "pud"
    case .pmd: "pmd"
    case .pte: "pte"
    }
  }

  /// The level whose table this level's entries point to; `nil` for `pte`.
  public var below: PageLevel? { PageLevel(rawValue: rawValue + 1) }

  /// The level whose entries point to this level's tables; `nil` for `pgd`.
  public var above: PageLevel? { PageLevel(rawValue: rawValue - 1) }

  public init?(name: String) {
    guard let level = PageLevel.allCases.first(where: { $0.description == name }) else { return nil }
    self = level
  }
}

/// A kernel release, `6.12`.
public struct KernelRelease: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
  public var major: Int
  public var minor: Int

  public init(_ major: Int, _ minor: Int) {
    self.major = major
    self.minor = minor
  }

  /// Parses `6.12`.
  public init?(_ text: String) {
    let parts = text.split(separator: ".")
    guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
    self.init(major, minor)
  }

  public static func < (a: Self, b: Self) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
  public var description: String { "\(major).\(minor)" }

  /// The release that introduced follow_pfnmap_start()/end().
  public static let v6_12 = KernelRelease(6, 12)
  /// The release that added the `addr_mask` output.
  public static let v6_15 = KernelRelease(6, 15)
  /// The newest release the model knows of.
  public static let newest = KernelRelease(6, 19)
}
