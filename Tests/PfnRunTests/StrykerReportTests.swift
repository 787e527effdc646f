import Foundation
import PfnTestSupport
import Testing

/// Honest mutation analysis: kills by expectation only, tautologies flagged,
/// and `--format json` a valid Stryker mutation-testing report.
@Suite("honest mutation analysis", .serialized)
struct StrykerReportTests {
  static let tautology = """
    suite taut "a rule that cannot fail"
    rule TT-001 "a tautology"
      source contract#C21
      given leaf at pte pfn 0x200
      call start(vma.start)
      expect result == result or true
      call end()

    """

  /// A spec folder with the huge-leaf rules and the tautology.
  func specs() throws -> String {
    let directory = makeTemporaryDirectory()
    try FileManager.default.copyItem(atPath: packageRoot + "/Specs/huge.pfnspec", toPath: directory + "/huge.pfnspec")
    try Self.tautology.write(toFile: directory + "/taut.pfnspec", atomically: true, encoding: .utf8)
    return directory
  }

  func mutants(_ directory: String, _ extra: [String]) throws -> CommandResult {
    try runProcess(
      pfnspecExecutable,
      ["mutants", directory, "--contract", packageRoot + "/docs/contract.md", "--color", "never"] + extra)
  }

  @Test("a tautology kills nothing (W311), is flagged constant, and faults do not count as kills")
  func tautologyAndFaults() throws {
    let directory = try specs()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try mutants(directory, [])
    #expect(result.error.contains("TT-001"), "W311 names the tautology: \(result.error)")
    #expect(result.error.contains("W311"))
    #expect(result.output.contains("expect result == result or true"), "\(result.output)")
    #expect(result.output.contains("killed by expectation in:"))
    #expect(result.output.contains("fails only by fault in:"))
    #expect(result.output.contains("mutation score: "))
    // The null-file mutant crashes every rule whose VMA has no file: those are faults, not kills.
    let block = result.output.components(separatedBy: "mutant:deref-null-file [mutant]:").dropFirst().first ?? ""
    #expect(!block.prefix(400).contains("killed by expectation in: TT-001"), "\(block.prefix(400))")
  }

  @Test("--format json validates against the Stryker schema kept under Tests")
  func strykerJSON() throws {
    let directory = try specs()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try mutants(directory, ["--format", "json"])
    let report = directory + "/report.json"
    try result.output.write(toFile: report, atomically: true, encoding: .utf8)
    let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
    let files = try #require(object?["files"] as? [String: Any])
    let walkers = try #require((files["mutants/walkers"] as? [String: Any])?["mutants"] as? [[String: Any]])
    let statuses = Set(walkers.compactMap { $0["status"] as? String })
    #expect(statuses.isSubset(of: ["Killed", "Survived", "RuntimeError"]))
    let offset = try #require(walkers.first { $0["id"] as? String == "mutant:ignore-huge-offset" })
    #expect(offset["status"] as? String == "Killed")
    #expect((offset["killedBy"] as? [String])?.contains("HG-002") == true)
    #expect(!walkers.contains { ($0["killedBy"] as? [String])?.contains("TT-001") == true }, "a tautology kills nothing")
    let schema = packageRoot + "/Tests/PfnSpecRunnerTests/Schemas/mutation-testing-report-schema.json"
    let validate = try runProcess(
      "/usr/bin/env",
      ["python3", "-c", "import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1]))); print('valid')", schema, report])
    #expect(validate.status == 0 && validate.output.contains("valid"), "\(validate.output)\(validate.error)")
  }
}
