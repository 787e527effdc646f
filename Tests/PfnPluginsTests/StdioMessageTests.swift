import Foundation
import Testing

@testable import PfnPlugins

/// The stdio protocol reader never traps on what a walker writes: values out
/// of a field's range are `nil`, which the walker turns into a protocol violation.
/// The inputs are kept in the fuzz corpus, Tests/Fuzz/stdio/corpus.
@Suite("stdio protocol reader")
struct StdioMessageTests {
  @Test("ids that do not fit an Int, numbers that are negative, fractional or huge, and booleans are not numbers")
  func outOfRange() throws {
    let message = try #require(
      StdioMessage(
        line: #"{"call":"pgd_offset","mm":"0xffffffffffffffff","file":18446744073709551615,"a":-1,"b":1.5,"c":1e300,"d":true,"e":"0x10","f":16,"g":99999999999999999999999}"#
      ))
    #expect(message.kind == .call("pgd_offset"))
    #expect(message.unsigned("mm") == UInt64.max)
    #expect(message.identifier("mm") == nil, "2^64-1 is no Int: it used to trap the runner")
    #expect(message.identifier("file") == nil)
    for key in ["a", "b", "c", "d", "g"] { #expect(message.unsigned(key) == nil, "\(key)") }
    #expect(message.unsigned("e") == 16 && message.unsigned("f") == 16 && message.identifier("f") == 16)
    #expect(message.bool("d") == true && message.bool("f") == nil)
  }

  @Test("start()'s return must fit an errno; anything else is not one")
  func returnValues() throws {
    let message = try #require(StdioMessage(line: #"{"return":1e19,"args":{"pfn":"0x1"}}"#))
    #expect(message.kind == .returned)
    #expect(message.int32("return") == nil)
    #expect(StdioMessage(line: #"{"return":-22}"#)?.int32("return") == -22)
    #expect(message.object("args")?.unsigned("pfn") == 1)
  }

  @Test("lines that are not one JSON object are not messages")
  func notMessages() {
    for line in ["", "[1,2]", "\"text\"", "{", "null", "{\"a\":1}{\"b\":2}"] {
      #expect(StdioMessage(line: line) == nil, "\(line)")
    }
    #expect(StdioMessage(line: "{}")?.kind == .unknown)
  }
}
