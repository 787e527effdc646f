import PfnModel
import PfnResults
import PfnSpecRunner
import PfnWalkers
import Synchronization
import PfnTestSupport
import Testing

@Suite("Resuming a run after the case that killed a worker")
struct ResumeTests {
  /// The cases a run begins, in order, and its verdicts.
  func run(resume: ResumePoint?) throws -> (begun: [CaseReference], verdicts: [Verdict]) {
    let begun = Mutex<[CaseReference]>([])
    var options = RunOptions()
    options.rules = ["HG-002", "FA-001", "LK-001"]
    options.resume = resume
    options.caseWillRun = { identity in begun.withLock { $0.append(CaseReference(identity)) } }
    let sink = CollectingSink()
    try Runner(
      files: shippedSpecs.files, sources: shippedSpecs.sources, walkers: [ReferenceWalker()], arches: [X86_64()],
      options: options
    ).run(into: sink)
    return (begun.withLock { $0 }, sink.verdicts)
  }

  @Test("every case is announced before it runs, in the order of the verdicts")
  func announcesCases() throws {
    let (begun, verdicts) = try run(resume: nil)
    #expect(begun.count > 10)
    #expect(begun == verdicts.map { CaseReference($0.identity) })
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
}
