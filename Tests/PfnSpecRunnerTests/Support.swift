import PfnModel
import PfnResults
import PfnSpecLanguage
import PfnWalkers

@testable import PfnSpecRunner

/// The package root, found from this file's path so tests do not depend on the
/// working directory.
let packageRoot: String = {
  var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
  parts.removeLast(3)  // Tests/PfnSpecRunnerTests/Support.swift
  return parts.joined(separator: "/")
}()

func contractAnchors() -> Set<String> {
  let path = packageRoot + "/docs/contract.md"
  guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
  return Set(ContractDocument.anchors(markdown: text).keys)
}

/// The shipped specs, loaded and checked once.
let shippedSpecs: SpecSet = SpecLoader.load(
  paths: [packageRoot + "/Specs"], vocabulary: PfnVocabulary.make(contractAnchors: contractAnchors()))

/// Runs specs and returns every verdict.
func run(
  _ specs: SpecSet, walkers: [any Walker], arches: [any Architecture] = [X86_64()],
  configure: (inout RunOptions) -> Void = { _ in }
) throws -> [Verdict] {
  var options = RunOptions()
  configure(&options)
  let sink = CollectingSink()
  try Runner(files: specs.files, sources: specs.sources, walkers: walkers, arches: arches, options: options)
    .run(into: sink)
  return sink.verdicts
}

/// Specs from text, checked against the real vocabulary.
func specs(_ text: String, path: String = "Inline.pfnspec") -> SpecSet {
  SpecLoader.load(
    sources: [(path: path, text: text)], vocabulary: PfnVocabulary.make(contractAnchors: contractAnchors()))
}

/// Every verdict of the shipped specs for every built-in walker, computed once.
let allVerdicts: [Verdict] = (try? run(shippedSpecs, walkers: BuiltinWalkers.all, arches: Architectures.all)) ?? []

func verdicts(of walker: String) -> [Verdict] {
  allVerdicts.filter { $0.identity.key.walker == walker }
}

func failing(_ verdicts: [Verdict]) -> [Verdict] {
  verdicts.filter { $0.outcome == .fail || $0.outcome == .error }
}
