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
