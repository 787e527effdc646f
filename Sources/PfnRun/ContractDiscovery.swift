import Foundation
import PfnSpecLanguage
import PfnSpecRunner

extension RunConfiguration {
  /// The text of the contract document: ``contractPath``, else
  /// `docs/contract.md` here or beside the specs' folder, else the shipped one
  /// (``ShippedFiles/contractDocument``); `nil` when there is none.
  public func contractDocument(shipped: ShippedFiles = .current) throws -> String? {
    let candidates: [String]
    if let contractPath {
      candidates = [contractPath]
    } else {
      let specParent = URL(fileURLWithPath: paths[0]).deletingLastPathComponent().path
      candidates = ["docs/contract.md", specParent + "/docs/contract.md", specParent + "/../docs/contract.md"]
        + (shipped.contractDocument.map { [$0] } ?? [])
    }
    for path in candidates {
      if let text = try? String(contentsOfFile: path, encoding: .utf8) { return text }
    }
    if let contractPath { throw RunError.invalid("cannot read the contract document '\(contractPath)'") }
    return nil
  }

  /// The clause anchors of the contract document.
  public func contractAnchors() throws -> Set<String> {
    guard let text = try contractDocument() else { return [] }
    return Set(ContractDocument.anchors(markdown: text).keys)
  }

  /// Loads and checks the specs. The set carries the diagnostics; a caller
  /// shows them and stops when `SpecSet.hasErrors`.
  public func loadSpecs() throws -> SpecSet {
    SpecLoader.load(paths: paths, vocabulary: PfnVocabulary.make(contractAnchors: try contractAnchors()))
  }
}
