/// A position in a spec file: 1-based line and column (columns count Unicode
/// scalars), plus the UTF-8 offset for slicing.
///
/// Stored in 32 bits each, since every node of a parsed file carries two
/// positions: a range costs 24 bytes rather than 48. A value past 2^32 - 1
/// (a file over 4 GiB) is held at that maximum.
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
  private var storedLine: UInt32
  private var storedColumn: UInt32
  private var storedOffset: UInt32

  public var line: Int {
    get { Int(storedLine) }
    set { storedLine = Self.stored(newValue) }
  }
  public var column: Int {
    get { Int(storedColumn) }
    set { storedColumn = Self.stored(newValue) }
  }
  public var offset: Int {
    get { Int(storedOffset) }
    set { storedOffset = Self.stored(newValue) }
  }

  public init(line: Int, column: Int, offset: Int) {
    self.storedLine = Self.stored(line)
    self.storedColumn = Self.stored(column)
    self.storedOffset = Self.stored(offset)
  }

  @inline(__always)
  private static func stored(_ value: Int) -> UInt32 {
    UInt32(clamping: value)
  }

  public static func < (a: Self, b: Self) -> Bool { a.offset < b.offset }
  public var description: String { "\(line):\(column)" }

  /// Moves past one scalar of the source.
  mutating func advance(past scalar: Unicode.Scalar) {
    offset += UTF8.width(scalar)
    if scalar == "\n" {
      line += 1
      column = 1
    } else {
      column += 1
    }
  }
}

/// A half-open span of a spec file.
public struct SourceRange: Sendable, Hashable {
  public var start: SourcePosition
  public var end: SourcePosition

  public init(start: SourcePosition, end: SourcePosition) {
    self.start = start
    self.end = end
  }

  /// The smallest range that covers both.
  public func union(_ other: SourceRange) -> SourceRange {
    SourceRange(start: min(start, other.start), end: max(end, other.end))
  }
}

/// A value together with where it was written.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
  public var value: Value
  public var range: SourceRange

  public init(_ value: Value, _ range: SourceRange) {
    self.value = value
    self.range = range
  }
}

/// One parsed `.pfnspec` file.
public struct SpecFile: Sendable {
  public var path: String
  /// The `suite NAME "title"` line; a file without one is an error, reported
  /// by the checker, and its rules go to a suite named after the file.
  public var suite: SuiteDeclaration?
  public var rules: [Rule]

  public init(path: String, suite: SuiteDeclaration?, rules: [Rule]) {
    self.path = path
    self.suite = suite
    self.rules = rules
  }

  /// The suite name rules of this file belong to.
  public var suiteName: String {
    if let suite { return suite.name.value }
    let base = path.split(separator: "/").last.map(String.init) ?? path
    return base.hasSuffix(".pfnspec") ? String(base.dropLast(8)) : base
  }
}

/// `suite lifetime "Results live only between start() and end()"`
public struct SuiteDeclaration: Sendable {
  public var name: Located<String>
  public var title: Located<String>
  public var range: SourceRange

  public init(name: Located<String>, title: Located<String>, range: SourceRange) {
    self.name = name
    self.title = title
    self.range = range
  }
}

/// A rule: identity, then clauses in the order written.
///
/// The order matters: `for` clauses bind variables for the clauses after them,
/// `given` clauses build the world before the first `call`, and each `expect`
/// judges the state after the `call` before it.
public struct Rule: Sendable {
  public var id: Located<String>
  public var title: Located<String>
  public var clauses: [Clause]
  /// From the `rule` keyword to the end of its last clause.
  public var range: SourceRange

  public init(id: Located<String>, title: Located<String>, clauses: [Clause], range: SourceRange) {
    self.id = id
    self.title = title
    self.clauses = clauses
    self.range = range
  }
}

/// One line of a rule.
public struct Clause: Sendable {
  public var kind: Kind
  public var range: SourceRange

  public init(_ kind: Kind, range: SourceRange) {
    self.kind = kind
    self.range = range
  }

  public enum Kind: Sendable {
    /// `tags lifetime locking`
    case tags([Located<String>])
    /// `source contract#C14`, `source msg <id@host>`, `source commit ffef67b93aa3`
    case source(Located<SourceReference>)
    /// `why "text shown with failures"`
    case why(Located<String>)
    /// `requires pmd_pfnmap`, `requires api >= 6.15`: a boolean expression over
    /// the target's capabilities and the walker's claims; false means skipped.
    case requires(Expr)
    /// `for level in leaf_levels`: every value of the domain makes its own case.
    case forEach(variable: Located<String>, domain: Expr)
    /// `given leaf at level pfn 0x1234 writable true`
    case given(Given)
    /// `given schedule { after pmd_lock: zap pmd; before end: remap pte }`
    case schedule(PinnedSchedule)
    /// `call start(vma.start)`, `call end()`
    case call(Call)
    /// `expect result == 0 implies held == lock_of(level)`
    case expect(Expr)
  }
}

/// Where a rule's promise comes from.
public enum SourceReference: Sendable, Hashable, CustomStringConvertible {
  /// An anchor in the project's contract document: `contract#C14`.
  case contract(anchor: String)
  /// A mailing-list Message-ID, without the angle brackets.
  case message(id: String)
  /// A kernel commit id (hex, 7 to 40 digits).
  case commit(id: String)

  /// The word a source reference starts with.
  public enum Kind: String, Sendable, CaseIterable {
    case contract
    case message = "msg"
    case commit
  }

  /// What joins `contract` and the anchor: `contract#C14`.
  public static let anchorSeparator = "#"

  public var kind: Kind {
    switch self {
    case .contract: .contract
    case .message: .message
    case .commit: .commit
    }
  }

  public var description: String {
    switch self {
    case .contract(let anchor): "\(Kind.contract.rawValue)\(Self.anchorSeparator)\(anchor)"
    case .message(let id): "\(Kind.message.rawValue) <\(id)>"
    case .commit(let id): "\(Kind.commit.rawValue) \(id)"
    }
  }
}

/// `given SUBJECT ATTRIBUTE VALUE ATTRIBUTE VALUE ...`
///
/// The subjects and their attributes are not keywords of the language: the
/// vocabulary (see ``Vocabulary``) says which exist, so the model can grow
/// without touching the parser.
public struct Given: Sendable {
  public var subject: Located<String>
  public var attributes: [Attribute]

  public init(subject: Located<String>, attributes: [Attribute]) {
    self.subject = subject
    self.attributes = attributes
  }

  public struct Attribute: Sendable {
    public var name: Located<String>
    public var value: Expr

    public init(name: Located<String>, value: Expr) {
      self.name = name
      self.value = value
    }
  }
}

/// `call NAME(ARGUMENTS)`
public struct Call: Sendable {
  public var name: Located<String>
  public var arguments: [Expr]

  public init(name: Located<String>, arguments: [Expr]) {
    self.name = name
    self.arguments = arguments
  }
}

/// An expression, with its span.
public indirect enum ExprKind: Sendable {
  /// `42`, `0x7f00_0000_0000`, `2M`, `1G` (suffixes K, M, G, T multiply by 1024^n).
  /// Stored as a bit pattern: `0xffff_ffff_ffff_ffff` is representable.
  case integer(UInt64)
  /// `6.15`: a kernel release, major and minor.
  case version(Version)
  /// `"text"`
  case string(String)
  /// `true`, `false`, `level`, `result`, `PFNMAP`, `leaf_levels`: any name; the
  /// vocabulary and the rule's variables say what it means.
  case identifier(String)
  /// `vma.start`, `expected.pfn`
  case member(Expr, Located<String>)
  /// `lock_of(level)`, `random(4, vma.start, vma.end)`
  case call(Located<String>, [Expr])
  case unary(UnaryOperator, Expr)
  case binary(BinaryOperator, Expr, Expr)
  /// `{pte, pmd}`, `{IO, PFNMAP, IO|PFNMAP}`, `{}`
  case list([Expr])
}

public struct Expr: Sendable {
  public var kind: ExprKind
  public var range: SourceRange

  public init(_ kind: ExprKind, range: SourceRange) {
    self.kind = kind
    self.range = range
  }
}

public enum UnaryOperator: String, Sendable, CaseIterable {
  case negate = "-"
  case bitNot = "~"
  case not = "not"
}

/// A kernel release as a rule writes it: `6.15`.
public struct Version: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var major: Int
  public var minor: Int

  public init(_ major: Int, _ minor: Int) {
    self.major = major
    self.minor = minor
  }

  public static func < (a: Self, b: Self) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
  public var description: String { "\(major).\(minor)" }
}

/// The keyword a clause line starts with. The parser switches over every case,
/// so a keyword added here does not compile until it is parsed.
public enum ClauseKeyword: String, Sendable, CaseIterable, CustomStringConvertible {
  case tags, source, why, requires
  case forEach = "for"
  case given, call, expect

  public var description: String { rawValue }
}

/// The keywords that start a file-level line.
public enum HeaderKeyword: String, Sendable, CaseIterable {
  case suite, rule
}

extension Clause.Kind {
  /// The keyword this clause is written with.
  public var keyword: ClauseKeyword {
    switch self {
    case .tags: .tags
    case .source: .source
    case .why: .why
    case .requires: .requires
    case .forEach: .forEach
    case .given, .schedule: .given
    case .call: .call
    case .expect: .expect
    }
  }
}

/// How operators of one precedence group chain.
public enum Associativity: Sendable {
  /// `a - b - c` is `(a - b) - c`.
  case left
  /// `a implies b implies c` is `a implies (b implies c)`.
  case right
  /// `a < b < c` is an error.
  case none
}

/// Binary operators, each with its spelling (the raw value), declared once:
/// the parser builds its precedence levels from ``precedence``.
public enum BinaryOperator: String, Sendable, CaseIterable {
  case implies = "implies"
  case or = "or"
  case and = "and"
  case equal = "=="
  case notEqual = "!="
  case less = "<"
  case lessEqual = "<="
  case greater = ">"
  case greaterEqual = ">="
  /// `in`: membership of a value in a list or set (`level in huge_levels`).
  case elementOf = "in"
  case bitOr = "|"
  case bitAnd = "&"
  case shiftLeft = "<<"
  case shiftRight = ">>"
  case add = "+"
  case subtract = "-"
  case multiply = "*"
  case divide = "/"
  case remainder = "%"

  /// Higher binds tighter. `implies` is right-associative; the others left.
  public var precedence: Int {
    switch self {
    case .implies: 1
    case .or: 2
    case .and: 3
    case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .elementOf: 4
    case .bitOr: 5
    case .bitAnd: 6
    case .shiftLeft, .shiftRight: 7
    case .add, .subtract: 8
    case .multiply, .divide, .remainder: 9
    }
  }
}

extension BinaryOperator {
  /// The loosest and the tightest precedence.
  public static let precedences: ClosedRange<Int> = {
    let all = allCases.map(\.precedence)
    return (all.min() ?? 1)...(all.max() ?? 1)
  }()

  /// `implies` is right-associative, comparisons do not chain, the rest is left-associative.
  public var associativity: Associativity {
    switch precedence {
    case BinaryOperator.implies.precedence: .right
    case BinaryOperator.equal.precedence: .none
    default: .left
    }
  }

  /// Whether the operator is spelled as a word (`and`, `in`) rather than symbols.
  public var isWord: Bool { rawValue.unicodeScalars.allSatisfy { ("a"..."z").contains($0) } }

  /// Whether the operator compares its operands (`==` ... `>=`, `in`).
  public var isComparison: Bool { precedence == BinaryOperator.equal.precedence }

  /// Whether the operator orders its operands (`<`, `<=`, `>`, `>=`).
  public var isOrdering: Bool { [.less, .lessEqual, .greater, .greaterEqual].contains(self) }
}

extension UnaryOperator {
  /// Whether the operator is spelled as a word (`not`).
  public var isWord: Bool { rawValue.unicodeScalars.allSatisfy { ("a"..."z").contains($0) } }
}

