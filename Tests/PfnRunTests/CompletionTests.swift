import Foundation
import PfnRun
import PfnTestSupport
import Testing

/// The candidates shell completion offers, and the completion scripts that ask
/// the running `pfnspec` for them.
@Suite("shell completion")
struct CompletionTests {
  @Test("walkers: the built-in names and groups, and the example shared objects of this build")
  func walkers() {
    let all = CompletionCandidates.walkers(prefix: "")
    for name in ["reference", "follow_pte", "mainline-6.12", "mutants", "all"] {
      #expect(all.contains(name), "\(all)")
    }
    #expect(all.contains(productsDirectory + "/libPfnExampleWalker.so"), "\(all)")
    #expect(!all.contains { $0.contains("libPfnCaller") }, "callers are no walkers")
    let mutants = CompletionCandidates.walkers(prefix: "mutant:")
    #expect(!mutants.isEmpty && mutants.allSatisfy { $0.hasPrefix("mutant:") }, "\(mutants)")
  }

  @Test("callers, architectures, rule ids and tags come from the model and the shipped specs")
  func names() {
    #expect(CompletionCandidates.callers(prefix: "").contains("kvm-like"))
    #expect(CompletionCandidates.callers(prefix: "").contains("builtin"))
    #expect(CompletionCandidates.architectures(prefix: "") .contains("x86_64"))
    #expect(CompletionCandidates.architectures(prefix: "arm64").allSatisfy { $0.hasPrefix("arm64") })
    let rules = CompletionCandidates.ruleIDs(prefix: "LT-", words: [])
    #expect(rules.contains("LT-001") && rules.allSatisfy { $0.hasPrefix("LT-") }, "\(rules)")
    #expect(CompletionCandidates.tags(prefix: "", words: []).contains("huge"))
  }

  @Test("rule ids of the specs named on the command line")
  func namedSpecs() throws {
    let rules = CompletionCandidates.ruleIDs(prefix: "", words: ["run", packageRoot + "/Specs/locking.pfnspec", "--rule"])
    #expect(!rules.isEmpty && rules.allSatisfy { $0.hasPrefix("LK-") }, "\(rules)")
  }

  @Test("a typed path lists its folder: shared objects or spec files, and folders to go into")
  func paths() throws {
    let folder = makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    for name in ["libmine.so", "libmine.so.1", "notes.txt", "rules.pfnspec"] {
      _ = FileManager.default.createFile(atPath: folder + "/" + name, contents: nil)
    }
    try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
    #expect(
      CompletionCandidates.walkers(prefix: folder + "/").filter { $0.hasPrefix(folder) }
        == [folder + "/libmine.so", folder + "/libmine.so.1", folder + "/sub/"])
    #expect(CompletionCandidates.specFiles(prefix: folder + "/r") == [folder + "/rules.pfnspec"])
    #expect(CompletionCandidates.specFiles(prefix: folder + "/") == [folder + "/rules.pfnspec", folder + "/sub/"])
    #expect(!CompletionCandidates.walkers(prefix: "ref").contains { $0.contains("/") }, "a bare name lists no files")
    _ = FileManager.default.createFile(atPath: folder + "/.hidden.so", contents: nil)
    #expect(!CompletionCandidates.walkers(prefix: folder + "/").contains(folder + "/.hidden.so"))
    #expect(CompletionCandidates.walkers(prefix: folder + "/.") == [folder + "/.hidden.so"])
  }

  @Test("pfnspec answers the scripts' call back: completing 'run --walker' lists the walkers")
  func callBack() throws {
    let result = try runProcess(pfnspecExecutable, ["---completion", "run", "--", "--walker", "3", "0", "pfnspec", "run", "--walker", ""])
    #expect(result.status == 0, "\(result.error)")
    let words = result.output.split(separator: "\n").map(String.init)
    #expect(words.contains("reference") && words.contains("all"), "\(result.output)")
    let arches = try runProcess(pfnspecExecutable, ["---completion", "run", "--", "--arch", "3", "3", "pfnspec", "run", "--arch", "x86"])
    #expect(arches.output.split(separator: "\n").map(String.init) == ["x86_64", "x86_64-la57"], "\(arches.output)")
    // Spec paths list the current folder from a bare name (the checkout, here).
    let specs = try runProcess(pfnspecExecutable, ["---completion", "run", "--", "positional@0", "2", "2", "pfnspec", "run", "Sp"])
    #expect(specs.output == "Specs/\n", "\(specs.output)\(specs.error)")
  }

  @Test("the bash, zsh and fish scripts call back into pfnspec for walkers")
  func scripts() throws {
    for shell in ["bash", "zsh", "fish"] {
      let script = try runProcess(pfnspecExecutable, ["--generate-completion-script", shell])
      #expect(script.status == 0, "\(shell): \(script.error)")
      #expect(script.output.contains("---completion run -- --walker"), "\(shell)")
    }
  }
}
