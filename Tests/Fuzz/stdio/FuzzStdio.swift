import Foundation

/// libFuzzer target: the stdio protocol reader (`StdioMessage`, the reading
/// half of `StdioWalker`) on arbitrary bytes, one message per line, as a
/// walker process could write them.
///
/// Every field is read as every type the protocol has, the way the runner
/// reads a hello, a host call and a return, so a value that would trap a
/// conversion is found here rather than in a run.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStdio(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
    guard let message = StdioMessage(line: String(line)) else { continue }
    read(message)
    for nested in ["hello", "args", "arch", "vma"] {
      if let inner = message.object(nested) { read(inner) }
    }
  }
  return 0
}

/// Reads every field as every protocol type, and the message's kind.
private func read(_ message: StdioMessage) {
  _ = message.kind
  for key in message.fields.keys {
    _ = message.string(key)
    _ = message.bool(key)
    _ = message.unsigned(key)
    _ = message.identifier(key)
    _ = message.int32(key)
    _ = message.isNull(key)
    if let value = message.fields[key] { _ = StdioMessage.int32(value) }
  }
  // An answer is written back for every call: encoding what was read must not trap either.
  _ = StdioMessage.encode(["ok": message.fields["return"] ?? NSNull()])
}
