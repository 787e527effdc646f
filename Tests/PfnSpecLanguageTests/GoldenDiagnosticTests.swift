import Foundation
import Testing
@testable import PfnSpecLanguage

/// One diagnostic code, a file that triggers it, and the full rendered output.
struct GoldenCase: Sendable, CustomTestStringConvertible {
  var code: String
  var suite: Bool
  var source: String
  var vocabulary: Vocabulary

  init(_ code: String, suite: Bool, _ source: String, vocabulary: Vocabulary = testVocabulary) {
    self.code = code
    self.suite = suite
    self.source = source
    self.vocabulary = vocabulary
  }

  var testDescription: String { code }
}

let goldenCases: [GoldenCase] = [
    GoldenCase("E002", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  given leaf at\u{00A0}pmd\n  call start(0x1000) @\n  expect result == 0\n"),
    GoldenCase("E003", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  why \"unterminated\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E004", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  why \"bad \\q escape\"\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E005", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(12abc)\n  expect result == 0\n"),
    GoldenCase("E006", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(0x1_0000_0000_0000_0000)\n  expect result == 0\n"),
    GoldenCase("E007", suite: true, "rule A-1 \"t\"\n  source msg <abc@example.com\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E008", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expect result = 0 && not lockdep_warned\n"),
    GoldenCase("E101", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expct result == 0\n  expect result == 0\n"),
    GoldenCase("E102", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expect result ==\n"),
    GoldenCase("E103", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1, 2\n  expect result == 0\n"),
    GoldenCase("E104", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expect result == 0 held == none\n"),
    GoldenCase("E105", suite: true, "rule 1-A \"t\"\n  source contract#C1\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E106", suite: false, "suite \"t\"\n"),
    GoldenCase("E107", suite: true, "suite again \"t\"\n"),
    GoldenCase("E108", suite: true, "  given vma flags IO\n"),
    GoldenCase("E109", suite: true, "rule A-1 \"t\"\n  source commit xyz\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E110", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expect ((((((((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))))))))) == result\n"),
    GoldenCase("E111", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expect vma.start(1) == 0\n"),
    GoldenCase("E112", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expect 1 < result < 3\n"),
    GoldenCase("E201", suite: false, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E202", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  given leef at pmd\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E203", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  given leaf at pmd pfm 0x12345\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E204", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  given entry at pmd\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E205", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  given vma flags IO\n  given vma flags PFNMAP\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E206", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  given leaf at pmd at pud\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E207", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call stat(1)\n  expect result == 0\n"),
    GoldenCase("E208", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expect lock_off(pmd) == held\n"),
    GoldenCase("E209", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expect reslt == 0\n"),
    GoldenCase("E210", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(vma.strt)\n  expect result == 0\n"),
    GoldenCase("E211", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start()\n  expect result == 0\n"),
    GoldenCase("E212", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  requires result == 0\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E213", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(expected.pfn)\n  expect result == 0\n"),
    GoldenCase("E214", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  expect held == none\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E216", suite: true, "rule A-1 \"t\"\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E217", suite: true, "rule A-1 \"t\"\n  source contract#C41\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E218", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  for pmd in leaf_levels\n  given leaf at pmd\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E219", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  given leaf at IO\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E220", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  given vma flags IO\n  expect result == 0\n"),
    GoldenCase("E221", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  given schedule { after pmd_lok: zap pmd }\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E222", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  given schedule {\n    before read_pmd#0: zap pmd\n  }\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("E223", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  given schedule { after pmd_lock: zapp pmd; before end: remap pte }\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("W301", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  for level in {}\n  given leaf at level\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("W302", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n"),
    GoldenCase("W303", suite: true, "rule A-1 \"t\"\n  tags lifetime locking lifetime\n  source contract#C1\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("W304", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  for level in leaf_levels\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("W305", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  source contract#C1\n  call start(1)\n  expect result == 0\n")
,
    GoldenCase("W307", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  requires api >= 6.12\n  call start(1)\n  expect result == 0 implies outputs.addr_mask == 0\n"),
    GoldenCase("W308", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(vma.start)\n  expect vma.start < vma.end\n"),
    GoldenCase("W309", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  for level in {pmd}\n  given leaf at level\n  call start(1)\n  expect result == 0\n"),
    GoldenCase("W310", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expect result == 0 implies outputs.pfn == outputs.pfn\n"),
    // The lint: rules that are well-formed but cannot mean what they say.
    GoldenCase("W312", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expect result == 0\n  call end()\n  expect held == none and pfn == expected.pfn\n", vocabulary: lintVocabulary),
    GoldenCase("W313", suite: true, "rule A-1 \"t\"\n  source contract#C15\n  call start(1)\n  expect result == 0\n  expect held != none\n", vocabulary: lintVocabulary),
    GoldenCase("W314", suite: true, "rule A-1 \"t\"\n  source contract#C15\n  call start(1)\n  expect result != 0\n  call end()\n  expect held == none\n", vocabulary: lintVocabulary),
    GoldenCase("W315", suite: true, "rule A-1 \"t\"\n  source contract#C1\n  requires arch == \"x86-64\" or arch == \"sparc64\"\n  call start(1)\n  expect result == 0\n  call end()\n", vocabulary: lintVocabulary),
    GoldenCase("W316", suite: true, "rule A-1 \"t\"\n  source contract#C999\n  call start(1)\n  expect result == 0\n  call end()\n\nrule A-2 \"t\"\n  source contract#C998\n  call start(1)\n  expect result == 0\n  call end()\n", vocabulary: noContractVocabulary),
]

/// W311 comes from running the mutants, not from the checker: the golden file
/// shows the rule, and the diagnostic that `pfnspec mutants` builds for it.
let killsNoMutantSource = "rule A-1 \"weak\"\n  source contract#C1\n  call start(1)\n  expect result == 0 or result != 0\n"

/// Codes whose golden output cannot be a snapshot, each with the test that covers it instead.
let codesWithoutSnapshot: [String: String] = [
  "E011": "BoundedDiagnosticsTests: it needs more than a thousand problems in one file",
  "W317": "PfnSpecRunnerTests (RuleCapsTests): the caps are the planner's, which the language does not have",
  "W306": "CheckerTests: an empty directory's path is a temporary folder, different on every run",
]

/// Golden outputs are files in `Snapshots/`, one per code; on a difference the
/// failure shows a line diff. Re-record them with
/// `RECORD_SNAPSHOTS=1 swift test --filter Golden` and review the change with git.
@Suite("Golden diagnostics")
struct GoldenDiagnosticTests {
  @Test(arguments: goldenCases)
  func rendersDiagnostic(_ golden: GoldenCase) throws {
    let set = check((golden.suite ? suiteLine : "") + golden.source, vocabulary: golden.vocabulary)
    let rendered = set.render()
    #expect(set.diagnostics.contains { $0.code.rawValue == golden.code }, "\(rendered)")
    try assertSnapshot(rendered, named: golden.code)
  }

  @Test func rendersKillsNoMutant() throws {
    let set = check(suiteLine + killsNoMutantSource)
    #expect(set.diagnostics.isEmpty, "\(set.render())")
    let rule = try #require(set.rules.first)
    let diagnostic = Diagnostic.killsNoMutant(rule: rule, file: "Specs/test.pfnspec", mutants: 17)
    #expect(diagnostic.code == .killsNoMutant && diagnostic.severity == .warning)
    let rendered = DiagnosticRenderer(sources: set.sources).render([diagnostic])
    try assertSnapshot(rendered, named: "W311")
  }

  /// Invalid UTF-8 is read from bytes, so it goes through the parser's byte entry point.
  @Test func rendersInvalidUTF8() throws {
    let path = "Specs/test.pfnspec"
    let bytes = Array((suiteLine + "rule A-1 \"t").utf8) + [0xFF] + Array("\"\n  source contract#C1\n  call start(1)\n  expect result == 0\n".utf8)
    let (file, diagnostics) = Parser.parse(bytes: bytes, path: path)
    let all = diagnostics + Checker.check(files: [file], vocabulary: testVocabulary, syntaxDiagnostics: diagnostics)
    #expect(all.contains { $0.code == .invalidUTF8 })
    let rendered = DiagnosticRenderer(sources: [path: String(decoding: bytes, as: UTF8.self)]).render(all)
    try assertSnapshot(rendered, named: "E001")
  }

  /// An unreadable path has no source to quote.
  @Test func rendersUnreadablePath() throws {
    let set = SpecLoader.load(paths: ["Specs/does-not-exist.pfnspec"], vocabulary: testVocabulary)
    #expect(set.diagnostics.map(\.code) == [.unreadablePath])
    try assertSnapshot(set.render(), named: "E010")
  }

  /// Duplicate ids point at the first definition in another file.
  @Test func rendersDuplicateRuleID() throws {
    let rule = "rule A-1 \"t\"\n  source contract#C1\n  call start(1)\n  expect result == 0\n"
    let set = SpecLoader.load(
      sources: [("Specs/a.pfnspec", suiteLine + rule), ("Specs/b.pfnspec", "suite other \"t\"\n" + rule)],
      vocabulary: testVocabulary)
    #expect(set.diagnostics.contains { $0.code == .duplicateRuleID })
    try assertSnapshot(set.render(), named: "E215")
  }

  /// Every code has a snapshot (or a stated reason why not), and every snapshot
  /// belongs to a code: derived from the codes and the files, not from a list.
  @Test func everyCodeHasASnapshot() throws {
    let files = try snapshotNames()
    let codes = Set(DiagnosticCode.allCases.map(\.rawValue))
    let missing = codes.subtracting(files).subtracting(codesWithoutSnapshot.keys)
    #expect(missing.isEmpty, "codes without a golden snapshot: \(missing.sorted())")
    let stale = files.subtracting(codes)
    #expect(stale.isEmpty, "snapshots of no code: \(stale.sorted())")
    #expect(Set(codesWithoutSnapshot.keys).isDisjoint(with: files))
    for name in files {
      let code = try #require(DiagnosticCode(code: name))
      let text = try String(contentsOfFile: snapshotPath(name), encoding: .utf8)
      #expect(text.contains("[\(code.rawValue)]"), "the \(name) snapshot shows no \(name) diagnostic")
    }
  }

  /// The line diff shown on a mismatch marks what is missing and what is new.
  @Test func lineDiffMarksChanges() {
    let diff = lineDiff(expected: "a\nb\nc\n", actual: "a\nB\nc\n")
    #expect(diff == "  a\n- b\n+ B\n  c\n  ")
  }
}
