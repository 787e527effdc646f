import Foundation
import PfnTestSupport
import Testing

/// The shards of a run that mixes walkers of every kind merge into the
/// unsharded report byte for byte: each walker's (and caller's) suites keep
/// their own identity in the shard metadata.
@Suite("merging the shards of mixed runs", .serialized)
struct MixedMergeTests {
  static let stdioWalker = "python3 Tests/PfnPluginsTests/Walkers/reference_walker.py"

  /// Built-in walker kinds (a reference and a mutant that fails), shared objects
  /// (the C example and one that crashes its worker), a stdio walker, callers.
  static let mixes: [(name: String, arguments: [String])] = [
    ("built-in + .so", ["--walker", "reference", "--walker", sharedObject("PfnExampleWalker")]),
    ("built-in + --walker-cmd", ["--walker", "reference", "--walker-cmd", stdioWalker]),
    ("every kind, a crashing .so among them", [
      "--walker", "reference", "--walker", "mutant:ignore-huge-offset", "--walker", sharedObject("PfnExampleWalker"),
      "--walker", sharedObject("PfnFaultNullDeref"), "--walker-cmd", stdioWalker,
    ]),
    ("callers in-process and in workers", [
      "--walker", "reference", "--walker", sharedObject("PfnExampleWalker"), "--caller", "kvm-like",
      "--caller", "end-then-use", "--caller", sharedObject("PfnCallerKVMLike"),
    ]),
  ]

  func run(_ arguments: [String], junit: String) throws -> Int32 {
    let result = try runProcess(
      pfnspecExecutable,
      ["run"] + arguments + [
        "--arch", "x86_64", "--arch", "arm64-4k-48", "--rule", "LT-001", "--rule", "HG-002", "--rule", "AR-001",
        "--rule", "CL-001", "--rule", "CL-002", "--deterministic", "--quiet", "--color", "never", "--timeout", "5",
        "--junit", junit,
      ])
    return result.status
  }

  @Test("shards of a mixed run merge into the unsharded report byte for byte, at --jobs 1 and 2", arguments: [0, 1, 2, 3])
  func mixedMergeEqualsUnsharded(mix: Int) throws {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let arguments = Self.mixes[mix].arguments
    var wholes: [Data] = []
    for jobs in ["1", "2"] {
      let whole = "\(directory)/whole-\(jobs).xml"
      let status = try run(arguments + ["--jobs", jobs], junit: whole)
      #expect(status == 0 || status == 1)
      var shards: [String] = []
      for index in 1...2 {
        shards.append("\(directory)/shard\(index)-\(jobs).xml")
        _ = try run(arguments + ["--jobs", jobs, "--shard", "\(index)/2"], junit: shards.last!)
      }
      let merged = "\(directory)/merged-\(jobs).xml"
      let merge = try runProcess(pfnspecExecutable, ["merge"] + shards.reversed() + ["-o", merged])
      #expect(merge.status == status, "\(merge.output)\(merge.error)")
      let wholeBytes = try Data(contentsOf: URL(fileURLWithPath: whole))
      let mergedBytes = try Data(contentsOf: URL(fileURLWithPath: merged))
      #expect(mergedBytes == wholeBytes, "\(Self.mixes[mix].name), --jobs \(jobs)")
      // Every walker's suites stay apart: as many suites as the unsharded run has.
      let suites = { (data: Data) in String(decoding: data, as: UTF8.self).components(separatedBy: "<testsuite ").count - 1 }
      #expect(suites(mergedBytes) == suites(wholeBytes))
      wholes.append(wholeBytes)
    }
    #expect(wholes[0] == wholes[1], "--deterministic gives the same bytes at any --jobs")
  }

  @Test("merge refuses duplicate shards, mixed splits, empty input and entity declarations with exit 2")
  func refusals() throws {
    let directory = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let arguments = ["--walker", "reference", "--walker", "mutant:ignore-huge-offset"]
    _ = try run(arguments + ["--shard", "1/2"], junit: "\(directory)/a.xml")
    _ = try run(arguments + ["--shard", "1/3"], junit: "\(directory)/b.xml")
    try FileManager.default.copyItem(atPath: "\(directory)/a.xml", toPath: "\(directory)/a-copy.xml")
    func merge(_ inputs: [String]) throws -> CommandResult {
      try runProcess(pfnspecExecutable, ["merge"] + inputs + ["-o", "\(directory)/out.xml"])
    }
    let duplicate = try merge(["\(directory)/a.xml", "\(directory)/a-copy.xml"])
    #expect(duplicate.status == 2 && duplicate.error.contains("shard 1/2 is given twice"), "\(duplicate.error)")
    let mixed = try merge(["\(directory)/a.xml", "\(directory)/b.xml"])
    #expect(mixed.status == 2 && mixed.error.contains("a shard of 2") && mixed.error.contains("a shard of 3"), "\(mixed.error)")
    try FileManager.default.createDirectory(atPath: "\(directory)/empty", withIntermediateDirectories: true)
    let empty = try merge(["\(directory)/empty"])
    #expect(empty.status == 2 && empty.error.contains("holds no TEST-*.xml"), "\(empty.error)")
    let nothing = try merge([])
    #expect(nothing.status == 2 && nothing.error.contains("no report to merge"), "\(nothing.error)")
    let laughs = """
      <?xml version="1.0"?>
      <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
      <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]>
      <testsuites><testsuite name="x"><testcase name="&lol2;"/></testsuite></testsuites>
      """
    try laughs.write(toFile: "\(directory)/laughs.xml", atomically: true, encoding: .utf8)
    let entities = try merge(["\(directory)/laughs.xml"])
    #expect(entities.status == 2 && entities.error.contains("<!DOCTYPE>"), "\(entities.error)")
    #expect(!FileManager.default.fileExists(atPath: "\(directory)/out.xml"), "no refused merge writes a report")
  }
}
