/// The names a rule may use, and what each means to the checker.
///
/// The language knows no model words: `vma`, `leaf`, `start`, `lock_of` and the
/// rest come from the vocabulary that the engine which executes rules supplies.
/// That keeps the parser small and lets the checker say "did you mean" for every
/// name the engine understands.
public struct Vocabulary: Sendable {
  /// `given` subjects (`vma`, `leaf`, `entry`, `caller`) with their attributes.
  public var subjects: [String: Subject]
  /// `call` targets (`start`, `end`) with their arity.
  public var calls: [String: Signature]
  /// Functions usable in expressions (`lock_of`, `random`).
  public var functions: [String: Signature]
  /// Plain identifiers: constants, named sets, capabilities, state and oracle values.
  public var names: [String: Name]
  /// Anchors that `source contract#ANCHOR` may name (from docs/contract.md).
  public var contractAnchors: Set<String>
  /// Names and record members that exist only from some level on (`addr_mask`
  /// from API 6.15), by name; an `expect` that reads one in a rule whose
  /// `requires` does not ask for that level gets a warning (W307).
  public var gates: [String: Gate]
  /// The scheduling points a `given schedule` step may name (`pmd_lock`,
  /// `read_pmd`, `end`), each with what it is.
  public var schedulePoints: [String: String]
  /// The other CPU's operations a `given schedule` step may run (`zap`, `remap`).
  public var scheduleOperations: [String: String]
  /// The call that opens a window and the call that closes it, for the lint
  /// (W312-W314); `nil` when the engine has no such pair.
  public var pairing: Pairing?
  /// String-valued names whose every value is known (`arch`: the
  /// architectures), so that a comparison with any other string is flagged (W315).
  public var stringValues: [String: Set<String>]

  public init(
    subjects: [String: Subject], calls: [String: Signature], functions: [String: Signature],
    names: [String: Name], contractAnchors: Set<String>, gates: [String: Gate] = [:],
    schedulePoints: [String: String] = [:], scheduleOperations: [String: String] = [:],
    pairing: Pairing? = nil, stringValues: [String: Set<String>] = [:]
  ) {
    self.schedulePoints = schedulePoints
    self.scheduleOperations = scheduleOperations
    self.subjects = subjects
    self.calls = calls
    self.functions = functions
    self.names = names
    self.contractAnchors = contractAnchors
    self.gates = gates
    self.pairing = pairing
    self.stringValues = stringValues
  }

  /// Two calls that open and close a window, such as `start()` and `end()`:
  /// the opening call may fail, a successful one must be closed, and some
  /// names mean nothing once it is.
  public struct Pairing: Sendable, Hashable {
    /// The call that opens the window (`start`).
    public var open: String
    /// The call that closes it (`end`).
    public var close: String
    /// The integer name that says how the opening call went; 0 is success (`result`).
    public var status: String
    /// The names that are invalid once the window is closed (the outputs).
    public var invalidAfterClose: Set<String>
    /// Where the promise that they are invalid is written (`contract#C10`), for hints.
    public var invalidAfterCloseSource: String
    /// Where the promise that a successful open is closed is written, for hints.
    public var closeSource: String

    public init(
      open: String, close: String, status: String, invalidAfterClose: Set<String>,
      invalidAfterCloseSource: String, closeSource: String
    ) {
      self.open = open
      self.close = close
      self.status = status
      self.invalidAfterClose = invalidAfterClose
      self.invalidAfterCloseSource = invalidAfterCloseSource
      self.closeSource = closeSource
    }
  }

  /// The language's own spellings of the booleans; the checker knows them even
  /// when a vocabulary does not declare them.
  public static let booleanLiterals: [String: Bool] = ["true": true, "false": false]

  /// A version a name needs: `api >= 6.15`.
  public struct Gate: Sendable, Hashable {
    /// The name a `requires` compares (`api`).
    public var name: String
    /// The lowest version at which the gated name exists.
    public var version: Version

    public init(name: String, version: Version) {
      self.name = name
      self.version = version
    }

    public init(name: String, major: Int, minor: Int) {
      self.init(name: name, version: Version(major, minor))
    }

    /// `api >= 6.15`
    public var requirement: String { "\(name) \(BinaryOperator.greaterEqual.rawValue) \(version)" }
  }

  /// Where in a rule an expression stands; a name says where it may be used.
  public struct Context: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// `requires EXPR`: evaluated against the architecture and the walker's claims.
    public static let requires = Context(rawValue: 1 << 0)
    /// `for x in EXPR`
    public static let domain = Context(rawValue: 1 << 1)
    /// `given ... ATTRIBUTE EXPR`
    public static let given = Context(rawValue: 1 << 2)
    /// `call start(EXPR)`
    public static let call = Context(rawValue: 1 << 3)
    /// `expect EXPR`, after a call.
    public static let expect = Context(rawValue: 1 << 4)

    public static let world: Context = [.domain, .given, .call, .expect]
    public static let all: Context = [.requires, .domain, .given, .call, .expect]
  }

  /// A value's type, as far as the checker follows it. `.any` turns checking off.
  public indirect enum ValueType: Sendable, Hashable, CustomStringConvertible {
    case integer, boolean, version, string
    /// A page-table level: `pgd`, `p4d`, `pud`, `pmd`, `pte`.
    case level
    /// A set of VMA flags: `IO|PFNMAP`.
    case vmaFlags
    /// A set of locks (`none`, `lock_of(pmd)`, the walker's `held`).
    case locks
    /// What the caller holds on entry: `mmap_read`, `i_mmap_rwsem`, `nothing`.
    case callerLock
    /// The state of an entry that is not a leaf: `none`, `swap`, `protnone`, ...
    case entryState
    /// A record with named fields (`vma`, `leaf`, `expected`, `outputs`).
    case record(String)
    case list(ValueType)
    case any

    public var description: String {
      switch self {
      case .integer: "integer"
      case .boolean: "boolean"
      case .version: "kernel version"
      case .string: "string"
      case .level: "page-table level"
      case .vmaFlags: "VMA flags"
      case .locks: "lock set"
      case .callerLock: "caller lock"
      case .entryState: "entry state"
      case .record(let name): name
      case .list(let element): "list of \(element)"
      case .any: "any value"
      }
    }
  }

  /// A `given` subject.
  public struct Subject: Sendable {
    /// Attribute name to the type of its value.
    public var attributes: [String: ValueType]
    /// Attributes that must be present.
    public var required: Set<String>
    /// Whether a rule may give this subject more than once (several leaves).
    public var repeatable: Bool
    public var summary: String

    public init(
      attributes: [String: ValueType], required: Set<String> = [], repeatable: Bool = false,
      summary: String
    ) {
      self.attributes = attributes
      self.required = required
      self.repeatable = repeatable
      self.summary = summary
    }
  }

  /// The arity and types of a call or function.
  public struct Signature: Sendable {
    public var parameters: [ValueType]
    public var result: ValueType
    public var contexts: Context
    public var summary: String

    public init(parameters: [ValueType], result: ValueType, contexts: Context, summary: String) {
      self.parameters = parameters
      self.result = result
      self.contexts = contexts
      self.summary = summary
    }
  }

  /// An identifier the engine understands.
  public struct Name: Sendable {
    public var type: ValueType
    public var contexts: Context
    /// For records: the members (`vma.start`) and their types.
    public var members: [String: ValueType]
    /// Only meaningful after a `call start(...)` in the same rule.
    public var needsCall: Bool
    public var summary: String

    public init(
      type: ValueType, contexts: Context, members: [String: ValueType] = [:],
      needsCall: Bool = false, summary: String
    ) {
      self.type = type
      self.contexts = contexts
      self.members = members
      self.needsCall = needsCall
      self.summary = summary
    }
  }
}
