import ArgumentParser
import Foundation
import PfnResults
import PfnRun
import PfnSpecLanguage
import PfnSpecRunner

/// `pfnspec trace`: which rules cover which clause of the contract document.
struct Trace: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show which rules cover each clause of docs/contract.md.",
    discussion: """
      Rules that run a caller ('call caller(...)') are caller rules; the others check walkers. A clause marked       '- Side: caller' in the document is a caller's duty and needs a caller rule. Exit status: 0 when every clause       is cited by a rule and every caller duty by a caller rule, 1 otherwise, 2 for errors in the specs.
      """)

  @OptionGroup var specs: SpecOptions

  func run() throws {
    let set = try specs.load()
    let clauses = ContractDocument.clauses(markdown: try specs.contractText())
    guard !clauses.isEmpty else { throw ValidationError("the contract document has no '### ID · Title' clauses") }

    let coverage = ClauseCoverage(specs: set, clauses: clauses)

    let idWidth = max(6, clauses.map(\.id.count).max() ?? 3)
    let titleWidth = min(52, clauses.map(\.title.count).max() ?? 10)
    func cell(_ text: String, _ width: Int) -> String {
      text.count > width ? String(text.prefix(width - 1)) + "…" : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }
    print("\(cell("clause", idWidth))  \(cell("title", titleWidth))  rules")
    for clause in coverage.clauses {
      let cells =
        clause.isUncovered
        ? "UNCOVERED" : clause.citationsBySuite.map { "\($0.suite): \($0.rules.joined(separator: " "))" }.joined(separator: " | ")
      print("\(cell(clause.id, idWidth))  \(cell(clause.title, titleWidth))  \(cells)")
    }
    let uncovered = coverage.uncovered
    let dutiesWithoutCallerRule = coverage.dutiesWithoutCallerRule
    let withoutClause = coverage.rulesWithoutClause
    let dangling = coverage.danglingAnchors

    print("")
    print("uncovered clauses: \(uncovered.isEmpty ? "none" : uncovered.joined(separator: ", "))")
    let duties = coverage.clauses.filter(\.isCallerDuty).map(\.id)
    print(
      "caller duties (\(duties.joined(separator: " "))): "
        + (dutiesWithoutCallerRule.isEmpty ? "each checked by a caller rule" : "NO caller rule for " + dutiesWithoutCallerRule.joined(separator: ", ")))
    print("walker rules: \(coverage.walkerRules); caller rules: \(coverage.callerRules)")
    print("rules without a clause: \(withoutClause.isEmpty ? "none" : withoutClause.joined(separator: ", "))")
    if !dangling.isEmpty { print("cited anchors the document lacks: \(dangling.joined(separator: ", "))") }
    print("\(clauses.count - uncovered.count) of \(clauses.count) clauses covered by \(set.rules.count) rules")
    if !uncovered.isEmpty || !dutiesWithoutCallerRule.isEmpty { throw Exit.failures }
  }
}
