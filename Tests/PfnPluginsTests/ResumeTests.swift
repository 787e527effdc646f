import PfnModel
import PfnResults
@testable import PfnSpecRunner
import PfnWalkers
import Synchronization
import PfnTestSupport
import Testing

@Suite("Resuming a run after the case that killed a worker")
struct ResumeTests {
  /// A runner of three rules (with a rule skipped on the target among them).
  /// The cases begun, in order.
  final class Begun: Sendable {
    let cases = Mutex<[CaseReference]>([])
  }

  func runner(resume: ResumePoint?, begun: Begun? = nil) -> Runner {
    var options = RunOptions()
    options.rules = ["HG-002", "FA-001", "LK-001", "FL-004"]
    options.resume = resume
    options.caseWillRun = { identity in begun?.cases.withLock { $0.append(CaseReference(identity)) } }
    return Runner(
      files: shippedSpecs.files, sources: shippedSpecs.sources, walkers: [ReferenceWalker()], arches: [X86_64()],
      options: options)
  }

  /// The cases a run begins, in order, and its verdicts; planned ahead
  /// (``Runner/prepare()``, as a fork server does) when `prepared` is given.
  func run(resume: ResumePoint?, prepared: PreparedRun? = nil) throws -> (begun: [CaseReference], verdicts: [Verdict]) {
    let begun = Begun()
    let sink = CollectingSink()
    try runner(resume: resume, begun: begun).run(into: sink, prepared: prepared)
    return (begun.cases.withLock { $0 }, sink.verdicts)
  }

  @Test("every case is announced before it runs, in the order of the verdicts")
  func announcesCases() throws {
    let (begun, verdicts) = try run(resume: nil)
    #expect(begun.count > 10)
    // A rule skipped on the target runs nothing and is not announced.
    #expect(begun == verdicts.filter { $0.outcome != .skipped }.map { CaseReference($0.identity) })
  }

  @Test("a resumed run skips through the crashed case, except the cases to rerun")
  func resumes() throws {
    let (all, _) = try run(resume: nil)
    let crashed = all[6]
    let lost = all[4]
    let (begun, verdicts) = try run(resume: ResumePoint(after: crashed, rerun: [lost]))
    #expect(begun == [lost] + all[7...])
    #expect(verdicts.map { CaseReference($0.identity) } == [lost] + all[7...])
  }

  @Test("a prepared run gives the same cases and verdicts, from the start and resumed")
  func preparedRunsAlike() throws {
    let prepared = runner(resume: nil).prepare()
    let (all, verdicts) = try run(resume: nil)
    let (preparedBegun, preparedVerdicts) = try run(resume: nil, prepared: prepared)
    #expect(preparedBegun == all)
    #expect(preparedVerdicts.map { CaseReference($0.identity) } == verdicts.map { CaseReference($0.identity) })
    #expect(preparedVerdicts.map { $0.outcome } == verdicts.map { $0.outcome })
    #expect(verdicts.contains { $0.outcome == .skipped }, "a rule skipped on the target is among them")
    let points: [(CaseReference, CaseReference?)] = [
      (all[6], all[4]), (all[all.count - 2], all[all.count - 3]), (all[0], nil),
    ]
    for (crashed, lost) in points {
      let point = ResumePoint(after: crashed, rerun: Set([lost].compactMap { $0 }))
      let (begun, resumedVerdicts) = try run(resume: point)
      let (preparedResumed, preparedResumedVerdicts) = try run(resume: point, prepared: prepared)
      #expect(preparedResumed == begun)
      #expect(preparedResumedVerdicts.map { CaseReference($0.identity) } == resumedVerdicts.map { CaseReference($0.identity) })
    }
  }

  @Test("a prepared run resumed late starts at the rule of its resume point or of a case to rerun")
  func preparedResumeSkipsAhead() throws {
    let prepared = runner(resume: nil).prepare()
    let (all, _) = try run(resume: nil)
    let last = all[all.count - 1]
    let late = prepared.firstPiece(resuming: ResumePoint(after: last))
    #expect(late > 0)
    #expect(prepared.pieces[late].rule.id.value == String(last.caseName.prefix { $0 != " " && $0 != "[" }))
    #expect(prepared.firstPiece(resuming: ResumePoint(after: last, rerun: [all[0]])) == 0)
    #expect(prepared.firstPiece(resuming: nil) == 0)
    // A point the plan does not hold: from the start, where the gate decides.
    let unknown = CaseReference(key: last.key, caseName: "no such case")
    #expect(prepared.firstPiece(resuming: ResumePoint(after: unknown)) == 0)
  }
}
