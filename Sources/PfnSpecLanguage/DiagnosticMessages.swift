/// A diagnostic's code and its message, made only by the typed constructors
/// below: each message is written once, next to its code, in the style of
/// swift-syntax's `StaticParserError`. The checker and the loader report these
/// values; they spell no message of their own.
public struct DiagnosticMessage: Sendable, Hashable {
  public let code: DiagnosticCode
  public let text: String

  private init(_ code: DiagnosticCode, _ text: String) {
    self.code = code
    self.text = text
  }
}

extension Diagnostic {
  /// A diagnostic with a typed message.
  public init(
    _ message: DiagnosticMessage, file: String, range: SourceRange?, hints: [String] = [], fixIt: FixIt? = nil,
    notes: [Note] = []
  ) {
    self.init(message.code, message.text, file: file, range: range, hints: hints, fixIt: fixIt, notes: notes)
  }
}



// MARK: - Reading and lexing

extension DiagnosticMessage {
  /// E001
  public static func invalidUTF8(sequences: Int) -> Self {
    .init(.invalidUTF8, "file is not valid UTF-8" + (sequences == 1 ? "" : " (\(sequences) invalid sequences)"))
  }
  /// E002: `character` is described, as in "U+00A0 no-break space" or "'@'".
  public static func unexpectedCharacter(_ character: String, inMessageID: Bool = false) -> Self {
    .init(.unexpectedCharacter, "unexpected character \(character)" + (inMessageID ? " in message id" : ""))
  }
  /// E003
  public static let unterminatedString = Self(.unterminatedString, "unterminated string")
  /// E004: `escape` is the character after the backslash (empty at the end of a line).
  public static func unknownEscape(_ escape: String) -> Self {
    .init(.unknownEscape, "unknown escape sequence '\\\(escape)' in string")
  }
  /// E005
  public static func invalidNumber(_ text: String) -> Self { .init(.invalidNumber, "invalid number '\(text)'") }
  /// E006
  public static func integerOverflow(_ text: String) -> Self {
    .init(.integerOverflow, "integer literal '\(text)' does not fit in 64 bits")
  }
  /// E006
  public static func versionOutOfRange(_ text: String) -> Self {
    .init(.integerOverflow, "version '\(text)' is out of range")
  }
  /// E007
  public static let unterminatedMessageID = Self(.unterminatedMessageID, "message id has no closing '>'")
  /// E008
  public static func foreignOperator(_ written: String, meant: String) -> Self {
    written == "="
      ? .init(.foreignOperator, "'=' is not an operator; use '==' to compare")
      : .init(.foreignOperator, "'\(written)' is not an operator; use '\(meant)'")
  }
  /// E010
  public static func noSuchPath(_ path: String) -> Self { .init(.unreadablePath, "no such file or directory '\(path)'") }
  /// E011
  public static func tooManyDiagnostics(_ omitted: Int) -> Self {
    .init(.tooManyDiagnostics, "\(omitted) more problems in this file are counted but not listed")
  }
  /// E010
  public static func cannotRead(_ path: String) -> Self { .init(.unreadablePath, "cannot read '\(path)'") }
  /// W306
  public static func noSpecFiles(in path: String) -> Self { .init(.noSpecFiles, "no '.pfnspec' files in '\(path)'") }
}

// MARK: - Syntax

extension DiagnosticMessage {
  /// E101
  public static func unknownClause(_ found: String) -> Self { .init(.unknownClause, "unknown clause \(found)") }
  /// E102: `expected` says what, as in "an expression".
  public static func expectedExpression(expected: String, found: String) -> Self {
    .init(.expectedExpression, "expected \(expected), found \(found)")
  }
  /// E103: `expected` says what, as in "a tag name" or "')'".
  public static func expectedToken(expected: String, found: String) -> Self {
    .init(.expectedToken, "expected \(expected), found \(found)")
  }
  /// E104: `place` says after what, as in "the 'expect' clause".
  public static func extraTokens(_ found: String, after place: String) -> Self {
    .init(.extraTokens, "unexpected \(found) after \(place)")
  }
  /// E105
  public static func invalidRuleHeader(expected: String, found: String) -> Self {
    .init(.invalidRuleHeader, "expected \(expected), found \(found)")
  }
  /// E105
  public static func invalidRuleID(_ id: String) -> Self { .init(.invalidRuleHeader, "invalid rule id '\(id)'") }
  /// E106
  public static func invalidSuiteLine(expected: String, found: String) -> Self {
    .init(.invalidSuiteLine, "expected \(expected), found \(found)")
  }
  /// E107
  public static let secondSuite = Self(.misplacedSuite, "a file has only one 'suite' line")
  /// E107
  public static let suiteAfterRules = Self(.misplacedSuite, "the 'suite' line must come before the rules")
  /// E108
  public static func clauseOutsideRule(_ keyword: String) -> Self {
    .init(.clauseOutsideRule, "'\(keyword)' clause outside a rule")
  }
  /// E108: a line that starts with neither `suite` nor `rule` where one is due.
  public static func notAHeader(found: String) -> Self {
    let words = HeaderKeyword.allCases.map { "'\($0.rawValue)'" }.joined(separator: " or ")
    return .init(.clauseOutsideRule, "expected \(words), found \(found)")
  }
  /// E109: `found` is nil where nothing is worth quoting.
  public static func invalidSource(expected: String, found: String?) -> Self {
    .init(.invalidSource, "expected \(expected)" + (found.map { ", found \($0)" } ?? ""))
  }
  /// E109
  public static func invalidCommitID(_ id: String) -> Self { .init(.invalidSource, "invalid commit id '\(id)'") }
  /// E110
  public static let expressionTooComplex = Self(.expressionTooComplex, "expression is too complex")
  /// E111
  public static let callOfNonName = Self(.callOfNonName, "only a function name can be called")
  /// E112
  public static let chainedComparison = Self(.chainedComparison, "comparisons cannot be chained")
}

// MARK: - Names and meaning

extension DiagnosticMessage {
  /// E201
  public static let missingSuite = Self(.missingSuite, "missing 'suite' line")
  /// E202
  public static func unknownSubject(_ subject: String) -> Self { .init(.unknownSubject, "unknown given subject '\(subject)'") }
  /// E203
  public static func unknownAttribute(_ attribute: String, of subject: String) -> Self {
    .init(.unknownAttribute, "unknown given attribute '\(attribute)' for '\(subject)'")
  }
  /// E204
  public static func missingAttributes(_ names: [String], of subject: String) -> Self {
    let list = names.map { "'\($0)'" }.joined(separator: ", ")
    return .init(
      .missingAttribute, "'given \(subject)' is missing required attribute\(names.count == 1 ? "" : "s") \(list)")
  }
  /// E205
  public static func repeatedSubject(_ subject: String) -> Self {
    .init(.repeatedSubject, "'\(subject)' is given more than once")
  }
  /// E206
  public static func repeatedAttribute(_ attribute: String) -> Self {
    .init(.repeatedAttribute, "attribute '\(attribute)' is given twice")
  }
  /// E207
  public static func unknownCall(_ name: String) -> Self { .init(.unknownCall, "unknown call '\(name)'") }
  /// E208
  public static func unknownFunction(_ name: String) -> Self { .init(.unknownFunction, "unknown function '\(name)'") }
  /// E209
  public static func unknownName(_ name: String) -> Self { .init(.unknownName, "unknown name '\(name)'") }
  /// E210: `owner` is a quoted name or a type.
  public static func noMembers(_ owner: String, type: Vocabulary.ValueType) -> Self {
    .init(.unknownMember, "\(owner) of type \(type) has no members")
  }
  /// E210
  public static func unknownMember(_ member: String, of owner: String) -> Self {
    .init(.unknownMember, "\(owner) has no member '\(member)'")
  }
  /// E211
  public static func wrongArity(_ name: String, takes expected: Int, found: Int) -> Self {
    .init(.wrongArity, "'\(name)' takes \(expected) argument\(expected == 1 ? "" : "s"), found \(found)")
  }
  /// E212: `place` names the clause, as in "a 'requires' clause".
  public static func wrongContext(_ name: String, in place: String) -> Self {
    .init(.wrongContext, "'\(name)' cannot be used in \(place)")
  }
  /// E213
  public static func needsCall(_ name: String) -> Self { .init(.needsCall, "'\(name)' is only meaningful after a 'call'") }
  /// E214
  public static let expectBeforeCall = Self(.expectBeforeCall, "'expect' before any 'call'")
  /// E215
  public static func duplicateRuleID(_ id: String) -> Self { .init(.duplicateRuleID, "duplicate rule id '\(id)'") }
  /// E216
  public static func missingSource(rule id: String) -> Self { .init(.missingSource, "rule '\(id)' has no 'source'") }
  /// E217
  public static func unknownAnchor(_ anchor: String) -> Self { .init(.unknownAnchor, "unknown contract anchor '\(anchor)'") }
  /// E218
  public static func variableAlreadyBound(_ name: String) -> Self {
    .init(.shadowedVariable, "variable '\(name)' is already bound")
  }
  /// E218
  public static func variableShadowsName(_ name: String) -> Self {
    .init(.shadowedVariable, "variable '\(name)' shadows a vocabulary name")
  }
  /// E219, in each of its shapes.
  public static func typeMismatch(_ mismatch: TypeMismatch) -> Self { .init(.typeMismatch, mismatch.text) }
  /// E220
  public static let givenAfterCall = Self(.givenAfterCall, "'given' after a 'call'")
  /// E221
  public static func unknownSchedulePoint(_ name: String) -> Self {
    .init(.unknownSchedulePoint, "unknown scheduling point '\(name)'")
  }
  /// E222
  public static func badOccurrence(_ point: String, _ count: Int) -> Self {
    .init(.badOccurrence, "'\(point)#\(count)': occurrences count from 1 to \(PinnedSchedule.maximumOccurrence)")
  }
  /// E223
  public static func unknownScheduleOperation(_ name: String) -> Self {
    .init(.unknownScheduleOperation, "unknown adversary operation '\(name)'")
  }

  /// The shapes of a type mismatch (E219).
  public enum TypeMismatch: Sendable, Hashable {
    /// `requires`/`expect` needs a boolean.
    case clauseNeedsBoolean(ClauseKeyword, found: Vocabulary.ValueType)
    /// `for` needs a list.
    case domainNeedsList(found: Vocabulary.ValueType)
    case attribute(String, of: String, expected: Vocabulary.ValueType, found: Vocabulary.ValueType)
    /// `position` counts from 1.
    case argument(Int, of: String, expected: Vocabulary.ValueType, found: Vocabulary.ValueType)
    case operand(of: String, needed: Vocabulary.ValueType, found: Vocabulary.ValueType)
    case listMixes(Vocabulary.ValueType, Vocabulary.ValueType)
    case cannotCompare(String, Vocabulary.ValueType, Vocabulary.ValueType)
    /// `<` and friends order integers, versions and levels.
    case notOrdered(String, found: Vocabulary.ValueType)
    case elementOf(Vocabulary.ValueType, in: Vocabulary.ValueType)
    case membershipNeedsList(found: Vocabulary.ValueType)
    case cannotCombine(String, Vocabulary.ValueType, Vocabulary.ValueType)
    /// `|` and `&` combine integers and flag sets.
    case notCombinable(String, found: Vocabulary.ValueType)

    var text: String {
      switch self {
      case .clauseNeedsBoolean(let clause, let found): "'\(clause)' needs a boolean expression, found \(found)"
      case .domainNeedsList(let found): "'\(ClauseKeyword.forEach)' needs a list to iterate over, found \(found)"
      case .attribute(let name, let subject, let expected, let found):
        "attribute '\(name)' of '\(subject)' expects \(expected), found \(found)"
      case .argument(let position, let name, let expected, let found):
        "argument \(position) of '\(name)' expects \(expected), found \(found)"
      case .operand(let op, let needed, let found): "operand of '\(op)' must be \(needed), found \(found)"
      case .listMixes(let first, let found): "list mixes \(first) and \(found)"
      case .cannotCompare(let op, let left, let right): "'\(op)' cannot compare \(left) with \(right)"
      case .notOrdered(let op, let found): "'\(op)' needs integers, versions or levels, found \(found)"
      case .elementOf(let left, let right): "'\(BinaryOperator.elementOf.rawValue)' looks for \(left) in a \(right)"
      case .membershipNeedsList(let found):
        "right side of '\(BinaryOperator.elementOf.rawValue)' must be a list, found \(found)"
      case .cannotCombine(let op, let left, let right): "'\(op)' cannot combine \(left) with \(right)"
      case .notCombinable(let op, let found): "'\(op)' needs integers or flag sets, found \(found)"
      }
    }
  }
}

// MARK: - Warnings

extension DiagnosticMessage {
  /// W301
  public static func emptyDomain(_ variable: String) -> Self {
    .init(.emptyDomain, "'for \(variable)' iterates over an empty list")
  }
  /// W302
  public static func noExpectation(rule id: String) -> Self { .init(.noExpectation, "rule '\(id)' has no 'expect'") }
  /// W303
  public static func duplicateTag(_ tag: String) -> Self { .init(.duplicateTag, "tag '\(tag)' is listed twice") }
  /// W304
  public static func unusedVariable(_ name: String) -> Self { .init(.unusedVariable, "variable '\(name)' is never used") }
  /// W305
  public static func duplicateSource(_ source: SourceReference) -> Self {
    .init(.duplicateSource, "source \(source) is cited twice")
  }
  /// W307
  public static func gatedName(_ name: String, requirement: String) -> Self {
    .init(.gatedName, "'\(name)' exists only where \(requirement), and the rule does not require it")
  }
  /// W308
  public static let expectationIgnoresCalls = Self(
    .expectationIgnoresCalls, "this 'expect' reads nothing that a call changes")
  /// W309
  public static func singleCaseDomain(_ variable: String) -> Self {
    .init(.singleCaseDomain, "'for \(variable)' yields a single case")
  }
  /// W310
  public static func selfComparison(_ op: BinaryOperator) -> Self {
    .init(.selfComparison, "both sides of '\(op.rawValue)' are the same expression")
  }
  /// W311
  public static func killsNoMutant(rule id: String) -> Self { .init(.killsNoMutant, "rule '\(id)' kills no mutant") }
  /// W312
  public static func readAfterClose(_ name: String, close: String) -> Self {
    .init(.readAfterClose, "'\(name)' is read after 'call \(close)()', when it is no longer valid")
  }
  /// W313
  public static func openNeverClosed(open: String, close: String) -> Self {
    .init(.openNeverClosed, "this '\(open)()' may succeed and is never followed by 'call \(close)()'")
  }
  /// W314
  public static func closeAfterFailedOpen(open: String, close: String) -> Self {
    .init(.closeAfterFailedOpen, "'\(close)()' follows a '\(open)()' that the rule expects to fail")
  }
  /// W315
  public static func unknownStringValue(_ value: String, of name: String) -> Self {
    .init(.unknownStringValue, "'\(name)' is never \"\(value)\"")
  }
  /// W316
  public static func uncheckedAnchor(_ anchor: String) -> Self {
    .init(.uncheckedAnchor, "'contract#\(anchor)' cannot be checked: no contract document was found")
  }
  /// W317
  public static func cappedRule(rule id: String, reason: String) -> Self {
    .init(.cappedRule, "a run would cap rule '\(id)': \(reason)")
  }
}
