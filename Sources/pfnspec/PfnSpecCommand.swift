import ArgumentParser
import Foundation
import PfnCallers
import PfnModel
import PfnReports
import PfnResults
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

/// Exit codes: 0 all good, 1 a case failed or errored, 2 the specs have errors.
enum Exit {
  static let failures = ExitCode(1)
  static let specErrors = ExitCode(2)
}

/// Where the specs are and how to read them.
struct SpecOptions: ParsableArguments {
  @Argument(help: "Spec files or folders (default: Specs/).")
  var specPaths: [String] = []

  @Option(help: "The contract document whose clause anchors rules cite (default: docs/contract.md).")
  var contract: String?

  @Option(help: "Colour for diagnostics and the console: auto, always, never.")
  var color: ColorMode = .auto

  var paths: [String] { specPaths.isEmpty ? ["Specs"] : specPaths }

  /// The text of the contract document: `--contract`, else `docs/contract.md`
  /// here or beside the specs' folder; `nil` when there is none.
  func contractDocument() throws -> String? {
    let candidates: [String]
    if let contract {
      candidates = [contract]
    } else {
      let specParent = URL(fileURLWithPath: paths[0]).deletingLastPathComponent().path
      candidates = ["docs/contract.md", specParent + "/docs/contract.md", specParent + "/../docs/contract.md"]
    }
    for path in candidates {
      if let text = try? String(contentsOfFile: path, encoding: .utf8) { return text }
    }
    if let contract { throw ValidationError("cannot read the contract document '\(contract)'") }
    return nil
  }

  /// The clause anchors, from the contract document next to the specs.
  func contractAnchors() throws -> Set<String> {
    guard let text = try contractDocument() else { return [] }
    return Set(ContractDocument.anchors(markdown: text).keys)
  }

  /// Loads and checks the specs, printing diagnostics; throws exit 2 on errors.
  func load() throws -> SpecSet {
    let vocabulary = PfnVocabulary.make(contractAnchors: try contractAnchors())
    let set = SpecLoader.load(paths: paths, vocabulary: vocabulary)
    if !set.diagnostics.isEmpty {
      let useColor = color.enablesColorOnStandardError
      FileHandle.standardError.write(Data(set.render(color: useColor).utf8))
    }
    if set.hasErrors {
      FileHandle.standardError.write(
        Data("pfnspec: \(set.errorCount) error(s) in the specs; nothing was run\n".utf8))
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
    name: .customLong("walker"),
    help: "A walker to check (repeatable): a name from 'pfnspec list walkers', 'mutants', 'all', or a PATH.so plug-in.")
  var walkerNames: [String] = []

  @Option(
    name: .customLong("caller"),
    help: ArgumentHelp(
      "A caller to check with the caller rules (repeatable): a name from 'pfnspec list callers', 'mutants', 'legacy', 'all' or 'none'.",
      discussion: "Without --caller and --walker, the run checks the reference walker and the built-in callers that keep the contract. With --caller and no --walker, only the caller rules run. The callers' lookups go to the first walker."))
  var callerNames: [String] = []

  @Option(name: .customLong("arch"), help: "An architecture (repeatable; default: every one the model has).")
  var archNames: [String] = []

  @Option(help: "The kernel release the architectures are taken at (default: the newest known).")
  var kernel: String?

  /// The built-in walkers named; `reference` when no walker of any kind was named.
  func walkers(defaultToReference: Bool = true) throws -> [any Walker] {
    let builtinNames = walkerNames.filter { !Self.isSharedObject($0) }  // shared objects run in workers
    let names = walkerNames.isEmpty && defaultToReference ? ["reference"] : builtinNames
    var walkers: [any Walker] = []
    for name in names {
      switch name {
      case "all": walkers += BuiltinWalkers.all
      case "mutants": walkers += BuiltinWalkers.mutants
      default:
        guard let walker = BuiltinWalkers.named(name) else {
          let known = BuiltinWalkers.all.map(\.descriptor.name).joined(separator: ", ")
          throw ValidationError("unknown walker '\(name)'; known: \(known), mutants, all")
        }
        walkers.append(walker)
      }
    }
    var seen = Set<String>()
    return walkers.filter { seen.insert($0.descriptor.name).inserted }
  }

  /// The callers named, or the built-in implementations when neither a walker
  /// nor a caller was named (the default run checks both sides).
  func callers() throws -> [any Caller] {
    if callerNames.isEmpty { return walkerNames.isEmpty ? BuiltinCallers.implementations : [] }
    var callers: [any Caller] = []
    for name in callerNames {
      switch name {
      case "none": continue
      case "all": callers += BuiltinCallers.all
      case "mutants": callers += BuiltinCallers.mutants
      case "legacy": callers += BuiltinCallers.legacy
      default:
        guard let caller = BuiltinCallers.named(name) else {
          let known = BuiltinCallers.all.map(\.descriptor.name).joined(separator: ", ")
          throw ValidationError("unknown caller '\(name)'; known: \(known), mutants, legacy, all, none")
        }
        callers.append(caller)
      }
    }
    var seen = Set<String>()
    return callers.filter { seen.insert($0.descriptor.name).inserted }
  }

  /// Whether the walker rules run: not when only callers were asked for.
  var runsWalkerRules: Bool { callerNames.isEmpty || !walkerNames.isEmpty }

  func arches() throws -> [any Architecture] {
    guard !archNames.isEmpty else { return Architectures.all }
    return try archNames.map { name in
      guard let arch = Architectures.named(name) else {
        let known = Architectures.all.map(\.name).joined(separator: ", ")
        throw ValidationError("unknown architecture '\(name)'; known: \(known)")
      }
      return arch
    }
  }

  func release() throws -> KernelRelease {
    guard let kernel else { return .newest }
    guard let release = KernelRelease(kernel), release >= .v6_12 else {
      throw ValidationError("--kernel takes a release from 6.12 on, such as 6.12 or 6.15")
    }
    return release
  }
}

struct Run: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run the rules against walkers and architectures.",
    discussion: "Exit status: 0 when nothing failed or errored, 1 when something did, 2 for errors in the specs.")

  @OptionGroup var specs: SpecOptions
  @OptionGroup var targets: TargetOptions

  @Option(help: "Write a JUnit XML report to this path.")
  var junit: String?

  @Option(help: "The seed of every random choice; the same seed gives the same cases.")
  var seed: UInt64 = 0

  @Option(name: .customLong("rule"), help: "Run only this rule (repeatable).")
  var rules: [String] = []

  @Option(name: .customLong("tag"), help: "Run only rules with this tag (repeatable).")
  var tags: [String] = []

  @Option(name: .customLong("case"), help: "Run only this case, as named in reports (repeatable).")
  var cases: [String] = []

  @Flag(help: "Leave times, timestamps and host names out of reports, so that runs compare byte for byte.")
  var deterministic = false

  @Flag(help: "Print only the summary, not each failure as it happens.")
  var quiet = false

  @OptionGroup(title: "Reports and sharding") var reports: ReportOptions

  @OptionGroup var races: RaceOptions

  @OptionGroup(title: "Plug-in walkers") var plugins: PluginRunOptions

  func run() throws {
    let set = try specs.load()
    var options = RunOptions()
    options.seed = seed
    options.release = try targets.release()
    options.rules = Set(rules)
    options.tags = Set(tags)
    options.cases = Set(cases)
    options.toolVersion = PfnSpecVersion.current
    try races.apply(to: &options)
    options.hostname = deterministic ? "localhost" : ProcessInfo.processInfo.hostName
    options.startTime = deterministic ? 0 : Date().timeIntervalSince1970
    options.shard = try reports.selectedShard()
    options.walkerRules = targets.runsWalkerRules
    reports.touchShardStatusFile()
    let runner = Runner(
      files: set.files, sources: set.sources,
      walkers: try targets.walkers(defaultToReference: plugins.walkerCommands.isEmpty) + plugins.commandWalkers(),
      callers: try targets.callers(), arches: try targets.arches(), options: options)

    var sinks: [any VerdictSink] = [ConsoleReporter(color: specs.color, quiet: quiet, output: reports.consoleOutput)]
    sinks += reports.sinks(junit: junit, deterministic: deterministic, shard: options.shard)
    let tally: Tally
    do {
      tally = try execute(runner, set: set, options: options, into: FanOutSink(sinks))  // plug-ins: PluginCommands.swift
    } catch let failure as PluginLoadFailure {
      FileHandle.standardError.write(Data("pfnspec: error: \(failure.message)\n".utf8))
      throw Exit.specErrors
    }
    reports.reportSplits(sinks)
    if tally.total == 0 {
      FileHandle.standardError.write(Data("pfnspec: no case matched the filters\n".utf8))
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

  func run() throws {
    let set = try specs.load()
    var warnings = set.warningCount
    if mutants {
      let (_, killWarnings) = try Mutants.analyse(set, seed: 0)
      Mutants.report(killWarnings, set, color: specs.color)
      warnings += killWarnings.count
    }
    print("\(set.rules.count) rules in \(set.files.count) files, \(warnings) warning(s)")
  }
}
