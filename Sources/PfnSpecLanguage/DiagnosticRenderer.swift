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
    guard diagnostics.count > limit else { return diagnostics.map(render).joined() }
    let ordered = diagnostics.filter { $0.severity == .error } + diagnostics.filter { $0.severity != .error }
    let rest = ordered.dropFirst(limit)
    let errors = rest.count { $0.severity == .error }
    return ordered.prefix(limit).map(render).joined()
      + "... and \(rest.count) more diagnostics (\(errors) errors, \(rest.count - errors) warnings or notes) not shown\n"
  }

  /// Renders one diagnostic; the result ends with a newline.
  public func render(_ diagnostic: Diagnostic) -> String {
    var out = ""
    let severity = paint(
      "\(diagnostic.severity.rawValue)[\(diagnostic.code.rawValue)]", .severity(diagnostic.severity))
    out += "\(paint(Self.escaped(diagnostic.location) + ":", .location)) \(severity): \(paint(Self.escaped(Self.bounded(diagnostic.message)), .message))\n"
    if let range = diagnostic.range {
      out += snippet(file: diagnostic.file, range: range, severity: diagnostic.severity)
    }
    for hint in diagnostic.hints {
      out += "\(gutterPad)= \(paint("help", .help)): \(Self.escaped(Self.bounded(hint)))\n"
    }
    for note in diagnostic.notes {
      if let file = note.file, let range = note.range {
        out += "\(paint("\(file):\(range.start.line):\(range.start.column):", .location)) "
        out += "\(paint("note", .severity(.note))): \(Self.escaped(Self.bounded(note.message)))\n"
        out += snippet(file: file, range: range, severity: .note)
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

  private func snippet(file: String, range: SourceRange, severity: DiagnosticSeverity) -> String {
    guard let text = sources[file], let line = Self.line(range.start.line, of: text) else {
      return ""
    }
    let number = String(range.start.line)
    let gutter = String(repeating: " ", count: max(0, Self.gutterWidth - number.count)) + number
    var scalars = Array(line.unicodeScalars)
    var startColumn = min(max(range.start.column, 1), scalars.count + 1)
    var endColumn =
      range.end.line == range.start.line ? min(range.end.column, scalars.count + 1) : scalars.count + 1
    // A long line is cut to a window around the caret.
    var lead = "", trail = ""
    if scalars.count > lineWidth {
      let first = max(0, min(startColumn - 1 - lineWidth / 3, scalars.count - lineWidth))
      let last = min(scalars.count, first + lineWidth)
      if first > 0 { lead = "…" }
      if last < scalars.count { trail = "…" }
      scalars = Array(scalars[first..<last])
      startColumn -= first
      endColumn = min(endColumn - first, scalars.count + 1)
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

  /// The text of line `number` (1-based), without its line break.
  static func line(_ number: Int, of text: String) -> String? {
    var current = 1
    var lineStart = text.startIndex
    var index = text.startIndex
    let scalars = text.unicodeScalars
    while index < scalars.endIndex {
      if scalars[index] == "\n" {
        if current == number { return trimmed(String(scalars[lineStart..<index])) }
        current += 1
        lineStart = scalars.index(after: index)
      }
      index = scalars.index(after: index)
    }
    return current == number ? trimmed(String(scalars[lineStart..<scalars.endIndex])) : nil
  }

  private static func trimmed(_ line: String) -> String {
    var scalars = Substring(line).unicodeScalars
    if scalars.last == "\r" { scalars.removeLast() }
    if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
    return String(scalars)
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
