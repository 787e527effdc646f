import Foundation
import PfnModel
import PfnResults
import PfnSpecLanguage
import PfnWalkers
import Testing

@testable import PfnSpecRunner

@Suite("Jobs: the ordered work pool and runs on several threads")
struct OrderedWorkPoolTests {
  @Test("results arrive in index order whatever the costs and the job count", arguments: [1, 2, 3, 8])
  func deliversInOrder(jobs: Int) {
    var delivered: [Int] = []
    OrderedWorkPool(jobs: jobs).run(
      count: 40, cost: { ($0 * 7) % 11 },
      work: { index in
        // Uneven work, so that later pieces often finish first.
        usleep(UInt32((index * 37) % 5) * 200)
        return index * index
      },
      deliver: { index, square in
        #expect(square == index * index)
        delivered.append(index)
      })
    #expect(delivered == Array(0..<40))
  }

  @Test("a receiver that throws stops the run; the error comes out")
  func receiverThrows() {
    struct Stop: Error {}
    #expect(throws: Stop.self) {
      try OrderedWorkPool(jobs: 2).run(
        count: 10, cost: { _ in 1 }, work: { $0 },
        deliver: { index, _ in if index == 3 { throw Stop() } })
    }
  }

  @Test("race pieces cost more than plain ones, and more at a higher bound")
  func costs() throws {
    let rules = shippedSpecs.files.flatMap(\.rules)
    let race = try #require(rules.first { $0.raceGiven != nil })
    let plain = try #require(rules.first { $0.raceGiven == nil })
    #expect(plain.raceGiven == nil)
    func cost(_ rule: Rule, _ bound: Int?) -> Int {
      let file = shippedSpecs.files.first { $0.rules.contains { $0.id.value == rule.id.value } }!
      return Runner.Piece(
        key: SuiteKey(suite: "s", walker: "w", arch: "a"), rule: rule, file: file, walker: ReferenceWalker(),
        caller: nil, arch: X86_64(), suiteOrdinal: 0, ruleOrdinal: 0
      ).estimatedCost(raceBound: bound)
    }
    #expect(cost(plain, 4) == 1)
    #expect(cost(race, 2) > cost(plain, 2))
    #expect(cost(race, 3) > cost(race, 2))
  }

  @Test("two jobs give the same verdicts in the same order as one, every walker")
  func jobsAreDeterministic() throws {
    func verdicts(_ jobs: Int) throws -> [String] {
      try run(shippedSpecs, walkers: BuiltinWalkers.all, arches: [X86_64(), Architectures.named("arm64-64k-42")!]) {
        $0.jobs = jobs
      }.map { "\($0.identity.key) \($0.identity.caseName) \($0.outcome) \($0.message)" }
    }
    let one = try verdicts(1)
    #expect(!one.isEmpty)
    #expect(try verdicts(2) == one)
  }
}
