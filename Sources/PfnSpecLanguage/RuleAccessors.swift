/// What the engine and the tools for rule authors read off a rule.
extension Rule {
  /// The tags of every `tags` clause, in order.
  public var tagNames: [String] {
    clauses.flatMap { clause -> [String] in if case .tags(let t) = clause.kind { t.map(\.value) } else { [] } }
  }

  /// Every `source` reference, in order.
  public var sourceReferences: [SourceReference] {
    clauses.compactMap { clause in if case .source(let s) = clause.kind { s.value } else { nil } }
  }

  /// The contract anchors among the sources (`C14`).
  public var contractAnchors: [String] {
    sourceReferences.compactMap { if case .contract(let anchor) = $0 { anchor } else { nil } }
  }

  /// The `why` text, when the rule has one.
  public var whyText: String? {
    whyTexts.first
  }

  /// The text of every `why` clause, in order.
  public var whyTexts: [String] {
    clauses.compactMap { clause in if case .why(let w) = clause.kind { w.value } else { nil } }
  }
}
