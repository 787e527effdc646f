import ArgumentParser
import Foundation
import PfnSpecLanguage

/// What the tools for rule authors (explain, list, trace) read off a rule.
extension Rule {
  /// The tags of every `tags` clause, in order.
  var tagNames: [String] {
    clauses.flatMap { clause -> [String] in if case .tags(let t) = clause.kind { t.map(\.value) } else { [] } }
  }

  /// Every `source` reference, in order.
  var sourceReferences: [SourceReference] {
    clauses.compactMap { clause in if case .source(let s) = clause.kind { s.value } else { nil } }
  }

  /// The contract anchors among the sources (`C14`).
  var contractAnchors: [String] {
    sourceReferences.compactMap { if case .contract(let anchor) = $0 { anchor } else { nil } }
  }

  /// The `why` text, when the rule has one.
  var whyText: String? {
    clauses.lazy.compactMap { clause in if case .why(let w) = clause.kind { w.value } else { nil } }.first
  }
}

/// The text of a span of a spec file.
func sourceText(_ source: String, _ range: SourceRange) -> String {
  let utf8 = Array(source.utf8)
  let lo = max(0, min(range.start.offset, utf8.count))
  let hi = max(lo, min(range.end.offset, utf8.count))
  return String(decoding: utf8[lo..<hi], as: UTF8.self)
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
