import PfnModel

/// The names rules give the scheduling points: the host-call names, with `_`
/// for a space (`read_pmd`), `pte_lock` for the moment `pte_offset_map_lock()`
/// takes the PTE table's lock, and `end` for the moment the caller uses the
/// outputs, just before `end()`.
public enum SchedulePoints {
  /// The levels a walk can name a point of (the root table is not reached by a call).
  static let walkedLevels: [PageLevel] = [.p4d, .pud, .pmd, .pte]

  /// Every point name, with what it is.
  public static let all: [String: String] = {
    var table: [String: String] = [:]
    for level in walkedLevels {
      table["\(level)_offset"] = "\(level)_offset(): the walker finds the \(level) entry below its parent"
    }
    for level in PageLevel.allCases {
      table["read_\(level)"] = "the walker reads a \(level) entry"
      table["write_\(level)"] = "the walker writes a \(level) entry (a walker must not)"
    }
    table["pud_lock"] = "pud_lock(): the walker asks for the PUD lock"
    table["pmd_lock"] = "pmd_lock(): the walker asks for the PMD table's lock"
    table["pte_offset_map_lock"] = "pte_offset_map_lock(): the walker maps the PTE table, reading the pmd"
    table["pte_lock"] = "pte_offset_map_lock() takes the PTE table's lock"
    table["spin_unlock"] = "spin_unlock(): the walker drops a page-table lock"
    table["pte_unmap"] = "pte_unmap(): the walker unmaps the PTE table"
    table[end] = "between start() and end(): the caller uses the outputs"
    return table
  }()

  /// The point where the caller uses the outputs, just before `end()`.
  public static let end = "end"

  /// A host call's point name; `nil` for a point rules cannot name (a caller's own calls).
  public static func name(of call: HostCall) -> String? {
    switch call.name {
    case "caller uses the outputs": return end
    case "pte_offset_map_lock (lock)": return "pte_lock"
    default:
      let name = String(call.name.map { $0 == " " ? "_" : $0 })
      return all[name] == nil ? nil : name
    }
  }

  /// The level a point belongs to, when it has one (`read_pud`: pud, `pud_lock`: pud).
  static func level(of point: String) -> PageLevel? {
    for level in PageLevel.allCases {
      if point == "read_\(level)" || point == "write_\(level)" || point == "\(level)_offset" || point == "\(level)_lock" {
        return level
      }
    }
    if point == "pte_offset_map_lock" || point == "pte_lock" || point == "pte_unmap" { return .pte }
    return nil
  }

  /// Why a point cannot happen on an architecture (its level is folded), or `nil` when it can.
  static func missing(_ point: String, on arch: any Architecture) -> String? {
    guard let level = level(of: point), arch.isFolded(level) else { return nil }
    return "\(arch.name) folds the \(level) level, so it has no '\(point)' point"
  }
}
