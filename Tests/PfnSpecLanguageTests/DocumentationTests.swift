import Foundation
import Testing
@testable import PfnSpecLanguage

/// Keeps docs/rule-language.md in step with the code.
@Suite("Documentation")
struct DocumentationTests {
  static let document: String? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
      .deletingLastPathComponent().deletingLastPathComponent()
    return try? String(contentsOf: root.appendingPathComponent("docs/rule-language.md"), encoding: .utf8)
  }()

  @Test func listsEveryDiagnosticCode() throws {
    let document = try #require(Self.document)
    for code in DiagnosticCode.allCases {
      // Table cells escape '|'.
      let summary = code.summary.replacingOccurrences(of: "|", with: "\\|")
      let row = "| `\(code.rawValue)` | \(code.severity.rawValue) | \(summary) |"
      #expect(document.contains(row), "\(code)")
    }
  }

  @Test func grammarNamesEveryClause() throws {
    let document = try #require(Self.document)
    for keyword in Parser.clauseKeywords {
      #expect(document.contains("\"\(keyword)\""), "\(keyword)")
    }
  }

  @Test func examplesParse() throws {
    let document = try #require(Self.document)
    let blocks = document.components(separatedBy: "```\n").filter { $0.hasPrefix("suite ") }
    #expect(blocks.count == 2)
    for block in blocks {
      let (file, diagnostics) = Parser.parse(source: block, path: "example")
      #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
      #expect(file.rules.count == 1)
      // The checker too. The test vocabulary is smaller than the engine's (the
      // runner's TutorialTests check these examples against the real one), so
      // only diagnostics about names it may lack are allowed here.
      let vocabularyDependent: Set<DiagnosticCode> = [
        .unknownName, .unknownFunction, .unknownSubject, .unknownAttribute, .unknownMember, .wrongContext,
        .needsCall, .typeMismatch, .missingAttribute,
      ]
      let checked = Checker.check(files: [file], vocabulary: testVocabulary, syntaxDiagnostics: diagnostics)
      let problems = checked.filter { !vocabularyDependent.contains($0.code) }
      #expect(problems.isEmpty, "\(problems.map { "\($0.code) \($0.message)" })")
    }
  }
}
