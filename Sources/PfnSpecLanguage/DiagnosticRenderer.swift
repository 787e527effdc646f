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
  /// Whether to colour with ANSI escapes.
  public var color: Bool

  public init(sources: [String: String], color: Bool = false) {
    self.sources = sources
    self.color = color
  }

  /// Renders several diagnostics, one after the other.
  public func render(_ diagnostics: [Diagnostic]) -> String {
    diagnostics.map(render).joined()
  }

  /// Renders one diagnostic; the result ends with a newline.
  public func render(_ diagnostic: Diagnostic) -> String {
    var out = ""
    let severity = paint(
      "\(diagnostic.severity.rawValue)[\(diagnostic.code.rawValue)]", style(for: diagnostic.severity))
    out += "\(paint(diagnostic.location + ":", bold)) \(severity): \(paint(diagnostic.message, bold))\n"
    if let range = diagnostic.range {
      out += snippet(file: diagnostic.file, range: range, severity: diagnostic.severity)
    }
    for hint in diagnostic.hints {
      out += "\(gutterPad)= \(paint("help", cyan)): \(hint)\n"
    }
    for note in diagnostic.notes {
      if let file = note.file, let range = note.range {
        out += "\(paint("\(file):\(range.start.line):\(range.start.column):", bold)) "
        out += "\(paint("note", style(for: .note))): \(note.message)\n"
        out += snippet(file: file, range: range, severity: .note)
      } else {
        out += "\(gutterPad)= \(paint("note", style(for: .note))): \(note.message)\n"
      }
    }
    return out
  }

  private static let gutterWidth = 5
  private var gutterPad: String { String(repeating: " ", count: Self.gutterWidth + 1) }

  private func snippet(file: String, range: SourceRange, severity: DiagnosticSeverity) -> String {
    guard let text = sources[file], let line = Self.line(range.start.line, of: text) else {
      return ""
    }
    let number = String(range.start.line)
    let gutter = String(repeating: " ", count: max(0, Self.gutterWidth - number.count)) + number
    let scalars = Array(line.unicodeScalars)
    let startColumn = min(max(range.start.column, 1), scalars.count + 1)
    let endColumn =
      range.end.line == range.start.line ? min(range.end.column, scalars.count + 1) : scalars.count + 1
    let width = max(1, endColumn - startColumn)
    // Keep tabs in the padding so the carets line up under tabbed source.
    let padding = String(String.UnicodeScalarView(scalars.prefix(startColumn - 1).map { $0 == "\t" ? "\t" : " " }))
    let marker = "^" + String(repeating: "~", count: width - 1)
    var out = "\(paint(gutter + " |", blue)) \(line)\n"
    out += "\(paint(gutterPad + "|", blue)) \(padding)\(paint(marker, style(for: severity)))\n"
    return out
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

  // MARK: Colour

  private var bold: String { "\u{1B}[1m" }
  private var cyan: String { "\u{1B}[1;36m" }
  private var blue: String { "\u{1B}[34m" }

  private func style(for severity: DiagnosticSeverity) -> String {
    switch severity {
    case .error: "\u{1B}[1;31m"
    case .warning: "\u{1B}[1;33m"
    case .note: "\u{1B}[1;36m"
    }
  }

  private func paint(_ text: String, _ style: String) -> String {
    color ? style + text + "\u{1B}[0m" : text
  }
}
