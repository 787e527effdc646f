/// Did-you-mean suggestions by edit distance.
public enum Suggestions {
  /// The candidate nearest to `name`, if it is near enough to be a likely typo.
  public static func closest<S: Sequence>(to name: String, among candidates: S) -> String?
  where S.Element == String {
    let target = Array(name.lowercased().unicodeScalars)
    let limit = max(1, min(3, (target.count + 1) / 3))
    var best: (distance: Int, name: String)?
    for candidate in candidates.sorted() where candidate != name {
      let scalars = Array(candidate.lowercased().unicodeScalars)
      // The distance is at least the difference in length: a hostile 16 MB
      // name costs one comparison of counts per candidate, not a table.
      guard abs(scalars.count - target.count) <= limit else { continue }
      let distance = editDistance(target, scalars)
      if distance <= limit, distance < (best?.distance ?? .max) {
        best = (distance, candidate)
      }
    }
    return best?.name
  }

  /// The candidate nearest to `name` however far it is (ties: the first in
  /// order), for a "did you mean" where any pointer helps more than none;
  /// `nil` only without candidates.
  public static func nearest<S: Sequence>(to name: String, among candidates: S) -> String?
  where S.Element == String {
    // Past a few hundred characters no candidate is near; the prefix keeps the table small.
    let target = Array(name.lowercased().unicodeScalars.prefix(Self.longestComparedName))
    var best: (distance: Int, name: String)?
    for candidate in candidates.sorted() where candidate != name {
      let distance = editDistance(target, Array(candidate.lowercased().unicodeScalars))
      if distance < (best?.distance ?? .max) { best = (distance, candidate) }
    }
    return best?.name
  }

  /// How much of a name ``nearest(to:among:)`` compares.
  static let longestComparedName = 256

  /// Optimal string alignment distance: insertions, deletions, substitutions
  /// and swaps of neighbours each cost one.
  static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var row = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      row[0] = i
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          row[j] = min(row[j], previous2[j - 2] + 1)
        }
      }
      (previous2, previous, row) = (previous, row, previous2)
    }
    return previous[b.count]
  }

  /// `'a', 'b', 'c'`, in natural order (`C2` before `C10`), cut after `limit`
  /// names with a pointer to where the full list is.
  static func list<S: Sequence>(
    _ names: S, limit: Int = 12, fullList: String = "see 'pfnspec list vocabulary'"
  ) -> String where S.Element == String {
    let sorted = names.sorted { naturalKey($0) < naturalKey($1) }
    let shown = sorted.prefix(limit).map { "'\($0)'" }.joined(separator: ", ")
    if sorted.count <= limit { return shown }
    return shown + " and \(sorted.count - limit) more (\(fullList))"
  }

  /// The name with every run of digits padded to a fixed width, so that numbers sort by value.
  private static func naturalKey(_ name: String) -> String {
    var key = ""
    var digits = ""
    for character in name + " " {
      if character.isASCII && character.isNumber {
        digits.append(character)
        continue
      }
      if !digits.isEmpty {
        key += String(repeating: "0", count: max(0, 12 - digits.count)) + digits
        digits = ""
      }
      key.append(character)
    }
    return key
  }
}

/// Decoding of file bytes that may not be valid UTF-8.
enum SourceDecoding {
  /// The text (invalid bytes replaced by U+FFFD) and, if there were any, one E001 diagnostic.
  static func decode(_ bytes: [UInt8], path: String) -> (text: String, diagnostic: Diagnostic?) {
    let text = String(decoding: bytes, as: UTF8.self)
    // Valid input decodes to the same bytes: one comparison instead of a walk of every character.
    if text.utf8.count == bytes.count, text.utf8.elementsEqual(bytes) { return (text, nil) }
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    var position = SourcePosition(line: 1, column: 1, offset: 0)
    var invalidCount = 0
    var firstInvalid: SourcePosition?
    loop: while true {
      switch decoder.decode(&iterator) {
      case .scalarValue(let scalar):
        position.advance(past: scalar)
      case .error:
        invalidCount += 1
        if firstInvalid == nil { firstInvalid = position }
        // Offsets follow the decoded text, where U+FFFD takes three bytes.
        position.offset += 3
        position.column += 1
      case .emptyInput:
        break loop
      }
    }
    guard let start = firstInvalid else { return (text, nil) }
    var end = start
    end.offset += 3
    end.column += 1
    let diagnostic = Diagnostic(
      .invalidUTF8(sequences: invalidCount), file: path, range: SourceRange(start: start, end: end),
      hints: ["save the file as UTF-8; invalid bytes are read as U+FFFD"])
    return (text, diagnostic)
  }
}
