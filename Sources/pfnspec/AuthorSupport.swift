import ArgumentParser
import Foundation
import PfnSpecLanguage
import PfnSupport

/// The text of a span of a spec file.
func sourceText(_ source: String, _ range: SourceRange) -> String {
  sourceSlice(source, from: range.start.offset, to: range.end.offset)
}

extension SpecOptions {
  /// The text of the contract document, looked up where `contractAnchors()` looks.
  func contractText() throws -> String {
    guard let text = try contractDocument() else {
      throw ValidationError("cannot find the contract document; pass it with --contract")
    }
    return text
  }
}
