import PfnResults
import Testing

@testable import PfnReports

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@Suite("JUnit dialects")
struct JUnitDialectTests {
  @Test(
    "ant: valid against windyroad and junit-10, no root attributes, package, id, properties, suite output",
    .enabled(if: sharedSchemasAvailable, "needs ../shared/reference/junit"))
  func ant() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    _ = try junitFiles(mixedRun, options: JUnitOptions(dialect: .ant), in: directory)
    let report = readBytes("\(directory)/report.xml")
    #expect(schemaErrors(report, schema: windyroadSchema!) == [])
    #expect(schemaErrors(report) == [])
    let root = try #require(parseXML(report).root)
    #expect(root.name == "testsuites" && root.attributes.isEmpty)
    for (index, suite) in root.elements("testsuite").enumerated() {
      #expect(suite["id"] == String(index) && suite["package"] == "pfnspec")
      #expect(suite.children.first?.name == "properties")
      #expect(suite.children.suffix(2).map(\.name) == ["system-out", "system-err"])
      for testcase in suite.elements("testcase") {
        for result in testcase.children where result.name != "skipped" {
          #expect(result["type"] != nil)
        }
      }
    }
  }

  @Test(
    "surefire: one TEST-<suite>.xml per suite, each valid against both Surefire schemas and junit-10",
    .enabled(if: sharedSchemasAvailable, "needs ../shared/reference/junit"))
  func surefire() throws {
    let directory = makeTemporaryDirectory()
    defer { removeTree(directory) }
    let output = "\(directory)/surefire"
    // A file from an earlier pfnspec run with another suite must not survive;
    // another tool's file in the same directory must.
    _ = mkdir(output, 0o777)
    writeText(
      "<?xml version=\"1.0\"?>\n<testsuite name=\"gone\" tests=\"0\"><properties>"
        + "<property name=\"pfnspec.suite\" value=\"gone\"/></properties></testsuite>\n",
      to: "\(output)/TEST-gone.xml")
    let foreign = "<?xml version=\"1.0\"?>\n<testsuite name=\"com.example.FooTest\" tests=\"0\"/>\n"
    writeText(foreign, to: "\(output)/TEST-com.example.FooTest.xml")
    let reporter = try junitFiles(
      mixedRun, options: JUnitOptions(dialect: .surefire), in: directory, name: "surefire")
    #expect(
      directoryEntries(output) == [
        "TEST-com.example.FooTest.xml", "TEST-lifetime.reference.x86_64.xml", "TEST-locking.reference.arm64.xml",
      ])
    #expect(readBytes("\(output)/TEST-com.example.FooTest.xml") == Array(foreign.utf8))
    unlink("\(output)/TEST-com.example.FooTest.xml")
    #expect(reporter.writtenFiles.count == 2)
    var total = 0
    for name in directoryEntries(output) {
      let bytes = readBytes("\(output)/\(name)")
      #expect(schemaErrors(bytes, schema: surefireSchema!) == [], "\(name)")
      #expect(schemaErrors(bytes, schema: surefire2024Schema!) == [], "\(name)")
      #expect(schemaErrors(bytes) == [], "\(name)")
      let root = try #require(parseXML(bytes).root)
      #expect(root.name == "testsuite")
      #expect(root["tests"] == String(root.elements("testcase").count))
      total += root.elements("testcase").count
    }
    #expect(total == 8)
  }

  @Test("file and line attributes only when asked, from the rule's location")
  func fileAndLine() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    _ = try junitFiles(mixedRun, options: JUnitOptions(fileAndLine: true), in: directory)
    let root = try #require(parseXML(readBytes("\(directory)/report.xml")).root)
    let testcase = try #require(root.elements("testsuite").first?.elements("testcase").first)
    #expect(testcase["file"] == "Specs/lifetime.pfnspec")
    #expect(testcase["line"] == "12")
    let plain = try #require(parseXML(try junitReport(mixedRun)).root)
    #expect(plain.elements("testsuite")[0].elements("testcase")[0]["file"] == nil)
  }

  @Test(
    "junitparser reads every dialect with the same totals",
    .enabled(if: junitparserAvailable, "needs python3 with junitparser"))
  func junitparserReadsEveryDialect() throws {
    let directory = makeTemporaryDirectory()
    defer { removeTree(directory) }
    let script = "\(packageRoot)/.ci/check-junit.py"
    let expectations = [
      "--expect-tests", "8", "--expect-failures", "2", "--expect-errors", "1", "--expect-skipped", "2",
    ]
    for (dialect, fileLine) in [
      (JUnitDialect.standard, false), (.ant, false), (.surefire, false), (.standard, true),
    ] {
      let name = "\(dialect.rawValue)\(fileLine ? "-fl" : "")"
      _ = try junitFiles(
        mixedRun, options: JUnitOptions(dialect: dialect, fileAndLine: fileLine), in: directory,
        name: dialect == .surefire ? name : name + ".xml")
      let target = "\(directory)/\(dialect == .surefire ? name : name + ".xml")"
      let result = runProcess(["python3", script, target] + expectations)
      #expect(result.status == 0, "\(name): \(result.output)")
    }
  }

  @Test("a report past the size limit continues in valid part files whose totals add up")
  func splitIntoParts() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    writeText("stale", to: "\(directory)/report.part9.xml")
    writeText("stale", to: "\(directory)/report.part7.xml")
    var options = JUnitOptions()
    options.maxFileBytes = 6 * 1024
    let reporter = try junitFiles(orderedRun(), options: options, in: directory)
    #expect(reporter.writtenFiles.count > 1)
    #expect(reporter.writtenFiles.first == "\(directory)/report.xml")
    #expect(reporter.writtenFiles.last == "\(directory)/report.part\(reporter.writtenFiles.count).xml")
    var tests = 0
    for path in reporter.writtenFiles {
      let bytes = readBytes(path)
      #expect(schemaErrors(bytes) == [], "\(path)")
      let root = try #require(parseXML(bytes).root)
      let cases = root.elements("testsuite").flatMap { $0.elements("testcase") }
      #expect(root["tests"] == String(cases.count))
      #expect(root.elements("testsuite").first?["id"] == "0")
      tests += cases.count
    }
    #expect(tests == 6 * 4 * 5)
    // Only the stale part beyond the new ones that follows them directly goes;
    // `part9` is not ours to guess at, `part7` neither unless it continues the run.
    #expect(!directoryEntries(directory).contains("report.part\(reporter.writtenFiles.count + 1).xml"))
    for name in directoryEntries(directory) where name.hasPrefix("report.part") {
      unlink("\(directory)/\(name)")
    }
  }

  @Test("once a suite's failure bodies pass the budget, later bodies are cut short with a note")
  func suiteBodyBudget() throws {
    let directory = makeTemporaryDirectory()
    defer { removeDirectory(directory) }
    var options = JUnitOptions()
    options.suiteBodyBudget = 20 * 1024
    let big = String(repeating: "host call: read pmd entry 0x200000\n", count: 300)
    let verdicts = (0..<10).map { index in
      makeVerdict(lifetime, "LT-\(index)", .fail, message: "failed \(index)", details: big)
    }
    _ = try junitFiles([(lifetime, verdicts)], options: options, in: directory)
    let root = try #require(parseXML(readBytes("\(directory)/report.xml")).root)
    let bodies = root.elements("testsuite")[0].elements("testcase").map {
      $0.elements("failure")[0].text
    }
    #expect(bodies[0].utf8.count > 10_000)
    #expect(bodies[9].utf8.count < 3_000)
    #expect(bodies[9].hasPrefix("failed 9"))
    #expect(bodies[9].contains("failure bodies passed"))
  }
}
