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
  /// Writes the suites; `nil` only while the spool is torn down.
  private(set) var writer: XMLStreamWriter!
  /// Where the suites begin: after the declaration and the wrapper's start tag.
  private let contentStart: off_t

  /// Creates the spool in `directory`, so that it is on the same file system
  /// as the report and shares its free space rather than a small `/tmp`.
  init(directory: String, stem: String) throws {
    let (fileDescriptor, path) = try ReportFile.createUnique(
      in: directory, stem: stem, suffix: ".suites.tmp")
    // Unlinked at once: nothing is left behind, whatever happens to the run.
    unlink(path)
    self.fileDescriptor = fileDescriptor
    do {
      let writer = try XMLStreamWriter(fileDescriptor: fileDescriptor)
      // A wrapper root gives the suites the indentation they will have in
      // the report; the declaration and the wrapper's tags are not copied.
      try writer.startDocument()
      try writer.startElement("testsuites")
      try writer.flush()
      let offset = lseek(fileDescriptor, 0, SEEK_CUR)
      guard offset >= 0 else { throw ReportFile.systemError("cannot tell the spool's position") }
      // + 1 skips the `>` that closes the wrapper's start tag once a suite follows.
      contentStart = offset + 1
      self.writer = writer
    } catch {
      close(fileDescriptor)
      throw error
    }
  }

  deinit {
    writer = nil  // flushes into the descriptor, so it must go before `close`
    close(fileDescriptor)
  }

  /// How many bytes of suites the spool holds (after a flush).
  func byteCount() throws -> Int {
    try writer.flush()
    let end = lseek(fileDescriptor, 0, SEEK_CUR)
    guard end >= 0 else { throw ReportFile.systemError("cannot tell the spool's position") }
    return Int(max(0, end - contentStart))
  }

  /// Copies the suites written so far into `target` as raw markup, in
  /// chunks, never splitting a UTF-8 sequence.
  func copySuites(into target: XMLStreamWriter) throws {
    try writer.flush()
    let end = lseek(fileDescriptor, 0, SEEK_CUR)
    guard end >= 0 else { throw ReportFile.systemError("cannot tell the spool's position") }
    let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 1)
    defer { chunk.deallocate() }
    var offset = contentStart
    var carried = 0
    while offset < end {
      let wanted = min(chunk.count - carried, Int(end - offset))
      let count = pread(fileDescriptor, chunk.baseAddress! + carried, wanted, offset)
      if count < 0, errno == EINTR { continue }
      if count < 0 { throw ReportFile.systemError("cannot read back the suites") }
      if count == 0 { throw JUnitReportError("the suite spool ended early") }
      offset += off_t(count)
      let filled = carried + count
      let usable = offset < end ? completeUTF8Prefix(chunk, filled) : filled
      try target.raw(UnsafeRawBufferPointer(rebasing: chunk[0..<usable]))
      carried = filled - usable
      if carried > 0 {
        chunk.copyMemory(from: UnsafeRawBufferPointer(rebasing: chunk[usable..<filled]))
      }
    }
  }

  /// The length of the longest prefix of `buffer[0..<count]` that does not
  /// end inside a UTF-8 sequence (a trailing sequence is held back whole).
  private func completeUTF8Prefix(_ buffer: UnsafeMutableRawBufferPointer, _ count: Int) -> Int {
    var index = count - 1
    while index >= 0, index >= count - 4 {
      let byte = buffer[index]
      if byte < 0x80 { return count }
      if byte >= 0xC0 { return index }
      index -= 1
    }
    return count
  }
}
