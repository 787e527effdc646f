import ArgumentParser
import Foundation
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

    // Clause id to the citing rules, grouped by suite in file order.
    var citing: [String: [(suite: String, rule: String)]] = [:]
    var citingCallers: [String: [String]] = [:]
    var withoutClause: [String] = []
    for file in set.files {
      for rule in file.rules {
        let anchors = rule.contractAnchors
        if anchors.isEmpty { withoutClause.append(rule.id.value) }
        for anchor in Set(anchors) {
          citing[anchor, default: []].append((file.suiteName, rule.id.value))
          if rule.callsCaller { citingCallers[anchor, default: []].append(rule.id.value) }
        }
      }
    }
    let callerDuties = Set(clauses.filter { $0.body.contains("\n- Side: caller") || $0.body.hasPrefix("- Side: caller") }.map(\.id))

    let idWidth = max(6, clauses.map(\.id.count).max() ?? 3)
    let titleWidth = min(52, clauses.map(\.title.count).max() ?? 10)
    func cell(_ text: String, _ width: Int) -> String {
      text.count > width ? String(text.prefix(width - 1)) + "…" : text.padding(toLength: width, withPad: " ", startingAt: 0)
    }
    print("\(cell("clause", idWidth))  \(cell("title", titleWidth))  rules")
    var uncovered: [String] = []
    var dutiesWithoutCallerRule: [String] = []
    for clause in clauses {
      let rules = citing[clause.id] ?? []
      if rules.isEmpty { uncovered.append(clause.id) }
      if callerDuties.contains(clause.id) && citingCallers[clause.id] == nil { dutiesWithoutCallerRule.append(clause.id) }
      var bySuite: [(String, [String])] = []
      for (suite, rule) in rules {
        if let index = bySuite.firstIndex(where: { $0.0 == suite }) {
          bySuite[index].1.append(rule)
        } else {
          bySuite.append((suite, [rule]))
        }
      }
      let cells = rules.isEmpty ? "UNCOVERED" : bySuite.map { "\($0.0): \($0.1.joined(separator: " "))" }.joined(separator: " | ")
      print("\(cell(clause.id, idWidth))  \(cell(clause.title, titleWidth))  \(cells)")
    }
    let known = Set(clauses.map(\.id))
    let dangling = citing.keys.filter { !known.contains($0) }.sorted()

    print("")
    print("uncovered clauses: \(uncovered.isEmpty ? "none" : uncovered.joined(separator: ", "))")
    let duties = clauses.map(\.id).filter(callerDuties.contains)
    print(
      "caller duties (\(duties.joined(separator: " "))): "
        + (dutiesWithoutCallerRule.isEmpty ? "each checked by a caller rule" : "NO caller rule for " + dutiesWithoutCallerRule.joined(separator: ", ")))
    let walkerRules = set.rules.count { !$0.callsCaller }
    print("walker rules: \(walkerRules); caller rules: \(set.rules.count - walkerRules)")
    print("rules without a clause: \(withoutClause.isEmpty ? "none" : withoutClause.joined(separator: ", "))")
    if !dangling.isEmpty { print("cited anchors the document lacks: \(dangling.joined(separator: ", "))") }
    print("\(clauses.count - uncovered.count) of \(clauses.count) clauses covered by \(set.rules.count) rules")
    if !uncovered.isEmpty || !dutiesWithoutCallerRule.isEmpty { throw Exit.failures }
  }
}
