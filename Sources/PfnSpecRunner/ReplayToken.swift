import PfnModel

/// A schedule's replay token: everything needed to rerun exactly one case.
public struct ReplayToken: Sendable, Codable, Hashable {
  public var version = 1
  public var spec: String
  public var rule: String
  public var caseName: String
  public var walker: String
  public var arch: String
  public var seed: UInt64
  public var kernel: String
  public var schedule: [String]
  /// The caller of a caller rule's case (a tenth field; tokens of walker cases have nine).
  public var caller: String?

  public init(
    spec: String, rule: String, caseName: String, walker: String, arch: String, seed: UInt64, kernel: String,
    schedule: Schedule, caller: String? = nil
  ) {
    self.caller = caller
    self.spec = spec
    self.rule = rule
    self.caseName = caseName
    self.walker = walker
    self.arch = arch
    self.seed = seed
    self.kernel = kernel
    self.schedule = schedule.steps.map { "\($0.point):\($0.op)" }
  }

  /// The schedule the token carries.
  public func decodedSchedule() throws -> Schedule {
    try Schedule(
      schedule.map { text in
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let point = Int(parts[0]), let op = AdversaryOp(String(parts[1])) else {
          throw ReplayTokenError("bad schedule step '\(text)'")
        }
        return Schedule.Step(point: point, op: op)
      })
  }

  /// `v1.` followed by the fields, base64url-encoded.
  public var encoded: String {
    let fields =
      [String(version), spec, rule, caseName, walker, arch, String(seed), kernel, schedule.joined(separator: ",")]
      + (caller.map { [$0] } ?? [])
    let text = fields.map { $0.replacingNewlines() }.joined(separator: "\n")
    return "v1." + base64URL(Array(text.utf8))
  }

  /// The token version this pfnspec makes and replays.
  public static let currentVersion = 1

  public init(decoding token: String) throws {
    // A token of another version names it: say so, rather than call it damaged.
    if let dot = token.firstIndex(of: "."), token.hasPrefix("v"),
      let version = Int(token[token.index(after: token.startIndex)..<dot]), version != Self.currentVersion
    {
      throw ReplayTokenError(Self.otherVersion(version))
    }
    guard token.hasPrefix("v1."), let bytes = decodeBase64URL(String(token.dropFirst(3))) else {
      throw ReplayTokenError("not a pfnspec replay token (expected 'v1.' and base64url)")
    }
    let fields = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
      .map(String.init)
    if let version = fields.first.flatMap({ Int($0) }), version != Self.currentVersion {
      throw ReplayTokenError(Self.otherVersion(version))
    }
    guard fields.count == 9 || fields.count == 10, fields[0] == "1", let seed = UInt64(fields[6]) else {
      throw ReplayTokenError("the replay token is damaged")
    }
    spec = fields[1]
    rule = fields[2]
    caseName = fields[3]
    walker = fields[4]
    arch = fields[5]
    self.seed = seed
    kernel = fields[7]
    schedule = fields[8].isEmpty ? [] : fields[8].split(separator: ",").map(String.init)
    caller = fields.count == 10 ? fields[9] : nil
    _ = try decodedSchedule()
  }
}

extension ReplayToken {
  static func otherVersion(_ version: Int) -> String {
    "this is a version \(version) replay token; this pfnspec replays version \(currentVersion) tokens: "
      + "replay it with the pfnspec that made it, or run the case again for a new token"
  }
}

public struct ReplayTokenError: Error, CustomStringConvertible {
  public var description: String
  init(_ description: String) { self.description = description }
}

extension String {
  fileprivate func replacingNewlines() -> String {
    String(map { $0 == "\n" ? " " : $0 })
  }
}

private let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

func base64URL(_ bytes: [UInt8]) -> String {
  var out: [UInt8] = []
  var index = 0
  while index < bytes.count {
    let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
    let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset)) }
    for i in 0..<(chunk.count + 1) { out.append(alphabet[Int((value >> (18 - 6 * UInt32(i))) & 63)]) }
    index += 3
  }
  return String(decoding: out, as: UTF8.self)
}

func decodeBase64URL(_ text: String) -> [UInt8]? {
  var lookup = [UInt8: UInt32]()
  for (i, c) in alphabet.enumerated() { lookup[c] = UInt32(i) }
  let chars = Array(text.utf8)
  guard chars.count % 4 != 1 else { return nil }
  var out: [UInt8] = []
  var index = 0
  while index < chars.count {
    let chunk = chars[index..<min(index + 4, chars.count)]
    var value: UInt32 = 0
    for (i, c) in chunk.enumerated() {
      guard let v = lookup[c] else { return nil }
      value |= v << (18 - 6 * UInt32(i))
    }
    for i in 0..<(chunk.count - 1) { out.append(UInt8((value >> (16 - 8 * UInt32(i))) & 0xff)) }
    index += 4
  }
  return out
}
