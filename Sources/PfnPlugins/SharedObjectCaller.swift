import CPfnWalker
import CPfnWalkerHost
import PfnCallers
import PfnModel
import PfnWalkers

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A caller in a shared object that exports the pfnspec caller ABI
/// (`pfnspec_caller.h`), called in this process.
///
/// Plug-in code runs unprotected here, as ``SharedObjectWalker`` does. Host
/// calls that fault leave the run (or a notifier callback) through `abandon()`
/// (a longjmp in C, to the innermost landing of the glue) and surface as the
/// error the ``CallerHost`` threw.
public final class SharedObjectCaller: Caller, @unchecked Sendable {
  public let path: String
  public let descriptor: CallerDescriptor
  private let library: UnsafeMutableRawPointer
  private let runSymbol: UnsafeMutableRawPointer
  /// Handles for the walker's page-table locks that cross into the caller's
  /// `struct follow_pfnmap_args` between start() and end().
  private let locks = LockHandles()

  /// Loads a caller plug-in and checks what it says about itself.
  ///
  /// - Throws: ``PluginError`` when the file cannot be loaded, lacks an
  ///   export, was built for another caller ABI version, or describes itself
  ///   with a profile or role pfnspec does not know.
  public init(path: String) throws {
    self.path = path
    let library = try PluginLibrary(
      path: path, kind: "caller",
      missingExportHint:
        "is it a pfnspec caller? A kernel-style caller ends with PFNSPEC_KERNEL_CALLER(...) (see docs/callers.md)")
    let symbol = library.symbol
    self.library = library.handle
    let describe = try symbol(PFNSPEC_CALLER_DESCRIBE_SYMBOL)
    guard let info = pfnspec_caller_glue_describe(describe) else {
      throw PluginError("'\(path)': pfnspec_caller_describe() returned NULL")
    }
    descriptor = try Self.descriptor(info, path: path)
    runSymbol = try symbol(PFNSPEC_CALLER_RUN_SYMBOL)
  }

  /// Reads a describe() answer; the ABI version first, before any other field.
  static func descriptor(_ info: UnsafePointer<pfnspec_caller_info>, path: String) throws -> CallerDescriptor {
    let version = UnsafeRawPointer(info).load(as: UInt32.self)
    guard version == PFNSPEC_CALLER_ABI_VERSION else {
      throw PluginError(
        "'\(path)' was built for caller ABI version \(version), but this pfnspec speaks version "
          + "\(PFNSPEC_CALLER_ABI_VERSION): rebuild it against the headers 'pfnspec cflags' points to")
    }
    let info = info.pointee
    guard info.size >= UInt32(MemoryLayout<pfnspec_caller_info>.size) else {
      throw PluginError(
        "'\(path)': struct pfnspec_caller_info is \(info.size) bytes, expected \(MemoryLayout<pfnspec_caller_info>.size)")
    }
    func text(_ pointer: UnsafePointer<CChar>?, _ field: String) throws -> String {
      guard let pointer else { throw PluginError("'\(path)': pfnspec_caller_describe() left \(field) NULL") }
      return String(cString: pointer)
    }
    let name = try text(info.name, "name")
    let profileText = try text(info.profile, "profile")
    let roleText = try text(info.role, "role")
    guard !name.isEmpty else { throw PluginError("'\(path)': pfnspec_caller_describe() gave an empty name") }
    guard let profile = CallerProfile(rawValue: profileText) else {
      let known = CallerProfile.allCases.map(\.rawValue).joined(separator: ", ")
      throw PluginError("'\(path)': unknown caller profile '\(profileText)' (known: \(known))")
    }
    guard let role = WalkerRole(rawValue: roleText) else {
      throw PluginError("'\(path)': unknown role '\(roleText)' (known: implementation, legacy, mutant)")
    }
    return CallerDescriptor(
      name: name, summary: (try? text(info.summary, "summary")) ?? "", role: role, profile: profile,
      replayArguments: ["--caller", path])
  }

  public func run(_ request: CallerRequest, host: any CallerHost) throws -> Int32 {
    let bridge = CallerBridge(host: host, locks: locks, vma: request.vma)
    var result: Int32 = 0
    let abandoned = withExtendedLifetime(bridge) {
      pfnspec_caller_glue_run(
        runSymbol, bridge.table, bridge.frame.vma, request.address, request.write ? PFNSPEC_CALLER_WRITE : 0, &result)
    }
    try bridge.raiseFault(abandoned: abandoned != 0, what: "the caller")
    return result
  }
}

/// The C structs a caller run gets for its VMA: the VMA, its mm, file and
/// mapping. They live as long as the run's bridge, which the caller's notifiers
/// keep alive after the run returned.
final class VMAFrame {
  let vma: UnsafeMutablePointer<pfnspec_vma>
  let mm: UnsafeMutablePointer<pfnspec_mm>
  let file: UnsafeMutablePointer<pfnspec_file>?
  let mapping: UnsafeMutablePointer<pfnspec_address_space>?

  init(_ view: VMAView, mappingID: (FileRef) -> Int) {
    mm = .allocate(capacity: 1)
    mm.initialize(
      to: pfnspec_mm(
        mmap_lock: pfnspec_rwsem(kind: UInt32(PFNSPEC_RWSEM_MMAP_LOCK.rawValue), id: UInt32(view.mm.id)),
        id: UInt64(view.mm.id)))
    if let fileRef = view.file {
      let id = mappingID(fileRef)
      let mapping = UnsafeMutablePointer<pfnspec_address_space>.allocate(capacity: 1)
      mapping.initialize(
        to: pfnspec_address_space(
          i_mmap_rwsem: pfnspec_rwsem(kind: UInt32(PFNSPEC_RWSEM_I_MMAP.rawValue), id: UInt32(id)), id: UInt64(id)))
      let file = UnsafeMutablePointer<pfnspec_file>.allocate(capacity: 1)
      file.initialize(to: pfnspec_file(f_mapping: mapping, id: UInt64(fileRef.id)))
      self.mapping = mapping
      self.file = file
    } else {
      mapping = nil
      file = nil
    }
    vma = .allocate(capacity: 1)
    vma.initialize(to: pfnspec_vma(vm_start: view.start, vm_end: view.end, vm_flags: view.flags.rawValue, vm_file: file, vm_mm: mm))
  }

  deinit {
    vma.deallocate()
    mm.deallocate()
    file?.deallocate()
    mapping?.deallocate()
  }
}

/// The host table a C caller gets (`struct pfnspec_caller_host`), backed by a
/// ``CallerHost``: each function pointer calls the host, and a call that
/// throws records the error and returns nonzero so the caller abandons.
///
/// One bridge per run; the table lives on the heap as long as the bridge,
/// because the caller's notifiers call it after the run returned.
final class CallerBridge {
  /// The run's host; it owns the notifiers that keep this bridge alive.
  unowned let host: any CallerHost
  let locks: LockHandles
  let frame: VMAFrame
  let table: UnsafeMutablePointer<pfnspec_caller_host>
  private let archName: UnsafeMutablePointer<CChar>
  /// The ids spin_lock_init() handed out: 1, 2, ... in order, as a Swift caller numbers its locks.
  private var spinlocks: UInt64 = 0
  /// The first error a host call raised and the plug-in has not yet left for.
  private var fault: (any Error)?
  /// The notifiers the caller registered, by id, to tell them apart when it unregisters one.
  private var notifiers: [UInt64: Weak] = [:]
  /// Set once the host is going away (its notifiers are being freed): no host call may reach it.
  fileprivate(set) var hostGone = false

  private struct Weak { weak var notifier: CNotifier? }

  init(host: any CallerHost, locks: LockHandles, vma: VMAView) {
    self.host = host
    self.locks = locks
    let walkerHost = (host as? ModelCallerHost)?.walkerHost
    frame = VMAFrame(vma) { file in (try? walkerHost?.fileMapping(file))?.id ?? file.id }
    archName = strdup(host.archName)!
    table = .allocate(capacity: 1)
    var template = Self.template
    template.arch_name = UnsafePointer(archName)
    template.page_shift = UInt32(host.pageShift)
    if let walkerHost {
      template.level_shift = (
        UInt32(walkerHost.shift(.pgd)), UInt32(walkerHost.shift(.p4d)), UInt32(walkerHost.shift(.pud)),
        UInt32(walkerHost.shift(.pmd)), UInt32(walkerHost.shift(.pte))
      )
    } else {
      template.level_shift = (0, 0, 0, 0, UInt32(host.pageShift))
    }
    table.initialize(to: template)
    table.pointee.ctx = Unmanaged.passUnretained(self).toOpaque()
  }

  deinit {
    table.deallocate()
    free(archName)
  }

  /// Runs a host call for the plug-in: 0 when it worked, 1 when it threw.
  func attempt(_ body: () throws -> Void) -> Int32 {
    if fault != nil { return 1 }
    if hostGone {
      fault = PluginError("the caller made a host call from free_notifier(), after its case was over")
      return 1
    }
    do {
      try body()
      return 0
    } catch {
      fault = error
      return 1
    }
  }

  /// Records a fault the bridge itself found (a NULL pointer, an unknown handle).
  func refuse(_ error: any Error) -> Int32 {
    if fault == nil { fault = error }
    return 1
  }

  /// The pending error, cleared.
  func takeFault() -> (any Error)? {
    defer { fault = nil }
    return fault
  }

  /// Throws the error a host call raised, if any.
  func raiseFault(abandoned: Bool, what: String) throws {
    if let fault = takeFault() { throw fault }
    if abandoned { throw PluginError("\(what) called abandon() without a faulting host call") }
  }

  // MARK: struct follow_pfnmap_args, both ways

  /// The Swift args for the C ones: the VMA read from the struct the caller
  /// points to, the walker's lock and ptep from their handles.
  func swiftArgs(_ c: UnsafeMutablePointer<pfnspec_args>, _ call: String) throws -> FollowPfnmapArgs {
    let a = c.pointee
    guard let vma = a.vma else { throw PluginError("\(call) with args->vma NULL") }
    guard let mm = vma.pointee.vm_mm else { throw PluginError("\(call) with args->vma->vm_mm NULL") }
    let view = VMAView(
      start: vma.pointee.vm_start, end: vma.pointee.vm_end, flags: VMAFlags(rawValue: vma.pointee.vm_flags),
      file: vma.pointee.vm_file.map { FileRef(id: Int(truncatingIfNeeded: $0.pointee.id)) },
      mm: MMRef(id: Int(truncatingIfNeeded: mm.pointee.id)))
    var args = FollowPfnmapArgs(vma: view, address: a.address)
    if a.lock != 0 {
      guard let lock = locks.lock(a.lock) else {
        throw PluginError(
          "\(call): args->lock holds 0x\(String(a.lock, radix: 16)), which is no lock the walker handed out "
            + "(the caller changed the walker's internals)")
      }
      args.lock = LockRef(lock)
    }
    args.ptep = a.ptep == 0 ? nil : EntryPointer(address: a.ptep)
    args.pfn = a.pfn
    args.pgprot = a.pgprot
    let raw = UnsafeRawPointer(c)
    args.writable = raw.load(fromByteOffset: MemoryLayout<pfnspec_args>.offset(of: \.writable)!, as: UInt8.self) != 0
    args.special = raw.load(fromByteOffset: MemoryLayout<pfnspec_args>.offset(of: \.special)!, as: UInt8.self) != 0
    args.addrMask = a.addr_mask
    return args
  }

  /// Writes the walker's internals and outputs back; the inputs stay the caller's.
  func copyBack(_ args: FollowPfnmapArgs, into c: UnsafeMutablePointer<pfnspec_args>) {
    c.pointee.lock = args.lock.map { locks.handle($0.id) } ?? 0
    c.pointee.ptep = args.ptep?.address ?? 0
    c.pointee.pfn = args.pfn
    c.pointee.pgprot = args.pgprot
    c.pointee.writable = args.writable
    c.pointee.special = args.special
    c.pointee.addr_mask = args.addrMask
  }

  // MARK: The caller's spinlocks

  func newSpinlock() -> UInt64 {
    spinlocks += 1
    return spinlocks
  }

  func spinlock(_ id: UInt64, _ call: String) throws -> CallerSpinlock {
    guard id >= 1, id <= spinlocks else {
      throw CallerFault.badHandle("\(call) of a spinlock_t that spin_lock_init() never initialized (id \(id))")
    }
    return CallerSpinlock(id: id)
  }

  static func from(_ ctx: UnsafeMutableRawPointer?) -> CallerBridge {
    Unmanaged<CallerBridge>.fromOpaque(ctx!).takeUnretainedValue()
  }

  static func nullPointer(_ what: String) -> PluginError {
    PluginError("the caller passed NULL for \(what)")
  }

  /// The function pointers, filled once.
  nonisolated(unsafe) private static let template: pfnspec_caller_host = {
    var table = pfnspec_caller_host()
    table.abi_version = PFNSPEC_CALLER_ABI_VERSION
    table.size = UInt32(MemoryLayout<pfnspec_caller_host>.size)

    table.follow_pfnmap_start = { ctx, args, result in
      let bridge = CallerBridge.from(ctx)
      guard let args else { return bridge.refuse(nullPointer("follow_pfnmap_start()'s args")) }
      guard let result else { return bridge.refuse(nullPointer("follow_pfnmap_start()'s result")) }
      return bridge.attempt {
        var swift = try bridge.swiftArgs(args, "follow_pfnmap_start()")
        let answer = try bridge.host.followPfnmapStart(&swift)
        bridge.copyBack(swift, into: args)
        result.pointee = answer
      }
    }
    table.follow_pfnmap_end = { ctx, args in
      let bridge = CallerBridge.from(ctx)
      guard let args else { return bridge.refuse(nullPointer("follow_pfnmap_end()'s args")) }
      return bridge.attempt {
        var swift = try bridge.swiftArgs(args, "follow_pfnmap_end()")
        try bridge.host.followPfnmapEnd(&swift)
        bridge.copyBack(swift, into: args)
      }
    }

    table.mmap_read_lock = { ctx in
      let bridge = CallerBridge.from(ctx)
      return bridge.attempt { try bridge.host.mmapReadLock() }
    }
    table.mmap_read_unlock = { ctx in
      let bridge = CallerBridge.from(ctx)
      return bridge.attempt { try bridge.host.mmapReadUnlock() }
    }
    table.fixup_user_fault = { ctx, address, write, result in
      let bridge = CallerBridge.from(ctx)
      guard let result else { return bridge.refuse(nullPointer("fixup_user_fault()'s result")) }
      return bridge.attempt { result.pointee = try bridge.host.fixupUserFault(address, write: write) }
    }
    table.might_sleep = { ctx, what in
      let bridge = CallerBridge.from(ctx)
      let name = what.map { String(cString: $0) } ?? "might_sleep()"
      return bridge.attempt { try bridge.host.mightSleep(name) }
    }

    table.spin_lock_init = { ctx, out in
      let bridge = CallerBridge.from(ctx)
      guard let out else { return bridge.refuse(nullPointer("spin_lock_init()'s lock")) }
      out.pointee = bridge.newSpinlock()
      return 0
    }
    table.spin_lock = { ctx, id in
      let bridge = CallerBridge.from(ctx)
      return bridge.attempt { try bridge.host.spinLock(try bridge.spinlock(id, "spin_lock()")) }
    }
    table.spin_unlock = { ctx, id in
      let bridge = CallerBridge.from(ctx)
      return bridge.attempt { try bridge.host.spinUnlock(try bridge.spinlock(id, "spin_unlock()")) }
    }

    table.register_notifier = { ctx, notifier, out in
      let bridge = CallerBridge.from(ctx)
      guard let notifier else { return bridge.refuse(nullPointer("mmu_notifier_register()'s notifier")) }
      guard let out else { return bridge.refuse(nullPointer("mmu_notifier_register()'s id")) }
      return bridge.attempt {
        let adapter = CNotifier(bridge: bridge, notifier: notifier)
        let id = try bridge.host.registerNotifier(adapter)
        out.pointee = UInt64(id.id)
        bridge.notifiers[UInt64(id.id)] = Weak(notifier: adapter)
      }
    }
    table.unregister_notifier = { ctx, id in
      let bridge = CallerBridge.from(ctx)
      return bridge.attempt {
        // Unregistered by the caller, the notifier is the caller's to free: no free_notifier().
        let adapter = bridge.notifiers.removeValue(forKey: id)?.notifier
        adapter?.unregistered = true
        try bridge.host.unregisterNotifier(NotifierID(id: Int(truncatingIfNeeded: id)))
      }
    }

    table.access = { ctx, pfn, write in
      let bridge = CallerBridge.from(ctx)
      return bridge.attempt { try bridge.host.access(pfn: pfn, write: write) }
    }
    table.map = { ctx, kind, key, pfn, pages, writable in
      let bridge = CallerBridge.from(ctx)
      guard let kind = MapKind(abi: kind) else { return bridge.refuse(PluginError("map() of unknown kind \(kind)")) }
      return bridge.attempt { try bridge.host.map(kind, key: key, pfn: pfn, pages: pages, writable: writable) }
    }
    table.unmap = { ctx, kind, key in
      let bridge = CallerBridge.from(ctx)
      guard let kind = MapKind(abi: kind) else { return bridge.refuse(PluginError("unmap() of unknown kind \(kind)")) }
      return bridge.attempt { try bridge.host.unmap(kind, key: key) }
    }
    table.get_page = { ctx, pfn in
      let bridge = CallerBridge.from(ctx)
      return bridge.attempt { try bridge.host.getPage(pfn: pfn) }
    }
    table.put_page = { ctx, pfn in
      let bridge = CallerBridge.from(ctx)
      return bridge.attempt { try bridge.host.putPage(pfn: pfn) }
    }
    return table
  }()
}

/// A notifier a C caller registered (`struct pfnspec_notifier *`), as the
/// Swift host sees it: each callback goes through the glue, under a landing of
/// its own, with the run's table. When the host lets it go (the case is over)
/// and the caller did not unregister it, its `free_notifier()` runs.
final class CNotifier: MMUNotifier {
  let bridge: CallerBridge
  let notifier: UnsafeMutablePointer<pfnspec_notifier>
  var unregistered = false

  init(bridge: CallerBridge, notifier: UnsafeMutablePointer<pfnspec_notifier>) {
    self.bridge = bridge
    self.notifier = notifier
  }

  deinit {
    guard !unregistered else { return }
    bridge.hostGone = true
    var range = pfnspec_notifier_range(start: 0, end: 0, event: UInt32(PFNSPEC_NOTIFY_OTHER.rawValue))
    var result: Int32 = 0
    _ = pfnspec_caller_glue_notify(bridge.table, notifier, PFNSPEC_GLUE_FREE_NOTIFIER, &range, &result)
    _ = bridge.takeFault()
  }

  func invalidateRangeStart(_ range: InvalidationRange, host: any CallerHost) throws {
    try call(PFNSPEC_GLUE_INVALIDATE_RANGE_START, range, "invalidate_range_start()")
  }

  func invalidateRangeEnd(_ range: InvalidationRange, host: any CallerHost) throws {
    try call(PFNSPEC_GLUE_INVALIDATE_RANGE_END, range, "invalidate_range_end()")
  }

  private func call(_ which: pfnspec_caller_glue_callback, _ range: InvalidationRange, _ name: String) throws {
    var cRange = pfnspec_notifier_range(start: range.start, end: range.end, event: range.event.abiEvent)
    var result: Int32 = 0
    // A notifier runs inside a host call of the caller, whose own error (none
    // yet: it is still running) must not be mistaken for the callback's.
    let outer = bridge.takeFault()
    let abandoned = pfnspec_caller_glue_notify(bridge.table, notifier, which, &cRange, &result)
    let inner = bridge.takeFault()
    if let outer { _ = bridge.refuse(outer) }
    if let inner { throw inner }
    if abandoned != 0 { throw PluginError("the caller's \(name) called abandon() without a faulting host call") }
    if result != 0 {
      throw PluginError("the caller's \(name) returned \(result): the model's invalidations may block, so it must return 0")
    }
  }
}

extension MapKind {
  init?(abi: UInt32) {
    switch abi {
    case UInt32(PFNSPEC_MAP_IOMMU.rawValue): self = .iommu
    case UInt32(PFNSPEC_MAP_SECONDARY_MMU.rawValue): self = .secondaryMMU
    case UInt32(PFNSPEC_MAP_DEVICE_TABLE.rawValue): self = .deviceTable
    default: return nil
    }
  }
}

extension AdversaryKind {
  /// `enum pfnspec_notify_event`.
  var abiEvent: UInt32 {
    switch self {
    case .zap: UInt32(PFNSPEC_NOTIFY_ZAP.rawValue)
    case .remap: UInt32(PFNSPEC_NOTIFY_REMAP.rawValue)
    case .split: UInt32(PFNSPEC_NOTIFY_SPLIT.rawValue)
    case .collapse: UInt32(PFNSPEC_NOTIFY_COLLAPSE.rawValue)
    case .nonpresent: UInt32(PFNSPEC_NOTIFY_NONPRESENT.rawValue)
    case .freeTable: UInt32(PFNSPEC_NOTIFY_FREE_TABLE.rawValue)
    case .mprotect: UInt32(PFNSPEC_NOTIFY_MPROTECT.rawValue)
    }
  }
}
