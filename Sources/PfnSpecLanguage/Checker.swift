/// Checks parsed spec files against the engine's ``Vocabulary``.
///
/// The checker reports unknown names (with did-you-mean), names used where they
/// mean nothing, wrong arities, best-effort type errors, rules without a source
/// or expectation, and duplicate rule ids across all files.
public struct Checker {
  /// Checks all files together; rule ids must be unique across them.
  public static func check(files: [SpecFile], vocabulary: Vocabulary) -> [Diagnostic] {
    check(files: files, vocabulary: vocabulary, syntaxDiagnostics: [])
  }

  /// Checks all files, knowing the parser's diagnostics for them.
  ///
  /// A rule in which the parser dropped a clause is not told that it lacks a
  /// `source`, a `call` or an `expect`: the dropped line may have been it.
  public static func check(
    files: [SpecFile], vocabulary: Vocabulary, syntaxDiagnostics: [Diagnostic]
  ) -> [Diagnostic] {
    var checker = Checker(vocabulary: vocabulary)
    // Where each id was first defined: the file's index, not its path, keeps an entry small.
    var firstDefinition: [String: (file: Int, range: SourceRange)] = [:]
    for (fileIndex, file) in files.enumerated() {
      checker.path = file.path
      var lint = RuleLint(vocabulary: vocabulary, path: file.path)
      // Sorted, so that finding whether a rule's lines hold one is a binary search, not a scan per rule.
      let errorLines = syntaxDiagnostics.compactMap { diagnostic in
        diagnostic.file == file.path && diagnostic.severity == .error ? diagnostic.range?.start.line : nil
      }.sorted()
      let brokenSuite = syntaxDiagnostics.contains { $0.file == file.path && $0.code == .invalidSuiteLine }
      if file.suite == nil && !brokenSuite {
        let start = SourcePosition(line: 1, column: 1, offset: 0)
        checker.report(
          .missingSuite, SourceRange(start: start, end: start),
          hints: ["start the file with 'suite \(file.suiteName) \"title\"'"])
      }
      for (index, rule) in file.rules.enumerated() {
        // A rule's lines run up to the next rule (or the end of the file).
        let nextLine = index + 1 < file.rules.count ? file.rules[index + 1].range.start.line : Int.max
        let lines = rule.range.start.line..<nextLine
        checker.ruleHasSyntaxErrors = Checker.containsAny(of: lines, sorted: errorLines)
        if let first = firstDefinition[rule.id.value] {
          checker.report(
            .duplicateRuleID(rule.id.value), rule.id.range,
            hints: ["rule ids are unique across all spec files"],
            notes: [
              .init(message: "'\(rule.id.value)' is first defined here", file: files[first.file].path, range: first.range)
            ])
        } else {
          firstDefinition[rule.id.value] = (fileIndex, rule.id.range)
        }
        checker.check(rule)
        lint.lint(rule, hasSyntaxErrors: checker.ruleHasSyntaxErrors)
      }
      for diagnostic in lint.diagnostics { checker.keep(diagnostic) }
      checker.countOmitted(lint.omitted, in: file.path)
    }
    return checker.diagnostics + checker.omissions
  }

  // MARK: - State

  let vocabulary: Vocabulary
  private(set) var path = ""
  private var diagnostics: [Diagnostic] = []
  /// Member tables of record types, from the names that carry them.
  private let recordMembers: [String: [String: Vocabulary.ValueType]]

  struct Variable {
    var type: Vocabulary.ValueType
    var range: SourceRange
    var used = false
  }

  /// Per-rule state, rebuilt for each rule.
  var variables: [String: Variable] = [:]
  private var variableOrder: [String] = []
  private var seenCall = false
  private var ruleHasSyntaxErrors = false

  private init(vocabulary: Vocabulary) {
    self.vocabulary = vocabulary
    var members: [String: [String: Vocabulary.ValueType]] = [:]
    for name in vocabulary.names.values {
      if case .record(let record) = name.type, !name.members.isEmpty {
        members[record, default: [:]].merge(name.members) { first, _ in first }
      }
    }
    self.recordMembers = members
  }

  mutating func report(
    _ message: DiagnosticMessage, _ range: SourceRange, hints: [String] = [],
    fixIt: FixIt? = nil, notes: [Diagnostic.Note] = []
  ) {
    let code = message.code
    // These say something is missing; after a dropped clause that is likely a cascade.
    let cascades: Set<DiagnosticCode> = [
      .needsCall, .expectBeforeCall, .missingSource, .noExpectation, .unusedVariable,
    ]
    if ruleHasSyntaxErrors && cascades.contains(code) { return }
    guard kept[path, default: 0] < diagnosticsKeptPerStage else {
      if omitted[path] == nil { omittedOrder.append(path) }
      omitted[path, default: 0] += 1
      return
    }
    kept[path, default: 0] += 1
    diagnostics.append(
      Diagnostic(message, file: path, range: range, hints: hints, fixIt: fixIt, notes: notes))
  }

  /// Keeps a diagnostic made elsewhere (the lint's), within the budget.
  private mutating func keep(_ diagnostic: Diagnostic) {
    guard kept[diagnostic.file, default: 0] < diagnosticsKeptPerStage else {
      if omitted[diagnostic.file] == nil { omittedOrder.append(diagnostic.file) }
      omitted[diagnostic.file, default: 0] += 1
      return
    }
    kept[diagnostic.file, default: 0] += 1
    diagnostics.append(diagnostic)
  }

  /// Counts diagnostics made and dropped elsewhere (the lint's, past its own budget).
  private mutating func countOmitted(_ count: Int, in file: String) {
    guard count > 0 else { return }
    if omitted[file] == nil { omittedOrder.append(file) }
    omitted[file, default: 0] += count
  }

  /// Whether any of the sorted `values` lies in `range`.
  static func containsAny(of range: Range<Int>, sorted values: [Int]) -> Bool {
    var low = 0
    var high = values.count
    while low < high {
      let middle = (low + high) / 2
      if values[middle] < range.lowerBound { low = middle + 1 } else { high = middle }
    }
    return low < values.count && values[low] < range.upperBound
  }

  /// Diagnostics kept and counted past the budget, by file.
  private var kept: [String: Int] = [:]
  private var omitted: [String: Int] = [:]
  private var omittedOrder: [String] = []

  /// One E011 per file whose checker diagnostics passed the budget.
  private var omissions: [Diagnostic] {
    omittedOrder.map { path in
      Diagnostic(
        .tooManyDiagnostics(omitted[path] ?? 0), file: path, range: nil,
        hints: ["fix the first ones and check again"])
    }
  }

  /// Reports an unknown name with a did-you-mean hint and fix-it, and the valid names.
  mutating func reportUnknown(
    _ message: DiagnosticMessage, _ name: Located<String>, candidates: [String],
    listing: String, fullList: String = "see 'pfnspec list vocabulary'"
  ) {
    var hints: [String] = []
    var fixIt: FixIt?
    // Past the budget the diagnostic is only counted; the suggestion would be thrown away.
    if kept[path, default: 0] < diagnosticsKeptPerStage, let near = Suggestions.closest(to: name.value, among: candidates) {
      hints.append("did you mean '\(near)'?")
      fixIt = FixIt(range: name.range, replacement: near)
    }
    if !candidates.isEmpty {
      hints.append("\(listing): \(Suggestions.list(candidates, fullList: fullList))")
    }
    report(message, name.range, hints: hints, fixIt: fixIt)
  }

  // MARK: - Rules

  private mutating func check(_ rule: Rule) {
    variables = [:]
    variableOrder = []
    seenCall = false
    var hasSource = false
    var hasExpect = false
    var tags: [String: SourceRange] = [:]
    // Each tag listed again is reported once, at its first repeat, with how often it was.
    var repeatedTags: [String: (range: SourceRange, count: Int)] = [:]
    var repeatedTagOrder: [String] = []
    var sources: [SourceReference: SourceRange] = [:]
    var subjects: [String: SourceRange] = [:]
    let established = Checker.establishedVersions(rule)

    for clause in rule.clauses {
      switch clause.kind {
      case .tags(let list):
        for tag in list {
          if tags[tag.value] == nil {
            tags[tag.value] = tag.range
          } else if let repeated = repeatedTags[tag.value] {
            repeatedTags[tag.value] = (repeated.range, repeated.count + 1)
          } else {
            repeatedTags[tag.value] = (tag.range, 1)
            repeatedTagOrder.append(tag.value)
          }
        }
      case .source(let reference):
        hasSource = true
        if let first = sources[reference.value] {
          report(
            .duplicateSource(reference.value), reference.range,
            notes: [.init(message: "first cited here", file: path, range: first)])
        } else {
          sources[reference.value] = reference.range
        }
        checkAnchor(reference)
      case .why:
        break
      case .requires(let expr):
        expectBoolean(expr, in: .requires, clause: .requires)
      case .forEach(let variable, let domain):
        checkForEach(variable: variable, domain: domain)
        warnIfSingleCase(variable: variable, domain: domain)
      case .given(let given):
        if seenCall {
          report(
            .givenAfterCall, clause.range,
            hints: ["'given' clauses build the world before the first call; move it up"])
        }
        checkGiven(given, subjects: &subjects)
      case .schedule(let schedule):
        if seenCall {
          report(
            .givenAfterCall, clause.range,
            hints: ["'given' clauses build the world before the first call; move it up"])
        }
        checkSchedule(schedule, clause: clause, subjects: &subjects)
      case .call(let call):
        checkCall(call)
        seenCall = true
      case .expect(let expr):
        hasExpect = true
        if !seenCall {
          report(
            .expectBeforeCall, clause.range,
            hints: ["an expectation judges the state after a call; add 'call start(...)' before it"])
        }
        let reportedBefore = diagnostics.count
        expectBoolean(expr, in: .expect, clause: .expect)
        // Suspicions about an expectation only make sense once it is well-formed.
        if !diagnostics[reportedBefore...].contains(where: { $0.severity == .error }) {
          warnIfSuspicious(expect: expr, established: established)
        }
      }
    }

    for tag in repeatedTagOrder {
      guard let repeated = repeatedTags[tag], let first = tags[tag] else { continue }
      report(
        .duplicateTag(tag), repeated.range,
        hints: repeated.count > 1 ? ["listed \(repeated.count + 1) times"] : [],
        fixIt: FixIt(range: repeated.range, replacement: ""),
        notes: [.init(message: "first listed here", file: path, range: first)])
    }
    if !hasSource {
      report(
        .missingSource(rule: rule.id.value), rule.id.range,
        hints: [
          "cite where the promise comes from: 'source contract#ANCHOR', 'source msg <MESSAGE-ID>' or 'source commit HASH'"
        ])
    }
    if !hasExpect {
      report(
        .noExpectation(rule: rule.id.value), rule.id.range,
        hints: ["a rule without expectations cannot fail"])
    }
    for name in variableOrder {
      if let variable = variables[name], !variable.used {
        report(
          .unusedVariable(name), variable.range,
          hints: ["an unused variable only multiplies the cases; remove the 'for' clause"])
      }
    }
  }

  private mutating func checkAnchor(_ reference: Located<SourceReference>) {
    guard case .contract(let anchor) = reference.value else { return }
    // Without a loaded contract document there is nothing to check against.
    guard !vocabulary.contractAnchors.isEmpty, !vocabulary.contractAnchors.contains(anchor) else {
      return
    }
    // The anchor starts after `contract#` (ASCII: one column per byte).
    let prefix = SourceReference.Kind.contract.rawValue + SourceReference.anchorSeparator
    var start = reference.range.start
    start.column += prefix.unicodeScalars.count
    start.offset += prefix.utf8.count
    let anchorName = Located(anchor, SourceRange(start: start, end: reference.range.end))
    reportUnknown(
      .unknownAnchor(anchor), anchorName,
      candidates: Array(vocabulary.contractAnchors), listing: "anchors in docs/contract.md",
      fullList: "see docs/contract.md")
  }

  private mutating func checkForEach(variable: Located<String>, domain: Expr) {
    let domainType = type(of: domain, in: .domain)
    var elementType = Vocabulary.ValueType.any
    switch domainType {
    case .list(let element): elementType = element
    case .any: break
    default:
      report(
        .typeMismatch(.domainNeedsList(found: domainType)), domain.range)
    }
    if case .list(let elements) = domain.kind, elements.isEmpty {
      report(
        .emptyDomain(variable.value), domain.range,
        hints: ["the rule yields no case"])
    }
    if let existing = variables[variable.value] {
      report(
        .variableAlreadyBound(variable.value), variable.range,
        hints: ["choose another name"],
        notes: [.init(message: "'\(variable.value)' is first bound here", file: path, range: existing.range)])
    } else if vocabulary.names[variable.value] != nil || vocabulary.functions[variable.value] != nil
      || Checker.builtinNames[variable.value] != nil
    {
      report(
        .variableShadowsName(variable.value), variable.range,
        hints: ["choose another name; '\(variable.value)' already means something to the engine"])
    }
    if variables[variable.value] == nil { variableOrder.append(variable.value) }
    variables[variable.value] = Variable(type: elementType, range: variable.range)
  }

  private mutating func checkGiven(_ given: Given, subjects: inout [String: SourceRange]) {
    guard let subject = vocabulary.subjects[given.subject.value] else {
      reportUnknown(
        .unknownSubject(given.subject.value), given.subject,
        candidates: Array(vocabulary.subjects.keys), listing: "subjects are")
      for attribute in given.attributes { _ = type(of: attribute.value, in: .given) }
      return
    }
    if let first = subjects[given.subject.value], !subject.repeatable {
      report(
        .repeatedSubject(given.subject.value), given.subject.range,
        hints: ["a rule has one '\(given.subject.value)'; put all its attributes on one line"],
        notes: [.init(message: "first given here", file: path, range: first)])
    } else if subjects[given.subject.value] == nil {
      subjects[given.subject.value] = given.subject.range
    }

    var seen: [String: SourceRange] = [:]
    for attribute in given.attributes {
      let name = attribute.name
      guard let expected = subject.attributes[name.value] else {
        reportUnknown(
          .unknownAttribute(name.value, of: given.subject.value), name, candidates: Array(subject.attributes.keys),
          listing: "attributes of '\(given.subject.value)' are")
        _ = type(of: attribute.value, in: .given)
        continue
      }
      if let first = seen[name.value] {
        report(
          .repeatedAttribute(name.value), name.range,
          notes: [.init(message: "first given here", file: path, range: first)])
      } else {
        seen[name.value] = name.range
      }
      let found = type(of: attribute.value, in: .given)
      if !Checker.compatible(found, expected) {
        report(
          .typeMismatch(.attribute(name.value, of: given.subject.value, expected: expected, found: found)),
          attribute.value.range)
      }
    }
    let missing = subject.required.subtracting(seen.keys).sorted()
    if !missing.isEmpty {
      report(
        .missingAttributes(missing, of: given.subject.value), given.subject.range,
        hints: ["add \(missing.map { "'\($0) VALUE'" }.joined(separator: " "))"])
    }
  }

  private mutating func checkCall(_ call: Call) {
    guard let signature = vocabulary.calls[call.name.value] else {
      reportUnknown(
        .unknownCall(call.name.value), call.name,
        candidates: Array(vocabulary.calls.keys), listing: "calls are")
      for argument in call.arguments { _ = type(of: argument, in: .call) }
      return
    }
    checkArguments(call.arguments, of: call.name, signature: signature, context: .call)
  }

  private mutating func checkArguments(
    _ arguments: [Expr], of name: Located<String>, signature: Vocabulary.Signature,
    context: Vocabulary.Context
  ) {
    if arguments.count != signature.parameters.count {
      let expected = signature.parameters.count
      report(
        .wrongArity(name.value, takes: expected, found: arguments.count),
        arguments.isEmpty ? name.range : arguments[0].range.union(arguments[arguments.count - 1].range),
        hints: [Checker.usage(name.value, signature)])
    }
    for (position, argument) in arguments.enumerated() {
      let found = type(of: argument, in: context)
      if position < signature.parameters.count {
        let expected = signature.parameters[position]
        if !Checker.compatible(found, expected) {
          report(
            .typeMismatch(.argument(position + 1, of: name.value, expected: expected, found: found)),
            argument.range)
        }
      }
    }
  }

  private static func usage(_ name: String, _ signature: Vocabulary.Signature) -> String {
    "usage: \(name)(\(signature.parameters.map(\.description).joined(separator: ", ")))"
  }

  // MARK: - Suspicious rules

  /// The versions a rule's `requires` clauses guarantee: `requires api >= 6.15`
  /// gives `api` at least 6.15. Only conjuncts of the form `NAME >= VERSION`,
  /// `NAME > VERSION` or `NAME == VERSION` (either way round) count.
  static func establishedVersions(_ rule: Rule) -> [String: Version] {
    var established: [String: Version] = [:]
    for clause in rule.clauses {
      if case .requires(let condition) = clause.kind {
        established.merge(establishedVersions(by: condition), uniquingKeysWith: max)
      }
    }
    return established
  }

  /// The versions a condition guarantees when it holds (see ``establishedVersions(_:)``).
  static func establishedVersions(by condition: Expr) -> [String: Version] {
    var established: [String: Version] = [:]
    func note(_ name: String, _ version: Version) {
      established[name] = max(established[name] ?? version, version)
    }
    func visit(_ expr: Expr) {
      guard case .binary(let op, let lhs, let rhs) = expr.kind else { return }
      switch (op, lhs.kind, rhs.kind) {
      case (.and, _, _):
        visit(lhs)
        visit(rhs)
      case (.greaterEqual, .identifier(let name), .version(let version)),
        (.greater, .identifier(let name), .version(let version)),
        (.equal, .identifier(let name), .version(let version)),
        (.lessEqual, .version(let version), .identifier(let name)),
        (.less, .version(let version), .identifier(let name)),
        (.equal, .version(let version), .identifier(let name)):
        note(name, version)
      default:
        break
      }
    }
    visit(condition)
    return established
  }

  /// W309: a `for` over one value only renames that value.
  private mutating func warnIfSingleCase(variable: Located<String>, domain: Expr) {
    var single = false
    if case .list(let elements) = domain.kind, elements.count == 1 { single = true }
    // `random(1, lo, hi)`, `sample(1, list)`: a list-valued function whose first argument is the count.
    if case .call(let name, let arguments) = domain.kind, let signature = vocabulary.functions[name.value],
      case .list = signature.result, signature.parameters.first == .integer,
      let count = arguments.first, case .integer(1) = count.kind
    {
      single = true
    }
    guard single else { return }
    report(
      .singleCaseDomain(variable.value), domain.range,
      hints: [
        "a quantifier over one value only renames it; write the value where '\(variable.value)' is used, or add the values the rule should also hold for"
      ])
  }

  /// W307, W308 and W310 for one well-formed `expect`.
  private mutating func warnIfSuspicious(
    expect expr: Expr, established: [String: Version]
  ) {
    for (name, gate) in gatedReads(in: expr, established: established) {
      report(
        .gatedName(name.value, requirement: gate.requirement),
        name.range,
        hints: [
          "add 'requires \(gate.requirement)', or move this expectation to a rule of its own: elsewhere the whole case is skipped, its other expectations too"
        ])
      break  // Once per expectation: the fix is the same for every read.
    }
    for comparison in selfComparisons(in: expr) {
      guard case .binary(let op, _, _) = comparison.kind else { continue }
      let outcome = [.equal, .lessEqual, .greaterEqual].contains(op) ? "always holds" : "never holds"
      report(
        .selfComparison(op), comparison.range,
        hints: ["it \(outcome), whatever the walker does; compare with what the walker reported, such as 'pfn' or 'result'"])
    }
    if !dependsOnCalls(expr) {
      report(
        .expectationIgnoresCalls, expr.range,
        hints: [
          "it judges only the rule's own set-up, so no walker can fail it; compare it with 'result', an output, 'held' or another name that describes the call"
        ])
    }
  }

  /// Names and members of `expr` that the vocabulary gates and that nothing
  /// guarantees, in order. The right side of `implies` and `and` is evaluated
  /// only when the left side holds, so `api >= 6.15 implies addr_mask == ...`
  /// guards its read.
  private func gatedReads(
    in expr: Expr, established: [String: Version]
  ) -> [(Located<String>, Vocabulary.Gate)] {
    var found: [(Located<String>, Vocabulary.Gate)] = []
    func visit(_ expr: Expr, _ established: [String: Version]) {
      func note(_ name: Located<String>, _ gate: Vocabulary.Gate) {
        if let have = established[gate.name], have >= gate.version { return }
        found.append((name, gate))
      }
      switch expr.kind {
      case .identifier(let name):
        if variables[name] == nil, let gate = vocabulary.gates[name] { note(Located(name, expr.range), gate) }
      case .member(let base, let member):
        visit(base, established)
        if let gate = vocabulary.gates[member.value] { note(member, gate) }
      case .call(_, let arguments), .list(let arguments):
        for argument in arguments { visit(argument, established) }
      case .unary(_, let operand):
        visit(operand, established)
      case .binary(let op, let lhs, let rhs):
        visit(lhs, established)
        var guarded = established
        if op == .implies || op == .and {
          guarded.merge(Checker.establishedVersions(by: lhs), uniquingKeysWith: max)
        }
        visit(rhs, guarded)
      case .integer, .version, .string:
        break
      }
    }
    visit(expr, established)
    return found
  }

  /// Comparisons in `expr` whose two sides are written the same way.
  private func selfComparisons(in expr: Expr) -> [Expr] {
    let comparisons: Set<BinaryOperator> = [.equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual]
    switch expr.kind {
    case .binary(let op, let lhs, let rhs):
      if comparisons.contains(op) { return Checker.sameShape(lhs, rhs) ? [expr] : [] }
      return selfComparisons(in: lhs) + selfComparisons(in: rhs)
    case .unary(.not, let operand):
      return selfComparisons(in: operand)
    default:
      return []
    }
  }

  /// Whether two expressions are written alike, wherever they stand.
  static func sameShape(_ a: Expr, _ b: Expr) -> Bool {
    switch (a.kind, b.kind) {
    case (.integer(let x), .integer(let y)): x == y
    case (.version(let x), .version(let y)): x == y
    case (.string(let x), .string(let y)): x == y
    case (.identifier(let x), .identifier(let y)): x == y
    case (.member(let x, let m), .member(let y, let n)): m.value == n.value && sameShape(x, y)
    case (.call(let f, let xs), .call(let g, let ys)):
      f.value == g.value && xs.count == ys.count && zip(xs, ys).allSatisfy { sameShape($0, $1) }
    case (.list(let xs), .list(let ys)): xs.count == ys.count && zip(xs, ys).allSatisfy { sameShape($0, $1) }
    case (.unary(let p, let x), .unary(let q, let y)): p == q && sameShape(x, y)
    case (.binary(let p, let x1, let x2), .binary(let q, let y1, let y2)):
      p == q && sameShape(x1, y1) && sameShape(x2, y2)
    default: false
    }
  }

  /// Whether `expr` reads anything a call can change: a name marked as the
  /// outcome of a call, or a name or function that only an `expect` may use.
  private func dependsOnCalls(_ expr: Expr) -> Bool {
    switch expr.kind {
    case .integer, .version, .string:
      return false
    case .identifier(let name):
      if variables[name] != nil { return false }
      guard let entry = vocabulary.names[name] else { return false }
      return entry.needsCall || entry.contexts == .expect
    case .member(let base, _):
      return dependsOnCalls(base)
    case .call(let name, let arguments):
      if let signature = vocabulary.functions[name.value], signature.contexts == .expect { return true }
      return arguments.contains { dependsOnCalls($0) }
    case .list(let elements):
      return elements.contains { dependsOnCalls($0) }
    case .unary(_, let operand):
      return dependsOnCalls(operand)
    case .binary(_, let lhs, let rhs):
      return dependsOnCalls(lhs) || dependsOnCalls(rhs)
    }
  }

  // MARK: - Expressions

  private static let builtinNames: [String: Vocabulary.ValueType] = Vocabulary.booleanLiterals.mapValues { _ in .boolean }

  private static func clauseName(_ context: Vocabulary.Context) -> String {
    switch context {
    case .requires: "a '\(ClauseKeyword.requires)' clause"
    case .domain: "a '\(ClauseKeyword.forEach)' domain"
    case .given: "a '\(ClauseKeyword.given)' clause"
    case .call: "'\(ClauseKeyword.call)' arguments"
    default: "an '\(ClauseKeyword.expect)' clause"
    }
  }

  private static func contextList(_ contexts: Vocabulary.Context) -> String {
    let all: [(Vocabulary.Context, ClauseKeyword)] = [
      (.requires, .requires), (.domain, .forEach), (.given, .given), (.call, .call), (.expect, .expect),
    ]
    return all.filter { contexts.contains($0.0) }.map { "'\($0.1)'" }.joined(separator: ", ")
  }

  private mutating func expectBoolean(_ expr: Expr, in context: Vocabulary.Context, clause: ClauseKeyword) {
    let found = type(of: expr, in: context)
    if !Checker.compatible(found, .boolean) {
      report(.typeMismatch(.clauseNeedsBoolean(clause, found: found)), expr.range)
    }
  }

  /// Whether a value of type `a` may stand where `b` is expected (or be compared with it).
  static func compatible(_ a: Vocabulary.ValueType, _ b: Vocabulary.ValueType) -> Bool {
    switch (a, b) {
    case (.any, _), (_, .any): true
    case (.list(let x), .list(let y)): compatible(x, y)
    default: a == b
    }
  }

  /// Checks a name's context and whether a call has happened yet.
  private mutating func checkUse(
    _ name: String, range: SourceRange, contexts: Vocabulary.Context, needsCall: Bool,
    in context: Vocabulary.Context
  ) {
    if !contexts.contains(context) {
      report(
        .wrongContext(name, in: Checker.clauseName(context)), range,
        hints: contexts.isEmpty ? [] : ["'\(name)' can be used in \(Checker.contextList(contexts))"])
    } else if needsCall && !seenCall && context != .expect {
      // An `expect` before any call is reported once, as E214.
      report(
        .needsCall(name), range,
        hints: ["add 'call start(...)' before this clause"])
    }
  }

  private mutating func type(of expr: Expr, in context: Vocabulary.Context) -> Vocabulary.ValueType {
    switch expr.kind {
    case .integer: return .integer
    case .version: return .version
    case .string: return .string
    case .identifier(let name):
      return typeOfName(Located(name, expr.range), in: context)
    case .member(let base, let member):
      let baseType = type(of: base, in: context)
      var members: [String: Vocabulary.ValueType]?
      if case .identifier(let name) = base.kind, variables[name] == nil,
        let entry = vocabulary.names[name], !entry.members.isEmpty
      {
        members = entry.members
      } else if case .record(let record) = baseType {
        members = recordMembers[record]
      }
      if baseType == .any && members == nil { return .any }
      let owner: String
      if case .identifier(let name) = base.kind { owner = "'\(name)'" } else { owner = "\(baseType)" }
      guard let members else {
        report(
          .noMembers(owner, type: baseType), member.range)
        return .any
      }
      guard let memberType = members[member.value] else {
        reportUnknown(
          .unknownMember(member.value, of: owner), member,
          candidates: Array(members.keys), listing: "members are")
        return .any
      }
      return memberType
    case .call(let name, let arguments):
      guard let signature = vocabulary.functions[name.value] else {
        var hints: [String] = []
        if vocabulary.names[name.value] != nil || variables[name.value] != nil {
          hints.append("'\(name.value)' is a name, not a function")
        }
        if vocabulary.calls[name.value] != nil {
          hints.append("'\(name.value)' is an operation; use it in a 'call' clause")
        }
        if hints.isEmpty {
          reportUnknown(
            .unknownFunction(name.value), name,
            candidates: Array(vocabulary.functions.keys), listing: "functions are")
        } else {
          report(.unknownFunction(name.value), name.range, hints: hints)
        }
        for argument in arguments { _ = type(of: argument, in: context) }
        return .any
      }
      checkUse(name.value, range: name.range, contexts: signature.contexts, needsCall: false, in: context)
      checkArguments(arguments, of: name, signature: signature, context: context)
      return signature.result
    case .unary(let op, let operand):
      let found = type(of: operand, in: context)
      let needed: Vocabulary.ValueType = op == .not ? .boolean : .integer
      if !Checker.compatible(found, needed) {
        report(.typeMismatch(.operand(of: op.rawValue, needed: needed, found: found)), operand.range)
      }
      return needed
    case .binary(let op, let lhs, let rhs):
      return typeOfBinary(op, lhs, rhs, range: expr.range, in: context)
    case .list(let elements):
      var elementType = Vocabulary.ValueType.any
      for element in elements {
        let found = type(of: element, in: context)
        if elementType == .any {
          elementType = found
        } else if !Checker.compatible(found, elementType) {
          report(.typeMismatch(.listMixes(elementType, found)), element.range)
        }
      }
      return .list(elementType)
    }
  }

  private mutating func typeOfName(_ name: Located<String>, in context: Vocabulary.Context)
    -> Vocabulary.ValueType
  {
    if var variable = variables[name.value] {
      variable.used = true
      variables[name.value] = variable
      return variable.type
    }
    if let entry = vocabulary.names[name.value] {
      checkUse(name.value, range: name.range, contexts: entry.contexts, needsCall: entry.needsCall, in: context)
      return entry.type
    }
    if let builtin = Checker.builtinNames[name.value] { return builtin }
    var hints: [String] = []
    if vocabulary.functions[name.value] != nil {
      hints.append("'\(name.value)' is a function; call it with arguments")
    }
    if hints.isEmpty {
      let candidates = Array(vocabulary.names.keys) + Array(variables.keys) + Checker.builtinNames.keys
      reportUnknown(
        .unknownName(name.value), name,
        candidates: candidates, listing: "names are")
    } else {
      report(.unknownName(name.value), name.range, hints: hints)
    }
    return .any
  }

  private mutating func typeOfBinary(
    _ op: BinaryOperator, _ lhs: Expr, _ rhs: Expr, range: SourceRange, in context: Vocabulary.Context
  ) -> Vocabulary.ValueType {
    let left = type(of: lhs, in: context)
    let right = type(of: rhs, in: context)
    switch op {
    case .implies, .or, .and:
      for (side, found) in [(lhs, left), (rhs, right)] where !Checker.compatible(found, .boolean) {
        report(.typeMismatch(.operand(of: op.rawValue, needed: .boolean, found: found)), side.range)
      }
      return .boolean
    case .equal, .notEqual:
      if !Checker.compatible(left, right) {
        report(.typeMismatch(.cannotCompare(op.rawValue, left, right)), range)
      }
      return .boolean
    case .less, .lessEqual, .greater, .greaterEqual:
      let ordered: Set<Vocabulary.ValueType> = [.integer, .version, .level, .any]
      if !Checker.compatible(left, right) {
        report(.typeMismatch(.cannotCompare(op.rawValue, left, right)), range)
      } else if !ordered.contains(left) || !ordered.contains(right) {
        let found = ordered.contains(left) ? right : left
        report(.typeMismatch(.notOrdered(op.rawValue, found: found)), range)
      }
      return .boolean
    case .elementOf:
      switch right {
      case .list(let element):
        if !Checker.compatible(left, element) {
          report(.typeMismatch(.elementOf(left, in: right)), range)
        }
      case .any: break
      default:
        report(.typeMismatch(.membershipNeedsList(found: right)), rhs.range)
      }
      return .boolean
    case .bitOr, .bitAnd:
      let sets: Set<Vocabulary.ValueType> = [.integer, .vmaFlags, .locks]
      if !Checker.compatible(left, right) {
        report(.typeMismatch(.cannotCombine(op.rawValue, left, right)), range)
        return .any
      }
      let type = left == .any ? right : left
      if type != .any && !sets.contains(type) {
        report(.typeMismatch(.notCombinable(op.rawValue, found: type)), range)
      }
      return type
    case .shiftLeft, .shiftRight, .add, .subtract, .multiply, .divide, .remainder:
      for (side, found) in [(lhs, left), (rhs, right)] where !Checker.compatible(found, .integer) {
        report(.typeMismatch(.operand(of: op.rawValue, needed: .integer, found: found)), side.range)
      }
      return .integer
    }
  }
}
