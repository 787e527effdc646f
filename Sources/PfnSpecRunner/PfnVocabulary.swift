import PfnModel
import PfnSpecLanguage

/// The names rules may use: what the runner knows how to build, call and judge.
///
/// This table is the only place where model words meet the language; the
/// runner's evaluator resolves the same names, and a test keeps the two in step.
public enum PfnVocabulary {
  public static func make(contractAnchors: Set<String>) -> Vocabulary {
    typealias T = Vocabulary.ValueType
    let world = Vocabulary.Context.world
    let any = Vocabulary.Context.all
    let expect: Vocabulary.Context = [.expect]

    var names: [String: Vocabulary.Name] = [:]
    func name(
      _ n: String, _ type: T, _ contexts: Vocabulary.Context, _ summary: String,
      members: [String: T] = [:], needsCall: Bool = false
    ) {
      names[n] = Vocabulary.Name(
        type: type, contexts: contexts, members: members, needsCall: needsCall, summary: summary)
    }

    // Constants.
    name("true", .boolean, any, "boolean true")
    name("false", .boolean, any, "boolean false")
    name("none", .any, any, "the empty set of locks or flags; the empty entry state")
    for level in PageLevel.allCases { name(level.description, .level, any, "the \(level) level") }
    for (flag, _) in VMAFlags.named { name(flag, .vmaFlags, any, "the VM_\(flag) flag") }
    for state in EntryState.allCases where state != .none {
      name(state.rawValue, .entryState, world, "an entry state for 'given entry ... is'")
    }
    for hold in CallerHold.allCases { name(hold.rawValue, .callerLock, world, "what the caller holds") }
    name("nothing", .callerLock, world, "the caller holds no lock")
    name("EINVAL", .integer, any, "errno 22")
    name("ENOENT", .integer, any, "errno 2")
    name("strict", .string, any, "profile: only VM_IO/VM_PFNMAP VMAs are accepted (as merged)")
    name("relaxed", .string, any, "profile: no VMA flag check (as proposed in the thread)")

    // The target: architecture and walker claims (usable everywhere, typically in 'requires').
    name("arch", .string, any, "the architecture's name")
    name("kernel", .version, any, "the kernel release the run targets")
    name("api", .version, any, "the API level the walker claims (6.12, 6.15)")
    name("profile", .string, any, "the profile the walker claims (strict, relaxed)")
    name("pmd_pfnmap", .boolean, any, "ARCH_SUPPORTS_PMD_PFNMAP on the target")
    name("pud_pfnmap", .boolean, any, "ARCH_SUPPORTS_PUD_PFNMAP on the target")
    name("pte_special", .boolean, any, "ARCH_HAS_PTE_SPECIAL on the target")
    name("split_pmd_locks", .boolean, any, "CONFIG_SPLIT_PMD_PTLOCKS on the target")
    name("page_size", .integer, any, "PAGE_SIZE")
    name("leaf_levels", .list(.level), any, "levels a pfnmap leaf can sit at on the target (pud, pmd, pte)")
    name("huge_levels", .list(.level), any, "leaf levels above pte on the target")
    name("table_levels", .list(.level), any, "levels whose entries point to tables (not folded, not pgd or pte)")
    name("entry_levels", .list(.level), any, "every level a walk reads an entry at: table_levels and pte")

    // MARK: Architecture geometry (issue 3; resolved by Evaluator.architectureConstant)
    name("page_shift", .integer, any, "PAGE_SHIFT")
    name("user_limit", .integer, any, "the lowest address above the user address space (TASK_SIZE)")
    name("levels_count", .integer, any, "the number of hardware page-table levels (2 to 5)")
    name(
      "walk_levels", .list(.level), any,
      "one level per hardware table, top first: where the walk judges its entries (the last level of a fold chain)")
    name("folded_levels", .list(.level), any, "levels folded into the level above them")
    name("swap_levels", .list(.level), any, "walk levels that can hold a swap or migration entry")
    name("protnone_levels", .list(.level), any, "walk levels that can hold a PROT_NONE leaf")
    name(
      "bad_levels", .list(.level), any,
      "walk levels where the walk asks pXd_bad(): pgd and p4d, and pmd through pte_offset_map_lock()")
    // End of the architecture geometry names.

    // The world as given so far.
    name(
      "vma", .record("vma"), world, "the VMA", members: ["start": .integer, "end": .integer, "size": .integer])
    name(
      "leaf", .record("leaf"), world, "the last leaf given",
      members: [
        "start": .integer, "end": .integer, "size": .integer, "pfn": .integer, "level": .level,
      ])

    // The state after the last call.
    let outputs: [String: T] = [
      "pfn": .integer, "pgprot": .integer, "writable": .boolean, "special": .boolean,
      "addr_mask": .integer,
    ]
    name("result", .integer, expect, "what start() returned", needsCall: true)
    for (output, type) in outputs {
      name(output, type, expect, "the \(output) output of args after the last call", needsCall: true)
    }
    name(
      "outputs", .record("outputs"), expect,
      "every output the walker's API level has (pfn, pgprot, writable, special, addr_mask)",
      members: outputs, needsCall: true)
    // The same record type as 'outputs', so that the two compare field by field.
    name(
      "expected", .record("outputs"), expect,
      "what the oracle reads off the model for the address when start() returned",
      members: outputs.merging(["exists": .boolean, "level": .level]) { a, _ in a }, needsCall: true)
    name(
      "previous", .record("outputs"), expect,
      "the outputs of the start() before the last one, as they were after it (to compare two lookups)",
      members: outputs, needsCall: true)
    name("held", .locks, expect, "page-table spinlocks the walker holds now", needsCall: true)
    name("mapped", .integer, expect, "PTE tables the walker has mapped and not unmapped", needsCall: true)
    name("lockdep_warned", .boolean, expect, "a lockdep assertion failed in any call so far", needsCall: true)
    name("entries_written", .boolean, expect, "the walker wrote a page-table entry", needsCall: true)
    name(
      "tables_changed", .boolean, expect,
      "any page-table entry changed since the world was built (the walker or a kernel helper)",
      needsCall: true)
    name(
      "args_unchanged", .boolean, expect,
      "no field of args (outputs and internals) changed in the last call", needsCall: true)

    // Races: what another CPU may do, and what the oracle sees of it.
    for kind in AdversaryKind.allCases {
      name(kind.rawValue, .string, world, "an adversary operation for 'given race ops'")
    }
    name(
      "protected_until_end", .boolean, expect,
      "after end(): the leaf still matched 'expected' when the caller used the outputs before end()",
      needsCall: true)
    name("adversary_steps", .integer, expect, "operations another CPU performed so far", needsCall: true)

    let functions: [String: Vocabulary.Signature] = [
      "lock_of": .init(
        parameters: [.level], result: .locks, contexts: expect,
        summary: "the lock that protects the entry at a level for the last address"),
      "random": .init(
        parameters: [.integer, .integer, .integer], result: .list(.integer), contexts: [.domain],
        summary: "random(n, lo, hi): n addresses in [lo, hi) drawn from the run's seed"),
      "sample": .init(
        parameters: [.integer, .any], result: .list(.any), contexts: [.domain],
        summary: "sample(n, list): n values of a list, without repeats, drawn from the run's seed (all of them when n >= its length)"),
      "pages": .init(
        parameters: [.integer, .integer], result: .list(.integer), contexts: [.domain],
        summary: "pages(lo, hi): every page-aligned address in [lo, hi), exhaustively (at most 1024)"),
      "mask_of": .init(
        parameters: [.level], result: .integer, contexts: any, summary: "PXD_MASK of a level"),
      "size_of": .init(
        parameters: [.level], result: .integer, contexts: any, summary: "PXD_SIZE of a level"),
    ]

    let subjects: [String: Vocabulary.Subject] = [
      "vma": .init(
        attributes: ["flags": .vmaFlags, "file": .boolean, "start": .integer, "size": .integer],
        summary: "the VMA walked (default: IO|PFNMAP, no file, 2 GiB at 0x7f0040000000, or lower where the user address space ends below it)"),
      "leaf": .init(
        attributes: [
          "at": .level, "pfn": .integer, "writable": .boolean, "special": .boolean, "dirty": .boolean,
          "exec": .boolean, "uncached": .boolean, "covering": .integer,
        ], required: ["at"], repeatable: true,
        summary: "a present leaf mapping the block that holds 'covering' (default vma.start)"),
      "entry": .init(
        attributes: ["at": .level, "is": .entryState, "covering": .integer, "pfn": .integer],
        required: ["at", "is"], repeatable: true,
        summary: "a non-leaf entry: none, swap, protnone or bad, above a leaf-free range"),
      "race": .init(
        attributes: ["ops": .any, "bound": .integer],
        summary: "another CPU races the walk: 'ops' (default all) up to 'bound' steps (default 2)"),
      "args": .init(
        attributes: ["fill": .integer],
        summary: "what the fields of args hold before start() (default: a 0x5a pattern, writable and special true); 'fill' sets every output to one value"),
      "caller": .init(
        attributes: ["holds": .any], required: ["holds"],
        summary: "the locks the caller holds on entry (default mmap_read)"),
    ]

    let calls: [String: Vocabulary.Signature] = [
      "start": .init(
        parameters: [.integer], result: .integer, contexts: [.call],
        summary: "follow_pfnmap_start() for an address in the VMA"),
      "end": .init(
        parameters: [], result: .integer, contexts: [.call],
        summary: "follow_pfnmap_end() on the args of the last start()"),
    ]

    // An output that API level 6.12 lacks: reading it skips the case there.
    let gates = ["addr_mask": Vocabulary.Gate(name: "api", major: 6, minor: 15)]

    var vocabulary = Vocabulary(
      subjects: subjects, calls: calls, functions: functions, names: names,
      contractAnchors: contractAnchors, gates: gates)
    CallerVocabulary.add(to: &vocabulary)
    return vocabulary
  }
}
