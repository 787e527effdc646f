import Foundation
import Testing

@testable import PfnSpecLanguage

/// Hostile input gets a bounded answer: at most 50 diagnostics rendered,
/// long lines cut around the caret, control characters escaped, and inputs
/// that used to take quadratic time judged in full (`pfnspec bench check`
/// measures their time and memory).
@Suite("bounded diagnostics")
struct BoundedDiagnosticsTests {
  @Test("50 diagnostics are rendered, then how many more")
  func capped() {
    let set = check(suiteLine + "rule AB-001 \"t\"\n  expect" + String(repeating: " @", count: 25_000) + "\n")
    // A thousand are kept, the rest counted in one E011.
    #expect(set.diagnostics.count == diagnosticsKeptPerStage + 1)
    #expect(set.diagnostics.contains { $0.code == .tooManyDiagnostics && $0.message.hasPrefix("24000 more problems") })
    let text = set.render()
    #expect(text.components(separatedBy: "error[").count - 1 == 50)
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

  @Test("positions are kept in 32 bits: a value past that is held at the maximum, a range is 24 bytes")
  func compactPositions() {
    var position = SourcePosition(line: 3, column: 7, offset: 40)
    position.offset += 3
    #expect(position == SourcePosition(line: 3, column: 7, offset: 43))
    let huge = SourcePosition(line: Int.max, column: 1, offset: 1 << 40)
    #expect(huge.line == Int(UInt32.max) && huge.offset == Int(UInt32.max))
    #expect(MemoryLayout<SourceRange>.size == 24)
  }

  @Test("a caret near the end of a 1 MB line of non-ASCII text sits under its character")
  func windowOfLongNonASCIILine() {
    let set = check(suiteLine + "rule AB-001 \"t\"\n  why \"" + String(repeating: "é", count: 500_000) + "\" @\n")
    let text = set.render()
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    guard let shown = lines.firstIndex(where: { $0.contains("| …") && $0.hasSuffix("\" @") }) else {
      Issue.record("no windowed source line in:\n\(text.prefix(2000))")
      return
    }
    let caret = lines[shown + 1]
    // The caret is under the '@', the last character of the window.
    #expect(caret.unicodeScalars.count == lines[shown].unicodeScalars.count)
    #expect(caret.hasSuffix("^"))
  }

  /// The fuzz target's corpus (`Tests/Fuzz/specs/corpus`): the seeds and
  /// every input that once crashed or answered without bound. `swift test`
  /// replays them with the fuzz target's own test, without libFuzzer.
  static let fuzzCorpus: [String] = {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .appendingPathComponent("../Fuzz/specs/corpus").standardizedFileURL.path
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.sorted().map { directory + "/" + $0 }
  }()

  @Test("every input of the fuzz corpus gets a bounded answer without raw control characters")
  func fuzzCorpusReplays() throws {
    #expect(Self.fuzzCorpus.count >= 20)
    #expect(Self.fuzzCorpus.contains { $0.hasSuffix("/hostile-nbsp.pfnspec") })
    for path in Self.fuzzCorpus {
      let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
      let (file, parsed) = Parser.parse(bytes: bytes, path: "fuzz.pfnspec")
      let diagnostics = parsed + Checker.check(files: [file], vocabulary: testVocabulary, syntaxDiagnostics: parsed)
      let text = DiagnosticRenderer(sources: ["fuzz.pfnspec": String(decoding: bytes, as: UTF8.self)]).render(diagnostics)
      #expect(text.utf8.count <= 256 * 1024, "\(path): \(text.utf8.count) bytes of diagnostics")
      let raw = text.unicodeScalars.first { $0.value < 0x20 && $0 != "\n" && $0 != "\t" }
      #expect(raw == nil, "\(path): a raw control character in the diagnostics")
    }
  }

  /// Their time is measured by `pfnspec bench check`, not here: this test
  /// checks that every line was judged (kept or counted), and the answer is small.
  @Test("1 MB of repeated suite lines and of duplicate rule ids: every repeat is judged, the output bounded")
  func linearOnHostileInput() {
    let rule = "rule AB-001 \"t\"\n  source contract#C1\n  given leaf at pte pfn 0x1\n  call start(vma.start)\n  expect result == 0\n  call end()\n"
    let inputs = [
      (text: String(repeating: "suite a \"t\"\n", count: 1_000_000 / 12), repeats: 1_000_000 / 12 - 1),
      (text: suiteLine + String(repeating: rule, count: 1_000_000 / rule.utf8.count), repeats: 1_000_000 / rule.utf8.count - 1),
    ]
    for input in inputs {
      let set = check(input.text)
      let text = set.render()
      #expect(set.hasErrors)
      #expect(text.utf8.count < 256 * 1024)
      // Each E011 says how many it stands for: kept and counted cover every repeat.
      let counted = set.diagnostics.reduce(0) { total, diagnostic in
        guard diagnostic.code == .tooManyDiagnostics else { return total + 1 }
        return total + (Int(diagnostic.message.prefix { $0.isNumber }) ?? 0)
      }
      #expect(counted >= input.repeats, "\(counted) diagnostics for \(input.repeats) repeats")
      #expect(set.diagnostics.count <= 3 * (diagnosticsKeptPerStage + 1))
    }
  }

  /// 1 MB of each kind of hostile input, generated here; the answer stays
  /// small, and a run of one character or one tag is one diagnostic.
  static let hostile: [(name: String, bytes: [UInt8], runLength: Bool)] = {
    let size = 1 << 20
    let head = Array((suiteLine + "rule AB-001 \"t\"\n  source contract#C1\n  call start(1)\n").utf8)
    func expect(_ body: [UInt8]) -> [UInt8] { head + Array("  expect ".utf8) + body + [0x0A] }
    let rule = "rule AB-001 \"t\"\n  source contract#C1\n  call start(1)\n  expect result != 0\n"
    return [
      ("no-break spaces after expect", expect(Array(String(repeating: "\u{A0}", count: size / 2).utf8)), true),
      ("ESC characters", expect([UInt8](repeating: 0x1B, count: size)), true),
      ("invalid UTF-8", expect([UInt8](repeating: 0xFF, count: size)), true),
      (
        "one tag repeated",
        Array((suiteLine + "rule AB-001 \"t\"\n  source contract#C1\n  tags " + String(repeating: "a ", count: size / 2)
          + "\n  call start(1)\n  expect result != 0\n").utf8), true
      ),
      ("a 1 MB name", expect(Array((String(repeating: "a", count: size) + " == 1").utf8)), false),
      ("deep nesting", expect(Array((String(repeating: "(", count: size / 2) + "1" + String(repeating: ")", count: size / 2)).utf8)), false),
      ("repeated suite lines", Array(String(repeating: "suite s \"t\"\n", count: size / 12).utf8), false),
      ("duplicate rule ids", Array((suiteLine + String(repeating: rule, count: size / rule.utf8.count)).utf8), false),
      ("unknown clauses", Array((suiteLine + "rule AB-001 \"t\"\n" + String(repeating: "  bogus\n", count: size / 8)).utf8), false),
      ("one long operator chain", expect(Array(("1" + String(repeating: " + 1", count: size / 4)).utf8)), false),
    ]
  }()

  @Test("1 MB of every hostile input kind gets a bounded answer", arguments: 0..<10)
  func boundedAnswer(_ which: Int) {
    let input = Self.hostile[which]
    let path = "Specs/test.pfnspec"
    let (file, parsed) = Parser.parse(bytes: input.bytes, path: path)
    let diagnostics = parsed + Checker.check(files: [file], vocabulary: testVocabulary, syntaxDiagnostics: parsed)
    let text = DiagnosticRenderer(sources: [path: String(decoding: input.bytes, as: UTF8.self)]).render(diagnostics)
    #expect(!diagnostics.isEmpty, "\(input.name)")
    #expect(text.utf8.count < 64 * 1024, "\(input.name): \(text.utf8.count) bytes of diagnostics")
    if input.runLength {
      #expect(diagnostics.count <= 4, "\(input.name): a run is one diagnostic, got \(diagnostics.count)")
    }
  }
}
