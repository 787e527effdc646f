#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Finished `<testsuite>` elements, written as they complete to an unlinked
/// temporary file, waiting for the root element whose totals are known only
/// at the end of the run.
final class SuiteSpool {
  private let fileDescriptor: Int32
  private let writer: BufferedFileWriter
  /// Bytes of suites held: the line break that follows the root's start tag
  /// once a suite is there, then the suites.
  private(set) var byteCount = 0

  /// Creates the spool in `directory`, so that it is on the same file system
  /// as the report and shares its free space rather than a small `/tmp`.
  init(directory: String, stem: String) throws {
    let (fileDescriptor, path) = try ReportFile.createUnique(
      in: directory, stem: stem, suffix: ".suites.tmp")
    // Unlinked at once: nothing is left behind, whatever happens to the run.
    unlink(path)
    self.fileDescriptor = fileDescriptor
    writer = BufferedFileWriter(fileDescriptor: fileDescriptor, capacity: 256 * 1024)
  }

  deinit { close(fileDescriptor) }

  /// Appends markup of whole suites, at the depth of the root's children.
  func write(_ bytes: [UInt8]) throws {
    if byteCount == 0 {
      // What xmlTextWriter writes between `<testsuites …>` and its first child.
      try writer.write(bytes: [UInt8(ascii: "\n")])
      byteCount = 1
    }
    try writer.write(bytes: bytes)
    byteCount += bytes.count
  }

  /// Writes out what is buffered and gives the buffer's memory back: the
  /// spool of a finished part waits for the end of the run with nothing held.
  func seal() throws {
    try writer.flush()
    writer.buffer = []
  }

  /// Copies the suites written so far into `target`, the writer of the file
  /// open as `targetDescriptor`, just after the root's start tag.
  ///
  /// The first byte goes through libxml2, which closes the start tag first;
  /// the rest is copied by the kernel from file to file (`sendfile`), or read
  /// and written in large chunks where it cannot.
  func copySuites(into target: XMLStreamWriter, fileDescriptor targetDescriptor: Int32) throws {
    try writer.flush()
    guard byteCount > 0 else { return }
    var lineBreak = UInt8(ascii: "\n")
    try withUnsafeBytes(of: &lineBreak) { try target.raw($0) }
    try target.flush()
    let end = off_t(byteCount)
    var offset: off_t = 1
    while offset < end {
      let count = sendfile(targetDescriptor, fileDescriptor, &offset, Int(end - offset))
      if count < 0, errno == EINTR { continue }
      if count < 0, errno == EINVAL || errno == ENOSYS {
        try copyByReading(from: offset, to: end, into: targetDescriptor)
        return
      }
      if count < 0 { throw ReportFile.systemError("cannot copy the suites into the report") }
      if count == 0 { throw JUnitReportError("the suite spool ended early") }
    }
  }

  private func copyByReading(from start: off_t, to end: off_t, into targetDescriptor: Int32) throws {
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024 * 1024, alignment: 1)
    defer { chunk.deallocate() }
    var offset = start
    while offset < end {
      let count = pread(fileDescriptor, chunk.baseAddress!, min(chunk.count, Int(end - offset)), offset)
      if count < 0, errno == EINTR { continue }
      if count < 0 { throw ReportFile.systemError("cannot read back the suites") }
      if count == 0 { throw JUnitReportError("the suite spool ended early") }
      try BufferedFileWriter.writeAll(targetDescriptor, UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
      offset += off_t(count)
    }
  }
}
