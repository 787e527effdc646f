import Foundation
import PfnResults
import PfnRun
import PfnTestSupport
import Testing

/// Exit codes a CI job can trust: a filter that selects nothing is an error
/// (2) with a did-you-mean, a mistyped command is a usage error (64).
@Suite("exit codes that cannot lie")
struct ExitCodeTests {
  func pfnspec(_ arguments: [String], in directory: String = packageRoot) throws -> CommandResult {
    try runProcess(pfnspecExecutable, arguments + ["--color", "never"], in: directory)
  }

  @Test("a race case the schedule limit stops passes, exit 0, and the summary says it was explored in part")
  func partialExploration() throws {
    let stopped = try pfnspec(
      ["run", "--case", "RC-001[level=pmd]", "--arch", "x86_64", "--race-bound", "3", "--race-limit", "20", "--quiet"])
    #expect(stopped.status == 0, "\(stopped.error)")
    #expect(stopped.output.contains("explored in part (1):"), "\(stopped.output)")
    #expect(stopped.output.contains("a limit stopped exploring after 20 schedule(s)"), "\(stopped.output)")
    let whole = try pfnspec(["run", "--case", "RC-001[level=pmd]", "--arch", "x86_64", "--race-bound", "3", "--quiet"])
    #expect(whole.status == 0 && !whole.output.contains("explored in part"), "\(whole.output)")
    let refused = try pfnspec(["run", "--case", "RC-001[level=pmd]", "--race-limit", "0"])
    #expect(refused.status != 0 && refused.error.contains("--race-limit"), "\(refused.error)")
  }

  @Test("a --rule that names no rule exits 2 and names the nearest rule")
  func unknownRule() throws {
    let result = try pfnspec(["run", "--rule", "LT-01", "--arch", "x86_64", "--quiet"])
    #expect(result.status == 2, "\(result.error)")
    #expect(result.error.contains("--rule 'LT-01' matches no rule; did you mean 'LT-001'?"), "\(result.error)")
    #expect(!result.output.contains("passed"), "nothing runs")
  }

  @Test("a --tag no rule carries exits 2 and names the nearest tag")
  func unknownTag() throws {
    let result = try pfnspec(["run", "--tag", "hugee", "--arch", "x86_64", "--quiet"])
    #expect(result.status == 2, "\(result.error)")
    #expect(result.error.contains("--tag 'hugee' matches no tag; did you mean"), "\(result.error)")
  }

  @Test("a --case no rule plans exits 2 and names the nearest case")
  func unknownCase() throws {
    let result = try pfnspec(["run", "--case", "RC-001[level=pmdx]", "--arch", "x86_64", "--quiet"])
    #expect(result.status == 2, "\(result.error)")
    #expect(result.error.contains("did you mean 'RC-001[level=pmd]'?"), "\(result.error)")
    let known = try pfnspec(["run", "--case", "FL-004", "--arch", "x86_64", "--quiet"])
    #expect(known.status == 0, "a skipped rule's case is named by its rule id: \(known.error)")
    let planned = try pfnspec(["run", "--case", "LT-001", "--arch", "x86_64", "--quiet"])
    #expect(planned.status == 2, "LT-001 plans cases with parameters; its id alone names none: \(planned.error)")
  }

  @Test("filters that select rules but no case on these targets exit 2; skips are verdicts and exit 0")
  func selectedButNothingRuns() throws {
    // A walker rule asked for in a run of callers only: nothing at all runs.
    let none = try pfnspec(["run", "--caller", "kvm-like", "--rule", "LT-001", "--arch", "x86_64", "--quiet"])
    #expect(none.status == 2, "\(none.output)\(none.error)")
    #expect(none.error.contains("no case matched the filters"))
    // A rule that is skipped on this target still ran: its skip is a verdict.
    let skipped = try pfnspec(["run", "--rule", "FL-004", "--arch", "x86_64", "--quiet"])
    #expect(skipped.status == 0, "\(skipped.output)\(skipped.error)")
    #expect(skipped.output.contains("0 passed, 0 failed, 1 skipped"), "\(skipped.output)")
  }

  @Test("a mistyped command that is no path suggests the command and exits 64")
  func mistypedCommand() throws {
    let result = try pfnspec(["chek"])
    #expect(result.status == 64, "\(result.error)")
    #expect(result.error.contains("unknown command 'chek'; did you mean 'check'?"), "\(result.error)")
    // A spec path of that name is still a spec path.
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try FileManager.default.createDirectory(atPath: directory + "/chek", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: packageRoot + "/Specs/lifetime.pfnspec", toPath: directory + "/chek/lifetime.pfnspec")
    let path = try pfnspec(["chek", "--contract", packageRoot + "/docs/contract.md", "--arch", "x86_64", "--quiet"], in: directory)
    #expect(path.status == 0, "\(path.output)\(path.error)")
  }

  @Test("the exit codes are stated in run --help and the README")
  func documented() throws {
    let help = try pfnspec(["run", "--help"])
    let text = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    #expect(text.contains("64 for a usage error"), "\(help.output)")
    #expect(text.contains("2 when a spec file has errors, a --rule, --tag or --case matches nothing"))
    let readme = try String(contentsOfFile: packageRoot + "/README.md", encoding: .utf8)
    #expect(readme.contains("| 64 |") && readme.contains("| 2 |") && readme.contains("| 1 |") && readme.contains("| 0 |"))
  }

  @Test("unmatched filters are found by the library before anything runs")
  func library() throws {
    var configuration = RunConfiguration()
    configuration.specPaths = [packageRoot + "/Specs"]
    configuration.contractPath = packageRoot + "/docs/contract.md"
    configuration.arches = ["x86_64"]
    configuration.rules = ["LT-001", "NO-SUCH"]
    configuration.tags = ["huge"]
    let specs = try configuration.loadSpecs()
    let unmatched = try SpecRun(configuration: configuration, specs: specs).unmatchedFilters()
    #expect(unmatched.map(\.value) == ["NO-SUCH"])
    #expect(unmatched.first?.nearest != nil)
  }

  @Test("output paths are checked before the run: shared by two formats, a folder, a missing folder")
  func outputPathsCheckedFirst() throws {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let base = ["run", "--rule", "LT-001", "--arch", "x86_64", "--quiet"]
    let shared = try pfnspec(base + ["--junit", "\(directory)/r.xml", "--tap", "\(directory)/./r.xml"])
    #expect(shared.status == 2 && shared.error.contains("both write"), "\(shared.error)")
    let folder = try pfnspec(base + ["--tap", directory])
    #expect(folder.status == 2 && folder.error.contains("is a folder"), "\(folder.error)")
    let missing = try pfnspec(base + ["--ktap", "\(directory)/no/such/r.ktap"])
    #expect(missing.status == 2 && missing.error.contains("does not exist"), "\(missing.error)")
    _ = FileManager.default.createFile(atPath: "\(directory)/file", contents: Data())
    let surefire = try pfnspec(base + ["--junit-dialect", "surefire", "--junit", "\(directory)/file"])
    #expect(surefire.status == 2 && surefire.error.contains("is a file"), "\(surefire.error)")
    let html = try pfnspec(base + ["--junit", "\(directory)/r.html", "--html", "\(directory)/r.html"])
    #expect(html.status == 2 && html.error.contains("--junit and --html both write"), "\(html.error)")
    let htmlFolder = try pfnspec(base + ["--html", directory])
    #expect(htmlFolder.status == 2 && htmlFolder.error.contains("--html '\(directory)' is a folder"), "\(htmlFolder.error)")
    let twoOnStandardOutput = try pfnspec(base + ["--tap", "-", "--html", "-"])
    #expect(twoOnStandardOutput.status == 64, "\(twoOnStandardOutput.error)")
    for result in [shared, folder, missing, surefire, html, htmlFolder] {
      #expect(!result.output.contains("passed"), "nothing ran")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["file"])
  }

  @Test("a Surefire file that cannot be written midway exits 2 and leaves none of the run's files")
  func surefireWriteFailureExits2() throws {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // A folder where the second suite's file goes: its rename fails after the first file is written.
    try FileManager.default.createDirectory(
      atPath: "\(directory)/TEST-locking.reference.x86_64.xml", withIntermediateDirectories: false)
    let foreign = "<testsuite name=\"com.example.FooTest\" tests=\"0\"/>\n"
    _ = FileManager.default.createFile(atPath: "\(directory)/TEST-com.example.FooTest.xml", contents: Data(foreign.utf8))
    let result = try pfnspec([
      "run", "--walker", "reference", "--arch", "x86_64", "--quiet", "--junit-dialect", "surefire", "--junit", directory,
    ])
    #expect(result.status == 2, "\(result.error)")
    #expect(result.error.contains("the report was not written"), "\(result.error)")
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        == ["TEST-com.example.FooTest.xml", "TEST-locking.reference.x86_64.xml"])
  }

  @Test("--timeout takes only finite seconds within its stated range", arguments: ["inf", "nan", "-1", "0", "1e308", "-inf"])
  func timeoutRange(value: String) throws {
    let result = try pfnspec(["run", "--rule", "LT-001", "--arch", "x86_64", "--quiet", "--timeout=\(value)"])
    #expect(result.status == 64, "\(value): \(result.error)")
    #expect(result.error.contains("--timeout takes a finite number of seconds from 0.1 to 86400"), "\(result.error)")
  }

  /// A spec whose rules are well-formed but cannot mean what they say: one a
  /// run would cap (W317), one that compares arch with no architecture (W315).
  static let suspiciousSpec = """
    suite w "warnings"
    rule W-001 "every page of 8 MiB"
      source contract#C1
      for a in pages(vma.start, vma.start + 2048 * page_size)
      given vma flags PFNMAP
      call start(a)
      expect result != 0
    rule W-002 "sparc only"
      source contract#C1
      requires arch == "sparc64"
      call start(vma.start)
      expect result != 0

    """

  @Test("check warns of rules a run would cap (W317) and exits 0; --strict makes warnings exit 2")
  func strictChecks() throws {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try Self.suspiciousSpec.write(toFile: "\(directory)/w.pfnspec", atomically: true, encoding: .utf8)
    let contract = ["--contract", packageRoot + "/docs/contract.md"]
    let plain = try pfnspec(["check", directory] + contract)
    #expect(plain.status == 0, "\(plain.error)")
    #expect(plain.error.contains("warning[W317]: a run would cap rule 'W-001': pages(): 2048 pages"), "\(plain.error)")
    #expect(plain.error.contains("warning[W315]: 'arch' is never \"sparc64\""), "\(plain.error)")
    let strict = try pfnspec(["check", "--strict", directory] + contract)
    #expect(strict.status == 2, "\(strict.error)")
    #expect(strict.error.contains("2 warning(s) in the specs, errors under --strict"), "\(strict.error)")
    let run = try pfnspec(["run", "--strict", directory, "--arch", "x86_64", "--quiet"] + contract)
    #expect(run.status == 2 && !run.output.contains("passed"), "\(run.error)")
  }

  @Test("the shipped specs pass check --strict and run --strict")
  func shippedSpecsAreStrict() throws {
    let check = try pfnspec(["check", "--strict"])
    #expect(check.status == 0, "\(check.error)")
    #expect(check.output.contains(", 0 warning(s)"), "\(check.output)")
    let run = try pfnspec(["run", "--strict", "--rule", "LT-001", "--arch", "x86_64", "--quiet"])
    #expect(run.status == 0, "\(run.error)")
  }
}
