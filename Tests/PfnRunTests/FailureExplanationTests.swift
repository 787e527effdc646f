import Foundation
import PfnResults
import PfnTestSupport
import Testing

/// Failures that explain themselves: the console points at the failing
/// `expect`, `--verbose` shows the host calls, replay commands work from any
/// folder, and replay tokens are data.
@Suite("failures that explain themselves")
struct FailureExplanationTests {
  static let failing = [
    "run", "--walker", "mutant:ignore-huge-offset", "--rule", "HG-002", "--arch", "x86_64", "--color", "never",
  ]

  @Test("the console locates a failure at its failing expect, file:line:col")
  func locationAtExpect() throws {
    let result = try runProcess(pfnspecExecutable, Self.failing)
    #expect(result.status == 1)
    let failure = try #require(result.output.split(separator: "\n").first { $0.hasPrefix("FAIL") })
    let expectLine = try String(contentsOfFile: packageRoot + "/Specs/huge.pfnspec", encoding: .utf8)
      .split(separator: "\n", omittingEmptySubsequences: false)
      .firstIndex { $0.contains("expect pfn == leaf.pfn + ((addr - leaf.start)") }.map { $0 + 1 }
    let line = try #require(expectLine)
    #expect(failure.hasSuffix("/Specs/huge.pfnspec:\(line):10)") || failure.hasSuffix("(Specs/huge.pfnspec:\(line):10)"), "\(failure)")
    #expect(result.output.contains("        at Specs/huge.pfnspec:\(line):10"), "the final list too")
  }

  @Test("--verbose prints the host calls of a failure, start() and end() marked")
  func verboseTrace() throws {
    let quiet = try runProcess(pfnspecExecutable, Self.failing)
    #expect(!quiet.output.contains("host calls:"))
    let verbose = try runProcess(pfnspecExecutable, Self.failing + ["--verbose"])
    #expect(verbose.output.contains("        host calls:"))
    #expect(verbose.output.contains("── start(0x"))
    #expect(verbose.output.contains("── start() returned 0 ──"))
    #expect(verbose.output.contains("── end() ──"))
    #expect(verbose.output.contains("read pud@"))
  }

  @Test("a printed replay command reruns the case from any folder")
  func replayFromAnywhere() throws {
    let result = try runProcess(pfnspecExecutable, Self.failing)
    let replay = try #require(
      result.output.split(separator: "\n").first { $0.contains("replay: pfnspec run ") }?
        .components(separatedBy: "replay: pfnspec ").last)
    #expect(replay.hasPrefix("run /"), "the spec path is absolute: \(replay)")
    let elsewhere = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: elsewhere) }
    let rerun = try runProcess("/bin/sh", ["-c", "'\(pfnspecExecutable)' \(replay) --color never"], in: elsewhere)
    #expect(rerun.status == 1, "\(rerun.output)\(rerun.error)")
    #expect(rerun.output.contains("0 passed, 1 failed, 0 skipped"), "\(rerun.output)")
  }

  func token(_ fields: [String]) -> String {
    "v1." + Data(fields.joined(separator: "\n").utf8).base64EncodedString()
      .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
  }

  @Test("a token's spec field is data: never an option, never another file echoed")
  func tokenFieldsAreData() throws {
    for spec in ["--help", "/etc/passwd", "-h"] {
      let result = try runProcess(
        pfnspecExecutable, ["replay", token(["1", spec, "LT-001", "LT-001", "reference", "x86_64", "0", "6.15", ""])])
      #expect(result.status == 64, "\(spec): \(result.output)\(result.error)")
      #expect(result.error.contains("is not a .pfnspec file"), "\(result.error)")
      #expect(!result.output.contains("USAGE") && !result.output.contains("OVERVIEW"), "no help was printed")
      #expect(!(result.output + result.error).contains("root:"), "no line of the file is echoed")
    }
    let escaped = try runProcess(
      pfnspecExecutable, ["replay", token(["1", "a\u{1B}[2J.pfnspec", "LT-001", "LT-001", "reference", "x86_64", "0", "6.15", ""])])
    #expect(escaped.status == 64)
    #expect(!escaped.error.contains("\u{1B}") && escaped.error.contains("\\u{1B}"), "\(escaped.error)")
  }

  @Test("replay arguments keep values that start with '-' attached to their flag")
  func replayArgumentsAreData() {
    let replay = Replay(spec: "-x.pfnspec", rule: "R-1", caseName: "-c", walker: .command("-w"), arch: "x86_64", seed: 1)
    #expect(replay.arguments == ["run", "./-x.pfnspec", "--rule", "R-1", "--case=-c", "--walker-cmd=-w", "--arch", "x86_64", "--seed", "1"])
  }
}
