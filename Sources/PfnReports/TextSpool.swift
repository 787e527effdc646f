#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Buffered writes to a file descriptor, with errors kept for the caller:
/// one reusable byte buffer, written out in large writes.
final class BufferedFileWriter {
  let fileDescriptor: Int32
  /// What is not written yet; reporters may append to it directly, then call ``flushIfFull()``.
  var buffer: [UInt8] = []
  private let capacity: Int

  init(fileDescriptor: Int32, capacity: Int = 64 * 1024) {
    self.fileDescriptor = fileDescriptor
    self.capacity = capacity
    buffer.reserveCapacity(capacity + 4096)
  }

  func write(_ text: String) throws {
    buffer.append(contentsOf: text.utf8)
    try flushIfFull()
  }

  func write(bytes: [UInt8]) throws {
    if buffer.count + bytes.count > capacity {
      // A large piece goes straight to the file, after what came before it.
      try flush()
      if bytes.count >= capacity {
        try bytes.withUnsafeBytes { try Self.writeAll(fileDescriptor, $0) }
        return
      }
    }
    buffer.append(contentsOf: bytes)
  }

  @inline(__always)
  func flushIfFull() throws {
    if buffer.count >= capacity { try flush() }
  }

  func write(_ bytes: UnsafeRawBufferPointer) throws {
    try flush()
    try Self.writeAll(fileDescriptor, bytes)
  }

  func flush() throws {
    guard !buffer.isEmpty else { return }
    try buffer.withUnsafeBytes { try Self.writeAll(fileDescriptor, $0) }
    buffer.removeAll(keepingCapacity: true)
  }

  static func writeAll(_ fileDescriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws {
    var offset = 0
    while offset < bytes.count {
      let count = systemWrite(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
      if count < 0, errno == EINTR { continue }
      if count <= 0 { throw ReportFile.systemError("cannot write a report") }
      offset += count
    }
  }
}

/// Text written as a run goes, to an unlinked temporary file, waiting for a
/// header (a plan) that is known only at the end of the run.
final class TextSpool {
  private let fileDescriptor: Int32
  let writer: BufferedFileWriter

  /// Creates the spool in `directory` (the report's, so that it shares its
  /// file system), unlinked at once so nothing is left behind.
  init(directory: String, stem: String) throws {
    let (fileDescriptor, path) = try ReportFile.createUnique(
      in: directory, stem: stem, suffix: ".spool.tmp")
    unlink(path)
    self.fileDescriptor = fileDescriptor
    writer = BufferedFileWriter(fileDescriptor: fileDescriptor, capacity: 256 * 1024)
  }

  deinit { close(fileDescriptor) }

  /// Copies everything written so far to `target`: by the kernel from file
  /// to file where it can (`sendfile`), else read and written in large chunks.
  func copy(into target: BufferedFileWriter) throws {
    try writer.flush()
    try target.flush()
    let end = lseek(fileDescriptor, 0, SEEK_CUR)
    guard end >= 0 else { throw ReportFile.systemError("cannot tell the spool's position") }
    var offset: off_t = 0
    while offset < end {
      let count = sendfile(target.fileDescriptor, fileDescriptor, &offset, Int(end - offset))
      if count < 0, errno == EINTR { continue }
      // Not every target takes sendfile (a terminal opened for appending, some pipes).
      if count < 0, errno == EINVAL || errno == ENOSYS { break }
      if count < 0 { throw ReportFile.systemError("cannot copy the spool into the report") }
      if count == 0 { throw ReportFile.systemError("the spool ended early") }
    }
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024 * 1024, alignment: 1)
    defer { chunk.deallocate() }
    while offset < end {
      let count = pread(fileDescriptor, chunk.baseAddress!, min(chunk.count, Int(end - offset)), offset)
      if count < 0, errno == EINTR { continue }
      if count <= 0 { throw ReportFile.systemError("cannot read back the spool") }
      try target.write(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
      offset += off_t(count)
    }
  }
}

/// Where a text report (TAP, KTAP) goes: a file, written atomically at the
/// end of the run, or standard output (`-`).
struct TextReportTarget {
  let path: String

  var isStandardOutput: Bool { path == "-" }

  /// A spool next to the report (or in `TMPDIR` for standard output).
  func makeSpool() throws -> TextSpool {
    if isStandardOutput {
      let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
      return try TextSpool(directory: directory.isEmpty ? "/tmp" : directory, stem: "pfnspec")
    }
    let (directory, name) = ReportFile.split(path)
    return try TextSpool(directory: directory, stem: name.isEmpty ? "pfnspec" : name)
  }

  /// Writes `header`, then the spool, then `footer`, to the target.
  func write(header: String, spool: TextSpool, footer: String = "") throws {
    func emit(_ fileDescriptor: Int32) throws {
      let writer = BufferedFileWriter(fileDescriptor: fileDescriptor)
      try writer.write(header)
      try spool.copy(into: writer)
      try writer.write(footer)
      try writer.flush()
    }
    if isStandardOutput { try emit(STDOUT_FILENO) } else {
      try ReportFile.writeAtomically(to: path, emit)
    }
  }
}
