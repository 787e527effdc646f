import PfnModel

/// The reference walker under the relaxed profile: Jason Gunthorpe's proposal
/// in the review thread, never merged, to drop the VM_IO/VM_PFNMAP check
/// (contract C2, Variants).
///
/// Everything else is the reference's walk, so the two differ exactly where the
/// profiles do: an ordinary VMA is walked instead of refused. The proposal's
/// replacement filter (rejecting entries that map refcounted pages) is not
/// modelled: `special` is not a reliable witness at PMD and PUD level on every
/// architecture, so a rule could not tell a correct filter from a wrong one.
public struct RelaxedWalker: Walker {
  /// The reference with its flag check switched off: the same code path the
  /// `drop-flag-check` mutant uses, which is a defect only for a walker that
  /// claims the strict profile.
  private let walk = ReferenceWalker(mutation: .dropFlagCheck)

  public init() {}

  public let descriptor = WalkerDescriptor(
    name: "relaxed",
    summary: "the reference under the relaxed profile proposed in review: no VM_IO/VM_PFNMAP check",
    role: .implementation, apiLevel: .v6_15, profile: .relaxed)

  public func start(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws -> Int32 {
    try walk.start(&args, host: host)
  }

  public func end(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws {
    try walk.end(&args, host: host)
  }
}
