import Foundation
import Testing
@testable import PfnSpecLanguage

/// A rule head with a source, so each test adds only what it is about.
let ruleHead = suiteLine + "rule A-1 \"t\"\n  source contract#C1\n"

func codes(_ set: SpecSet) -> [String] { set.diagnostics.map(\.code.rawValue) }

@Suite("Checker")
struct CheckerTests {
  @Test func threeMistakesGiveThreeLocatedDiagnostics() {
    let marked = Marked(
      """
      suite lifetime "t"
      rule LT-001 "t"
        source contract#C14
        given leaf at pmd 1️⃣pfm 0x1
        call 2️⃣stat(1)
        expect 3️⃣reslt == 0
      """)
    let set = check(marked.text)
    #expect(codes(set) == ["E203", "E207", "E209"])
    #expect(set.diagnostics.map { $0.range?.start } == [marked.markers[1], marked.markers[2], marked.markers[3]])
    #expect(set.diagnostics.map(\.fixIt?.replacement) == ["pfn", "start", "result"])
  }

  @Test func tenKindsOfErrorsInOneFile() {
    let text = """
      suite lifetime "t"
      rule LT-001 "t"
        source contract#C41
        given leef at pmd
        given leaf at IO pfm 1
        call start(1 2)
        call stat()
        expect result = 0
        expct held == none
        expect reslt == 0
      rule LT-001 "again"
        source commit 12
        requires result == 0
        call end()
        expect "x" == 1 < 2 < 3
      """
    let set = check(text)
    let expected = [
      "E217", "E202", "E219", "E203", "E103", "E207", "E008", "E101", "E209",
      "E215", "E109", "E212", "E112",
    ]
    #expect(codes(set) == expected, "\(set.render())")
    #expect(Set(codes(set)).count >= 10)
    #expect(set.hasErrors && set.errorCount == expected.count)
  }

  @Test func duplicateRuleIDsAcrossFilesPointAtTheFirst() {
    let rule = "rule LT-001 \"t\"\n  source contract#C1\n  call end()\n  expect result == 0\n"
    let set = SpecLoader.load(
      sources: [("Specs/a.pfnspec", suiteLine + rule), ("Specs/b.pfnspec", suiteLine + "\n" + rule)],
      vocabulary: testVocabulary)
    #expect(
      set.render() == """
        Specs/b.pfnspec:3:6: error[E215]: duplicate rule id 'LT-001'
            3 | rule LT-001 "t"
              |      ^~~~~~
              = help: rule ids are unique across all spec files
        Specs/a.pfnspec:2:6: note: 'LT-001' is first defined here
            2 | rule LT-001 "t"
              |      ^~~~~~

        """)
  }

  @Test(
    "names outside their context or before a call",
    arguments: [
      ("requires result == 0\n  call end()\n  expect result == 0", ["E212"]),
      ("call end()\n  expect api >= 6.12", ["E212"]),
      ("for a in random(2, 2, 3)\n  given leaf at pmd pfn a\n  call start(a)\n  expect result == 0", []),
      ("call start(1)\n  expect random(1, 2, 3) == {}", ["E212"]),
      ("call start(expected.pfn)\n  expect result == 0", ["E213"]),
      ("expect result == 0\n  call end()", ["E214"]),
      ("call end()\n  expect result == 0\n  given vma flags IO", ["E220"]),
    ])
  func contexts(body: String, expected: [String]) {
    let set = check(ruleHead + "  " + body + "\n")
    #expect(codes(set) == expected, "\(set.render())")
  }

  @Test(
    "types",
    arguments: [
      ("expect result == true", ["E219"]),
      ("expect result", ["E219"]),
      ("expect held == lock_of(3)", ["E219"]),
      ("expect result == 0 and 1", ["E219"]),
      ("expect not result", ["E219"]),
      ("expect -lockdep_warned == 0", ["E219"]),
      ("expect result in {pte, pmd}", ["E219"]),
      ("expect result in 3", ["E219"]),
      ("expect {pte, 3} == {}", ["E219"]),
      ("expect held < none", ["E219"]),
      ("expect result + 1 == (1 << 3) % 2", []),
      ("expect outputs.pfn == expected.pfn and outputs.writable", []),
      ("expect outputs.pfm == 0", ["E210"]),
      ("expect result.x == 0", ["E210"]),
      ("expect lock_of(pmd, pud) == held", ["E211"]),
      ("expect level(1) == 0", ["E208"]),
      ("expect lock_of == held", ["E209"]),
      ("expect start(1) == 0", ["E208"]),
      ("expect held == none | lock_of(pmd)", []),
      ("expect (IO | held) == none", ["E219"]),
    ])
  func types(line: String, expected: [String]) {
    let set = check(ruleHead + "  call start(1)\n  " + line + "\n")
    #expect(codes(set) == expected, "\(set.render())")
  }

  @Test func forVariablesTakeTheElementTypeAndMustNotShadow() {
    let set = check(
      ruleHead + """
          for level in leaf_levels
          for level in {pte, pmd}
          for n in 3
          given leaf at level pfn level
          call start(1)
          expect result == 0

        """)
    #expect(codes(set) == ["E218", "W304", "E219", "E219"], "\(set.render())")
    #expect(set.diagnostics[0].notes.first?.range?.start.line == 4)
  }

  @Test func givenChecks() {
    let set = check(
      ruleHead + """
          given vma flags IO|PFNMAP file false
          given leaf at pmd
          given leaf at pud writable 1
          given caller
          given entry at pte state swap
          call start(1)
          expect result == 0

        """)
    #expect(codes(set) == ["E219", "E204"], "\(set.render())")
  }

  @Test func anchorsAreNotCheckedWithoutAContractDocument() {
    var vocabulary = testVocabulary
    vocabulary.contractAnchors = []
    let set = SpecLoader.load(
      sources: [("a", suiteLine + "rule A-1 \"t\"\n  source contract#ANY\n  call end()\n  expect result == 0\n")],
      vocabulary: vocabulary)
    // Accepted, with a warning that says so (W316).
    #expect(set.diagnostics.map(\.code) == [.uncheckedAnchor], "\(set.render())")
  }

  @Test func renderingUsesColourOnlyWhenAsked() {
    let set = check(ruleHead + "  call stat(1)\n  expect result == 0\n")
    #expect(!set.render().contains("\u{1B}["))
    #expect(set.render(color: true).contains("\u{1B}[1;31merror[E207]"))
  }

  @Test func everyCodeHasAnExplanationAndAGroup() {
    for code in DiagnosticCode.allCases {
      #expect(!code.summary.isEmpty)
      #expect(!code.summary.hasSuffix("."))
      let group = code.rawValue.dropFirst().first
      switch code.severity {
      case .warning: #expect(code.rawValue.hasPrefix("W3"))
      default: #expect(code.rawValue.hasPrefix("E") && ["0", "1", "2"].contains(group))
      }
    }
    #expect(DiagnosticCode(code: "e203") == .unknownAttribute)
    #expect(Set(DiagnosticCode.allCases.map(\.rawValue)).count == DiagnosticCode.allCases.count)
  }
}

@Suite("Loader")
struct LoaderTests {
  /// A fresh directory under the temporary directory, removed by the caller.
  func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "pfnspec-language-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  @Test func loadsDirectoriesSortedAndReportsBadPaths() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let rule = { (id: String) in "rule \(id) \"t\"\n  source contract#C1\n  call end()\n  expect result == 0\n" }
    try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
    try ("suite b \"b\"\n" + rule("B-1")).write(toFile: directory + "/sub/b.pfnspec", atomically: true, encoding: .utf8)
    try ("suite a \"a\"\n" + rule("A-1")).write(toFile: directory + "/a.pfnspec", atomically: true, encoding: .utf8)
    try "ignored".write(toFile: directory + "/notes.txt", atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(atPath: directory + "/empty", withIntermediateDirectories: true)

    let set = SpecLoader.load(
      paths: [directory, directory + "/missing.pfnspec", directory + "/empty"], vocabulary: testVocabulary)
    #expect(set.files.map(\.suiteName) == ["a", "b"])
    #expect(set.rules.map(\.id.value) == ["A-1", "B-1"])
    #expect(set.rule(id: "B-1")?.file.path == directory + "/sub/b.pfnspec")
    #expect(codes(set) == ["E010", "W306"])
    #expect(
      DiagnosticRenderer(sources: [:]).render(set.diagnostics.filter { $0.code == .unreadablePath })
        == "\(directory)/missing.pfnspec: error[E010]: no such file or directory '\(directory)/missing.pfnspec'\n")
    #expect(set.render().contains("warning[W306]: no '.pfnspec' files in '\(directory)/empty'"))
  }

  @Test func invalidUTF8IsReportedOnceAndDecodedLossily() throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let bytes =
      Array((suiteLine + "rule A-1 \"t").utf8) + [0xFF]
      + Array("\"\n  source contract#C1\n  call end()\n  expect result == 0 ".utf8) + [0xFE, 0xFF, 0x0A]
    let path = directory + "/bad.pfnspec"
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    let set = SpecLoader.load(paths: [path], vocabulary: testVocabulary)
    #expect(codes(set) == ["E001"], "\(set.render())")
    #expect(
      set.render() == """
        \(path):2:12: error[E001]: file is not valid UTF-8 (3 invalid sequences)
            2 | rule A-1 "t\u{FFFD}"
              |            ^
              = help: save the file as UTF-8; invalid bytes are read as U+FFFD

        """)
  }
}
