import PfnModel

/// The level sets behind the architecture-geometry names of the rule language
/// (`walk_levels`, `swap_levels`, `bad_levels`, ...), declared in
/// ``PfnVocabulary``.
extension Target {
  /// Leaf levels above pte.
  var huge: [PageLevel] { capabilities.leafLevels.filter { $0 != .pte } }

  /// One level per hardware table, top first. A folded top level above pud
  /// (x86_64's run-time p4d) holds no entry a world can set apart from the
  /// pgd's; the levels below it can.
  var walkLevels: [PageLevel] { arch.entryLevels.filter { !arch.isFolded($0) || $0 >= .pud } }

  /// Walk levels where the architecture can encode an entry of `state`.
  func walkLevels(holding state: EntryState) -> [PageLevel] {
    walkLevels.filter { arch.makeNonLeaf(state, $0, pfn: 0x1234) != nil }
  }

  /// The walk never asks pud_bad() (it reads through a bad PUD), so a bad
  /// entry is only judged at pgd/p4d and by pte_offset_map_lock() at pmd.
  var badLevels: [PageLevel] { walkLevels(holding: .bad).filter { $0 != .pud } }
}
