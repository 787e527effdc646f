import Foundation
import PfnModel
import PfnPlugins
import PfnResults
import PfnSpecLanguage
import PfnSpecRunner
import PfnWalkers

/// The package root, from this file's path.
let packageRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)  // Tests/PfnPluginsTests/Support.swift
  return parts.joined(separator: "/")
}()

/// The build's products folder: the test bundle sits beside `pfnspec` and the
/// shared objects the package builds.
let productsDirectory: String = {
  let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
  return executable.deletingLastPathComponent().path
}()

/// A shared object the package builds, by product name (`PfnExampleWalker`).
func sharedObject(_ product: String) -> String { productsDirectory + "/lib\(product).so" }

/// The `pfnspec` executable of this build.
let pfnspecExecutable = productsDirectory + "/pfnspec"

/// The Python port of the reference walker, with an optional fault.
func pythonWalkerCommand(_ fault: String? = nil) -> String {
  let script = packageRoot + "/Tests/PfnPluginsTests/Walkers/reference_walker.py"
  return "python3 '\(script)'" + (fault.map { " " + $0 } ?? "")
}

let shippedSpecs: SpecSet = {
  let contract = (try? String(contentsOfFile: packageRoot + "/docs/contract.md", encoding: .utf8)) ?? ""
  return SpecLoader.load(
    paths: [packageRoot + "/Specs"],
    vocabulary: PfnVocabulary.make(contractAnchors: Set(ContractDocument.anchors(markdown: contract).keys)))
}()

/// The specs' suite names in order.
var shippedSuites: [String] {
  shippedSpecs.files.map(\.suiteName).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
}

/// Runs walkers in this process.
func runInProcess(
  _ walkers: [any Walker], arches: [any Architecture] = Architectures.all, rules: Set<String> = []
) throws -> [Verdict] {
  var options = RunOptions()
  options.rules = rules
  let sink = CollectingSink()
  try Runner(
    files: shippedSpecs.files, sources: shippedSpecs.sources, walkers: walkers, arches: arches, options: options
  ).run(into: sink)
  return sink.verdicts
}

/// Runs a shared object in workers, as `pfnspec run --walker PATH.so` does.
func runInWorkers(
  _ path: String, arches: [String] = [], rules: [String] = [], timeout: Double = 30, jobs: Int = 1
) throws -> [Verdict] {
  var arguments = [packageRoot + "/Specs", "--contract", packageRoot + "/docs/contract.md", "--seed", "0"]
  for arch in arches { arguments += ["--arch", arch] }
  for rule in rules { arguments += ["--rule", rule] }
  let supervisor = WorkerSupervisor(
    launch: WorkerLaunch(
      executable: pfnspecExecutable, pluginPath: path, runArguments: arguments, caseTimeout: timeout))
  let descriptor = try supervisor.describe()
  let sink = CollectingSink()
  let shared = SharedRunSink(sink)
  supervisor.run(descriptor: descriptor, suites: shippedSuites, jobs: jobs, seed: 0, sources: { _ in [] }, into: shared)
  _ = try shared.finish(seconds: 0)
  return sink.verdicts
}

/// Outcomes by case name and suite/architecture, with the walker left out.
func outcomes(_ verdicts: [Verdict]) -> [String: Outcome] {
  Dictionary(
    verdicts.map { ("\($0.identity.key.suite)/\($0.identity.key.arch) \($0.identity.caseName)", $0.outcome) },
    uniquingKeysWith: { first, _ in first })
}

/// The result of running a command.
struct CommandResult {
  var status: Int32
  var output: String
  var error: String
}

/// Runs `pfnspec` with arguments, from the package root.
func runPfnspec(_ arguments: [String]) throws -> CommandResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: pfnspecExecutable)
  process.arguments = arguments
  process.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
  var environment = ProcessInfo.processInfo.environment
  environment["SWIFT_BACKTRACE"] = "enable=no"
  process.environment = environment
  let output = Pipe()
  process.standardOutput = output
  // Standard error goes to a file so that neither pipe can fill up and block the child.
  let errorPath = makeTemporaryDirectory() + "/stderr"
  _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
  process.standardError = FileHandle(forWritingAtPath: errorPath)
  try process.run()
  let outputText = output.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let errorText = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
  return CommandResult(
    status: process.terminationStatus, output: String(decoding: outputText, as: UTF8.self), error: errorText)
}

/// A fresh temporary folder.
func makeTemporaryDirectory() -> String {
  let path = NSTemporaryDirectory() + "pfnspec-plugin-tests-" + UUID().uuidString
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}
