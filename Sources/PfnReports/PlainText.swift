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

  /// Appends `text`'s bytes; returns false if one is not allowed (what was
  /// appended stays: the caller removes the whole line).
  @inline(__always)
  static func append(_ text: String, to bytes: inout [UInt8], allowing isAllowed: (UInt8) -> Bool) -> Bool {
    var text = text
    return text.withUTF8 { utf8 in
      for byte in utf8 where !isAllowed(byte) { return false }
      bytes.append(contentsOf: utf8)
      return true
    }
  }

  /// Appends `LT-001[level=pmd] the rule's title` (``CaseIdentity/caseName``,
  /// a space and the title when there is one) without building the string.
  @inline(__always)
  static func appendCaseTitle(
    _ identity: CaseIdentity, to bytes: inout [UInt8], allowing isAllowed: (UInt8) -> Bool
  ) -> Bool {
    guard append(identity.ruleID, to: &bytes, allowing: isAllowed) else { return false }
    if !identity.parameters.isEmpty {
      bytes.append(UInt8(ascii: "["))
      for (index, parameter) in identity.parameters.enumerated() {
        if index > 0 { bytes.append(UInt8(ascii: ",")) }
        guard append(parameter.name, to: &bytes, allowing: isAllowed) else { return false }
        bytes.append(UInt8(ascii: "="))
        guard append(parameter.value, to: &bytes, allowing: isAllowed) else { return false }
      }
      bytes.append(UInt8(ascii: "]"))
    }
    if !identity.ruleTitle.isEmpty {
      bytes.append(UInt8(ascii: " "))
      guard append(identity.ruleTitle, to: &bytes, allowing: isAllowed) else { return false }
    }
    return true
  }
}
