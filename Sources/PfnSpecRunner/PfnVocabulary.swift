import PfnCallers
import PfnModel
import PfnSpecLanguage
import PfnWalkers

/// The names rules may use: what the runner knows how to build, call and judge.
///
/// This file is the only place where model words meet the language. Each name,
/// function, `given` subject and call is declared once, with its type, the
/// clauses it may stand in, its summary and its meaning; the checker reads the
/// `Vocabulary` made from these declarations, and the evaluator, the planner
/// and the executor dispatch on the same declarations. A name added here is
/// known everywhere; there is no second list to keep in step.
public enum PfnVocabulary {
  /// The vocabulary the checker uses, made from the declarations.
  public static func make(contractAnchors: Set<String>) -> Vocabulary {
    Vocabulary(
      subjects: subjects.mapValues(\.subject),
      calls: Dictionary(uniqueKeysWithValues: CallName.allCases.map { ($0.rawValue, $0.signature) }),
      functions: functions.mapValues(\.signature),
      names: names.mapValues(\.declaration),
      contractAnchors: contractAnchors,
      gates: Dictionary(uniqueKeysWithValues: OutputField.allCases.compactMap { f in f.gate.map { (f.rawValue, $0) } }),
      schedulePoints: SchedulePoints.all,
      scheduleOperations: Dictionary(
        uniqueKeysWithValues: AdversaryKind.allCases.map { ($0.rawValue, "the other CPU's \($0.rawValue) (docs/races.md)") }),
      pairing: pairing, stringValues: stringValues)
  }

  /// start() opens the window, end() closes it; after end() no output is valid
  /// (C10), a successful start() is ended and a failed one is not (C15).
  static let pairing = Vocabulary.Pairing(
    open: CallName.start.rawValue, close: CallName.end.rawValue, status: "result",
    invalidAfterClose: Set(OutputField.allCases.map(\.rawValue) + ["outputs"]),
    invalidAfterCloseSource: "contract#C10", closeSource: "contract#C15")

  /// The values the string-valued target names can have.
  static let stringValues: [String: Set<String>] = [
    "arch": Set(Architectures.all.map(\.name)),
    "profile": Set(Profile.allCases.map(\.rawValue)),
  ]

  /// Every plain name, with its meaning.
  static let names: [String: NameDeclaration] = {
    var table = DeclarationTable<NameDeclaration>()
    for declaration in constantNames + targetNames + architectureNames + worldNames + stateNames + raceNames
      + callerNames
    {
      table.declare(declaration.name, declaration)
    }
    return table.entries
  }()

  /// Every function, with its meaning.
  static let functions: [String: FunctionDeclaration] = {
    var table = DeclarationTable<FunctionDeclaration>()
    for declaration in functionDeclarations { table.declare(declaration.name, declaration) }
    return table.entries
  }()

  /// Every `given` subject, with what it builds.
  static let subjects: [String: SubjectDeclaration] = {
    var table = DeclarationTable<SubjectDeclaration>()
    for declaration in subjectDeclarations { table.declare(declaration.name, declaration) }
    return table.entries
  }()
}

// MARK: - Declarations

/// A plain name: its declaration for the checker and its meaning for the evaluator.
struct NameDeclaration: Sendable {
  /// How a name gets its value in a case.
  enum Meaning: Sendable {
    /// The same everywhere.
    case constant(Value)
    /// From the architecture, the kernel release and the walker's claims.
    case target(@Sendable (Target) -> Value)
    /// From the world the rule's `given` clauses describe.
    case world(@Sendable (Evaluator, SourceRange) throws -> Value)
    /// From the state after the last call; only meaningful after a `call`.
    case state(@Sendable (Evaluator, CallState, SourceRange) throws -> Value)
  }

  var name: String
  var type: Vocabulary.ValueType
  var contexts: Vocabulary.Context
  var summary: String
  /// For records: the members and their types.
  var members: [String: Vocabulary.ValueType] = [:]
  var meaning: Meaning

  init(
    _ name: String, _ type: Vocabulary.ValueType, _ contexts: Vocabulary.Context, _ summary: String,
    members: [String: Vocabulary.ValueType] = [:], _ meaning: Meaning
  ) {
    self.name = name
    self.type = type
    self.contexts = contexts
    self.summary = summary
    self.members = members
    self.meaning = meaning
  }

  /// What the checker knows of the name.
  var declaration: Vocabulary.Name {
    let needsCall = if case .state = meaning { true } else { false }
    return Vocabulary.Name(type: type, contexts: contexts, members: members, needsCall: needsCall, summary: summary)
  }
}

/// A function of expressions.
struct FunctionDeclaration: Sendable {
  enum Meaning: Sendable {
    /// Applied to its evaluated arguments.
    case value(@Sendable (Evaluator, [Value], SourceRange) throws -> Value)
    /// A list that only a `for` domain may be, expanded by the planner.
    case domain(DomainFunction)
  }

  var name: String
  var signature: Vocabulary.Signature
  var meaning: Meaning
}

/// The functions that make a `for` domain; the planner expands each (seeded).
enum DomainFunction: Sendable, CaseIterable {
  case random, pages, sample
}

/// A `given` subject: its attributes and what it builds.
struct SubjectDeclaration: Sendable {
  var name: String
  var subject: Vocabulary.Subject
  var apply: @Sendable (GivenValues, inout Evaluator) throws -> Void
}

/// The operations of `call`. The executor switches over every case, so an
/// operation added here does not compile until it has a meaning there.
public enum CallName: String, Sendable, CaseIterable {
  case start
  case end
  /// Runs the caller under test (a caller rule).
  case caller

  /// What the checker knows of the operation.
  public var signature: Vocabulary.Signature {
    switch self {
    case .start:
      .init(
        parameters: [.integer], result: .integer, contexts: [.call],
        summary: "follow_pfnmap_start() for an address in the VMA")
    case .end:
      .init(
        parameters: [], result: .integer, contexts: [.call],
        summary: "follow_pfnmap_end() on the args of the last start()")
    case .caller:
      .init(
        parameters: [.integer], result: .integer, contexts: [.call],
        summary: "runs the caller under test for an address of the VMA; its lookups go to the run's walker")
    }
  }
}

/// The output fields of `struct follow_pfnmap_args`, as rules name them.
enum OutputField: String, Sendable, CaseIterable {
  case pfn, pgprot, writable, special
  case addrMask = "addr_mask"

  var type: Vocabulary.ValueType {
    switch self {
    case .pfn, .pgprot, .addrMask: .integer
    case .writable, .special: .boolean
    }
  }

  /// The field in the args a walker filled in.
  func value(in args: FollowPfnmapArgs) -> Value {
    value(args.pfn, args.pgprot, args.writable, args.special, args.addrMask)
  }

  /// The field as the oracle reads it off the model.
  func value(in translation: Translation) -> Value {
    let t = translation
    return value(t.pfn, t.pgprot, t.writable, t.special, t.addrMask)
  }

  private func value(_ pfn: UInt64, _ pgprot: UInt64, _ writable: Bool, _ special: Bool, _ addrMask: UInt64) -> Value {
    switch self {
    case .pfn: .integer(pfn)
    case .pgprot: .integer(pgprot)
    case .writable: .boolean(writable)
    case .special: .boolean(special)
    case .addrMask: .integer(addrMask)
    }
  }

  /// The API level from which the field exists (`addr_mask` from 6.15).
  var gate: Vocabulary.Gate? {
    switch self {
    case .addrMask: Vocabulary.Gate(name: PfnVocabulary.apiName, version: Self.addrMaskFrom)
    case .pfn, .pgprot, .writable, .special: nil
    }
  }
  private static let addrMaskFrom = Version(6, 15)

  /// Whether a walker claiming `api` has this field: what `gate` says,
  /// without making the gate (asked whenever a rule reads an output).
  func exists(for api: KernelRelease) -> Bool {
    switch self {
    case .addrMask: api >= KernelRelease(Self.addrMaskFrom.major, Self.addrMaskFrom.minor)
    case .pfn, .pgprot, .writable, .special: true
    }
  }

  /// The members of an outputs record.
  static let members: [String: Vocabulary.ValueType] = Dictionary(
    uniqueKeysWithValues: allCases.map { ($0.rawValue, $0.type) })

  /// The fields a walker claiming `api` has, in declaration order.
  static func fields(of args: FollowPfnmapArgs, api: KernelRelease) -> [Value.Field] {
    // One array, sized once: a rule reads these at every schedule.
    var fields: [Value.Field] = []
    fields.reserveCapacity(allCases.count)
    for field in allCases where field.exists(for: api) { fields.append(Value.Field(field.rawValue, field.value(in: args))) }
    return fields
  }

  /// With room for `extra` more fields, which `expected` adds.
  static func fields(of translation: Translation, api: KernelRelease, extra: Int = 0) -> [Value.Field] {
    var fields: [Value.Field] = []
    fields.reserveCapacity(allCases.count + extra)
    for field in allCases where field.exists(for: api) {
      fields.append(Value.Field(field.rawValue, field.value(in: translation)))
    }
    return fields
  }
}

/// The attribute values of one `given`, evaluated, with typed accessors.
struct GivenValues {
  var subject: Located<String>
  var values: [String: (Value, Expr)]
  var evaluator: Evaluator

  subscript(_ name: String) -> (Value, Expr)? { values[name] }

  func integer(_ name: String) throws -> UInt64? {
    guard let (v, e) = values[name] else { return nil }
    return try evaluator.integer(v, e)
  }

  func bool(_ name: String) throws -> Bool? {
    guard let (v, e) = values[name] else { return nil }
    return try evaluator.bool(v, e)
  }

  func level(_ name: String) throws -> PageLevel {
    guard let (v, e) = values[name] else { throw missing(name) }
    guard case .level(let l) = v else { throw evaluator.mismatch("a page-table level", v, e) }
    return l
  }

  func missing(_ name: String) -> EvaluationError {
    EvaluationError(message: "'given \(subject.value)' needs '\(name)'", range: subject.range)
  }

  /// A value or a list of them, as a list.
  func items(_ value: Value) -> [Value] {
    if case .list(let list) = value { return list }
    return [value]
  }
}

/// Declarations by name; declaring a name twice is a programming error.
struct DeclarationTable<Entry> {
  var entries: [String: Entry] = [:]

  mutating func declare(_ name: String, _ entry: Entry) {
    precondition(entries[name] == nil, "'\(name)' is declared twice in the vocabulary")
    entries[name] = entry
  }
}

// MARK: - The names

extension PfnVocabulary {
  typealias T = Vocabulary.ValueType
  static let world = Vocabulary.Context.world
  static let anywhere = Vocabulary.Context.all
  static let expect: Vocabulary.Context = [.expect]

  /// The name `requires` compares with a walker's API level; gates refer to it.
  static let apiName = "api"
  /// The empty set of anything, and the empty entry state.
  static let noneName = "none"
  /// The empty set of caller locks.
  static let nothingName = "nothing"
  /// The errnos a rule may name.
  static let errnos: [(name: String, value: Int32)] = [
    ("EINVAL", Errno.EINVAL), ("ENOENT", Errno.ENOENT), ("EFAULT", Errno.EFAULT),
  ]
  /// The member of `expected` that says whether the oracle found a leaf.
  static let existsMember = "exists"

  static var constantNames: [NameDeclaration] {
    var names: [NameDeclaration] = [
      .init(noneName, .any, anywhere, "the empty set of locks or flags; the empty entry state", .constant(.none)),
      .init(nothingName, .callerLock, world, "the caller holds no lock", .constant(.callerLocks([]))),
    ]
    for (spelling, value) in Vocabulary.booleanLiterals.sorted(by: { $0.key > $1.key }) {
      names.append(.init(spelling, .boolean, anywhere, "boolean \(spelling)", .constant(.boolean(value))))
    }
    for errno in errnos {
      names.append(
        .init(errno.name, .integer, anywhere, "errno \(errno.value)", .constant(.integer(UInt64(errno.value)))))
    }
    for level in PageLevel.allCases {
      names.append(.init(level.description, .level, anywhere, "the \(level) level", .constant(.level(level))))
    }
    for (flag, value) in VMAFlags.named {
      names.append(.init(flag, .vmaFlags, anywhere, "the VM_\(flag) flag", .constant(.flags(value))))
    }
    for state in EntryState.allCases where state != .none {
      names.append(
        .init(state.rawValue, .entryState, world, "an entry state for 'given entry ... is'", .constant(.entryState(state))))
    }
    for hold in CallerHold.allCases {
      names.append(.init(hold.rawValue, .callerLock, world, "what the caller holds", .constant(.callerLocks([hold]))))
    }
    for profile in Profile.allCases {
      let summary =
        switch profile {
        case .strict: "profile: only VM_IO/VM_PFNMAP VMAs are accepted (as merged)"
        case .relaxed: "profile: no VMA flag check (as proposed in the thread)"
        }
      names.append(.init(profile.rawValue, .string, anywhere, summary, .constant(.string(profile.rawValue))))
    }
    return names
  }

  /// The target: architecture and walker claims (usable everywhere, typically in `requires`).
  static var targetNames: [NameDeclaration] {
    [
      .init("arch", .string, anywhere, "the architecture's name", .target { .string($0.arch.name) }),
      .init("kernel", .version, anywhere, "the kernel release the run targets", .target { .version($0.release) }),
      .init(
        apiName, .version, anywhere, "the API level the walker claims (6.12, 6.15)",
        .target { .version($0.walker.apiLevel.release) }),
      .init(
        "profile", .string, anywhere, "the profile the walker claims (strict, relaxed)",
        .target { .string($0.walker.profile.rawValue) }),
      .init(
        "pmd_pfnmap", .boolean, anywhere, "ARCH_SUPPORTS_PMD_PFNMAP on the target",
        .target { .boolean($0.capabilities.pmdPfnmap) }),
      .init(
        "pud_pfnmap", .boolean, anywhere, "ARCH_SUPPORTS_PUD_PFNMAP on the target",
        .target { .boolean($0.capabilities.pudPfnmap) }),
      .init(
        "pte_special", .boolean, anywhere, "ARCH_HAS_PTE_SPECIAL on the target",
        .target { .boolean($0.capabilities.pteSpecial) }),
      .init(
        "split_pmd_locks", .boolean, anywhere, "CONFIG_SPLIT_PMD_PTLOCKS on the target",
        .target { .boolean($0.capabilities.splitPMDLocks) }),
      .init("page_size", .integer, anywhere, "PAGE_SIZE", .target { .integer($0.arch.pageSize) }),
      .init(
        "leaf_levels", .list(.level), anywhere, "levels a pfnmap leaf can sit at on the target (pud, pmd, pte)",
        .target { .levels($0.capabilities.leafLevels) }),
      .init("huge_levels", .list(.level), anywhere, "leaf levels above pte on the target", .target { .levels($0.huge) }),
      .init(
        "table_levels", .list(.level), anywhere,
        "levels whose entries point to tables (not folded, not pgd or pte)",
        .target { .levels($0.arch.hardwareLevels.filter { $0 != .pte && $0 != .pgd }) }),
      .init(
        "entry_levels", .list(.level), anywhere, "every level a walk reads an entry at: table_levels and pte",
        .target { .levels($0.arch.hardwareLevels.filter { $0 != .pgd }) }),
    ]
  }

  /// Architecture geometry (see ArchitectureNames.swift for the level sets).
  static var architectureNames: [NameDeclaration] {
    [
      .init("page_shift", .integer, anywhere, "PAGE_SHIFT", .target { .integer(UInt64($0.arch.pageShift)) }),
      .init(
        "user_limit", .integer, anywhere, "the lowest address above the user address space (TASK_SIZE)",
        .target { .integer($0.arch.userAddressLimit) }),
      .init(
        "levels_count", .integer, anywhere, "the number of hardware page-table levels (2 to 5)",
        .target { .integer(UInt64($0.arch.levelCount)) }),
      .init(
        "walk_levels", .list(.level), anywhere,
        "one level per hardware table, top first: where the walk judges its entries (the last level of a fold chain)",
        .target { .levels($0.walkLevels) }),
      .init(
        "folded_levels", .list(.level), anywhere, "levels folded into the level above them",
        .target { t in .levels(PageLevel.allCases.filter { t.arch.isFolded($0) }) }),
      .init(
        "swap_levels", .list(.level), anywhere, "walk levels that can hold a swap or migration entry",
        .target { .levels($0.walkLevels(holding: .swap)) }),
      .init(
        "protnone_levels", .list(.level), anywhere, "walk levels that can hold a PROT_NONE leaf",
        .target { .levels($0.walkLevels(holding: .protnone)) }),
      .init(
        "bad_levels", .list(.level), anywhere,
        "walk levels where the walk asks pXd_bad(): pgd and p4d, and pmd through pte_offset_map_lock()",
        .target { .levels($0.badLevels) }),
    ]
  }

  /// The world as given so far.
  static var worldNames: [NameDeclaration] {
    [
      .init(
        "vma", .record("vma"), world, "the VMA",
        members: ["start": .integer, "end": .integer, "size": .integer],
        .world { evaluator, _ in
          let spec = evaluator.spec
          return .record([
            .init("start", .integer(spec.vmaStart)), .init("end", .integer(spec.vmaStart &+ spec.vmaSize)),
            .init("size", .integer(spec.vmaSize)),
          ])
        }),
      .init(
        "leaf", .record("leaf"), world, "the last leaf given",
        members: ["start": .integer, "end": .integer, "size": .integer, "pfn": .integer, "level": .level],
        .world { evaluator, _ in
          guard let leaf = evaluator.spec.leaves.last else {
            throw EvaluationError(message: "'leaf' is used before any 'given leaf'", range: nil)
          }
          let arch = evaluator.target.arch
          let size = arch.size(leaf.level)
          let start = leaf.covering & arch.mask(leaf.level)
          return .record([
            .init("start", .integer(start)), .init("end", .integer(start &+ size)),
            .init("size", .integer(size)), .init("pfn", .integer(leaf.properties.pfn)),
            .init("level", .level(leaf.level)),
          ])
        }),
    ]
  }

  /// The state after the last call.
  static var stateNames: [NameDeclaration] {
    var names: [NameDeclaration] = [
      .init(
        "result", .integer, expect, "what start() returned",
        .state { _, state, range in
          guard let result = state.result else {
            throw EvaluationError(message: "'result' names what start() returned; no start() ran", range: range)
          }
          return .signed(Int64(result))
        })
    ]
    for field in OutputField.allCases {
      names.append(
        .init(
          field.rawValue, field.type, expect, "the \(field.rawValue) output of args after the last call",
          .state { evaluator, state, _ in
            try evaluator.requireOutput(field)
            return field.value(in: state.args)
          }))
    }
    names += [
      .init(
        "outputs", .record("outputs"), expect,
        "every output the walker's API level has (pfn, pgprot, writable, special, addr_mask)",
        members: OutputField.members,
        .state { evaluator, state, _ in .record(OutputField.fields(of: state.args, api: evaluator.api)) }),
      // The same record type as 'outputs', so that the two compare field by field.
      .init(
        "expected", .record("outputs"), expect,
        "what the oracle reads off the model for the address when start() returned",
        members: OutputField.members.merging([existsMember: .boolean, "level": .level]) { a, _ in a },
        .state { evaluator, state, _ in
          guard let t = state.expected else {
            return .missing("no present leaf maps \(Value.integer(state.address))")
          }
          var fields = OutputField.fields(of: t, api: evaluator.api, extra: 2)
          fields.append(.init(existsMember, .boolean(true)))
          fields.append(.init("level", .level(t.level)))
          return .record(fields)
        }),
      .init(
        "previous", .record("outputs"), expect,
        "the outputs of the start() before the last one, as they were after it (to compare two lookups)",
        members: OutputField.members,
        .state { evaluator, state, range in
          guard let previous = state.previous else {
            throw EvaluationError(message: "'previous' is only known after a second start()", range: range)
          }
          return .record(OutputField.fields(of: previous, api: evaluator.api))
        }),
      .init(
        "held", .locks, expect, "page-table spinlocks the walker holds now",
        .state { _, state, _ in .locks(Set(state.world.heldLocks)) }),
      .init(
        "mapped", .integer, expect, "PTE tables the walker has mapped and not unmapped",
        .state { _, state, _ in .integer(UInt64(state.world.mappedTables.values.reduce(0, +))) }),
      .init(
        "lockdep_warned", .boolean, expect, "a lockdep assertion failed in any call so far",
        .state { _, state, _ in .boolean(!state.world.lockdepWarnings.isEmpty) }),
      .init(
        "data_races", .list(.string), expect,
        "plain reads of an entry another CPU may change, without its lock, so far, as KCSAN words them (docs/walkers.md)",
        .state { _, state, _ in dataRaces(state.world) }),
      .init(
        "entries_written", .boolean, expect, "the walker wrote a page-table entry",
        .state { _, state, _ in .boolean(state.world.writes.contains { $0.by == .walker }) }),
      .init(
        "tables_changed", .boolean, expect,
        "any page-table entry changed since the world was built (the walker or a kernel helper)",
        .state { _, state, _ in .boolean(!state.world.writes.isEmpty) }),
      .init(
        "args_unchanged", .boolean, expect, "no field of args (outputs and internals) changed in the last call",
        .state { _, state, _ in .boolean(state.args == state.argsBefore) }),
    ]
    return names
  }

  /// `data_races`: each data race once, in the words of its first occurrence.
  static func dataRaces(_ world: World) -> Value {
    var seen = Set<String>()
    var texts: [Value] = []
    for race in world.dataRaces where seen.insert(race.description).inserted { texts.append(.string(race.description)) }
    return .list(texts)
  }

  /// Races: what another CPU may do, and what the oracle sees of it.
  static var raceNames: [NameDeclaration] {
    var names = AdversaryKind.allCases.map {
      NameDeclaration($0.rawValue, .string, world, "an adversary operation for 'given race ops'", .constant(.string($0.rawValue)))
    }
    names += [
      .init(
        "protected_until_end", .boolean, expect,
        "after end(): the leaf still matched 'expected' when the caller used the outputs before end()",
        .state { _, state, range in
          guard let protected = state.protectedUntilEnd else {
            throw EvaluationError(message: "'protected_until_end' is only known after end()", range: range)
          }
          return .boolean(protected)
        }),
      .init(
        "adversary_steps", .integer, expect, "operations another CPU performed so far",
        .state { _, state, _ in .integer(UInt64(state.world.adversarySteps)) }),
    ]
    return names
  }
}

// MARK: - The functions

extension PfnVocabulary {
  static var functionDeclarations: [FunctionDeclaration] {
    [
      .init(
        name: "lock_of",
        signature: .init(
          parameters: [.level], result: .locks, contexts: expect,
          summary: "the lock that protects the entry at a level for the last address"),
        meaning: .value { evaluator, arguments, range in
          let l = try evaluator.levelArgument("lock_of", arguments, 0, range)
          guard let state = evaluator.state else {
            throw EvaluationError(message: "lock_of() is only known after a call", range: range)
          }
          guard let lock = state.world.lock(of: l, for: state.address) else {
            throw EvaluationError(
              message: "lock_of(\(l)): no \(l) entry maps \(Value.integer(state.address))", range: range)
          }
          return .locks([lock])
        }),
      .init(
        name: "random",
        signature: .init(
          parameters: [.integer, .integer, .integer], result: .list(.integer), contexts: [.domain],
          summary: "random(n, lo, hi): n addresses in [lo, hi) drawn from the run's seed"),
        meaning: .domain(.random)),
      .init(
        name: "sample",
        signature: .init(
          parameters: [.integer, .any], result: .list(.any), contexts: [.domain],
          summary:
            "sample(n, list): n values of a list, without repeats, drawn from the run's seed (all of them when n >= its length)"),
        meaning: .domain(.sample)),
      .init(
        name: "pages",
        signature: .init(
          parameters: [.integer, .integer], result: .list(.integer), contexts: [.domain],
          summary: "pages(lo, hi): every page-aligned address in [lo, hi), exhaustively (at most 1024)"),
        meaning: .domain(.pages)),
      .init(
        name: "mask_of",
        signature: .init(parameters: [.level], result: .integer, contexts: anywhere, summary: "PXD_MASK of a level"),
        meaning: .value { evaluator, arguments, range in
          .integer(evaluator.target.arch.mask(try evaluator.levelArgument("mask_of", arguments, 0, range)))
        }),
      .init(
        name: "size_of",
        signature: .init(parameters: [.level], result: .integer, contexts: anywhere, summary: "PXD_SIZE of a level"),
        meaning: .value { evaluator, arguments, range in
          .integer(evaluator.target.arch.size(try evaluator.levelArgument("size_of", arguments, 0, range)))
        }),
    ]
  }
}

// MARK: - The given subjects

extension PfnVocabulary {
  static var subjectDeclarations: [SubjectDeclaration] {
    [
      .init(
        name: "vma",
        subject: .init(
          attributes: ["flags": .vmaFlags, "file": .boolean, "start": .integer, "size": .integer],
          summary:
            "the VMA walked (default: IO|PFNMAP, no file, 2 GiB at 0x7f0040000000, or lower where the user address space ends below it)"),
        apply: { given, evaluator in
          if let (v, e) = given["flags"] {
            switch v {
            case .flags(let f): evaluator.spec.vmaFlags = f
            case .none: evaluator.spec.vmaFlags = []
            default: throw evaluator.mismatch("VMA flags", v, e)
            }
          }
          if let file = try given.bool("file") { evaluator.spec.fileBacked = file }
          if let start = try given.integer("start") { evaluator.spec.vmaStart = start }
          if let size = try given.integer("size") { evaluator.spec.vmaSize = size }
        }),
      .init(
        name: "leaf",
        subject: .init(
          attributes: [
            "at": .level, "pfn": .integer, "writable": .boolean, "special": .boolean, "dirty": .boolean,
            "exec": .boolean, "uncached": .boolean, "covering": .integer,
          ], required: ["at"], repeatable: true,
          summary: "a present leaf mapping the block that holds 'covering' (default vma.start)"),
        apply: { given, evaluator in
          let at = try given.level("at")
          let index = evaluator.spec.leaves.count
          let properties = LeafProperties(
            pfn: try given.integer("pfn") ?? evaluator.spec.defaultPFN(index: index),
            writable: try given.bool("writable") ?? true, special: try given.bool("special") ?? true,
            dirty: try given.bool("dirty") ?? false, executable: try given.bool("exec") ?? false,
            uncached: try given.bool("uncached") ?? false)
          let covering = try given.integer("covering") ?? evaluator.spec.vmaStart
          evaluator.spec.leaves.append((at, properties, covering))
        }),
      .init(
        name: "entry",
        subject: .init(
          attributes: ["at": .level, "is": .entryState, "covering": .integer, "pfn": .integer],
          required: ["at", "is"], repeatable: true,
          summary: "a non-leaf entry: none, swap, protnone or bad, above a leaf-free range"),
        apply: { given, evaluator in
          let at = try given.level("at")
          let state: EntryState
          switch given["is"] {
          case (.entryState(let s), _)?: state = s
          case (.none, _)?: state = .none
          case let (v, e)?: throw evaluator.mismatch("an entry state (none, swap, protnone, bad)", v, e)
          case nil: throw given.missing("is")
          }
          let covering = try given.integer("covering") ?? evaluator.spec.vmaStart
          evaluator.spec.entries.append((at, state, covering, try given.integer("pfn") ?? 0x1234))
        }),
      .init(
        name: "race",
        subject: .init(
          attributes: ["ops": .any, "bound": .integer],
          summary: "another CPU races the walk: 'ops' (default all) up to 'bound' steps (default 2)"),
        apply: { given, evaluator in
          var kinds: [AdversaryKind] = AdversaryKind.allCases
          if let (v, e) = given["ops"] {
            kinds = try given.items(v).map { item in
              guard case .string(let name) = item, let kind = AdversaryKind(rawValue: name) else {
                throw evaluator.mismatch(
                  "an adversary operation (" + AdversaryKind.allCases.map(\.rawValue).joined(separator: ", ") + ")",
                  item, e)
              }
              return kind
            }
          }
          let bound = try given.integer("bound") ?? 2
          guard bound <= 8 else {
            throw EvaluationError(message: "a race bound above 8 would not finish", range: given.subject.range)
          }
          evaluator.spec.race = (kinds, Int(bound))
        }),
      .init(
        name: "request",
        subject: .init(
          attributes: ["write": .boolean],
          summary: "what the harness asks the caller for: read (default) or write access to the address"),
        apply: { given, evaluator in
          if let write = try given.bool("write") { evaluator.spec.requestWrite = write }
        }),
      .init(
        name: "args",
        subject: .init(
          attributes: ["fill": .integer],
          summary:
            "what the fields of args hold before start() (default: a 0x5a pattern, writable and special true); 'fill' sets every output to one value"
        ),
        apply: { given, evaluator in
          if let fill = try given.integer("fill") { evaluator.spec.argsFill = fill }
        }),
      .init(
        name: "caller",
        subject: .init(
          attributes: ["holds": .any], required: ["holds"],
          summary: "the locks the caller holds on entry (default mmap_read)"),
        apply: { given, evaluator in
          guard let (v, e) = given["holds"] else { throw given.missing("holds") }
          var holds: Set<CallerHold> = []
          for item in given.items(v) {
            switch item {
            case .callerLocks(let set): holds.formUnion(set)
            case .none: break
            default:
              throw evaluator.mismatch("a caller lock (mmap_read, mmap_write, i_mmap_rwsem, nothing)", item, e)
            }
          }
          evaluator.spec.caller = holds
        }),
    ]
  }
}

/// What a caller may hold on entry, as rules name it.
public enum CallerHold: String, Sendable, Hashable, CaseIterable {
  case mmapRead = "mmap_read"
  case mmapWrite = "mmap_write"
  case iMmapRwsem = "i_mmap_rwsem"
}

extension Value {
  /// A list of levels.
  static func levels(_ levels: [PageLevel]) -> Value { .list(levels.map(Value.level)) }
}
