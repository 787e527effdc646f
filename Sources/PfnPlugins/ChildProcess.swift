import CPfnWalkerHost

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// How a child process ended.
public enum ChildExit: Sendable, Hashable, CustomStringConvertible {
  case exited(Int32)
  case signaled(Int32)

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
  private(set) var exit: ChildExit?
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
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
    posix_spawnattr_setpgroup(&attributes, 0)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    posix_spawnattr_setsigdefault(&attributes, &defaults)

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      argv.forEach { free($0) }
      envp.forEach { free($0) }
    }
    var pid: pid_t = 0
    let status = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
    guard status == 0 else {
      close(toChild[1])
      close(fromChild[0])
      throw PluginError("cannot start '\(executable)': \(String(cString: strerror(status)))")
    }
    self.pid = pid
    self.input = toChild[1]
    self.output = fromChild[0]
    self.errorLogPath = errorLogPath
  }

  deinit {
    if exit == nil { kill() }
    close(input)
    close(output)
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
      var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
      let ready = poll(&poller, 1, Int32(clamping: max(1, milliseconds)))
      if ready < 0 && errno != EINTR { sawEndOfOutput = true }
      if ready <= 0 { continue }
      var chunk = [UInt8](repeating: 0, count: 65536)
      let count = chunk.withUnsafeMutableBytes { Glibc.read(output, $0.baseAddress, $0.count) }
      if count > 0 {
        readBuffer.append(contentsOf: chunk[..<count])
      } else if count == 0 || errno != EINTR {
        sawEndOfOutput = true
      }
    }
  }

  /// Kills the child's whole process group.
  func kill() {
    _ = Glibc.kill(-pid, SIGKILL)
    _ = Glibc.kill(pid, SIGKILL)
  }

  /// Waits for the child to end and says how it did.
  @discardableResult
  func wait() -> ChildExit {
    if let exit { return exit }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7f
    let ended: ChildExit = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
    exit = ended
    return ended
  }

  /// Waits up to `seconds` for the child to end by itself, then kills it.
  @discardableResult
  func waitOrKill(within seconds: Double) -> ChildExit {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    var status: Int32 = 0
    while ContinuousClock.now < deadline {
      let done = waitpid(pid, &status, WNOHANG)
      if done == pid {
        let signal = status & 0x7f
        let ended: ChildExit = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
        exit = ended
        return ended
      }
      usleep(2000)
    }
    kill()
    return wait()
  }

  /// The last `bytes` of what the child wrote to standard error.
  func errorTail(bytes: Int = 4096) -> String {
    guard let file = fopen(errorLogPath, "r") else { return "" }
    defer { fclose(file) }
    fseek(file, 0, SEEK_END)
    let size = ftell(file)
    let start = max(0, size - bytes)
    fseek(file, start, SEEK_SET)
    var data = [UInt8](repeating: 0, count: size - start)
    let count = fread(&data, 1, data.count, file)
    return String(decoding: data[..<count], as: UTF8.self)
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
