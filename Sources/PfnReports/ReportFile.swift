#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Why a report could not be written.
public struct JUnitReportError: Error, CustomStringConvertible, Sendable {
  /// What went wrong, in one line, naming the file involved.
  public var message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }
}

/// File-system helpers for writing a report atomically next to its final path.
enum ReportFile {
  /// The directory and the last component of `path` (`"."` for a bare name).
  static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = String(path[..<slash])
    return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
  }

  /// Creates a new, hidden file in `directory` whose name starts with
  /// `.stem.` and ends with `suffix`; the mode is 0666 less the umask.
  static func createUnique(in directory: String, stem: String, suffix: String) throws -> (
    fd: Int32, path: String
  ) {
    for _ in 0..<100 {
      let token = String(UInt32.random(in: .min ... .max), radix: 36)
      let candidate = "\(directory)/.\(stem).\(getpid())-\(token)\(suffix)"
      let fd = open(candidate, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
      if fd >= 0 { return (fd, candidate) }
      if errno != EEXIST { throw systemError("cannot create a temporary file in '\(directory)'") }
    }
    throw JUnitReportError("cannot find a free temporary file name in '\(directory)'")
  }

  /// An error naming `action` and the current `errno`.
  static func systemError(_ action: String) -> JUnitReportError {
    let code = errno
    return JUnitReportError("\(action): \(String(cString: strerror(code))) (errno \(code))")
  }

  /// Writes a file through `body` into a temporary file next to `path`, syncs
  /// it and renames it over `path`, so that readers never see a partial file;
  /// on any error nothing is left behind.
  static func writeAtomically(to path: String, _ body: (Int32) throws -> Void) throws {
    let (directory, fileName) = split(path)
    let stem = fileName.hasSuffix(".xml") ? String(fileName.dropLast(4)) : fileName
    let (fileDescriptor, temporaryPath) = try createUnique(
      in: directory, stem: stem.isEmpty ? "pfnspec" : stem, suffix: ".tmp")
    var descriptorOpen = true
    var moved = false
    defer {
      if descriptorOpen { close(fileDescriptor) }
      if !moved { unlink(temporaryPath) }
    }
    try body(fileDescriptor)
    guard fsync(fileDescriptor) == 0 else {
      throw systemError("cannot write '\(temporaryPath)' to disk")
    }
    descriptorOpen = false
    guard close(fileDescriptor) == 0 else { throw systemError("cannot close '\(temporaryPath)'") }
    guard rename(temporaryPath, path) == 0 else {
      throw systemError("cannot move the report to '\(path)'")
    }
    moved = true
  }

  /// The names in `directory`, without `.` and `..`, sorted.
  static func entries(of directory: String) -> [String] {
    guard let handle = opendir(directory) else { return [] }
    defer { closedir(handle) }
    var names: [String] = []
    while let entry = readdir(handle) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) {
        String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }
}
