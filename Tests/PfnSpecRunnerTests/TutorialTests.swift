import PfnReports
import Foundation
import PfnModel
import PfnResults
import PfnSpecLanguage
import PfnWalkers
import Testing

@testable import PfnSpecRunner

/// docs/writing-rules.md, run as written: its rule must behave as the page says.
@Suite("The tutorial's rule")
struct TutorialTests {
  /// The page's code blocks that are spec files (they start with a `suite` line), in order.
  static let specBlocks: [String] = {
    let path = packageRoot + "/docs/writing-rules.md"
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
    return text.components(separatedBy: "```\n").filter { $0.hasPrefix("suite ") }
  }()

  @Test("the first draft has exactly the typo the page shows, at the place it shows")
  func draftHasTheTypo() throws {
    let draft = try #require(Self.specBlocks.first)
    let set = specs(draft, path: "my-rules/first.pfnspec")
    #expect(set.diagnostics.map(\.code) == [.unknownName])
    let rendered = set.render()
    #expect(rendered.contains("my-rules/first.pfnspec:9:10: error[E209]: unknown name 'maped'"), "\(rendered)")
    #expect(rendered.contains("= help: did you mean 'mapped'?"))
  }

  @Test("the finished rule checks clean, passes the reference and relaxed walkers, and fails end-skips-unmap")
  func finishedRule() throws {
    #expect(Self.specBlocks.count == 2)
    let finished = try #require(Self.specBlocks.last)
    let set = specs(finished, path: "my-rules/first.pfnspec")
    #expect(set.diagnostics.isEmpty, "\(set.render())")
    #expect(set.rules.map(\.id.value) == ["MY-001"])

    let passing = try run(set, walkers: [ReferenceWalker(), RelaxedWalker()], arches: Architectures.all)
    #expect(passing.count == 2 * Architectures.all.count)
    for verdict in passing where verdict.outcome != .pass {
      Issue.record("\(verdict.identity.key) \(verdict.identity.caseName): \(verdict.message)")
    }

    let mutant = try run(set, walkers: [ReferenceWalker(mutation: .endSkipsUnmap)], arches: Architectures.all)
    #expect(!mutant.isEmpty)
    #expect(mutant.allSatisfy { $0.outcome == .fail })
    #expect(mutant.first?.message.contains("'mapped == 0' is false: mapped = 1, 0 = 0") == true, "\(mutant.first?.message ?? "")")
  }
}

/// The rule examples of the other pages, checked against the engine's vocabulary.
@Suite("The documentation's rule examples")
struct DocumentationExampleTests {
  /// The spec-file code blocks of a page (they start with a `suite` line).
  static func specBlocks(_ page: String) -> [String] {
    guard let text = try? String(contentsOfFile: packageRoot + "/" + page, encoding: .utf8) else { return [] }
    return text.components(separatedBy: "```\n").filter { $0.hasPrefix("suite ") }
  }

  @Test("docs/rule-language.md's examples check clean", arguments: specBlocks("docs/rule-language.md"))
  func ruleLanguageExample(_ block: String) {
    let set = specs(block, path: "example.pfnspec")
    #expect(set.diagnostics.isEmpty, "\(set.render())")
    #expect(set.rules.count == 1)
  }

  @Test("the README's rule example is a shipped rule, clause for clause")
  func readmeExample() throws {
    let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
    let lines = readme.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    let start = try #require(lines.firstIndex { $0.hasPrefix("rule ") })
    let end = lines[start...].firstIndex { $0.hasPrefix("```") } ?? lines.count
    let example = Array(lines[start..<end])
    let id = try #require(example.first?.split(separator: " ").dropFirst().first.map(String.init))
    let shipped = try String(contentsOfFile: packageRoot + "/Specs/huge.pfnspec", encoding: .utf8)
      .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    let first = try #require(shipped.firstIndex { $0.hasPrefix("rule \(id) ") })
    let next = shipped[(first + 1)...].firstIndex { $0.hasPrefix("rule ") || $0.isEmpty } ?? shipped.count
    // Every line of the example appears in the shipped rule, in the same order.
    var rest = shipped[first..<next].filter { !$0.hasPrefix("why ") }
    for line in example {
      let found = try #require(rest.firstIndex(of: line), "README line '\(line)' is not in the shipped \(id)")
      rest = Array(rest[(found + 1)...])
    }
  }
}
