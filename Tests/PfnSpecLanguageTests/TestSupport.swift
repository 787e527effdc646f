import PfnSpecLanguage

/// A small vocabulary shaped like the engine's, so the language is tested on its own.
let testVocabulary: Vocabulary = {
  typealias T = Vocabulary.ValueType
  let records: [String: T] = ["start": .integer, "end": .integer]
  let outputs: [String: T] = ["pfn": .integer, "writable": .boolean, "special": .boolean, "addr_mask": .integer]
  func name(
    _ type: T, _ contexts: Vocabulary.Context, members: [String: T] = [:], needsCall: Bool = false
  ) -> Vocabulary.Name {
    Vocabulary.Name(type: type, contexts: contexts, members: members, needsCall: needsCall, summary: "")
  }
  return Vocabulary(
    subjects: [
      "vma": .init(
        attributes: ["flags": .vmaFlags, "file": .boolean, "start": .integer, "size": .integer],
        required: ["flags"], summary: "the VMA under test"),
      "leaf": .init(
        attributes: ["at": .level, "pfn": .integer, "writable": .boolean, "special": .boolean],
        required: ["at"], repeatable: true, summary: "a leaf entry"),
      "entry": .init(
        attributes: ["at": .level, "state": .entryState], required: ["at", "state"], repeatable: true,
        summary: "a non-leaf entry"),
      "caller": .init(attributes: ["holds": .callerLock], required: ["holds"], summary: "the caller"),
    ],
    calls: [
      "start": .init(parameters: [.integer], result: .integer, contexts: .call, summary: "start()"),
      "end": .init(parameters: [], result: .any, contexts: .call, summary: "end()"),
    ],
    functions: [
      "lock_of": .init(parameters: [.level], result: .locks, contexts: .world, summary: "lock of a level"),
      "random": .init(
        parameters: [.integer, .integer, .integer], result: .list(.integer), contexts: .domain,
        summary: "random addresses"),
    ],
    names: [
      "result": name(.integer, .expect, needsCall: true),
      "held": name(.locks, .expect, needsCall: true),
      "lockdep_warned": name(.boolean, .expect, needsCall: true),
      "outputs": name(.record("outputs"), .expect, members: outputs, needsCall: true),
      "expected": name(.record("outputs"), [.call, .expect], members: outputs, needsCall: true),
      "none": name(.locks, .world),
      "pte": name(.level, .all),
      "pmd": name(.level, .all),
      "pud": name(.level, .all),
      "IO": name(.vmaFlags, .all),
      "PFNMAP": name(.vmaFlags, .all),
      "leaf_levels": name(.list(.level), .all),
      "swap": name(.entryState, .given),
      "mmap_read": name(.callerLock, .given),
      "api": name(.version, .requires),
      "pmd_pfnmap": name(.boolean, .requires),
      "leaf": name(.record("leaf"), .world, members: records),
      "vma": name(.record("vma"), .world, members: records),
    ],
    contractAnchors: ["C1", "C14", "C15"],
    gates: ["addr_mask": .init(name: "api", major: 6, minor: 15)])
}()

/// Source text with position markers `1️⃣`…`9️⃣` removed, and where they were.
struct Marked {
  var text: String
  var markers: [Int: SourcePosition] = [:]

  init(_ marked: String) {
    var text = ""
    var position = SourcePosition(line: 1, column: 1, offset: 0)
    let markerNames = (1...9).map { "\($0)\u{FE0F}\u{20E3}" }
    for character in marked {
      if let index = markerNames.firstIndex(of: String(character)) {
        markers[index + 1] = position
        continue
      }
      text.append(character)
      for scalar in character.unicodeScalars {
        position.offset += UTF8.width(scalar)
        if scalar == "\n" {
          position.line += 1
          position.column = 1
        } else {
          position.column += 1
        }
      }
    }
    self.text = text
  }

  /// The range from marker `a` to marker `b`.
  func range(_ a: Int, _ b: Int) -> SourceRange { SourceRange(start: markers[a]!, end: markers[b]!) }
}

/// Parses and checks one in-memory file.
func check(_ text: String, path: String = "Specs/test.pfnspec") -> SpecSet {
  SpecLoader.load(sources: [(path, text)], vocabulary: testVocabulary)
}

/// A valid file's head: a suite line.
let suiteLine = "suite test \"tests\"\n"
