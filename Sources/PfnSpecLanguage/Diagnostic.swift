/// How serious a diagnostic is.
public enum DiagnosticSeverity: String, Sendable, Hashable, Comparable {
  case error
  case warning
  case note

  private var rank: Int {
    switch self {
    case .error: 2
    case .warning: 1
    case .note: 0
    }
  }

  public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }
}

/// A replacement that would fix the problem: put `replacement` where `range` is.
public struct FixIt: Sendable, Hashable {
  public var range: SourceRange
  public var replacement: String

  public init(range: SourceRange, replacement: String) {
    self.range = range
    self.replacement = replacement
  }
}

/// One problem found in a spec file, with where it is and how to fix it.
///
/// Messages are lowercase, without a trailing period, and put the names the
/// user wrote in single quotes. Hints are shown as `= help:` lines.
public struct Diagnostic: Sendable, Hashable {
  /// A secondary message attached to a diagnostic, optionally with its own location.
  public struct Note: Sendable, Hashable {
    public var message: String
    public var file: String?
    public var range: SourceRange?

    public init(message: String, file: String? = nil, range: SourceRange? = nil) {
      self.message = message
      self.file = file
      self.range = range
    }
  }

  public var severity: DiagnosticSeverity
  public var code: DiagnosticCode
  public var message: String
  public var file: String
  /// Where the problem is; `nil` for problems with a whole file (it cannot be read).
  public var range: SourceRange?
  public var hints: [String]
  public var fixIt: FixIt?
  public var notes: [Note]

  /// Only ``DiagnosticMessage``'s constructors spell messages; see `init(_:file:range:...)`.
  init(
    _ code: DiagnosticCode, _ message: String, file: String, range: SourceRange?,
    hints: [String] = [], fixIt: FixIt? = nil, notes: [Note] = []
  ) {
    self.severity = code.severity
    self.code = code
    self.message = message
    self.file = file
    self.range = range
    self.hints = hints
    self.fixIt = fixIt
    self.notes = notes
  }

  /// `path:line:column`, or just the path when the diagnostic has no location.
  public var location: String {
    guard let range else { return file }
    return "\(file):\(range.start.line):\(range.start.column)"
  }
}

/// How many diagnostics of one stage (lexing, parsing, checking) one file
/// keeps; past it they are counted, and one E011 says how many. Hostile input
/// then costs memory for a thousand diagnostics, not for one per byte.
public let diagnosticsKeptPerStage = 1000

/// Collects one stage's diagnostics for one file, up to ``diagnosticsKeptPerStage``.
struct DiagnosticBudget {
  private(set) var kept: [Diagnostic] = []
  private(set) var omitted = 0
  let path: String

  init(path: String) { self.path = path }

  /// Whether another diagnostic would be kept; callers skip building hints when not.
  var hasRoom: Bool { kept.count < diagnosticsKeptPerStage }

  mutating func append(_ diagnostic: @autoclosure () -> Diagnostic) {
    if hasRoom { kept.append(diagnostic()) } else { omitted += 1 }
  }

  /// Counts a diagnostic past the budget without building it.
  mutating func countOmitted() { omitted += 1 }

  /// The kept diagnostics, and an E011 for the omitted ones.
  var all: [Diagnostic] {
    guard omitted > 0 else { return kept }
    let end = kept.last?.range
    return kept + [
      Diagnostic(
        .tooManyDiagnostics(omitted), file: path, range: end,
        hints: ["fix the first ones and check again; the file is probably not a spec file or is damaged"])
    ]
  }
}

extension Array where Element == Diagnostic {
  /// Whether any of the diagnostics is an error.
  public var containsErrors: Bool { contains { $0.severity == .error } }
}

/// The stable identity of every diagnostic the rule language reports.
///
/// Groups: `E0xx` reading and lexing, `E1xx` syntax, `E2xx` names and meaning,
/// `W3xx` warnings. Codes never change meaning; retired codes are not reused.
public enum DiagnosticCode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  // Reading and lexing.
  case invalidUTF8 = "E001"
  case unexpectedCharacter = "E002"
  case unterminatedString = "E003"
  case unknownEscape = "E004"
  case invalidNumber = "E005"
  case integerOverflow = "E006"
  case unterminatedMessageID = "E007"
  case foreignOperator = "E008"
  case unreadablePath = "E010"
  case tooManyDiagnostics = "E011"

  // Syntax.
  case unknownClause = "E101"
  case expectedExpression = "E102"
  case expectedToken = "E103"
  case extraTokens = "E104"
  case invalidRuleHeader = "E105"
  case invalidSuiteLine = "E106"
  case misplacedSuite = "E107"
  case clauseOutsideRule = "E108"
  case invalidSource = "E109"
  case expressionTooComplex = "E110"
  case callOfNonName = "E111"
  case chainedComparison = "E112"

  // Names and meaning.
  case missingSuite = "E201"
  case unknownSubject = "E202"
  case unknownAttribute = "E203"
  case missingAttribute = "E204"
  case repeatedSubject = "E205"
  case repeatedAttribute = "E206"
  case unknownCall = "E207"
  case unknownFunction = "E208"
  case unknownName = "E209"
  case unknownMember = "E210"
  case wrongArity = "E211"
  case wrongContext = "E212"
  case needsCall = "E213"
  case expectBeforeCall = "E214"
  case duplicateRuleID = "E215"
  case missingSource = "E216"
  case unknownAnchor = "E217"
  case shadowedVariable = "E218"
  case typeMismatch = "E219"
  case givenAfterCall = "E220"
  case unknownSchedulePoint = "E221"
  case badOccurrence = "E222"
  case unknownScheduleOperation = "E223"

  // Warnings.
  case emptyDomain = "W301"
  case noExpectation = "W302"
  case duplicateTag = "W303"
  case unusedVariable = "W304"
  case duplicateSource = "W305"
  case noSpecFiles = "W306"
  case gatedName = "W307"
  case expectationIgnoresCalls = "W308"
  case singleCaseDomain = "W309"
  case selfComparison = "W310"
  case killsNoMutant = "W311"
  case readAfterClose = "W312"
  case openNeverClosed = "W313"
  case closeAfterFailedOpen = "W314"
  case unknownStringValue = "W315"
  case uncheckedAnchor = "W316"
  case cappedRule = "W317"

  public var description: String { rawValue }

  /// Errors stop a run; warnings do not.
  public var severity: DiagnosticSeverity { rawValue.hasPrefix("W") ? .warning : .error }

  /// Looks a code up by its text (`"E203"`, case-insensitive).
  public init?(code: String) {
    self.init(rawValue: code.uppercased())
  }

  /// A one-line explanation, for `pfnspec explain-error`.
  public var summary: String {
    switch self {
    case .invalidUTF8: "the file is not valid UTF-8; the bytes are shown as U+FFFD"
    case .unexpectedCharacter:
      "a character that the language does not use outside strings (often a typographic quote or a no-break space)"
    case .unterminatedString: "a string has no closing double quote before the end of the line"
    case .unknownEscape: #"strings know only the escapes \", \\ and \n"#
    case .invalidNumber:
      "a number has a digit or suffix that is not allowed (suffixes are K, M, G, T; hex needs 0x)"
    case .integerOverflow: "an integer literal, after its suffix, does not fit in 64 bits"
    case .unterminatedMessageID: "a Message-ID after 'msg' has no closing '>'"
    case .foreignOperator:
      "an operator from another language ('=', '!', '&&', '||'); use '==', 'not', 'and', 'or'"
    case .unreadablePath: "a path given to the loader does not exist or cannot be read"
    case .tooManyDiagnostics:
      "a file has so many errors that past the first thousand of each kind they are counted, not listed"
    case .unknownClause:
      "a line in a rule does not start with a clause keyword (tags, source, why, requires, for, given, call, expect)"
    case .expectedExpression: "an expression was expected, for example after an operator"
    case .expectedToken: "a specific token was expected, for example ')' or 'in'"
    case .extraTokens: "a clause has text left over after it was complete"
    case .invalidRuleHeader: "a rule line must be 'rule ID \"title\"' with an id like 'LT-001'"
    case .invalidSuiteLine: "a suite line must be 'suite NAME \"title\"'"
    case .misplacedSuite: "a file has one 'suite' line, before its rules"
    case .clauseOutsideRule: "a clause appears before the first 'rule' line"
    case .invalidSource:
      "a source must be 'contract#ANCHOR', 'msg <MESSAGE-ID>' or 'commit HASH' (7 to 40 hex digits)"
    case .expressionTooComplex: "an expression is nested too deeply or has too many operators"
    case .callOfNonName: "only a function name can be called, as in 'lock_of(level)'"
    case .chainedComparison: "comparisons do not chain; combine them with 'and'"
    case .missingSuite: "every spec file starts with 'suite NAME \"title\"'"
    case .unknownSubject: "the subject of a 'given' is not one the engine knows"
    case .unknownAttribute: "the subject of a 'given' has no attribute of that name"
    case .missingAttribute: "a 'given' leaves out an attribute that its subject requires"
    case .repeatedSubject: "a subject that exists once per world is given twice in a rule"
    case .repeatedAttribute: "a 'given' sets the same attribute twice"
    case .unknownCall: "a 'call' names an operation the engine does not have"
    case .unknownFunction: "an expression calls a function the engine does not have"
    case .unknownName: "a name is neither in the vocabulary nor bound by an earlier 'for'"
    case .unknownMember: "a record has no member of that name, or the value is not a record"
    case .wrongArity: "a call or function gets a different number of arguments than it takes"
    case .wrongContext:
      "a name or function is used in a clause where it has no meaning (such as 'result' in 'requires')"
    case .needsCall: "a name describes the outcome of a call, but no call comes before it"
    case .expectBeforeCall: "an 'expect' judges the state after a call, but no call comes before it"
    case .duplicateRuleID: "two rules have the same id; ids are unique across all spec files"
    case .missingSource:
      "a rule has no 'source' clause; every rule cites where its promise comes from"
    case .unknownAnchor: "a 'source contract#ANCHOR' names an anchor that docs/contract.md lacks"
    case .shadowedVariable: "a 'for' variable reuses a vocabulary name or an earlier variable"
    case .typeMismatch: "a value has a different type than the place it is used in needs"
    case .givenAfterCall: "'given' clauses build the world before the first call"
    case .unknownSchedulePoint: "a step of 'given schedule' names a scheduling point the engine does not have"
    case .badOccurrence: "a step of 'given schedule' counts a point's occurrence outside 1 to 10000 ('#1' is the first)"
    case .unknownScheduleOperation: "a step of 'given schedule' names an operation the other CPU does not have"
    case .emptyDomain: "a 'for' iterates over an empty list, so the rule yields no case"
    case .noExpectation: "a rule has no 'expect' clause, so it cannot fail"
    case .duplicateTag: "a rule lists the same tag twice"
    case .unusedVariable: "a 'for' variable is never used; it only multiplies the cases"
    case .duplicateSource: "a rule cites the same source twice"
    case .noSpecFiles: "a directory given to the loader holds no '.pfnspec' files"
    case .gatedName:
      "an 'expect' reads a name that only some API levels have, and no 'requires' limits the rule to them, so the whole case is skipped elsewhere"
    case .expectationIgnoresCalls:
      "an 'expect' reads nothing that a call changes, so no walker can make it fail"
    case .singleCaseDomain: "a 'for' iterates over a single value, so it yields one case"
    case .selfComparison: "an 'expect' compares a value with itself, so its outcome does not depend on the walker"
    case .killsNoMutant:
      "no built-in mutant fails the rule, so nothing shows it can catch a defect (reported by 'pfnspec mutants' and 'pfnspec check --mutants')"
    case .readAfterClose:
      "an 'expect' reads an output after 'call end()', when the contract says it is invalid (C10)"
    case .openNeverClosed:
      "a 'call start()' that may succeed is never followed by 'call end()', so the rule leaves the lookup open (C15)"
    case .closeAfterFailedOpen:
      "a 'call end()' follows a start() that the rule expects to fail; end() is only for successful starts (C15)"
    case .unknownStringValue:
      "a comparison with a string that the name never has (such as arch == \"sparc64\"), so it never holds and the rule skips everywhere"
    case .uncheckedAnchor:
      "a 'source contract#ANCHOR' cannot be checked, because no docs/contract.md was found (pass --contract PATH)"
    case .cappedRule:
      "a rule that a run would cap: a 'for' domain over 1,024 values or more than 4,096 cases (reported by 'pfnspec check')"
    }
  }
}

extension Diagnostic {
  /// The warning `pfnspec mutants` gives a rule that no mutant fails (W311),
  /// located at the rule's id.
  ///
  /// - Parameters:
  ///   - rule: The rule that caught nothing.
  ///   - file: The path of its spec file.
  ///   - mutants: How many mutants were run, for the message.
  public static func killsNoMutant(rule: Rule, file: String, mutants: Int) -> Diagnostic {
    Diagnostic(
      .killsNoMutant(rule: rule.id.value), file: file, range: rule.id.range,
      hints: [
        "none of the \(mutants) built-in mutants fails it; tighten an 'expect', or add the mutant it is meant to catch",
        "see which walkers fail it with 'pfnspec explain \(rule.id.value)'",
      ])
  }
}
