import PfnReports
import CPfnWalker
import Foundation
import PfnModel
import PfnResults
import PfnWalkers
import PfnTestSupport
import Testing

@testable import PfnPlugins

@Suite("The kernel-style C example walker and its mutants")
struct CExampleWalkerTests {
  @Test("in workers, it passes every case the Swift reference passes, on every architecture")
  func matchesReference() throws {
    let reference = outcomes(try runInProcess([ReferenceWalker()]))
    let example = try runInWorkers(sharedObject("PfnExampleWalker"), jobs: 2)
    let byCase = outcomes(example)
    #expect(!reference.isEmpty)
    #expect(byCase.count == reference.count)
    for (name, outcome) in reference.sorted(by: { $0.key < $1.key }) where outcome == .pass {
      #expect(byCase[name] == .pass, "\(name): \(example.first { outcomes([$0]).keys.first == name }?.message ?? "missing")")
    }
    #expect(Set(example.map(\.identity.key.arch)) == Set(Architectures.all.map(\.name)))
    #expect(Set(example.map(\.identity.key.walker)) == ["example-c"])
  }

  @Test("it describes itself through the ABI")
  func describesItself() throws {
    let walker = try SharedObjectWalker(path: sharedObject("PfnExampleWalker"))
    #expect(walker.descriptor.name == "example-c")
    #expect(walker.descriptor.apiLevel == .v6_15)
    #expect(walker.descriptor.profile == .strict)
    #expect(walker.descriptor.role == .implementation)
  }

  @Test("the leak-lock mutant fails the rule written for a lock left held on failure")
  func leakLockMutantFails() throws {
    let mutant = try SharedObjectWalker(path: sharedObject("PfnExampleMutantLeakLock"))
    #expect(mutant.descriptor.role == .mutant)
    let verdicts = try runInProcess([mutant], arches: [X86_64()], rules: ["FA-002"])
    #expect(verdicts.contains { $0.outcome == .fail })
  }

  /// RC-005's failure for a plain read of a pmd entry without its lock.
  static let pmdDataRace =
    "data race: plain read of a pmd entry without its lock (pmd_lock()); read it once with pmdp_get_lockless()"

  @Test("the plain-read-pmd mutant fails RC-005 with a data race in KCSAN's words, in workers and in-process")
  func plainReadMutantFails() throws {
    let mutant = try SharedObjectWalker(path: sharedObject("PfnExampleMutantPlainReadPMD"))
    #expect(mutant.descriptor.role == .mutant)
    let inWorkers = try runInWorkers(sharedObject("PfnExampleMutantPlainReadPMD"), arches: ["x86_64"], rules: ["RC-005"])
    let inProcess = try runInProcess([mutant], arches: [X86_64()], rules: ["RC-005"])
    for verdicts in [inWorkers, inProcess] {
      let failed = verdicts.filter { $0.outcome == .fail }
      // The pmd and pte leaves are reached through the plain *pmdp; the pud leaf is not.
      #expect(failed.count == 2, "\(verdicts.map { "\($0.identity.caseName): \($0.message)" })")
      for verdict in failed {
        #expect(verdict.message.contains(Self.pmdDataRace), "\(verdict.message)")
        #expect(verdict.details.contains("DATA RACE: plain read pmd@"), "\(verdict.details)")
      }
      #expect(verdicts.contains { $0.outcome == .pass })
      #expect(!verdicts.contains { $0.outcome == .error })
    }
  }

  @Test("the example, with its plain *pgdp, passes RC-005 on every architecture, as the Swift reference does")
  func examplePassesPlainReadRule() throws {
    let verdicts = try runInWorkers(sharedObject("PfnExampleWalker"), rules: ["RC-005"], jobs: 2)
    #expect(Set(verdicts.map(\.identity.key.arch)) == Set(Architectures.all.map(\.name)))
    #expect(!verdicts.isEmpty)
    #expect(verdicts.allSatisfy { $0.outcome == .pass }, "\(verdicts.filter { $0.outcome != .pass }.map(\.message))")
    // In-process the same: the plain reads of the pgd are seen and judged legitimate.
    let walker = try SharedObjectWalker(path: sharedObject("PfnExampleWalker"))
    let world = World(arch: X86_64())
    let vma = try world.addVMA(start: 0x7f00_0000_0000, end: 0x7f00_4000_0000, flags: [.io, .pfnmap], fileBacked: false)
    try world.installLeaf(LeafProperties(pfn: 0x1000), at: .pte, covering: vma.start)
    let host = ModelHost(world: world)
    var args = FollowPfnmapArgs(vma: vma, address: vma.start)
    #expect(try walker.start(&args, host: host) == 0)
    try walker.end(&args, host: host)
    #expect(host.trace.filter { $0.hasPrefix("plain read pgd@") }.count == 2, "pgd_none(*pgdp) and pgd_bad(*pgdp)")
    #expect(world.dataRaces.isEmpty)

    let builtin = try runInProcess([ReferenceWalker()], arches: [X86_64()], rules: ["RC-005"])
    #expect(!builtin.isEmpty)
    // The Swift reference reads every entry through the host: it makes no plain read to judge.
    #expect(builtin.allSatisfy { $0.outcome == .pass }, "\(builtin.map(\.message))")
  }

  @Test("the NULL vm_file mutant crashes its worker on a VMA without a file, and the run goes on")
  func nullFileMutantCrashes() throws {
    let verdicts = try runInWorkers(
      sharedObject("PfnExampleMutantDerefNullFile"), arches: ["x86_64"], rules: ["LK-001", "LK-003"])
    let lk001 = verdicts.filter { $0.identity.ruleID == "LK-001" }
    #expect(!lk001.isEmpty)
    for verdict in lk001 {
      #expect(verdict.outcome == .error)
      #expect(verdict.message.contains("SIGSEGV"), "\(verdict.message)")
      #expect(verdict.message.contains("NULL pointer dereference"), "\(verdict.message)")
    }
    // LK-003 has a file: the same walker passes it after the crashes.
    #expect(verdicts.filter { $0.identity.ruleID == "LK-003" }.allSatisfy { $0.outcome == .pass })
  }

  @Test("a walker built by the system C compiler with 'pfnspec cflags' loads and walks")
  func buildsWithCflags() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") else { return }
    let flags = try runPfnspec(["cflags", "--ldflags"])
    #expect(flags.status == 0)
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let library = directory + "/libexample.so"
    let compile = Process()
    compile.executableURL = URL(fileURLWithPath: "/bin/sh")
    compile.arguments = [
      "-c",
      "cc -Wall -Werror \(flags.output.trimmingCharacters(in: .whitespacesAndNewlines)) "
        + "'\(packageRoot)/Examples/CWalker/reference/follow_pfnmap.c' -o '\(library)'",
    ]
    try compile.run()
    compile.waitUntilExit()
    #expect(compile.terminationStatus == 0)
    let walker = try SharedObjectWalker(path: library)
    let verdicts = try runInProcess([walker], arches: [X86_64()], rules: ["HG-002", "LK-001", "FA-002"])
    #expect(!verdicts.isEmpty)
    #expect(verdicts.allSatisfy { $0.outcome == .pass }, "\(verdicts.filter { $0.outcome != .pass }.map(\.message))")
  }
}

@Suite("The walker ABI")
struct WalkerABITests {
  @Test("a plug-in built for another ABI version is refused with a clear error")
  func abiMismatch() throws {
    var info = pfnspec_walker_info()
    info.abi_version = 99
    let error = #expect(throws: PluginError.self) { try SharedObjectWalker.descriptor(&info, path: "libold.so") }
    #expect(error?.description.contains("ABI version 99") == true)
    #expect(error?.description.contains("speaks version 1") == true)
  }

  @Test("a file that is not a walker plug-in is refused with a clear error")
  func notAPlugin() throws {
    let missing = #expect(throws: PluginError.self) { try SharedObjectWalker(path: "/nonexistent/libwalker.so") }
    #expect(missing?.description.contains("cannot load") == true)
    let library = #expect(throws: PluginError.self) { try SharedObjectWalker(path: "libm.so.6") }
    #expect(library?.description.contains("does not export pfnspec_walker_describe") == true)
  }

  @Test("a host call that faults leaves the C walk and becomes the model's fault")
  func hostFaultAbandonsTheWalk() throws {
    let world = World(arch: X86_64())
    let vma = try world.addVMA(start: 0x7f00_0000_0000, end: 0x7f00_4000_0000, flags: [.io, .pfnmap], fileBacked: false)
    try world.installLeaf(LeafProperties(pfn: 0x1000), at: .pte, covering: vma.start)
    let walker = try SharedObjectWalker(path: sharedObject("PfnExampleWalker"))
    var stranger = vma
    stranger.mm = MMRef(id: 9)  // pgd_offset() of an mm the model does not know
    var args = FollowPfnmapArgs(vma: stranger, address: vma.start)
    #expect(throws: WalkerFault.self) { _ = try walker.start(&args, host: ModelHost(world: world)) }

    var good = FollowPfnmapArgs(vma: vma, address: vma.start + 0x123)
    let host = ModelHost(world: world)
    #expect(try walker.start(&good, host: host) == 0)
    #expect(good.pfn == 0x1000)
    #expect(good.lock != nil && good.ptep != nil)
    try walker.end(&good, host: host)
    #expect(world.heldLocks.isEmpty)
  }

  @Test("the kernel shim's structs have the ABI's layout")
  func layouts() {
    #expect(MemoryLayout<pfnspec_args>.size == 64)
    #expect(MemoryLayout<pfnspec_vma>.size == 40)
  }

  @Test("the host table grew only at its end: the fields of the first ABI 1 table keep their offsets")
  func hostTableAppendOnly() {
    // 216 bytes was the whole table before peek, report and mirror were appended.
    #expect(MemoryLayout<pfnspec_host>.offset(of: \.pgd_offset) == 48)
    #expect(MemoryLayout<pfnspec_host>.offset(of: \.lockdep_assert) == 192)
    #expect(MemoryLayout<pfnspec_host>.offset(of: \.abandon_context) == 208)
    #expect(MemoryLayout<pfnspec_host>.offset(of: \.peek) == 216)
    #expect(MemoryLayout<pfnspec_host>.offset(of: \.mirror) == 232)
    #expect(MemoryLayout<pfnspec_host>.size == 240)
    #expect(PFNSPEC_ABI_VERSION == 1)
  }
}
