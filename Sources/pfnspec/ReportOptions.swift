import ArgumentParser
import Foundation
import PfnReports
import PfnResults

extension JUnitDialect: ExpressibleByArgument {}

/// `--shard 2/4`: 1-based, as GitLab writes it.
extension Shard: ExpressibleByArgument {
  public init?(argument: String) { self.init(oneBased: argument) }
  public var defaultValueDescription: String { description }
}

/// The TAP versions `--tap-version` offers.
enum TAPVersion: Int, CaseIterable, ExpressibleByArgument {
  /// prove before 3.48 rejects 14.
  case v13 = 13
  case v14 = 14

  init?(argument: String) { self.init(rawValue: Int(argument) ?? 0) }
  var defaultValueDescription: String { String(rawValue) }
  static var allValueStrings: [String] { allCases.map { String($0.rawValue) } }
}

/// The report formats of `run` beyond the console, and sharding.
struct ReportOptions: ParsableArguments {
  @Option(
    help: """
      The JUnit shape: default (junit-10), ant (windyroad and junit-10), or surefire \
      (--junit names a directory that gets one TEST-<suite>.xml per suite).
      """)
  var junitDialect: JUnitDialect = .standard

  @Flag(help: "Add file and line attributes to each JUnit testcase (for GitHub/GitLab reporters; no schema allows them).")
  var junitFileLine = false

  @Option(help: "Write a TAP report to this path ('-' for standard output; the console then goes to standard error).")
  var tap: String?

  @Option(help: "The TAP version: 13 (default; prove before 3.48 rejects 14) or 14.")
  var tapVersion: TAPVersion = .v13

  @Option(help: "Write a KTAP v1 report (one subtest per suite) to this path ('-' for standard output).")
  var ktap: String?

  @Option(
    help: """
      Write a self-contained HTML report to this path: the matrix, each failure with its clause text, \
      replay command and schedule picture, and the clause coverage ('-' for standard output).
      """)
  var html: String?

  @Option(
    help: """
      Run only shard I of N (1-based, like GitLab's '2/4'). Default: from Bazel's \
      TEST_SHARD_INDEX/TEST_TOTAL_SHARDS or GitLab's CI_NODE_INDEX/CI_NODE_TOTAL.
      """)
  var shard: Shard?

  @Flag(
    name: .customLong(RunFlag.long(RunFlag.shardSchedules)),
    help: """
      With a shard: every shard runs the race cases, each exploring its share of their schedule trees \
      (split by the first adversary step); 'pfnspec merge' joins the shares. Other cases are split as usual.
      """)
  var shardSchedules = false

  func validate() throws {
    let standardOutput = [("--tap", tap), ("--ktap", ktap), ("--html", html)].filter { $0.1 == "-" }.map(\.0)
    if standardOutput.count > 1 {
      throw ValidationError("only one of \(standardOutput.joined(separator: " and ")) can write to standard output")
    }
  }

  /// Checks every output path before anything runs: a path two formats
  /// share, a folder where a file goes (or a file where the Surefire folder
  /// goes), a folder that does not exist or cannot be written. Each stops the
  /// run with exit 2 at once rather than after it, looking like a failure.
  func checkOutputPaths(junit: String?) throws {
    var outputs: [(flag: String, path: String, directory: Bool)] = []
    if let path = junitPath(junit) { outputs.append(("--junit", path, junitDialect == .surefire)) }
    if let tap, tap != "-" { outputs.append(("--tap", tap, false)) }
    if let ktap, ktap != "-" { outputs.append(("--ktap", ktap, false)) }
    if let html, html != "-" { outputs.append(("--html", html, false)) }
    var problems: [String] = []
    var seen: [String: String] = [:]
    for output in outputs {
      let resolved = URL(fileURLWithPath: output.path).standardizedFileURL.resolvingSymlinksInPath().path
      if let other = seen[resolved] {
        problems.append("\(other) and \(output.flag) both write '\(output.path)'; give each report its own path")
        continue
      }
      seen[resolved] = output.flag
      var isDirectory: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: output.path, isDirectory: &isDirectory)
      let parent = URL(fileURLWithPath: output.path).standardizedFileURL.deletingLastPathComponent().path
      if exists && isDirectory.boolValue != output.directory {
        problems.append(
          output.directory
            ? "\(output.flag) '\(output.path)' is a file; the Surefire dialect writes a folder"
            : "\(output.flag) '\(output.path)' is a folder; it takes a file path")
      } else if exists && access(output.path, W_OK) != 0 {
        problems.append("\(output.flag) '\(output.path)' cannot be written (\(String(cString: strerror(errno))))")
      } else if !exists {
        var parentIsDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: parent, isDirectory: &parentIsDirectory) || !parentIsDirectory.boolValue {
          problems.append("\(output.flag) '\(output.path)': the folder '\(parent)' does not exist")
        } else if access(parent, W_OK) != 0 {
          problems.append("\(output.flag) '\(output.path)': the folder '\(parent)' cannot be written")
        }
      }
    }
    guard !problems.isEmpty else { return }
    for problem in problems { FileHandle.standardError.write(Data("pfnspec: error: \(problem)\n".utf8)) }
    FileHandle.standardError.write(Data("pfnspec: nothing was run\n".utf8))
    throw Exit.specErrors
  }

  /// The shard asked for on the command line or by the CI environment.
  func selectedShard() throws -> Shard? {
    if let shard { return shard.count > 1 ? shard : nil }
    do {
      return try Shard.fromEnvironment(ProcessInfo.processInfo.environment)
    } catch {
      throw ValidationError("\(error)")
    }
  }

  /// Declares sharding support to Bazel by touching `TEST_SHARD_STATUS_FILE`.
  func touchShardStatusFile() {
    guard let path = ProcessInfo.processInfo.environment["TEST_SHARD_STATUS_FILE"], !path.isEmpty
    else { return }
    let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o666)
    if fd >= 0 { close(fd) }
    utimes(path, nil)
  }

  /// Where the console goes: standard error when a report takes standard output.
  var consoleOutput: any ConsoleOutputStream {
    FileDescriptorOutputStream(
      fileDescriptor: tap == "-" || ktap == "-" || html == "-" ? STDERR_FILENO : STDOUT_FILENO)
  }

  /// The JUnit path: `--junit`, else Bazel's `XML_OUTPUT_FILE`.
  func junitPath(_ junit: String?) -> String? {
    if let junit { return junit }
    guard let path = ProcessInfo.processInfo.environment["XML_OUTPUT_FILE"], !path.isEmpty else {
      return nil
    }
    return path
  }

  /// The report sinks to add after the console.
  ///
  /// - Parameter coverage: The contract's clauses and the rules citing them, for the HTML report.
  func sinks(junit: String?, deterministic: Bool, shard: Shard?, coverage: @autoclosure () -> ClauseCoverage? = nil)
    -> [any VerdictSink]
  {
    var sinks: [any VerdictSink] = []
    if let path = junitPath(junit) {
      let options = JUnitOptions(
        dialect: junitDialect, deterministic: deterministic, fileAndLine: junitFileLine, shard: shard)
      sinks.append(JUnitReporter(path: path, options: options))
    }
    if let tap { sinks.append(TAPReporter(path: tap, version: tapVersion.rawValue)) }
    if let ktap { sinks.append(KTAPReporter(path: ktap)) }
    if let html { sinks.append(HTMLReporter(path: html, coverage: coverage(), deterministic: deterministic)) }
    return sinks
  }

  /// Tells on standard error when a JUnit report was split into parts.
  func reportSplits(_ sinks: [any VerdictSink]) {
    for case let junit as JUnitReporter in sinks
    where junit.options.dialect != .surefire && junit.writtenFiles.count > 1 {
      FileHandle.standardError.write(
        Data(
          ("pfnspec: the JUnit report passed \(junit.options.maxFileBytes / 1_048_576) MB and continues in "
            + junit.writtenFiles.dropFirst().joined(separator: ", ") + "\n").utf8))
    }
  }
}
