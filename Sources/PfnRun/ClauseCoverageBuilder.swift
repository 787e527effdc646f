import PfnResults
import PfnSpecLanguage
import PfnSpecRunner

extension ClauseCoverage {
  /// The coverage of `clauses` by the rules of `specs`.
  public init(specs: SpecSet, clauses: [ContractDocument.Clause]) {
    var citing: [String: [Citation]] = [:]
    var withoutClause: [String] = []
    for file in specs.files {
      for rule in file.rules {
        let anchors = rule.contractAnchors
        if anchors.isEmpty { withoutClause.append(rule.id.value) }
        var seen: Set<String> = []
        for anchor in anchors where seen.insert(anchor).inserted {
          citing[anchor, default: []].append(
            Citation(suite: file.suiteName, rule: rule.id.value, isCallerRule: rule.callsCaller))
        }
      }
    }
    let known = Set(clauses.map(\.id))
    let walkerRules = specs.rules.count { !$0.callsCaller }
    self.init(
      clauses: clauses.map { clause in
        Clause(
          id: clause.id, title: clause.title, text: clause.body,
          isCallerDuty: clause.body.contains("\n- Side: caller") || clause.body.hasPrefix("- Side: caller"),
          citations: citing[clause.id] ?? [])
      },
      rulesWithoutClause: withoutClause, danglingAnchors: citing.keys.filter { !known.contains($0) }.sorted(),
      walkerRules: walkerRules, callerRules: specs.rules.count - walkerRules)
  }
}

extension RunConfiguration {
  /// The coverage of the contract document's clauses by `specs`; `nil` when
  /// there is no contract document or it has no clauses.
  public func clauseCoverage(_ specs: SpecSet) throws -> ClauseCoverage? {
    guard let text = try contractDocument() else { return nil }
    let clauses = ContractDocument.clauses(markdown: text)
    return clauses.isEmpty ? nil : ClauseCoverage(specs: specs, clauses: clauses)
  }
}
