/// Renders diagnostics as text: a `file:line:column: severity[CODE]: message`
/// header, the source line in a numbered gutter, carets under the span, then
/// hints and notes.
///
/// ```
/// Specs/lifetime.pfnspec:12:23: error[E203]: unknown given attribute 'pfm' for 'leaf'
///    12 |   given leaf at level pfm 0x12345
///       |                       ^~~
///       = help: did you mean 'pfn'?
/// ```
public struct DiagnosticRenderer: Sendable {
  /// The text of each file by path; diagnostics in other files show no snippet.
  public var sources: [String: String]
  /// How the parts of a diagnostic look: plain text or ANSI colours.
  public var decorator: any DiagnosticDecorator

  public init(sources: [String: String], decorator: any DiagnosticDecorator = PlainDiagnosticDecorator()) {
    self.sources = sources
    self.decorator = decorator
  }

  /// Plain text, or ANSI colours when `color` is set.
  public init(sources: [String: String], color: Bool) {
    self.init(
      sources: sources, decorator: color ? ANSIDiagnosticDecorator() as any DiagnosticDecorator : PlainDiagnosticDecorator())
  }

  /// At most this many diagnostics are rendered; the rest are counted in one line.
  public var limit = 50
  /// A source line longer than this many characters is shown cut around the caret.
  public var lineWidth = 120

  /// Renders several diagnostics, one after the other: the first ``limit``,
  /// then how many more there are (errors first, so a capped list still
  /// shows the errors).
  public func render(_ diagnostics: [Diagnostic]) -> String {
    // One index of lines per file, shared by the diagnostics rendered.
    let lines = LineCache()
    guard diagnostics.count > limit else { return diagnostics.map { render($0, lines: lines) }.joined() }
    let ordered = diagnostics.filter { $0.severity == .error } + diagnostics.filter { $0.severity != .error }
    let rest = ordered.dropFirst(limit)
    let errors = rest.count { $0.severity == .error }
    return ordered.prefix(limit).map { render($0, lines: lines) }.joined()
      + "... and \(rest.count) more diagnostics (\(errors) errors, \(rest.count - errors) warnings or notes) not shown\n"
  }

  /// Renders one diagnostic; the result ends with a newline.
  public func render(_ diagnostic: Diagnostic) -> String {
    render(diagnostic, lines: LineCache())
  }

  private func render(_ diagnostic: Diagnostic, lines: LineCache) -> String {
    var out = ""
    let severity = paint(
      "\(diagnostic.severity.rawValue)[\(diagnostic.code.rawValue)]", .severity(diagnostic.severity))
    out += "\(paint(Self.escaped(diagnostic.location) + ":", .location)) \(severity): \(paint(Self.escaped(Self.bounded(diagnostic.message)), .message))\n"
    if let range = diagnostic.range {
      out += snippet(file: diagnostic.file, range: range, severity: diagnostic.severity, lines: lines)
    }
    for hint in diagnostic.hints {
      out += "\(gutterPad)= \(paint("help", .help)): \(Self.escaped(Self.bounded(hint)))\n"
    }
    for note in diagnostic.notes {
      if let file = note.file, let range = note.range {
        out += "\(paint("\(file):\(range.start.line):\(range.start.column):", .location)) "
        out += "\(paint("note", .severity(.note))): \(Self.escaped(Self.bounded(note.message)))\n"
        out += snippet(file: file, range: range, severity: .note, lines: lines)
      } else {
        out += "\(gutterPad)= \(paint("note", .severity(.note))): \(Self.escaped(Self.bounded(note.message)))\n"
      }
    }
    return out
  }

  /// The most characters of a message, hint or note shown: a message that
  /// quotes a 16 MB name shows its start, and the snippet shows where it is.
  static let messageWidth = 400

  /// `text`, cut after ``messageWidth`` characters with a mark.
  static func bounded(_ text: String) -> String {
    guard text.utf8.count > messageWidth else { return text }
    let scalars = text.unicodeScalars
    guard scalars.count > messageWidth else { return text }
    var cut = String.UnicodeScalarView()
    cut.append(contentsOf: scalars.prefix(messageWidth))
    return String(cut) + "… (\(scalars.count - messageWidth) more characters)"
  }

  private static let gutterWidth = 5
  private var gutterPad: String { String(repeating: " ", count: Self.gutterWidth + 1) }

  private func snippet(
    file: String, range: SourceRange, severity: DiagnosticSeverity, lines cache: LineCache
  ) -> String {
    guard let text = sources[file] else { return "" }
    let lines = cache.lines(of: file, text: text)
    guard let line = lines.line(range.start.line) else {
      return ""
    }
    let number = String(range.start.line)
    let gutter = String(repeating: " ", count: max(0, Self.gutterWidth - number.count)) + number
    let count = line.scalarCount
    var startColumn = min(max(range.start.column, 1), count + 1)
    var endColumn =
      range.end.line == range.start.line ? min(range.end.column, count + 1) : count + 1
    // A long line is cut to a window around the caret; only the window is decoded.
    var lead = "", trail = ""
    var scalars: [Unicode.Scalar]
    if count > lineWidth {
      let first = max(0, min(startColumn - 1 - lineWidth / 3, count - lineWidth))
      let last = min(count, first + lineWidth)
      if first > 0 { lead = "…" }
      if last < count { trail = "…" }
      scalars = lines.scalars(of: line, first..<last)
      startColumn -= first
      endColumn = min(endColumn - first, scalars.count + 1)
    } else {
      scalars = lines.scalars(of: line, 0..<count)
    }
    let width = max(1, endColumn - startColumn)
    // Control characters are shown escaped; the carets line up under the
    // escapes, and tabs stay in the padding under tabbed source.
    let shown = lead + scalars.map { Self.escaped($0) }.joined() + trail
    var padding = lead.isEmpty ? "" : " "
    for scalar in scalars.prefix(startColumn - 1) {
      padding += scalar == "\t" ? "\t" : String(repeating: " ", count: Self.escaped(scalar).unicodeScalars.count)
    }
    let markedWidth = scalars.dropFirst(startColumn - 1).prefix(width).reduce(0) { $0 + Self.escaped($1).unicodeScalars.count }
    let marker = "^" + String(repeating: "~", count: max(1, markedWidth) - 1)
    var out = "\(paint(gutter + " |", .gutter)) \(shown)\n"
    out += "\(paint(gutterPad + "|", .gutter)) \(padding)\(paint(marker, .marker(severity)))\n"
    return out
  }

  /// A scalar as shown in a diagnostic: control characters (but tab), DEL,
  /// C1 controls and U+2028/2029 as `\u{1B}`.
  static func escaped(_ scalar: Unicode.Scalar) -> String {
    let v = scalar.value
    if (v < 0x20 && v != 0x09) || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029 {
      return "\\u{" + String(v, radix: 16, uppercase: true) + "}"
    }
    return String(scalar)
  }

  /// Text from a spec file (a message quoting it, a hint) with control characters escaped.
  static func escaped(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { escaped($0).unicodeScalars.count > 1 }) else { return text }
    return text.unicodeScalars.map { escaped($0) }.joined()
  }

  /// The lines of the files rendered so far, each indexed once.
  private final class LineCache {
    private var files: [String: SourceLines] = [:]

    func lines(of file: String, text: String) -> SourceLines {
      if let known = files[file] { return known }
      let lines = SourceLines(text)
      files[file] = lines
      return lines
    }
  }

  private func paint(_ text: String, _ part: DiagnosticPart) -> String {
    decorator.decorate(text, as: part)
  }
}

/// The parts of a rendered diagnostic that a decorator may style.
public enum DiagnosticPart: Sendable, Hashable {
  /// `file:line:column:`
  case location
  /// `error[E203]`, `warning[W301]`, `note`
  case severity(DiagnosticSeverity)
  case message
  /// The `help` label of a hint.
  case help
  /// The line-number gutter and its `|`.
  case gutter
  /// The carets under a span.
  case marker(DiagnosticSeverity)
}

/// Styles the parts of a rendered diagnostic (swift-syntax's DiagnosticDecorator).
public protocol DiagnosticDecorator: Sendable {
  func decorate(_ text: String, as part: DiagnosticPart) -> String
}

/// No styling: for files, pipes and tests.
public struct PlainDiagnosticDecorator: DiagnosticDecorator {
  public init() {}
  public func decorate(_ text: String, as part: DiagnosticPart) -> String { text }
}

/// ANSI colours, for a terminal.
public struct ANSIDiagnosticDecorator: DiagnosticDecorator {
  public init() {}

  public func decorate(_ text: String, as part: DiagnosticPart) -> String {
    let style: String
    switch part {
    case .location, .message: style = "\u{1B}[1m"
    case .help: style = "\u{1B}[1;36m"
    case .gutter: style = "\u{1B}[34m"
    case .severity(let severity), .marker(let severity): style = Self.style(for: severity)
    }
    return style + text + "\u{1B}[0m"
  }

  private static func style(for severity: DiagnosticSeverity) -> String {
    switch severity {
    case .error: "\u{1B}[1;31m"
    case .warning: "\u{1B}[1;33m"
    case .note: "\u{1B}[1;36m"
    }
  }
}

/// A file's lines, found in one pass over its bytes, so that showing a line
/// does not scan the file. A line shown is indexed once more: its length in
/// characters, and where every 1,024th character starts, so that a window of
/// a 16 MB line is found without walking the line.
final class SourceLines {
  private let bytes: [UInt8]
  /// The byte offset at which each line starts.
  private var starts: [Int] = [0]
  private var indexed: [Int: Line] = [:]

  /// One line, without its line break, a trailing carriage return or a leading byte order mark.
  struct Line {
    fileprivate let start: Int
    fileprivate let end: Int
    let scalarCount: Int
    /// The byte offset of characters 0, 1024, 2048, ...
    fileprivate let checkpoints: [Int]

  }

  /// The characters of `line` in `range` (counted in characters from the line's start).
  func scalars(of line: Line, _ range: Range<Int>) -> [Unicode.Scalar] {
    let checkpoint = min(range.lowerBound / SourceLines.stride, line.checkpoints.count - 1)
    var at = line.checkpoints[checkpoint]
    var skip = range.lowerBound - checkpoint * SourceLines.stride
    while skip > 0 && at < line.end {
      at += SourceLines.width(bytes[at])
      skip -= 1
    }
    var result: [Unicode.Scalar] = []
    result.reserveCapacity(range.count)
    var iterator = bytes[at..<line.end].makeIterator()
    var decoder = UTF8()
    while result.count < range.count, case .scalarValue(let scalar) = decoder.decode(&iterator) {
      result.append(scalar)
    }
    return result
  }

  fileprivate static let stride = 1024

  init(_ text: String) {
    bytes = Array(text.utf8)
    for (offset, byte) in bytes.enumerated() where byte == 0x0A { starts.append(offset + 1) }
  }

  fileprivate static func width(_ lead: UInt8) -> Int {
    lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
  }

  /// Line `number` (1-based), or nil past the end of the file.
  func line(_ number: Int) -> Line? {
    guard number >= 1, number <= starts.count else { return nil }
    if let known = indexed[number] { return known }
    var start = starts[number - 1]
    var end = number < starts.count ? starts[number] - 1 : bytes.count
    if end > start && bytes[end - 1] == 0x0D { end -= 1 }
    if end - start >= 3 && bytes[start] == 0xEF && bytes[start + 1] == 0xBB && bytes[start + 2] == 0xBF { start += 3 }
    var checkpoints: [Int] = []
    var count = 0
    for offset in start..<end where bytes[offset] & 0xC0 != 0x80 {
      if count % SourceLines.stride == 0 { checkpoints.append(offset) }
      count += 1
    }
    if checkpoints.isEmpty { checkpoints.append(start) }
    let line = Line(start: start, end: end, scalarCount: count, checkpoints: checkpoints)
    indexed[number] = line
    return line
  }
}
