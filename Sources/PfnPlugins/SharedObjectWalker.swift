import CPfnWalker
import CPfnWalkerHost
import PfnModel
import PfnWalkers

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A walker in a shared object that exports the pfnspec walker ABI
/// (`pfnspec_walker.h`), called in this process.
///
/// Plug-in code runs unprotected here: the runner loads it in a worker
/// process (``WorkerSupervisor``), where a crash costs only the case in flight.
/// Host calls that fault leave the walk through `abandon()` (a longjmp in C)
/// and surface as the ``WalkerFault`` the model raised.
public final class SharedObjectWalker: Walker, @unchecked Sendable {
  public let path: String
  public let descriptor: WalkerDescriptor
  private let library: UnsafeMutableRawPointer
  private let startSymbol: UnsafeMutableRawPointer
  private let endSymbol: UnsafeMutableRawPointer
  private let locks = LockHandles()

  /// Loads a plug-in and checks what it says about itself.
  ///
  /// - Throws: ``PluginError`` when the file cannot be loaded, lacks a symbol,
  ///   was built for another ABI version, or describes itself with values
  ///   pfnspec does not know.
  public init(path: String) throws {
    self.path = path
    let library = try PluginLibrary(
      path: path, kind: "walker", missingExportHint: "is it a pfnspec walker? (see docs/walkers.md)")
    let symbol = library.symbol
    self.library = library.handle
    let describe = try symbol(PFNSPEC_WALKER_DESCRIBE_SYMBOL)
    startSymbol = try symbol(PFNSPEC_WALKER_START_SYMBOL)
    endSymbol = try symbol(PFNSPEC_WALKER_END_SYMBOL)
    guard let info = pfnspec_glue_describe(describe) else {
      throw PluginError("'\(path)': pfnspec_walker_describe() returned NULL")
    }
    descriptor = try Self.descriptor(info, path: path)
    // Without the isolation guards (a bench's comparison) plain reads go unwatched too.
    if !ArgsFrame.guarded { pfnspec_glue_watch_plain_reads(0) }
  }

  /// Reads a describe() answer; the ABI version first, before any other field.
  static func descriptor(_ info: UnsafePointer<pfnspec_walker_info>, path: String) throws -> WalkerDescriptor {
    let version = UnsafeRawPointer(info).load(as: UInt32.self)
    guard version == PFNSPEC_ABI_VERSION else {
      throw PluginError(
        "'\(path)' was built for walker ABI version \(version), but this pfnspec speaks version "
          + "\(PFNSPEC_ABI_VERSION): rebuild it against the headers 'pfnspec cflags' points to")
    }
    let info = info.pointee
    guard info.size >= UInt32(MemoryLayout<pfnspec_walker_info>.size) else {
      throw PluginError("'\(path)': struct pfnspec_walker_info is \(info.size) bytes, expected \(MemoryLayout<pfnspec_walker_info>.size)")
    }
    func text(_ pointer: UnsafePointer<CChar>?, _ field: String) throws -> String {
      guard let pointer else { throw PluginError("'\(path)': describe() left \(field) NULL") }
      return String(cString: pointer)
    }
    let name = try text(info.name, "name")
    let apiText = try text(info.api_level, "api_level")
    let profileText = try text(info.profile, "profile")
    let roleText = try text(info.role, "role")
    guard let api = APILevel(rawValue: apiText) else {
      let known = APILevel.allCases.map(\.rawValue).joined(separator: ", ")
      throw PluginError("'\(path)': unknown API level '\(apiText)' (known: \(known))")
    }
    guard let profile = Profile(rawValue: profileText) else {
      throw PluginError("'\(path)': unknown profile '\(profileText)' (known: strict, relaxed)")
    }
    guard let role = WalkerRole(rawValue: roleText) else {
      throw PluginError("'\(path)': unknown role '\(roleText)' (known: implementation, legacy, mutant)")
    }
    guard !name.isEmpty else { throw PluginError("'\(path)': describe() gave an empty name") }
    return WalkerDescriptor(
      name: name, summary: (try? text(info.summary, "summary")) ?? "", role: role, apiLevel: api, profile: profile,
      origin: .sharedObject(path: path))
  }

  public func start(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws -> Int32 {
    let bridge = HostBridge(host: host, locks: locks)
    let frame = try ArgsFrame(args, bridge: bridge)
    defer { frame.release() }
    var result: Int32 = 0
    let (outcome, tableChanged) = bridge.withTable(in: frame.table) { table in
      pfnspec_glue_call_start(startSymbol, table, frame.args, &result)
    }
    bridge.takePlainReads()  // made after the last host call, under the locks held on return
    try Self.check(outcome, tableChanged: tableChanged, bridge: bridge)
    try frame.copyOut(into: &args, locks: locks)
    return result
  }

  public func end(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws {
    let bridge = HostBridge(host: host, locks: locks)
    let frame = try ArgsFrame(args, bridge: bridge)
    defer { frame.release() }
    let (outcome, tableChanged) = bridge.withTable(in: frame.table) { table in
      pfnspec_glue_call_end(endSymbol, table, frame.args)
    }
    bridge.takePlainReads()
    try Self.check(outcome, tableChanged: tableChanged, bridge: bridge)
    try frame.copyOut(into: &args, locks: locks)
  }

  /// Turns how a glue call ended into the error it is, if any.
  static func check(_ outcome: Int32, tableChanged: Bool, bridge: HostBridge) throws {
    switch outcome {
    case 2:
      throw PluginError("the walker wrote past the end of struct follow_pfnmap_args (it touched the guard page after it)")
    case 3:
      throw PluginError("the walker wrote before the host's structs (it touched the guard page before them)")
    default: break
    }
    if tableChanged { throw PluginError("the walker wrote to the host table (struct pfnspec_host), which it must only read") }
    try bridge.raiseFault(abandoned: outcome != 0)
  }
}

/// The C structs one start() or end() call sees: the host table, the args,
/// the VMA, its mm, file and mapping.
///
/// Guarded (the default): they live in the calling thread's frame
/// (`pfnspec_glue_frame`), between two PROT_NONE guard pages, the args at
/// the frame's very end, so that a walker that writes past them, by a byte or
/// by pages, is stopped by the fault. Unguarded (``WorkerLaunch/guards`` off,
/// for `pfnspec bench plugin`'s comparison): separate heap blocks, with 64
/// guard bytes after the args checked after the call.
struct ArgsFrame {
  static let guardBytes = 64
  static let guardValue: UInt8 = 0xd7
  /// Whether frames are guarded in this process.
  static let guarded = WorkerProcess.guarded

  let args: UnsafeMutablePointer<pfnspec_args>
  let vma: UnsafeMutablePointer<pfnspec_vma>
  let mm: UnsafeMutablePointer<pfnspec_mm>
  let file: UnsafeMutablePointer<pfnspec_file>?
  let mapping: UnsafeMutablePointer<pfnspec_address_space>?
  /// Where the host table goes for the call (`nil`: on the Swift stack).
  let table: UnsafeMutablePointer<pfnspec_host>?
  private let argsMemory: UnsafeMutableRawPointer
  private let inFrame: Bool
  private let vmaCopy: pfnspec_vma
  private let address: UInt64

  /// Carves the structs out of the thread's guarded frame: the table and the
  /// small structs from its start, the args at its end.
  private struct Carver {
    var next: UnsafeMutableRawPointer
    mutating func take<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
      let alignment = MemoryLayout<T>.alignment
      let aligned = UnsafeMutableRawPointer(bitPattern: (UInt(bitPattern: next) + UInt(alignment - 1)) & ~UInt(alignment - 1))!
      next = aligned + MemoryLayout<T>.stride
      return aligned.bindMemory(to: T.self, capacity: 1)
    }
  }

  init(_ swiftArgs: FollowPfnmapArgs, bridge: HostBridge) throws {
    let size = MemoryLayout<pfnspec_args>.stride
    var frameSize = 0
    let frame = Self.guarded ? pfnspec_glue_frame(&frameSize) : nil
    var carver = frame.map { Carver(next: $0) }
    if let frame {
      inFrame = true
      argsMemory = frame + (frameSize - size)
      argsMemory.initializeMemory(as: UInt8.self, repeating: Self.guardValue, count: size)
      table = carver!.take(pfnspec_host.self)
    } else {
      inFrame = false
      argsMemory = .allocate(byteCount: size + Self.guardBytes, alignment: MemoryLayout<pfnspec_args>.alignment)
      argsMemory.initializeMemory(as: UInt8.self, repeating: Self.guardValue, count: size + Self.guardBytes)
      table = nil
    }
    args = argsMemory.bindMemory(to: pfnspec_args.self, capacity: 1)
    func allocate<T>(_ type: T.Type) -> UnsafeMutablePointer<T> {
      carver != nil ? carver!.take(type) : .allocate(capacity: 1)
    }

    let view = swiftArgs.vma
    mm = allocate(pfnspec_mm.self)
    mm.initialize(
      to: pfnspec_mm(
        mmap_lock: pfnspec_rwsem(kind: UInt32(PFNSPEC_RWSEM_MMAP_LOCK.rawValue), id: UInt32(view.mm.id)),
        id: UInt64(view.mm.id)))
    if let fileRef = view.file {
      let mappingRef = try bridge.host.fileMapping(fileRef)
      let mapping = allocate(pfnspec_address_space.self)
      mapping.initialize(
        to: pfnspec_address_space(
          i_mmap_rwsem: pfnspec_rwsem(kind: UInt32(PFNSPEC_RWSEM_I_MMAP.rawValue), id: UInt32(mappingRef.id)),
          id: UInt64(mappingRef.id)))
      let file = allocate(pfnspec_file.self)
      file.initialize(to: pfnspec_file(f_mapping: mapping, id: UInt64(fileRef.id)))
      self.mapping = mapping
      self.file = file
    } else {
      mapping = nil
      file = nil
    }
    vmaCopy = pfnspec_vma(
      vm_start: view.start, vm_end: view.end, vm_flags: view.flags.rawValue, vm_file: file, vm_mm: mm)
    vma = allocate(pfnspec_vma.self)
    vma.initialize(to: vmaCopy)
    address = swiftArgs.address

    args.initialize(
      to: pfnspec_args(
        vma: vma, address: swiftArgs.address,
        lock: swiftArgs.lock.map { bridge.locks.handle($0.id) } ?? 0,
        ptep: swiftArgs.ptep?.address ?? 0,
        pfn: swiftArgs.pfn, pgprot: swiftArgs.pgprot, writable: swiftArgs.writable, special: swiftArgs.special,
        addr_mask: swiftArgs.addrMask))
  }

  /// Checks that the walker left its inputs alone, then copies the internals
  /// and outputs back.
  func copyOut(into swiftArgs: inout FollowPfnmapArgs, locks: LockHandles) throws {
    let size = MemoryLayout<pfnspec_args>.stride
    if !inFrame {
      let trailing = UnsafeRawBufferPointer(start: argsMemory + size, count: Self.guardBytes)
      if trailing.contains(where: { $0 != Self.guardValue }) {
        throw PluginError("the walker wrote past the end of struct follow_pfnmap_args")
      }
    }
    let raw = UnsafeRawPointer(args)
    let vmaField = raw.load(fromByteOffset: MemoryLayout<pfnspec_args>.offset(of: \.vma)!, as: UInt.self)
    var changed: [String] = []
    if vmaField != UInt(bitPattern: vma) { changed.append("args->vma") }
    if raw.load(fromByteOffset: MemoryLayout<pfnspec_args>.offset(of: \.address)!, as: UInt64.self) != address {
      changed.append("args->address")
    }
    if !changed.isEmpty {
      throw PluginError("the walker overwrote its inputs: \(changed.joined(separator: ", "))")
    }
    let current = vma.pointee
    if current.vm_start != vmaCopy.vm_start || current.vm_end != vmaCopy.vm_end
      || current.vm_flags != vmaCopy.vm_flags || current.vm_file != vmaCopy.vm_file || current.vm_mm != vmaCopy.vm_mm
    {
      throw PluginError("the walker wrote to the VMA (struct vm_area_struct), which it must only read")
    }
    func byte(_ field: KeyPath<pfnspec_args, Bool>) -> Bool {
      raw.load(fromByteOffset: MemoryLayout<pfnspec_args>.offset(of: field)!, as: UInt8.self) != 0
    }
    let out = args.pointee
    let lockHandle = out.lock
    if lockHandle == 0 {
      swiftArgs.lock = nil
    } else if let lock = locks.lock(lockHandle) {
      swiftArgs.lock = LockRef(lock)
    } else {
      throw PluginError("args->lock holds 0x\(String(lockHandle, radix: 16)), which is no lock the host handed out")
    }
    swiftArgs.ptep = out.ptep == 0 ? nil : EntryPointer(address: out.ptep)
    swiftArgs.pfn = out.pfn
    swiftArgs.pgprot = out.pgprot
    swiftArgs.writable = byte(\.writable)
    swiftArgs.special = byte(\.special)
    swiftArgs.addrMask = out.addr_mask
  }

  func release() {
    guard !inFrame else { return }  // the frame is the thread's, kept for its next call
    argsMemory.deallocate()
    vma.deallocate()
    mm.deallocate()
    file?.deallocate()
    mapping?.deallocate()
  }
}
