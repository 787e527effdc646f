/// Text cleaning and number formatting shared by the reporters.
///
/// Everything a report prints comes from walkers, specs and the engine, so it
/// may hold control characters (ANSI colours, NUL) that make XML ill-formed or
/// rewrite a terminal. These helpers make such text visible and harmless.
enum ReportText {
  /// Whether XML 1.0 forbids `scalar`, or discourages it strongly enough that
  /// a report should not carry it raw (DEL and the C1 controls, which
  /// terminals interpret as escape sequences).
  static func needsVisibleReplacement(_ scalar: Unicode.Scalar, keepingLineBreaks: Bool) -> Bool {
    switch scalar.value {
    case 0x09, 0x0A, 0x0D: return !keepingLineBreaks
    // U+2028/2029 end a line for JavaScript, YAML and many viewers: escaped in every format.
    case 0x00...0x1F, 0x7F...0x9F, 0xFFFE, 0xFFFF, 0x2028, 0x2029: return true
    default: return false
    }
  }

  /// Replaces every character that XML 1.0 forbids with a visible escape such
  /// as `\u{1B}`, so the reader sees that something was there.
  ///
  /// Swift strings cannot hold lone surrogates; text from byte buffers goes
  /// through ``decodingLossily(_:)`` first, which turns those and any other
  /// invalid UTF-8 into U+FFFD.
  ///
  /// - Parameter keepingLineBreaks: keep TAB, LF and CR as they are (XML
  ///   allows them); pass `false` for one-line console output.
  static func visible(_ text: String, keepingLineBreaks: Bool = true) -> String {
    // Most report text is printable ASCII: one pass over the bytes says so.
    var contiguous = text
    let clean = contiguous.withUTF8 { utf8 in
      for byte in utf8 where !(byte >= 0x20 && byte < 0x7F) {
        if keepingLineBreaks && (byte == 0x09 || byte == 0x0A || byte == 0x0D) { continue }
        return false
      }
      return true
    }
    if clean { return text }
    let scalars = text.unicodeScalars
    guard
      scalars.contains(where: { needsVisibleReplacement($0, keepingLineBreaks: keepingLineBreaks) })
    else { return text }
    var cleaned = String.UnicodeScalarView()
    for scalar in scalars {
      if needsVisibleReplacement(scalar, keepingLineBreaks: keepingLineBreaks) {
        cleaned.append(
          contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
      } else {
        cleaned.append(scalar)
      }
    }
    return String(cleaned)
  }

  /// `text` with every `byte` (an ASCII one, so never part of a longer
  /// UTF-8 sequence) replaced by `replacement`, in one pass over the bytes.
  static func replacingASCII(_ text: String, _ byte: UInt8, with replacement: [UInt8]) -> String {
    guard text.utf8.contains(byte) else { return text }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count + 16)
    for each in text.utf8 {
      if each == byte { bytes.append(contentsOf: replacement) } else { bytes.append(each) }
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Decodes bytes as UTF-8, replacing invalid sequences with U+FFFD.
  static func decodingLossily(_ bytes: some Collection<UInt8>) -> String {
    String(decoding: bytes, as: UTF8.self)
  }

  /// Keeps the first `headBytes` and the last `tailBytes` of `text` (in
  /// UTF-8, cut at scalar boundaries) with a note saying how much was left out.
  static func truncated(_ text: String, headBytes: Int, tailBytes: Int) -> String {
    let utf8 = text.utf8
    guard utf8.count > headBytes + tailBytes else { return text }
    var headEnd = utf8.index(utf8.startIndex, offsetBy: headBytes)
    while headEnd > utf8.startIndex, UTF8.isContinuation(utf8[headEnd]) {
      utf8.formIndex(before: &headEnd)
    }
    var tailStart = utf8.index(utf8.endIndex, offsetBy: -tailBytes)
    while tailStart < utf8.endIndex, UTF8.isContinuation(utf8[tailStart]) {
      utf8.formIndex(after: &tailStart)
    }
    let omitted = utf8.distance(from: headEnd, to: tailStart)
    let scalars = text.unicodeScalars
    let head = String(scalars[..<headEnd])
    let tail = String(scalars[tailStart...])
    if tailBytes == 0 { return head + "… [\(omitted) bytes truncated by pfnspec]" }
    return head + "\n\n[… \(omitted) bytes truncated by pfnspec …]\n\n" + tail
  }

  /// Seconds as fixed-point with exactly three decimals (`0.004`, `12.000`):
  /// never an integer, which Bazel reads as milliseconds, and never exponent
  /// form, which Swift's `Double.description` produces for small values.
  static func seconds(_ value: Double) -> String {
    guard value.isFinite, value > 0 else { return "0.000" }
    // About 285 000 years; keeps the conversion to Int64 defined.
    let millis = Int64(min((value * 1000).rounded(), 9e15))
    let fraction = millis % 1000
    let padding = fraction < 10 ? "00" : fraction < 100 ? "0" : ""
    return "\(millis / 1000).\(padding)\(fraction)"
  }

  /// A UTC time as `YYYY-MM-DDThh:mm:ss` with no zone and no fraction, the
  /// only form every JUnit consumer accepts.
  static func utcTimestamp(secondsSince1970 value: Double) -> String {
    let whole = value.isFinite ? Int64(max(0, min(value, 253_402_300_799)).rounded(.down)) : 0
    let days = whole / 86_400
    let secondsOfDay = whole % 86_400
    let (year, month, day) = civilDate(daysSince1970: days)
    func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
    let yearText = String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
    return "\(yearText)-\(two(month))-\(two(day))T\(two(secondsOfDay / 3600)):"
      + "\(two(secondsOfDay / 60 % 60)):\(two(secondsOfDay % 60))"
  }

  /// Proleptic Gregorian date of a day count (Howard Hinnant's `civil_from_days`),
  /// so that no locale or time-zone state is involved.
  private static func civilDate(daysSince1970 days: Int64) -> (Int64, Int64, Int64) {
    let shifted = days + 719_468
    let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
    let dayOfEra = shifted - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    return (year, month, day)
  }
}
