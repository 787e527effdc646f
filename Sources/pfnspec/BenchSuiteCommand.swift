import ArgumentParser
import Foundation
import PfnResults
import PfnRun

/// `pfnspec bench suite`: the whole shipped suite for the reference walker on
/// every architecture, as `pfnspec run --walker reference` runs it, at each
/// race bound, with one job and with more, so the speed-up of `--jobs` shows.
struct BenchSuite: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "suite",
    abstract: "Time the whole shipped suite at several race bounds, with one job and with several.")

  @Option(help: "Spec files or folders (default: Specs/).")
  var specPaths: [String] = []

  @Option(parsing: .upToNextOption, help: "Race bounds to time.")
  var bounds: [Int] = [2, 3, 4]

  @Option(parsing: .upToNextOption, help: "Job counts to time at each bound.")
  var jobs: [Int] = [1, 2]

  @Option(name: .customLong("repeat"), help: "Repetitions; the figures are from the fastest.")
  var repetitions: Int = 1

  func validate() throws {
    guard bounds.allSatisfy({ (0...6).contains($0) }) else { throw ValidationError("--bounds take 0 to 6") }
    guard jobs.allSatisfy({ (1...1024).contains($0) }) else { throw ValidationError("--jobs take 1 to 1024") }
  }

  /// Unbuffered: a bound-4 run takes a while, so each line shows as it is measured.
  func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

  /// Wall-clock seconds the whole suite should take per race bound on two cores.
  static let targets: [Int: Double] = [2: 0.5, 3: 2, 4: 15]

  func run() throws {
    emit("pfnspec bench suite: every spec, reference walker, every architecture, as `pfnspec run --walker reference --race-bound B --jobs J` runs them")
    emit("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; fastest of \(max(1, repetitions)) run(s); load: 1-minute load average before each run (other work on the machine slows the jobs that share its cores)")
    var loading = RunConfiguration()
    loading.specPaths = specPaths
    let specs = try SpecOptions.load(loading, color: .never)
    for bound in bounds {
      var first: (seconds: Double, verdicts: [String])?
      for jobCount in jobs {
        var best: (seconds: Double, cpu: Double, load: String, tally: Tally, verdicts: [String])?
        for _ in 0..<max(1, repetitions) {
          var configuration = RunConfiguration()
          configuration.specPaths = specPaths
          configuration.walkers = ["reference"]
          configuration.raceBound = bound
          configuration.jobs = jobCount
          configuration.deterministic = true
          let sink = CollectingSink()
          let load = Self.loadAverage()
          let clock = ContinuousClock()
          let began = clock.now
          let cpuBegan = processCPUSeconds()
          let tally = try SpecRun(configuration: configuration, specs: specs).run(into: sink)
          let seconds = (clock.now - began).seconds
          let cpu = processCPUSeconds() - cpuBegan
          if best == nil || seconds < best!.seconds {
            best = (seconds, cpu, load, tally, sink.verdicts.map(Self.shown))
          }
        }
        guard let best else { continue }
        var line = String(
          format: "bound %d  jobs %d  cases %d (failed %d)  %.3f s  %.3f s CPU", bound, jobCount, best.tally.total,
          best.tally.failed + best.tally.errors, best.seconds, best.cpu)
          + String(format: " (%.2f cores busy)", best.cpu / max(best.seconds, 1e-9)) + "  load \(best.load)"
        if let first {
          line += String(format: "  %.2fx the 1-job time", first.seconds / best.seconds)
          // The pool hands verdicts back in the run's order whatever the job count, and a
          // race case explored in shares reports what one thread reports: its counts included.
          if first.verdicts != best.verdicts { line += "  (VERDICTS DIFFER from jobs \(jobs[0]))" }
        } else {
          first = (best.seconds, best.verdicts)
        }
        // The targets are for the whole suite on this machine's two cores.
        if jobCount == 2, let target = Self.targets[bound] {
          line += String(format: "  target under %.1f s: %@", target, best.seconds < target ? "met" : "not met")
        }
        emit(line)
      }
    }
  }

  /// What a report shows of a verdict that one job and several must agree on.
  static func shown(_ verdict: Verdict) -> String {
    let exploration = verdict.story.exploration.map {
      "\($0.schedules) \($0.distinctStates) \($0.random) \($0.truncated)"
    }
    return "\(verdict.identity.key) \(verdict.identity.caseName) \(verdict.outcome) \(exploration ?? "-") \(verdict.replay?.token ?? "-")"
  }

  /// The 1-minute load average (`/proc/loadavg`), or `?` where there is none.
  static func loadAverage() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8),
      let first = text.split(separator: " ").first
    else { return "?" }
    return String(first)
  }
}
