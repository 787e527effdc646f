import Foundation

/// Reading the stdio protocol's messages (docs/protocol.md): one JSON object
/// per line, its fields read as the protocol's types.
///
/// Everything a walker process writes passes through here before the runner
/// acts on it, so nothing here may trap on any input: a value that is not what
/// a field needs is `nil`, and the caller turns that into a protocol violation.
/// This file needs only Foundation, so the fuzz target `Tests/Fuzz/stdio`
/// compiles it on its own.
struct StdioMessage {
  /// The fields of the object.
  var fields: [String: Any]

  /// What a message from the walker is.
  enum Kind: Equatable {
    /// `{"call": NAME, ...}`: a host call.
    case call(String)
    /// `{"abandoned": ...}`: the walker gave up after a fault.
    case abandoned
    /// `{"return": VALUE, "args": {...}}`: start() or end() returned.
    case returned
    /// `{"error": TEXT}`: the walker reports an error of its own.
    case error(String)
    /// None of these.
    case unknown
  }

  /// Parses one line; `nil` when it is not a JSON object.
  init?(line: String) {
    guard let data = line.data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) as? [String: Any]
    else { return nil }
    fields = object
  }

  init(fields: [String: Any]) { self.fields = fields }

  var kind: Kind {
    if let call = fields["call"] as? String { return .call(call) }
    if fields["abandoned"] != nil { return .abandoned }
    if fields.keys.contains("return") { return .returned }
    if let error = fields["error"] as? String { return .error(error) }
    return .unknown
  }

  /// A string field.
  func string(_ key: String) -> String? { fields[key] as? String }

  /// A boolean field (JSON `true`/`false` only).
  func bool(_ key: String) -> Bool? {
    guard let number = fields[key] as? NSNumber, isJSONBoolean(number) else { return nil }
    return number.boolValue
  }

  /// A 64-bit field: `"0x1f"`, `"31"` or a JSON integer in range.
  func unsigned(_ key: String) -> UInt64? { Self.unsigned(fields[key]) }

  /// A handle or id field (`mm`, `file`, `mapping`): a 64-bit value that fits an `Int`.
  func identifier(_ key: String) -> Int? { unsigned(key).flatMap { Int(exactly: $0) } }

  /// A nested object field.
  func object(_ key: String) -> StdioMessage? { (fields[key] as? [String: Any]).map(StdioMessage.init(fields:)) }

  /// Whether the field is there and JSON `null`.
  func isNull(_ key: String) -> Bool { fields[key] is NSNull }

  /// Whether the field is there at all.
  func has(_ key: String) -> Bool { fields[key] != nil }

  /// An `errno`-sized integer field, as start() returns it.
  func int32(_ key: String) -> Int32? {
    guard let value = fields[key] else { return nil }
    return Self.int32(value)
  }

  /// A 64-bit value from `"0x1f"`, `"31"` or a JSON number that is a whole
  /// number in range (a negative, fractional or huge number is `nil`).
  static func unsigned(_ value: Any?) -> UInt64? {
    if let text = value as? String {
      return text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
    }
    guard let number = value as? NSNumber, !isJSONBoolean(number) else { return nil }
    // Through the decimal text: NSNumber's own conversions trap or wrap on some values.
    let text = number.stringValue
    if let exact = UInt64(text) { return exact }
    if let double = Double(text), double >= 0, double < 0x1p64, double.rounded() == double { return UInt64(double) }
    return nil
  }

  /// A value that fits `Int32`, or `nil`.
  static func int32(_ value: Any) -> Int32? {
    guard let number = value as? NSNumber, !isJSONBoolean(number) else { return nil }
    return Int32(number.stringValue)
  }

  /// One line of JSON for an object (keys sorted); `{}` if it cannot be written.
  static func encode(_ object: [String: Any]) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }
}

/// Whether a number came from JSON `true` or `false`: Foundation reads both
/// as `NSNumber`, and a boolean is not a number in the protocol.
private func isJSONBoolean(_ number: NSNumber) -> Bool {
  // `true`/`false` decode to the shared boolean instances.
  number === jsonTrue || number === jsonFalse
}

private let jsonTrue = NSNumber(value: true)
private let jsonFalse = NSNumber(value: false)
