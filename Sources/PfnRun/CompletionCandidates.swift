import Foundation
import PfnCallers
import PfnModel
import PfnSpecLanguage
import PfnSpecRunner
import PfnWalkers

/// The words a shell offers for pfnspec's values: walker and caller names,
/// shared objects, architectures, rule ids, tags and spec files. The
/// completion scripts ask the running `pfnspec` for them, so they always match
/// the build: a new walker or rule completes without a new script.
public enum CompletionCandidates {
  /// Built-in walker names with `mutants` and `all`, the walker shared objects
  /// built beside the executable, and `.so` files and folders under the typed path.
  public static func walkers(prefix: String, shipped: ShippedFiles = .current) -> [String] {
    let names = BuiltinWalkers.all.map(\.descriptor.name) + ["mutants", "all"]
    let built = builtSharedObjects(in: shipped.executableFolder, namedLike: "libPfnExample")
    return matching(prefix, names + built) + paths(prefix: prefix, extensions: [".so"])
  }

  /// Built-in caller names with their groups, the caller shared objects built
  /// beside the executable, and `.so` files and folders under the typed path.
  public static func callers(prefix: String, shipped: ShippedFiles = .current) -> [String] {
    let names = BuiltinCallers.all.map(\.descriptor.name) + ["builtin", "legacy", "mutants", "all", "none"]
    let built = builtSharedObjects(in: shipped.executableFolder, namedLike: "libPfnCaller")
    return matching(prefix, names + built) + paths(prefix: prefix, extensions: [".so"])
  }

  /// The architectures the model has.
  public static func architectures(prefix: String) -> [String] {
    matching(prefix, Architectures.all.map(\.name))
  }

  /// The rule ids of the specs the command line names (the default specs when it names none).
  public static func ruleIDs(prefix: String, words: [String]) -> [String] {
    let files = specs(named: words).files
    return matching(prefix, files.flatMap { $0.rules.map(\.id.value) })
  }

  /// The tags the rules of those specs carry.
  public static func tags(prefix: String, words: [String]) -> [String] {
    let files = specs(named: words).files
    return matching(prefix, Array(Set(files.flatMap { $0.rules.flatMap(\.tagNames) })).sorted())
  }

  /// `.pfnspec` files and folders under the typed path, or here.
  public static func specFiles(prefix: String) -> [String] {
    paths(prefix: prefix, extensions: [".pfnspec"], bareNames: true)
  }

  /// The candidates that start with what was typed, without repeats, in order.
  static func matching(_ prefix: String, _ candidates: [String]) -> [String] {
    var seen = Set<String>()
    return candidates.filter { $0.hasPrefix(prefix) && seen.insert($0).inserted }
  }

  /// The shared objects of this build whose names start with `namedLike`: the
  /// package's examples, beside a `pfnspec` in its build folder.
  static func builtSharedObjects(in folder: String, namedLike: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasPrefix(namedLike) && $0.hasSuffix(".so") }.sorted().map { folder + "/" + $0 }
  }

  /// Files with one of the extensions and folders (with a trailing `/`, to go
  /// on into them) in the folder of the typed path, spelled as typed. Hidden
  /// names only when the typed name starts with a dot. Unless `bareNames`,
  /// only a typed path (with a `/`, or starting with `.` or `~`) lists the
  /// file system, so that a bare name completes to walker or caller names.
  static func paths(prefix: String, extensions: [String], bareNames: Bool = false) -> [String] {
    guard bareNames || prefix.contains("/") || prefix.hasPrefix(".") || prefix.hasPrefix("~") else { return [] }
    let slash = prefix.lastIndex(of: "/")
    let typedFolder = slash.map { String(prefix[...$0]) } ?? ""
    let typedName = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
    let folder = NSString(string: typedFolder.isEmpty ? "." : typedFolder).expandingTildeInPath
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    var results: [String] = []
    for name in names where name.hasPrefix(typedName) && (!name.hasPrefix(".") || typedName.hasPrefix(".")) {
      let typed = typedFolder + name
      var isFolder: ObjCBool = false
      _ = FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder)
      if isFolder.boolValue {
        results.append(typed + "/")
      } else if extensions.contains(where: { name.hasSuffix($0) || name.contains($0 + ".") }) {
        results.append(typed)
      }
    }
    return results
  }

  /// The specs named among the words (`.pfnspec` files and folders that hold
  /// them), else the default specs; parsed without the contract, since only
  /// rule ids and tags are wanted.
  static func specs(named words: [String]) -> SpecSet {
    var configuration = RunConfiguration()
    configuration.specPaths = words.filter { word in
      word.hasSuffix(".pfnspec") || (!word.hasPrefix("-") && ShippedFiles.holdsSpecs(word))
    }
    return SpecLoader.load(paths: configuration.paths, vocabulary: PfnVocabulary.make(contractAnchors: []))
  }
}
