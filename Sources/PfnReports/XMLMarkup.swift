import CLibXML2

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// JUnit markup built as UTF-8 bytes in one reusable buffer: the suites and
/// testcases a report repeats thousands of times, without a libxml2 call per
/// tag and attribute.
///
/// The bytes are the ones libxml2's xmlTextWriter writes with two-space
/// indentation (``XMLStreamWriter``): `<name attr="value"/>` for an empty
/// element, a line break after each end tag, child elements one level
/// deeper. Values are escaped by libxml2 itself, with the functions
/// xmlTextWriter calls (`xmlAttrSerializeTxtContent` for attributes,
/// `xmlEncodeSpecialChars` for text); a value of printable ASCII without
/// `<`, `>`, `&` and `"` (most of what a report carries) is copied as it is,
/// since those functions leave it unchanged. As with ``XMLStreamWriter``,
/// control characters are made visible first (``ReportText/visible(_:keepingLineBreaks:)``).
final class XMLMarkup {
  /// The markup built so far.
  private(set) var bytes: [UInt8] = []
  private var escaper: LibXML2Escaper?

  init(capacity: Int = 64 * 1024) { bytes.reserveCapacity(capacity) }

  /// Empties the buffer, keeping its storage for the next use.
  func removeAll() { bytes.removeAll(keepingCapacity: true) }

  var count: Int { bytes.count }

  // MARK: - Tags

  /// `<name` at `depth` (two spaces a level); attributes follow.
  @inline(__always)
  func startTag(_ name: StaticString, depth: Int) {
    edit { bytes in
      Self.putIndent(depth, &bytes)
      bytes.append(UInt8(ascii: "<"))
      Self.put(name, &bytes)
    }
  }

  /// `<name` for an element name that is not a literal (a result's).
  func startTag(dynamic name: String, depth: Int) {
    edit { bytes in
      Self.putIndent(depth, &bytes)
      bytes.append(UInt8(ascii: "<"))
      bytes.append(contentsOf: name.utf8)
    }
  }

  /// Closes a start tag whose element has children: `>` and a line break.
  @inline(__always)
  func openChildren() { edit { Self.put(">\n", &$0) } }

  /// Ends an element without content: `/>` and a line break.
  @inline(__always)
  func closeEmpty() { edit { Self.put("/>\n", &$0) } }

  /// `</name>` at `depth` and a line break, after an element's children.
  @inline(__always)
  func endTag(_ name: StaticString, depth: Int) {
    edit { bytes in
      Self.putIndent(depth, &bytes)
      Self.put("</", &bytes)
      Self.put(name, &bytes)
      Self.put(">\n", &bytes)
    }
  }

  /// An element that holds text: `>text</name>` and a line break, after its attributes.
  func textContent(_ text: String, close name: String) {
    bytes.append(UInt8(ascii: ">"))
    appendText(text)
    append("</")
    bytes.append(contentsOf: name.utf8)
    append(">\n")
  }

  /// ``textContent(_:close:)`` of text given as UTF-8 bytes.
  func textContent(bytes text: [UInt8], close name: String) {
    let plain = edit { bytes -> Bool in
      guard text.withUnsafeBufferPointer({ Self.allPlain($0, Self.isPlainInText) }) else { return false }
      bytes.append(UInt8(ascii: ">"))
      bytes.append(contentsOf: text)
      Self.put("</", &bytes)
      bytes.append(contentsOf: name.utf8)
      Self.put(">\n", &bytes)
      return true
    }
    if !plain { textContent(String(decoding: text, as: UTF8.self), close: name) }
  }

  /// ` name="value"`, the value escaped as in an attribute.
  @inline(__always)
  func attribute(_ name: StaticString, _ value: String) {
    // Most values are plain: written in one access to the buffer.
    let plain = edit { bytes -> Bool in
      var value = value
      return value.withUTF8 { utf8 -> Bool in
        guard Self.allPlain(utf8, Self.isPlainInAttribute) else { return false }
        bytes.append(UInt8(ascii: " "))
        Self.put(name, &bytes)
        Self.put("=\"", &bytes)
        bytes.append(contentsOf: utf8)
        bytes.append(UInt8(ascii: "\""))
        return true
      }
    }
    guard !plain else { return }
    bytes.append(UInt8(ascii: " "))
    append(name)
    append("=\"")
    appendAttributeValue(value)
    bytes.append(UInt8(ascii: "\""))
  }

  /// ` name="value"` for a name that is not a literal (a property's).
  func attribute(dynamicName name: String, _ value: String) {
    bytes.append(UInt8(ascii: " "))
    bytes.append(contentsOf: name.utf8)
    append("=\"")
    appendAttributeValue(value)
    bytes.append(UInt8(ascii: "\""))
  }

  /// ` name="…"` for a value escaped once beforehand (``escapedAttributeValue(_:)``).
  @inline(__always)
  func attribute(_ name: StaticString, escaped value: [UInt8]) {
    edit { bytes in
      bytes.append(UInt8(ascii: " "))
      Self.put(name, &bytes)
      Self.put("=\"", &bytes)
      bytes.append(contentsOf: value)
      bytes.append(UInt8(ascii: "\""))
    }
  }

  /// ` name="S.SSS"` for seconds (``ReportText/seconds(_:)``).
  @inline(__always)
  func attribute(_ name: StaticString, seconds value: Double) {
    bytes.append(UInt8(ascii: " "))
    append(name)
    append("=\"")
    appendSeconds(value)
    bytes.append(UInt8(ascii: "\""))
  }

  /// `value` escaped for an attribute, to be written many times.
  static func escapedAttributeValue(_ value: String) -> [UInt8] {
    let markup = XMLMarkup(capacity: value.utf8.count + 16)
    markup.appendAttributeValue(value)
    return markup.bytes
  }

  /// ` name="N"` for a decimal integer.
  @inline(__always)
  func attribute(_ name: StaticString, decimal value: Int) {
    edit { bytes in
      bytes.append(UInt8(ascii: " "))
      Self.put(name, &bytes)
      Self.put("=\"", &bytes)
      Self.appendDecimal(value, to: &bytes)
      bytes.append(UInt8(ascii: "\""))
    }
  }

  /// One access to the buffer for a whole piece of markup: every access to a
  /// class's stored property is checked for exclusivity at run time, so the
  /// pieces written for each testcase share one check instead of one per byte run.
  @inline(__always)
  private func edit<Result>(_ body: (inout [UInt8]) -> Result) -> Result { body(&bytes) }

  @inline(__always)
  private static func put(_ text: StaticString, _ bytes: inout [UInt8]) {
    text.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  @inline(__always)
  private static func putIndent(_ depth: Int, _ bytes: inout [UInt8]) {
    for _ in 0..<(depth * 2) { bytes.append(UInt8(ascii: " ")) }
  }

  /// Bytes that are already markup at the right depth.
  func append(markup: [UInt8]) { bytes.append(contentsOf: markup) }

  // MARK: - Values

  /// An attribute value, escaped as xmlTextWriter escapes it.
  func appendAttributeValue(_ value: String) {
    if !appendPlain(value, where: Self.isPlainInAttribute) {
      escaperInstance().appendAttribute(ReportText.visible(value), to: &bytes)
    }
  }

  /// Character data, escaped as xmlTextWriter escapes it.
  func appendText(_ text: String) {
    if !appendPlain(text, where: Self.isPlainInText) {
      escaperInstance().appendText(ReportText.visible(text), to: &bytes)
    }
  }

  /// Copies `text`'s bytes when every one is `plain` (the common case, no
  /// escaping needed); returns false, having copied nothing, otherwise.
  @inline(__always)
  private func appendPlain(_ text: String, where plain: (UInt8) -> Bool) -> Bool {
    var text = text
    return text.withUTF8 { utf8 -> Bool in
      guard Self.allPlain(utf8, plain) else { return false }
      bytes.append(contentsOf: utf8)
      return true
    }
  }

  /// Whether every byte is `plain`: clean text a word at a time (printable
  /// ASCII without `<>&"` is plain in attributes and text alike), the
  /// rest byte by byte.
  @inline(__always)
  private static func allPlain(_ utf8: UnsafeBufferPointer<UInt8>, _ plain: (UInt8) -> Bool) -> Bool {
    var index = 0
    while index < utf8.count {
      index += ByteWords.plainPrefix(
        utf8, from: index, excluding: UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"), UInt8(ascii: "\""))
      let end = min(index + 8, utf8.count)
      while index < end {
        guard plain(utf8[index]) else { return false }
        index += 1
      }
    }
    return true
  }

  /// A non-negative decimal, without going through a String.
  func appendDecimal(_ value: Int) {
    XMLMarkup.appendDecimal(value, to: &bytes)
  }

  /// `value` in decimal, as `String(value)` writes it.
  static func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
    guard value >= 0 else {
      bytes.append(contentsOf: String(value).utf8)
      return
    }
    // Digits from the last, dividing by the constant 10 (a multiplication),
    // into a buffer on the stack: every test point's number goes through here.
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    withUnsafeMutableBytes(of: &digits) { buffer in
      var rest = UInt(value)
      var start = buffer.count
      repeat {
        start -= 1
        buffer[start] = UInt8(ascii: "0") + UInt8(rest % 10)
        rest /= 10
      } while rest > 0
      bytes.append(contentsOf: buffer[start...])
    }
  }

  /// Seconds as ``ReportText/seconds(_:)`` writes them (`0.004`, `12.000`).
  func appendSeconds(_ value: Double) {
    guard value.isFinite, value > 0 else {
      append("0.000")
      return
    }
    let millis = Int64(min((value * 1000).rounded(), 9e15))
    appendDecimal(Int(millis / 1000))
    let fraction = Int(millis % 1000)
    bytes.append(UInt8(ascii: "."))
    bytes.append(UInt8(ascii: "0") + UInt8(fraction / 100))
    bytes.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
    bytes.append(UInt8(ascii: "0") + UInt8(fraction % 10))
  }

  /// ``isPlainInAttribute(_:)`` as a ``BytePolicy``.
  static let plainInAttribute = PrintableExcept(
    UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&"), UInt8(ascii: "\""))

  /// Printable ASCII that libxml2 copies unchanged into an attribute value
  /// (it writes `<`, `>`, `&`, `"` and TAB, LF, CR as references).
  @inline(__always)
  static func isPlainInAttribute(_ byte: UInt8) -> Bool {
    byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "<") && byte != UInt8(ascii: ">")
      && byte != UInt8(ascii: "&") && byte != UInt8(ascii: "\"")
  }

  /// What libxml2 copies unchanged into character data: the same, plus TAB and LF.
  @inline(__always)
  static func isPlainInText(_ byte: UInt8) -> Bool {
    isPlainInAttribute(byte) || byte == 0x0A || byte == 0x09
  }

  @inline(__always)
  private func append(_ text: StaticString) {
    text.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  @inline(__always)
  private func indent(_ depth: Int) {
    for _ in 0..<(depth * 2) { bytes.append(UInt8(ascii: " ")) }
  }

  private func escaperInstance() -> LibXML2Escaper {
    if let escaper { return escaper }
    let made = LibXML2Escaper()
    escaper = made
    return made
  }
}

/// libxml2 sets up its tables lazily; Swift runs this initializer once.
private let escaperLibXML2Initialized: Void = xmlInitParser()

/// libxml2's own escaping, as xmlTextWriter applies it after a document
/// declared UTF-8: non-ASCII characters stay as they are.
private final class LibXML2Escaper {
  private let document: xmlDocPtr
  private let buffer: xmlBufferPtr

  init() {
    _ = escaperLibXML2Initialized
    document = xmlNewDoc(nil)
    // xmlTextWriterStartDocument sets the document's encoding the same way.
    document.pointee.encoding = UnsafePointer(xmlStrdup("UTF-8"))
    buffer = xmlBufferCreate()
  }

  deinit {
    xmlBufferFree(buffer)
    xmlFreeDoc(document)
  }

  func appendAttribute(_ value: String, to bytes: inout [UInt8]) {
    xmlBufferEmpty(buffer)
    // `visible` has removed NUL, so the C string holds the whole value.
    value.withCString {
      xmlAttrSerializeTxtContent(buffer, document, nil, UnsafeRawPointer($0).assumingMemoryBound(to: xmlChar.self))
    }
    if let content = xmlBufferContent(buffer) {
      bytes.append(contentsOf: UnsafeBufferPointer(start: content, count: Int(xmlBufferLength(buffer))))
    }
  }

  func appendText(_ text: String, to bytes: inout [UInt8]) {
    text.withCString {
      guard let escaped = xmlEncodeSpecialChars(nil, UnsafeRawPointer($0).assumingMemoryBound(to: xmlChar.self))
      else { return }
      bytes.append(contentsOf: UnsafeBufferPointer(start: escaped, count: Int(xmlStrlen(escaped))))
      free(escaped)  // libxml2's default xmlFree; the global itself is not Sendable
    }
  }
}
