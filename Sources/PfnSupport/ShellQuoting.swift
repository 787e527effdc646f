/// Quotes a word for a POSIX shell when it needs it.
public func shellQuoted(_ word: String) -> String {
  let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@%+,".contains($0) }
  if safe && !word.isEmpty { return word }
  return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
}

/// A command line from its words, each quoted for a POSIX shell when it needs it.
public func shellCommand(_ words: [String]) -> String {
  words.map(shellQuoted).joined(separator: " ")
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// `path` made absolute against the current directory (unchanged when it is
/// already absolute), `./` segments dropped, so that a command naming it works
/// from any folder.
public func absolutePath(_ path: String) -> String {
  guard !path.hasPrefix("/"), !path.isEmpty else { return path }
  var buffer = [CChar](repeating: 0, count: 4096)
  guard getcwd(&buffer, buffer.count) != nil else { return path }
  let directory = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
  return (directory == "/" ? "" : directory) + "/" + parts.joined(separator: "/")
}

extension String {
  /// The text with control characters (C0 but tab, DEL, C1) and the line and
  /// paragraph separators U+2028/2029 written as `\u{1B}`, so that echoing
  /// input can neither drive a terminal nor break a line-based format.
  public var escapingControlCharacters: String {
    guard unicodeScalars.contains(where: Self.needsEscape) else { return self }
    var out = ""
    out.reserveCapacity(utf8.count)
    for scalar in unicodeScalars {
      if Self.needsEscape(scalar) {
        out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
      } else {
        out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
    let v = scalar.value
    return (v < 0x20 && v != 0x09) || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029
  }
}
