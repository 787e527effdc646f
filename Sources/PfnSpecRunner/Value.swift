import PfnCallers
import PfnModel
import PfnWalkers

/// A value while a rule is evaluated.
public indirect enum Value: Sendable, Hashable, CustomStringConvertible {
  /// A 64-bit bit pattern: addresses and masks read unsigned, results signed.
  case integer(UInt64)
  case boolean(Bool)
  case version(KernelRelease)
  case string(String)
  case level(PageLevel)
  case flags(VMAFlags)
  case locks(Set<LockID>)
  case callerLocks(Set<CallerHold>)
  case entryState(EntryState)
  /// `none`: the empty set of anything, and the empty entry state.
  case none
  /// Named fields, in a fixed order (`vma`, `leaf`, `outputs`, `expected`).
  case record([Field])
  case list([Value])
  /// A value the oracle does not have, with the reason (no leaf maps the address).
  case missing(String)

  public struct Field: Sendable, Hashable {
    public var name: String
    public var value: Value
    public init(_ name: String, _ value: Value) {
      self.name = name
      self.value = value
    }
  }

  public static func signed(_ value: Int64) -> Value { .integer(UInt64(bitPattern: value)) }

  /// Reads well in failure messages: small negatives as errnos, large values in hex.
  public var description: String {
    switch self {
    case .integer(let bits):
      let signed = Int64(bitPattern: bits)
      if signed < 0 && signed > -4096 {
        let name = Self.errnoNames[Int32(-signed)].map { " (-\($0))" } ?? ""
        return "\(signed)\(name)"
      }
      return bits < 4096 ? "\(bits)" : "0x" + String(bits, radix: 16)
    case .boolean(let b): return String(b)
    case .version(let v): return v.description
    case .string(let s): return s
    case .level(let l): return l.description
    case .flags(let f): return f.description
    case .locks(let set):
      return set.isEmpty ? PfnVocabulary.noneName : "{" + set.sorted().map(\.description).joined(separator: ", ") + "}"
    case .callerLocks(let set):
      return set.isEmpty ? PfnVocabulary.nothingName : set.map(\.rawValue).sorted().joined(separator: ", ")
    case .entryState(let s): return s.rawValue
    case .none: return PfnVocabulary.noneName
    case .record(let fields):
      return "{" + fields.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "}"
    case .list(let items): return "{" + items.map(\.description).joined(separator: ", ") + "}"
    case .missing(let why): return "<\(why)>"
    }
  }

  /// The errnos a rule may name, and one more a walker or caller may return.
  static let errnoNames: [Int32: String] = Dictionary(
    uniqueKeysWithValues: PfnVocabulary.errnos.map { ($0.value, $0.name) } + [(Errno.EAGAIN, "EAGAIN")])

  /// Whether `none` stands for this value: an empty set or the empty entry state.
  var isEmptyLike: Bool {
    switch self {
    case .none: true
    case .locks(let s): s.isEmpty
    case .flags(let f): f.isEmpty
    case .callerLocks(let s): s.isEmpty
    case .entryState(let s): s == .none
    case .list(let l): l.isEmpty
    default: false
    }
  }
}

/// Equality as rules mean it: `none` equals any empty set, a single lock
/// equals the set that holds only it, and records compare the fields they share.
func valuesEqual(_ a: Value, _ b: Value) -> Bool {
  switch (a, b) {
  case (.missing, _), (_, .missing): return false
  case (.none, _): return b.isEmptyLike
  case (_, .none): return a.isEmptyLike
  case (.record(let fa), .record(let fb)):
    // Records have a handful of fields: a scan beats hashing them into a
    // dictionary, and is compared every schedule. A name's first field counts.
    var shared = false
    for field in fa {
      guard let other = fb.first(where: { $0.name == field.name }) else { continue }
      guard valuesEqual(field.value, other.value) else { return false }
      shared = true
    }
    return shared
  case (.list(let la), .list(let lb)):
    return la.count == lb.count && zip(la, lb).allSatisfy { valuesEqual($0, $1) }
  default: return a == b
  }
}

/// The fields of two records that differ, for failure messages.
func recordDifferences(_ a: Value, _ b: Value) -> [String] {
  guard case .record(let fa) = a, case .record(let fb) = b else { return [] }
  let right = Dictionary(fb.map { ($0.name, $0.value) }, uniquingKeysWith: { x, _ in x })
  return fa.compactMap { field in
    guard let other = right[field.name], !valuesEqual(field.value, other) else { return nil }
    return "\(field.name) \(field.value) != \(other)"
  }
}
