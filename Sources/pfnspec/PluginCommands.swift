import ArgumentParser
import Foundation
import PfnModel
import PfnPlugins
import PfnResults
import PfnRun
import PfnSpecLanguage
import PfnSpecRunner
import PfnWalkers

/// Walkers from outside: shared objects (through `--walker PATH.so`) and
/// programs that speak the stdio protocol (`--walker-cmd`).
struct PluginRunOptions: ParsableArguments {
  @Option(
    name: .customLong(RunFlag.long(RunFlag.walkerCommand)),
    help: ArgumentHelp(
      "A command that speaks the stdio walker protocol (repeatable; see docs/protocol.md).",
      valueName: "command"))
  var walkerCommands: [String] = []

  @Option(
    help: ArgumentHelp(
      "Threads for built-in walkers and callers, and worker processes per shared-object walker.",
      discussion: "Built-in cases are shared out costliest first; reports list them in the same order at any count."))
  var jobs: Int = 1

  /// The values `--timeout` takes, in seconds.
  static let timeoutRange = 0.1...86_400.0

  @Option(help: "Seconds one case of a plug-in walker may take before its process is killed (0.1 to 86400).")
  var timeout: Double = 30

  @Option(
    help: ArgumentHelp(
      "Stop starting plug-in cases once this many have ended in an error (a crash, a hang, an exit, garbage).",
      discussion:
        "Counted across every worker and plug-in of the run: the part that reaches the limit stops, every other part stops before its next case, and each ends with one error verdict that says so."))
  var maxErrors: Int?

  @Flag(
    help: ArgumentHelp(
      "Run every case of a plug-in even when its first \(WorkerLaunch.defaultIdenticalDeaths) cases all died the same way.",
      discussion: "By default such a part stops with one error verdict that names the death, instead of thousands of identical errors."))
  var keepGoing = false

  @Option(help: "Address space of each plug-in worker in MiB (RLIMIT_AS; 0: no limit).")
  var workerMemory: UInt64 = (WorkerLimits().addressSpaceBytes ?? 0) >> 20

  @Option(help: "CPU seconds of each plug-in worker (RLIMIT_CPU; 0: no limit).")
  var workerCpu: UInt64 = WorkerLimits().cpuSeconds ?? 0

  @Option(help: "Open files of each plug-in worker (RLIMIT_NOFILE; 0: no limit).")
  var workerFiles: UInt64 = WorkerLimits().openFiles ?? 0

  @Option(
    help: ArgumentHelp(
      "Processes of the user, as each plug-in worker may count them (RLIMIT_NPROC; 0: no limit, the default).",
      discussion: "The kernel counts every process of the user, not only the worker's: set it above what the user runs."))
  var workerProcesses: UInt64 = 0

  /// The worker limits these flags give.
  var workerLimits: WorkerLimits {
    var limits = WorkerLimits()
    limits.addressSpaceBytes = workerMemory == 0 ? nil : workerMemory << 20
    limits.cpuSeconds = workerCpu == 0 ? nil : workerCpu
    limits.openFiles = workerFiles == 0 ? nil : workerFiles
    limits.processes = workerProcesses == 0 ? nil : workerProcesses
    return limits
  }

  func validate() throws {
    guard jobs >= 1, jobs <= 1024 else { throw ValidationError("--jobs takes a count from 1 to 1024") }
    guard timeout.isFinite, Self.timeoutRange.contains(timeout) else {
      throw ValidationError("--timeout takes a finite number of seconds from 0.1 to 86400")
    }
    if let maxErrors, maxErrors < 1 { throw ValidationError("--max-errors takes a count of 1 or more") }
  }
}

/// The running `pfnspec` executable, which workers run again.
enum WorkerExecutable {
  static var path: String { SpecRun.currentExecutable }
}

/// The hidden worker mode: loads one shared object and runs cases for the
/// parent, streaming events on the channel (``WorkerMain`` in PfnRun).
struct Worker: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run a shared-object walker's cases for a parent pfnspec (internal).",
    shouldDisplay: false)

  @Argument(parsing: .captureForPassthrough, help: "--plugin PATH, then the run's worker arguments.")
  var arguments: [String] = []

  func run() throws {
    let status = WorkerMain.run(arguments: arguments)
    if status != 0 { throw ExitCode(status) }
  }
}

/// Prints the compiler flags a walker plug-in needs, like `llvm-config --cflags`.
struct Cflags: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Print the compiler flags for building a walker or caller plug-in against pfnspec's headers.",
    discussion: """
      cc -shared -fPIC $(pfnspec cflags) my_walker.c -o libmy_walker.so
      pfnspec run --walker ./libmy_walker.so

      The headers are pfnspec_walker.h (the ABI) and pfnspec_kernel.h (the kernel's names on top \
      of it); see docs/walkers.md. They are looked for in $PFNSPEC_INCLUDE_DIR, beside the \
      executable (../include/pfnspec, where make install puts them) and in the package checkout \
      it was built from.
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
    currentDirectory: String = FileManager.default.currentDirectoryPath,
    sourceTree: String? = ShippedFiles.builtFrom
  ) -> String? {
    var candidates: [String] = []
    if let explicit = environment["PFNSPEC_INCLUDE_DIR"] { candidates.append(explicit) }
    let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
    // The install layout, then the checkout this binary was built from.
    candidates += ShippedFiles(executableFolder: binary.path, sourceTree: sourceTree).includeCandidates
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
