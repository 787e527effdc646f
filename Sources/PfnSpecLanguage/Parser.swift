/// Parses `.pfnspec` text into a located ``SpecFile``, recovering from errors.
///
/// An error inside a clause drops that clause (the rest of its line is skipped);
/// an error in a `rule` line drops the rule up to the next `rule` or `suite`.
/// So one run reports every mistake of a file, each once.
public struct Parser {
  /// Clause keywords, in the order the documentation lists them.
  public static let clauseKeywords = ClauseKeyword.allCases.map(\.rawValue)
  private static let clauseList = "clauses are: \(clauseKeywords.joined(separator: ", "))"

  /// Parses one file's text.
  ///
  /// - Parameters:
  ///   - source: The text of the file.
  ///   - path: The path shown in diagnostics and stored in the result.
  /// - Returns: The file (with the rules that parsed) and the lexical and syntax diagnostics.
  public static func parse(source: String, path: String) -> (SpecFile, [Diagnostic]) {
    parse(source: source, path: path, sourceHadInvalidUTF8: false)
  }

  /// Parses one file's bytes; invalid UTF-8 is reported (E001) and decoded lossily.
  public static func parse(bytes: [UInt8], path: String) -> (SpecFile, [Diagnostic]) {
    let (file, diagnostics, _) = parseDecoding(bytes: bytes, path: path)
    return (file, diagnostics)
  }

  /// Parses one file's bytes, and gives the text they decode to (for rendering snippets).
  static func parseDecoding(bytes: [UInt8], path: String) -> (SpecFile, [Diagnostic], text: String) {
    let decoded = SourceDecoding.decode(bytes, path: path)
    // Valid bytes are lexed in place; otherwise the decoded text's, with U+FFFD for the invalid ones.
    let utf8 = decoded.diagnostic == nil ? bytes : Array(decoded.text.utf8)
    var (file, diagnostics) = parse(
      lexer: Lexer(utf8: utf8, path: path, sourceHadInvalidUTF8: decoded.diagnostic != nil), path: path)
    if let diagnostic = decoded.diagnostic { diagnostics.insert(diagnostic, at: 0) }
    return (file, diagnostics, decoded.text)
  }

  static func parse(source: String, path: String, sourceHadInvalidUTF8: Bool) -> (
    SpecFile, [Diagnostic]
  ) {
    parse(lexer: Lexer(source: source, path: path, sourceHadInvalidUTF8: sourceHadInvalidUTF8), path: path)
  }

  private static func parse(lexer: Lexer, path: String) -> (SpecFile, [Diagnostic]) {
    var parser = Parser(lexer: lexer, path: path)
    let file = parser.parseFile()
    let diagnostics = (parser.lexer.diagnostics + parser.diagnostics).sorted {
      ($0.range?.start.offset ?? 0) < ($1.range?.start.offset ?? 0)
    }
    return (file, diagnostics)
  }

  // MARK: - State

  /// The parser pulls tokens from the lexer as it goes and keeps only the
  /// current one, the one before it and at most one ahead: no token array.
  private var lexer: Lexer
  private var current: Token
  private var previous: Token
  private var following: Token?
  /// The binary operator the current token spells, looked up at most once
  /// per token (`nil` until asked; `.some(nil)` for none).
  private var currentOperator: BinaryOperator??
  private let path: String
  private var budget: DiagnosticBudget
  private var diagnostics: [Diagnostic] { budget.all }
  /// Operators and nesting in the current clause, to bound recursion on hostile input.
  private var depth = 0
  private var nodes = 0
  private static let maximumDepth = 32
  private static let maximumNodes = 400

  /// Thrown after a diagnostic has been recorded; the clause or rule is dropped.
  private struct Failure: Error {}

  private init(lexer: Lexer, path: String) {
    self.lexer = lexer
    self.path = path
    self.budget = DiagnosticBudget(path: path)
    let first = self.lexer.nextToken()
    self.current = first
    self.previous = first
  }

  private var atLineEnd: Bool { current.kind == .newline || current.kind == .end }

  private mutating func advance() {
    guard current.kind != .end else { return }
    previous = current
    if let next = following {
      current = next
      following = nil
    } else {
      current = lexer.nextToken()
    }
    currentOperator = nil
  }

  /// The token after the current one.
  private mutating func peekNext() -> Token {
    if following == nil { following = lexer.nextToken() }
    return following!
  }

  private static func binaryOperator(of token: Token) -> BinaryOperator? {
    guard token.kind == .symbol || token.kind == .identifier, let op = BinaryOperator(rawValue: token.text),
      token.kind == (op.isWord ? .identifier : .symbol)
    else { return nil }
    return op
  }

  private mutating func skipLine() {
    while !atLineEnd { advance() }
  }

  private mutating func report(
    _ message: DiagnosticMessage, _ range: SourceRange, hints: [String] = [],
    fixIt: FixIt? = nil, notes: [Diagnostic.Note] = []
  ) {
    budget.append(Diagnostic(message, file: path, range: range, hints: hints, fixIt: fixIt, notes: notes))
  }

  /// Reports that something else was expected here, unless the lexer already
  /// reported the token, then fails.
  private mutating func fail(
    _ message: DiagnosticMessage, hints: [String] = [], fixIt: FixIt? = nil, notes: [Diagnostic.Note] = []
  ) -> Failure {
    if current.kind != .invalid {
      report(message, current.range, hints: hints, fixIt: fixIt, notes: notes)
    }
    return Failure()
  }

  // MARK: - File structure

  private mutating func parseFile() -> SpecFile {
    var suite: SuiteDeclaration?
    var rules: [Rule] = []
    var openRule: Rule?
    var skippingRule = false

    func close(_ rule: inout Rule?, into rules: inout [Rule]) {
      if var rule {
        // Appending left room to grow; a closed rule keeps just its clauses.
        rule.clauses = [Clause](unsafeUninitializedCapacity: rule.clauses.count) { buffer, count in
          count = buffer.initialize(fromContentsOf: rule.clauses)
        }
        rules.append(rule)
      }
      rule = nil
    }

    while current.kind != .end {
      if current.kind == .newline {
        advance()
        continue
      }
      let first = current
      if first.isKeyword(HeaderKeyword.suite.rawValue) {
        close(&openRule, into: &rules)
        skippingRule = false
        if let parsed = try? parseSuite() {
          if let existing = suite {
            report(
              .secondSuite, parsed.range,
              notes: [.init(message: "the suite is declared here", file: path, range: existing.range)])
          } else if let firstRule = rules.first {
            report(
              .suiteAfterRules, parsed.range,
              notes: [.init(message: "first rule is here", file: path, range: firstRule.range)])
            suite = parsed
          } else {
            suite = parsed
          }
        }
        skipLine()
      } else if first.isKeyword(HeaderKeyword.rule.rawValue) {
        close(&openRule, into: &rules)
        do {
          openRule = try parseRuleHeader()
          skippingRule = false
        } catch {
          skippingRule = true
        }
        skipLine()
      } else if skippingRule {
        skipLine()
      } else if openRule != nil {
        depth = 0
        nodes = 0
        if let clause = try? parseClause() {
          openRule!.clauses.append(clause)
          openRule!.range = openRule!.range.union(clause.range)
        }
        skipLine()
      } else {
        if first.kind == .identifier && Parser.clauseKeywords.contains(first.text) {
          report(
            .clauseOutsideRule(first.text), first.range,
            hints: ["start a rule with 'rule ID \"title\"' before its clauses"])
        } else if first.kind != .invalid {
          var hints = ["a spec file holds a 'suite' line and 'rule' blocks"]
          if first.kind == .identifier, budget.hasRoom,
            let near = Suggestions.closest(to: first.text, among: HeaderKeyword.allCases.map(\.rawValue))
          {
            hints.insert("did you mean '\(near)'?", at: 0)
          }
          report(
            .notAHeader(found: first.quoted), first.range,
            hints: hints)
        }
        skipLine()
      }
    }
    close(&openRule, into: &rules)
    return SpecFile(path: path, suite: suite, rules: rules)
  }

  private mutating func parseSuite() throws -> SuiteDeclaration {
    let keyword = current
    advance()
    guard current.kind == .identifier else {
      throw fail(
        .invalidSuiteLine(expected: "a suite name after 'suite'", found: current.quoted),
        hints: ["write 'suite NAME \"title\"'"])
    }
    let name = Located(current.text, current.range)
    advance()
    guard case .string(let title) = current.kind else {
      throw fail(
        .invalidSuiteLine(expected: "a quoted title after the suite name", found: current.quoted),
        hints: ["write 'suite \(name.value) \"title\"'"])
    }
    let titleRange = current.range
    advance()
    try expectLineEnd(after: "suite line")
    return SuiteDeclaration(
      name: name, title: Located(title, titleRange),
      range: keyword.range.union(titleRange))
  }

  private mutating func parseRuleHeader() throws -> Rule {
    let keyword = current
    advance()
    guard current.kind == .word else {
      throw fail(
        .invalidRuleHeader(expected: "a rule id after 'rule'", found: current.quoted),
        hints: ["write 'rule ID \"title\"' with an id such as 'LT-001'"])
    }
    let id = current
    // ASCII letters, digits and hyphens, starting with a letter; checked on the bytes.
    func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    let valid =
      id.text.utf8.first.map(isLetter) == true
      && id.text.utf8.allSatisfy { isLetter($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    guard valid else {
      throw fail(
        .invalidRuleID(id.text),
        hints: ["a rule id is letters, digits and hyphens, starting with a letter, such as 'LT-001'"])
    }
    advance()
    guard case .string(let title) = current.kind else {
      throw fail(
        .invalidRuleHeader(expected: "a quoted title after the rule id", found: current.quoted),
        hints: ["write 'rule \(id.text) \"title\"'"])
    }
    let titleRange = current.range
    advance()
    try expectLineEnd(after: "rule line")
    return Rule(
      id: Located(id.text, id.range), title: Located(title, titleRange), clauses: [],
      range: keyword.range.union(titleRange))
  }

  private mutating func expectLineEnd(after what: String) throws {
    guard atLineEnd else {
      throw fail(.extraTokens(current.quoted, after: what))
    }
  }

  // MARK: - Clauses

  private mutating func parseClause() throws -> Clause {
    let keyword = current
    guard keyword.kind == .identifier, let clauseKeyword = ClauseKeyword(rawValue: keyword.text) else {
      // Past the budget the diagnostic is only counted: building its message would cost more than the line.
      if keyword.kind != .invalid, !budget.hasRoom {
        budget.countOmitted()
        throw Failure()
      }
      var hints: [String] = []
      var fixIt: FixIt?
      if keyword.kind == .identifier, budget.hasRoom,
        let near = Suggestions.closest(to: keyword.text, among: Parser.clauseKeywords)
      {
        hints.append("did you mean '\(near)'?")
        fixIt = FixIt(range: keyword.range, replacement: near)
      }
      hints.append(Parser.clauseList)
      throw fail(.unknownClause(keyword.quoted), hints: hints, fixIt: fixIt)
    }
    advance()
    let kind: Clause.Kind
    switch clauseKeyword {
    case .tags:
      var tags: [Located<String>] = []
      while current.kind == .identifier {
        tags.append(Located(current.text, current.range))
        advance()
      }
      if tags.isEmpty {
        throw fail(.expectedToken(expected: "a tag name", found: current.quoted))
      }
      kind = .tags(tags)
    case .source:
      kind = .source(try parseSourceReference())
    case .why:
      guard case .string(let text) = current.kind else {
        throw fail(.expectedToken(expected: "a quoted explanation after 'why'", found: current.quoted))
      }
      kind = .why(Located(text, current.range))
      advance()
    case .requires:
      kind = .requires(try parseExpression())
    case .forEach:
      guard current.kind == .identifier, !Parser.expressionKeywords.contains(current.text) else {
        throw fail(.expectedToken(expected: "a variable name after 'for'", found: current.quoted))
      }
      let variable = Located(current.text, current.range)
      advance()
      guard current.isKeyword(BinaryOperator.elementOf.rawValue) else {
        throw fail(
          .expectedToken(expected: "'in' after the variable '\(variable.value)'", found: current.quoted),
          hints: ["write 'for \(variable.value) in DOMAIN'"])
      }
      advance()
      kind = .forEach(variable: variable, domain: try parseExpression())
    case .given where current.isKeyword(PinnedSchedule.subject) && peekNext().isSymbol("{"):
      kind = .schedule(try parsePinnedSchedule())
    case .given:
      guard current.kind == .identifier else {
        throw fail(.expectedToken(expected: "a subject after 'given'", found: current.quoted))
      }
      let subject = Located(current.text, current.range)
      advance()
      var attributes: [Given.Attribute] = []
      while !atLineEnd {
        guard current.kind == .identifier, !Parser.expressionKeywords.contains(current.text) else {
          throw fail(
            .expectedToken(expected: "an attribute name in 'given \(subject.value)'", found: current.quoted),
            hints: ["write 'given SUBJECT ATTRIBUTE VALUE ...'"])
        }
        let name = Located(current.text, current.range)
        advance()
        if atLineEnd {
          throw fail(.expectedExpression(expected: "a value for attribute '\(name.value)'", found: current.quoted))
        }
        attributes.append(Given.Attribute(name: name, value: try parseExpression()))
      }
      kind = .given(Given(subject: subject, attributes: attributes))
    case .call:
      guard current.kind == .identifier else {
        throw fail(.expectedToken(expected: "an operation name after 'call'", found: current.quoted))
      }
      let name = Located(current.text, current.range)
      advance()
      guard current.isSymbol("(") else {
        throw fail(
          .expectedToken(expected: "'(' after '\(name.value)'", found: current.quoted),
          hints: ["write 'call \(name.value)()' or 'call \(name.value)(ARGUMENTS)'"],
          fixIt: FixIt(range: SourceRange(start: name.range.end, end: name.range.end), replacement: "()"))
      }
      let (arguments, _) = try parseArguments(opening: current)
      kind = .call(Call(name: name, arguments: arguments))
    case .expect:
      kind = .expect(try parseExpression())
    }
    let end = previous.range
    guard atLineEnd else {
      var hints: [String] = []
      if case .expect = kind, current.kind == .identifier || current.kind == .symbol {
        hints.append("one clause per line; combine conditions with 'and'")
      }
      throw fail(
        .extraTokens(current.quoted, after: "the '\(clauseKeyword)' clause"), hints: hints)
    }
    return Clause(kind, range: keyword.range.union(end))
  }

  /// `schedule { before|after POINT[#N]: OP LEVEL; ... }`, the braces on one
  /// line or over several, steps separated by `;` or line ends. On an error the
  /// rest of the braces is skipped, so the lines inside are not read as clauses.
  private mutating func parsePinnedSchedule() throws -> PinnedSchedule {
    advance()  // schedule
    advance()  // {
    var steps: [PinnedSchedule.Step] = []
    let usage = "write 'given schedule { after POINT: OP LEVEL; before POINT#N: OP LEVEL }'"
    func skipSeparators(_ parser: inout Parser) {
      while parser.current.kind == .newline || parser.current.isSymbol(";") { parser.advance() }
    }
    do {
      skipSeparators(&self)
      while !current.isSymbol("}") {
        let placements = PinnedSchedule.Placement.allCases.map(\.rawValue)
        guard current.kind == .identifier, let placement = PinnedSchedule.Placement(rawValue: current.text) else {
          if current.kind == .end || current.kind == .identifier && HeaderKeyword(rawValue: current.text) != nil {
            throw fail(.expectedToken(expected: "'}' to close the schedule", found: current.quoted), hints: [usage])
          }
          var hints: [String] = []
          if current.kind == .identifier, let near = Suggestions.closest(to: current.text, among: placements) {
            hints.append("did you mean '\(near)'?")
          }
          throw fail(
            .expectedToken(expected: "'before' or 'after' in the schedule", found: current.quoted),
            hints: hints + [usage])
        }
        let placementToken = Located(placement, current.range)
        advance()
        guard current.kind == .identifier else {
          throw fail(
            .expectedToken(expected: "a scheduling point after '\(placement.rawValue)'", found: current.quoted),
            hints: [usage])
        }
        let point = Located(current.text, current.range)
        advance()
        var occurrence: Located<Int>?
        if current.isSymbol("#") {
          advance()
          // The checker judges the count (E222); here it only has to be a number.
          guard case .integer(let n) = current.kind else {
            throw fail(
              .expectedToken(expected: "an occurrence count after '#', as in '\(point.value)#2'", found: current.quoted))
          }
          occurrence = Located(n > UInt64(Int.max) ? Int.max : Int(n), current.range)
          advance()
        }
        guard current.isSymbol(":") else {
          throw fail(
            .expectedToken(expected: "':' after the point '\(point.value)'", found: current.quoted), hints: [usage])
        }
        advance()
        guard current.kind == .identifier else {
          throw fail(.expectedToken(expected: "an operation, as in 'zap pmd'", found: current.quoted), hints: [usage])
        }
        let operation = Located(current.text, current.range)
        advance()
        guard current.kind == .identifier else {
          throw fail(
            .expectedToken(expected: "a level after '\(operation.value)', as in '\(operation.value) pmd'", found: current.quoted),
            hints: [usage])
        }
        let level = Located(current.text, current.range)
        advance()
        steps.append(
          .init(placement: placementToken, point: point, occurrence: occurrence, operation: operation, level: level))
        guard current.isSymbol(";") || current.kind == .newline || current.isSymbol("}") else {
          throw fail(.expectedToken(expected: "';' or '}' after a step", found: current.quoted), hints: [usage])
        }
        skipSeparators(&self)
      }
      advance()  // }
    } catch {
      // Skip to the closing brace (or the next rule), so the steps are not read as clauses.
      while current.kind != .end && !current.isSymbol("}")
        && !(current.kind == .identifier && HeaderKeyword(rawValue: current.text) != nil
          && previous.kind == .newline)
      {
        advance()
      }
      if current.isSymbol("}") { advance() }
      throw error
    }
    return PinnedSchedule(steps: steps)
  }

  private mutating func parseSourceReference() throws -> Located<SourceReference> {
    let kinds = SourceReference.Kind.allCases.map(\.rawValue)
    let usage = "write 'source contract#ANCHOR', 'source msg <MESSAGE-ID>' or 'source commit HASH'"
    guard current.kind == .word, let sourceKind = SourceReference.Kind(rawValue: current.text) else {
      var hints: [String] = []
      if current.kind == .word, budget.hasRoom, let near = Suggestions.closest(to: current.text, among: kinds) {
        hints.append("did you mean '\(near)'?")
      }
      hints.append(usage)
      throw fail(.invalidSource(expected: "a source reference", found: current.quoted), hints: hints)
    }
    let kindToken = current
    advance()
    switch sourceKind {
    case .contract:
      guard current.isSymbol(SourceReference.anchorSeparator) else {
        throw fail(
          .invalidSource(expected: "'#' and an anchor after 'contract'", found: nil),
          hints: ["write the anchor without spaces, as in 'contract#C14'"])
      }
      advance()
      guard current.kind == .word, current.range.start == previous.range.end else {
        throw fail(.invalidSource(expected: "an anchor after 'contract#'", found: current.quoted))
      }
      let anchor = current
      advance()
      return Located(.contract(anchor: anchor.text), kindToken.range.union(anchor.range))
    case .message:
      guard case .messageID(let id) = current.kind, !id.isEmpty else {
        throw fail(
          .invalidSource(expected: "a message id in angle brackets after 'msg'", found: current.quoted),
          hints: ["write 'source msg <local@domain>'"])
      }
      let range = current.range
      advance()
      return Located(.message(id: id), kindToken.range.union(range))
    case .commit:
      let hash = current
      let isHex = hash.text.unicodeScalars.allSatisfy {
        ("0"..."9").contains($0) || ("a"..."f").contains($0) || ("A"..."F").contains($0)
      }
      guard hash.kind == .word, isHex, (7...40).contains(hash.text.count) else {
        throw fail(
          hash.kind == .word
            ? .invalidCommitID(hash.text) : .invalidSource(expected: "a commit id after 'commit'", found: hash.quoted),
          hints: ["a commit id is 7 to 40 hexadecimal digits"])
      }
      advance()
      return Located(.commit(id: hash.text.lowercased()), kindToken.range.union(hash.range))
    }
  }

  // MARK: - Expressions

  /// The words that are operators (`and`, `or`, `not`, `implies`, `in`): not usable as names.
  static let expressionKeywords: Set<String> = Set(
    BinaryOperator.allCases.filter(\.isWord).map(\.rawValue)
      + UnaryOperator.allCases.filter(\.isWord).map(\.rawValue))

  private mutating func enter() throws {
    depth += 1
    nodes += 1
    if depth > Parser.maximumDepth || nodes > Parser.maximumNodes {
      throw fail(
        .expressionTooComplex,
        hints: ["split it across several clauses"])
    }
  }

  private mutating func parseExpression() throws -> Expr {
    try enter()
    defer { depth -= 1 }
    return try parseBinary(BinaryOperator.precedences.lowerBound)
  }

  /// Counts a node built in a loop rather than by recursion (`a + b + c`, `a.b.c`).
  private mutating func countNode() throws {
    nodes += 1
    if nodes > Parser.maximumNodes {
      throw fail(
        .expressionTooComplex, hints: ["split it across several clauses"])
    }
  }

  private mutating func binary(_ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr) throws -> Expr {
    try countNode()
    return Expr(.binary(op, lhs, rhs), range: lhs.range.union(rhs.range))
  }

  /// The binary operator at the current token, if it has this precedence.
  private mutating func binaryOperator(at precedence: Int) -> BinaryOperator? {
    if currentOperator == nil { currentOperator = Parser.binaryOperator(of: current) }
    guard let op = currentOperator!, op.precedence == precedence else { return nil }
    return op
  }

  /// Precedence climbing over the levels of ``BinaryOperator/precedence``; `not`
  /// sits between `and` and the comparisons, unary `-` and `~` below the tightest.
  private mutating func parseBinary(_ precedence: Int) throws -> Expr {
    guard precedence <= BinaryOperator.precedences.upperBound else { return try parseUnary() }
    let tighter = precedence + 1
    func operand(_ parser: inout Parser) throws -> Expr {
      tighter == BinaryOperator.equal.precedence ? try parser.parseNot() : try parser.parseBinary(tighter)
    }
    var lhs = try operand(&self)
    while let op = binaryOperator(at: precedence) {
      advance()
      switch op.associativity {
      case .right:
        try enter()
        defer { depth -= 1 }
        return try binary(op, lhs, try parseBinary(precedence))
      case .none:
        let result = try binary(op, lhs, try operand(&self))
        if binaryOperator(at: precedence) != nil {
          throw fail(
            .chainedComparison,
            hints: ["combine them with 'and', as in 'a < b and b < c'"])
        }
        return result
      case .left:
        lhs = try binary(op, lhs, try operand(&self))
      }
    }
    return lhs
  }

  private mutating func parseNot() throws -> Expr {
    guard current.isKeyword(UnaryOperator.not.rawValue) else {
      return try parseBinary(BinaryOperator.equal.precedence)
    }
    let keyword = current
    advance()
    try enter()
    defer { depth -= 1 }
    let operand = try parseNot()
    return Expr(.unary(.not, operand), range: keyword.range.union(operand.range))
  }

  private mutating func parseUnary() throws -> Expr {
    guard current.kind == .symbol, let op = UnaryOperator(rawValue: current.text), !op.isWord else {
      return try parsePostfix()
    }
    let symbol = current
    advance()
    try enter()
    defer { depth -= 1 }
    let operand = try parseUnary()
    return Expr(.unary(op, operand), range: symbol.range.union(operand.range))
  }

  private mutating func parsePostfix() throws -> Expr {
    var expr = try parsePrimary()
    while true {
      if current.isSymbol(".") {
        advance()
        guard current.kind == .identifier else {
          throw fail(.expectedToken(expected: "a member name after '.'", found: current.quoted))
        }
        let member = Located(current.text, current.range)
        advance()
        try countNode()
        expr = Expr(.member(expr, member), range: expr.range.union(member.range))
      } else if current.isSymbol("(") {
        guard case .identifier(let name) = expr.kind else {
          throw fail(
            .callOfNonName,
            hints: ["functions are called by name, as in 'lock_of(level)'"])
        }
        let (arguments, closing) = try parseArguments(opening: current)
        try countNode()
        expr = Expr(
          .call(Located(name, expr.range), arguments), range: expr.range.union(closing))
      } else {
        return expr
      }
    }
  }

  /// Parses `( [expr {, expr}] )` with the current token at `(`.
  private mutating func parseArguments(opening: Token) throws -> ([Expr], SourceRange) {
    try parseSequence(opening: opening, closing: ")")
  }

  private mutating func parseSequence(opening: Token, closing: String) throws -> (
    [Expr], SourceRange
  ) {
    advance()
    try enter()
    defer { depth -= 1 }
    var elements: [Expr] = []
    if !current.isSymbol(closing) {
      while true {
        elements.append(try parseExpression())
        if current.isSymbol(",") {
          advance()
          continue
        }
        break
      }
    }
    guard current.isSymbol(closing) else {
      throw fail(
        .expectedToken(expected: "',' or '\(closing)'", found: current.quoted),
        notes: [.init(message: "to match this '\(opening.text)'", file: path, range: opening.range)])
    }
    let end = current.range
    advance()
    return (elements, opening.range.union(end))
  }

  private mutating func parsePrimary() throws -> Expr {
    let token = current
    switch token.kind {
    case .integer(let value):
      advance()
      return Expr(.integer(value), range: token.range)
    case .version(let major, let minor):
      advance()
      return Expr(.version(Version(major, minor)), range: token.range)
    case .string(let text):
      advance()
      return Expr(.string(text), range: token.range)
    case .identifier where !Parser.expressionKeywords.contains(token.text):
      advance()
      return Expr(.identifier(token.text), range: token.range)
    case .symbol where token.text == "(":
      advance()
      try enter()
      defer { depth -= 1 }
      let inner = try parseExpression()
      guard current.isSymbol(")") else {
        throw fail(
          .expectedToken(expected: "')'", found: current.quoted),
          notes: [.init(message: "to match this '('", file: path, range: token.range)])
      }
      let end = current.range
      advance()
      // Parentheses only group: the node keeps its kind but spans the parentheses.
      return Expr(inner.kind, range: token.range.union(end))
    case .symbol where token.text == "{":
      let (elements, range) = try parseSequence(opening: token, closing: "}")
      return Expr(.list(elements), range: range)
    default:
      throw fail(.expectedExpression(expected: "an expression", found: token.quoted))
    }
  }
}
