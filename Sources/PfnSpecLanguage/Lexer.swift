/// A token of a spec file.
struct Token: Sendable {
  enum Kind: Sendable, Equatable {
    case identifier
    case integer(UInt64)
    case version(major: Int, minor: Int)
    case string(String)
    /// A whitespace-delimited word: a rule id, or a word of a `source` clause.
    case word
    /// `<id@host>` in a `source msg` clause; the payload is without brackets.
    case messageID(String)
    /// An operator or punctuation; `text` says which.
    case symbol
    case newline
    case end
    /// Already diagnosed by the lexer; the parser skips the clause silently.
    case invalid

    /// Concrete, so that `!=` on the hot paths is not a call through `Equatable`.
    static func != (a: Kind, b: Kind) -> Bool { !(a == b) }
  }

  var kind: Kind
  /// The token as the parser should read it (for operators fixed by E008, the fixed one).
  var text: String
  var range: SourceRange

  func isSymbol(_ symbol: String) -> Bool { kind == .symbol && text == symbol }
  func isKeyword(_ keyword: String) -> Bool { kind == .identifier && text == keyword }

  /// How a message names this token.
  var quoted: String {
    switch kind {
    case .newline: "end of line"
    case .end: "end of file"
    case .string: "a string"
    case .messageID: "a message id"
    default: "'\(text)'"
    }
  }
}

/// Turns a spec file into tokens, one at a time, as the parser asks for them.
///
/// The lexer reads the file's UTF-8 bytes in place: a token's text is made
/// from its bytes only when the token is handed out, positions advance by
/// byte, and no token is kept once the parser has moved past it. So checking
/// a file costs time and memory in proportion to its size.
///
/// The language is mostly context-free, with two exceptions handled here so the
/// parser sees clean tokens: after a leading `rule` the id is one word
/// (`LT-001`), and the rest of a `source` line is words (`contract#C14`,
/// `msg <id>`, `commit abc123`) in which `#` glued to a word is not a comment.
struct Lexer {
  /// The file as UTF-8 (valid: decoded, with U+FFFD for invalid bytes).
  private let bytes: [UInt8]
  private let path: String
  private let sourceHadInvalidUTF8: Bool
  /// The byte offset of the next character (always `position.offset`).
  private var index = 0
  private var started = false
  private var position = SourcePosition(line: 1, column: 1, offset: 0)
  private var budget: DiagnosticBudget
  var diagnostics: [Diagnostic] { budget.all }

  private enum LineMode { case normal, ruleID, source }
  private var lineMode = LineMode.normal
  private var tokensOnLine = 0
  /// Inside the braces of `given schedule { ... }`, which may span lines:
  /// `:` and `;` are punctuation there, and `#` glued to a point name counts
  /// its occurrence (`pmd_lock#2`) instead of starting a comment.
  private var inSchedule = false
  private var lastTokenText = ""

  init(source: String, path: String, sourceHadInvalidUTF8: Bool = false) {
    self.init(utf8: Array(source.utf8), path: path, sourceHadInvalidUTF8: sourceHadInvalidUTF8)
  }

  /// A lexer over bytes that are valid UTF-8.
  init(utf8: [UInt8], path: String, sourceHadInvalidUTF8: Bool = false) {
    self.bytes = utf8
    self.path = path
    self.sourceHadInvalidUTF8 = sourceHadInvalidUTF8
    self.budget = DiagnosticBudget(path: path)
  }

  /// The next token; at the end of the file `.end`, and `.end` again after it.
  mutating func nextToken() -> Token {
    if !started {
      started = true
      if peek() == "\u{FEFF}" { advance() }
    }
    return next()
  }

  /// All tokens, ending with `.end` (for tests; the parser takes them one at a time).
  mutating func tokenize() -> [Token] {
    var tokens: [Token] = []
    while true {
      let token = nextToken()
      tokens.append(token)
      if token.kind == .end { return tokens }
    }
  }

  // MARK: - Characters

  /// The UTF-8 length of the sequence a lead byte starts.
  @inline(__always)
  private static func width(_ lead: UInt8) -> Int {
    lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
  }

  /// The scalar whose UTF-8 starts at byte `offset` (the bytes are valid UTF-8).
  @inline(__always)
  private func scalar(at offset: Int) -> Unicode.Scalar {
    let lead = bytes[offset]
    if lead < 0x80 { return Unicode.Scalar(lead) }
    let width = min(Lexer.width(lead), bytes.count - offset)
    var value = UInt32(lead) & (width == 2 ? 0x1F : width == 3 ? 0x0F : 0x07)
    for next in bytes[(offset + 1)..<(offset + width)] { value = value << 6 | UInt32(next & 0x3F) }
    return Unicode.Scalar(value) ?? "\u{FFFD}"
  }

  @inline(__always)
  private func peek() -> Unicode.Scalar? {
    index < bytes.count ? scalar(at: index) : nil
  }

  /// The scalar `ahead` scalars after the next one.
  private func peek(_ ahead: Int) -> Unicode.Scalar? {
    var at = index
    for _ in 0..<ahead {
      guard at < bytes.count else { return nil }
      at += Lexer.width(bytes[at])
    }
    return at < bytes.count ? scalar(at: at) : nil
  }

  /// Moves past one scalar: columns count scalars, offsets count bytes.
  @inline(__always)
  private mutating func advance() {
    let lead = bytes[index]
    let width = lead < 0x80 ? 1 : min(Lexer.width(lead), bytes.count - index)
    index += width
    position.offset += width
    if lead == 0x0A {
      position.line += 1
      position.column = 1
    } else {
      position.column += 1
    }
  }

  private static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
    c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c)
  }

  private static func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
    isIdentifierStart(c) || isDigit(c)
  }

  private static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }

  private static func isHexDigit(_ c: Unicode.Scalar) -> Bool {
    isDigit(c) || ("a"..."f").contains(c) || ("A"..."F").contains(c)
  }

  private static func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\r" }

  private func text(from start: SourcePosition, startIndex: Int) -> String {
    text(bytes: startIndex..<index)
  }

  /// The text of a span of the file, made from its bytes.
  private func text(bytes range: Range<Int>) -> String {
    bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
  }

  /// One-character strings for ASCII, made once.
  private static let asciiText: [String] = (0..<128).map { String(Unicode.Scalar(UInt8($0))) }

  private static func text(of c: Unicode.Scalar) -> String {
    c.value < 128 ? asciiText[Int(c.value)] : String(c)
  }

  private mutating func report(
    _ message: DiagnosticMessage, _ range: SourceRange, hints: [String] = [], fixIt: FixIt? = nil
  ) {
    budget.append(Diagnostic(message, file: path, range: range, hints: hints, fixIt: fixIt))
  }

  private func range(from start: SourcePosition) -> SourceRange {
    SourceRange(start: start, end: position)
  }

  // MARK: - Tokens

  private mutating func next() -> Token {
    // In `contract#C14` the `#` is glued to the word before it: not a comment.
    if lineMode == .source, tokensOnLine > 0, peek() == "#" {
      let start = position
      advance()
      tokensOnLine += 1
      return Token(kind: .symbol, text: "#", range: range(from: start))
    }
    if inSchedule, peek() == "#", index > 0, Lexer.isIdentifierPart(Unicode.Scalar(bytes[index - 1])) {
      let start = position
      advance()
      tokensOnLine += 1
      return Token(kind: .symbol, text: "#", range: range(from: start))
    }
    skipBlanksAndComments()
    let start = position
    let startIndex = index
    guard let c = peek() else { return Token(kind: .end, text: "", range: range(from: start)) }

    if c == "\n" {
      advance()
      lineMode = .normal
      tokensOnLine = 0
      return Token(kind: .newline, text: "\n", range: range(from: start))
    }
    if c == "\\" {
      // A line continuation: backslash, optional blanks or a comment, newline.
      var ahead = 1
      while let next = peek(ahead), Lexer.isBlank(next) { ahead += 1 }
      if peek(ahead) == "\n" || peek(ahead) == "#" || peek(ahead) == nil {
        advance()
        skipBlanksAndComments()
        if peek() == "\n" { advance() }
        return next()
      }
    }

    tokensOnLine += 1
    let token: Token
    switch lineMode {
    case .ruleID:
      lineMode = .normal
      if c != "\"" {
        token = lexWord(start: start, startIndex: startIndex)
      } else {
        token = lexNormal(c, start: start, startIndex: startIndex)
      }
    case .source:
      token = lexSourceToken(c, start: start, startIndex: startIndex)
    case .normal:
      token = lexNormal(c, start: start, startIndex: startIndex)
      if tokensOnLine == 1 && token.kind == .identifier {
        if token.text == HeaderKeyword.rule.rawValue { lineMode = .ruleID }
        if token.text == ClauseKeyword.source.rawValue { lineMode = .source }
        // A schedule left open ends where the next rule or suite starts.
        if HeaderKeyword(rawValue: token.text) != nil { inSchedule = false }
      }
      if tokensOnLine == 2 && token.kind == .identifier && token.text == PinnedSchedule.subject
        && lastTokenText == ClauseKeyword.given.rawValue
      {
        inSchedule = true
      }
      if inSchedule && token.isSymbol("}") { inSchedule = false }
    }
    lastTokenText = token.text
    return token
  }

  private mutating func skipBlanksAndComments() {
    while let c = peek() {
      if Lexer.isBlank(c) {
        advance()
      } else if c == "#" {
        while index < bytes.count, bytes[index] != 0x0A { advance() }
      } else if c.value > 0x7F, c != "\u{FFFD}", c.properties.isWhitespace, c != "\n" {
        // Invisible look-alikes of a space: say so once, then treat as a space.
        let start = position
        advance()
        var repeats = 1
        while peek() == c {
          advance()
          repeats += 1
        }
        let spaces = String(repeating: " ", count: min(repeats, 64))
        report(
          .unexpectedCharacter(Lexer.describe(c)), range(from: start),
          hints: [repeats > 1 ? "replace these \(repeats) with plain spaces" : "replace it with a plain space"],
          fixIt: FixIt(range: range(from: start), replacement: repeats > 64 ? " " : spaces))
      } else {
        return
      }
    }
  }

  private mutating func lexNormal(_ c: Unicode.Scalar, start: SourcePosition, startIndex: Int)
    -> Token
  {
    if Lexer.isIdentifierStart(c) {
      while let c = peek(), Lexer.isIdentifierPart(c) { advance() }
      return Token(
        kind: .identifier, text: text(from: start, startIndex: startIndex), range: range(from: start))
    }
    if Lexer.isDigit(c) { return lexNumber(start: start, startIndex: startIndex) }
    if c == "\"" { return lexString(start: start, startIndex: startIndex) }
    return lexSymbol(c, start: start, startIndex: startIndex)
  }

  /// The operator of two ASCII characters these bytes spell, if any.
  private static func twoCharacterSymbol(_ first: UInt8, _ second: UInt8) -> String? {
    switch (first, second) {
    case (UInt8(ascii: "="), UInt8(ascii: "=")): "=="
    case (UInt8(ascii: "!"), UInt8(ascii: "=")): "!="
    case (UInt8(ascii: "<"), UInt8(ascii: "=")): "<="
    case (UInt8(ascii: ">"), UInt8(ascii: "=")): ">="
    case (UInt8(ascii: "<"), UInt8(ascii: "<")): "<<"
    case (UInt8(ascii: ">"), UInt8(ascii: ">")): ">>"
    default: nil
    }
  }

  /// An operator from another language these bytes spell, and what it means here.
  private static func foreignOperator(_ first: UInt8, _ second: UInt8) -> (written: String, meant: String)? {
    switch (first, second) {
    case (UInt8(ascii: "&"), UInt8(ascii: "&")): ("&&", "and")
    case (UInt8(ascii: "|"), UInt8(ascii: "|")): ("||", "or")
    default: nil
    }
  }

  private mutating func lexSymbol(_ c: Unicode.Scalar, start: SourcePosition, startIndex: Int)
    -> Token
  {
    if c.isASCII, index + 1 < bytes.count {
      let first = UInt8(c.value), second = bytes[index + 1]
      if let two = Lexer.twoCharacterSymbol(first, second) {
        advance()
        advance()
        return Token(kind: .symbol, text: two, range: range(from: start))
      }
      // Operators from other languages: report, then read them as what they mean.
      if let foreign = Lexer.foreignOperator(first, second) {
        advance()
        advance()
        return foreignOperator(foreign.written, meant: foreign.meant, start: start)
      }
    }
    if c == "=" {
      advance()
      return foreignOperator("=", meant: "==", start: start)
    }
    if c == "!" {
      advance()
      return foreignOperator("!", meant: "not", start: start)
    }
    if inSchedule, c == ":" || c == ";" {
      advance()
      return Token(kind: .symbol, text: Lexer.text(of: c), range: range(from: start))
    }
    if c.isASCII, Lexer.isSingleSymbol[Int(c.value)] {
      advance()
      return Token(kind: .symbol, text: Lexer.text(of: c), range: range(from: start))
    }
    return unexpectedCharacter(c, start: start)
  }

  /// Which ASCII characters are operators or punctuation on their own.
  private static let isSingleSymbol: [Bool] = (0..<128).map { "<>|&+-*/%~(){},.".utf8.contains(UInt8($0)) }

  private mutating func foreignOperator(_ written: String, meant: String, start: SourcePosition)
    -> Token
  {
    let range = range(from: start)
    report(.foreignOperator(written, meant: meant), range, fixIt: FixIt(range: range, replacement: meant))
    let isWord = meant.unicodeScalars.allSatisfy { ("a"..."z").contains($0) }
    return Token(kind: isWord ? .identifier : .symbol, text: meant, range: range)
  }

  private mutating func unexpectedCharacter(_ c: Unicode.Scalar, start: SourcePosition) -> Token {
    advance()
    // A run of the same character is one token and one diagnostic: 16 MB of
    // no-break spaces cost one report, not sixteen million.
    var repeats = 1
    while peek() == c && c != "\n" {
      advance()
      repeats += 1
    }
    let range = range(from: start)
    if c == "\u{FFFD}" && sourceHadInvalidUTF8 {
      // Already reported once per file by the loader.
      return Token(kind: .invalid, text: Lexer.text(of: c), range: range)
    }
    guard budget.hasRoom else {
      // Past the budget a diagnostic is only counted: describing the character costs more than lexing it.
      budget.countOmitted()
      return Token(kind: .invalid, text: Lexer.text(of: c), range: range)
    }
    var hints: [String] = []
    switch c {
    case "\u{201C}", "\u{201D}", "\u{201E}", "\u{00AB}", "\u{00BB}":
      hints.append("strings use plain double quotes '\"'")
    case "\u{2018}", "\u{2019}", "'":
      hints.append("strings use double quotes '\"'")
    case "\u{2013}", "\u{2014}", "\u{2212}":
      hints.append("use a plain hyphen-minus '-'")
    default:
      break
    }
    if repeats > 1 { hints.append("\(repeats) of them in a row") }
    report(.unexpectedCharacter(Lexer.describe(c)), range, hints: hints)
    return Token(kind: .invalid, text: Lexer.text(of: c), range: range)
  }

  /// Names for characters whose Unicode name is missing or unhelpful.
  private static let characterNames: [UInt32: String] = [
    0x09: "character tabulation", 0xA0: "no-break space", 0xAD: "soft hyphen",
    0x200B: "zero width space", 0xFEFF: "zero width no-break space",
    0xFFFD: "replacement character",
  ]

  /// `'@'` for printable ASCII, `U+00A0 no-break space` otherwise.
  static func describe(_ c: Unicode.Scalar) -> String {
    if c.value >= 0x21 && c.value < 0x7F { return "'\(c)'" }
    let hex = String(c.value, radix: 16, uppercase: true)
    let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    if let name = characterNames[c.value] ?? c.properties.name?.lowercased() {
      return "\(code) \(name)"
    }
    return code
  }

  // MARK: Numbers

  private mutating func lexNumber(start: SourcePosition, startIndex: Int) -> Token {
    let isHex = peek() == "0" && (peek(1) == "x" || peek(1) == "X")
    var value: UInt64 = 0
    var overflow = false
    var digits = 0
    if isHex {
      advance()
      advance()
    }
    while let c = peek(), (isHex ? Lexer.isHexDigit(c) : Lexer.isDigit(c)) || c == "_" {
      advance()
      if c == "_" { continue }
      digits += 1
      // `c` is a hexadecimal (or decimal) digit, checked by the loop condition.
      let digit = UInt64(Lexer.isDigit(c) ? c.value - 0x30 : (c.value | 0x20) - 0x61 + 10)
      let (shifted, o1) = value.multipliedReportingOverflow(by: isHex ? 16 : 10)
      let (sum, o2) = shifted.addingReportingOverflow(digit)
      overflow = overflow || o1 || o2
      value = sum
    }

    // `6.15`: a kernel version.
    if !isHex, peek() == ".", let after = peek(1), Lexer.isDigit(after) {
      let majorText = text(from: start, startIndex: startIndex)
      advance()
      let minorIndex = index
      while let c = peek(), Lexer.isDigit(c) { advance() }
      let minorText = text(bytes: minorIndex..<index)
      if let c = peek(), Lexer.isIdentifierPart(c) || c == "." {
        return invalidNumber(start: start, startIndex: startIndex)
      }
      guard let major = Int(majorText.filter { $0 != "_" }), let minor = Int(minorText),
        major < 1000, minor < 1000
      else {
        report(
          .versionOutOfRange(text(from: start, startIndex: startIndex)), range(from: start))
        return Token(kind: .invalid, text: "", range: range(from: start))
      }
      return Token(
        kind: .version(major: major, minor: minor), text: text(from: start, startIndex: startIndex),
        range: range(from: start))
    }

    if digits == 0 { return invalidNumber(start: start, startIndex: startIndex) }
    if let c = peek(), let multiplier = Lexer.suffixes[c], !(peek(1).map(Lexer.isIdentifierPart) ?? false)
    {
      advance()
      let (product, o) = value.multipliedReportingOverflow(by: multiplier)
      overflow = overflow || o
      value = product
    }
    if let c = peek(), Lexer.isIdentifierPart(c) {
      return invalidNumber(start: start, startIndex: startIndex)
    }
    let text = text(from: start, startIndex: startIndex)
    if overflow {
      report(.integerOverflow(text), range(from: start))
      return Token(kind: .invalid, text: text, range: range(from: start))
    }
    return Token(kind: .integer(value), text: text, range: range(from: start))
  }

  private static let suffixes: [Unicode.Scalar: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]

  private mutating func invalidNumber(start: SourcePosition, startIndex: Int) -> Token {
    while let c = peek(), Lexer.isIdentifierPart(c) || c == "." { advance() }
    let text = text(from: start, startIndex: startIndex)
    report(
      .invalidNumber(text), range(from: start),
      hints: [
        "numbers are decimal or 0x hexadecimal, with '_' separators and an optional suffix K, M, G or T"
      ])
    return Token(kind: .invalid, text: text, range: range(from: start))
  }

  // MARK: Strings

  private mutating func lexString(start: SourcePosition, startIndex: Int) -> Token {
    advance()
    var value = ""
    var valid = true
    // Plain characters are copied a run at a time, from their bytes.
    var runStart = index
    while let c = peek(), c != "\n" {
      if c == "\"" {
        if valid { value += text(bytes: runStart..<index) }
        advance()
        let kind: Token.Kind = valid ? .string(value) : .invalid
        return Token(kind: kind, text: text(from: start, startIndex: startIndex), range: range(from: start))
      }
      if c == "\\" {
        if valid { value += text(bytes: runStart..<index) }
        defer { runStart = index }
        let escapeStart = position
        advance()
        switch peek() {
        case "\"": value.append("\""); advance()
        case "\\": value.append("\\"); advance()
        case "n": value.append("\n"); advance()
        case let other?:
          if other != "\n" { advance() }
          valid = false
          report(
            .unknownEscape(other == "\n" ? "" : String(other)),
            range(from: escapeStart), hints: [#"strings know only the escapes \", \\ and \n"#])
        case nil:
          break
        }
        continue
      }
      if c == "\u{FFFD}" && sourceHadInvalidUTF8 { valid = false }
      advance()
    }
    let range = range(from: start)
    report(
      .unterminatedString, range,
      hints: ["add a closing '\"' before the end of the line"],
      fixIt: FixIt(range: SourceRange(start: range.end, end: range.end), replacement: "\""))
    return Token(kind: .invalid, text: text(from: start, startIndex: startIndex), range: range)
  }

  // MARK: Words (rule ids, source clauses)

  private mutating func lexWord(start: SourcePosition, startIndex: Int) -> Token {
    while let c = peek(), !Lexer.isBlank(c), c != "\n", c != "#", c != "<", c != "\"" {
      if c.value > 0x7F {
        if index > startIndex {
          break
        }
        return unexpectedCharacter(c, start: start)
      }
      advance()
    }
    if index == startIndex, let c = peek() { return unexpectedCharacter(c, start: start) }
    return Token(kind: .word, text: text(from: start, startIndex: startIndex), range: range(from: start))
  }

  private mutating func lexSourceToken(_ c: Unicode.Scalar, start: SourcePosition, startIndex: Int)
    -> Token
  {
    if c == "<" {
      advance()
      let idStart = index
      while let c = peek(), c != ">", c != "\n", !Lexer.isBlank(c) { advance() }
      guard peek() == ">" else {
        report(
          .unterminatedMessageID, range(from: start),
          hints: ["write the Message-ID as 'msg <local@domain>'"],
          fixIt: FixIt(range: SourceRange(start: position, end: position), replacement: ">"))
        return Token(kind: .invalid, text: "", range: range(from: start))
      }
      let id = text(bytes: idStart..<index)
      advance()
      if let bad = id.unicodeScalars.first(where: { $0.value > 0x7F || $0.value < 0x21 }) {
        report(
          .unexpectedCharacter(Lexer.describe(bad), inMessageID: true),
          range(from: start))
        return Token(kind: .invalid, text: id, range: range(from: start))
      }
      return Token(
        kind: .messageID(id), text: text(from: start, startIndex: startIndex), range: range(from: start))
    }
    if c == "\"" { return lexString(start: start, startIndex: startIndex) }
    return lexWord(start: start, startIndex: startIndex)
  }
}
