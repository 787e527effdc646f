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

/// Text written as a run goes, to an unnamed file, waiting for a header
/// (a plan) that is known only at the end of the run: either a spool that
/// is copied into the report after the header, or, when the header was known
/// up front, the report itself with that header already at its start.
final class TextSpool {
  private let fileDescriptor: Int32
  let writer: BufferedFileWriter
  /// The header written at the file's start, when the file is the report
  /// itself (``TextReportTarget/makeSpool(expectedHeader:)``); `nil` in a spool.
  let writtenHeader: [UInt8]?

  /// Creates the spool in `directory` (the report's, so that it shares its
  /// file system), unlinked at once so nothing is left behind.
  init(directory: String, stem: String) throws {
    let (fileDescriptor, path) = try ReportFile.createUnique(
      in: directory, stem: stem, suffix: ".spool.tmp")
    unlink(path)
    self.fileDescriptor = fileDescriptor
    writer = BufferedFileWriter(fileDescriptor: fileDescriptor, capacity: 256 * 1024)
    writtenHeader = nil
  }

  /// Opens the report to be in `directory` as a file with no name yet
  /// (`O_TMPFILE`: nothing is left behind if the run dies), with `header`
  /// first; `nil` where the file system or the platform has no such files.
  init?(unnamedIn directory: String, header: [UInt8]) {
    guard let flag = Self.unnamedFileFlag else { return nil }
    let fileDescriptor = open(directory, flag | O_RDWR | O_CLOEXEC, 0o666)
    guard fileDescriptor >= 0 else { return nil }
    self.fileDescriptor = fileDescriptor
    writer = BufferedFileWriter(fileDescriptor: fileDescriptor, capacity: 256 * 1024)
    writer.buffer.append(contentsOf: header)
    writtenHeader = header
  }

  /// `O_TMPFILE`, which Swift does not import (a macro of macros): the
  /// generic Linux value, the same on x86_64 and arm64.
  private static var unnamedFileFlag: Int32? {
    #if os(Linux) && (arch(x86_64) || arch(arm64))
      return 0o20000000 | O_DIRECTORY
    #else
      return nil
    #endif
  }

  deinit { close(fileDescriptor) }

  /// Where the body starts: after the header already written, if any.
  private var bodyStart: off_t { off_t(writtenHeader?.count ?? 0) }

  /// Syncs the file, which already starts with its header, and gives it the
  /// name `path` atomically (linked under a temporary name next to it, then
  /// renamed over it), as ``ReportFile/writeAtomically(to:_:)`` would have
  /// written it. False, with nothing named, when it cannot be linked (no
  /// `/proc`): the caller then copies it as a spool.
  func linkInPlace(as path: String) throws -> Bool {
    try writer.flush()
    guard fsync(fileDescriptor) == 0 else { throw ReportFile.systemError("cannot write '\(path)' to disk") }
    let (directory, fileName) = ReportFile.split(path)
    let stem = fileName.isEmpty ? "pfnspec" : fileName
    let source = "/proc/self/fd/\(fileDescriptor)"
    for _ in 0..<100 {
      let token = String(UInt32.random(in: .min ... .max), radix: 36)
      let temporaryPath = "\(directory)/.\(stem).\(getpid())-\(token).tmp"
      if linkat(AT_FDCWD, source, AT_FDCWD, temporaryPath, AT_SYMLINK_FOLLOW) != 0 {
        if errno == EEXIST { continue }
        return false
      }
      guard rename(temporaryPath, path) == 0 else {
        let error = ReportFile.systemError("cannot move the report to '\(path)'")
        unlink(temporaryPath)
        throw error
      }
      return true
    }
    throw JUnitReportError("cannot find a free temporary file name in '\(directory)'")
  }

  /// Copies everything written so far (after ``writtenHeader``) to `target`:
  /// by the kernel from file to file where it can (`sendfile`), else read
  /// and written in large chunks.
  func copy(into target: BufferedFileWriter) throws {
    try writer.flush()
    try target.flush()
    let end = lseek(fileDescriptor, 0, SEEK_CUR)
    guard end >= 0 else { throw ReportFile.systemError("cannot tell the spool's position") }
    var offset: off_t = bodyStart
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
  ///
  /// With `expectedHeader` (the header the run will have if it delivers
  /// what it planned) and a file as the target, the report itself instead,
  /// unnamed until the end, with that header written first: ``write(header:spool:footer:)``
  /// then only names it, where a spool would be copied. Standard output
  /// always gets a spool: what is written there cannot be taken back.
  func makeSpool(expectedHeader: String? = nil) throws -> TextSpool {
    if isStandardOutput {
      let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
      return try TextSpool(directory: directory.isEmpty ? "/tmp" : directory, stem: "pfnspec")
    }
    let (directory, name) = ReportFile.split(path)
    if let expectedHeader, let report = TextSpool(unnamedIn: directory, header: Array(expectedHeader.utf8)) {
      return report
    }
    return try TextSpool(directory: directory, stem: name.isEmpty ? "pfnspec" : name)
  }

  /// Writes `header`, then the spool, then `footer`, to the target: when
  /// the spool is the report with `header` already written first, by naming it.
  func write(header: String, spool: TextSpool, footer: String = "") throws {
    // Only without a footer: one written into the file would be copied twice if naming it failed.
    if let written = spool.writtenHeader, !isStandardOutput, footer.isEmpty, written.elementsEqual(header.utf8) {
      if try spool.linkInPlace(as: path) { return }
    }
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
