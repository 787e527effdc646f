import ArgumentParser
import Foundation
import PfnModel
import PfnPlugins
import PfnResults
import PfnSpecLanguage
import PfnSpecRunner
import PfnWalkers

/// Walkers from outside: shared objects (through `--walker PATH.so`) and
/// programs that speak the stdio protocol (`--walker-cmd`).
struct PluginRunOptions: ParsableArguments {
  @Option(
    name: .customLong("walker-cmd"),
    help: ArgumentHelp(
      "A command that speaks the stdio walker protocol (repeatable; see docs/protocol.md).",
      valueName: "command"))
  var walkerCommands: [String] = []

  @Option(help: "Worker processes per shared-object walker; each runs whole suites.")
  var jobs: Int = 1

  @Option(help: "Seconds one case of a plug-in walker may take before its process is killed.")
  var timeout: Double = 30

  func validate() throws {
    guard jobs >= 1 else { throw ValidationError("--jobs takes a count of 1 or more") }
    guard timeout > 0 else { throw ValidationError("--timeout takes a positive number of seconds") }
  }

  /// The stdio walkers, each started and asked who it is.
  func commandWalkers() throws -> [any Walker] {
    try walkerCommands.map { command in
      do {
        return try StdioWalker(command: command, timeout: timeout)
      } catch {
        throw ValidationError("\(error)")
      }
    }
  }
}

extension TargetOptions {
  /// Whether a `--walker` value names a shared object rather than a built-in walker.
  static func isSharedObject(_ name: String) -> Bool {
    name.hasSuffix(".so") || name.contains(".so.") || name.contains("/")
  }

  /// The shared objects named with `--walker`.
  var sharedObjectPaths: [String] { walkerNames.filter(Self.isSharedObject) }
}

extension Run {
  /// Runs the built-in and stdio walkers in this process and every shared
  /// object in workers, into one set of sinks.
  func execute(_ runner: Runner, set: SpecSet, options: RunOptions, into sink: any VerdictSink) throws -> Tally {
    let paths = targets.sharedObjectPaths
    guard !paths.isEmpty else { return try runner.run(into: sink) }
    let supervisors = paths.map { path in
      WorkerSupervisor(
        launch: WorkerLaunch(
          executable: WorkerExecutable.path, pluginPath: path, runArguments: workerRunArguments(options),
          caseTimeout: plugins.timeout))
    }
    let descriptors = try supervisors.map { supervisor in
      do { return try supervisor.describe() } catch { throw PluginLoadFailure(message: "\(error)") }
    }

    let clock = ContinuousClock()
    let began = clock.now
    let shared = SharedRunSink(sink)
    shared.start(
      RunInfo(
        toolVersion: options.toolVersion, seed: options.seed, specPaths: set.files.map(\.path),
        walkers: runner.walkers.map(\.descriptor.name) + descriptors.map(\.name),
        arches: runner.arches.map(\.name), startTime: options.startTime, hostname: options.hostname))
    if !runner.walkers.isEmpty { try runner.run(into: shared.part()) }
    let suites = set.files.map(\.suiteName).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
    let sourcesByRule = Dictionary(
      set.rules.map { rule in
        (
          rule.id.value,
          rule.clauses.compactMap { clause -> String? in
            if case .source(let s) = clause.kind { s.value.description } else { nil }
          }
        )
      }, uniquingKeysWith: { first, _ in first })
    for (supervisor, descriptor) in zip(supervisors, descriptors) {
      supervisor.run(
        descriptor: descriptor, suites: suites, jobs: plugins.jobs, seed: options.seed,
        sources: { sourcesByRule[$0] ?? [] }, into: shared)
    }
    let elapsed = clock.now - began
    return try shared.finish(
      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
  }

  /// What a worker needs to run the same cases: spec paths and filters.
  func workerRunArguments(_ options: RunOptions) -> [String] {
    var arguments = specs.specPaths
    if let contract = specs.contract { arguments += ["--contract", contract] }
    for arch in targets.archNames { arguments += ["--arch", arch] }
    if let kernel = targets.kernel { arguments += ["--kernel", kernel] }
    arguments += ["--seed", String(seed)]
    for rule in rules { arguments += ["--rule", rule] }
    for tag in tags { arguments += ["--tag", tag] }
    for name in cases { arguments += ["--case", name] }
    if let bound = races.raceBound { arguments += ["--race-bound", String(bound)] }
    arguments += ["--race-random", String(races.raceRandom)]
    if let shard = options.shard { arguments += ["--shard", shard.description] }
    return arguments
  }
}

/// A shared object that cannot be used: the run stops before it starts.
struct PluginLoadFailure: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}

/// The running `pfnspec` executable, which workers run again.
enum WorkerExecutable {
  static var path: String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if count > 0 { return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
    return CommandLine.arguments[0]
  }
}

/// The hidden worker mode: loads one shared object and runs cases for the
/// parent, streaming events on the channel.
struct Worker: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a shared-object walker's cases for a parent pfnspec (internal).",
    shouldDisplay: false)

  @Option(help: "The shared object.")
  var plugin: String

  @Flag(help: "Only say who the walker is.")
  var describe = false

  @OptionGroup var specs: SpecOptions
  @OptionGroup var targets: TargetOptions
  @OptionGroup var races: RaceOptions

  @Option var seed: UInt64 = 0
  @Option(name: .customLong("rule")) var rules: [String] = []
  @Option(name: .customLong("tag")) var tags: [String] = []
  @Option(name: .customLong("case")) var cases: [String] = []
  @Option(name: .customLong("suite"), help: "Run only this suite (repeatable).") var suites: [String] = []
  @Option(help: "Where to pick the run up (JSON of a ResumePoint).") var resume: String?
  @Option var shard: String?
  @Flag(help: "Report the race explorer's case and schedule counts before 'done'.") var countSchedules = false

  func run() throws {
    WorkerProcess.installCrashReporter()
    let channel = WorkerChannel.takeStandardOutput()
    let walker: SharedObjectWalker
    do {
      walker = try SharedObjectWalker(path: plugin)
    } catch {
      channel.send(.fatal("\(error)"))
      throw ExitCode(3)
    }
    if describe {
      channel.send(.hello(walker.descriptor))
      return
    }
    var options = RunOptions()
    do {
      let set = try specs.load()
      options.seed = seed
      options.release = try targets.release()
      options.rules = Set(rules)
      options.tags = Set(tags)
      options.cases = Set(cases)
      try races.apply(to: &options)
      if let shard { options.shard = Shard(oneBased: shard).flatMap { $0.count > 1 ? $0 : nil } }
      if let resume {
        options.resume = try JSONDecoder().decode(ResumePoint.self, from: Data(resume.utf8))
      }
      options.caseWillRun = { channel.send(.begin($0)) }
      let files = suites.isEmpty ? set.files : set.files.filter { suites.contains($0.suiteName) }
      let totals = ExplorationTotals()
      if countSchedules { options.explorationTotals = totals }
      let runner = Runner(
        files: files, sources: set.sources, walkers: [walker], arches: try targets.arches(), options: options)
      try runner.run(
        into: WorkerEventSink(channel: channel) {
          if countSchedules { channel.send(.explored(cases: totals.cases, schedules: totals.schedules)) }
        })
    } catch {
      channel.send(.fatal("the worker cannot run: \(error)"))
      throw ExitCode(3)
    }
  }
}

/// Prints the compiler flags a walker plug-in needs, like `llvm-config --cflags`.
struct Cflags: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print the compiler flags for building a walker plug-in against pfnspec's headers.",
    discussion: """
      cc -shared -fPIC $(pfnspec cflags) my_walker.c -o libmy_walker.so
      pfnspec run --walker ./libmy_walker.so

      The headers are pfnspec_walker.h (the ABI) and pfnspec_kernel.h (the kernel's names on top \
      of it); see docs/walkers.md. They are looked for in $PFNSPEC_INCLUDE_DIR, beside the \
      executable (../include/pfnspec) and in the package checkout it was built in.
      """)

  @Flag(help: "Print only the include directory.")
  var includeDir = false

  @Flag(help: "Add the flags for linking a shared object (-shared -fPIC).")
  var ldflags = false

  func run() throws {
    guard let directory = HeaderLocator.includeDirectory() else {
      throw ValidationError(
        "cannot find pfnspec_walker.h; set PFNSPEC_INCLUDE_DIR to the folder that holds it "
          + "(Sources/CPfnWalker/include in the pfnspec package)")
    }
    if includeDir {
      print(directory)
    } else {
      print((["-I" + directory, "-std=gnu11"] + (ldflags ? ["-shared", "-fPIC"] : [])).joined(separator: " "))
    }
  }
}

/// Finds the plug-in headers for `pfnspec cflags`.
enum HeaderLocator {
  static let header = "pfnspec_walker.h"

  static func includeDirectory(
    environment: [String: String] = ProcessInfo.processInfo.environment, executable: String = WorkerExecutable.path,
    currentDirectory: String = FileManager.default.currentDirectoryPath
  ) -> String? {
    var candidates: [String] = []
    if let explicit = environment["PFNSPEC_INCLUDE_DIR"] { candidates.append(explicit) }
    let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
    candidates.append(binary.appendingPathComponent("../include/pfnspec").standardized.path)
    // A build folder inside a checkout: walk up to the package.
    var folder = binary
    for _ in 0..<6 {
      candidates.append(folder.appendingPathComponent("Sources/CPfnWalker/include").path)
      folder = folder.deletingLastPathComponent()
    }
    candidates.append(currentDirectory + "/Sources/CPfnWalker/include")
    return candidates.first { FileManager.default.fileExists(atPath: $0 + "/" + header) }
  }
}

/// What `pfnspec list walkers` says after the built-in walkers.
enum PluginHelp {
  static var walkersListing: String {
    var lines = [
      "",
      "Walkers from outside (see docs/walkers.md and docs/protocol.md):",
      "  --walker PATH.so       a shared object built against the walker ABI, run in worker processes",
      "                         (--jobs N workers, --timeout S seconds per case); build one with",
      "                         cc -shared -fPIC $(pfnspec cflags) my_walker.c -o libmy_walker.so",
      "  --walker-cmd 'COMMAND' a program in any language that speaks the stdio walker protocol",
    ]
    let folder = URL(fileURLWithPath: WorkerExecutable.path).deletingLastPathComponent().path
    let built = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
      .filter { $0.hasPrefix("libPfnExample") && $0.hasSuffix(".so") }.sorted()
    if !built.isEmpty {
      lines.append("Shared objects this package built (the C example and its mutants):")
      lines += built.map { "  " + folder + "/" + $0 }
    }
    return lines.joined(separator: "\n")
  }
}
