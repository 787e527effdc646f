import PfnModel

/// The version of the contract a walker implements.
public enum APILevel: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
  /// v6.12: outputs pfn, pgprot, writable, special.
  case v6_12 = "6.12"
  /// v6.15: adds the `addr_mask` output.
  case v6_15 = "6.15"

  /// The release the level names; a switch, not a parse of `rawValue`: it is
  /// asked whenever a rule reads an output.
  public var release: KernelRelease {
    switch self {
    case .v6_12: KernelRelease(6, 12)
    case .v6_15: KernelRelease(6, 15)
    }
  }
  public static func < (a: Self, b: Self) -> Bool { a.release < b.release }
}

/// Which reading of the VMA flag check a walker follows.
public enum Profile: String, Sendable, Hashable, Codable, CaseIterable {
  /// As merged: only `VM_IO` or `VM_PFNMAP` VMAs are accepted.
  case strict
  /// As proposed in the thread: no VMA flag check.
  case relaxed
}

/// What a walker is for, which decides what a run expects of it.
public enum WalkerRole: String, Sendable, Hashable, Codable {
  /// Implements the contract; must pass every rule it claims.
  case implementation
  /// A historical kernel function, kept to show what changed.
  case legacy
  /// Deliberately broken; some rule must catch it.
  case mutant
}

/// Where a walker comes from.
public enum WalkerOrigin: Sendable, Hashable, Codable {
  /// Built into pfnspec, found by name.
  case builtin
  /// A shared object, loaded from this path.
  case sharedObject(path: String)
  /// A program that speaks the stdio protocol, started with this command.
  case command(String)
}

/// Who a walker is and what it claims.
public struct WalkerDescriptor: Sendable, Hashable, Codable {
  public var name: String
  public var summary: String
  public var role: WalkerRole
  public var apiLevel: APILevel
  public var profile: Profile
  /// Where the walker comes from, so that a replay command can load it again.
  public var origin: WalkerOrigin

  public init(
    name: String, summary: String, role: WalkerRole, apiLevel: APILevel, profile: Profile,
    origin: WalkerOrigin = .builtin
  ) {
    self.name = name
    self.summary = summary
    self.role = role
    self.apiLevel = apiLevel
    self.profile = profile
    self.origin = origin
  }
}

/// An implementation of `follow_pfnmap_start()` / `follow_pfnmap_end()`.
///
/// A walker sees the world only through ``WalkerHost``: it reads entries,
/// takes locks and asks the architecture's helpers, exactly as kernel code
/// does. Swift walkers, C plugins and mutants all conform to this protocol.
/// A walker throws only what the host throws (a ``WalkerFault``).
public protocol Walker: Sendable {
  var descriptor: WalkerDescriptor { get }

  /// `follow_pfnmap_start(args)`: 0 on success with the outputs filled and the
  /// protecting lock held; a negative errno otherwise, with nothing held.
  func start(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws -> Int32

  /// `follow_pfnmap_end(args)`: releases what a successful `start` took.
  func end(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws
}

/// Kernel error numbers walkers return.
public enum Errno {
  public static let EINVAL: Int32 = 22
  public static let ENOENT: Int32 = 2
}
