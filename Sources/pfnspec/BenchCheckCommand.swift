import ArgumentParser
import Foundation
import PfnRun
import PfnSpecLanguage
import PfnSupport

/// `pfnspec bench check`: how `check` copes with hostile spec files of a
/// given size, each kind in a process of its own so that its peak memory is
/// its own. The baseline is a well-formed file of the same size (distinct,
/// valid rules); every kind's CPU time is also given as a ratio to it. CPU
/// seconds (user and system, of loading, checking and rendering only) are the
/// figure to compare: on a shared machine the wall-clock time also counts the
/// other processes' turns.
struct BenchCheck: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Time and peak memory of 'check' on hostile spec files (16 MB by default), against a well-formed file.")

  @Option(help: "The size of each generated file, in MiB.")
  var size = 16

  @Option(help: "Measure one kind in this process and print its figures (used by the command itself).")
  var only: String?

  /// The kinds of input, each a generator of about `bytes` bytes.
  static let kinds: [(name: String, make: @Sendable (Int) -> [UInt8])] = {
    let head = Array("suite s \"t\"\nrule A-001 \"t\"\n  source contract#C1\n  call start(1)\n".utf8)
    @Sendable func expect(_ body: [UInt8]) -> [UInt8] { head + Array("  expect ".utf8) + body + [0x0A] }
    @Sendable func repeated(_ text: String, _ bytes: Int) -> [UInt8] {
      // Built in place: an array of arrays would put its own peak into the figures.
      let unit = Array(text.utf8)
      var out: [UInt8] = []
      out.reserveCapacity(max(1, bytes / unit.count) * unit.count)
      for _ in 0..<max(1, bytes / unit.count) { out += unit }
      return out
    }
    let rule = "rule A-001 \"t\"\n  source contract#C1\n  call start(1)\n  expect result != 0\n  call end()\n"
    return [
      (
        "well-formed rules",
        { bytes in
          var out = Array("suite s \"t\"\n".utf8)
          var index = 0
          while out.count < bytes {
            out += Array("rule A-\(index) \"t\"\n  source contract#C1\n  call start(1)\n  expect result != 0\n".utf8)
            index += 1
          }
          return out
        }
      ),
      ("no-break spaces after expect", { expect(repeated("\u{A0}", $0)) }),
      ("ESC characters", { expect(repeated("\u{1B}", $0)) }),
      ("invalid UTF-8", { expect([UInt8](repeating: 0xFF, count: $0)) }),
      ("one tag repeated", { Array("suite s \"t\"\nrule A-001 \"t\"\n  source contract#C1\n  tags ".utf8) + repeated("a ", $0) }),
      ("distinct unexpected characters", { expect(repeated(" @", $0)) }),
      ("repeated suite lines", { repeated("suite s \"t\"\n", $0) }),
      ("duplicate rule ids", { Array("suite s \"t\"\n".utf8) + repeated(rule, $0) }),
      ("unknown clauses", { Array("suite s \"t\"\nrule A-001 \"t\"\n".utf8) + repeated("  bogus\n", $0) }),
      ("one long name", { expect(repeated("a", $0) + Array(" == 1".utf8)) }),
      ("deep nesting", { expect(repeated("(", $0 / 2) + [0x31] + repeated(")", $0 / 2)) }),
      ("one long operator chain", { expect([0x31] + repeated(" + 1", $0)) }),
    ]
  }()

  func run() throws {
    let bytes = size << 20
    if let only {
      guard let kind = Self.kinds.first(where: { $0.name == only }) else {
        throw ValidationError("no input kind '\(only)'")
      }
      try measure(kind.name, kind.make(bytes))
      return
    }
    print("pfnspec check on generated \(size) MiB spec files, each in its own process")
    print("kind                           CPU seconds   wall seconds   x well-formed   peak MiB   bytes/input byte   diagnostics shown (bytes)")
    var baseline: Double?
    for kind in Self.kinds {
      let figures = try measureInChild(kind.name)
      let ratio = baseline.map { String(format: "%13.2f", figures.cpuSeconds / max($0, 0.001)) } ?? "     baseline"
      if baseline == nil { baseline = figures.cpuSeconds }
      print(
        kind.name.padding(toLength: 32, withPad: " ", startingAt: 0)
          + String(format: "%9.2f", figures.cpuSeconds) + String(format: "%15.2f", figures.seconds) + "   " + ratio
          + String(format: "%11.0f", Double(figures.peakKiB) / 1024)
          + String(format: "%19.1f", Double(figures.peakKiB) * 1024 / Double(size << 20))
          + "   " + String(figures.outputBytes))
    }
  }

  /// User and system CPU time of this process so far, in seconds.
  private static func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    return user + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
  }

  /// Checks `input` as `pfnspec check` would (load, check, render) and prints
  /// `seconds cpu-seconds peak-KiB output-bytes` on one line.
  private func measure(_ name: String, _ input: [UInt8]) throws {
    let directory = NSTemporaryDirectory() + "pfnspec-bench-check-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/input.pfnspec"
    try Data(input).write(to: URL(fileURLWithPath: path))
    var configuration = RunConfiguration()
    configuration.specPaths = [path]
    configuration.contractPath = "docs/contract.md"
    let clock = ContinuousClock()
    let cpuBefore = Self.cpuSeconds()
    let began = clock.now
    let set = try configuration.loadSpecs()
    let text = set.render(color: false)
    let elapsed = clock.now - began
    let cpu = Self.cpuSeconds() - cpuBefore
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    print("\(elapsed.seconds) \(cpu) \(usage.ru_maxrss) \(text.utf8.count)")
  }

  private func measureInChild(_ kind: String) throws -> (
    seconds: Double, cpuSeconds: Double, peakKiB: Int, outputBytes: Int
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
    if !FileManager.default.isExecutableFile(atPath: process.executableURL!.path) {
      process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    }
    process.arguments = ["bench", "check", "--size", String(size), "--only", kind]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let fields = output.split(whereSeparator: \.isWhitespace)
    guard process.terminationStatus == 0, fields.count == 4, let seconds = Double(fields[0]),
      let cpu = Double(fields[1]), let peak = Int(fields[2]), let bytes = Int(fields[3])
    else {
      throw ValidationError("measuring '\(kind)' failed (status \(process.terminationStatus)): \(output.prefix(200))")
    }
    return (seconds, cpu, peak, bytes)
  }
}
