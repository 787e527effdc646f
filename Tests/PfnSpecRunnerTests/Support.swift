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

/// Runs specs (on x86_64 unless told otherwise) and returns every verdict.
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
///
/// The reference explores races as the rules say (bound 2); every other
/// walker is caught within one adversary step, so the others run at bound 1
/// without random schedules to keep the suite quick.
let allVerdicts: [Verdict] = {
  let reference = BuiltinWalkers.all.filter { $0.descriptor.role == .implementation }
  let others = BuiltinWalkers.all.filter { $0.descriptor.role != .implementation }
  let first = (try? run(shippedSpecs, walkers: reference, arches: Architectures.all) { $0.randomSchedules = 4 }) ?? []
  let second =
    (try? run(shippedSpecs, walkers: others, arches: Architectures.all) {
      $0.raceBound = 1
      $0.randomSchedules = 0
    }) ?? []
  return first + second
}()

func verdicts(of walker: String) -> [Verdict] {
  allVerdicts.filter { $0.identity.key.walker == walker }
}

func failing(_ verdicts: [Verdict]) -> [Verdict] {
  verdicts.filter { $0.outcome == .fail || $0.outcome == .error }
}
