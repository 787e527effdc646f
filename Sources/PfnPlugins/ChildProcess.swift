import CPfnWalkerHost
import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// How a child process ended.
public enum ChildExit: Sendable, Hashable, CustomStringConvertible {
  case exited(Int32)
  case signaled(Int32)

  /// From a `waitpid` status.
  init(waitStatus status: Int32) {
    let signal = status & 0x7f
    self = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
  }

  public var description: String {
    switch self {
    case .exited(let code): "exited with status \(code)"
    case .signaled(let signal): "was killed by \(signalName(signal))"
    }
  }
}

/// `SIGSEGV` for 11, and so on.
func signalName(_ signal: Int32) -> String {
  let names: [Int32: String] = [
    SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGFPE: "SIGFPE",
    SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGPIPE: "SIGPIPE", SIGTRAP: "SIGTRAP",
  ]
  return names[signal] ?? "signal \(signal)"
}

/// A child process with its standard input and output on pipes and its
/// standard error in a file, in a process group of its own.
///
/// Written on `posix_spawn` with close-on-exec pipes so that children started
/// in parallel never inherit each other's pipes (a pipe another child keeps
/// open would hide the end of this one's output).
final class ChildProcess {
  let pid: pid_t
  /// Write end of the child's standard input.
  let input: Int32
  /// Read end of the child's standard output.
  let output: Int32
  let errorLogPath: String
  /// Polls readable once the child has ended, even while something it forked
  /// still holds its output open (-1 where pidfd_open is missing).
  private let endDescriptor: Int32
  private(set) var exit: ChildExit?
  /// Set once this side sent SIGKILL: a death by SIGKILL is then ours, not the child's.
  private(set) var killedHere = false
  private var readBuffer: [UInt8] = []
  private var sawEndOfOutput = false

  /// Starts `executable` with `arguments`; standard error goes to `errorLogPath`.
  init(executable: String, arguments: [String], environment: [String: String], errorLogPath: String) throws {
    ignoreBrokenPipes()
    var toChild: [Int32] = [0, 0]
    var fromChild: [Int32] = [0, 0]
    guard pfnspec_glue_pipe_cloexec(&toChild) == 0, pfnspec_glue_pipe_cloexec(&fromChild) == 0 else {
      throw PluginError("cannot create pipes: \(String(cString: strerror(errno)))")
    }
    let log = open(errorLogPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard log >= 0 else { throw PluginError("cannot write '\(errorLogPath)': \(String(cString: strerror(errno)))") }
    defer {
      close(log)
      close(toChild[0])
      close(fromChild[1])
    }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
    posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
    posix_spawn_file_actions_adddup2(&actions, log, 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // Nothing blocked: a mask inherited from whatever started pfnspec would
    // keep SIGTERM (the parent-death signal) from reaching a worker.
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    var nothingBlocked = sigset_t()
    sigemptyset(&nothingBlocked)
    posix_spawnattr_setsigmask(&attributes, &nothingBlocked)
    posix_spawnattr_setpgroup(&attributes, 0)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    // pfnspec run ignores these while it handles them itself: children must not inherit that.
    for signal in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    // Registered under the lock an orphan reaper holds, so a worker just
    // started is never mistaken for an orphan.
    var status: Int32 = ETXTBSY
    // ETXTBSY: an executable just written is still open for writing in a
    // child another thread is starting; that copy closes at its exec.
    for attempt in 0..<20 where status == ETXTBSY {
      if attempt > 0 { usleep(20_000) }
      status = LiveChildren.shared.registering {
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        return (status == 0 ? pid : nil, status)
      }
    }
    guard status == 0 else {
      close(toChild[1])
      close(fromChild[0])
      throw PluginError("cannot start '\(executable)': \(String(cString: strerror(status)))")
    }
    self.pid = pid
    self.input = toChild[1]
    self.output = fromChild[0]
    self.errorLogPath = errorLogPath
    self.endDescriptor = pfnspec_glue_pidfd_open(pid)
  }

  deinit {
    if exit == nil {
      kill()
      wait()
    }
    close(input)
    close(output)
    if endDescriptor >= 0 { close(endDescriptor) }
  }

  /// Writes a whole line to the child's standard input; `false` when the child
  /// no longer reads it.
  @discardableResult
  func send(_ line: String) -> Bool {
    var bytes = Array(line.utf8)
    bytes.append(UInt8(ascii: "\n"))
    var offset = 0
    while offset < bytes.count {
      let written = bytes[offset...].withUnsafeBytes { Glibc.write(input, $0.baseAddress, $0.count) }
      if written < 0 {
        if errno == EINTR { continue }
        return false
      }
      offset += written
    }
    return true
  }

  /// What reading a line came to.
  enum LineRead {
    case line(String)
    case endOfOutput
    case timedOut
    /// A line longer than the limit: not a message of any protocol here.
    case overlong
  }

  /// The next line of standard output, waiting at most until `deadline`.
  func readLine(deadline: ContinuousClock.Instant, limit: Int = 64 << 20) -> LineRead {
    while true {
      if let newline = readBuffer.firstIndex(of: UInt8(ascii: "\n")) {
        let line = String(decoding: readBuffer[..<newline], as: UTF8.self)
        readBuffer.removeSubrange(...newline)
        return .line(line)
      }
      if readBuffer.count > limit { return .overlong }
      if sawEndOfOutput {
        guard !readBuffer.isEmpty else { return .endOfOutput }
        let line = String(decoding: readBuffer, as: UTF8.self)
        readBuffer.removeAll()
        return .line(line)
      }
      let remaining = deadline - ContinuousClock.now
      if remaining <= .zero { return .timedOut }
      let milliseconds = remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
      var pollers = [
        pollfd(fd: output, events: Int16(POLLIN), revents: 0),
        pollfd(fd: endDescriptor, events: Int16(POLLIN), revents: 0),
      ]
      let ready = poll(&pollers, endDescriptor >= 0 ? 2 : 1, Int32(clamping: max(1, milliseconds)))
      if ready < 0 && errno != EINTR { sawEndOfOutput = true }
      if ready <= 0 { continue }
      if pollers[0].revents == 0 {
        // The child ended and nothing is left to read: what it forked may
        // hold the pipe open, but its output has ended with it.
        if pollers[1].revents != 0 { sawEndOfOutput = true }
        continue
      }
      var chunk = [UInt8](repeating: 0, count: 65536)
      let count = chunk.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress, $0.count) }
      if count > 0 {
        readBuffer.append(contentsOf: chunk[..<count])
      } else if count == 0 || errno != EINTR {
        sawEndOfOutput = true
      }
    }
  }

  /// Whether output waits to be read, or its end (a line already buffered,
  /// bytes or end-of-file in the pipe, or the child's end), without blocking.
  func hasPendingOutput() -> Bool {
    if !readBuffer.isEmpty || sawEndOfOutput || exit != nil { return true }
    var pollers = [
      pollfd(fd: output, events: Int16(POLLIN), revents: 0),
      pollfd(fd: endDescriptor, events: Int16(POLLIN), revents: 0),
    ]
    return poll(&pollers, endDescriptor >= 0 ? 2 : 1, 0) > 0
  }

  /// Kills the child's whole process group.
  func kill() {
    if exit == nil { killedHere = true }
    _ = Glibc.kill(-pid, SIGKILL)
    _ = Glibc.kill(pid, SIGKILL)
  }

  /// Waits for the child to end and says how it did. What is left of its
  /// process group (children it forked, a pipe holder) is killed then.
  @discardableResult
  func wait() -> ChildExit {
    if let exit { return exit }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return ended(status)
  }

  private func ended(_ status: Int32) -> ChildExit {
    let signal = status & 0x7f
    let ended: ChildExit = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    exit = ended
    // The group outlives its leader while members remain, so its id is not reused yet.
    _ = Glibc.kill(-pid, SIGKILL)
    LiveChildren.shared.remove(pid)
    LiveChildren.shared.reapOrphans()
    return ended
  }

  /// Waits up to `seconds` for the child to end by itself, then kills it.
  @discardableResult
  func waitOrKill(within seconds: Double) -> ChildExit {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    var status: Int32 = 0
    while ContinuousClock.now < deadline {
      if let exit { return exit }
      let done = waitpid(pid, &status, WNOHANG)
      if done == pid { return ended(status) }
      usleep(2000)
    }
    kill()
    return wait()
  }

  /// Where the child's standard error ends now (a fork server's next child writes after it).
  func errorLogSize() -> Int {
    var info = stat()
    return stat(errorLogPath, &info) == 0 ? Int(info.st_size) : 0
  }

  /// The last `bytes` of what the child wrote to standard error, from `offset` on.
  func errorTail(bytes: Int = 4096, from offset: Int = 0) -> String {
    guard let file = fopen(errorLogPath, "r") else { return "" }
    defer { fclose(file) }
    fseek(file, 0, SEEK_END)
    let size = ftell(file)
    let start = min(size, max(offset, size - bytes))
    fseek(file, start, SEEK_SET)
    var data = [UInt8](repeating: 0, count: size - start)
    let count = fread(&data, 1, data.count, file)
    return String(decoding: data[..<count], as: UTF8.self)
  }
}

/// The children this process started and has not reaped, and, when the
/// process is a subreaper, the killing of every other child: orphans of
/// workers (setsid daemons a plug-in left) re-parented to it.
public final class LiveChildren: @unchecked Sendable {
  public static let shared = LiveChildren()
  private let lock = NSLock()
  private var pids: Set<pid_t> = []
  private var adopting = false
  private var temporaryPaths: Set<String> = []

  /// Makes this process the subreaper of everything its workers fork, and
  /// removes workers, orphans and temporary folders on SIGINT, SIGTERM and
  /// SIGHUP before dying by the signal. Only for a process whose every child
  /// is a ``ChildProcess`` (the `pfnspec` command): any other child it has
  /// when a worker ends would be killed as an orphan.
  public func adoptOrphans() {
    lock.lock()
    defer { lock.unlock() }
    guard !adopting else { return }
    adopting = pfnspec_glue_become_subreaper() == 0
    for signal in [SIGINT, SIGTERM, SIGHUP] {
      Glibc.signal(signal, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
      source.setEventHandler { [self] in
        killEverything()
        Glibc.signal(signal, SIG_DFL)
        raise(signal)
      }
      source.resume()
      signalSources.append(source)
    }
  }

  private var signalSources: [any DispatchSourceSignal] = []

  /// Runs `start` (which returns the pid it started and a status) and records the pid, under the lock.
  func registering(_ start: () -> (pid_t?, Int32)) -> Int32 {
    lock.lock()
    defer { lock.unlock() }
    let (pid, status) = start()
    if let pid { pids.insert(pid) }
    return status
  }

  func remove(_ pid: pid_t) {
    lock.lock()
    pids.remove(pid)
    lock.unlock()
  }

  /// A temporary file or folder removed on SIGINT, SIGTERM and SIGHUP too.
  func addTemporary(_ path: String) {
    lock.lock()
    temporaryPaths.insert(path)
    lock.unlock()
  }

  func removeTemporary(_ path: String) {
    lock.lock()
    temporaryPaths.remove(path)
    lock.unlock()
  }

  /// Kills and reaps every child that is not a live ``ChildProcess`` (when adopting).
  func reapOrphans() {
    lock.lock()
    defer { lock.unlock() }
    guard adopting else { return }
    var children = [Int32](repeating: 0, count: 512)
    for _ in 0..<100 {
      let count = Int(pfnspec_glue_children(&children, Int32(children.count)))
      let orphans = children.prefix(max(0, count)).filter { !pids.contains($0) }
      if orphans.isEmpty { return }
      for orphan in orphans {
        _ = Glibc.kill(orphan, SIGKILL)
        var status: Int32 = 0
        waitpid(orphan, &status, 0)
      }
    }
  }

  /// Kills every child's process group and every orphan, and removes the temporary paths.
  func killEverything() {
    lock.lock()
    let live = pids
    let paths = temporaryPaths
    lock.unlock()
    for pid in live {
      _ = Glibc.kill(-pid, SIGKILL)
      _ = Glibc.kill(pid, SIGKILL)
    }
    if adopting { _ = pfnspec_glue_kill_descendants(-1) }
    for path in paths { try? FileManager.default.removeItem(atPath: path) }
  }
}

/// A write to a pipe whose reader died must fail with EPIPE, not kill us.
private func ignoreBrokenPipes() {
  _ = brokenPipesIgnored
}

private let brokenPipesIgnored: Void = {
  signal(SIGPIPE, SIG_IGN)
}()

/// This process's environment, as a dictionary.
func currentEnvironment() -> [String: String] {
  var result: [String: String] = [:]
  var pointer = environ
  while let entry = pointer.pointee {
    let text = String(cString: entry)
    if let equals = text.firstIndex(of: "=") {
      result[String(text[..<equals])] = String(text[text.index(after: equals)...])
    }
    pointer += 1
  }
  return result
}
