#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where a ``ConsoleReporter`` writes: a text stream that knows whether a
/// terminal is reading it.
public protocol ConsoleOutputStream: TextOutputStream, AnyObject {
  /// Whether the text goes to a terminal, which decides ``ColorMode/auto``.
  var isTerminal: Bool { get }
}

/// Writes to a file descriptor, standard output by default, unbuffered so
/// that failures show up while the run goes on.
public final class FileDescriptorOutputStream: ConsoleOutputStream {
  /// The descriptor written to; it is not closed by this stream.
  public let fileDescriptor: Int32

  /// Creates a stream over `fileDescriptor` (standard output when omitted).
  public init(fileDescriptor: Int32 = STDOUT_FILENO) {
    self.fileDescriptor = fileDescriptor
  }

  /// Whether the descriptor is a terminal (`isatty(3)`).
  public var isTerminal: Bool { isatty(fileDescriptor) == 1 }

  /// Writes `string` at once; errors such as a closed pipe are ignored.
  public func write(_ string: String) {
    var string = string
    string.withUTF8 { bytes in
      var offset = 0
      while offset < bytes.count {
        let written = systemWrite(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0, errno == EINTR { continue }
        // A closed pipe or a full disk: the console is best effort.
        if written <= 0 { return }
        offset += written
      }
    }
  }
}

/// Collects the text in memory; for tests and for callers that embed the output.
public final class StringOutputStream: ConsoleOutputStream {
  /// Everything written so far.
  public private(set) var text = ""
  /// What the stream claims to be, for testing colour decisions.
  public var isTerminal: Bool

  /// Creates an empty stream that claims a terminal when `isTerminal` is true.
  public init(isTerminal: Bool = false) { self.isTerminal = isTerminal }

  /// Appends `string` to ``text``.
  public func write(_ string: String) { text += string }
}

/// `write(2)`, named apart from the writers' own `write` methods.
func systemWrite(_ fileDescriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
    Glibc.write(fileDescriptor, bytes, count)
  #elseif canImport(Musl)
    Musl.write(fileDescriptor, bytes, count)
  #else
    Darwin.write(fileDescriptor, bytes, count)
  #endif
}
