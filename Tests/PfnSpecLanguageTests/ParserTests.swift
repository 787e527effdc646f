import Testing
@testable import PfnSpecLanguage

let exampleSpec = """
  suite lifetime "Results live only between start() and end()"

  rule LT-001 "a successful start() holds the lock that protects the leaf until end()"
    tags lifetime locking
    source contract#C14
    source msg <20240815172445.GK2032816@nvidia.com>
    why "end() must release exactly what start() took"
    requires api >= 6.12
    for level in leaf_levels
    given vma flags IO|PFNMAP file false
    given leaf at level pfn 0x12345 writable true special true
    given caller holds mmap_read
    for addr in random(3, leaf.start, leaf.end)
    call start(addr)
    expect result == 0
    expect held == lock_of(level)
    expect outputs == expected
    call end()
    expect held == none and result == 0 implies not lockdep_warned

  """

/// Writes an expression back in fully parenthesised form, to test the tree shape.
func show(_ expr: Expr) -> String {
  switch expr.kind {
  case .integer(let value): String(value)
  case .version(let version): "\(version)"
  case .string(let text): "\"\(text)\""
  case .identifier(let name): name
  case .member(let base, let member): "\(show(base)).\(member.value)"
  case .call(let name, let arguments): "\(name.value)(\(arguments.map(show).joined(separator: ", ")))"
  case .unary(let op, let operand): op == .not ? "(not \(show(operand)))" : "(\(op.rawValue)\(show(operand)))"
  case .binary(let op, let lhs, let rhs): "(\(show(lhs)) \(op.rawValue) \(show(rhs)))"
  case .list(let elements): "{\(elements.map(show).joined(separator: ", "))}"
  }
}

func expression(_ text: String) -> (Expr?, [Diagnostic]) {
  let (file, diagnostics) = Parser.parse(source: "rule X-1 \"t\"\n  expect \(text)\n", path: "e")
  guard case .expect(let expr)? = file.rules.first?.clauses.first?.kind else { return (nil, diagnostics) }
  return (expr, diagnostics)
}

@Suite("Parser")
struct ParserTests {
  @Test func parsesTheExample() {
    let set = check(exampleSpec)
    #expect(set.diagnostics.isEmpty, "\(set.render())")
    let file = set.files[0]
    #expect(file.suite?.name.value == "lifetime")
    #expect(file.suite?.title.value == "Results live only between start() and end()")
    #expect(file.rules.count == 1)
    let rule = file.rules[0]
    #expect(rule.id.value == "LT-001")
    #expect(rule.clauses.count == 16)
    guard rule.clauses.count == 16 else { return }
    guard case .tags(let tags) = rule.clauses[0].kind else { Issue.record("tags"); return }
    #expect(tags.map(\.value) == ["lifetime", "locking"])
    guard case .source(let contract) = rule.clauses[1].kind,
      case .source(let message) = rule.clauses[2].kind
    else { Issue.record("sources"); return }
    #expect(contract.value == .contract(anchor: "C14"))
    #expect(message.value == .message(id: "20240815172445.GK2032816@nvidia.com"))
    guard case .why(let why) = rule.clauses[3].kind else { Issue.record("why"); return }
    #expect(why.value == "end() must release exactly what start() took")
    guard case .requires(let requires) = rule.clauses[4].kind else { Issue.record("requires"); return }
    #expect(show(requires) == "(api >= 6.12)")
    guard case .forEach(let variable, let domain) = rule.clauses[5].kind else { Issue.record("for"); return }
    #expect(variable.value == "level")
    #expect(show(domain) == "leaf_levels")
    guard case .given(let leaf) = rule.clauses[7].kind else { Issue.record("given"); return }
    #expect(leaf.subject.value == "leaf")
    #expect(leaf.attributes.map(\.name.value) == ["at", "pfn", "writable", "special"])
    #expect(leaf.attributes.map { show($0.value) } == ["level", "74565", "true", "true"])
    guard case .given(let vma) = rule.clauses[6].kind else { Issue.record("vma"); return }
    #expect(show(vma.attributes[0].value) == "(IO | PFNMAP)")
    guard case .forEach(_, let random) = rule.clauses[9].kind else { Issue.record("random"); return }
    #expect(show(random) == "random(3, leaf.start, leaf.end)")
    guard case .call(let start) = rule.clauses[10].kind, case .call(let end) = rule.clauses[14].kind else {
      Issue.record("calls")
      return
    }
    #expect(start.name.value == "start" && start.arguments.map(show) == ["addr"])
    #expect(end.name.value == "end" && end.arguments.isEmpty)
    guard case .expect(let last) = rule.clauses[15].kind else { Issue.record("expect"); return }
    #expect(show(last) == "(((held == none) and (result == 0)) implies (not lockdep_warned))")
  }

  @Test(
    "precedence and associativity",
    arguments: [
      ("a or b and c", "(a or (b and c))"),
      ("a implies b implies c", "(a implies (b implies c))"),
      ("not a == b", "(not (a == b))"),
      ("not not a and b", "((not (not a)) and b)"),
      ("a | b & c", "(a | (b & c))"),
      ("a & b << 1", "(a & (b << 1))"),
      ("1 << 2 + 3", "(1 << (2 + 3))"),
      ("1 + 2 * 3 - 4", "((1 + (2 * 3)) - 4)"),
      ("8 / 2 % 3", "((8 / 2) % 3)"),
      ("-x * ~y", "((-x) * (~y))"),
      ("- - 1", "(-(-1))"),
      ("(a or b) and c", "((a or b) and c)"),
      ("x in {pte, pmd} or y", "((x in {pte, pmd}) or y)"),
      ("a | b == c", "((a | b) == c)"),
      ("vma.start + 4K < vma.end", "((vma.start + 4096) < vma.end)"),
      ("f(a, g(b)).c", "f(a, g(b)).c"),
      ("{}", "{}"),
      ("0x7f00_0000_0000 == 139637976727552", "(139637976727552 == 139637976727552)"),
      ("2M == 1G >> 9", "(2097152 == (1073741824 >> 9))"),
      ("0xffff_ffff_ffff_ffff == 18446744073709551615", "(18446744073709551615 == 18446744073709551615)"),
      ("a implies b or c", "(a implies (b or c))"),
      ("\"a \\\"q\\\" \\\\ \\n\" == s", "(\"a \"q\" \\ \n\" == s)"),
    ])
  func precedence(source: String, expected: String) {
    let (expr, diagnostics) = expression(source)
    #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
    #expect(expr.map(show) == expected)
  }

  @Test func locatesEveryNode() throws {
    let marked = Marked(
      """
      1️⃣suite 2️⃣lifetime3️⃣ 4️⃣"t"5️⃣
      6️⃣rule 7️⃣LT-0018️⃣ 9️⃣"title"
      """)
    let (file, diagnostics) = Parser.parse(source: marked.text, path: "p")
    #expect(diagnostics.isEmpty)
    let suite = try #require(file.suite)
    #expect(suite.range == marked.range(1, 5))
    #expect(suite.name.range == marked.range(2, 3))
    #expect(suite.title.range.start == marked.markers[4])
    #expect(suite.title.range.end == marked.markers[5])
    let rule = try #require(file.rules.first)
    #expect(rule.id.range == marked.range(7, 8))
    #expect(rule.range.start == marked.markers[6])
    #expect(rule.title.range.start == marked.markers[9])

    let body = Marked(
      """
      rule A-1 "t"
        1️⃣source 2️⃣contract#C143️⃣
        4️⃣given 5️⃣leaf6️⃣ 7️⃣at8️⃣ 9️⃣level
      """)
    let (second, _) = Parser.parse(source: body.text, path: "p")
    let clauses = try #require(second.rules.first?.clauses)
    #expect(clauses[0].range == body.range(1, 3))
    guard case .source(let source) = clauses[0].kind, case .given(let given) = clauses[1].kind else {
      Issue.record("kinds")
      return
    }
    #expect(source.range == body.range(2, 3))
    #expect(clauses[1].range.start == body.markers[4])
    #expect(given.subject.range == body.range(5, 6))
    #expect(given.attributes[0].name.range == body.range(7, 8))
    #expect(given.attributes[0].value.range.start == body.markers[9])
    #expect(second.rules[0].range.end == clauses[1].range.end)
  }

  @Test func locatesExpressionNodes() throws {
    let marked = Marked(
      """
      rule A-1 "t"
        expect 1️⃣2️⃣held3️⃣ == 4️⃣5️⃣lock_of6️⃣(7️⃣level8️⃣)9️⃣
      """)
    let (file, _) = Parser.parse(source: marked.text, path: "p")
    guard case .expect(let expr)? = file.rules.first?.clauses.first?.kind,
      case .binary(.equal, let lhs, let rhs) = expr.kind,
      case .call(let name, let arguments) = rhs.kind
    else {
      Issue.record("shape")
      return
    }
    #expect(expr.range == marked.range(1, 9))
    #expect(lhs.range == marked.range(2, 3))
    #expect(rhs.range == marked.range(4, 9))
    #expect(name.range == marked.range(5, 6))
    #expect(arguments[0].range == marked.range(7, 8))

    let nested = Marked(
      """
      rule A-1 "t"
        expect 1️⃣(2️⃣a3️⃣ + 4️⃣vma.start5️⃣)6️⃣ * 7️⃣{8️⃣-19️⃣}
      """)
    let (second, _) = Parser.parse(source: nested.text, path: "p")
    guard case .expect(let product)? = second.rules.first?.clauses.first?.kind,
      case .binary(.multiply, let group, let list) = product.kind,
      case .binary(.add, let a, let member) = group.kind,
      case .list(let elements) = list.kind
    else {
      Issue.record("shape")
      return
    }
    #expect(group.range == nested.range(1, 6))
    #expect(a.range == nested.range(2, 3))
    #expect(member.range == nested.range(4, 5))
    #expect(list.range.start == nested.markers[7])
    #expect(elements[0].range == nested.range(8, 9))
  }

  @Test func acceptsTabsCRLFBOMAndContinuations() {
    let text =
      "\u{FEFF}suite t \"x\"\r\nrule A-1 \"t\"\r\n\tsource commit ffef67b93aa3 # the fix\r\n"
      + "\tcall start(1 + \\\r\n   2)\r\n\texpect result == 0\r\n"
    let set = check(text)
    #expect(set.diagnostics.isEmpty, "\(set.render())")
    guard case .call(let call)? = set.files[0].rules.first?.clauses[1].kind else {
      Issue.record("call")
      return
    }
    #expect(show(call.arguments[0]) == "(1 + 2)")
    guard case .source(let source)? = set.files[0].rules.first?.clauses[0].kind else { return }
    #expect(source.value == .commit(id: "ffef67b93aa3"))
  }

  @Test func stringsMayHoldNonASCII() {
    let set = check(suiteLine + "rule A-1 \"größe → 2M\"\n  source contract#C1\n  call end()\n  expect result == 0\n")
    #expect(set.diagnostics.isEmpty, "\(set.render())")
    #expect(set.files[0].rules[0].title.value == "größe → 2M")
  }

  @Test func contractAnchors() {
    let markdown = """
      # Contract
      ### C1 · Inputs are checked
      ### C14 · Results live until end()\r
      ## C2 · not an anchor
      ### no separator here
      """
    #expect(
      ContractDocument.anchors(markdown: markdown)
        == ["C1": "Inputs are checked", "C14": "Results live until end()"])
  }

  /// Operators are declared once: each parses from its spelling, at its precedence.
  @Test(arguments: BinaryOperator.allCases)
  func parsesEveryOperator(_ op: BinaryOperator) throws {
    let (parsed, diagnostics) = expression("a \(op.rawValue) b")
    #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
    let expr = try #require(parsed)
    guard case .binary(let found, _, _) = expr.kind else {
      Issue.record("'a \(op.rawValue) b' is \(show(expr))")
      return
    }
    #expect(found == op)
    // Against the loosest and tightest other operators: tighter binds first.
    for other in BinaryOperator.allCases where other.precedence != op.precedence && !op.isComparison && !other.isComparison {
      let (mixed, _) = expression("a \(op.rawValue) b \(other.rawValue) c")
      let tighterFirst = other.precedence > op.precedence
      let shown = mixed.map(show) ?? ""
      let expected = tighterFirst ? "(a \(op.rawValue) (b \(other.rawValue) c))" : "((a \(op.rawValue) b) \(other.rawValue) c)"
      #expect(shown == expected, "\(op.rawValue) with \(other.rawValue)")
    }
  }

  /// Clause keywords are declared once: each parses into a clause of its own kind.
  @Test(arguments: ClauseKeyword.allCases)
  func parsesEveryClauseKeyword(_ keyword: ClauseKeyword) throws {
    let line =
      switch keyword {
      case .tags: "tags a b"
      case .source: "source contract#C1"
      case .why: "why \"because\""
      case .requires: "requires api >= 6.12"
      case .forEach: "for x in {1, 2}"
      case .given: "given leaf at pmd"
      case .call: "call start(1)"
      case .expect: "expect result == 0"
      }
    let (file, diagnostics) = Parser.parse(source: suiteLine + "rule A-1 \"t\"\n  \(line)\n", path: "k")
    #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
    let clause = try #require(file.rules.first?.clauses.first)
    #expect(clause.kind.keyword == keyword)
    #expect(Parser.clauseKeywords.contains(keyword.rawValue))
  }

  @Test("given schedule: steps on one line or several, occurrences, and its one-line text")
  func parsesPinnedSchedule() throws {
    let oneLine = "rule A-1 \"t\"\n  given schedule { after pmd_lock: zap pmd; before read_pmd#2: remap pte }\n  call start(1)\n"
    let multiLine =
      "rule A-1 \"t\"\n  given schedule {\n    after pmd_lock: zap pmd  # the lock is taken\n    before read_pmd#2: remap pte\n  }\n  call start(1)\n"
    for source in [oneLine, multiLine] {
      let (file, diagnostics) = Parser.parse(source: suiteLine + source, path: "s")
      #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
      let rule = try #require(file.rules.first)
      #expect(rule.clauses.count == 2)
      guard case .schedule(let schedule) = rule.clauses[0].kind else {
        Issue.record("no schedule clause")
        return
      }
      #expect(rule.clauses[0].kind.keyword == .given)
      #expect(schedule.steps.map(\.occurrence?.value) == [nil, 2])
      #expect(schedule.text == "given schedule { after pmd_lock: zap pmd; before read_pmd#2: remap pte }")
    }
  }

  @Test("a broken schedule is one located error, and its lines are not read as clauses")
  func brokenPinnedSchedule() throws {
    let source = suiteLine
      + "rule A-1 \"t\"\n  source contract#C1\n  given schedule {\n    during pmd_lock: zap pmd\n    before end: remap pte\n  }\n  call start(1)\n  expect result == 0\n"
    let (file, diagnostics) = Parser.parse(source: source, path: "s")
    #expect(diagnostics.count == 1, "\(diagnostics.map(\.message))")
    #expect(diagnostics.first?.range?.start.line == 5)
    #expect(diagnostics.first?.hints.contains { $0.contains("before") } == true)
    #expect(file.rules.first?.clauses.count == 3)
  }
}
