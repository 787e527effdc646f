import Foundation
import PfnSpecLanguage
import Testing

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
    gates: ["addr_mask": .init(name: "api", major: 6, minor: 15)],
    schedulePoints: ["read_pmd": "", "pmd_lock": "", "pte_lock": "", "spin_unlock": "", "end": ""],
    scheduleOperations: ["zap": "", "remap": "", "split": ""])
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
func check(
  _ text: String, path: String = "Specs/test.pfnspec", vocabulary: Vocabulary = testVocabulary
) -> SpecSet {
  SpecLoader.load(sources: [(path, text)], vocabulary: vocabulary)
}

/// The test vocabulary with start()/end() paired and the architectures named,
/// as the engine's is, for the lint (W312-W315).
let lintVocabulary: Vocabulary = {
  var vocabulary = testVocabulary
  vocabulary.names["arch"] = Vocabulary.Name(type: .string, contexts: .all, summary: "")
  vocabulary.names["pfn"] = Vocabulary.Name(type: .integer, contexts: .expect, needsCall: true, summary: "")
  vocabulary.pairing = Vocabulary.Pairing(
    open: "start", close: "end", status: "result",
    invalidAfterClose: ["pfn", "writable", "special", "addr_mask", "outputs"],
    invalidAfterCloseSource: "contract#C10", closeSource: "contract#C15")
  vocabulary.stringValues = ["arch": ["x86_64", "x86_64-la57", "arm64-4k-48", "riscv64-sv48"]]
  return vocabulary
}()

/// The lint vocabulary without a contract document.
let noContractVocabulary: Vocabulary = {
  var vocabulary = lintVocabulary
  vocabulary.contractAnchors = []
  return vocabulary
}()

/// A valid file's head: a suite line.
let suiteLine = "suite test \"tests\"\n"

// MARK: Snapshots

/// Where golden outputs live: `Snapshots/NAME.txt` beside this file.
func snapshotPath(_ name: String) -> String {
  URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots/\(name).txt").path
}

/// The names of all snapshot files, without `.txt`.
func snapshotNames() throws -> Set<String> {
  let folder = URL(fileURLWithPath: snapshotPath("x")).deletingLastPathComponent().path
  let entries = try FileManager.default.contentsOfDirectory(atPath: folder)
  return Set(entries.filter { $0.hasSuffix(".txt") }.map { String($0.dropLast(4)) })
}

/// Whether this run re-records snapshots (`RECORD_SNAPSHOTS=1 swift test --filter Golden`).
let recordingSnapshots = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1"

/// Compares `actual` with the snapshot `name`; on a difference records a failure
/// with a line diff, or, when re-recording, writes `actual` as the new snapshot.
func assertSnapshot(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
  let path = snapshotPath(name)
  if recordingSnapshots {
    try actual.write(toFile: path, atomically: true, encoding: .utf8)
    return
  }
  guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
    let message = "no snapshot \(name).txt; record it with RECORD_SNAPSHOTS=1 swift test --filter Golden\n\(actual)"
    Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    return
  }
  if expected != actual {
    let message = "\(name) differs from its snapshot (- expected, + actual; re-record with RECORD_SNAPSHOTS=1):\n"
      + lineDiff(expected: expected, actual: actual)
    Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
  }
}

/// A line diff in the style of argument-parser's AssertEqualStrings: the longest
/// common subsequence of lines, the others marked `-` (expected) and `+` (actual).
func lineDiff(expected: String, actual: String) -> String {
  let a = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  let b = actual.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  var lcs = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
  for i in stride(from: a.count - 1, through: 0, by: -1) {
    for j in stride(from: b.count - 1, through: 0, by: -1) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : max(lcs[i + 1][j], lcs[i][j + 1])
    }
  }
  var lines: [String] = []
  var (i, j) = (0, 0)
  while i < a.count || j < b.count {
    if i < a.count, j < b.count, a[i] == b[j] {
      lines.append("  " + a[i])
      i += 1
      j += 1
    } else if i < a.count, j == b.count || lcs[i + 1][j] >= lcs[i][j + 1] {
      lines.append("- " + a[i])
      i += 1
    } else {
      lines.append("+ " + b[j])
      j += 1
    }
  }
  return lines.joined(separator: "\n")
}
