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

/// The caller side of the vocabulary: the names that judge what a caller did
/// with the pfn (`call caller(...)` is a ``CallName``, `given request` a subject).
extension PfnVocabulary {
  /// Each violation list, with its meaning.
  static let violationLists: [(name: String, summary: String, read: @Sendable (CallerViolations) -> [String])] = [
    ("stale_uses", "accesses and new maps of a pfn that its address no longer mapped at that moment", \.staleUses),
    ("stale_maps", "device or secondary-MMU maps left behind when another CPU changed their range", \.staleMaps),
    ("uses_after_end", "uses made outside the start..end window that produced the pfn", \.usesAfterEnd),
    ("page_refs", "page references taken on a pfn with no refcounted page behind it", \.pageRefs),
    ("sleeps_in_window", "sleeping calls, or mmap_lock dropped, between start() and end()", \.sleepsInWindow),
    ("pairing_errors", "a start() never ended, a double end(), an end() after a failed start()", \.pairingErrors),
  ]

  static var callerNames: [NameDeclaration] {
    let expect: Vocabulary.Context = [.expect]
    /// A value of what the caller did, known only after `call caller(...)`.
    func after(_ name: String, _ read: @escaping @Sendable (CallerCaseState) -> Value) -> NameDeclaration.Meaning {
      .state { evaluator, _, range in
        guard let caller = evaluator.callerState else {
          throw EvaluationError(message: "'\(name)' is only known after 'call caller(...)'", range: range)
        }
        return read(caller)
      }
    }
    var names = violationLists.map { list in
      NameDeclaration(
        list.name, .list(.string), expect, list.summary, after(list.name) { .list(list.read($0.violations).map(Value.string)) })
    }
    names += [
      .init("caller_result", .integer, expect, "what the caller returned", after("caller_result") { .signed(Int64($0.result)) }),
      .init(
        "lookups", .integer, expect, "follow_pfnmap_start() calls the caller made",
        after("lookups") { .integer(UInt64($0.lookups)) }),
      .init(
        "live_maps", .integer, expect, "device and secondary-MMU maps still live after the caller returned",
        after("live_maps") { .integer(UInt64($0.liveMaps)) }),
      .init(
        "caller_profile", .string, anywhere, "the profile the caller claims (strict, synchronized); empty in walker rules",
        .target { .string($0.caller?.profile.rawValue ?? "") }),
      .init(
        CallerProfile.synchronized.rawValue, .string, anywhere,
        "caller profile: a use after end() is allowed with a notifier and a retry, or a second walk (the merged text)",
        .constant(.string(CallerProfile.synchronized.rawValue))),
    ]
    return names
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
  public var callsCaller: Bool {
    clauses.contains { clause in
      if case .call(let call) = clause.kind { call.name.value == "caller" } else { false }
    }
  }
}
