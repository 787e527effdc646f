import Foundation
import PfnModel
import PfnTestSupport
import Testing

@testable import PfnPlugins

/// A walker in kernel shape that uses the shim's idioms: the kernel's include
/// lines, plain reads through entry pointers, WARN/VM_WARN/BUG, might_sleep()
/// under the PTE lock, a CONFIG_LOCKDEP block, EXPORT_SYMBOL_GPL.
private let idiomsWalker = """
  #include <linux/mm.h>
  #include <linux/pgtable.h>
  #include <asm/pgtable.h>
  #include <linux/mmu_notifier.h>
  #include <linux/export.h>
  #include <linux/lockdep.h>
  #include <linux/bug.h>
  #include <linux/mmdebug.h>
  #include <linux/spinlock.h>

  int follow_pfnmap_start(struct follow_pfnmap_args *args)
  {
  	struct mm_struct *mm = args->vma->vm_mm;
  	unsigned long address = args->address;
  	pgd_t *pgdp;
  	p4d_t *p4dp;
  	pud_t *pudp;
  	pmd_t *pmdp, pmd;
  	pte_t *ptep, pte;
  	spinlock_t *ptl;

  #ifdef CONFIG_LOCKDEP
  	lockdep_assert(address == 0);
  #endif
  	mmap_assert_locked(mm);
  	pgdp = pgd_offset(mm, address);
  	if (WARN_ON(pgd_none(*pgdp)))
  		return -EINVAL;
  	p4dp = p4d_offset(pgdp, address);
  	pudp = pud_offset(p4dp, address);
  	if (pud_none(*pudp) || pud_trans_huge(*pudp) || pud_devmap(*pudp))
  		return -EINVAL;
  	pmdp = pmd_offset(pudp, address);
  	pmd = *pmdp;
  	if (pmd_none(pmd) || pmd_trans_huge(pmd) || pmd_devmap(pmd))
  		return -EINVAL;
  	VM_WARN_ON_ONCE(address & 0x100);
  	ptep = pte_offset_map_lock(mm, pmdp, address, &ptl);
  	if (!ptep)
  		return -EINVAL;
  	might_sleep();
  	pte = *ptep;
  	if (pte_val(pte) != pte_val(ptep_get(ptep)) || !pte_present(pte)) {
  		pte_unmap_unlock(ptep, ptl);
  		return -EINVAL;
  	}
  	BUG_ON(!pfn_valid(pte_pfn(pte)));
  	VM_BUG_ON(address & 0x800);
  	args->pfn = pte_pfn(pte);
  	args->pgprot = pte_pgprot(pte);
  	args->writable = pte_write(pte);
  	args->special = pte_special(pte);
  	args->addr_mask = PAGE_MASK;
  	args->lock = ptl;
  	args->ptep = ptep;
  	return 0;
  }
  EXPORT_SYMBOL_GPL(follow_pfnmap_start);

  void follow_pfnmap_end(struct follow_pfnmap_args *args)
  {
  	if (args->lock)
  		spin_unlock(args->lock);
  	if (args->ptep)
  		pte_unmap(args->ptep);
  }
  EXPORT_SYMBOL_GPL(follow_pfnmap_end);

  """

private let entryMacro = """
  PFNSPEC_KERNEL_WALKER("idioms-c", "the shim's kernel idioms", "6.15", "strict", "implementation")

  """

/// Reads a PTE plainly, lets another CPU zap it at a READ_ONCE of the pmd, and
/// reads it plainly again: 1 in args->pfn when the second read saw the change.
private let refreshWalker = """
  #include <linux/mm.h>

  int follow_pfnmap_start(struct follow_pfnmap_args *args)
  {
  	struct mm_struct *mm = args->vma->vm_mm;
  	pgd_t *pgdp = pgd_offset(mm, args->address);
  	pud_t *pudp = pud_offset(p4d_offset(pgdp, args->address), args->address);
  	pmd_t *pmdp = pmd_offset(pudp, args->address);
  	spinlock_t *ptl;
  	pte_t *ptep = pte_offset_map_lock(mm, pmdp, args->address, &ptl);
  	pte_t before, after;

  	if (!ptep)
  		return -EINVAL;
  	before = *ptep;
  	pte_unmap_unlock(ptep, ptl);
  	(void)READ_ONCE(*pmdp); /* another CPU zaps the pte here */
  	after = *ptep;
  	args->pfn = pte_present(before) && !pte_present(after);
  	return 0;
  }

  void follow_pfnmap_end(struct follow_pfnmap_args *args)
  {
  	(void)args;
  }

  PFNSPEC_KERNEL_WALKER("refresh-c", "plain reads see other CPUs", "6.15", "strict", "implementation")

  """

/// Zaps the walk's PTE just before the first read of a pmd that comes after a spin_unlock.
private final class ZapAtPmdRead: SchedulingObserver {
  let address: UInt64
  var unlocked = false
  var zapped = false
  init(address: UInt64) { self.address = address }
  func willPerform(_ call: HostCall, host: ModelHost) throws {
    if call.name == "spin_unlock" { unlocked = true }
    guard unlocked, !zapped, call.name == "read pmd" else { return }
    _ = try host.world.perform(AdversaryOp(.zap, .pte), address: address)
    zapped = true
  }
}

@Suite("The walker shim takes kernel source as it is")
struct KernelShimTests {
  private func compile(_ source: String, flags: String = "", into library: String) throws -> (
    status: Int32, errors: String
  ) {
    try compileSharedObject(source, named: "walker.c", flags: flags, strict: true, into: library)
  }

  private func world() throws -> (World, VMAView) {
    let world = World(arch: X86_64())
    let vma = try world.addVMA(start: 0x7f00_0000_0000, end: 0x7f00_4000_0000, flags: [.io, .pfnmap], fileBacked: false)
    try world.installLeaf(LeafProperties(pfn: 0x1000), at: .pte, covering: vma.start)
    return (world, vma)
  }

  @Test("plain reads, WARN, might_sleep under a spinlock, lockdep on by default; args->ptep stays a model address")
  func idioms() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") else { return }
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let library = directory + "/libidioms.so"
    let built = try compile(idiomsWalker + entryMacro, into: library)
    #expect(built.status == 0, "\(built.errors)")
    let walker = try SharedObjectWalker(path: library)

    let (world, vma) = try world()
    let host = ModelHost(world: world)
    var args = FollowPfnmapArgs(vma: vma, address: vma.start + 0x123)
    #expect(try walker.start(&args, host: host) == 0)
    #expect(args.pfn == 0x1000)
    let ptep = try #require(args.ptep)
    #expect(world.value(at: ptep) != nil, "args->ptep is the entry's handle outside the walker")
    #expect(world.lockdepWarnings.contains("address == 0"))
    #expect(world.lockdepWarnings.contains { $0.contains("might_sleep()") && $0.contains("spinlock held") })
    #expect(host.trace.contains { $0.contains("WARNING: WARN_ON(address & 0x100)") }, "\(host.trace)")
    try walker.end(&args, host: host)
    #expect(world.heldLocks.isEmpty)
  }

  @Test("a plain read through an entry pointer sees what another CPU did at the last host call")
  func plainReadsAreRefreshed() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") else { return }
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let library = directory + "/librefresh.so"
    let built = try compile(refreshWalker, into: library)
    #expect(built.status == 0, "\(built.errors)")
    let walker = try SharedObjectWalker(path: library)
    let (world, vma) = try world()
    let host = ModelHost(world: world)
    let observer = ZapAtPmdRead(address: vma.start)
    host.observer = observer
    var args = FollowPfnmapArgs(vma: vma, address: vma.start)
    #expect(try walker.start(&args, host: host) == 0)
    #expect(observer.zapped)
    #expect(args.pfn == 1, "the second plain read saw the zap")
  }

  @Test("BUG ends the walk with a fault that names it")
  func bugEndsTheWalk() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") else { return }
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let library = directory + "/libidioms.so"
    #expect(try compile(idiomsWalker + entryMacro, into: library).status == 0)
    let walker = try SharedObjectWalker(path: library)
    let (world, vma) = try world()
    var args = FollowPfnmapArgs(vma: vma, address: vma.start + 0x800)
    #expect {
      _ = try walker.start(&args, host: ModelHost(world: world))
    } throws: { error in
      guard case WalkerFault.kernelBug(let what) = error else { return false }
      return what.contains("BUG_ON(address & 0x800)")
    }
  }

  @Test("-DPFNSPEC_NO_LOCKDEP turns lockdep blocks and assertions off")
  func lockdepOff() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") else { return }
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let library = directory + "/libidioms.so"
    let built = try compile(idiomsWalker + entryMacro, flags: "-DPFNSPEC_NO_LOCKDEP", into: library)
    #expect(built.status == 0, "\(built.errors)")
    let walker = try SharedObjectWalker(path: library)
    let (world, vma) = try world()
    let host = ModelHost(world: world)
    var args = FollowPfnmapArgs(vma: vma, address: vma.start)
    #expect(try walker.start(&args, host: host) == 0)
    #expect(!world.lockdepWarnings.contains("address == 0"))
    try walker.end(&args, host: host)
  }

  @Test("mm/memory.c's include block builds as it is, the headers the system also has left out")
  func memoryIncludeBlock() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") else { return }
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let headers = [
      "linux/kernel_stat.h", "linux/mm.h", "linux/mm_inline.h", "linux/sched/mm.h", "linux/sched/coredump.h",
      "linux/sched/numa_balancing.h", "linux/sched/task.h", "linux/hugetlb.h", "linux/swap.h", "linux/highmem.h",
      "linux/pagemap.h", "linux/memremap.h", "linux/kmsan.h", "linux/ksm.h", "linux/rmap.h", "linux/export.h",
      "linux/delayacct.h", "linux/init.h", "linux/pfn_t.h", "linux/writeback.h", "linux/memcontrol.h",
      "linux/mmu_notifier.h", "linux/swapops.h", "linux/gfp.h", "linux/migrate.h", "linux/memory-tiers.h",
      "linux/debugfs.h", "linux/userfaultfd_k.h", "linux/dax.h", "linux/numa.h", "linux/vmalloc.h",
      "linux/sched/sysctl.h", "trace/events/kmem.h", "asm/io.h", "asm/mmu_context.h", "asm/pgalloc.h",
      "linux/uaccess.h", "asm/tlb.h", "asm/tlbflush.h", "linux/lockdep.h", "linux/bug.h", "linux/mmdebug.h",
      "linux/spinlock.h", "linux/pgtable.h", "asm/pgtable.h",
    ]
    let source =
      headers.map { "#include <\($0)>\n" }.joined()
      + "#include \"pgalloc-track.h\"\n#include \"internal.h\"\n#include \"swap.h\"\n" + idiomsWalker + entryMacro
    let built = try compile(source, into: directory + "/libblock.so")
    #expect(built.status == 0, "\(built.errors)")
  }

  @Test("a walker without PFNSPEC_KERNEL_WALKER does not build, and the error names the macro")
  func missingEntryMacro() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/cc") else { return }
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let built = try compile(idiomsWalker, into: directory + "/libnomacro.so")
    #expect(built.status != 0)
    #expect(built.errors.contains("PFNSPEC_KERNEL_WALKER"), "\(built.errors)")
  }
}
