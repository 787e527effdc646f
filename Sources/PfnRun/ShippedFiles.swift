import Foundation

/// Where the files pfnspec ships are found: the rules (`Specs`), the contract
/// document (`docs/contract.md`) and the plug-in headers.
///
/// An installed `pfnspec` (`make install PREFIX=...`) finds them beside its
/// executable: `PREFIX/bin/pfnspec` looks in `PREFIX/share/pfnspec` and
/// `PREFIX/include/pfnspec`. A binary that was not installed, in a build
/// folder or copied elsewhere, falls back on the package checkout it was built
/// from, whose path is compiled in. No environment variable is needed.
public struct ShippedFiles: Sendable, Hashable {
  /// The folder of the running executable, symbolic links resolved.
  public var executableFolder: String
  /// The package checkout the executable was built from.
  public var sourceTree: String?

  public init(executableFolder: String, sourceTree: String?) {
    self.executableFolder = executableFolder
    self.sourceTree = sourceTree
  }

  /// The files of this process: beside its executable, then in the checkout it was built from.
  public static let current = ShippedFiles(
    executableFolder: URL(fileURLWithPath: SpecRun.currentExecutable).resolvingSymlinksInPath()
      .deletingLastPathComponent().path,
    sourceTree: builtFrom)

  /// The package root this module was compiled in, from this file's path
  /// (`Sources/PfnRun/ShippedFiles.swift`).
  public static let builtFrom: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
  }()

  /// The data folders to look in, in order: the install layout's
  /// `../share/pfnspec`, then the checkout.
  public var dataFolders: [String] {
    [Self.normalized(executableFolder + "/../share/pfnspec")] + (sourceTree.map { [$0] } ?? [])
  }

  /// The folder of the shipped rules, when one holds `.pfnspec` files.
  public var specsFolder: String? {
    dataFolders.map { $0 + "/Specs" }.first(where: Self.holdsSpecs)
  }

  /// The shipped contract document, when there is one.
  public var contractDocument: String? {
    dataFolders.map { $0 + "/docs/contract.md" }.first { FileManager.default.isReadableFile(atPath: $0) }
  }

  /// The folder of the plug-in headers (`pfnspec_walker.h` and the kernel shims):
  /// the install layout's `../include/pfnspec`, then the checkout's `Sources/CPfnWalker/include`.
  public var includeDirectory: String? {
    includeCandidates.first { FileManager.default.fileExists(atPath: $0 + "/pfnspec_walker.h") }
  }

  /// Where ``includeDirectory`` looks, in order.
  public var includeCandidates: [String] {
    [Self.normalized(executableFolder + "/../include/pfnspec")]
      + (sourceTree.map { [$0 + "/Sources/CPfnWalker/include"] } ?? [])
  }

  /// Whether a folder holds at least one `.pfnspec` file.
  public static func holdsSpecs(_ folder: String) -> Bool {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.contains { $0.hasSuffix(".pfnspec") }
  }

  /// The spec paths of a run that names none: `Specs` in the current folder
  /// when it holds rules (a checkout, or a project with rules of its own),
  /// else the shipped rules, else `Specs` (which then is reported missing).
  public func defaultSpecPaths(currentDirectory: String = FileManager.default.currentDirectoryPath) -> [String] {
    if Self.holdsSpecs(currentDirectory + "/Specs") { return ["Specs"] }
    return [specsFolder ?? "Specs"]
  }

  private static func normalized(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.path
  }
}
