import Testing
@testable import PfnSpecLanguage

/// SplitMix64: a small seeded generator so failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Parses, checks and renders bytes, and checks that every diagnostic points inside the file.
func survive(_ bytes: [UInt8]) {
  let (file, parseDiagnostics) = Parser.parse(bytes: bytes, path: "fuzz")
  let diagnostics =
    parseDiagnostics
    + Checker.check(files: [file], vocabulary: testVocabulary, syntaxDiagnostics: parseDiagnostics)
  let text = String(decoding: bytes, as: UTF8.self)
  let lineCount = text.unicodeScalars.count { $0 == "\n" } + 1
  for diagnostic in diagnostics {
    if let range = diagnostic.range {
      #expect(range.start.line >= 1 && range.start.line <= lineCount)
      #expect(range.start <= range.end)
    }
  }
  // Every diagnostic up to the renderer's limit is rendered once, with its
  // header line (text from the file escaped), the rest counted; a diagnostic
  // with a range quotes its line with a caret.
  let renderer = DiagnosticRenderer(sources: ["fuzz": text])
  let rendered = renderer.render(diagnostics)
  let shown = diagnostics.count > renderer.limit
    ? Array((diagnostics.filter { $0.severity == .error } + diagnostics.filter { $0.severity != .error }).prefix(renderer.limit))
    : diagnostics
  for diagnostic in shown {
    let header = "\(DiagnosticRenderer.escaped(diagnostic.location)): \(diagnostic.severity.rawValue)[\(diagnostic.code)]: \(DiagnosticRenderer.escaped(diagnostic.message))\n"
    #expect(rendered.contains(header), "missing header for \(diagnostic.code)")
  }
  let headers = rendered.split(separator: "\n").filter { $0.hasPrefix("fuzz:") && $0.contains("]: ") }
  #expect(headers.count == shown.count, "\(rendered)")
  if diagnostics.count > renderer.limit {
    #expect(rendered.contains("... and \(diagnostics.count - renderer.limit) more diagnostics"))
  }
  if diagnostics.contains(where: { $0.range != nil }) {
    #expect(rendered.contains("^"), "no caret in \(rendered)")
  }
  #expect(diagnostics.isEmpty == rendered.isEmpty)
}

@Suite("Robustness")
struct RobustnessTests {
  @Test func randomBytes() {
    var random = SeededGenerator(state: 1)
    let alphabet = Array(" \t\n\r#\"\\<>(){},.|&=!-+*/%~_0123456789xKabcdefzLT@é\u{A0}".utf8)
    for round in 0..<400 {
      let length = Int.random(in: 0..<200, using: &random)
      let bytes = (0..<length).map { _ in
        round.isMultiple(of: 2)
          ? UInt8.random(in: 0...255, using: &random) : alphabet.randomElement(using: &random)!
      }
      survive(bytes)
    }
  }

  @Test func mutationsOfTheExample() {
    var random = SeededGenerator(state: 2)
    let original = Array(exampleSpec.utf8)
    let fragments = [
      "(", ")", "{", "}", "\"", "#", "\\", "\n", "rule", "suite", "given", "call", "expect", " and ",
      " not ", " in ", "<", ">", "0x", "99999999999999999999", "6.", "\u{201C}", ",", ".", "=",
    ].map { Array($0.utf8) }
    for _ in 0..<600 {
      var bytes = original
      for _ in 0..<Int.random(in: 1...6, using: &random) {
        let at = Int.random(in: 0...bytes.count, using: &random)
        switch Int.random(in: 0..<4, using: &random) {
        case 0: bytes.insert(contentsOf: fragments.randomElement(using: &random)!, at: at)
        case 1 where at < bytes.count:
          bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &random)))
        case 2 where at < bytes.count: bytes[at] = UInt8.random(in: 0...255, using: &random)
        default:
          // Duplicate a stretch, to create repeated rules, clauses and attributes.
          let end = min(bytes.count, at + Int.random(in: 1...60, using: &random))
          bytes.insert(contentsOf: bytes[at..<end], at: end)
        }
      }
      survive(bytes)
    }
  }

  /// An expression built by repeating a fragment, named briefly for the test log.
  struct Hostile: Sendable, CustomTestStringConvertible {
    var name: String
    var text: String
    var testDescription: String { name }
  }

  @Test(
    "hostile nesting and length",
    arguments: [
      Hostile(name: "parentheses", text: String(repeating: "(", count: 5000)),
      Hostile(name: "not", text: String(repeating: "not ", count: 5000) + "x"),
      Hostile(name: "negation", text: String(repeating: "- ", count: 5000) + "1"),
      Hostile(name: "braces", text: String(repeating: "{", count: 5000)),
      Hostile(name: "sum", text: "1" + String(repeating: " + 1", count: 5000)),
      Hostile(name: "members", text: "a" + String(repeating: ".b", count: 5000)),
      Hostile(name: "calls", text: String(repeating: "f(", count: 3000)),
      Hostile(name: "list", text: "{" + String(repeating: "1, ", count: 3000) + "1}"),
      Hostile(name: "implies", text: String(repeating: "x implies ", count: 3000) + "x"),
    ])
  func hostileExpressions(_ hostile: Hostile) {
    let set = check(ruleHead + "  call end()\n  expect " + hostile.text + "\n")
    #expect(set.diagnostics.contains { $0.code == .expressionTooComplex })
  }

  @Test func emptyAndBlankFiles() {
    for text in ["", "\n\n", "# only a comment", "\u{FEFF}", "\\", "rule", "suite", "\"", "<"] {
      survive(Array(text.utf8))
    }
  }
}
