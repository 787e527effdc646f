import PfnModel
import PfnWalkers

/// Which reading of "the pfn is invalid after end()" a caller follows
/// (contract C10, C11).
public enum CallerProfile: String, Sendable, Hashable, Codable, CaseIterable {
  /// Jason Gunthorpe's reading in the review thread: nothing uses the pfn after
  /// end(); every access and every map is made inside the start..end window
  /// that produced the pfn.
  case strict
  /// The merged kernel-doc: a use after end() is allowed with proper
  /// synchronisation, an mmu notifier that tears maps down with a sequence
  /// retry (KVM), or a second walk that compares (generic_access_phys).
  case synchronized
}

/// Who a caller is and what it claims.
public struct CallerDescriptor: Sendable, Hashable, Codable {
  public var name: String
  public var summary: String
  /// `implementation`: must pass every caller rule of its profile;
  /// `legacy`: a known-unsafe shape from the kernel's history, kept as an
  /// example that must fail; `mutant`: deliberately broken, a rule must catch it.
  public var role: WalkerRole
  public var profile: CallerProfile
  /// For a caller from outside: the `pfnspec` arguments that load it again.
  public var replayArguments: [String]?

  public init(
    name: String, summary: String, role: WalkerRole, profile: CallerProfile, replayArguments: [String]? = nil
  ) {
    self.name = name
    self.summary = summary
    self.role = role
    self.profile = profile
    self.replayArguments = replayArguments
  }
}

/// What the harness asks a caller to do with one user address: read or write
/// the memory behind it (generic_access_phys, KVM's fault), or map it for a
/// device (VFIO's DMA map).
public struct CallerRequest: Sendable, Hashable, Codable {
  public var vma: VMAView
  public var address: UInt64
  /// The caller is asked for write access.
  public var write: Bool

  public init(vma: VMAView, address: UInt64, write: Bool) {
    self.vma = vma
    self.address = address
    self.write = write
  }
}

/// Code that uses follow_pfnmap_start()/end(): KVM's hva_to_pfn_remapped(),
/// VFIO type1's DMA map, generic_access_phys(), ACRN's ram map, x86 PAT.
///
/// A caller sees the world only through ``CallerHost``: the lookups (served by
/// the run's walker), mmap_lock, mmu notifiers, its own spinlocks, calls that
/// may sleep, and the uses of a pfn the oracle can observe (an access through
/// an ioremap, a device or secondary-MMU map, a page reference). Every host
/// call is a scheduling point where another CPU may act.
public protocol Caller: Sendable {
  var descriptor: CallerDescriptor { get }

  /// Runs the caller's logic for one request; returns 0 or a negative errno.
  /// Throws only what the host throws.
  func run(_ request: CallerRequest, host: any CallerHost) throws -> Int32
}

/// The kind of a map that lives on after the call that made it.
public enum MapKind: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
  /// An IOMMU mapping (`iommu_map()`, VFIO type1).
  case iommu
  /// A secondary MMU's entry (a KVM spte).
  case secondaryMMU = "secondary-mmu"
  /// A device's own table (ACRN's EPT, a GPU page table).
  case deviceTable = "device-table"

  public var description: String { rawValue }
}

/// A spinlock that belongs to the caller (KVM's `mmu_lock`), not to the page tables.
public struct CallerSpinlock: Sendable, Hashable, Codable, CustomStringConvertible {
  public var id: UInt64
  public init(id: UInt64) { self.id = id }
  public var description: String { "caller lock #\(id)" }
}

/// A registered notifier, as `mmu_notifier_register()` hands it back.
public struct NotifierID: Sendable, Hashable, Codable {
  public var id: Int
  public init(id: Int) { self.id = id }
}

/// The callbacks of `struct mmu_notifier_ops` that matter to a pfn's user.
/// They run on the other CPU, in the middle of its operation on the range.
public protocol MMUNotifier: AnyObject {
  func invalidateRangeStart(_ range: InvalidationRange, host: any CallerHost) throws
  func invalidateRangeEnd(_ range: InvalidationRange, host: any CallerHost) throws
}

/// Something a caller did that the kernel would not survive: thrown from the
/// host call where it happened, and the case fails with it.
public enum CallerFault: Error, Sendable, Hashable, CustomStringConvertible {
  /// A lock taken twice, or released when not held.
  case lock(String)
  /// A handle the host never gave out.
  case badHandle(String)
  /// More host calls than a terminating caller can need.
  case stepLimit(Int)
  /// The walker that serves the lookups faulted inside start() or end().
  case walker(WalkerFault)

  public var description: String {
    switch self {
    case .lock(let what): "lock misuse: \(what)"
    case .badHandle(let what): "bad handle: \(what)"
    case .stepLimit(let n): "no termination: more than \(n) host calls in one caller run"
    case .walker(let fault): "the walker faulted: \(fault)"
    }
  }
}

/// The kernel services a caller uses, and the uses of a pfn that can be
/// observed. This is the interface C callers get as a table of functions.
public protocol CallerHost: AnyObject {
  /// `PAGE_SHIFT` of the case's architecture.
  var pageShift: Int { get }
  /// The architecture's name.
  var archName: String { get }

  // MARK: Lookups
  /// `follow_pfnmap_start(&args)`, served by the run's walker.
  func followPfnmapStart(_ args: inout FollowPfnmapArgs) throws -> Int32
  /// `follow_pfnmap_end(&args)`.
  func followPfnmapEnd(_ args: inout FollowPfnmapArgs) throws

  // MARK: mmap_lock, faults and sleeping
  func mmapReadLock() throws
  func mmapReadUnlock() throws
  /// `fixup_user_fault(mm, address, flags, NULL)`: may sleep; 0 when the
  /// address is mapped (for write when `write`), `-EFAULT` otherwise.
  func fixupUserFault(_ address: UInt64, write: Bool) throws -> Int32
  /// Any call that may sleep: `might_sleep()`, `mutex_lock()`, `kmalloc(GFP_KERNEL)`,
  /// `copy_to_user()`, `ioremap_prot()`.
  func mightSleep(_ what: String) throws

  // MARK: The caller's own locks and notifiers
  func spinLock(_ lock: CallerSpinlock) throws
  func spinUnlock(_ lock: CallerSpinlock) throws
  /// `mmu_notifier_register()` on the VMA's mm.
  func registerNotifier(_ notifier: any MMUNotifier) throws -> NotifierID
  func unregisterNotifier(_ id: NotifierID) throws

  // MARK: Uses of a pfn
  /// A one-shot access to the memory at a pfn (`ioremap_prot()` then
  /// `memcpy_fromio()`/`memcpy_toio()`, `readl()`, `writel()`).
  func access(pfn: UInt64, write: Bool) throws
  /// Puts `pages` pfns from `pfn` into a device or secondary MMU under `key`
  /// (an IOVA, a gfn, a table index); it stays until ``unmap(_:key:)``.
  func map(_ kind: MapKind, key: UInt64, pfn: UInt64, pages: UInt64, writable: Bool) throws
  func unmap(_ kind: MapKind, key: UInt64) throws
  /// `get_page(pfn_to_page(pfn))`.
  func getPage(pfn: UInt64) throws
  func putPage(pfn: UInt64) throws
}

/// Kernel error numbers callers return.
extension Errno {
  public static let EFAULT: Int32 = 14
  public static let EAGAIN: Int32 = 11
}
