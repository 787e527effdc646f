import PfnReports
import PfnModel
import PfnResults
import PfnWalkers
import Testing

@testable import PfnSpecRunner

/// Which architecture exposes each architecture-sensitive defect, and that a
/// run on x86_64 alone would have missed it.
@Suite("Architectures expose what x86_64 alone misses")
struct ArchitectureTests {
  /// The architectures on which a walker fails `rule` (any rule when `nil`).
  func failingArches(_ walker: String, rule: String? = nil) -> Set<String> {
    Set(failing(verdicts(of: walker)).filter { rule == nil || $0.identity.ruleID == rule }.map(\.identity.key.arch))
  }

  /// Architectures on which the walker ran `rule` and passed every case.
  func passingArches(_ walker: String, rule: String) -> Set<String> {
    let cases = verdicts(of: walker).filter { $0.identity.ruleID == rule }
    let ran = Set(cases.filter { $0.outcome != .skipped }.map(\.identity.key.arch))
    return ran.subtracting(failingArches(walker, rule: rule))
  }

  @Test("leaf-before-present: a migration PMD is a 'leaf' on loongarch and ppc64, never on x86_64")
  func leafBeforePresent() {
    let walker = "mutant:\(ReferenceWalker.Mutation.leafBeforePresent.rawValue)"
    // AR-004 (swap entries at every level): correct for every case on x86_64,
    // where a swap entry has no PSE, but loongarch's __swp_entry_to_pmd() sets
    // _PAGE_HUGE and ppc64's swap entries carry _PAGE_PTE.
    #expect(passingArches(walker, rule: "AR-004").contains("x86_64"))
    #expect(failingArches(walker, rule: "AR-004") == ["loongarch64-16k", "loongarch64-4k", "ppc64-radix-4k"])
    // arm64 and riscv test presence inside pmd_leaf(), so they never expose it.
    #expect(failingArches(walker).isDisjoint(with: ["arm64-4k-48", "riscv64-sv48"]))
  }

  @Test("x86-shifts: correct wherever PMD and PUD are 21/30 with 4 KiB pages, wrong on 16K and 64K granules")
  func x86Shifts() {
    let walker = "mutant:\(ReferenceWalker.Mutation.x86Shifts.rawValue)"
    let exposing = failingArches(walker)
    #expect(!exposing.contains("x86_64"), "x86_64 alone would have missed it")
    #expect(
      exposing == ["arm64-16k-47", "arm64-16k-48", "arm64-64k-42", "arm64-64k-48", "loongarch64-16k"])
    // On loongarch (no huge pfnmap) only the PTE addr_mask gives it away.
    #expect(failingArches(walker, rule: "AR-001").contains("loongarch64-16k"))
  }

  @Test("mainline 6.12 reports a loongarch migration PMD as a mapping, the example in ffef67b93aa3's message")
  func mainlineOnLoongarch() {
    func failingLevels(_ arch: String) -> Set<String> {
      Set(
        failing(verdicts(of: "mainline-6.12")).filter { $0.identity.ruleID == "AR-004" && $0.identity.key.arch == arch }
          .compactMap { $0.identity.parameters.first { $0.name == "level" }?.value })
    }
    #expect(failingLevels("loongarch64-16k") == ["pmd"])
    // On x86_64 a migration PMD passes (pmd_leaf() is false for it); only the
    // swap PUD, which 6.12's pud_none() test lets through, is walked as a table.
    #expect(failingLevels("x86_64") == ["pud"])
  }

  @Test("every modelled architecture is run by default, and the reference passes the arch suite on each")
  func referenceOnEveryArchitecture() {
    let arch = verdicts(of: "reference").filter { $0.identity.key.suite == "arch" }
    #expect(Set(arch.map(\.identity.key.arch)) == Set(Architectures.all.map(\.name)))
    #expect(failing(arch).isEmpty)
    #expect(Architectures.all.count >= 14)
  }

  @Test("rules that need a capability the target lacks are skipped with the reason")
  func capabilitySkips() {
    let skipped = verdicts(of: "reference").filter {
      $0.identity.key.arch == "loongarch64-16k" && $0.identity.ruleID == "HG-005"
    }
    #expect(skipped.count == 1 && skipped.allSatisfy { $0.outcome == .skipped && $0.message.contains("pmd_pfnmap") })
  }

  @Test("the default VMA sits below every architecture's user limit, and keeps x86_64's address")
  func defaultVMA() {
    #expect(WorldSpec.defaultVMAStart(for: X86_64()) == 0x7f00_4000_0000)
    for arch in Architectures.all {
      let start = WorldSpec.defaultVMAStart(for: arch)
      #expect(start + (2 << 30) <= arch.userAddressLimit, "\(arch.name)")
      #expect(start % arch.size(.pmd) == 0, "\(arch.name)")
    }
  }
}
