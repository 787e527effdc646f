import CPfnWalkerHost
import Foundation
import PfnResults
import PfnSpecRunner
import PfnWalkers
import Synchronization

/// One message from a worker to the runner that started it: a JSON object on
/// one line of the worker's channel.
///
/// A worker says `hello` (in `--describe` mode), then streams the run:
/// `suiteStarted`, `begin` before each case runs, `verdict`, `suiteFinished`,
/// `explored` with the race explorer's counts when asked for them, and `done`
/// when it finished its part. `fatal` means it could not run at all.
public enum WorkerEvent: Codable, Sendable {
  case hello(WalkerDescriptor)
  case suiteStarted(SuiteKey)
  case begin(CaseIdentity)
  /// `begin` with the case's place in the whole run.
  case beginAt(CaseIdentity, CaseOrdinal)
  case verdict(Verdict)
  case suiteFinished(SuiteKey)
  case explored(cases: Int, schedules: Int)
  /// A fork server's child ended before its part did, with this wait status;
  /// the server waits on its standard input for where to resume (a
  /// ``ResumePoint`` as JSON, `null` to start over, or `stop`).
  case childEnded(status: Int32)
  case done
  case fatal(String)

  /// The event as one line of JSON, without the newline.
  public func encodedLine() -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(self) else { return #"{"fatal":{"_0":"an event could not be encoded"}}"# }
    return String(decoding: data, as: UTF8.self)
  }

  /// Reads one line; `nil` for anything that is not an event.
  public static func decode(line: String) -> WorkerEvent? {
    try? JSONDecoder().decode(WorkerEvent.self, from: Data(line.utf8))
  }
}

/// The worker's end of the channel: a private copy of the original standard
/// output, at a high descriptor number picked at random and closed on exec.
/// Standard output itself is pointed at standard error, so that a plug-in
/// that prints cannot corrupt the channel.
///
/// Every line carries the run's nonce and a sequence number
/// (``ChannelFrame``): the supervisor reads the nonce to the worker on its
/// standard input before the plug-in is loaded, and refuses any line that
/// lacks it or comes out of sequence.
public final class WorkerChannel: Sendable {
  private let descriptor: Mutex<Int32>
  /// The sequence number, in memory shared with a fork server's children:
  /// they and the server write in turn, and the numbers must run on.
  nonisolated(unsafe) private let sequence: UnsafeMutablePointer<UInt64>
  private let nonce: String

  /// Takes standard output for the channel and the nonce from standard input
  /// (then points standard input at /dev/null, so the plug-in never reads it).
  /// - Parameter keepInput: Leave standard input open after the nonce (a
  ///   fork server reads where to resume there; its children get /dev/null).
  public static func takeStandardOutput(keepInput: Bool = false) -> WorkerChannel {
    let channel = moveToHighDescriptor(dup(STDOUT_FILENO))
    dup2(STDERR_FILENO, STDOUT_FILENO)
    closeInherited(except: channel)
    let nonce = readInputLine(limit: 128) ?? ""
    if !keepInput { closeStandardInput() }
    return WorkerChannel(descriptor: channel, nonce: nonce)
  }

  /// Points standard input at /dev/null.
  public static func closeStandardInput() {
    let null = open("/dev/null", O_RDONLY)
    if null >= 0 {
      dup2(null, STDIN_FILENO)
      close(null)
    }
  }

  /// A copy of `descriptor` at a random number between 600 and the open-files
  /// limit, close-on-exec; the original is closed. Only guards against
  /// plug-ins that guess: one that scans /proc/self/fd still finds it.
  static func moveToHighDescriptor(_ descriptor: Int32) -> Int32 {
    let ceiling = Int32(clamping: min(pfnspec_glue_open_files_limit(), 4096))
    guard ceiling > 700 else {
      _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
      return descriptor
    }
    let moved = fcntl(descriptor, F_DUPFD_CLOEXEC, Int32.random(in: 600..<(ceiling - 1)))
    guard moved >= 0 else {
      _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
      return descriptor
    }
    close(descriptor)
    return moved
  }

  /// Closes every descriptor above standard error that this process
  /// inherited without close-on-exec (from whatever started `pfnspec`), so
  /// the plug-in cannot write to its grandparents' pipes.
  static func closeInherited(except channel: Int32) {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
    for entry in entries {
      guard let fd = Int32(entry), fd > 2, fd != channel else { continue }
      let flags = fcntl(fd, F_GETFD)
      if flags >= 0 && flags & FD_CLOEXEC == 0 { close(fd) }
    }
  }

  /// The next line of standard input, read byte by byte so that nothing
  /// past it is taken (`nil` at its end).
  public static func readInputLine(limit: Int = 64 << 20) -> String? {
    var bytes: [UInt8] = []
    var byte: UInt8 = 0
    while bytes.count < limit {
      let count = read(STDIN_FILENO, &byte, 1)
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
      if byte == UInt8(ascii: "\n") { break }
      bytes.append(byte)
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  init(descriptor: Int32, nonce: String = "") {
    self.descriptor = Mutex(descriptor)
    let shared = mmap(nil, MemoryLayout<UInt64>.size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)
    if let shared, shared != MAP_FAILED {
      sequence = shared.bindMemory(to: UInt64.self, capacity: 1)
    } else {
      sequence = .allocate(capacity: 1)
    }
    sequence.pointee = 0
    self.nonce = nonce
  }

  /// Writes one event as one line.
  public func send(_ event: WorkerEvent) {
    send(encoded: event.encodedLine())
  }

  /// Writes the `beginAt` of a case, encoded ahead when `ahead` holds it.
  public func sendBegin(_ identity: CaseIdentity, _ ordinal: CaseOrdinal, ahead: EncodedBegins?) {
    if let payload = ahead?.payload(identity, ordinal) {
      send(encoded: payload)
    } else {
      send(.beginAt(identity, ordinal))
    }
  }

  /// Writes one event already encoded by ``WorkerEvent/encodedLine()``.
  func send(encoded payload: String) {
    descriptor.withLock { descriptor in
      sequence.pointee += 1
      var bytes = Array(ChannelFrame(nonce: nonce, sequence: sequence.pointee, payload: payload).line.utf8)
      bytes.append(UInt8(ascii: "\n"))
      var offset = 0
      while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 {
          if errno == EINTR { continue }
          return
        }
        offset += written
      }
    }
  }
}

/// The `beginAt` events of a run's cases, encoded ahead of the run.
///
/// A fork server encodes them once, before it forks: a child forked after a
/// crash then announces its case without running the JSON encoder, whose
/// code pages a forked child would fault in again (fork copies no page
/// table entries of file mappings) and whose lazily built type metadata it
/// would build again. Filled before the first fork, only read after.
public final class EncodedBegins: @unchecked Sendable {
  private var payloads: [CaseReference: (ordinal: CaseOrdinal, payload: String)] = [:]

  public init() {}

  /// Encodes the `beginAt` of each case.
  public func encode(_ cases: [(identity: CaseIdentity, ordinal: CaseOrdinal)]) {
    payloads.reserveCapacity(cases.count)
    for (identity, ordinal) in cases {
      payloads[CaseReference(identity)] = (ordinal, WorkerEvent.beginAt(identity, ordinal).encodedLine())
    }
  }

  /// The encoded event of this case at this place, if encoded ahead.
  func payload(_ identity: CaseIdentity, _ ordinal: CaseOrdinal) -> String? {
    guard let ahead = payloads[CaseReference(identity)], ahead.ordinal == ordinal else { return nil }
    return ahead.payload
  }
}

/// One line of a worker's channel: `NONCE SEQUENCE EVENT-JSON`.
public struct ChannelFrame: Sendable, Equatable {
  public var nonce: String
  public var sequence: UInt64
  public var payload: String

  public init(nonce: String, sequence: UInt64, payload: String) {
    self.nonce = nonce
    self.sequence = sequence
    self.payload = payload
  }

  public var line: String { "\(nonce) \(sequence) \(payload)" }

  /// Splits a line into its parts; `nil` when it has not the shape of a frame.
  public init?(line: String) {
    let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3, let sequence = UInt64(parts[1]) else { return nil }
    self.init(nonce: String(parts[0]), sequence: sequence, payload: String(parts[2]))
  }
}

/// The supervisor's reading of one worker's channel: checks each line's
/// nonce and sequence number before it decodes the event.
struct ChannelReader {
  let nonce: String
  private(set) var sequence: UInt64 = 0

  init(nonce: String) { self.nonce = nonce }

  /// A fresh nonce for one worker: 128 random bits in hex.
  static func makeNonce() -> String {
    (0..<4).map { _ in String(UInt32.random(in: 0...UInt32.max), radix: 16) }.joined(separator: "-")
  }

  /// The event a line carries, or why it is not one.
  mutating func event(_ line: String) -> Result<WorkerEvent, ChannelViolation> {
    guard let frame = ChannelFrame(line: line), frame.nonce == nonce else {
      return .failure(.notAnEvent(String(line.prefix(1024))))
    }
    guard frame.sequence == sequence + 1 else {
      return .failure(.outOfSequence(expected: sequence + 1, got: frame.sequence))
    }
    sequence = frame.sequence
    guard let event = WorkerEvent.decode(line: frame.payload) else {
      return .failure(.notAnEvent(String(frame.payload.prefix(1024))))
    }
    return .success(event)
  }
}

/// Why a line of a worker's channel was refused.
enum ChannelViolation: Error, Equatable {
  case notAnEvent(String)
  case outOfSequence(expected: UInt64, got: UInt64)
}

/// A verdict sink that sends the run to the worker's parent as events.
public final class WorkerEventSink: VerdictSink {
  private let channel: WorkerChannel
  private let beforeDone: () -> Void

  /// - Parameter beforeDone: Sends whatever must precede `done`.
  public init(channel: WorkerChannel, beforeDone: @escaping () -> Void = {}) {
    self.channel = channel
    self.beforeDone = beforeDone
  }

  public func runStarted(_ info: RunInfo) {}
  public func suiteStarted(_ key: SuiteKey) { channel.send(.suiteStarted(key)) }
  public func record(_ verdict: Verdict) { channel.send(.verdict(verdict)) }
  public func suiteFinished(_ key: SuiteKey) { channel.send(.suiteFinished(key)) }
  public func runFinished(_ tally: Tally, seconds: Double) throws {
    beforeDone()
    channel.send(.done)
  }
}
