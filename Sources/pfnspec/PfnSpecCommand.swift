import ArgumentParser
import Foundation
import PfnPlugins
import PfnCallers
import PfnModel
import PfnReports
import PfnResults
import PfnRun
import PfnSpecLanguage
import PfnSpecRunner
import PfnWalkers

@main
struct PfnSpecCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "pfnspec",
    abstract: "Check page-table walkers against the follow_pfnmap_start()/end() contract.",
    discussion: """
      Rules live in .pfnspec files (default: Specs/). Each rule runs against every walker and \
      architecture you choose, and every verdict says which promise of the contract it checked.
      """,
    version: PfnSpecVersion.current,
    subcommands: [
      Run.self, Check.self, List.self, Mutants.self, Replay.self, Bench.self, Merge.self, Cflags.self, Worker.self,
      Explain.self, ExplainError.self, Trace.self,
    ],
    defaultSubcommand: Run.self)
}

enum PfnSpecVersion {
  static let current = "0.1.0"
}

/// Exit codes: 0 all good, 1 a case failed or errored, 2 the specs have
/// errors or the run cannot mean what was asked (a filter that selects
/// nothing, an output that cannot be written), 64 a usage error (an unknown
/// option or command, a bad value; swift-argument-parser's `EX_USAGE`).
enum Exit {
  static let failures = ExitCode(1)
  static let specErrors = ExitCode(2)
  static let usage = ExitCode(64)
}

/// The exit codes as `--help` states them.
let exitStatusHelp = """
  Exit status: 0 when nothing failed or errored; 1 when a case failed or errored; 2 when a spec \
  file has errors, a --rule, --tag or --case matches nothing, or an output path cannot be written; \
  64 for a usage error (an unknown option or command, a value out of range).
  """

/// Where the specs are and how to read them.
struct SpecOptions: ParsableArguments {
  @Argument(
    help: "Spec files or folders (default: Specs/ here when it holds rules, else the shipped rules).",
    completion: .custom(ShellCompletion.specPaths))
  var specPaths: [String] = []

  @Option(
    help: "The contract document whose clause anchors rules cite (default: docs/contract.md, else the shipped one).",
    completion: .file(extensions: ["md"]))
  var contract: String?

  @Option(help: "Colour for diagnostics and the console: auto, always, never.")
  var color: ColorMode = .auto

  var paths: [String] { configuration.paths }

  /// `pfnspec chek`: a first argument that is no existing path but is near a
  /// command's name is a mistyped command, not a spec path (exit 64).
  func rejectMistypedCommand() throws {
    let arguments = CommandLine.arguments.dropFirst()
    guard let first = specPaths.first, arguments.first == first,
      !FileManager.default.fileExists(atPath: first), !first.contains("/"), !first.hasSuffix(".pfnspec")
    else { return }
    let commands = PfnSpecCommand.configuration.subcommands.map { $0._commandName }
      .filter { $0 != "worker" }
    guard let near = Suggestions.closest(to: first, among: commands) else { return }
    FileHandle.standardError.write(
      Data("pfnspec: error: unknown command '\(first)'; did you mean '\(near)'? (see 'pfnspec --help')\n".utf8))
    throw Exit.usage
  }

  /// The part of a run's configuration these options give.
  var configuration: RunConfiguration {
    var configuration = RunConfiguration()
    configuration.specPaths = specPaths
    configuration.contractPath = contract
    return configuration
  }

  /// The text of the contract document (see ``RunConfiguration/contractDocument()``).
  func contractDocument() throws -> String? {
    try validated { try configuration.contractDocument() }
  }

  /// The clause anchors, from the contract document next to the specs.
  func contractAnchors() throws -> Set<String> {
    try validated { try configuration.contractAnchors() }
  }

  /// Loads and checks the specs, printing diagnostics; throws exit 2 on errors
  /// (and, when `strict`, on warnings).
  ///
  /// - Parameters:
  ///   - strict: Warnings are errors (`--strict`).
  ///   - caps: Also plan every rule on every architecture and warn about the ones a run would cap (W317).
  func load(strict: Bool = false, caps: Bool = false) throws -> SpecSet {
    try Self.load(configuration, color: color, strict: strict, caps: caps)
  }

  /// Loads and checks the specs a configuration names, printing diagnostics; throws exit 2 on errors.
  static func load(
    _ configuration: RunConfiguration, color: ColorMode, strict: Bool = false, caps: Bool = false
  ) throws -> SpecSet {
    var set = try validated { try configuration.loadSpecs() }
    if caps && !set.hasErrors {
      set.diagnostics += RulePlanning.capWarnings(set, walker: ReferenceWalker().descriptor)
    }
    if !set.diagnostics.isEmpty {
      let useColor = color.enablesColorOnStandardError
      FileHandle.standardError.write(Data(set.render(color: useColor).utf8))
    }
    if set.hasErrors {
      FileHandle.standardError.write(
        Data("pfnspec: \(set.errorCount) error(s) in the specs; nothing was run\n".utf8))
      throw Exit.specErrors
    }
    if strict && set.warningCount > 0 {
      FileHandle.standardError.write(
        Data("pfnspec: \(set.warningCount) warning(s) in the specs, errors under --strict; nothing was run\n".utf8))
      throw Exit.specErrors
    }
    return set
  }
}

extension ColorMode: ExpressibleByArgument {
  var enablesColorOnStandardError: Bool {
    switch self {
    case .always: true
    case .never: false
    case .auto: isatty(STDERR_FILENO) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    }
  }
}

/// Walker and architecture selection.
struct TargetOptions: ParsableArguments {
  @Option(
    name: .customLong(RunFlag.long(RunFlag.walker)),
    help: "A walker to check (repeatable): a name from 'pfnspec list walkers', 'mutants', 'all', or a PATH.so plug-in.",
    completion: .custom(ShellCompletion.walkers))
  var walkerNames: [String] = []

  @Option(
    name: .customLong(RunFlag.long(RunFlag.caller)),
    help: ArgumentHelp(
      "A caller to check with the caller rules (repeatable): a name from 'pfnspec list callers', 'mutants', 'legacy', 'all', 'none', or a PATH.so plug-in.",
      discussion: "Without --caller and --walker, the run checks the reference walker and the built-in callers that keep the contract. With --caller and no --walker, only the caller rules run. The callers' lookups go to the first walker."),
    completion: .custom(ShellCompletion.callers))
  var callerNames: [String] = []

  @Option(
    name: .customLong(RunFlag.long(RunFlag.arch)), help: "An architecture (repeatable; default: every one the model has).",
    completion: .custom(ShellCompletion.architectures))
  var archNames: [String] = []

  @Option(help: "The kernel release the architectures are taken at (default: the newest known).")
  var kernel: String?

  /// The built-in walkers named; `reference` when no walker of any kind was named.
  func walkers(defaultToReference: Bool = true) throws -> [any Walker] {
    try validated { try SpecRun.builtinWalkers(named: walkerNames, defaultToReference: defaultToReference) }
  }


  func arches() throws -> [any Architecture] {
    try validated { try SpecRun.arches(named: archNames) }
  }

  func release() throws -> KernelRelease {
    try validated { try SpecRun.release(kernel) }
  }
}

/// A configuration error of the library as the command line reports it.
func validated<T>(_ body: () throws -> T) throws -> T {
  do { return try body() } catch let error as RunError {
    throw ValidationError(error.description)
  }
}

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run the rules against walkers and architectures.",
    discussion: exitStatusHelp)

  @OptionGroup var specs: SpecOptions
  @OptionGroup var targets: TargetOptions

  @Option(help: "Write a JUnit XML report to this path.")
  var junit: String?

  @Option(help: "The seed of every random choice; the same seed gives the same cases.")
  var seed: UInt64 = 0

  @Option(
    name: .customLong(RunFlag.long(RunFlag.rule)), help: "Run only this rule (repeatable).",
    completion: .custom(ShellCompletion.ruleIDs))
  var rules: [String] = []

  @Option(
    name: .customLong(RunFlag.long(RunFlag.tag)), help: "Run only rules with this tag (repeatable).",
    completion: .custom(ShellCompletion.tags))
  var tags: [String] = []

  @Option(name: .customLong(RunFlag.long(RunFlag.caseName)), help: "Run only this case, as named in reports (repeatable).")
  var cases: [String] = []

  @Flag(help: "Leave times, timestamps and host names out of reports, so that runs compare byte for byte.")
  var deterministic = false

  @Flag(help: "Print only the summary, not each failure as it happens.")
  var quiet = false

  @Flag(help: "Print the host calls (start() and end() marked) under each failure as it happens.")
  var verbose = false

  @Flag(help: "Treat warnings in the specs as errors: exit 2 before anything runs.")
  var strict = false

  @OptionGroup(title: "Reports and sharding") var reports: ReportOptions

  @OptionGroup var races: RaceOptions

  @OptionGroup(title: "Plug-in walkers") var plugins: PluginRunOptions

  /// The run these flags ask for.
  func configuration() throws -> RunConfiguration {
    var configuration = specs.configuration
    configuration.walkers = targets.walkerNames
    configuration.walkerCommands = plugins.walkerCommands
    configuration.callers = targets.callerNames
    configuration.callerRulesOnly =
      !targets.callerNames.isEmpty && targets.walkerNames.isEmpty && plugins.walkerCommands.isEmpty
    configuration.arches = targets.archNames
    configuration.kernel = targets.kernel
    configuration.seed = seed
    configuration.rules = rules
    configuration.tags = tags
    configuration.cases = cases
    configuration.raceBound = races.raceBound
    configuration.raceRandom = races.raceRandom
    configuration.raceLimit = races.raceLimit
    configuration.shard = try reports.selectedShard()
    configuration.shardSchedules = reports.shardSchedules
    configuration.jobs = plugins.jobs
    configuration.timeout = plugins.timeout
    configuration.maxErrors = plugins.maxErrors
    configuration.keepGoing = plugins.keepGoing
    configuration.workerLimits = plugins.workerLimits
    configuration.deterministic = deterministic
    configuration.toolVersion = PfnSpecVersion.current
    return configuration
  }

  func validate() throws {
    try specs.rejectMistypedCommand()
  }

  func run() throws {
    try reports.checkOutputPaths(junit: junit)
    let set = try specs.load(strict: strict)
    let configuration = try configuration()
    let unmatched = try validated { try SpecRun(configuration: configuration, specs: set).unmatchedFilters() }
    if !unmatched.isEmpty {
      for filter in unmatched { FileHandle.standardError.write(Data("pfnspec: error: \(filter)\n".utf8)) }
      FileHandle.standardError.write(Data("pfnspec: nothing was run ('pfnspec list rules' lists rules and tags)\n".utf8))
      throw Exit.specErrors
    }
    reports.touchShardStatusFile()
    // Whatever a plug-in forks (setsid daemons too) is re-parented here and
    // killed; SIGINT, SIGTERM and SIGHUP take every worker along.
    LiveChildren.shared.adoptOrphans()
    let console = ConsoleReporter(color: specs.color, quiet: quiet, output: reports.consoleOutput)
    console.verbose = verbose
    var sinks: [any VerdictSink] = [console]
    // The HTML report quotes the contract's clauses; a run without the document still writes it.
    let coverage = reports.html == nil ? nil : (try? configuration.clauseCoverage(set)) ?? nil
    sinks += reports.sinks(junit: junit, deterministic: deterministic, shard: configuration.shard, coverage: coverage)
    let tally: Tally
    do {
      tally = try SpecRun(configuration: configuration, specs: set).run(into: FanOutSink(sinks))
    } catch RunError.pluginLoad(let message) {
      FileHandle.standardError.write(Data("pfnspec: error: \(message)\n".utf8))
      throw Exit.specErrors
    } catch let error as RunError {
      throw ValidationError(error.description)
    } catch let error as JUnitReportError {
      // A report that could not be written is not a failing test: exit 2, the report removed.
      FileHandle.standardError.write(Data("pfnspec: error: the report was not written: \(error)\n".utf8))
      throw Exit.specErrors
    }
    reports.reportSplits(sinks)
    if tally.total == 0 {
      // A shard may hold none of a small selection; a whole run that ran nothing did not check anything.
      if let shard = configuration.shard {
        FileHandle.standardError.write(Data("pfnspec: no case of shard \(shard) matched the filters\n".utf8))
      } else {
        FileHandle.standardError.write(
          Data("pfnspec: error: no case matched the filters on these walkers, callers and architectures; nothing was checked\n".utf8))
        throw Exit.specErrors
      }
    }
    if tally.failed + tally.errors > 0 { throw Exit.failures }
  }
}

struct Check: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check spec files and print diagnostics; exit 2 on any error.")

  @OptionGroup var specs: SpecOptions

  @Flag(help: "Also run every mutant and warn (W311) about rules that catch none; slower.")
  var mutants = false

  @Flag(help: "Treat warnings as errors: exit 2 on any (W311 from --mutants stays a warning).")
  var strict = false

  func run() throws {
    let set = try specs.load(strict: strict, caps: true)
    var warnings = set.warningCount
    if mutants {
      let (_, killWarnings) = try Mutants.analyse(set, seed: 0)
      Mutants.report(killWarnings, set, color: specs.color)
      warnings += killWarnings.count
    }
    print("\(set.rules.count) rules in \(set.files.count) files, \(warnings) warning(s)")
  }
}
