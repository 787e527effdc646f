import CPfnWalker
import Foundation
import PfnCallers
import PfnModel
import PfnResults
import PfnSpecRunner
import PfnWalkers
import PfnTestSupport
import Testing

@testable import PfnPlugins

/// The C examples and their Swift twins: a C caller named `X-c` behaves as the
/// built-in Swift caller `X`.
let callerTwins: [(product: String, swift: any Caller)] = [
  ("PfnCallerKVMLike", KVMLikeCaller()),
  ("PfnCallerGapLike", AccessPhysLikeCaller()),
  ("PfnCallerVFIOLike", UnsafeCaller(.vfioLike)),
  ("PfnCallerEndThenUse", UnsafeCaller(.endThenUse)),
  ("PfnCallerGetPage", UnsafeCaller(.getPage)),
  ("PfnCallerSleeper", UnsafeCaller(.sleeper)),
  ("PfnCallerMutantKVMNoRetry", KVMLikeCaller(mutation: .noRetry)),
  ("PfnCallerMutantKVMNotifierKeepsMap", KVMLikeCaller(mutation: .notifierKeepsMap)),
  ("PfnCallerMutantGapComparePFNOnly", AccessPhysLikeCaller(mutation: .comparePFNOnly)),
]

/// Whether a host call is one of the caller's (not the walker's).
private func isCallerCall(_ name: String) -> Bool {
  name.hasPrefix("caller: ") || name.hasPrefix("the device runs on")
}

/// Records the names of the caller's host calls.
private final class CallRecorder: SchedulingObserver {
  var names: [String] = []
  func willPerform(_ call: HostCall, host: ModelHost) throws {
    if isCallerCall(call.name) { names.append(call.name) }
  }
}

/// Performs one adversary operation just before the `occurrence`-th caller
/// host call named `name` (when the model allows it there): a hand-written
/// schedule keyed by what the caller does, not by a count of calls, so that a
/// C twin that makes an extra sleeping call (iounmap() on a retry) still meets
/// the operation at the same point.
private final class KeyedStep: SchedulingObserver {
  let name: String
  let occurrence: Int
  let op: AdversaryOp
  let address: UInt64
  private var seen = 0
  private(set) var performed = false

  init(name: String, occurrence: Int, op: AdversaryOp, address: UInt64) {
    self.name = name
    self.occurrence = occurrence
    self.op = op
    self.address = address
  }

  func willPerform(_ call: HostCall, host: ModelHost) throws {
    guard call.name == name else { return }
    seen += 1
    guard seen == occurrence,
      host.world.enabledAdversaryOps([op.kind], address: address).contains(where: { $0.op == op })
    else { return }
    performed = true
    let line = try host.world.perform(op, address: address)
    host.log(line)
  }
}

/// What one run by hand shows: the result (or the error thrown), what the
/// oracle recorded, and what is left.
private struct CallerOutcome: Equatable, CustomStringConvertible {
  var result: String
  var violations: CallerViolations
  var liveMaps: Int
  var openWindows: Int
  var lookups: Int
  var performed: Bool

  var description: String {
    "\(result); violations \(violations); live maps \(liveMaps), open windows \(openWindows), lookups \(lookups)"
      + (performed ? "" : "; the step did not run")
  }
}

private struct Setup: CustomStringConvertible {
  var level: PageLevel
  var write: Bool
  var special: Bool
  /// Whether the leaf maps the request's address (else it maps only the page before it).
  var mapped = true
  var description: String {
    "leaf at \(level), \(write ? "write" : "read"), \(special ? "special" : "normal")" + (mapped ? "" : ", not mapped")
  }
}

/// Runs a caller by hand, as CallerHostTests does, over a world with one leaf.
private func runByHand(
  _ caller: any Caller, _ setup: Setup, step: (String, Int, AdversaryKind)?, walker: any Walker = ReferenceWalker()
) throws -> (
  CallerOutcome, [String]
) {
  let world = World(arch: X86_64())
  let vma = try world.addVMA(start: 0x7f00_4000_0000, end: 0x7f00_c000_0000, flags: [.io, .pfnmap], fileBacked: false)
  let address = vma.start + 0x1234
  try world.installLeaf(
    LeafProperties(pfn: 0x10_0000, writable: true, special: setup.special), at: setup.level,
    covering: setup.mapped ? address : vma.start)
  let walkerHost = ModelHost(world: world)
  let recorder = CallRecorder()
  var keyed: KeyedStep?
  if let (name, occurrence, kind) = step {
    keyed = KeyedStep(name: name, occurrence: occurrence, op: AdversaryOp(kind, setup.level), address: address)
    walkerHost.observer = keyed
  } else {
    walkerHost.observer = recorder
  }
  let request = CallerRequest(vma: vma, address: address, write: setup.write)
  let host = ModelCallerHost(walkerHost: walkerHost, walker: walker, request: request)
  var result: String
  do {
    result = "returned \(try caller.run(request, host: host))"
    try host.afterReturn()
  } catch {
    result = "threw \(error)"
  }
  let outcome = CallerOutcome(
    result: result, violations: host.violations, liveMaps: host.liveMapCount, openWindows: host.openWindows,
    lookups: host.lookups, performed: keyed?.performed ?? true)
  return (outcome, recorder.names)
}

/// The schedules for a caller: no step, then each of zap, remap and mprotect
/// before each host call the Swift twin makes in a quiet run, in turn.
private func schedules(_ twin: any Caller, _ setup: Setup) throws -> [(String, Int, AdversaryKind)?] {
  let (_, names) = try runByHand(twin, setup, step: nil)
  var counts: [String: Int] = [:]
  var keys: [(String, Int)] = []
  for name in names {
    counts[name, default: 0] += 1
    keys.append((name, counts[name]!))
  }
  return [nil] + keys.flatMap { key in [AdversaryKind.zap, .remap, .mprotect].map { (key.0, key.1, $0) } }
}

private let setups: [Setup] = [
  Setup(level: .pmd, write: false, special: true), Setup(level: .pmd, write: true, special: true),
  Setup(level: .pte, write: false, special: false), Setup(level: .pte, write: true, special: false),
  Setup(level: .pte, write: true, special: true, mapped: false),
]

@Suite("The kernel-style C callers and their Swift twins")
struct CExampleCallerTests {
  @Test("each C example describes itself as its Swift twin does, under the twin's name with -c")
  func describesItself() throws {
    for (product, twin) in callerTwins {
      let caller = try SharedObjectCaller(path: sharedObject(product))
      #expect(caller.descriptor.name == twin.descriptor.name + "-c", "\(product)")
      #expect(caller.descriptor.profile == twin.descriptor.profile, "\(product)")
      #expect(caller.descriptor.role == twin.descriptor.role, "\(product)")
      #expect(caller.descriptor.replayArguments == ["--caller", sharedObject(product)])
    }
  }

  @Test(
    "under the same hand-written schedules each C example records what its Swift twin records",
    arguments: callerTwins.map(\.product))
  func differential(product: String) throws {
    let twin = callerTwins.first { $0.product == product }!.swift
    let caller = try SharedObjectCaller(path: sharedObject(product))
    var breached = false
    var performed = 0
    for setup in setups {
      for step in try schedules(twin, setup) {
        let (swift, _) = try runByHand(twin, setup, step: step)
        let (c, _) = try runByHand(caller, setup, step: step)
        if step != nil && c.performed { performed += 1 }
        if step == nil && setup.mapped {
          #expect(c.result == "returned 0", "\(caller.descriptor.name), \(setup), no other CPU")
        }
        let schedule = step.map { "\($0.2) before \($0.0) #\($0.1)" } ?? "no other CPU"
        #expect(c == swift, "\(caller.descriptor.name), \(setup), \(schedule):\n  C:     \(c)\n  Swift: \(swift)")
        if !c.violations.breaches(of: caller.descriptor.profile).isEmpty || c.result.hasPrefix("threw") {
          breached = true
        }
      }
    }
    // The steps did change the tables (inside a window the walker's lock keeps them out).
    #expect(performed >= 4, "\(caller.descriptor.name): only \(performed) schedules changed anything")
    // The implementations keep every duty under every schedule; the legacy
    // shapes and the mutants are caught by at least one.
    #expect(breached == (caller.descriptor.role != .implementation), "\(caller.descriptor.name)")
  }

  @Test("through the runner, each C example gets its Swift twin's verdict in every case of every caller rule")
  func runnerVerdicts() throws {
    func run(_ callers: [any Caller]) throws -> [String: Outcome] {
      var options = RunOptions()
      options.rules = Set(shippedSpecs.rules.map(\.id.value).filter { $0.hasPrefix("CL-") })
      options.walkerRules = false
      let sink = CollectingSink()
      try Runner(
        files: shippedSpecs.files, sources: shippedSpecs.sources, walkers: [ReferenceWalker()], callers: callers,
        arches: [X86_64()], options: options
      ).run(into: sink)
      return Dictionary(
        sink.verdicts.map { verdict in
          var caller = verdict.identity.key.walker
          if caller.hasSuffix("-c") { caller.removeLast(2) }
          return ("\(caller) \(verdict.identity.caseName)", verdict.outcome)
        }, uniquingKeysWith: { first, _ in first })
    }
    let c = try run(try callerTwins.map { try SharedObjectCaller(path: sharedObject($0.product)) })
    let swift = try run(callerTwins.map(\.swift))
    #expect(c.count == swift.count)
    #expect(c.count > 100)
    for (name, outcome) in swift.sorted(by: { $0.key < $1.key }) {
      #expect(c[name] == outcome, "\(name): C \(c[name].map { "\($0)" } ?? "missing"), Swift \(outcome)")
    }
    // The examples pass every rule that applies; each legacy shape and mutant fails the rule written for it.
    let killers: [String: String] = [
      "vfio-like": "CL-002", "end-then-use": "CL-001", "get-page": "CL-003", "sleeper": "CL-004",
      "mutant:kvm-no-retry": "CL-001", "mutant:kvm-notifier-keeps-map": "CL-002",
      "mutant:gap-compare-pfn-only": "CL-007",
    ]
    for (product, twin) in callerTwins {
      let name = twin.descriptor.name
      let failed = Set(
        c.filter { $0.key.hasPrefix(name + " ") && $0.value == .fail }.map {
          String($0.key.dropFirst(name.count + 1).prefix { $0 != "[" })
        })
      if let killer = killers[name] {
        #expect(failed.contains(killer), "\(product) fails only \(failed.sorted())")
      } else {
        #expect(failed.isEmpty, "\(product) fails \(failed.sorted())")
      }
    }
  }

  @Test("every C caller example builds warning-free with the system C compiler and 'pfnspec cflags'")
  func buildsWithCflags() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") else { return }
    let flags = try runPfnspec(["cflags", "--ldflags"])
    #expect(flags.status == 0)
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let examples = try FileManager.default.contentsOfDirectory(atPath: packageRoot + "/Examples/CCaller").sorted()
    #expect(examples.count == 9)
    for example in examples {
      let folder = packageRoot + "/Examples/CCaller/" + example
      let source = try #require(try FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasSuffix(".c") })
      let library = directory + "/lib\(example).so"
      let compile = Process()
      compile.executableURL = URL(fileURLWithPath: "/bin/sh")
      compile.arguments = [
        "-c",
        "/usr/bin/cc -Wall -Wextra -Werror \(flags.output.trimmingCharacters(in: .whitespacesAndNewlines)) "
          + "'\(folder)/\(source)' -o '\(library)'",
      ]
      try compile.run()
      compile.waitUntilExit()
      #expect(compile.terminationStatus == 0, "\(example)")
      if example == "gap-like" {
        let caller = try SharedObjectCaller(path: library)
        for setup in setups {
          let (run, _) = try runByHand(caller, setup, step: nil)
          let (twin, _) = try runByHand(AccessPhysLikeCaller(), setup, step: nil)
          #expect(run == twin, "\(setup)")
          #expect(run.violations.breaches(of: .strict) == [])
        }
      }
    }
  }

  @Test("served by the C example walker, the C examples record what they record served by the reference")
  func servedByCWalker() throws {
    // A copy of its own: the walker shim's current host is one global per
    // loaded object, and other tests drive the example walker in parallel.
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let copy = directory + "/libPfnExampleWalker.so"
    try FileManager.default.copyItem(atPath: sharedObject("PfnExampleWalker"), toPath: copy)
    let walker = try SharedObjectWalker(path: copy)
    for product in ["PfnCallerKVMLike", "PfnCallerGapLike", "PfnCallerGetPage", "PfnCallerMutantKVMNoRetry"] {
      let caller = try SharedObjectCaller(path: sharedObject(product))
      let twin = callerTwins.first { $0.product == product }!.swift
      for setup in setups {
        for step in try schedules(twin, setup) {
          let (reference, _) = try runByHand(caller, setup, step: step)
          let (c, _) = try runByHand(caller, setup, step: step, walker: walker)
          let schedule = step.map { "\($0.2) before \($0.0) #\($0.1)" } ?? "no other CPU"
          #expect(c == reference, "\(product), \(setup), \(schedule):\n  C walker:  \(c)\n  reference: \(reference)")
        }
      }
    }
  }

  @Test("kvm-like-c retries after a remap between end() and its map, as KVM does")
  func kvmRetries() throws {
    let caller = try SharedObjectCaller(path: sharedObject("PfnCallerKVMLike"))
    let setup = Setup(level: .pmd, write: false, special: true)
    let (run, _) = try runByHand(caller, setup, step: ("caller: spin_lock(caller lock #1)", 1, .remap))
    #expect(run.performed)
    #expect(run.result == "returned 0")
    #expect(run.violations.breaches(of: .synchronized) == [])
    #expect(run.lookups == 2)
    #expect(run.liveMaps == 1)
  }
}

@Suite("The caller ABI")
struct CallerABITests {
  @Test("a caller built for another caller ABI version is refused with a clear error")
  func abiMismatch() throws {
    var info = pfnspec_caller_info()
    info.abi_version = 99
    let error = #expect(throws: PluginError.self) { try SharedObjectCaller.descriptor(&info, path: "libold.so") }
    #expect(error?.description.contains("caller ABI version 99") == true)
    #expect(error?.description.contains("speaks version 1") == true)
  }

  @Test("an unknown profile or role is refused with the known ones named")
  func unknownProfileAndRole() throws {
    func describe(profile: String, role: String) -> String? {
      "c".withCString { name in
        profile.withCString { profile in
          role.withCString { role in
            var info = pfnspec_caller_info(
              abi_version: PFNSPEC_CALLER_ABI_VERSION, size: UInt32(MemoryLayout<pfnspec_caller_info>.size),
              name: name, summary: nil, profile: profile, role: role)
            do {
              _ = try SharedObjectCaller.descriptor(&info, path: "libc.so")
              return nil
            } catch {
              return "\(error)"
            }
          }
        }
      }
    }
    #expect(describe(profile: "relaxed", role: "implementation")?.contains("unknown caller profile 'relaxed'") == true)
    #expect(describe(profile: "relaxed", role: "implementation")?.contains("strict, synchronized") == true)
    #expect(describe(profile: "strict", role: "reference")?.contains("unknown role 'reference'") == true)
    #expect(describe(profile: "strict", role: "implementation") == nil)
  }

  @Test("a file that is not a caller plug-in is refused with a clear error")
  func notACaller() throws {
    let missing = #expect(throws: PluginError.self) { try SharedObjectCaller(path: "/nonexistent/libcaller.so") }
    #expect(missing?.description.contains("cannot load caller plug-in") == true)
    let walker = #expect(throws: PluginError.self) {
      try SharedObjectCaller(path: sharedObject("PfnExampleWalker"))
    }
    #expect(walker?.description.contains("does not export pfnspec_caller_describe()") == true)
    #expect(walker?.description.contains("PFNSPEC_KERNEL_CALLER") == true)
  }

  private func compile(_ source: String, into library: String) throws -> (status: Int32, errors: String) {
    try compileSharedObject(source, named: "caller.c", into: library)
  }

  @Test("bad shared objects built by the system C compiler are refused, each with its reason")
  func badSharedObjects() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") else { return }
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }

    // describe() but no run().
    let noRun = directory + "/libnorun.so"
    let built = try compile(
      """
      #include "pfnspec_caller.h"
      const struct pfnspec_caller_info *pfnspec_caller_describe(void) {
        static const struct pfnspec_caller_info info = {
          PFNSPEC_CALLER_ABI_VERSION, sizeof(struct pfnspec_caller_info), "no-run", "", "strict", "legacy"};
        return &info;
      }
      """, into: noRun)
    #expect(built.status == 0, "\(built.errors)")
    let missingRun = #expect(throws: PluginError.self) { try SharedObjectCaller(path: noRun) }
    #expect(missingRun?.description.contains("does not export pfnspec_caller_run()") == true)

    // Built against a newer header: version 2 first, and a layout this pfnspec does not know.
    let newer = directory + "/libnewer.so"
    let builtNewer = try compile(
      """
      #include <stdint.h>
      struct future_info { uint32_t abi_version; uint32_t size; const char *name; uint64_t more[8]; };
      const struct future_info *pfnspec_caller_describe(void) {
        static const struct future_info info = { 2, sizeof(struct future_info), "from-the-future", {0} };
        return &info;
      }
      int pfnspec_caller_run(void) { return 0; }
      """, into: newer)
    #expect(builtNewer.status == 0, "\(builtNewer.errors)")
    let wrongVersion = #expect(throws: PluginError.self) { try SharedObjectCaller(path: newer) }
    #expect(wrongVersion?.description.contains("was built for caller ABI version 2") == true)

    // A kernel-style caller without PFNSPEC_KERNEL_CALLER(...) at its end does not link, and says why.
    let noMacro = try compile(
      """
      #include "pfnspec_caller_kernel.h"
      int entry(struct vm_area_struct *vma, unsigned long address, unsigned int flags) {
        struct follow_pfnmap_args args = { .vma = vma, .address = address };
        (void)flags;
        if (follow_pfnmap_start(&args)) return -EFAULT;
        follow_pfnmap_end(&args);
        return 0;
      }
      """, into: directory + "/libnomacro.so")
    #expect(noMacro.status != 0)
    #expect(noMacro.errors.contains("defined_by_PFNSPEC_KERNEL_CALLER"), "\(noMacro.errors)")
  }

  @Test("a caller on the bare ABI that passes a NULL out-pointer gets a fault, not a crash")
  func nullOutPointer() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") else { return }
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let library = directory + "/libnullout.so"
    let built = try compile(
      """
      #include <stdio.h>
      #include "pfnspec_caller.h"
      const struct pfnspec_caller_info *pfnspec_caller_describe(void) {
        static const struct pfnspec_caller_info info = {
          PFNSPEC_CALLER_ABI_VERSION, sizeof(struct pfnspec_caller_info), "null-out", "", "strict", "mutant"};
        return &info;
      }
      int pfnspec_caller_run(const struct pfnspec_caller_host *host, struct pfnspec_vma *vma, uint64_t address,
                             uint32_t flags) {
        (void)vma; (void)flags;
        if (host->fixup_user_fault(host->ctx, address, false, NULL) != 0) host->abandon(host);
        fprintf(stderr, "null-out: still running after a faulting call");
        return 0;
      }
      """, into: library)
    #expect(built.status == 0, "\(built.errors)")
    let caller = try SharedObjectCaller(path: library)
    let (run, _) = try runByHand(caller, Setup(level: .pmd, write: false, special: true), step: nil)
    #expect(run.result == "threw the caller passed NULL for fixup_user_fault()'s result")
  }

  @Test("a fault inside a C notifier callback becomes the host's error, during the run and after it, and the process goes on")
  func notifierFault() throws {
    let caller = try SharedObjectCaller(path: sharedObject("PfnCallerFaultNotifierUnlock"))
    let setup = Setup(level: .pmd, write: false, special: true)
    let library = try #require(dlopen(sharedObject("PfnCallerFaultNotifierUnlock"), RTLD_NOW))
    defer { dlclose(library) }
    let freed = try #require(dlsym(library, "notifier_unlock_freed")).assumingMemoryBound(to: Int32.self)
    let freedBefore = freed.pointee

    // The other CPU zaps as the caller's start() is about to run: the
    // notifier runs nested inside that host call and faults there.
    let (during, _) = try runByHand(caller, setup, step: ("caller: follow_pfnmap_start(0x7f0040001234)", 1, .zap))
    #expect(during.performed)
    #expect(during.result == "threw \(CallerFault.lock("unlock of caller lock #1, which is not held"))")

    // After the run returned, the device keeps its map and a zap reaches the notifier.
    let (after, _) = try runByHand(
      caller, setup, step: ("the device runs on after the caller returned", 1, .zap))
    #expect(after.performed)
    #expect(after.result == "threw \(CallerFault.lock("unlock of caller lock #1, which is not held"))")

    // The process survived both, and the same plug-in runs on.
    let (quiet, _) = try runByHand(caller, setup, step: nil)
    #expect(quiet.result == "returned 0")
    // Once each case was over, its notifier got free_notifier().
    #expect(freed.pointee - freedBefore == 3)
    let (kvm, _) = try runByHand(try SharedObjectCaller(path: sharedObject("PfnCallerKVMLike")), setup, step: nil)
    #expect(kvm.result == "returned 0")
  }
}
