import Foundation
import PfnRun
import PfnTestSupport
import Testing

/// The shipped files are found beside the executable (the layout of `make
/// install`), then in the checkout it was built from, with no environment.
@Suite("install layout and shipped files")
struct InstallLayoutTests {
  /// A prefix laid out as `make install` lays it out, with one rule file (so
  /// that a run shows it read the prefix's rules, not the checkout's) and,
  /// when asked, a copy of this build's `pfnspec` in `bin/`.
  static func makePrefix(withExecutable: Bool = false) throws -> String {
    let prefix = makeTemporaryDirectory(prefix: "pfnspec-prefix")
    let files = FileManager.default
    for folder in ["bin", "share/pfnspec/Specs", "share/pfnspec/docs", "include/pfnspec/linux"] {
      try files.createDirectory(atPath: prefix + "/" + folder, withIntermediateDirectories: true)
    }
    try files.copyItem(atPath: packageRoot + "/Specs/lifetime.pfnspec", toPath: prefix + "/share/pfnspec/Specs/lifetime.pfnspec")
    try files.copyItem(atPath: packageRoot + "/docs/contract.md", toPath: prefix + "/share/pfnspec/docs/contract.md")
    let headers = packageRoot + "/Sources/CPfnWalker/include"
    for header in try files.subpathsOfDirectory(atPath: headers) where header.hasSuffix(".h") {
      let target = prefix + "/include/pfnspec/" + header
      try files.createDirectory(
        atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try files.copyItem(atPath: headers + "/" + header, toPath: target)
    }
    if withExecutable {
      // A hard link is enough where it can be made: the executable's path is the link's.
      if link(pfnspecExecutable, prefix + "/bin/pfnspec") != 0 {
        try files.copyItem(atPath: pfnspecExecutable, toPath: prefix + "/bin/pfnspec")
      }
    }
    return prefix
  }

  @Test("the install layout beside the executable comes first")
  func installLayout() throws {
    let prefix = try Self.makePrefix()
    defer { try? FileManager.default.removeItem(atPath: prefix) }
    let shipped = ShippedFiles(executableFolder: prefix + "/bin", sourceTree: packageRoot)
    #expect(shipped.specsFolder == prefix + "/share/pfnspec/Specs")
    #expect(shipped.contractDocument == prefix + "/share/pfnspec/docs/contract.md")
    #expect(shipped.includeDirectory == prefix + "/include/pfnspec")
  }

  @Test("without an install layout, the checkout the binary was built from; without either, nothing")
  func sourceTreeFallback() throws {
    let empty = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: empty) }
    let built = ShippedFiles(executableFolder: empty + "/bin", sourceTree: packageRoot)
    #expect(built.specsFolder == packageRoot + "/Specs")
    #expect(built.contractDocument == packageRoot + "/docs/contract.md")
    #expect(built.includeDirectory == packageRoot + "/Sources/CPfnWalker/include")
    #expect(ShippedFiles.builtFrom == packageRoot)
    let nowhere = ShippedFiles(executableFolder: empty + "/bin", sourceTree: empty + "/moved-away")
    #expect(nowhere.specsFolder == nil && nowhere.contractDocument == nil && nowhere.includeDirectory == nil)
  }

  @Test("a run that names no specs takes Specs/ here when it holds rules, else the shipped rules")
  func defaultSpecPaths() throws {
    let prefix = try Self.makePrefix()
    let here = makeTemporaryDirectory()
    defer {
      try? FileManager.default.removeItem(atPath: prefix)
      try? FileManager.default.removeItem(atPath: here)
    }
    let shipped = ShippedFiles(executableFolder: prefix + "/bin", sourceTree: nil)
    #expect(shipped.defaultSpecPaths(currentDirectory: here) == [prefix + "/share/pfnspec/Specs"])
    // A Specs folder of another kind (a test framework's) is not taken for rules.
    try FileManager.default.createDirectory(atPath: here + "/Specs", withIntermediateDirectories: true)
    try "".write(toFile: here + "/Specs/LoginSpec.swift", atomically: true, encoding: .utf8)
    #expect(shipped.defaultSpecPaths(currentDirectory: here) == [prefix + "/share/pfnspec/Specs"])
    try "".write(toFile: here + "/Specs/mine.pfnspec", atomically: true, encoding: .utf8)
    #expect(shipped.defaultSpecPaths(currentDirectory: here) == ["Specs"])
    let lost = ShippedFiles(executableFolder: here + "/elsewhere", sourceTree: nil)
    #expect(lost.defaultSpecPaths(currentDirectory: prefix) == ["Specs"], "reported missing as Specs")
  }

  @Test("an installed pfnspec run from an empty folder finds its rules, contract and headers")
  func installedExecutable() throws {
    let prefix = try Self.makePrefix(withExecutable: true)
    let empty = makeTemporaryDirectory()
    defer {
      try? FileManager.default.removeItem(atPath: prefix)
      try? FileManager.default.removeItem(atPath: empty)
    }
    let installed = prefix + "/bin/pfnspec"
    // Only the prefix's one rule file is listed: the rules came from share/pfnspec.
    let rules = try runProcess(installed, ["list", "rules"], in: empty)
    #expect(rules.status == 0, "\(rules.error)")
    #expect(rules.output.contains(prefix + "/share/pfnspec/Specs/lifetime.pfnspec"), "\(rules.output)")
    #expect(!rules.output.contains("locking.pfnspec"), "\(rules.output)")
    let run = try runProcess(installed, ["run", "--arch", "x86_64", "--quiet", "--color", "never"], in: empty)
    #expect(run.status == 0, "\(run.output)\(run.error)")
    #expect(run.output.contains(" passed, 0 failed"), "\(run.output)")
    let cflags = try runProcess(installed, ["cflags", "--include-dir"], in: empty)
    #expect(cflags.output == prefix + "/include/pfnspec\n", "\(cflags.output)\(cflags.error)")
    // A symbolic link elsewhere (~/bin/pfnspec) leads to the same prefix.
    try FileManager.default.createSymbolicLink(atPath: empty + "/pfnspec-link", withDestinationPath: installed)
    let linked = try runProcess(empty + "/pfnspec-link", ["cflags"], in: empty)
    #expect(linked.output.hasPrefix("-I" + prefix + "/include/pfnspec "), "\(linked.output)\(linked.error)")
    // check knows the contract's clauses, so a clause that does not exist is an error.
    try FileManager.default.createDirectory(atPath: empty + "/mine", withIntermediateDirectories: true)
    try """
    suite mine "one rule"
    rule MY-001 "a clause that does not exist"
      source contract#C999
      given leaf at pmd pfn 0x200
      call start(vma.start)
      expect result == 0
    """.write(toFile: empty + "/mine/mine.pfnspec", atomically: true, encoding: .utf8)
    let check = try runProcess(installed, ["check", "mine", "--color", "never"], in: empty)
    #expect(check.status == 2, "\(check.output)\(check.error)")
    #expect((check.output + check.error).contains("C999"), "\(check.output)\(check.error)")
  }

  @Test("a copied binary without an install layout falls back on the checkout it was built from")
  func copiedExecutable() throws {
    let folder = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    if link(pfnspecExecutable, folder + "/pfnspec") != 0 {
      try FileManager.default.copyItem(atPath: pfnspecExecutable, toPath: folder + "/pfnspec")
    }
    let cflags = try runProcess(folder + "/pfnspec", ["cflags", "--include-dir"], in: folder)
    #expect(cflags.output == packageRoot + "/Sources/CPfnWalker/include\n", "\(cflags.output)\(cflags.error)")
    let rules = try runProcess(folder + "/pfnspec", ["list", "rules"], in: folder)
    #expect(rules.output.contains(packageRoot + "/Specs/locking.pfnspec"), "\(rules.error)")
  }
}
