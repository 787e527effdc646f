import Foundation
import PfnModel
import PfnResults
import PfnSupport
import PfnWalkers

/// A walker in another process that speaks the stdio protocol (docs/protocol.md):
/// JSON lines, the runner's requests on the walker's standard input, the
/// walker's host calls and answers on its standard output.
///
/// The child runs many cases. When it crashes, exits, hangs past the timeout
/// or writes something that is not a protocol message, the call in progress
/// throws a ``PluginError`` naming what happened (an error verdict for that
/// case) and the next call starts a new child.
public final class StdioWalker: Walker, @unchecked Sendable {
  /// The protocol version this runner speaks: 2 (requests and the walker's
  /// messages carry the request's `id`).
  public static let protocolVersion = 2

  public let command: String
  public let descriptor: WalkerDescriptor
  /// Seconds one start() or end() may take.
  public let timeout: Double
  private var child: ChildProcess?
  private let locks = LockHandles()
  private let errorLogPath: String
  private let mutex = NSLock()
  /// The id of the last request sent to the current child.
  private var requestID = 0
  /// The operation of the last request (`start` or `end`).
  private var lastOperation = ""

  /// Starts the command and asks it who it is.
  ///
  /// - Throws: ``PluginError`` when the command does not start or does not
  ///   answer `hello` with a descriptor pfnspec understands.
  public init(command: String, timeout: Double = 30) throws {
    self.command = command
    self.timeout = timeout
    errorLogPath = NSTemporaryDirectory() + "pfnspec-stdio-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
    LiveChildren.shared.addTemporary(errorLogPath)
    let (child, descriptor): (ChildProcess, WalkerDescriptor)
    do {
      (child, descriptor) = try Self.launch(command: command, errorLogPath: errorLogPath, timeout: timeout)
    } catch {
      unlink(errorLogPath)
      LiveChildren.shared.removeTemporary(errorLogPath)
      throw error
    }
    self.child = child
    self.descriptor = descriptor
  }

  deinit {
    child?.kill()
    child?.wait()
    unlink(errorLogPath)
    LiveChildren.shared.removeTemporary(errorLogPath)
  }

  private static func launch(command: String, errorLogPath: String, timeout: Double) throws
    -> (ChildProcess, WalkerDescriptor)
  {
    let child = try ChildProcess(
      executable: "/bin/sh", arguments: ["-c", shellLine(command)], environment: currentEnvironment(),
      errorLogPath: errorLogPath)
    child.send(Self.encode(["op": "hello", "protocol": protocolVersion]))
    let deadline = ContinuousClock.now + .milliseconds(Int(max(timeout, 10) * 1000))
    switch child.readLine(deadline: deadline) {
    case .line(let line):
      guard let message = StdioMessage(line: line), let hello = message.object("hello") else {
        child.kill()
        throw PluginError("'\(command)' did not answer hello with a hello message; it said '\(line.prefix(200))'")
      }
      let version = hello.int32("protocol").map(Int.init) ?? -1
      guard version == protocolVersion else {
        child.kill()
        let upgrade =
          version == 1
          ? " (since version 2 every request carries an id that the walker's messages repeat: see docs/protocol.md)" : ""
        throw PluginError(
          "'\(command)' speaks walker protocol version \(version); this pfnspec speaks version \(protocolVersion)"
            + upgrade)
      }
      guard let name = hello.string("name"), !name.isEmpty,
        let api = hello.string("api").flatMap(APILevel.init(rawValue:)),
        let profile = hello.string("profile").flatMap(Profile.init(rawValue:))
      else {
        child.kill()
        throw PluginError("'\(command)': hello needs name, api (6.12 or 6.15) and profile (strict or relaxed)")
      }
      let role = hello.string("role").flatMap(WalkerRole.init(rawValue:)) ?? .implementation
      let descriptor = WalkerDescriptor(
        name: name, summary: hello.string("summary") ?? command, role: role, apiLevel: api, profile: profile,
        origin: .command(command))
      return (child, descriptor)
    case .endOfOutput, .overlong:
      let exit = child.wait()
      throw PluginError("'\(command)' \(exit) before answering hello\(Self.stderrNote(child.errorTail()))")
    case .timedOut:
      child.kill()
      child.wait()
      throw PluginError("'\(command)' did not answer hello within \(formatSeconds(max(timeout, 10)))")
    }
  }

  public func start(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws -> Int32 {
    let result = try exchange("start", &args, host)
    guard let result, let value = StdioMessage.int32(result) else {
      throw PluginError("the walker's start() returned \(String(describing: result)), not an errno")
    }
    return value
  }

  public func end(_ args: inout FollowPfnmapArgs, host: any WalkerHost) throws {
    _ = try exchange("end", &args, host)
  }

  // MARK: One request

  /// Sends a request and serves the walker's host calls until it returns.
  ///
  /// Whatever the child does that belongs to an earlier request (an extra
  /// answer, an exit after its last answer) is never this request's fault:
  /// the child is replaced and the request sent again, once. An extra answer
  /// already waiting when this request's answer arrives is this request's error.
  private func exchange(_ operation: String, _ args: inout FollowPfnmapArgs, _ host: any WalkerHost) throws -> Any? {
    mutex.lock()
    defer { mutex.unlock() }
    for attempt in 0..<2 {
      var child = try runningChild()
      if child.hasPendingOutput() {
        // Left over from the last request: an extra answer, or an exit after
        // answering. The runner calls end() only in the case whose start() it
        // follows, so before an end() the leftover is this case's own doing.
        if operation == "end" && lastOperation == "start" {
          let said: String
          switch child.readLine(deadline: Self.leftoverDeadline()) {
          case .line(let line): said = "answered start() more than once; the extra message: '\(line.prefix(120))'"
          default: said = "\(child.waitOrKill(within: 1)) after answering start()"
          }
          lastOperation = operation
          throw abandonChild(child, said)
        }
        warnAboutLeftovers(child, "before request \(requestID + 1)")
        discardChild(child)
        child = try runningChild()
      }
      lastOperation = operation
      switch try exchange(operation, &args, host, child, retry: attempt == 0) {
      case .returned(let value): return value
      case .earlierRequest(let what):
        warnAboutLeftovers(child, what)
        discardChild(child)
      }
    }
    throw PluginError("the walker command kept answering earlier requests instead of \(operation)()")
  }

  /// How one attempt at a request ended.
  private enum Attempt {
    case returned(Any?)
    /// The child answered an earlier request, or left after its last answer: not this request's doing.
    case earlierRequest(String)
  }

  private func exchange(
    _ operation: String, _ args: inout FollowPfnmapArgs, _ host: any WalkerHost, _ child: ChildProcess, retry: Bool
  ) throws -> Attempt {
    requestID += 1
    let id = requestID
    var request: [String: Any] = ["op": operation, "id": id, "args": encode(args)]
    request["arch"] = [
      "name": host.archName, "page_shift": host.pageShift,
      "shifts": Dictionary(uniqueKeysWithValues: PageLevel.allCases.map { ($0.description, host.shift($0)) }),
    ]
    guard child.send(Self.encode(request)) else {
      if retry { return .earlierRequest("stopped reading its input before request \(id)") }
      throw abandonChild(child, "stopped reading its input")
    }
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    var fault: (any Error)?
    var heard = false
    while true {
      let line: String
      switch child.readLine(deadline: deadline) {
      case .line(let text): line = text
      case .timedOut:
        throw abandonChild(
          child, "did not finish \(operation)() within \(formatSeconds(timeout)) (it was killed)",
          cause: .timeout(seconds: timeout, phase: "\(operation)()", process: .command))
      case .endOfOutput:
        // One that closed its output but runs on is killed when its time is up.
        let exit = child.waitOrKill(within: max(0, (deadline - ContinuousClock.now).seconds))
        if child.killedHere {
          throw abandonChild(
            child, "closed its output and did not finish \(operation)() within \(formatSeconds(timeout)) (it was killed)",
            cause: .timeout(seconds: timeout, phase: "\(operation)()", process: .command))
        }
        // A clean exit before a word about this request ended the last one.
        if retry && !heard && exit == .exited(0) { return .earlierRequest("exited after answering request \(id - 1)") }
        throw abandonChild(child, "\(exit) during \(operation)()\(Self.stderrNote(child.errorTail()))")
      case .overlong:
        throw abandonChild(child, "wrote a line of more than 64 MiB")
      }
      guard let message = StdioMessage(line: line) else {
        let shown = line.count > 120 ? String(line.prefix(120)) + "..." : line
        throw abandonChild(child, "wrote something that is not a protocol message: '\(shown)'")
      }
      guard let answered = message.identifier("id") else {
        throw abandonChild(child, "sent a message without the id of request \(id): '\(line.prefix(120))'")
      }
      if answered != id {
        if answered >= 1 && answered < id && retry && !heard {
          return .earlierRequest("answered request \(answered) again while request \(id) was due")
        }
        throw abandonChild(
          child,
          answered >= 1 && answered < id
            ? "answered request \(answered) again in the middle of request \(id)"
            : "sent id \(answered), which is no request's (request \(id) was due)")
      }
      heard = true
      switch message.kind {
      case .call(let call):
        if fault != nil {
          throw abandonChild(child, "went on calling the host (\(call)) after a fault instead of abandoning the walk")
        }
        do {
          let value = try serve(call, message, host)
          child.send(Self.encode(["id": id, "ok": value ?? NSNull()]))
        } catch let error as ProtocolViolation {
          throw abandonChild(child, error.message)
        } catch {
          fault = error
          child.send(Self.encode(["id": id, "fault": "\(error)"]))
        }
      case .abandoned:
        guard let fault else { throw abandonChild(child, "abandoned the walk without a fault") }
        try refuseExtraAnswers(child, id)
        throw fault
      case .returned:
        try refuseExtraAnswers(child, id)
        if let fault { throw fault }
        if let returned = message.object("args") { try decode(returned, into: &args, child) }
        return .returned(message.isNull("return") ? nil : message.fields["return"])
      case .error(let error):
        throw abandonChild(child, "reported an error: \(error)")
      case .unknown:
        throw abandonChild(child, "sent a message with neither call, return nor abandoned: '\(line.prefix(120))'")
      }
    }
  }

  /// How long a line already pending may take to arrive whole: a loaded
  /// machine may deliver it in pieces, and a zero deadline would then miss
  /// it. Asked only once output is pending, so a quiet child costs nothing.
  static func leftoverDeadline() -> ContinuousClock.Instant { ContinuousClock.now + .seconds(2) }

  /// A message already waiting after the answer to request `id` is an extra
  /// answer to it: this request's error, before the next request is sent.
  private func refuseExtraAnswers(_ child: ChildProcess, _ id: Int) throws {
    guard child.hasPendingOutput() else { return }
    guard case .line(let line) = child.readLine(deadline: Self.leftoverDeadline()) else { return }
    throw abandonChild(child, "answered request \(id) more than once; the extra message: '\(line.prefix(120))'")
  }

  /// Says on standard error what a child did after its last request was judged; the case in flight is not blamed.
  private func warnAboutLeftovers(_ child: ChildProcess, _ what: String) {
    var said = ""
    if child.hasPendingOutput(), case .line(let line) = child.readLine(deadline: Self.leftoverDeadline()) {
      said = ": '\(line.prefix(120))'"
    }
    FileHandle.standardError.write(
      Data("pfnspec: warning: the walker command '\(command)' \(what)\(said); it was restarted\n".utf8))
  }

  /// Kills the child without an error: a new one starts with the next request.
  private func discardChild(_ child: ChildProcess) {
    child.kill()
    child.wait()
    self.child = nil
  }

  /// The child, started again if the last one was lost.
  private func runningChild() throws -> ChildProcess {
    if let child { return child }
    let (child, descriptor) = try Self.launch(command: command, errorLogPath: errorLogPath, timeout: timeout)
    guard descriptor.name == self.descriptor.name else {
      child.kill()
      throw PluginError("'\(command)' restarted as '\(descriptor.name)', not '\(self.descriptor.name)'")
    }
    self.child = child
    return child
  }

  /// Kills the child (a new one starts with the next call) and makes the error naming why.
  private func abandonChild(_ child: ChildProcess, _ what: String, cause: VerdictCause? = nil) -> PluginError {
    child.kill()
    child.wait()
    self.child = nil
    let description = "the walker command \(what)"
    return PluginError(description, cause: cause ?? .walkerError(message: description))
  }

  private static func stderrNote(_ text: String) -> String {
    let lines = text.split(separator: "\n").suffix(3)
    return lines.isEmpty ? "" : "; its last words: " + lines.joined(separator: " | ")
  }

  // MARK: Host calls

  private struct ProtocolViolation: Error { var message: String }

  private func serve(_ call: String, _ message: StdioMessage, _ host: any WalkerHost) throws -> Any? {
    func number(_ key: String) throws -> UInt64 {
      guard let value = message.unsigned(key) else {
        throw ProtocolViolation(message: "sent \(call) without a number in '\(key)'")
      }
      return value
    }
    func identifier(_ key: String) throws -> Int {
      guard let value = message.identifier(key) else {
        throw ProtocolViolation(message: "sent \(call) without an id in '\(key)' (a number up to 2^63-1)")
      }
      return value
    }
    func level() throws -> PageLevel {
      guard let name = message.string("level"), let level = PageLevel(name: name) else {
        throw ProtocolViolation(message: "sent \(call) without a level (pgd, p4d, pud, pmd or pte)")
      }
      return level
    }
    func mm() throws -> MMRef { MMRef(id: try identifier("mm")) }
    func lockHandle(_ key: String) throws -> LockRef {
      guard let lock = locks.lock(try number(key)) else {
        throw PluginError("\(call)(\(Self.hex(try number(key)))): not a lock the host handed out")
      }
      return LockRef(lock)
    }
    switch call {
    case "pgd_offset":
      return Self.hex(try host.pgdOffset(mm(), number("address")).address)
    case "offset":
      return Self.hex(try host.offset(level(), below: EntryPointer(address: number("parent")), number("address")).address)
    case "read":
      return Self.hex(try host.read(EntryPointer(address: number("entry")), level()))
    case "write":
      try host.write(EntryPointer(address: number("entry")), level(), number("value"))
      return nil
    case "helper":
      let entry = try number("value")
      let level = try level()
      switch message.string("name") {
      case "none": return host.isNone(entry, level)
      case "present": return host.isPresent(entry, level)
      case "leaf": return host.isLeaf(entry, level)
      case "bad": return host.isBad(entry, level)
      case "write": return host.isWrite(entry, level)
      case "special": return host.isSpecial(entry, level)
      case "pfn": return Self.hex(host.pfn(entry, level))
      case "pgprot": return Self.hex(host.pgprot(entry, level))
      default: throw ProtocolViolation(message: "asked for unknown helper '\(message.string("name") ?? "")'")
      }
    case "pud_lock":
      return Self.hex(locks.handle(try host.pudLock(mm(), EntryPointer(address: number("entry"))).id))
    case "pmd_lock":
      return Self.hex(locks.handle(try host.pmdLock(mm(), EntryPointer(address: number("entry"))).id))
    case "pte_offset_map_lock":
      guard let (pte, lock) = try host.pteOffsetMapLock(mm(), EntryPointer(address: number("pmd")), number("address"))
      else { return nil }
      return ["pte": Self.hex(pte.address), "lock": Self.hex(locks.handle(lock.id))]
    case "spin_unlock":
      try host.spinUnlock(lockHandle("lock"))
      return nil
    case "pte_unmap":
      try host.pteUnmap(EntryPointer(address: number("pte")))
      return nil
    case "file_mapping":
      var file: FileRef?
      if message.has("file") && !message.isNull("file") { file = FileRef(id: try identifier("file")) }
      return try host.fileMapping(file).id
    case "lockdep_is_held":
      switch message.string("lock") {
      case "mmap_lock": return host.lockdepIsHeld(.mmapLock)
      case "i_mmap_rwsem": return host.lockdepIsHeld(.iMmapRwsem(MappingRef(id: try identifier("mapping"))))
      default: throw ProtocolViolation(message: "asked lockdep about unknown lock '\(message.string("lock") ?? "")'")
      }
    case "lockdep_assert":
      host.lockdepAssert(message.bool("condition") ?? false, message.string("what") ?? "lockdep_assert")
      return nil
    default:
      throw ProtocolViolation(message: "made unknown host call '\(call)'")
    }
  }

  // MARK: Encoding

  private func encode(_ args: FollowPfnmapArgs) -> [String: Any] {
    [
      "vma": [
        "start": Self.hex(args.vma.start), "end": Self.hex(args.vma.end), "flags": Self.hex(args.vma.flags.rawValue),
        "file": args.vma.file.map { $0.id as Any } ?? NSNull(), "mm": args.vma.mm.id,
      ] as [String: Any],
      "address": Self.hex(args.address),
      "lock": args.lock.map { Self.hex(locks.handle($0.id)) as Any } ?? NSNull(),
      "ptep": args.ptep.map { Self.hex($0.address) as Any } ?? NSNull(),
      "pfn": Self.hex(args.pfn), "pgprot": Self.hex(args.pgprot), "writable": args.writable,
      "special": args.special, "addr_mask": Self.hex(args.addrMask),
    ]
  }

  private func decode(_ returned: StdioMessage, into args: inout FollowPfnmapArgs, _ child: ChildProcess) throws {
    if returned.has("address"), returned.unsigned("address") != args.address {
      throw abandonChild(child, "changed its input args.address")
    }
    func number(_ key: String) throws -> UInt64? {
      guard let value = returned.fields[key], !(value is NSNull) else { return nil }
      guard let number = returned.unsigned(key) else {
        throw abandonChild(child, "returned args.\(key) = \(String(describing: value).prefix(80)), which is not a number")
      }
      return number
    }
    if returned.has("lock") {
      if let handle = try number("lock") {
        guard let lock = locks.lock(handle) else {
          throw abandonChild(child, "returned args.lock = \(Self.hex(handle)), which is no lock the host handed out")
        }
        args.lock = LockRef(lock)
      } else {
        args.lock = nil
      }
    }
    if returned.has("ptep") { args.ptep = try number("ptep").map { EntryPointer(address: $0) } }
    if let pfn = try number("pfn") { args.pfn = pfn }
    if let pgprot = try number("pgprot") { args.pgprot = pgprot }
    if let mask = try number("addr_mask") { args.addrMask = mask }
    if let writable = returned.bool("writable") { args.writable = writable }
    if let special = returned.bool("special") { args.special = special }
  }

  /// The command for `sh -c`: a simple command is exec'd, so that the walker
  /// is the child and a signal that kills it is seen as that signal.
  static func shellLine(_ command: String) -> String {
    command.contains(where: { ";&|()`\n".contains($0) }) ? command : "exec " + command
  }

  static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

  static func encode(_ object: [String: Any]) -> String { StdioMessage.encode(object) }
}
