import PfnReports
import PfnModel
import PfnResults
import PfnWalkers
import Testing

@testable import PfnSpecRunner

/// Exhaustive and sampled domains, `previous` across lookups, and `given args fill`.
@Suite("Domains and multi-step rules")
struct DomainAndStepTests {
  static let head = "suite adhoc \"t\"\nrule AD-100 \"t\"\n  source contract#C5\n"

  @Test("pages(lo, hi) enumerates every page-aligned address, exhaustively")
  func pagesEnumerates() throws {
    let set = specs(Self.head + """
        given leaf at pmd
        for addr in pages(leaf.start + 1, leaf.start + 4 * page_size)
        call start(addr)
        expect result == 0 and pfn == leaf.pfn + ((addr - leaf.start) >> page_shift)
        call end()

      """)
    #expect(set.diagnostics.isEmpty, "\(set.render())")
    let verdicts = try run(set, walkers: [ReferenceWalker()])
    // leaf.start + 1 rounds up to the second page: pages 1, 2 and 3.
    #expect(verdicts.map(\.identity.caseName) == [
      "AD-100[addr=0x7f0040001000]", "AD-100[addr=0x7f0040002000]", "AD-100[addr=0x7f0040003000]",
    ])
    #expect(verdicts.allSatisfy { $0.outcome == .pass })
  }

  @Test("sample(n, list) picks n values without repeats, the same ones for the same seed")
  func sampleIsSeeded() throws {
    let set = specs(Self.head + """
        for addr in sample(3, {1, 2, 3, 4, 5, 6, 7, 8})
        call start(vma.start + addr * page_size)
        expect result != 0

      """)
    #expect(set.diagnostics.isEmpty, "\(set.render())")
    let first = try run(set, walkers: [ReferenceWalker()]).map(\.identity.caseName)
    let again = try run(set, walkers: [ReferenceWalker()]).map(\.identity.caseName)
    let other = try run(set, walkers: [ReferenceWalker()]) { $0.seed = 99 }.map(\.identity.caseName)
    #expect(first.count == 3 && Set(first).count == 3)
    #expect(first == again)
    #expect(other.count == 3)
  }

  @Test("previous is the outputs of the start() before the last; a single start() has none")
  func previousComparesLookups() throws {
    let twice = specs(Self.head + """
        given leaf at pte
        call start(vma.start)
        call end()
        call start(vma.start + 5)
        expect previous == outputs
        call end()

      """)
    #expect(twice.diagnostics.isEmpty, "\(twice.render())")
    #expect(try run(twice, walkers: [ReferenceWalker()]).allSatisfy { $0.outcome == .pass })
    let once = specs(Self.head + "  given leaf at pte\n  call start(vma.start)\n  expect previous == outputs\n")
    let verdicts = try run(once, walkers: [ReferenceWalker()])
    #expect(verdicts.allSatisfy { $0.outcome == .error && $0.message.contains("second start()") })
  }

  @Test("given args fill sets what the output fields hold before start()")
  func argsFill() throws {
    let set = specs(Self.head + """
        for fill in {0, 0xffff_ffff_ffff_ffff}
        given args fill fill
        given entry at pte is swap
        call start(vma.start)
        expect result == -EINVAL
        expect args_unchanged
        expect pfn == fill and writable == (fill != 0)

      """)
    #expect(set.diagnostics.isEmpty, "\(set.render())")
    let verdicts = try run(set, walkers: [ReferenceWalker()])
    #expect(verdicts.count == 2)
    for verdict in verdicts where verdict.outcome != .pass { Issue.record("\(verdict.message)") }
  }
}
