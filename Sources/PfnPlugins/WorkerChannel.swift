import Foundation
import PfnResults
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
/// output. Standard output itself is pointed at standard error, so that a
/// plug-in that prints cannot corrupt the channel.
public final class WorkerChannel: Sendable {
  private let descriptor: Mutex<Int32>

  /// Takes standard output for the channel.
  public static func takeStandardOutput() -> WorkerChannel {
    let channel = dup(STDOUT_FILENO)
    _ = fcntl(channel, F_SETFD, FD_CLOEXEC)
    dup2(STDERR_FILENO, STDOUT_FILENO)
    return WorkerChannel(descriptor: channel)
  }

  init(descriptor: Int32) { self.descriptor = Mutex(descriptor) }

  /// Writes one event as one line.
  public func send(_ event: WorkerEvent) {
    var bytes = Array(event.encodedLine().utf8)
    bytes.append(UInt8(ascii: "\n"))
    descriptor.withLock { fd in
      var offset = 0
      while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
          if errno == EINTR { continue }
          return
        }
        offset += written
      }
    }
  }
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
