import ArgumentParser

/// Benchmarks that print figures; speed targets are measured here, never in tests.
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Measure pfnspec's own speed.",
    subcommands: [BenchExplore.self, BenchSuite.self, BenchReport.self, BenchPlugin.self, BenchCheck.self])
}
