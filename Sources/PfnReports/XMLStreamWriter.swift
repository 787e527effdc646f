import CLibXML2

/// libxml2 sets up its tables lazily and not thread-safely; Swift runs this
/// global's initializer exactly once, whichever thread comes first.
private let libxml2Initialized: Void = xmlInitParser()

/// A thin wrapper over libxml2's streaming writer that checks every return
/// code and makes every string safe for XML before it reaches libxml2.
///
/// libxml2 escapes `& < > "` (and writes TAB, LF, CR inside attribute values as
/// character references), but passes control characters through raw, so all
/// text and attribute values go through ``ReportText/visible(_:keepingLineBreaks:)``.
final class XMLStreamWriter {
  private let writer: xmlTextWriterPtr

  /// Creates a writer that appends to an open file descriptor, which it does
  /// not close.
  init(fileDescriptor: Int32) throws {
    _ = libxml2Initialized
    guard let output = xmlOutputBufferCreateFd(fileDescriptor, nil) else {
      throw JUnitReportError("libxml2 could not create an output buffer")
    }
    guard let writer = xmlNewTextWriter(output) else {
      xmlOutputBufferClose(output)
      throw JUnitReportError("libxml2 could not create a text writer")
    }
    self.writer = writer
    try check(xmlTextWriterSetIndent(writer, 1), "turn on indentation")
    try withXMLChars("  ") {
      try check(xmlTextWriterSetIndentString(writer, $0), "set the indentation")
    }
  }

  deinit { xmlFreeTextWriter(writer) }

  /// Writes the XML declaration; without it libxml2 writes non-ASCII
  /// characters in attribute values as character references.
  func startDocument() throws {
    try check(xmlTextWriterStartDocument(writer, "1.0", "UTF-8", nil), "start the document")
  }

  func endDocument() throws {
    try check(xmlTextWriterEndDocument(writer), "end the document")
  }

  func startElement(_ name: String) throws {
    try withXMLChars(name) { try check(xmlTextWriterStartElement(writer, $0), "start <\(name)>") }
  }

  func endElement() throws {
    try check(xmlTextWriterEndElement(writer), "end an element")
  }

  func attribute(_ name: String, _ value: String) throws {
    try withXMLChars(name) { namePointer in
      try withXMLChars(ReportText.visible(value)) { valuePointer in
        try check(
          xmlTextWriterWriteAttribute(writer, namePointer, valuePointer),
          "write attribute '\(name)'")
      }
    }
  }

  /// Writes bytes that are already well-formed markup, as they are.
  func raw(_ bytes: UnsafeRawBufferPointer) throws {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    let rc = xmlTextWriterWriteRawLen(
      writer, base.assumingMemoryBound(to: xmlChar.self), Int32(bytes.count))
    try check(rc, "copy \(bytes.count) bytes of markup")
  }

  /// Pushes buffered output to the file descriptor.
  func flush() throws {
    try check(xmlTextWriterFlush(writer), "flush the output")
  }

  private func check(_ rc: Int32, _ action: String) throws {
    if rc < 0 { throw JUnitReportError("libxml2 failed to \(action) (return code \(rc))") }
  }

  private func withXMLChars<R>(_ text: String, _ body: (UnsafePointer<xmlChar>) throws -> R)
    rethrows -> R
  {
    // `visible` has removed NUL, so the C string holds the whole text.
    try text.withCString { try body(UnsafeRawPointer($0).assumingMemoryBound(to: xmlChar.self)) }
  }
}
