import PfnResults

/// A run planned ahead of running it: every piece (rule, subject,
/// architecture) in run order with its cases planned, and where each case is.
///
/// A plug-in's fork server prepares its part once, before it forks: each
/// child it forks after a crash then starts at the rule of its resume point,
/// with nothing planned again and no rule before that point looked at, so a
/// crash costs the same early in the part as late in it.
public final class PreparedRun {
  let pieces: [Runner.Piece]
  let plans: [Plan]
  /// The piece of each case that can be in flight (a planned case), by reference.
  private let pieceOfCase: [CaseReference: Int]
  /// Every planned case in run order, with its place in the run: what
  /// ``RunOptions/caseWillRunAt`` is called with before the case runs.
  public let cases: [(identity: CaseIdentity, ordinal: CaseOrdinal)]

  init(
    pieces: [Runner.Piece], plans: [Plan], pieceOfCase: [CaseReference: Int],
    cases: [(identity: CaseIdentity, ordinal: CaseOrdinal)]
  ) {
    self.pieces = pieces
    self.plans = plans
    self.pieceOfCase = pieceOfCase
    self.cases = cases
  }

  /// The first piece a run resumed at `resume` must look at: the one of the
  /// case it resumes after, or of an earlier case it runs again. Every piece
  /// before it holds only cases the resumed run leaves out.
  func firstPiece(resuming resume: ResumePoint?) -> Int {
    guard let resume, let after = pieceOfCase[resume.after] else { return 0 }
    return resume.rerun.reduce(after) { first, reference in min(first, pieceOfCase[reference] ?? 0) }
  }
}

extension Runner {
  /// Plans every rule of the run without running any (``PreparedRun``); give
  /// it to ``run(into:prepared:)`` of this runner, or of one made with the
  /// same files, subjects, architectures and options but for the resume point.
  public func prepare() -> PreparedRun {
    let pieces = makePieces()
    var plans: [Plan] = []
    plans.reserveCapacity(pieces.count)
    var pieceOfCase: [CaseReference: Int] = [:]
    var cases: [(identity: CaseIdentity, ordinal: CaseOrdinal)] = []
    for (index, piece) in pieces.enumerated() {
      let plan = planPiece(piece.rule, piece.file, target(piece.walker, piece.caller, piece.arch))
      plans.append(plan)
      guard case .cases(let planned) = plan else { continue }
      for (caseIndex, plannedCase) in planned.enumerated() {
        let identity = CaseIdentity(
          key: piece.key, ruleID: piece.rule.id.value, ruleTitle: piece.rule.title.value,
          parameters: plannedCase.parameters,
          location: SpecLocation(file: piece.file.path, line: piece.rule.range.start.line))
        cases.append((identity, CaseOrdinal(suite: piece.suiteOrdinal, rule: piece.ruleOrdinal, index: caseIndex)))
        let reference = CaseReference(identity)
        if pieceOfCase[reference] == nil { pieceOfCase[reference] = index }
      }
    }
    return PreparedRun(pieces: pieces, plans: plans, pieceOfCase: pieceOfCase, cases: cases)
  }
}

extension Runner {
  /// Goes through every rule of a prepared run the way a resumed run goes
  /// on its way to its resume point, running no case: what the Swift runtime
  /// builds lazily on that way (type metadata) is then built in this process,
  /// and a fork server's children inherit it instead of building it after
  /// every crash.
  public func warmUp(_ prepared: PreparedRun) {
    var options = options
    options.caseWillRun = nil
    options.caseWillRunAt = nil
    // A point no case has: the gate stays closed, every piece is looked at and none runs.
    options.resume = ResumePoint(after: CaseReference(key: SuiteKey(suite: "", walker: "", arch: ""), caseName: ""))
    let runner = Runner(files: files, sources: sources, walkers: walkers, callers: callers, arches: arches, options: options)
    _ = try? runner.run(into: CollectingSink(), prepared: prepared)
  }
}
