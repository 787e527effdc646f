import PfnResults

/// Text appended to a byte buffer as it is, for the lines a report writes
/// once per case: a reporter takes this path when every byte is one its
/// format carries unchanged, and its general (String) path otherwise.
enum PlainText {
  /// Appends a literal.
  @inline(__always)
  static func append(_ literal: StaticString, to bytes: inout [UInt8]) {
    literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
  }

  /// Appends `text`'s bytes, copied in one piece from its storage.
  @inline(__always)
  static func append(_ text: String, to bytes: inout [UInt8]) {
    if text.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) != nil { return }
    bytes.append(contentsOf: text.utf8)
  }

  /// Appends `text`'s bytes; returns false if one is not allowed (what was
  /// appended stays: the caller removes the whole line).
  @inline(__always)
  static func append(_ text: String, to bytes: inout [UInt8], allowing policy: some BytePolicy) -> Bool {
    var text = text
    return text.withUTF8 { utf8 in
      guard policy.allowsAll(utf8) else { return false }
      bytes.append(contentsOf: utf8)
      return true
    }
  }

  /// Appends `LT-001[level=pmd] the rule's title` (``CaseIdentity/caseName``,
  /// a space and the title when there is one) without building the string.
  @inline(__always)
  static func appendCaseTitle(
    _ identity: CaseIdentity, to bytes: inout [UInt8], allowing policy: some BytePolicy
  ) -> Bool {
    guard append(identity.ruleID, to: &bytes, allowing: policy) else { return false }
    if !identity.parameters.isEmpty {
      bytes.append(UInt8(ascii: "["))
      for (index, parameter) in identity.parameters.enumerated() {
        if index > 0 { bytes.append(UInt8(ascii: ",")) }
        guard append(parameter.name, to: &bytes, allowing: policy) else { return false }
        bytes.append(UInt8(ascii: "="))
        guard append(parameter.value, to: &bytes, allowing: policy) else { return false }
      }
      bytes.append(UInt8(ascii: "]"))
    }
    if !identity.ruleTitle.isEmpty {
      bytes.append(UInt8(ascii: " "))
      guard append(identity.ruleTitle, to: &bytes, allowing: policy) else { return false }
    }
    return true
  }
}

/// Which bytes a format carries unchanged.
protocol BytePolicy {
  /// Whether every byte of `utf8` is one.
  func allowsAll(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool
}

/// Every byte.
struct AnyBytes: BytePolicy {
  @inline(__always)
  func allowsAll(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool { true }
}

/// Printable ASCII (0x20 to 0x7E) but up to four bytes, checked a word at a time.
struct PrintableExcept: BytePolicy {
  let excluded: (UInt8, UInt8, UInt8, UInt8)

  /// Unused places are DEL, which is not printable anyway.
  init(_ first: UInt8 = 0x7F, _ second: UInt8 = 0x7F, _ third: UInt8 = 0x7F, _ fourth: UInt8 = 0x7F) {
    excluded = (first, second, third, fourth)
  }

  /// Printable ASCII, nothing excluded.
  static let printable = PrintableExcept()

  @inline(__always)
  func allowsAll(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
    // Whole words first; the bytes after the last whole word are checked as
    // one word too: the last eight bytes (overlapping ones already checked),
    // or, in text shorter than a word, the text padded with its own first
    // byte. Names are mostly short pieces (`pmd`, `addr`, `LT-001`).
    let count = utf8.count
    guard count > 0, let base = utf8.baseAddress else { return true }
    let raw = UnsafeRawPointer(base)
    let whole = ByteWords.plainPrefix(utf8, from: 0, excluding: excluded.0, excluded.1, excluded.2, excluded.3)
    if whole == count { return true }
    // A word that failed holds a byte that is not allowed.
    if whole + 8 <= count { return false }
    var last: UInt64
    if count >= 8 {
      last = raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    } else {
      last = ByteWords.repeated(base[0])
      withUnsafeMutableBytes(of: &last) { word in
        for index in 0..<count { word[index] = base[index] }
      }
    }
    return ByteWords.isPlain(last, excluding: excluded.0, excluded.1, excluded.2, excluded.3)
  }
}

/// Eight bytes at a time: whether a word of text holds a byte that a plain
/// run cannot, so that scans over long clean text (failure bodies, YAML
/// scalars) test a word where they tested a byte.
enum ByteWords {
  private static let ones: UInt64 = 0x0101_0101_0101_0101
  private static let highBits: UInt64 = 0x8080_8080_8080_8080

  /// Whether some byte of `word` is `byte`.
  @inline(__always)
  static func contains(_ word: UInt64, _ byte: UInt8) -> Bool {
    let matched = word ^ (ones &* UInt64(byte))
    return (matched &- ones) & ~matched & highBits != 0
  }

  /// Whether every byte of `word` is printable ASCII (0x20 to 0x7E).
  @inline(__always)
  static func isPrintableASCII(_ word: UInt64) -> Bool {
    guard word & highBits == 0 else { return false }
    // A byte below 0x20, or 0x7F (which becomes 0x80 or more after adding 1).
    let below = (word &- ones &* 0x20) & ~word & highBits
    let delete = (word &+ ones) & highBits
    return below | delete == 0
  }

  /// `byte` in every byte of a word.
  @inline(__always)
  static func repeated(_ byte: UInt8) -> UInt64 { ones &* UInt64(byte) }

  /// Whether every byte of `word` is printable ASCII other than `excluded1`…`excluded4`.
  @inline(__always)
  static func isPlain(
    _ word: UInt64, excluding excluded1: UInt8, _ excluded2: UInt8, _ excluded3: UInt8, _ excluded4: UInt8
  ) -> Bool {
    isPrintableASCII(word) && !contains(word, excluded1) && !contains(word, excluded2)
      && !contains(word, excluded3) && !contains(word, excluded4)
  }

  /// How many bytes from `start` on are printable ASCII other than
  /// `excluded1`…`excluded4`, counted a word at a time (a word with any other
  /// byte ends the count; the caller goes on byte by byte from there).
  @inline(__always)
  static func plainPrefix(
    _ bytes: UnsafeBufferPointer<UInt8>, from start: Int,
    excluding excluded1: UInt8, _ excluded2: UInt8, _ excluded3: UInt8, _ excluded4: UInt8
  ) -> Int {
    guard let base = bytes.baseAddress else { return 0 }
    let raw = UnsafeRawPointer(base)
    var offset = start
    while offset + 8 <= bytes.count {
      let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
      guard isPlain(word, excluding: excluded1, excluded2, excluded3, excluded4) else { break }
      offset += 8
    }
    return offset - start
  }
}

/// A line assembled with plain stores into memory its reporter owns, then
/// appended to the report's buffer in one piece: a passing case's line is
/// a dozen short pieces, and each `Array.append` checks uniqueness and
/// capacity again. Every append returns false when the piece does not fit
/// (or, for text, has a byte its policy does not allow); the caller then
/// drops the line and takes its general path.
struct LineAssembly {
  private let base: UnsafeMutablePointer<UInt8>
  private let capacity: Int
  /// How many bytes the line has so far.
  private(set) var count = 0

  /// A line in `storage`, which must outlive it.
  init(_ storage: UnsafeMutableBufferPointer<UInt8>) {
    base = storage.baseAddress!
    capacity = storage.count
  }

  /// The line so far.
  var bytes: UnsafeMutableBufferPointer<UInt8> { UnsafeMutableBufferPointer(start: base, count: count) }

  @inline(__always)
  mutating func append(_ byte: UInt8) -> Bool {
    guard count < capacity else { return false }
    base[count] = byte
    count += 1
    return true
  }

  @inline(__always)
  mutating func append(_ piece: UnsafeBufferPointer<UInt8>) -> Bool {
    guard piece.count <= capacity - count else { return false }
    if let source = piece.baseAddress {
      UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: piece.count)
    }
    count += piece.count
    return true
  }

  @inline(__always)
  mutating func append(_ literal: StaticString) -> Bool {
    append(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
  }

  /// Appends `value` in decimal (``XMLMarkup/appendDecimal(_:to:)``'s digits).
  @inline(__always)
  mutating func appendDecimal(_ value: Int) -> Bool {
    guard value >= 0 else {
      var text = String(value)
      return text.withUTF8 { append($0) }
    }
    var digits = 1
    var rest = UInt(value) / 10
    while rest > 0 {
      digits += 1
      rest /= 10
    }
    guard digits <= capacity - count else { return false }
    rest = UInt(value)
    var index = count + digits
    repeat {
      index -= 1
      base[index] = UInt8(ascii: "0") + UInt8(rest % 10)
      rest /= 10
    } while rest > 0
    count += digits
    return true
  }

  /// ``PlainText/appendCaseTitle(_:to:allowing:)`` into the line. The
  /// pieces are copied first and checked once, as one run of bytes, after:
  /// the separators (`[`, `,`, `=`, `]`, space) must be bytes `policy` allows.
  @inline(__always)
  mutating func appendCaseTitle(_ identity: CaseIdentity, allowing policy: some BytePolicy) -> Bool {
    let start = count
    guard append(identity.ruleID) else { return false }
    if !identity.parameters.isEmpty {
      guard append(UInt8(ascii: "[")) else { return false }
      for (index, parameter) in identity.parameters.enumerated() {
        if index > 0 { guard append(UInt8(ascii: ",")) else { return false } }
        guard append(parameter.name), append(UInt8(ascii: "=")), append(parameter.value) else { return false }
      }
      guard append(UInt8(ascii: "]")) else { return false }
    }
    if !identity.ruleTitle.isEmpty {
      guard append(UInt8(ascii: " ")), append(identity.ruleTitle) else { return false }
    }
    return policy.allowsAll(UnsafeBufferPointer(start: base + start, count: count - start))
  }

  /// Replaces every `byte` of the line from `start` on with `replacement`,
  /// looking at a word at a time for lines without it.
  @inline(__always)
  mutating func replaceAll(_ byte: UInt8, with replacement: UInt8, from start: Int) {
    var index = start
    let raw = UnsafeRawPointer(base)
    while index + 8 <= count {
      if ByteWords.contains(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self), byte) { break }
      index += 8
    }
    while index < count {
      if base[index] == byte { base[index] = replacement }
      index += 1
    }
  }

  /// Appends `text`'s bytes if they fit.
  @inline(__always)
  mutating func append(_ text: String) -> Bool {
    if let appended = text.utf8.withContiguousStorageIfAvailable({ append($0) }) { return appended }
    var text = text
    return text.withUTF8 { append($0) }
  }
}
