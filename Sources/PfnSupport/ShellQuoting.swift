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
