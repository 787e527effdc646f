/// Warnings for well-formed rules that cannot mean what they say (W312-W316).
///
/// The checker asks whether each clause is well-formed; the lint reads the
/// rule as a sequence of calls and asks whether it describes a use of the API
/// the contract allows: outputs read after the window closed, a lookup that may
/// succeed and is left open, a close after a lookup the rule expects to fail, a
/// comparison with a string the name never has, and citations of a contract
/// that is not there to check them against. The calls and names involved come
/// from the vocabulary (``Vocabulary/Pairing``, ``Vocabulary/stringValues``),
/// so the language still knows no model words.
struct RuleLint {
  let vocabulary: Vocabulary
  let path: String
  /// The first ``diagnosticsKeptPerStage`` warnings; the checker's budget keeps no more of them.
  private(set) var diagnostics: [Diagnostic] = []
  /// Warnings past those, only counted: a file of a million rules left open costs no memory per rule.
  private(set) var omitted = 0
  /// W316 is said once per file: the fix (a contract document) is the same for every citation.
  private var reportedUncheckedAnchor = false

  init(vocabulary: Vocabulary, path: String) {
    self.vocabulary = vocabulary
    self.path = path
  }

  /// What the rule says of the last opening call.
  private enum Outcome {
    /// Nothing said; it may succeed.
    case unknown
    /// An unconditional `expect status == 0`.
    case succeeds
    /// An unconditional `expect status != 0` (or `== -EINVAL`, `< 0`).
    case fails
  }

  /// Lints one rule. `hasSyntaxErrors` turns off what a dropped clause could explain.
  mutating func lint(_ rule: Rule, hasSyntaxErrors: Bool) {
    lintSources(rule)
    lintStrings(rule)
    guard let pairing = vocabulary.pairing, !hasSyntaxErrors else { return }
    lintPairing(rule, pairing)
  }

  // MARK: W312-W314

  private mutating func lintPairing(_ rule: Rule, _ pairing: Vocabulary.Pairing) {
    var open: SourceRange?
    var outcome = Outcome.unknown
    var closed = false
    func leftOpen() -> Bool { open != nil && !closed && outcome != .fails }
    for clause in rule.clauses {
      switch clause.kind {
      case .call(let call) where call.name.value == pairing.open:
        if leftOpen(), let open { reportNeverClosed(open, pairing) }
        open = call.name.range
        outcome = .unknown
        closed = false
      case .call(let call) where call.name.value == pairing.close:
        if open != nil, !closed, outcome == .fails {
          report(
            .closeAfterFailedOpen(open: pairing.open, close: pairing.close), clause.range,
            hints: [
              "\(pairing.closeSource): a failed \(pairing.open)() leaves nothing to end; remove this call, or expect the lookup to succeed"
            ])
        }
        closed = open != nil
      case .expect(let expr):
        if closed {
          if let read = firstRead(of: pairing.invalidAfterClose, in: expr) {
            report(
              .readAfterClose(read.value, close: pairing.close), read.range,
              hints: [
                "\(pairing.invalidAfterCloseSource): after \(pairing.close)() no output may be trusted; move this 'expect' before 'call \(pairing.close)()'"
              ])
          }
        } else if open != nil {
          for conjunct in Self.conjuncts(expr) {
            if let said = outcomeStated(by: conjunct, status: pairing.status) { outcome = said }
          }
        }
      default:
        break
      }
    }
    if leftOpen(), let open { reportNeverClosed(open, pairing) }
  }

  private mutating func reportNeverClosed(_ open: SourceRange, _ pairing: Vocabulary.Pairing) {
    report(
      .openNeverClosed(open: pairing.open, close: pairing.close), open,
      hints: [
        "\(pairing.closeSource): a successful \(pairing.open)() holds a lock until \(pairing.close)(); add 'call \(pairing.close)()' after the last 'expect', or 'expect \(pairing.status) != 0' if the lookup must fail"
      ])
  }

  /// The parts of an unconditional `a and b and c`.
  static func conjuncts(_ expr: Expr) -> [Expr] {
    if case .binary(.and, let lhs, let rhs) = expr.kind { return conjuncts(lhs) + conjuncts(rhs) }
    return [expr]
  }

  /// What a conjunct says of the opening call's outcome: `status == 0`
  /// succeeds; `status != 0`, `status == -E...` or a nonzero literal, `status < 0` fail.
  private func outcomeStated(by expr: Expr, status: String) -> Outcome? {
    guard case .binary(let op, let lhs, let rhs) = expr.kind else { return nil }
    let other: Expr
    if case .identifier(status) = lhs.kind {
      other = rhs
    } else if case .identifier(status) = rhs.kind, op == .equal || op == .notEqual {
      other = lhs
    } else {
      return nil
    }
    let isZero = if case .integer(0) = other.kind { true } else { false }
    switch op {
    case .equal where isZero: return .succeeds
    case .notEqual where isZero: return .fails
    case .less where isZero: return .fails
    case .equal:
      // `result == -EINVAL`, `result == 5`: a nonzero constant.
      switch other.kind {
      case .integer: return .fails
      case .unary(.negate, _): return .fails
      default: return nil
      }
    default: return nil
    }
  }

  /// The first name of `names` that `expr` reads (not a member name).
  private func firstRead(of names: Set<String>, in expr: Expr) -> Located<String>? {
    switch expr.kind {
    case .identifier(let name):
      return names.contains(name) ? Located(name, expr.range) : nil
    case .member(let base, _):
      return firstRead(of: names, in: base)
    case .call(_, let arguments), .list(let arguments):
      for argument in arguments { if let read = firstRead(of: names, in: argument) { return read } }
      return nil
    case .unary(_, let operand):
      return firstRead(of: names, in: operand)
    case .binary(_, let lhs, let rhs):
      return firstRead(of: names, in: lhs) ?? firstRead(of: names, in: rhs)
    case .integer, .version, .string:
      return nil
    }
  }

  // MARK: W315

  private mutating func lintStrings(_ rule: Rule) {
    guard !vocabulary.stringValues.isEmpty else { return }
    for clause in rule.clauses {
      switch clause.kind {
      case .requires(let expr), .expect(let expr), .forEach(_, let expr):
        lintStrings(in: expr)
      case .given(let given):
        for attribute in given.attributes { lintStrings(in: attribute.value) }
      case .call(let call):
        for argument in call.arguments { lintStrings(in: argument) }
      case .tags, .source, .why, .schedule:
        break
      }
    }
  }

  private mutating func lintStrings(in expr: Expr) {
    switch expr.kind {
    case .binary(let op, let lhs, let rhs):
      if op == .equal || op == .notEqual {
        checkString(name: lhs, value: rhs, op: op)
        checkString(name: rhs, value: lhs, op: op)
      } else if op == .elementOf, case .list(let elements) = rhs.kind {
        for element in elements { checkString(name: lhs, value: element, op: op) }
      }
      lintStrings(in: lhs)
      lintStrings(in: rhs)
    case .unary(_, let operand), .member(let operand, _):
      lintStrings(in: operand)
    case .call(_, let arguments), .list(let arguments):
      for argument in arguments { lintStrings(in: argument) }
    case .integer, .version, .string, .identifier:
      break
    }
  }

  private mutating func checkString(name: Expr, value: Expr, op: BinaryOperator) {
    guard case .identifier(let identifier) = name.kind, let known = vocabulary.stringValues[identifier],
      case .string(let literal) = value.kind, !known.contains(literal)
    else { return }
    let outcome =
      switch op {
      case .notEqual: "so this comparison always holds, on every target"
      case .elementOf: "so this value matches on no target"
      default: "so this comparison holds on no target"
      }
    var hints = [outcome]
    var fixIt: FixIt?
    if let near = Suggestions.closest(to: literal, among: known) {
      hints.insert("did you mean \"\(near)\"?", at: 0)
      fixIt = FixIt(range: value.range, replacement: "\"\(near)\"")
    }
    hints.append("'\(identifier)' is one of: \(Suggestions.list(known, limit: 32))")
    report(.unknownStringValue(literal, of: identifier), value.range, hints: hints, fixIt: fixIt)
  }

  // MARK: W316

  private mutating func lintSources(_ rule: Rule) {
    // Anchors are checked against the contract document's; with none loaded, nothing is.
    guard vocabulary.contractAnchors.isEmpty, !reportedUncheckedAnchor else { return }
    for clause in rule.clauses {
      guard case .source(let reference) = clause.kind, case .contract(let anchor) = reference.value else { continue }
      reportedUncheckedAnchor = true
      report(
        .uncheckedAnchor(anchor), reference.range,
        hints: [
          "run from the folder that holds docs/contract.md, or pass '--contract PATH'; until then any anchor is accepted (said once per file)"
        ])
      return
    }
  }

  private mutating func report(
    _ message: DiagnosticMessage, _ range: SourceRange, hints: [String], fixIt: FixIt? = nil
  ) {
    guard diagnostics.count < diagnosticsKeptPerStage else {
      omitted += 1
      return
    }
    diagnostics.append(Diagnostic(message, file: path, range: range, hints: hints, fixIt: fixIt))
  }
}
