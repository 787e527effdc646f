import Testing
@testable import PfnSpecLanguage

/// What the lint says of whole rules, beyond the golden snapshot of each code.
@Suite("Rule lint")
struct RuleLintTests {
  private func codes(_ body: String, vocabulary: Vocabulary = lintVocabulary) -> [DiagnosticCode] {
    check(suiteLine + "rule A-1 \"t\"\n  source contract#C1\n" + body, vocabulary: vocabulary).diagnostics.map(\.code)
  }

  @Test("a lookup that is ended, with outputs read before end(), gets no warning")
  func wellPaired() {
    #expect(codes("  call start(1)\n  expect result == 0 and pfn == 1\n  call end()\n  expect held == none\n") == [])
    // Two lookups, each ended; the second's outputs are read inside its own window.
    #expect(
      codes(
        "  call start(1)\n  call end()\n  call start(2)\n  expect result == 0 implies pfn == 2\n  call end()\n") == [])
  }

  @Test("a lookup the rule expects to fail needs no end(); one that may succeed does")
  func failedLookups() {
    #expect(codes("  call start(1)\n  expect result != 0\n") == [])
    #expect(codes("  call start(1)\n  expect result == -1 and held == none\n") == [])
    // Nothing said of the outcome: it may succeed, so it must be ended.
    #expect(codes("  call start(1)\n  expect result == 0 implies held != none\n") == [.openNeverClosed])
    // A second start() while the first is open.
    #expect(
      codes("  call start(1)\n  expect result == 0\n  call start(2)\n  expect result == 0\n  call end()\n")
        == [.openNeverClosed])
  }

  @Test("outputs read after end() are flagged once per expect, other names are not")
  func readAfterEnd() {
    #expect(codes("  call start(1)\n  call end()\n  expect held == none\n") == [])
    #expect(codes("  call start(1)\n  call end()\n  expect outputs == expected and pfn == 1\n") == [.readAfterClose])
  }

  @Test("a conditional failure does not make end() wrong")
  func conditionalFailure() {
    #expect(codes("  call start(1)\n  expect result != 0 implies held == none\n  call end()\n") == [])
  }

  @Test("strings compared with a known name: known values pass, 'in' lists are checked too")
  func strings() {
    #expect(codes("  requires arch == \"x86_64\"\n  call start(1)\n  expect result != 0\n") == [])
    #expect(
      codes("  requires arch in {\"x86_64\", \"mips\"}\n  call start(1)\n  expect result != 0\n") == [.unknownStringValue])
    let set = check(
      suiteLine + "rule A-1 \"t\"\n  source contract#C1\n  requires arch != \"x86_46\"\n  call start(1)\n  expect result != 0\n",
      vocabulary: lintVocabulary)
    let warning = try? #require(set.diagnostics.first)
    #expect(warning?.hints.first == "did you mean \"x86_64\"?")
    #expect(warning?.fixIt?.replacement == "\"x86_64\"")
  }

  @Test("without a contract document every file says once that its anchors are unchecked")
  func uncheckedAnchors() {
    let two = "  call start(1)\n  expect result != 0\n\nrule A-2 \"t\"\n  source contract#C14\n  call start(1)\n  expect result != 0\n"
    #expect(codes(two, vocabulary: noContractVocabulary) == [.uncheckedAnchor])
    #expect(codes(two) == [])
  }

  @Test("a vocabulary without a pairing turns the call lint off")
  func noPairing() {
    #expect(codes("  call start(1)\n  expect result == 0\n", vocabulary: testVocabulary) == [])
  }
}
