import CPfnWalker
import CPfnWalkerHost
#if canImport(Glibc)
  import Glibc
#endif
import PfnModel

/// The host table a C walker gets (`struct pfnspec_host`), backed by a
/// ``WalkerHost``: each function pointer calls the host, and a call that
/// throws records the fault and returns nonzero so the walker abandons the walk.
final class HostBridge {
  let host: any WalkerHost
  let locks: LockHandles
  /// The first fault a host call raised during this call into the walker.
  private(set) var fault: (any Error)?

  init(host: any WalkerHost, locks: LockHandles) {
    self.host = host
    self.locks = locks
  }

  /// Runs a host call for the walker: 0 when it worked, 1 when it faulted.
  func attempt(_ body: () throws -> Void) -> Int32 {
    if fault != nil { return 1 }
    // Before the call acts (takes or drops a lock, lets another CPU in): the
    // plain reads made since the last one are judged by the locks held now.
    takePlainReads()
    do {
      try body()
      return 0
    } catch {
      fault = error
      return 1
    }
  }

  /// Hands the host the plain reads of entry pointers the walker made since
  /// the last host call (`*pgdp`, `pmd_t pmd = *pmdp`), which the glue saw
  /// as faults on the mirror's view (`pfnspec_glue_take_plain_reads`).
  func takePlainReads() {
    withUnsafeTemporaryAllocation(of: pfnspec_entry_ref.self, capacity: 8) { entries in
      withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 8) { levels in
        while true {
          let count = Int(pfnspec_glue_take_plain_reads(entries.baseAddress, levels.baseAddress, 8))
          for i in 0..<count {
            host.plainRead(EntryPointer(address: entries[i]), PageLevel(rawValue: Int(levels[i])) ?? .pgd)
          }
          if count < 8 { return }
        }
      }
    }
  }

  /// Records a fault the bridge itself found (a NULL mm, an unknown level).
  func refuse(_ error: any Error) -> Int32 {
    if fault == nil { fault = error }
    return 1
  }

  /// Throws the fault a host call raised, if any.
  func raiseFault(abandoned: Bool) throws {
    if let fault { throw fault }
    if abandoned { throw PluginError("the walker called abandon() without a faulting host call") }
  }

  /// Calls `body` with a host table whose context is this bridge, placed at
  /// `destination` (a guarded frame) when given; also whether the walker
  /// changed the table there.
  func withTable<R>(in destination: UnsafeMutablePointer<pfnspec_host>?, _ body: (UnsafeMutablePointer<pfnspec_host>) -> R)
    -> (R, tableChanged: Bool)
  {
    guard let destination else { return (withTable(body), false) }
    return withTable { table in
      let size = MemoryLayout<pfnspec_host>.size
      UnsafeMutableRawPointer(destination).copyMemory(from: table, byteCount: size)
      let result = body(destination)
      // The glue itself sets abandon, abandon_context and mirror around the
      // call: take those, then any other byte that differs is the walker's.
      table.pointee.abandon = destination.pointee.abandon
      table.pointee.abandon_context = destination.pointee.abandon_context
      table.pointee.mirror = destination.pointee.mirror
      return (result, memcmp(destination, table, size) != 0)
    }
  }

  /// Calls `body` with a host table whose context is this bridge.
  func withTable<R>(_ body: (UnsafeMutablePointer<pfnspec_host>) -> R) -> R {
    var table = Self.template
    table.page_shift = UInt32(host.pageShift)
    table.level_shift = (
      UInt32(host.shift(.pgd)), UInt32(host.shift(.p4d)), UInt32(host.shift(.pud)), UInt32(host.shift(.pmd)),
      UInt32(host.shift(.pte))
    )
    let archName = host.archName
    return withExtendedLifetime(self) {
      archName.withCString { name in
        table.arch_name = name
        table.ctx = Unmanaged.passUnretained(self).toOpaque()
        return withUnsafeMutablePointer(to: &table) { body($0) }
      }
    }
  }

  /// The function pointers, filled once.
  /// Immutable once built; `pfnspec_host` holds pointers, so Swift cannot see that.
  nonisolated(unsafe) private static let template: pfnspec_host = {
    var table = pfnspec_host()
    table.abi_version = PFNSPEC_ABI_VERSION
    table.size = UInt32(MemoryLayout<pfnspec_host>.size)

    table.pgd_offset = { ctx, mm, address, out in
      let bridge = HostBridge.from(ctx)
      guard let mm else { return bridge.refuse(WalkerFault.nullDereference("pgd_offset() of a NULL mm")) }
      guard let out else { return bridge.refuse(WalkerFault.nullDereference("pgd_offset() into a NULL pointer")) }
      let ref = MMRef(id: Int(mm.pointee.id))
      return bridge.attempt { out.pointee = try bridge.host.pgdOffset(ref, address).address }
    }
    table.offset = { ctx, level, parent, address, out in
      let bridge = HostBridge.from(ctx)
      guard let level = PageLevel(level) else { return bridge.refuse(PluginError("offset() at unknown level \(level.rawValue)")) }
      guard let out else { return bridge.refuse(WalkerFault.nullDereference("offset() into a NULL pointer")) }
      return bridge.attempt {
        out.pointee = try bridge.host.offset(level, below: EntryPointer(address: parent), address).address
      }
    }
    table.read = { ctx, entry, level, out in
      let bridge = HostBridge.from(ctx)
      guard let level = PageLevel(level) else { return bridge.refuse(PluginError("read() at unknown level \(level.rawValue)")) }
      guard let out else { return bridge.refuse(WalkerFault.nullDereference("read() into a NULL pointer")) }
      return bridge.attempt { out.pointee = try bridge.host.read(EntryPointer(address: entry), level) }
    }
    table.write = { ctx, entry, level, value in
      let bridge = HostBridge.from(ctx)
      guard let level = PageLevel(level) else { return bridge.refuse(PluginError("write() at unknown level \(level.rawValue)")) }
      return bridge.attempt { try bridge.host.write(EntryPointer(address: entry), level, value) }
    }

    table.is_none = { ctx, entry, level in HostBridge.helper(ctx, level, unknown: false) { $0.isNone(entry, $1) } }
    table.is_present = { ctx, entry, level in HostBridge.helper(ctx, level, unknown: false) { $0.isPresent(entry, $1) } }
    table.is_leaf = { ctx, entry, level in HostBridge.helper(ctx, level, unknown: false) { $0.isLeaf(entry, $1) } }
    table.is_bad = { ctx, entry, level in HostBridge.helper(ctx, level, unknown: false) { $0.isBad(entry, $1) } }
    table.is_write = { ctx, entry, level in HostBridge.helper(ctx, level, unknown: false) { $0.isWrite(entry, $1) } }
    table.is_special = { ctx, entry, level in HostBridge.helper(ctx, level, unknown: false) { $0.isSpecial(entry, $1) } }
    table.pfn = { ctx, entry, level in HostBridge.helper(ctx, level, unknown: 0) { $0.pfn(entry, $1) } }
    table.pgprot = { ctx, entry, level in HostBridge.helper(ctx, level, unknown: 0) { $0.pgprot(entry, $1) } }

    table.pud_lock = { ctx, mm, pud, out in
      let bridge = HostBridge.from(ctx)
      guard let mm else { return bridge.refuse(WalkerFault.nullDereference("pud_lock() of a NULL mm")) }
      guard let out else { return bridge.refuse(WalkerFault.nullDereference("pud_lock() into a NULL pointer")) }
      let ref = MMRef(id: Int(mm.pointee.id))
      return bridge.attempt {
        out.pointee = bridge.locks.handle(try bridge.host.pudLock(ref, EntryPointer(address: pud)).id)
      }
    }
    table.pmd_lock = { ctx, mm, pmd, out in
      let bridge = HostBridge.from(ctx)
      guard let mm else { return bridge.refuse(WalkerFault.nullDereference("pmd_lock() of a NULL mm")) }
      guard let out else { return bridge.refuse(WalkerFault.nullDereference("pmd_lock() into a NULL pointer")) }
      let ref = MMRef(id: Int(mm.pointee.id))
      return bridge.attempt {
        out.pointee = bridge.locks.handle(try bridge.host.pmdLock(ref, EntryPointer(address: pmd)).id)
      }
    }
    table.pte_offset_map_lock = { ctx, mm, pmd, address, pteOut, lockOut in
      let bridge = HostBridge.from(ctx)
      guard let mm else { return bridge.refuse(WalkerFault.nullDereference("pte_offset_map_lock() of a NULL mm")) }
      guard let pteOut, let lockOut else {
        return bridge.refuse(WalkerFault.nullDereference("pte_offset_map_lock() into a NULL pointer"))
      }
      let ref = MMRef(id: Int(mm.pointee.id))
      return bridge.attempt {
        if let (pte, lock) = try bridge.host.pteOffsetMapLock(ref, EntryPointer(address: pmd), address) {
          pteOut.pointee = pte.address
          lockOut.pointee = bridge.locks.handle(lock.id)
        } else {
          pteOut.pointee = 0
          lockOut.pointee = 0
        }
      }
    }
    table.spin_unlock = { ctx, handle in
      let bridge = HostBridge.from(ctx)
      guard let lock = bridge.locks.lock(handle) else {
        return bridge.refuse(PluginError("spin_unlock(0x\(String(handle, radix: 16))): not a lock the host handed out"))
      }
      return bridge.attempt { try bridge.host.spinUnlock(LockRef(lock)) }
    }
    table.pte_unmap = { ctx, pte in
      let bridge = HostBridge.from(ctx)
      return bridge.attempt { try bridge.host.pteUnmap(EntryPointer(address: pte)) }
    }

    table.lockdep_is_held = { ctx, sem in
      let bridge = HostBridge.from(ctx)
      guard let sem else { return false }
      switch sem.pointee.kind {
      case UInt32(PFNSPEC_RWSEM_MMAP_LOCK.rawValue): return bridge.host.lockdepIsHeld(.mmapLock)
      case UInt32(PFNSPEC_RWSEM_I_MMAP.rawValue):
        return bridge.host.lockdepIsHeld(.iMmapRwsem(MappingRef(id: Int(sem.pointee.id))))
      default: return false
      }
    }
    table.lockdep_assert = { ctx, condition, what in
      let text = what.map { String(cString: $0) } ?? "lockdep_assert"
      HostBridge.from(ctx).host.lockdepAssert(condition, text)
    }
    table.peek = { ctx, entry, _, out in
      guard let value = HostBridge.from(ctx).host.peek(EntryPointer(address: entry)) else { return 1 }
      out?.pointee = value
      return 0
    }
    table.report = { ctx, kind, entry, level, what in HostBridge.report(ctx, kind, entry, level, what) }
    return table
  }()

  /// `report()`: WARN and BUG are trace lines (BUG ends the walk), might_sleep()
  /// with a spinlock held is a lockdep warning, a store through an entry pointer
  /// ends the walk with a fault that names the entry.
  static func report(
    _ ctx: UnsafeMutableRawPointer?, _ kind: UInt32, _ entry: UInt64, _ level: pfnspec_level,
    _ what: UnsafePointer<CChar>?
  ) -> Int32 {
    let bridge = from(ctx)
    let text = what.map { String(cString: $0) } ?? "?"
    switch kind {
    case UInt32(PFNSPEC_REPORT_WARN.rawValue):
      bridge.host.kernelWarning(text)
      return 0
    case UInt32(PFNSPEC_REPORT_BUG.rawValue):
      bridge.host.kernelWarning("BUG: " + text)
      return bridge.refuse(WalkerFault.kernelBug(text))
    case UInt32(PFNSPEC_REPORT_MIGHT_SLEEP.rawValue):
      if bridge.host.holdsSpinlock { bridge.host.lockdepAssert(false, "\(text) with a page-table spinlock held") }
      return 0
    case UInt32(PFNSPEC_REPORT_ENTRY_WRITE.rawValue):
      return bridge.refuse(WalkerFault.wroteEntry(EntryPointer(address: entry), PageLevel(level) ?? .pgd))
    default:
      return bridge.refuse(PluginError("report() of unknown kind \(kind): \(text)"))
    }
  }

  static func from(_ ctx: UnsafeMutableRawPointer?) -> HostBridge {
    Unmanaged<HostBridge>.fromOpaque(ctx!).takeUnretainedValue()
  }

  /// Calls one of the architecture's helpers; an unknown level is a fault and answers `unknown`.
  static func helper<R>(
    _ ctx: UnsafeMutableRawPointer?, _ level: pfnspec_level, unknown: R, _ body: (any WalkerHost, PageLevel) -> R
  ) -> R {
    let bridge = from(ctx)
    guard let level = PageLevel(level) else {
      _ = bridge.refuse(PluginError("a helper was asked about unknown level \(level.rawValue)"))
      return unknown
    }
    // `pgd_none(*pgdp) || pgd_bad(*pgdp)`: a helper call closes the view
    // too, so that each plain read between two host calls is seen.
    bridge.takePlainReads()
    return body(bridge.host, level)
  }
}

extension PageLevel {
  init?(_ level: pfnspec_level) {
    self.init(rawValue: Int(level.rawValue))
  }
}
