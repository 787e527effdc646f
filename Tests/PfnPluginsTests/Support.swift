import Foundation
import PfnModel
import PfnTestSupport
import PfnPlugins
import PfnRun
import PfnResults
import PfnSpecLanguage
import PfnSpecRunner
import PfnWalkers

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
  let arguments = workerArguments(arches: arches, rules: rules)
  return try runSupervised(
    WorkerLaunch(executable: pfnspecExecutable, pluginPath: path, runArguments: arguments, caseTimeout: timeout),
    jobs: jobs)
}

/// The shipped specs and contract at seed 0, narrowed to `arches` and `rules`.
func workerArguments(arches: [String] = [], rules: [String] = []) -> [String] {
  var arguments = [packageRoot + "/Specs", "--contract", packageRoot + "/docs/contract.md", "--seed", "0"]
  for arch in arches { arguments += ["--arch", arch] }
  for rule in rules { arguments += ["--rule", rule] }
  return arguments
}

/// Runs `launch` under a supervisor over the shipped suites and collects the
/// verdicts; with `planned`, verdicts are counted against the parent's plan.
func runSupervised(_ launch: WorkerLaunch, jobs: Int, planned: Bool = true) throws -> [Verdict] {
  let supervisor = WorkerSupervisor(launch: launch)
  let descriptor = try supervisor.describe()
  let sink = CollectingSink()
  let shared = SharedRunSink(sink)
  supervisor.run(
    descriptor: descriptor, suites: shippedSuites, jobs: jobs, seed: 0, sources: { _ in [] },
    plan: planned ? try SpecRun.plannedCases(of: descriptor, workerArguments: launch.runArguments) : nil, into: shared)
  _ = try shared.finish(seconds: 0)
  return sink.verdicts
}

/// Outcomes by case name and suite/architecture, with the walker left out.
func outcomes(_ verdicts: [Verdict]) -> [String: Outcome] {
  Dictionary(
    verdicts.map { ("\($0.identity.key.suite)/\($0.identity.key.arch) \($0.identity.caseName)", $0.outcome) },
    uniquingKeysWith: { first, _ in first })
}

/// Runs `pfnspec` with arguments, from the package root.
func runPfnspec(_ arguments: [String]) throws -> CommandResult {
  try runProcess(pfnspecExecutable, arguments)
}
