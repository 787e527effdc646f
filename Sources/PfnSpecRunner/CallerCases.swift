import PfnCallers
import PfnModel
import PfnSpecLanguage
import PfnWalkers

/// What a caller run left for `expect` clauses to judge.
struct CallerCaseState {
  var result: Int32
  var violations: CallerViolations
  var lookups: Int
  var liveMaps: Int
}

/// The caller side of the vocabulary: the `caller()` call, the `request`
/// subject and the names that judge what a caller did with the pfn.
enum CallerVocabulary {
  /// Each name with its meaning: the list of violations of one kind.
  static let violationLists: [(name: String, summary: String, read: @Sendable (CallerViolations) -> [String])] = [
    ("stale_uses", "accesses and new maps of a pfn that its address no longer mapped at that moment", \.staleUses),
    ("stale_maps", "device or secondary-MMU maps left behind when another CPU changed their range", \.staleMaps),
    ("uses_after_end", "uses made outside the start..end window that produced the pfn", \.usesAfterEnd),
    ("page_refs", "page references taken on a pfn with no refcounted page behind it", \.pageRefs),
    ("sleeps_in_window", "sleeping calls, or mmap_lock dropped, between start() and end()", \.sleepsInWindow),
    ("pairing_errors", "a start() never ended, a double end(), an end() after a failed start()", \.pairingErrors),
  ]

  static func add(to vocabulary: inout Vocabulary) {
    let expect: Vocabulary.Context = [.expect]
    for list in violationLists {
      vocabulary.names[list.name] = .init(
        type: .list(.string), contexts: expect, members: [:], needsCall: true, summary: list.summary)
    }
    vocabulary.names["caller_result"] = .init(
      type: .integer, contexts: expect, members: [:], needsCall: true, summary: "what the caller returned")
    vocabulary.names["lookups"] = .init(
      type: .integer, contexts: expect, members: [:], needsCall: true,
      summary: "follow_pfnmap_start() calls the caller made")
    vocabulary.names["live_maps"] = .init(
      type: .integer, contexts: expect, members: [:], needsCall: true,
      summary: "device and secondary-MMU maps still live after the caller returned")
    vocabulary.names["caller_profile"] = .init(
      type: .string, contexts: .all, members: [:], needsCall: false,
      summary: "the profile the caller claims (strict, synchronized); empty in walker rules")
    vocabulary.names["synchronized"] = .init(
      type: .string, contexts: .all, members: [:], needsCall: false,
      summary: "caller profile: a use after end() is allowed with a notifier and retry, or a second walk (the merged text)")
    vocabulary.names["EFAULT"] = .init(
      type: .integer, contexts: .all, members: [:], needsCall: false, summary: "errno 14")
    vocabulary.subjects["request"] = .init(
      attributes: ["write": .boolean],
      summary: "what the harness asks the caller for: read (default) or write access to the address")
    vocabulary.calls["caller"] = .init(
      parameters: [.integer], result: .integer, contexts: [.call],
      summary: "runs the caller under test for an address of the VMA; its lookups go to the run's walker")
  }
}

extension Evaluator {
  /// The caller names' values; `nil` for a name that is not one of them.
  func callerValue(_ name: String, _ range: SourceRange) throws -> Value? {
    switch name {
    case "caller_profile": return .string(target.caller?.profile.rawValue ?? "")
    case "synchronized": return .string(name)
    case "EFAULT": return .integer(UInt64(Errno.EFAULT))
    default: break
    }
    let isCallerName =
      ["caller_result", "lookups", "live_maps"].contains(name)
      || CallerVocabulary.violationLists.contains { $0.name == name }
    guard isCallerName else { return nil }
    guard let caller = callerState else {
      throw EvaluationError(message: "'\(name)' is only known after 'call caller(...)'", range: range)
    }
    switch name {
    case "caller_result": return .signed(Int64(caller.result))
    case "lookups": return .integer(UInt64(caller.lookups))
    case "live_maps": return .integer(UInt64(caller.liveMaps))
    default:
      let list = CallerVocabulary.violationLists.first { $0.name == name }!
      return .list(list.read(caller.violations).map(Value.string))
    }
  }
}

extension CaseExecutor {
  /// `call caller(address)`: runs the caller under test against the world,
  /// its lookups served by the case's walker; every host call it makes is a
  /// scheduling point, and so are the moments after it returned while its
  /// maps live on.
  func runCaller(
    _ caller: any Caller, address: UInt64, host: ModelHost, observer: RaceObserver?, evaluator: inout Evaluator
  ) throws {
    let world = host.world
    guard let vma = world.vmas.first else { throw EvaluationError(message: "no VMA", range: nil) }
    let request = CallerRequest(vma: vma, address: address, write: evaluator.spec.requestWrite)
    let callerHost = ModelCallerHost(walkerHost: host, walker: walker, request: request)
    observer?.address = address
    host.log(
      "caller \(caller.descriptor.name) (\(caller.descriptor.profile.rawValue)) asked to "
        + (request.write ? "write" : "read") + " \(hexString(address))")
    let result: Int32
    do {
      result = try caller.run(request, host: callerHost)
      host.log("caller returned \(result)")
      try callerHost.afterReturn()
    } catch let fault as CallerFault {
      if case .walker(let walkerFault) = fault { throw walkerFault }
      throw CallerFaulted(fault: fault)
    }
    let args = FollowPfnmapArgs(vma: vma, address: address)
    evaluator.state = CallState(
      address: address, result: nil, args: args, argsBefore: args, expected: world.translate(address), world: world,
      previous: nil)
    evaluator.callerState = CallerCaseState(
      result: result, violations: callerHost.violations, lookups: callerHost.lookups,
      liveMaps: callerHost.liveMapCount)
  }
}

/// A caller did something the kernel would not survive; the case fails with it.
struct CallerFaulted: Error, CustomStringConvertible {
  var fault: CallerFault
  var description: String { "the caller faulted: \(fault)" }
}

func hexString(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

extension Rule {
  /// Whether the rule runs a caller (`call caller(...)`): it is then checked
  /// once per caller instead of once per walker.
  var callsCaller: Bool {
    clauses.contains { clause in
      if case .call(let call) = clause.kind { call.name.value == "caller" } else { false }
    }
  }
}
