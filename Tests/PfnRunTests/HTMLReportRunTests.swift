import Foundation
import PfnResults
import PfnRun
import PfnSpecLanguage
import PfnTestSupport
import Testing

/// The HTML report as `pfnspec run --html` writes it from real cases.
@Suite("HTML report of real runs")
struct HTMLReportRunTests {
  func pfnspec(_ arguments: [String]) throws -> CommandResult {
    try runProcess(pfnspecExecutable, arguments + ["--color", "never", "--quiet"])
  }

  /// The value of `data-total-NAME` in the page's header.
  func total(_ name: String, in page: String) -> String? {
    guard let start = page.range(of: "data-total-\(name)=\"") else { return nil }
    return String(page[start.upperBound...].prefix { $0 != "\"" })
  }

  @Test("a race mutant's page: totals as the console's, the clause text, the schedule drawn with the step")
  func raceMutant() throws {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try pfnspec([
      "run", "--walker", "mutant:stale-huge-entry", "--rule", "RC-001", "--arch", "x86_64",
      "--html", "\(directory)/r.html",
    ])
    #expect(result.status == 1, "\(result.error)")
    let page = try String(contentsOfFile: "\(directory)/r.html", encoding: .utf8)
    let closing = try #require(result.output.split(separator: "\n").last.map(String.init))
    #expect(closing == "pfnspec: \(total("passed", in: page)!) passed, \(total("failed", in: page)!) failed, "
      + "\(total("skipped", in: page)!) skipped")
    #expect(page.contains("<b>C27</b></a> The entry is re-read after its lock is taken"), "the clause's title and text")
    #expect(page.contains("class=\"sequence\""))
    #expect(page.contains("walker CPU: mutant:stale-huge-entry") && page.contains("other CPU (adversary)"))
    #expect(page.contains("class=\"step\">zap "), "the other CPU's step is drawn")
    #expect(page.contains("pfnspec replay v1."), "the replay command")
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["r.html"])
  }

  @Test("a caller's failure is drawn the same way, on a caller lane")
  func callerFailure() throws {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try pfnspec([
      "run", "--caller", "vfio-like", "--rule", "CL-001", "--arch", "x86_64", "--html", "\(directory)/r.html",
    ])
    #expect(result.status == 1, "\(result.error)")
    let page = try String(contentsOfFile: "\(directory)/r.html", encoding: .utf8)
    #expect(page.contains("caller CPU: vfio-like") && page.contains("other CPU (adversary)"))
    #expect(page.contains("caller uses the outputs") || page.contains("class=\"step\">"), "the caller's points")
  }

  @Test("the coverage the page shows is what trace computes: every clause cited, caller duties by caller rules")
  func coverageOfShippedSpecs() throws {
    var configuration = RunConfiguration()
    configuration.specPaths = [packageRoot + "/Specs"]
    configuration.contractPath = packageRoot + "/docs/contract.md"
    let coverage = try #require(try configuration.clauseCoverage(try configuration.loadSpecs()))
    #expect(coverage.uncovered.isEmpty && coverage.dutiesWithoutCallerRule.isEmpty)
    #expect(coverage.clauses.filter(\.isCallerDuty).map(\.id) == ["C10", "C11", "C12", "C13", "C15", "C16", "C28"])
    #expect(coverage.callerRules > 0 && coverage.walkerRules > coverage.callerRules)
    let c27 = try #require(coverage.clause("C27"))
    #expect(c27.citations.contains { $0.rule == "RC-001" })
  }
}
