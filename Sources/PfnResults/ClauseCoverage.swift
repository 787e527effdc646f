/// Which rules cite each clause of the contract document: what `pfnspec trace`
/// prints and the HTML report draws. Rules that run a caller are caller rules;
/// a clause marked `- Side: caller` is a caller's duty and needs one.
public struct ClauseCoverage: Sendable, Hashable, Codable {
  /// A rule that cites a clause.
  public struct Citation: Sendable, Hashable, Codable {
    public var suite: String
    public var rule: String
    public var isCallerRule: Bool

    public init(suite: String, rule: String, isCallerRule: Bool) {
      self.suite = suite
      self.rule = rule
      self.isCallerRule = isCallerRule
    }
  }

  /// One clause of the document, with its text and the rules citing it in file order.
  public struct Clause: Sendable, Hashable, Codable {
    /// `C14`
    public var id: String
    public var title: String
    /// The clause's text as the document writes it (Markdown).
    public var text: String
    /// Marked `- Side: caller`: a caller rule must cite it.
    public var isCallerDuty: Bool
    public var citations: [Citation]

    public init(id: String, title: String, text: String, isCallerDuty: Bool, citations: [Citation]) {
      self.id = id
      self.title = title
      self.text = text
      self.isCallerDuty = isCallerDuty
      self.citations = citations
    }

    /// No rule cites it.
    public var isUncovered: Bool { citations.isEmpty }
    /// A caller's duty that no caller rule cites.
    public var lacksCallerRule: Bool { isCallerDuty && !citations.contains(where: \.isCallerRule) }

    /// The citing rules grouped by suite, in the order the suites first appear.
    public var citationsBySuite: [(suite: String, rules: [String])] {
      var groups: [(suite: String, rules: [String])] = []
      for citation in citations {
        if let index = groups.firstIndex(where: { $0.suite == citation.suite }) {
          groups[index].rules.append(citation.rule)
        } else {
          groups.append((citation.suite, [citation.rule]))
        }
      }
      return groups
    }
  }

  public var clauses: [Clause]
  /// Rules that cite no clause of the document.
  public var rulesWithoutClause: [String]
  /// Anchors rules cite that the document does not have.
  public var danglingAnchors: [String]
  public var walkerRules: Int
  public var callerRules: Int

  public init(
    clauses: [Clause], rulesWithoutClause: [String], danglingAnchors: [String], walkerRules: Int, callerRules: Int
  ) {
    self.clauses = clauses
    self.rulesWithoutClause = rulesWithoutClause
    self.danglingAnchors = danglingAnchors
    self.walkerRules = walkerRules
    self.callerRules = callerRules
  }

  /// The clauses no rule cites.
  public var uncovered: [String] { clauses.filter(\.isUncovered).map(\.id) }
  /// The caller duties no caller rule cites.
  public var dutiesWithoutCallerRule: [String] { clauses.filter(\.lacksCallerRule).map(\.id) }
  /// The clause with this id.
  public func clause(_ id: String) -> Clause? { clauses.first { $0.id == id } }
}
