import PfnModel

/// The architecture-geometry names of the rule language (`page_shift`,
/// `user_limit`, `walk_levels`, ...), declared in their own block of
/// ``PfnVocabulary`` and resolved here.
extension Evaluator {
  func architectureConstant(_ name: String) -> Value? {
    let arch = target.arch
    func levels(_ levels: [PageLevel]) -> Value { .list(levels.map(Value.level)) }
    // A folded top level above pud (x86_64's run-time p4d) holds no entry a
    // world can set apart from the pgd's; the levels below it can.
    let walkLevels = arch.entryLevels.filter { !arch.isFolded($0) || $0 >= .pud }
    /// Walk levels where the architecture can encode an entry of `state`.
    func levels(holding state: EntryState) -> [PageLevel] {
      walkLevels.filter { arch.makeNonLeaf(state, $0, pfn: 0x1234) != nil }
    }
    switch name {
    case "page_shift": return .integer(UInt64(arch.pageShift))
    case "user_limit": return .integer(arch.userAddressLimit)
    case "levels_count": return .integer(UInt64(arch.levelCount))
    case "walk_levels": return levels(walkLevels)
    case "folded_levels": return levels(PageLevel.allCases.filter { arch.isFolded($0) })
    case "swap_levels": return levels(levels(holding: .swap))
    case "protnone_levels": return levels(levels(holding: .protnone))
    case "bad_levels":
      // The walk never asks pud_bad() (it reads through a bad PUD), so a bad
      // entry is only judged at pgd/p4d and by pte_offset_map_lock() at pmd.
      return levels(levels(holding: .bad).filter { $0 != .pud })
    default: return nil
    }
  }
}
