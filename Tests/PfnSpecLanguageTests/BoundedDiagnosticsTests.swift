import Foundation
import Testing

@testable import PfnSpecLanguage

/// Hostile input gets a bounded answer: at most 50 diagnostics rendered,
/// long lines cut around the caret, control characters escaped, and inputs
/// that used to take quadratic time checked in a few seconds.
@Suite("bounded diagnostics")
struct BoundedDiagnosticsTests {
  @Test("50 diagnostics are rendered, then how many more")
  func capped() {
    let set = check(suiteLine + "rule AB-001 \"t\"\n  expect" + String(repeating: "\u{A0}", count: 25_000) + "\n")
    #expect(set.diagnostics.count > 1000)
    let text = set.render()
    #expect(text.components(separatedBy: "error[E002]").count - 1 == 50)
    #expect(text.contains("... and \(set.diagnostics.count - 50) more diagnostics"))
    #expect(text.utf8.count < 64 * 1024, "was \(text.utf8.count) bytes")
  }

  @Test("a long source line is cut to a window around the caret, the caret still under its column")
  func longLineWindow() {
    let prefix = String(repeating: "x", count: 5_000)
    let set = check(suiteLine + "rule AB-001 \"t\"\n  why \"" + prefix + "\" pfm\n")
    let text = set.render()
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.allSatisfy { $0.unicodeScalars.count < 200 }, "\(lines.map(\.count))")
    #expect(lines.contains { $0.contains(" | …xxx") }, "the line is cut with a mark")
    if let source = lines.firstIndex(where: { $0.contains(" | ") && $0.contains("pfm") }), source + 1 < lines.count,
      let caret = Array(lines[source + 1].unicodeScalars).firstIndex(of: "^")
    {
      let sourceLine = Array(lines[source].unicodeScalars)
      #expect(String(String.UnicodeScalarView(sourceLine[caret..<min(sourceLine.count, caret + 3)])) == "pfm")
    } else {
      Issue.record("no source line with a caret: \(text)")
    }
  }

  @Test("control characters and line separators are shown escaped in diagnostics")
  func controlCharactersEscaped() {
    let set = check(suiteLine + "rule AB-001 \"t\"\n  expect \u{1B}[2J\u{2028} boom\n")
    let text = set.render()
    #expect(!text.contains("\u{1B}"))
    #expect(!text.contains("\u{2028}"))
    #expect(text.contains("\\u{1B}[2J"))
  }

  @Test("1 MB of repeated suite lines and of duplicate rule ids check in a few seconds, output bounded")
  func linearOnHostileInput() {
    let rule = "rule AB-001 \"t\"\n  source contract#C1\n  given leaf at pte pfn 0x1\n  call start(vma.start)\n  expect result == 0\n  call end()\n"
    let inputs = [
      String(repeating: "suite a \"t\"\n", count: 1_000_000 / 12),
      suiteLine + String(repeating: rule, count: 1_000_000 / rule.utf8.count),
    ]
    for input in inputs {
      let clock = ContinuousClock()
      let began = clock.now
      let set = check(input)
      let text = set.render()
      let elapsed = clock.now - began
      #expect(set.hasErrors)
      #expect(text.utf8.count < 256 * 1024)
      #expect(elapsed < .seconds(20), "a 1 MB input took \(elapsed)")
    }
  }
}
