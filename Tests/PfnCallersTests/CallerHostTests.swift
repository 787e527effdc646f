import PfnCallers
import PfnModel
import PfnWalkers
import Testing

/// Performs one adversary operation just before the first host call whose name
/// starts with `before`: a hand-written schedule, without the explorer.
final class OneStep: SchedulingObserver {
  let before: String
  let op: AdversaryOp
  let address: UInt64
  var done = false

  init(before: String, op: AdversaryOp, address: UInt64) {
    self.before = before
    self.op = op
    self.address = address
  }

  func willPerform(_ call: HostCall, host: ModelHost) throws {
    guard !done, call.name.hasPrefix(before) else { return }
    guard host.world.enabledAdversaryOps([op.kind], address: address).contains(where: { $0.op == op }) else { return }
    done = true
    let line = try host.world.perform(op, address: address)
    host.log(line)
  }
}

struct CallerRun {
  var result: Int32
  var violations: CallerViolations
  var host: ModelCallerHost
}

func runCaller(
  _ caller: any Caller, level: PageLevel = .pmd, write: Bool = false, special: Bool = true,
  step: (before: String, op: AdversaryKind)? = nil
) throws -> CallerRun {
  let world = World(arch: X86_64())
  let vma = try world.addVMA(start: 0x7f00_4000_0000, end: 0x7f00_c000_0000, flags: [.io, .pfnmap], fileBacked: false)
  try world.installLeaf(LeafProperties(pfn: 0x10_0000, writable: true, special: special), at: level, covering: vma.start)
  let address = vma.start + 0x1234
  let walkerHost = ModelHost(world: world)
  var observer: OneStep?
  if let step {
    observer = OneStep(before: step.before, op: AdversaryOp(step.op, level), address: address)
    walkerHost.observer = observer
  }
  let host = ModelCallerHost(walkerHost: walkerHost, walker: ReferenceWalker(), request: CallerRequest(vma: vma, address: address, write: write))
  let result = try caller.run(CallerRequest(vma: vma, address: address, write: write), host: host)
  try host.afterReturn()
  if let observer { #expect(observer.done, "the schedule's step never ran") }
  return CallerRun(result: result, violations: host.violations, host: host)
}

@Suite("The caller host judges every use against the tables")
struct CallerHostTests {
  @Test("Without another CPU every example keeps every duty")
  func quiet() throws {
    for caller in BuiltinCallers.implementations {
      let run = try runCaller(caller)
      #expect(run.result == 0, "\(caller.descriptor.name)")
      #expect(run.violations.breaches(of: caller.descriptor.profile) == [], "\(caller.descriptor.name)")
      #expect(run.host.openWindows == 0)
    }
  }

  @Test("A zap between end() and the access makes the access stale")
  func endThenUse() throws {
    let run = try runCaller(UnsafeCaller(.endThenUse), step: ("caller: read of", .zap))
    #expect(run.violations.staleUses.count == 1)
    #expect(run.violations.staleUses.first?.contains("maps nothing now") == true)
  }

  @Test("KVM-like: a zap between end() and the map is seen through the sequence, and the caller looks again")
  func kvmRetries() throws {
    let run = try runCaller(KVMLikeCaller(), step: ("caller: spin_lock", .remap))
    #expect(run.violations.breaches(of: .synchronized) == [])
    #expect(run.host.lookups == 2)
    #expect(run.host.liveMapCount == 1)
  }

  @Test("KVM-like without the retry maps the old pfn")
  func kvmNoRetry() throws {
    let run = try runCaller(KVMLikeCaller(mutation: .noRetry), step: ("caller: spin_lock", .remap))
    #expect(run.violations.staleUses.count == 1)
  }

  @Test("A notifier that keeps its entries leaves a stale map once the range is zapped")
  func notifierKeepsMap() throws {
    let good = try runCaller(KVMLikeCaller(), step: ("the device runs on", .zap))
    #expect(good.violations.breaches(of: .synchronized) == [])
    #expect(good.host.liveMapCount == 0)
    let bad = try runCaller(KVMLikeCaller(mutation: .notifierKeepsMap), step: ("the device runs on", .zap))
    #expect(bad.violations.staleMaps.count == 1)
  }

  @Test("VFIO-like: the IOMMU still maps the pfn after a revoke")
  func vfio() throws {
    let run = try runCaller(UnsafeCaller(.vfioLike), step: ("the device runs on", .zap))
    #expect(run.violations.staleMaps.first?.contains("the iommu map") == true)
  }

  @Test("gap-like looks again and compares; comparing the pfn alone writes through a read-only mapping")
  func accessPhys() throws {
    let good = try runCaller(AccessPhysLikeCaller(), write: true, step: ("caller: follow_pfnmap_start", .mprotect))
    #expect(good.violations.breaches(of: .strict) == [])
    let bad = try runCaller(
      AccessPhysLikeCaller(mutation: .comparePFNOnly), write: true, step: ("caller: ioremap_prot", .mprotect))
    #expect(bad.violations.staleUses.first?.contains("read-only") == true)
  }

  @Test("Sleeping, page references and pairing are recorded")
  func duties() throws {
    #expect(try runCaller(UnsafeCaller(.sleeper)).violations.sleepsInWindow.count == 1)
    #expect(try runCaller(UnsafeCaller(.getPage)).violations.pageRefs.count == 1)
    #expect(try runCaller(UnsafeCaller(.getPage), special: false).violations.pageRefs.isEmpty)
    #expect(try runCaller(PATLikeCaller(missesEndWhenSpecial: true)).violations.pairingErrors.count == 1)
    #expect(try runCaller(KVMLikeCaller(mutation: .claimsStrict)).violations.usesAfterEnd.count == 1)
    #expect(try runCaller(AccessPhysLikeCaller()).violations.usesAfterEnd.isEmpty)
  }
}
