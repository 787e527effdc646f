import PfnResults
import PfnSpecLanguage

/// A failing case of a race rule written out as a rule of its own: the world
/// from the case's `given` lines, the failing schedule pinned by point names,
/// the calls, and the expectations that failed. Pasted into a spec file it
/// runs that one schedule on every walker, so it fails the walker it was made
/// from for the same reason and passes one that keeps the contract.
public struct RegressionRule: Sendable {
  /// The rule the case came from, and the text of its file.
  public var rule: Rule
  public var source: String
  /// The case's `for` values.
  public var parameters: [CaseParameter]
  /// The failing schedule, each step with its named point.
  public var schedule: [ScheduleStepRecord]
  /// The expectations that failed; empty when the walker faulted (then every
  /// expectation is kept: the fault fails the case before any is judged).
  public var failed: [FailedExpectation]
  /// The new rule's id.
  public var id: String
  /// Lines said in a comment above the rule: where it came from.
  public var provenance: [String]

  public init(
    rule: Rule, source: String, parameters: [CaseParameter], schedule: [ScheduleStepRecord],
    failed: [FailedExpectation], id: String? = nil, provenance: [String] = []
  ) {
    self.rule = rule
    self.source = source
    self.parameters = parameters
    self.schedule = schedule
    self.failed = failed
    self.id = id ?? "\(rule.id.value)-PIN"
    self.provenance = provenance
  }

  public struct Unwritable: Error, CustomStringConvertible {
    public var description: String
  }

  /// The rule's text, ending with a newline.
  public func text() throws -> String {
    guard let pinned = schedule.pinnedScheduleText else {
      let unnamed = schedule.filter { $0.at == nil }.map { "\($0.operation) at point \($0.point)" }
      throw Unwritable(
        description: schedule.isEmpty
          ? "the case failed without any adversary step: it needs no schedule, the rule itself is the regression"
          : "some steps stand at points a rule cannot name (\(unnamed.joined(separator: ", "))); keep the replay token instead")
    }
    let bindings = Dictionary(parameters.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    let failedLines = Set(failed.map { "\($0.location.line):\($0.location.column)" })
    var lines = provenance.map { "# \($0)" }
    lines.append("rule \(id) \"\(escaped(rule.title.value))\"")
    var tags: [String] = []
    var body: [String] = []
    var requirements: [String] = []
    var wrotePinned = false
    for clause in rule.clauses {
      let text = substitute(clauseText(clause), bindings)
      switch clause.kind {
      case .tags(let list):
        tags += list.map(\.value)
      case .source, .why, .requires:
        body.append(text)
      case .forEach(let variable, let domain):
        // The case's value must still be in the domain on the architecture that runs the rule.
        if case .identifier(let name) = domain.kind, let value = bindings[variable.value] {
          requirements.append("requires \(value) in \(name)")
        }
      case .given(let given):
        if given.subject.value == "race" { continue }
        body.append(text)
      case .schedule:
        continue
      case .call:
        if !wrotePinned {
          body.append(pinned)
          wrotePinned = true
        }
        body.append(text)
      case .expect(let condition):
        let at = "\(condition.range.start.line):\(condition.range.start.column)"
        if failed.isEmpty || failedLines.contains(at) { body.append(text) }
      }
    }
    if !tags.contains("regression") { tags.append("regression") }
    lines.append("  tags " + tags.joined(separator: " "))
    // `requires` first among the clauses that decide where the rule runs, after the sources.
    let firstGiven = body.firstIndex { $0.hasPrefix("given ") || $0.hasPrefix("call ") } ?? body.count
    body.insert(contentsOf: requirements, at: firstGiven)
    lines += body.map { "  " + $0 }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The clause as written, on one line (continuations joined).
  private func clauseText(_ clause: Clause) -> String {
    let utf8 = Array(source.utf8)
    let lo = max(0, min(clause.range.start.offset, utf8.count))
    let hi = max(lo, min(clause.range.end.offset, utf8.count))
    let raw = String(decoding: utf8[lo..<hi], as: UTF8.self)
    return raw.split(separator: "\n", omittingEmptySubsequences: false)
      .map { line -> String in
        var line = Substring(line)
        while line.last == " " || line.last == "\\" { line = line.dropLast() }
        while line.first == " " { line = line.dropFirst() }
        return String(line)
      }
      .filter { !$0.isEmpty }
      .joined(separator: " ")
  }

  /// Replaces each `for` variable by the case's value, outside strings and member names.
  private func substitute(_ text: String, _ bindings: [String: String]) -> String {
    guard !bindings.isEmpty else { return text }
    var result = ""
    var word = ""
    var inString = false
    var inNumber = false
    var previous: Character = " "
    func flush() {
      if let value = bindings[word], previous != "." { result += value } else { result += word }
      word = ""
    }
    for character in text {
      if inString {
        result.append(character)
        if character == "\"" { inString = false }
        continue
      }
      let wordCharacter = character == "_" || character.isLetter || character.isNumber
      if inNumber && wordCharacter {
        result.append(character)
        continue
      }
      inNumber = false
      if word.isEmpty && character.isNumber {
        inNumber = true
        result.append(character)
        continue
      }
      if wordCharacter {
        if word.isEmpty { previous = result.last ?? " " }
        word.append(character)
        continue
      }
      if !word.isEmpty { flush() }
      if character == "\"" { inString = true }
      result.append(character)
    }
    if !word.isEmpty { flush() }
    return result
  }

  private func escaped(_ text: String) -> String {
    String(text.flatMap { $0 == "\"" ? ["\\", "\""] : $0 == "\\" ? ["\\", "\\"] : [$0] })
  }
}
